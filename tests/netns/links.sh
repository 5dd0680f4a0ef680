#!/usr/bin/env bash
# tests/netns/links.sh - authenticated peer links over TCP and over QUIC
# between real vx6d processes, with hostile traffic from a third node.
#
#                        ns vx6-$$-h (hub, bridge br0)
#            +----------------------+-----------------------+
#            |                      |                       |
#      vx6-$$-n1               vx6-$$-n2               vx6-$$-n3
#      fd00:76::1              fd00:76::2              fd00:76::3
#      vx6d (dials n2)         vx6d (listens)          vx6d + linkattack.py
#      tcp :7700 quic :7701    tcp :7700 quic :7701    (attacker)
#
# For each transport: n1 adds n2 with `vx6 peer add`; the link comes up on
# both sides with the right keys; 500 datagrams each way arrive (vx6 ping);
# a 100 MB stream arrives with matching SHA-256 at both ends (vx6 bench);
# the link survives `ip link set down/up` on n1's underlay and a change of
# n1's underlay address; garbage, truncated, replayed and wrong-key traffic
# from n3 is dropped and counted while the link stays up; and a flood of
# handshake attempts from n3 does not stop the link.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

ATTACK="python3 $(cd "$(dirname "$0")" && pwd)/tools/linkattack.py"
TCP_PORT=7700
QUIC_PORT=7701

lab_require_netns
lab_require_bins
command -v tcpdump >/dev/null || fail "needs tcpdump (deploy/install-deps.sh)"
lab_create 3

# Both transports on every node.
links_config() {
	local i=$1
	cat >"${NODE_CFG[i]}" <<-EOF2
		{
			"state_dir": "${NODE_DIR[i]}",
			"log_level": "info",
			"admin": {"unix_socket": "admin.sock", "listen": null},
			"listen": [
				{"address": "::", "port": $TCP_PORT, "transport": "tcp"},
				{"address": "::", "port": $QUIC_PORT, "transport": "quic"}
			]
		}
	EOF2
}

for i in 1 2 3; do
	node_setup "$i"
	links_config "$i"
	# Keep the static underlay address while eth0 is down, as a configured
	# host would get it back; the link must still notice the outage.
	ip netns exec "${NODE_NS[i]}" sysctl -qw net.ipv6.conf.eth0.keep_addr_on_down=1
	lab_start_node "$i"
done

vx() { local i=$1; shift; node_exec "$i" "$VX6" --state-dir "${NODE_DIR[i]}" "$@"; }
pk() { jq -r .public_key "${NODE_DIR[$1]}/identity.json"; }
PK1=$(pk 1)
PK2=$(pk 2)

# link_json I PK: node I's link to PK as JSON ("null" if none).
link_json() {
	vx "$1" links --json 2>/dev/null | jq -c --arg pk "$2" '.links[] | select(.public_key == $pk)'
}
link_field() { link_json "$1" "$2" | jq -r "$3"; }
link_is_up() { [[ $(link_field "$1" "$2" .state) == up ]]; }
hs_field() { vx "$1" links --json 2>/dev/null | jq -r ".handshakes.$2"; }
hs_at_least() { (($(hs_field "$1" "$2") >= $3)); }
n2_sees_n1_at() { [[ $(link_field 2 "$PK1" .endpoint) == "$1"* ]]; }

