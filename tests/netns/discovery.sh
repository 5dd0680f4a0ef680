#!/usr/bin/env bash
# tests/netns/discovery.sh - discovery across a lab of DISC_NODES (30) vx6d,
# each started with only one other node as its known peer.
#
#                     ns vx6-$$-h (hub, bridge br0)
#      +-------+-------+-------+-- ... --+--------+
#     n1      n2      n3      n4        n29      n30      fd00:76::I
#     knows   knows   knows   knows     knows    knows
#     n2      n1      n2      n3        n28      n29
#
# Checks, each within the time it names:
#  1. every node resolves every other node's record (registry, by node ID);
#     one DHT lookup per node for a node it has not stored (GET /resolve);
#  2. n1 is stopped and the others keep resolving (random pairs);
#  3. n5 moves to a new underlay address (netlink tells vx6d, which signs a
#     record with a higher sequence): every other node holds the new
#     record, and n6, which dials n5, follows it to the new endpoint;
#  4. forged, expired, older-sequence and oversized records are refused
#     (POST /api/v1/registry, the same admission as records from peers),
#     and counted.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

N=${DISC_NODES:-30}
CONVERGE_S=${DISC_CONVERGE_S:-120}
MKREC="python3 $(cd "$(dirname "$0")" && pwd)/tools/mkrecord.py"
lab_require_netns
lab_require_bins
lab_create "$N"

disc_config() {
	local i=$1 addr=:: peer=$(($1 == 1 ? 2 : $1 - 1)) pk
	pk=$(jq -r .public_key "${NODE_DIR[peer]}/identity.json")
	cat >"${NODE_CFG[i]}" <<-EOF2
		{"state_dir": "${NODE_DIR[i]}", "log_level": "notice",
		 "admin": {"unix_socket": "admin.sock", "listen": null},
		 "listen": [{"address": "$addr", "port": 7700, "transport": "tcp"}],
		 "peers": [{"public_key": "$pk", "endpoint": "[fd00:76::$peer]:7700"}],
		 "tun": {"enabled": false}}
	EOF2
}

for ((i = 1; i <= N; i++)); do node_setup "$i"; done
# Listeners on "::": a node advertises whatever usable addresses it has, and
# signs a new record when they change (netlink).
for ((i = 1; i <= N; i++)); do disc_config "$i"; done
start=$SECONDS
for ((i = 1; i <= N; i++)); do lab_start_node "$i"; done
ID=()
for ((i = 1; i <= N; i++)); do ID[i]=$(jq -r .node_id "${NODE_DIR[i]}/identity.json"); done

registry_count() { api "$1" GET /api/v1/registry 2>/dev/null | jq '.nodes | length'; }
all_know_all() {
	local i
	for ((i = 1; i <= N; i++)); do
		[[ -n ${NODE_PID[i]} ]] || continue
		(($(registry_count "$i") >= $1)) || return 1
	done
}

say "1. every node learns every other node's record"
wait_for "$CONVERGE_S" "all $N registries hold $N records" all_know_all "$N"
say "converged in $((SECONDS - start)) s after the first start"
for ((i = 1; i <= N; i++)); do
	j=$(((i + N / 2 - 1) % N + 1))
	name=$(api "$i" GET "/api/v1/resolve/${ID[j]}" | jq -r .name)
	assert_eq "n$i resolves n$j" "$name" "n$j"
done
looked_up=$(api 3 GET /api/v1/dht | jq .lookups.ok)
assert_ge "n3 completed DHT lookups" "$looked_up" 1

say "2. n1 stops; the rest keep resolving"
stop_node 1
for k in 1 2 3 4 5 6 7 8 9 10; do
	i=$((RANDOM % (N - 1) + 2))
	j=$((RANDOM % (N - 1) + 2))
	assert_eq "n$i resolves n$j with n1 gone" \
		"$(api "$i" GET "/api/v1/resolve/${ID[j]}" | jq -r .name)" "n$j"
done

say "3. n5 moves to a new underlay address"
old_seq=$(api 5 GET /api/v1/node | jq .record.seq)
old_rec=$(xxd -p "${NODE_DIR[5]}/node.record" | tr -d '\n')
n5 ip -6 addr add fd00:76::105/64 dev eth0 nodad
n5 ip -6 addr del fd00:76::5/64 dev eth0
n5_moved() {
	local node
	node=$(api 5 GET /api/v1/node)
	(($(jq .record.seq <<<"$node") > old_seq)) &&
		[[ $(jq -c '[.record.endpoints[].address]' <<<"$node") == '["fd00:76::105"]' ]]
}
wait_for 10 "n5 signs a record naming only fd00:76::105" n5_moved
new_seq=$(api 5 GET /api/v1/node | jq .record.seq)
has_new_n5() {
	local i seq
	for ((i = 2; i <= N; i++)); do
		seq=$(api "$i" GET "/api/v1/resolve/${ID[5]}" 2>/dev/null | jq .record.seq)
		[[ $seq == "$new_seq" ]] || return 1
	done
}
t0=$SECONDS
wait_for 60 "every node holds n5's new record" has_new_n5
say "n5's new record reached all nodes in $((SECONDS - t0)) s"
n6_follows() {
	api 6 GET /api/v1/links | jq -e --arg id "${ID[5]}" \
		'.links[] | select(.node_id == $id and .state == "up" and
		 (.endpoint | startswith("[fd00:76::105]")))' >/dev/null
}
wait_for 60 "n6 redials n5 at its new address" n6_follows

say "4. forged, expired, older-sequence and oversized records are refused and counted"
refused0=$(api 7 GET /api/v1/dht | jq .sync.refused)
reg0=$(api 7 GET /api/v1/registry | jq .stats.refused)
post_record() { api_status 7 POST /api/v1/registry -H 'Content-Type: application/json' \
	-d "{\"record\": \"$1\"}"; }
# forged: n5's current record with one signature byte flipped
cur=$(xxd -p "${NODE_DIR[5]}/node.record" | tr -d '\n')
forged=${cur:0:${#cur}-2}$(printf '%02x' $(((0x${cur: -2} ^ 1))))
assert_eq "forged record refused" "$(post_record "$forged")" 400
assert_match "forged: reason" "$(cat "$API_BODY")" "bad signature"
now=$(date +%s)
expired=$($MKREC "${NODE_DIR[8]}" 99999999999999999 $((now - 7200)) $((now - 3600)))
assert_eq "expired record refused" "$(post_record "$expired")" 400
assert_match "expired: reason" "$(cat "$API_BODY")" "expired"
assert_eq "older-sequence record refused" "$(post_record "$old_rec")" 400
assert_match "older: reason" "$(cat "$API_BODY")" "not newer"
big=$(head -c 600 /dev/urandom | xxd -p | tr -d '\n')
assert_eq "oversized record refused" "$(post_record "$big")" 400
assert_match "oversized: reason" "$(cat "$API_BODY")" "oversized"
refused1=$(api 7 GET /api/v1/dht | jq .sync.refused)
reg1=$(api 7 GET /api/v1/registry | jq .stats.refused)
assert_ge "refusals counted" $(((refused1 - refused0) + (reg1 - reg0))) 3
assert_eq "n7 still resolves n5's new record" \
	"$(api 7 GET "/api/v1/resolve/${ID[5]}" | jq .record.seq)" "$new_seq"

say "discovery: OK"
