#!/usr/bin/env python3
"""OpenSSL (through pyOpenSSL, over memory BIOs) as the other end of a TLS-DSK handshake.

Driven line by line on stdin/stdout by tests/openssl.rs:
  in : FLIGHT <base64>      a flight from the Rust side ("-" for none)
  out: FLIGHT <base64>      OpenSSL's next flight ("-" if it has nothing to send)
  out: DONE <version> <cipher> <ekm-hex>
       once the handshake is complete; ekm = export_keying_material(b"client EAP encryption", 128)
  in : MAC <hex>            a signature buffer; answers
  out: MAC <hmac-sha1 with ekm[64:96] hex> <hmac-sha1 with ekm[96:128] hex>
  out: ERROR <text>         on any failure
"""
import base64
import hashlib
import hmac
import sys

from OpenSSL import SSL

VERSIONS = {"1.0": SSL.TLS1_VERSION, "1.1": SSL.TLS1_1_VERSION, "1.2": SSL.TLS1_2_VERSION}


def main():
    role, version, cipher, cert, key, ca = sys.argv[1:7]
    ctx = SSL.Context(SSL.TLS_METHOD)
    ctx.set_min_proto_version(VERSIONS[version])
    ctx.set_max_proto_version(VERSIONS[version])
    ctx.set_cipher_list((cipher + ":@SECLEVEL=0").encode())
    ctx.use_certificate_file(cert)
    ctx.use_privatekey_file(key)
    ctx.load_verify_locations(ca)
    if role == "server":
        # Require a client certificate from our CA, as a registrar does.
        ctx.set_verify(SSL.VERIFY_PEER | SSL.VERIFY_FAIL_IF_NO_PEER_CERT, lambda conn, x509, errno, depth, ok: bool(ok))
    else:
        # TLS-DSK clients do not check the inner server certificate (the outer TLS did).
        ctx.set_verify(SSL.VERIFY_NONE, lambda *a: True)
    conn = SSL.Connection(ctx, None)
    if role == "server":
        conn.set_accept_state()
    else:
        conn.set_connect_state()

    def step():
        try:
            conn.do_handshake()
            done = True
        except SSL.WantReadError:
            done = False
        try:
            out = conn.bio_read(1 << 20)
        except SSL.WantReadError:
            out = b""
        print("FLIGHT " + (base64.b64encode(out).decode() if out else "-"), flush=True)
        return done

    done = False
    if role == "client":
        done = step()
    for line in sys.stdin:
        cmd, _, arg = line.strip().partition(" ")
        if cmd == "FLIGHT":
            if arg != "-":
                conn.bio_write(base64.b64decode(arg))
            done = step()
            if done:
                ekm = conn.export_keying_material(b"client EAP encryption", 128)
                print("DONE %s %s %s" % (conn.get_protocol_version_name(), conn.get_cipher_name(), ekm.hex()), flush=True)
        elif cmd == "MAC":
            ekm = conn.export_keying_material(b"client EAP encryption", 128)
            buf = bytes.fromhex(arg)
            c = hmac.new(ekm[64:96], buf, hashlib.sha1).hexdigest()
            s = hmac.new(ekm[96:128], buf, hashlib.sha1).hexdigest()
            print("MAC %s %s" % (c, s), flush=True)
        elif cmd == "QUIT":
            break


if __name__ == "__main__":
    try:
        main()
    except Exception as e:  # report, do not hang the Rust side
        print("ERROR %r" % (e,), flush=True)
        sys.exit(1)
