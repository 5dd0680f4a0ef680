#!/usr/bin/env bash
# bench/services.sh - throughput through a forwarded port (vx6 connect) against
# the same transfer to the overlay address, between two namespaces.
#
#   n1: sender -> 127.0.0.1:15900 (forward) ==link==> n2 vx6d -> 127.0.0.1:9000 sink
#   n1: sender -> [n2 overlay]:9001 (TUN)   ==link==> n2 kernel -> [overlay]:9001 sink
#
# Each transfer sends MB mebibytes (default 1024), REPS times; the sink checks
# the byte count and SHA-256. Prints Mbit/s (median) per path and transport.
#   bench/services.sh            MB=1024 REPS=3 TRANSPORTS=tcp
set -euo pipefail
cd "$(dirname "$0")/.."
MB=${MB:-1024}
REPS=${REPS:-3}
TRANSPORTS=${TRANSPORTS:-tcp} # quic: the overlay path rides QUIC DATAGRAMs, slow (bench/RESULTS.md)
export VX6_BIN=${VX6_BIN:-$PWD/build}
. tests/netns/lib.sh
lab_require_netns
lab_require_bins
lab_create 2
SHA=$LAB_REPO/tests/netns/tools/sha_stream.py
for t in $TRANSPORTS; do
	for i in 1 2; do
		node_setup "$i"
		cat >"${NODE_CFG[i]}" <<-EOF2
			{"state_dir": "${NODE_DIR[i]}", "log_level": "warn",
			 "admin": {"unix_socket": "admin.sock", "listen": null},
			 "listen": [{"address": "::", "port": 7700, "transport": "$t"}],
			 "tun": {"enabled": true}}
		EOF2
		[[ -n ${NODE_PID[i]:-} ]] && stop_node "$i"
		lab_start_node "$i"
	done
	pk1=$(jq -r .public_key "${NODE_DIR[1]}/identity.json")
	pk2=$(jq -r .public_key "${NODE_DIR[2]}/identity.json")
	a2=$(jq -r .overlay_address "${NODE_DIR[2]}/identity.json")
	n1 "$VX6" --state-dir "${NODE_DIR[1]}" peer add "$pk2" --endpoint "[fd00:76::2]:7700" --transport "$t" >/dev/null
	n2 "$VX6" --state-dir "${NODE_DIR[2]}" peer add "$pk1" --endpoint "[fd00:76::1]:7700" --transport "$t" >/dev/null
	wait_for 20 "overlay up" lab_wait_ping 1 "$a2" 1
	ip netns exec "${NODE_NS[2]}" python3 "$SHA" sink 127.0.0.1 9000 & LAB_PIDS+=("$!")
	ip netns exec "${NODE_NS[2]}" python3 "$SHA" sink "$a2" 9001 & LAB_PIDS+=("$!")
	n2 "$VX6" --state-dir "${NODE_DIR[2]}" service add sink --target 127.0.0.1:9000 >/dev/null 2>&1 || true
	n1 "$VX6" --state-dir "${NODE_DIR[1]}" connect n2.sink --listen 127.0.0.1:15900 >/dev/null 2>&1 || true
	sleep 1
	fw=() ov=()
	for ((r = 0; r < REPS; r++)); do
		read -r v ok < <(ip netns exec "${NODE_NS[1]}" python3 "$SHA" send 127.0.0.1 15900 "$MB")
		[[ $ok == ok ]] || fail "forward transfer: $ok"
		fw+=("$v")
		read -r v ok < <(ip netns exec "${NODE_NS[1]}" python3 "$SHA" send "$a2" 9001 "$MB")
		[[ $ok == ok ]] || fail "overlay transfer: $ok"
		ov+=("$v")
	done
	med() { printf '%s\n' "$@" | sort -g | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
	printf '%-5s forwarded port %6s Mbit/s   overlay address %6s Mbit/s   (%d x %d MiB, SHA-256 checked)\n' \
		"$t" "$(med "${fw[@]}")" "$(med "${ov[@]}")" "$REPS" "$MB"
	for pid in "${LAB_PIDS[@]}"; do stop_pid "$pid"; done
	LAB_PIDS=()
done
