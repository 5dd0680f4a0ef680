#!/usr/bin/env bash
# tests/netns/overlay.sh - the TUN data plane: every node reachable at its
# overlay IPv6 address, in direct-IPv6 mode (no discovery: `vx6 peer add`).
#
#                        ns vx6-$$-h (hub, bridge br0)
#            +----------------------+-----------------------+
#      vx6-$$-n1               vx6-$$-n2               vx6-$$-n3
#      fd00:76::1              fd00:76::2              fd00:76::3
#      vx6 (TUN) fdXX:..:a     vx6 (TUN) fdXX:..:b     vx6 (TUN) fdXX:..:c
#                              sshd on the overlay
#
# Every node adds the two others as peers (OVERLAY_TRANSPORT, default tcp).
# Checks: ping6 between every pair both ways; a bounded iperf3 run; ssh to
# n2's overlay address runs a command; a packet whose inner source belongs
# to another node is dropped and counted; an oversize packet gets ICMPv6
# Packet Too Big; an address in the /48 that no node holds gets Destination
# Unreachable; a restarted daemon keeps its overlay address and works again.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

T=${OVERLAY_TRANSPORT:-tcp}
PORT=7700

lab_require_netns
lab_require_bins
command -v iperf3 >/dev/null || fail "needs iperf3 (deploy/install-deps.sh)"
[[ -x /usr/sbin/sshd ]] || fail "needs openssh-server (deploy/install-deps.sh)"
lab_create 3

for i in 1 2 3; do
	node_setup "$i"
	cat >"${NODE_CFG[i]}" <<-EOF2
		{"state_dir": "${NODE_DIR[i]}", "log_level": "info",
		 "admin": {"unix_socket": "admin.sock", "listen": null},
		 "listen": [{"address": "::", "port": $PORT, "transport": "$T"}],
		 "tun": {"enabled": true, "name": "vx6", "mtu": 1400}}
	EOF2
	lab_start_node "$i"
done
vx() { local i=$1; shift; node_exec "$i" "$VX6" --state-dir "${NODE_DIR[i]}" "$@"; }
PK=() ADDR=()
for i in 1 2 3; do
	PK[i]=$(jq -r .public_key "${NODE_DIR[i]}/identity.json")
	ADDR[i]=$(jq -r .overlay_address "${NODE_DIR[i]}/identity.json")
done
for i in 1 2 3; do
	for j in 1 2 3; do
		((i == j)) && continue
		vx "$i" peer add "${PK[j]}" --endpoint "[fd00:76::$j]:$PORT" --transport "$T" >/dev/null
	done
	assert "n$i has its overlay address on vx6" \
		bash -c "ip -n ${NODE_NS[i]} -6 addr show dev vx6 | grep -q '${ADDR[i]}/48'"
done
links_up() {
	local n
	n=$(vx "$1" links --json 2>/dev/null | jq '[.links[] | select(.state == "up")] | length')
	((n == 2))
}
for i in 1 2 3; do wait_for 20 "n$i has both links up" links_up "$i"; done
# The dialer picks the cipher: AESGCM where the CPU has AES and PCLMULQDQ (docs/noise.md §3.1).
want=ChaChaPoly
grep -qw aes /proc/cpuinfo && grep -qw pclmulqdq /proc/cpuinfo && want=AESGCM
ciphers=$(vx 1 links --json | jq -r '[.links[].cipher] | unique | join(",")')
assert_eq "n1's links report their cipher" "$ciphers" "$want"

say "ping6 between every pair, both ways"
for i in 1 2 3; do
	for j in 1 2 3; do
		((i == j)) && continue
		wait_for 10 "n$i reaches n$j" \
			ip netns exec "${NODE_NS[i]}" ping -6 -n -c 1 -W 1 "${ADDR[j]}"
		out=$(n$i ping -6 -n -c 5 -i 0.2 -W 2 "${ADDR[j]}")
		assert_match "n$i -> n$j: 5 replies" "$out" " 5 received"
	done
done

say "iperf3 n1 -> n2 over the overlay (3 s)"
n2 iperf3 -s -1 -B "${ADDR[2]}" >/dev/null 2>&1 &
LAB_PIDS+=("$!")
sleep 0.5
out=$(n1 timeout 20 iperf3 -c "${ADDR[2]}" -t 3 -J)
bps=$(jq -r '.end.sum_received.bits_per_second' <<<"$out")
assert "iperf3 moved data" awk -v b="$bps" 'BEGIN {exit !(b > 1e6)}'
say "iperf3: $(awk -v b="$bps" 'BEGIN {printf "%.0f Mbit/s", b / 1e6}')"

say "ssh to n2's overlay address"
lab_sshd 2 "${ADDR[2]}"
ssh_n2() { lab_ssh 1 "${ADDR[2]}" "$@"; }
wait_for 10 "sshd on n2's overlay address answers" ssh_n2 true
out=$(ssh_n2 'cat /proc/sys/kernel/hostname; ip -6 addr show dev vx6 | grep -c inet6')
say "ssh ran on n2: $(tr '\n' ' ' <<<"$out")"
assert_match "ssh command output" "$out" "^[^ ]+"$'\n'"[0-9]+"

say "spoofed inner source: n3 sends as n1"
before=$(api 2 GET /metrics | awk '/^vx6_overlay_drops_total\{reason="spoofed"\}/ {print $2}')
n3 ip -6 addr add "${ADDR[1]}/128" dev vx6 nodad
n3 ping -6 -n -c 3 -i 0.2 -W 1 -I "${ADDR[1]}" "${ADDR[2]}" >/dev/null 2>&1 || true
n3 ip -6 addr del "${ADDR[1]}/128" dev vx6
after=$(api 2 GET /metrics | awk '/^vx6_overlay_drops_total\{reason="spoofed"\}/ {print $2}')
assert_ge "n2 dropped and counted the spoofed packets" "$((after - before))" 3

say "oversize packet: Packet Too Big"
n1 ip link set dev vx6 mtu 1500
out=$(n1 ping -6 -n -c 1 -W 2 -M do -s 1452 "${ADDR[2]}" 2>&1 || true)
assert_match "n1 learns the overlay MTU" "$out" "[Pp]acket too big.*mtu[= ]*1400"
n1 ip link set dev vx6 mtu 1400

say "an overlay address nobody holds: Destination Unreachable"
prefix=$(cut -d: -f1-3 <<<"${ADDR[1]}")
out=$(n1 ping -6 -n -c 1 -W 2 "$prefix:1234:5678:9abc:def0:1" 2>&1 || true)
assert_match "no route answer" "$out" "[Uu]nreachable"

say "restart n2: same overlay address, reachable again"
stop_node 2
lab_start_node 2
assert_eq "n2 overlay address after restart" \
	"$(jq -r .overlay_address "${NODE_DIR[2]}/identity.json")" "${ADDR[2]}"
wait_for 30 "n1 reaches the restarted n2" \
	ip netns exec "${NODE_NS[1]}" ping -6 -n -c 1 -W 1 "${ADDR[2]}"

say "overlay: OK"
