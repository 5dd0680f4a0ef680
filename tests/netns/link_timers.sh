#!/usr/bin/env bash
# tests/netns/link_timers.sh - the link timers of the config ("links":
# keepalive_ms, dead_ms, idle_close_ms; docs/operations.md): a peer that
# falls silent while its TCP connection stays open (vx6d stopped with
# SIGSTOP: the kernel still ACKs) is declared dead after dead_ms, not after
# the 20 s default, and the link comes back by itself once the peer runs
# again. A config with timers that contradict each other is refused.
#
#                         ns vx6-$$-h (hub, bridge br0)
#                  +-----------------------------+
#                  |                             |
#            vx6-$$-n1                     vx6-$$-n2
#            fd00:76::1                    fd00:76::2
#            vx6d, links: keepalive        vx6d, default timers
#            300 ms, dead 1500 ms          (SIGSTOP / SIGCONT)
#            tcp link to n2 ------------->
set -euo pipefail
# shellcheck source=tests/netns/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

lab_require_netns
lab_require_bins
lab_create 2

vx() { local i=$1; shift; node_exec "$i" "$VX6" --state-dir "${NODE_DIR[i]}" "$@"; }
pk() { jq -r .public_key "${NODE_DIR[$1]}/identity.json"; }
link_state() {
	vx 1 links --json 2>/dev/null | jq -r --arg pk "$2" '.links[] | select(.public_key == $pk) | .state'
}
link_up() { [[ $(link_state 1 "$1") == up ]]; }
link_not_up() { [[ $(link_state 1 "$1") != up ]]; }

say "a config whose dead_ms is under three keepalives is refused with one line"
node_setup 1
jq '.links = {"keepalive_ms": 1000, "dead_ms": 2000}' "${NODE_CFG[1]}" >"${NODE_CFG[1]}.t"
mv "${NODE_CFG[1]}.t" "${NODE_CFG[1]}"
lab_start_fails 1 config "links.dead_ms: 2000 is less than three keepalives \\(3000 ms\\)"

say "n1 with keepalive 300 ms and dead 1500 ms links to n2 (default timers)"
jq '.links = {"keepalive_ms": 300, "dead_ms": 1500, "idle_close_ms": 60000}' "${NODE_CFG[1]}" \
	>"${NODE_CFG[1]}.t"
mv "${NODE_CFG[1]}.t" "${NODE_CFG[1]}"
lab_start_node 1
lab_start_node 2
PK2=$(pk 2)
vx 1 peer add "$PK2" --endpoint "[fd00:76::2]:$LAB_NODE_PORT"
wait_for 15 "n1->n2 link up" link_up "$PK2"

say "n2 stopped (SIGSTOP): its TCP connection stays open, only keepalives can tell"
kill -STOP "${NODE_PID[2]}"
t0=$SECONDS
# With the 20 s default this wait would run out; with dead_ms 1500 it must not.
wait_for 8 "n1 declares the silent link dead" link_not_up "$PK2"
say "n1 saw the link go after about $((SECONDS - t0)) s (state $(link_state 1 "$PK2"))"
assert "n1 logs the reason" grep -q "Link to .* is down (timeout)" "${NODE_LOG[1]}"

say "n2 runs again (SIGCONT): the link comes back by itself"
kill -CONT "${NODE_PID[2]}"
wait_for 20 "n1->n2 link up again" link_up "$PK2"
assert "n1's vx6d is alive" pid_alive "${NODE_PID[1]}"
assert "n2's vx6d is alive" pid_alive "${NODE_PID[2]}"
say "PASS"
