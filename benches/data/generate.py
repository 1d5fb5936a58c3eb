#!/usr/bin/env python3
"""Writes the benchmark messages in this directory (CRLF line endings, correct Content-Length).

Deterministic: the TLS-DSK gssapi-data comes from a seeded PRNG, so re-running this script
reproduces the committed files byte for byte. wsinv.sip is a byte-exact copy of
RFC 4475 wsinv.dat from the shared corpus (../../../shared/corpus/rfc4475/wsinv.dat).

Usage: python3 benches/data/generate.py
"""
import base64
import os
import random
import shutil

HERE = os.path.dirname(os.path.abspath(__file__))


def message(start, headers, body=""):
    """Joins the start line and headers with CRLF and appends a Content-Length that fits."""
    body = body.replace("\n", "\r\n") if body else ""
    lines = [start] + headers + [f"Content-Length: {len(body.encode())}"]
    return ("\r\n".join(lines) + "\r\n\r\n" + body).encode()


SDP_OFFER = """v=0
o=alice 2890844526 2890844526 IN IP4 192.0.2.101
s=-
c=IN IP4 192.0.2.101
t=0 0
m=audio 49172 RTP/AVP 0 8 9 101
a=rtpmap:0 PCMU/8000
a=rtpmap:8 PCMA/8000
a=rtpmap:9 G722/8000
a=rtpmap:101 telephone-event/8000
a=fmtp:101 0-15
a=ptime:20
a=sendrecv
"""

SDP_ANSWER = """v=0
o=bob 2808844564 2808844564 IN IP4 192.0.2.201
s=-
c=IN IP4 192.0.2.201
t=0 0
m=audio 3456 RTP/AVP 0 101
a=rtpmap:0 PCMU/8000
a=rtpmap:101 telephone-event/8000
a=fmtp:101 0-15
a=ptime:20
a=sendrecv
"""

OPTIONS = message(
    "OPTIONS sip:carol@chicago.example.com SIP/2.0",
    [
        "Via: SIP/2.0/TCP pc33.atlanta.example.com;branch=z9hG4bKhjhs8ass877",
        "Max-Forwards: 70",
        "To: <sip:carol@chicago.example.com>",
        "From: Alice <sip:alice@atlanta.example.com>;tag=1928301774",
        "Call-ID: a84b4c76e66710",
        "CSeq: 63104 OPTIONS",
        "Accept: application/sdp",
    ],
)

INVITE = message(
    "INVITE sip:bob@biloxi.example.com SIP/2.0",
    [
        "Via: SIP/2.0/TCP client.atlanta.example.com:5060;branch=z9hG4bK74bf9",
        "Max-Forwards: 70",
        'From: "Alice" <sip:alice@atlanta.example.com>;tag=9fxced76sl',
        "To: Bob <sip:bob@biloxi.example.com>",
        "Call-ID: 3848276298220188511@atlanta.example.com",
        "CSeq: 1 INVITE",
        "Contact: <sip:alice@client.atlanta.example.com;transport=tcp>",
        "Allow: INVITE, ACK, CANCEL, BYE, OPTIONS, INFO, UPDATE, REFER, NOTIFY",
        "Supported: replaces, timer, 100rel",
        "User-Agent: ExampleSoftphone/4.2.1",
        "Content-Type: application/sdp",
    ],
    SDP_OFFER,
)

OK_INVITE = message(
    "SIP/2.0 200 OK",
    [
        "Via: SIP/2.0/TCP ss1.atlanta.example.com:5060;branch=z9hG4bK2d4790.1;received=192.0.2.111",
        "Via: SIP/2.0/TCP client.atlanta.example.com:5060;branch=z9hG4bK74bf9;received=192.0.2.101",
        "Record-Route: <sip:ss1.atlanta.example.com;lr>",
        'From: "Alice" <sip:alice@atlanta.example.com>;tag=9fxced76sl',
        "To: Bob <sip:bob@biloxi.example.com>;tag=8321234356",
        "Call-ID: 3848276298220188511@atlanta.example.com",
        "CSeq: 1 INVITE",
        "Contact: <sip:bob@client.biloxi.example.com;transport=tcp>",
        "Allow: INVITE, ACK, CANCEL, BYE, OPTIONS, INFO, UPDATE",
        "Supported: replaces, timer",
        "Server: ExampleUA/2.0",
        "Content-Type: application/sdp",
    ],
    SDP_ANSWER,
)


