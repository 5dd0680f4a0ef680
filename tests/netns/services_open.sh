#!/usr/bin/env bash
# tests/netns/services_open.sh - malformed service OPENs from the network
# (docs/wire.md §7), sent by an authenticated peer over a real TCP link.
#
#                     ns vx6-$$-h (hub, bridge br0)
#                 +--------------------------------+
#                 |                                |
#           vx6-$$-n1                        vx6-$$-n2
#           fd00:76::1                       fd00:76::2
#           vx6d (owner), tcp :7700          1. svc_probe: its own identity,
#           sshd 127.0.0.1:22                   one link, one SERVICE stream
#           service ssh                         per hostile OPEN
#                                            2. vx6d (honest client):
#                                               127.0.0.1:15022 -> n1.ssh
#
# Both nodes run with TUN (the owner's services work beside the overlay
# device; tests/netns/services.sh covers stream mode without TUN).
#
# svc_probe (tests/netns/tools/svc_probe.c, built with the project's own
# link layer) sends a truncated OPEN with FIN, a truncated OPEN that never
# completes, an empty stream, OPENs with a bad version, bad flags, a bad
# length, an uppercase name, a NUL in the name and a name with one label,
# a valid OPEN for an unpublished name and one for another node's name,
# and one for a service whose target is down. Checks: each gets its
# documented answer (a stream reset for the first three; ACCEPT status 1
# with the documented reason and FIN for the rest; status 3 for the target
# that is down), the caps: with 64 connections held to one service the
# 65th is refused as busy (status 4), and with 128 held by one peer its
# next stream is reset at opening;
# the refusals are counted in vx6_service_refused_total{dir="in"} (exactly
# one per case, resets included), the owner logs them, vx6d stays up, and an
# honest `vx6 connect` with ssh works afterwards.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

PROBE=$VX6_BIN/tests/netns/tools/svc_probe

lab_require_netns
lab_require_bins
[[ -x $PROBE ]] || fail "no $PROBE (build first)"
command -v sshd >/dev/null || [[ -x /usr/sbin/sshd ]] || skip "needs OpenSSH server"
LAB_TUN=true
lab_create 2
lab_start_node 1

vx() { local i=$1; shift; node_exec "$i" "$VX6" --state-dir "${NODE_DIR[i]}" "$@"; }
pk() { jq -r .public_key "${NODE_DIR[$1]}/identity.json"; }
refused_in() {
	api 1 GET /metrics | awk '/^vx6_service_refused_total\{dir="in"\}/ {print $2}'
}
PK1=$(pk 1)

say "n1 publishes ssh, down (nothing listens), hold and hold2 (a listener that holds connections)"
lab_sshd 1 127.0.0.1
vx 1 service add ssh --target 127.0.0.1:22
vx 1 service add down --target 127.0.0.1:9
# Accepts up to 300 connections and keeps them for 40 s; bounded in count and time.
n1 timeout 45 python3 -c '
import socket, time
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("127.0.0.1", 9100)); s.listen(512); s.settimeout(1); held = []; end = time.time() + 40
while time.time() < end and len(held) < 300:
    try: held.append(s.accept()[0])
    except socket.timeout: pass
' &
LAB_PIDS+=("$!")
vx 1 service add hold --target 127.0.0.1:9100
vx 1 service add hold2 --target 127.0.0.1:9100
assert "n1 has its overlay address on vx6" node_exec 1 ip -6 addr show dev vx6
before=$(refused_in)
assert_match "the refusal counter is exported" "$before" '^[0-9]+$'

say "n2: svc_probe sends 12 hostile OPENs over one authenticated link"
CASES=(truncated truncated-wait empty bad-version bad-flags bad-length bad-name nul-name
	one-label unpublished other-node target-down)
rc=0
out=$(n2 timeout 30 "$PROBE" "[fd00:76::1]:$LAB_NODE_PORT" "$PK1" n1 ssh "${CASES[@]}") || rc=$?
printf '%s\n' "$out" >&2
assert_eq "svc_probe: every case got its documented answer" "$rc" 0
assert_eq "one line per case" "$(grep -c '^ok ' <<<"$out")" "${#CASES[@]}"
assert_match "a truncated OPEN and FIN is reset (EPROTO)" "$out" \
	"ok truncated: stream reset \\(code 71\\)"
assert_match "an OPEN that never completes is reset at the wait's end (ETIMEDOUT)" "$out" \
	"ok truncated-wait: stream reset \\(code 110\\)"
assert_match "a bad version is refused as malformed" "$out" \
	'ok bad-version: ACCEPT status 1 \(no such service\) "malformed OPEN"'
assert_match "an unpublished name is refused with its reason" "$out" \
	"ok unpublished: ACCEPT status 1 \\(no such service\\) \"no service 'nosuch' on 'n1'\""
assert_match "a target that is down: a clean refusal with the reason" "$out" \
	"ok target-down: ACCEPT status 3 .*\"Failed to connect to the target of 'down': Connection refused\""

say "n1 is still up, counted each refusal and logged them"
assert "n1's vx6d is alive" pid_alive "${NODE_PID[1]}"
assert_eq "n1 answers its API" "$(api_status 1 GET /api/v1/health)" 200
after=$(refused_in)
# Nine ACCEPT refusals and three resets (cut short by FIN, by the wait, empty).
assert_eq "vx6_service_refused_total{dir=\"in\"} grew by one per hostile OPEN" \
	"$((after - before))" "${#CASES[@]}"
assert "n1 logs the unpublished name" grep -q "Refused service 'n1.nosuch' to .*: no service 'nosuch'" \
	"${NODE_LOG[1]}"
assert "n1 logs the other node's name" grep -q "Refused service 'other.ssh' to .*: this node is 'n1'" \
	"${NODE_LOG[1]}"

assert "n1 logs the target that is down" grep -q \
	"Refused service 'n1.down' to .*: Failed to connect to the target of 'down'" "${NODE_LOG[1]}"

say "caps: 64 connections per service, 128 streams per peer"
rc=0
out=$(n2 timeout 30 "$PROBE" "[fd00:76::1]:$LAB_NODE_PORT" "$PK1" n1 ssh busy peer-cap) || rc=$?
printf '%s\n' "$out" >&2
assert_eq "svc_probe: both caps answered as documented" "$rc" 0
assert_match "the 65th connection to one service is refused as busy" "$out" \
	"ok busy: ACCEPT status 4 .*\"'hold' has 64 connections already\""
assert_match "the 129th stream of one peer is reset (ECONNREFUSED)" "$out" \
	"ok peer-cap: stream reset \\(code 111\\)"
assert_eq "both cap refusals counted" "$(refused_in)" "$((after + 2))"
assert "n1's vx6d is alive after the caps" pid_alive "${NODE_PID[1]}"
after=$(refused_in)

say "an honest client afterwards: vx6 connect n1.ssh from n2"
lab_start_node 2
vx 2 peer add "$PK1" --endpoint "[fd00:76::1]:$LAB_NODE_PORT"
vx 2 connect n1.ssh --listen 127.0.0.1:15022
on_n1() { lab_ssh_local 2 15022 ip -6 -o addr show dev eth0 | grep -q 'fd00:76::1/'; }
wait_for 30 "ssh through n2's forward runs a command on n1" on_n1
assert_eq "no refusal for the honest client" "$(refused_in)" "$after"
say "PASS"