run_transport() {
	local t=$1 port=$2 out connects before after
	say "=== transport $t"
	vx 1 peer add "$PK2" --endpoint "[fd00:76::2]:$port" --transport "$t"
	wait_for 15 "n1->n2 $t link up" link_is_up 1 "$PK2"
	wait_for 5 "n2 sees n1's $t link" link_is_up 2 "$PK1"
	assert_eq "n1 link transport" "$(link_field 1 "$PK2" .transport)" "$t"
	assert_eq "n2 link direction" "$(link_field 2 "$PK1" .direction)" inbound
	assert_eq "n2 authenticated n1's key" "$(link_field 2 "$PK1" .public_key)" "$PK1"

	say "datagrams both ways"
	assert "n1 -> n2: 500 pings of 1200 bytes, no loss" \
		vx 1 ping "$PK2" --count 500 --size 1200 --interval 1
	assert "n2 -> n1: 500 pings of 1200 bytes, no loss" \
		vx 2 ping "$PK1" --count 500 --size 1200 --interval 1

	say "100 MB stream, SHA-256 at both ends"
	out=$(vx 1 bench "$PK2" --bytes 100M --json)
	assert_eq "100 MB bench digests match" "$(jget "$out" .match)" true
	assert_eq "peer received all bytes" "$(jget "$out" .peer_received)" 104857600
	assert_eq "digest" "$(jget "$out" .sha256_local)" "$(jget "$out" .sha256_peer)"
	say "$t stream: $(jget "$out" .mbit_s) Mbit/s"
	assert "n2 -> n1 bench" vx 2 bench "$PK1" --bytes 10M

	say "underlay down for 3 s, then up"
	n1 ip link set eth0 down
	sleep 3
	n1 ip link set eth0 up
	lab_wait_ping 1 fd00:76::2 10 || fail "underlay did not come back"
	wait_for 40 "$t link up after the outage" link_is_up 1 "$PK2"
	assert "bench after the outage" vx 1 bench "$PK2" --bytes 4M

	say "n1 moves to a new underlay address"
	n1 ip addr add fd00:76::11/64 dev eth0 nodad
	n1 ip addr del fd00:76::1/64 dev eth0
	wait_for 45 "n2 sees n1 at its new address" n2_sees_n1_at "[fd00:76::11]:"
	wait_for 10 "link up after the address change" link_is_up 1 "$PK2"
	assert "bench after the address change" vx 1 bench "$PK2" --bytes 4M
	n1 ip addr add fd00:76::1/64 dev eth0 nodad
	n1 ip addr del fd00:76::11/64 dev eth0
	wait_for 45 "n2 sees n1 back at its first address" n2_sees_n1_at "[fd00:76::1]:"
	wait_for 10 "link up on the first address" link_is_up 1 "$PK2"

	say "hostile traffic from n3"
	connects=$(link_field 1 "$PK2" .connects)
	before=$(hs_field 2 failed)
	garbage=$(hs_field 2 garbage)
	if [[ $t == tcp ]]; then
		n3 $ATTACK garbage-tcp fd00:76::2 "$port" 5
		n3 $ATTACK truncated-tcp fd00:76::2 "$port" 3
		n3 $ATTACK replay-tcp fd00:76::2 "$port" "$LAB_TMP/tcp.pcap" fd00:76::1
		# 5 garbage + 3 truncated + 1 replayed initiation, each refused.
		wait_for 10 "n2 counts 9 failed handshakes" hs_at_least 2 failed $((before + 9))
	else
		n3 $ATTACK garbage-udp fd00:76::2 "$port" 200
		n3 $ATTACK replay-udp fd00:76::2 "$port" "$LAB_TMP/quic.pcap" fd00:76::1
		wait_for 10 "n2 counts dropped datagrams" hs_at_least 2 garbage $((garbage + 100))
	fi
	say "n2 handshakes failed $before -> $(hs_field 2 failed), garbage $garbage -> $(hs_field 2 garbage)"
	# Wrong key: n3 dials n2's address expecting n1's key. n2 cannot
	# answer for a key it does not hold, so the handshake fails.
	before=$(hs_field 3 failed)
	vx 3 peer add "$PK1" --endpoint "[fd00:76::2]:$port" --transport "$t"
	wait_for 15 "n3 counts its failed handshake" hs_at_least 3 failed $((before + 1))
	assert "link still up after hostile traffic" link_is_up 1 "$PK2"
	assert_eq "link was not re-established" "$(link_field 1 "$PK2" .connects)" "$connects"
	assert "pings after hostile traffic" vx 1 ping "$PK2" --count 50 --interval 5

	say "handshake flood from n3 while n1 pings n2"
	vx 1 ping "$PK2" --count 150 --interval 20 --size 500 >"$LAB_TMP/ping.$t" 2>&1 &
	local ping_pid=$!
	LAB_PIDS+=("$ping_pid")
	n3 $ATTACK "flood-${t/quic/udp}" fd00:76::2 "$port" 3
	wait "$ping_pid" || fail "pings during the flood lost packets: $(cat "$LAB_TMP/ping.$t")"
	say "pings during the flood: $(cat "$LAB_TMP/ping.$t")"
	assert "link still up after the flood" link_is_up 1 "$PK2"
	assert_eq "link survived the flood" "$(link_field 1 "$PK2" .connects)" "$connects"
	if [[ $t == tcp ]]; then
		assert_ge "n2 refused flood handshakes" \
			$(($(hs_field 2 refused_rate) + $(hs_field 2 refused_cap))) 1
	fi

	vx 3 peer remove "$PK1"
	vx 1 peer remove "$PK2"
	wait_for 10 "n2 closes the link n1 removed" link_gone 2 "$PK1"
}
link_gone() { [[ -z $(link_json "$1" "$2") ]]; }

say "bad requests to the links, peers, diagnostics and resolve API"
api_bad() { # WANT_STATUS METHOD PATH BODY WORDS
	local code
	code=$(api_status 1 "$2" "$3" -H 'Content-Type: application/json' ${4:+-d "$4"})
	assert_eq "$2 $3 $4: status" "$code" "$1"
	assert_match "$2 $3: message" "$(cat "$API_BODY")" "$5"
}
api_bad 400 POST /api/v1/peers '{"public_key": "zz", "endpoint": "[::1]:1"}' "64-digit hex"
api_bad 400 POST /api/v1/peers '{"public_key": "'"$PK2"'"}' "missing field 'endpoint'"
api_bad 400 POST /api/v1/peers '{"public_key": "'"$PK1"'", "endpoint": "[::1]:1"}' "own key"
api_bad 400 POST /api/v1/peers 'not json' "invalid JSON body"
api_bad 404 DELETE "/api/v1/peers/$PK2" "" "no such peer"
api_bad 400 DELETE /api/v1/peers/nonsense "" "not a node ID or public key"
api_bad 400 POST /api/v1/diag/ping '{"count": 1}' "node: missing"
api_bad 409 POST /api/v1/diag/ping '{"node": "'"$PK2"'"}' "no link"
api_bad 400 POST /api/v1/diag/bench '{"node": "'"$PK2"'", "bytes": -1}' "bytes: expected an integer"
api_bad 400 GET /api/v1/resolve/bad%20name "" "not a node ID"
api_bad 400 POST /api/v1/registry '{"record": "zz"}' "not hex"
api_bad 400 POST /api/v1/registry '{"record": "00", "x": 1}' "nothing else"

# Capture n1's first packets to each port, so its handshake can be replayed.
n2 tcpdump -i eth0 -U -w "$LAB_TMP/tcp.pcap" -c 8 "ip6 src fd00:76::1 and tcp dst port $TCP_PORT" \
	>/dev/null 2>&1 &
LAB_PIDS+=("$!")
n2 tcpdump -i eth0 -U -w "$LAB_TMP/quic.pcap" -c 30 "ip6 src fd00:76::1 and udp dst port $QUIC_PORT" \
	>/dev/null 2>&1 &
LAB_PIDS+=("$!")
sleep 1

run_transport tcp $TCP_PORT
run_transport quic $QUIC_PORT

say "links: OK"