def client_flight_2(rng):
    """Client flight 2 of a TLS-DSK handshake as raw TLS 1.0 records: one handshake record
    (Certificate + ClientKeyExchange + CertificateVerify, random contents), ChangeCipherSpec,
    and an encrypted Finished record; about 2400 bytes."""
    handshake = bytes([0x0B]) + (2340).to_bytes(3, "big") + rng.randbytes(2340)
    rec1 = bytes([0x16, 0x03, 0x01]) + len(handshake).to_bytes(2, "big") + handshake
    ccs = bytes([0x14, 0x03, 0x01, 0x00, 0x01, 0x01])
    finished = bytes([0x16, 0x03, 0x01, 0x00, 0x30]) + rng.randbytes(48)
    return rec1 + ccs + finished


def register_tls_dsk():
    rng = random.Random(4475)
    flight = client_flight_2(rng)
    gss = base64.b64encode(flight).decode()
    return message(
        "REGISTER sip:contoso.com;transport=tls SIP/2.0",
        [
            "Via: SIP/2.0/TLS 10.222.202.232:60618;branch=z9hG4bK5A1E8C4F93D2B07E",
            "Max-Forwards: 70",
            'From: "vvx" <sip:vvx@contoso.com>;tag=B9A92F89-6F6343CE;epid=0004f2ae4b0d',
            "To: <sip:vvx@contoso.com>",
            "CSeq: 3 REGISTER",
            "Call-ID: 7fae79d87a29829ae54a8b3071ae4b0d",
            'Contact: <sip:vvx@10.222.202.232:60618;transport=tls>;methods="INVITE, ACK, BYE, CANCEL, OPTIONS, INFO, MESSAGE, SUBSCRIBE, NOTIFY, PRACK, UPDATE, REFER, BENOTIFY";proxy=replace;+sip.instance="<urn:uuid:43a160e1-13ce-5cc6-804c-4a288a2c1873>"',
            "User-Agent: Polycom/5.5.1.11526 PolycomVVX-VVX_600-UA/5.5.1.11526",
            "Accept-Language: en",
            "Ms-device-info: MAC=00-04-F2-AE-4B-0D, vendor=POLYCOM, version=PolycomVVX-VVX_600-5.5.1.11526",
            "ms-keep-alive: UAC;hop-hop=yes",
            "Supported: msrtc-event-categories,adhoclist,ms-cluster-failover,ms-userservices-state-notification,gruu-10,gruu",
            "Event: registration",
            "ms-subnet: 10.222.202.0",
            'Authorization: TLS-DSK qop="auth", opaque="F755045D", realm="SIP Communications Service", '
            f'targetname="fe01.contoso.com", gssapi-data="{gss}", version=4',
        ],
    )


UNAUTHORIZED = message(
    "SIP/2.0 401 Unauthorized",
    [
        "ms-user-logon-data: RemoteUser",
        "Date: Wed, 22 Feb 2017 05:27:25 GMT",
        'WWW-Authenticate: TLS-DSK realm="SIP Communications Service", targetname="fe01.contoso.com", version=4, sts-uri="https://webpool.contoso.com:443/CertProv/CertProvisioningService.svc"',
        'WWW-Authenticate: Kerberos realm="SIP Communications Service", targetname="sip/fe01.contoso.com", version=4',
        'WWW-Authenticate: NTLM realm="SIP Communications Service", targetname="fe01.contoso.com", version=4',
        'From: "vvx" <sip:vvx@contoso.com>;tag=B9A92F89-6F6343CE;epid=0004f2ae4b0d',
        "To: <sip:vvx@contoso.com>;tag=A1B2C3D4E5F60718293A4B5C6D7E8F90",
        "Call-ID: 7fae79d87a29829ae54a8b3071ae4b0d",
        "CSeq: 1 REGISTER",
        "Via: SIP/2.0/TLS 10.222.202.232:60618;branch=z9hG4bK1A2B3C4D;ms-received-port=60618;ms-received-cid=1D8C00",
        "Server: RTC/6.0",
    ],
)

