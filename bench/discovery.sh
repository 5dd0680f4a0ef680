#!/usr/bin/env bash
# bench/discovery.sh - discovery speed on a lab of N (30) vx6d in network
# namespaces, each configured with one other node (tests/netns/discovery.sh's
# topology). Prints:
#   - convergence: seconds from the first start until every registry holds
#     every record;
#   - DHT resolve latency p50/p95/max over LOOKUPS lookups of random node IDs
#     with the registry bypassed (GET /api/v1/resolve/ID?source=dht), each
#     timed by curl inside the asking node's namespace;
#   - address change: seconds from n5 moving to a new address until every
#     node holds its new record, and until n6 (which dials n5) is linked to
#     the new endpoint.
#
#   bench/discovery.sh            N=30 LOOKUPS=100
set -euo pipefail
cd "$(dirname "$0")/.."
N=${N:-30}
LOOKUPS=${LOOKUPS:-100}
export VX6_BIN=${VX6_BIN:-$PWD/build}
. tests/netns/lib.sh
lab_require_netns
lab_require_bins
lab_create "$N"

cfg() {
	local i=$1 peer=$(($1 == 1 ? 2 : $1 - 1)) pk
	pk=$(jq -r .public_key "${NODE_DIR[peer]}/identity.json")
	cat >"${NODE_CFG[i]}" <<-EOF2
		{"state_dir": "${NODE_DIR[i]}", "log_level": "warn",
		 "admin": {"unix_socket": "admin.sock", "listen": null},
		 "listen": [{"address": "::", "port": 7700, "transport": "tcp"}],
		 "peers": [{"public_key": "$pk", "endpoint": "[fd00:76::$peer]:7700"}],
		 "tun": {"enabled": false}}
	EOF2
}
for ((i = 1; i <= N; i++)); do node_setup "$i"; done
for ((i = 1; i <= N; i++)); do cfg "$i"; done
t0=$(date +%s.%N)
for ((i = 1; i <= N; i++)); do lab_start_node "$i"; done
ID=()
for ((i = 1; i <= N; i++)); do ID[i]=$(jq -r .node_id "${NODE_DIR[i]}/identity.json"); done
all_know() {
	local i
	for ((i = 1; i <= N; i++)); do
		(($(api "$i" GET /api/v1/registry | jq '.nodes | length') >= N)) || return 1
	done
}
wait_for 180 "convergence" all_know
conv=$(echo "$(date +%s.%N) - $t0" | bc)

lat=()
for ((k = 0; k < LOOKUPS; k++)); do
	i=$((RANDOM % N + 1))
	j=$((RANDOM % N + 1))
	((i == j)) && j=$((i % N + 1))
	t=$(ip netns exec "${NODE_NS[i]}" curl -s -o /dev/null -w '%{time_total}' --max-time 35 \
		--unix-socket "${NODE_DIR[i]}/admin.sock" -H @"$(auth_header "$i")" \
		"http://localhost/api/v1/resolve/${ID[j]}?source=dht")
	lat+=("$t")
done
read -r p50 p95 pmax < <(printf '%s\n' "${lat[@]}" | sort -g |
	awk '{a[NR]=$1} END {printf "%.1f %.1f %.1f\n", a[int(NR*0.5+0.5)]*1000, a[int(NR*0.95+0.5)]*1000, a[NR]*1000}')

old=$(api 5 GET /api/v1/node | jq .record.seq)
ta=$(date +%s.%N)
n5 ip -6 addr add fd00:76::105/64 dev eth0 nodad
n5 ip -6 addr del fd00:76::5/64 dev eth0
moved() { (($(api 5 GET /api/v1/node | jq .record.seq) > old)); }
wait_for 10 "n5 re-signs" moved
new=$(api 5 GET /api/v1/node | jq .record.seq)
everyone() {
	local i
	for ((i = 1; i <= N; i++)); do
		((i == 5)) && continue
		[[ $(api "$i" GET "/api/v1/resolve/${ID[5]}" | jq .record.seq) == "$new" ]] || return 1
	done
}
wait_for 60 "every node has n5's new record" everyone
t_all=$(echo "$(date +%s.%N) - $ta" | bc)
n6_on_new() {
	api 6 GET /api/v1/links | jq -e --arg id "${ID[5]}" '.links[] | select(.node_id == $id and
		.state == "up" and (.endpoint | startswith("[fd00:76::105]")))' >/dev/null
}
wait_for 60 "n6 on n5's new endpoint" n6_on_new
t_n6=$(echo "$(date +%s.%N) - $ta" | bc)

printf '\nnodes %d: convergence %.1f s\n' "$N" "$conv"
printf 'DHT resolve over %d lookups: p50 %s ms, p95 %s ms, max %s ms\n' "$LOOKUPS" "$p50" "$p95" "$pmax"
printf 'address change: every node has the new record after %.2f s; n6 linked to the new endpoint after %.2f s\n' \
	"$t_all" "$t_n6"
