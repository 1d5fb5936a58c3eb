#!/bin/bash
# Server command for run-against.sh: starts `sipdsk emulate`, signs in with OUR client
# first (bob, password path, no --resolve: the harness's private /etc/hosts maps the
# names), then opens the ready port so the harness lets SIPE sign in (alice) to the same
# emulator. Our client's output and exit code go to $PAIR_OUT and $PAIR_OUT.rc.
#   pair.sh SIPDSK STATE_DIR READY_PORT
set -u
SIPDSK=$1 STATE=$2 READY=$3
"$SIPDSK" emulate --domain contoso.com --user alice@contoso.com:"$SIPE_PASSWORD" \
	--user bob@contoso.com:bobs-password --sip-port 5061 --https-port 8443 \
	--autodiscover-port 443 --state-dir "$STATE" &
EMU=$!
MARK=
trap 'kill $EMU $MARK 2>/dev/null; wait 2>/dev/null' EXIT TERM INT
for _ in $(seq 300); do
	(exec 3<>/dev/tcp/127.0.0.1/443) 2>/dev/null && break
	sleep 0.1
done
echo bobs-password | "$SIPDSK" signin --user bob@contoso.com --password-stdin \
	--ca "$STATE/ca.pem" --stay 1 >"$PAIR_OUT" 2>&1
echo $? >"$PAIR_OUT.rc"
python3 -c "
import socket, time
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(('127.0.0.1', $READY)); s.listen(8); time.sleep(600)" &
MARK=$!
wait $EMU