# 39 header lines plus the Content-Length the helper appends = 40 headers.
FORTY = message(
    "INVITE sip:bob@biloxi.example.com;transport=tcp SIP/2.0",
    [
        "Via: SIP/2.0/TCP proxy2.biloxi.example.com:5060;branch=z9hG4bK721e4.1",
        "Via: SIP/2.0/TCP proxy1.atlanta.example.com:5060;branch=z9hG4bK2d4790.1;received=192.0.2.111",
        "Via: SIP/2.0/TCP client.atlanta.example.com:5060;branch=z9hG4bK74bf9;received=192.0.2.101;rport=50123",
        "Max-Forwards: 68",
        "Record-Route: <sip:proxy2.biloxi.example.com;lr>",
        "Record-Route: <sip:proxy1.atlanta.example.com;lr>",
        "Route: <sip:edge.biloxi.example.com;lr>",
        'From: "Alice" <sip:alice@atlanta.example.com>;tag=9fxced76sl',
        "To: Bob <sip:bob@biloxi.example.com>",
        "Call-ID: 3848276298220188511@atlanta.example.com",
        "CSeq: 2 INVITE",
        "Contact: <sip:alice@client.atlanta.example.com;transport=tcp>;+sip.instance=\"<urn:uuid:00000000-0000-1000-8000-000A95A0E128>\"",
        "Allow: INVITE, ACK, CANCEL, BYE, OPTIONS, INFO, UPDATE, REFER, NOTIFY, MESSAGE, PRACK",
        "Supported: replaces, timer, 100rel, gruu, path, outbound",
        "Require: timer",
        "Session-Expires: 1800;refresher=uac",
        "Min-SE: 90",
        "Accept: application/sdp, application/dtmf-relay",
        "Accept-Encoding: identity",
        "Accept-Language: en, fr;q=0.8",
        "Allow-Events: talk, hold, refer, dialog",
        "User-Agent: ExampleSoftphone/4.2.1",
        "Organization: Example Corp",
        "Subject: Project review",
        "Priority: normal",
        "Date: Sat, 13 Nov 2010 23:29:00 GMT",
        "Timestamp: 54",
        "P-Asserted-Identity: \"Alice\" <sip:alice@atlanta.example.com>",
        "P-Preferred-Identity: <sip:alice@atlanta.example.com>",
        "Privacy: none",
        "Call-Info: <http://www.example.com/alice/photo.jpg>;purpose=icon",
        "Alert-Info: <http://www.example.com/sounds/moo.wav>",
        "Reply-To: Alice <sip:alice@atlanta.example.com>",
        "ms-keep-alive: UAC;hop-hop=yes",
        "ms-subnet: 192.0.2.0",
        "Ms-Conversation-ID: AdKa3cT4mG0Z3l3c5e4dQ2hYk3d4eQ==",
        "X-Correlation-ID: 5f1c2a94-8d0e-4f43-b0a6-8e2d3c4b5a61",
        "Expires: 180",
        "MIME-Version: 1.0",
    ],
)

FILES = {
    "options.sip": OPTIONS,
    "invite_sdp.sip": INVITE,
    "ok_invite.sip": OK_INVITE,
    "register_tls_dsk.sip": register_tls_dsk(),
    "unauthorized.sip": UNAUTHORIZED,
    "forty_headers.sip": FORTY,
}

if __name__ == "__main__":
    for name, data in FILES.items():
        with open(os.path.join(HERE, name), "wb") as f:
            f.write(data)
    src = os.path.join(HERE, "..", "..", "..", "shared", "corpus", "rfc4475", "wsinv.dat")
    shutil.copyfile(src, os.path.join(HERE, "wsinv.sip"))
    for name in sorted(os.listdir(HERE)):
        if name.endswith(".sip"):
            print(f"{name}: {os.path.getsize(os.path.join(HERE, name))} bytes")
