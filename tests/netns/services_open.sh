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
# svc_probe (tests/netns/tools/svc_probe.c, built with the project's own
# link layer) sends a truncated OPEN with FIN, a truncated OPEN that never
# completes, an empty stream, OPENs with a bad version, bad flags, a bad
# length, an uppercase name, a NUL in the name and a name with one label,
# a valid OPEN for an unpublished name and one for another node's name.
# Checks: each gets its documented answer (a stream reset for the first
# three; ACCEPT status 1 with the documented reason and FIN for the rest),
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
lab_create 2
lab_start_node 1

vx() { local i=$1; shift; node_exec "$i" "$VX6" --state-dir "${NODE_DIR[i]}" "$@"; }
pk() { jq -r .public_key "${NODE_DIR[$1]}/identity.json"; }
refused_in() {
	api 1 GET /metrics | awk '/^vx6_service_refused_total\{dir="in"\}/ {print $2}'
}
PK1=$(pk 1)

say "n1 publishes ssh"
lab_sshd 1 127.0.0.1
vx 1 service add ssh --target 127.0.0.1:22
before=$(refused_in)
assert_match "the refusal counter is exported" "$before" '^[0-9]+$'

say "n2: svc_probe sends 11 hostile OPENs over one authenticated link"
CASES=(truncated truncated-wait empty bad-version bad-flags bad-length bad-name nul-name
	one-label unpublished other-node)
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

say "n1 is still up, counted each refusal and logged them"
assert "n1's vx6d is alive" pid_alive "${NODE_PID[1]}"
assert_eq "n1 answers its API" "$(api_status 1 GET /api/v1/health)" 200
after=$(refused_in)
# Eight ACCEPT refusals and three resets (cut short by FIN, by the wait, empty).
assert_eq "vx6_service_refused_total{dir=\"in\"} grew by one per hostile OPEN" \
	"$((after - before))" "${#CASES[@]}"
assert "n1 logs the unpublished name" grep -q "Refused service 'n1.nosuch' to .*: no service 'nosuch'" \
	"${NODE_LOG[1]}"
assert "n1 logs the other node's name" grep -q "Refused service 'other.ssh' to .*: this node is 'n1'" \
	"${NODE_LOG[1]}"

say "an honest client afterwards: vx6 connect n1.ssh from n2"
lab_start_node 2
vx 2 peer add "$PK1" --endpoint "[fd00:76::1]:$LAB_NODE_PORT"
vx 2 connect n1.ssh --listen 127.0.0.1:15022
on_n1() { lab_ssh_local 2 15022 ip -6 -o addr show dev eth0 | grep -q 'fd00:76::1/'; }
wait_for 30 "ssh through n2's forward runs a command on n1" on_n1
assert_eq "no refusal for the honest client" "$(refused_in)" "$after"
say "PASS"
