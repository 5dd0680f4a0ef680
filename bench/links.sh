#!/usr/bin/env bash
# bench/links.sh - peer link throughput and latency, per transport, between
# two network namespaces joined by a bridge (tests/netns/lib.sh's lab, MTU
# 1500 underlay), plus handshakes per second (bench/hs_bench).
#
#   n1 vx6d ==== link (tcp | quic) ==== n2 vx6d
#
# For each transport it reports: stream throughput (vx6 bench, REPS runs of
# BYTES, median), datagram echo rate and loss (vx6 ping, COUNT pings of 1200
# bytes as fast as the link takes them), ping RTT (100 pings, 10 ms apart),
# and the daemons' CPU per GB streamed (both ends, from /proc/PID/stat).
#
#   bench/links.sh                 REPS=3 BYTES=1G COUNT=20000
#   REPS=1 BYTES=200M bench/links.sh   a quick run
# Environment: VX6_BIN (default build/). Loopback and lab namespaces only;
# every run is bounded; everything started is stopped on exit.
set -euo pipefail
cd "$(dirname "$0")/.."
REPS=${REPS:-3}
BYTES=${BYTES:-1G}
COUNT=${COUNT:-20000}
export VX6_BIN=${VX6_BIN:-$PWD/build}
. tests/netns/lib.sh
lab_require_netns
lab_require_bins

lab_create 2
for i in 1 2; do
	node_setup "$i"
	cat >"${NODE_CFG[i]}" <<-EOF2
		{"state_dir": "${NODE_DIR[i]}", "log_level": "warn",
		 "admin": {"unix_socket": "admin.sock", "listen": null},
		 "listen": [{"address": "::", "port": 7700, "transport": "tcp"},
		            {"address": "::", "port": 7701, "transport": "quic"}]}
	EOF2
	lab_start_node "$i"
done
vx() { local i=$1; shift; ip netns exec "${NODE_NS[i]}" "$VX6" --state-dir "${NODE_DIR[i]}" "$@"; }
PK2=$(jq -r .public_key "${NODE_DIR[2]}/identity.json")
cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }
link_up() { [[ $(vx 1 links --json | jq -r --arg pk "$PK2" '.links[] | select(.public_key == $pk) | .state') == up ]]; }

printf '\n%-5s %12s %12s %10s %10s %12s\n' transport "stream Mbit/s" "dgram echo/s" "dgram loss" "rtt ms" "CPU s/GB"
for t in tcp quic; do
	port=7700
	[[ $t == quic ]] && port=7701
	vx 1 peer add "$PK2" --endpoint "[fd00:76::2]:$port" --transport "$t" >/dev/null
	wait_for 15 "$t link up" link_up
	rates=()
	c0=$(($(cpu_ticks "${NODE_PID[1]}") + $(cpu_ticks "${NODE_PID[2]}")))
	total=0
	for ((r = 0; r < REPS; r++)); do
		out=$(vx 1 bench "$PK2" --bytes "$BYTES" --json)
		[[ $(jq -r .match <<<"$out") == true ]] || fail "bench digest mismatch: $out"
		rates+=("$(jq -r .mbit_s <<<"$out")")
		total=$((total + $(jq -r .bytes <<<"$out")))
	done
	c1=$(($(cpu_ticks "${NODE_PID[1]}") + $(cpu_ticks "${NODE_PID[2]}")))
	median=$(printf '%s\n' "${rates[@]}" | sort -g | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}')
	cpu_gb=$(awk -v t=$((c1 - c0)) -v hz="$(getconf CLK_TCK)" -v b="$total" \
		'BEGIN {printf "%.2f", t / hz / (b / 1e9)}')
	out=$(vx 1 ping "$PK2" --count "$COUNT" --size 1200 --interval 0 --json || true)
	echo_rate=$(jq -r 'if .seconds > 0 then (.received / .seconds | floor) else 0 end' <<<"$out")
	loss=$(jq -r '.loss * 100 | tostring + "%"' <<<"$out")
	rtt=$(vx 1 ping "$PK2" --count 100 --interval 10 --json | jq -r .rtt_avg_ms)
	printf '%-5s %12.0f %12s %10s %10.3f %12s\n' "$t" "$median" "$echo_rate" "$loss" "$rtt" "$cpu_gb"
	vx 1 peer remove "$PK2" >/dev/null
	sleep 0.5
done
printf '\nhandshakes (in-process, loopback, bench/hs_bench):\n'
"$VX6_BIN/bench/hs_bench" 5
