#!/usr/bin/env bash
# deploy/quickstart.sh - from a fresh Debian 12 machine (as root) to a working
# three-node vx6 lab, and back: install the dependencies, build the release
# binaries in build/, start three vx6d nodes in network namespaces joined by a
# bridge (tests/netns/lib.sh), and show them working. Everything it made is
# torn down when it exits; with --keep it stays up until Ctrl-C.
#
#                         ns vx6-<pid>-h: br0
#                   +---------+-----+-----+---------+
#                 veth      veth       veth
#          vx6-<pid>-n1   vx6-<pid>-n2   vx6-<pid>-n3
#          fd00:76::1     fd00:76::2     fd00:76::3      underlay (ULA /64)
#          vx6d "n1"      vx6d "n2"      vx6d "n3"       admin API: 127.0.0.1:7600
#                                                        inside each namespace
#
# The demo runs as numbered steps (the STEPS list below). A new capability
# adds its demonstration as one more step_<name> function and one entry in
# STEPS, and fails the quickstart when the demonstration fails.
#
# Usage: ./deploy/quickstart.sh [--keep] [--no-deps] [--no-build]
set -euo pipefail

REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$REPO"

KEEP=0
DEPS=1
BUILD=1
for arg in "$@"; do
	case $arg in
	--keep) KEEP=1 ;;
	--no-deps) DEPS=0 ;;
	--no-build) BUILD=0 ;;
	-h | --help)
		sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'
		exit 0
		;;
	*)
		echo "quickstart: unknown argument '$arg' (try --help)" >&2
		exit 2
		;;
	esac
done
if [[ $(id -u) -ne 0 ]]; then
	echo "quickstart: run as root (it installs packages and creates network namespaces)" >&2
	exit 1
fi

NODES=3
STEPS=(deps build lab status api links overlay services)
export VX6_BIN=$REPO/build
export LAB_TUN=true # every node gets its overlay interface
# shellcheck source=tests/netns/lib.sh
source "$REPO/tests/netns/lib.sh"

banner() { printf '\n\033[1m== step %s: %s\033[0m\n' "$1" "$2"; }

step_deps() {
	banner "$1" "install Debian packages (deploy/install-deps.sh)"
	if ((DEPS)); then
		./deploy/install-deps.sh
	else
		echo "skipped (--no-deps)"
	fi
}

step_build() {
	banner "$1" "build the release binaries (-O2 -g) in build/"
	if ((BUILD)); then
		local log=$LAB_TMP/build.log
		if ! { CC=gcc cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo &&
			cmake --build build -j 2 --target vx6d vx6; } >"$log" 2>&1; then
			tail -n 40 "$log" >&2
			fail "the build failed (last 40 lines of its log above)"
		fi
		echo "built build/daemon/vx6d and build/cli/vx6"
	else
		echo "skipped (--no-build)"
	fi
	lab_require_bins
	"$VX6" version
}

step_lab() {
	local i
	banner "$1" "start $NODES vx6d nodes in network namespaces"
	lab_create "$NODES"
	for ((i = 1; i <= NODES; i++)); do
		lab_start_node "$i"
		echo "n$i: vx6d pid ${NODE_PID[i]} in ns ${NODE_NS[i]}, state dir ${NODE_DIR[i]}"
	done
}

step_status() {
	local i node
	banner "$1" "vx6 status on every node"
	for ((i = 1; i <= NODES; i++)); do
		node_exec "$i" "$VX6" --state-dir "${NODE_DIR[i]}" status
		echo
	done
	printf '%-4s %-14s %-40s %s\n' node underlay overlay-address node-id
	for ((i = 1; i <= NODES; i++)); do
		node=$(api "$i" GET /api/v1/node)
		printf '%-4s %-14s %-40s %s\n' "n$i" "$LAB_UL_PREFIX$i" \
			"$(jget "$node" .overlay_address)" "$(jget "$node" .node_id)"
	done
}

step_api() {
	banner "$1" "the admin API: GET /api/v1/node on n1 (loopback, bearer token)"
	n1 curl -sS --max-time 5 -H @"$(auth_header 1)" "http://$LAB_ADMIN_LISTEN/api/v1/node" | jq .
}

# Each node adds the next one as a peer (a ring over TCP + Noise IK); every
# link must come up on both sides, carry pings, and a stream whose SHA-256
# matches at both ends.
step_links() {
	local i j pk state
	banner "$1" "authenticated peer links: vx6 peer add, vx6 links, vx6 ping, vx6 bench"
	for ((i = 1; i <= NODES; i++)); do
		j=$((i % NODES + 1))
		pk=$(jq -r .public_key "${NODE_DIR[j]}/identity.json")
		node_exec "$i" "$VX6" --state-dir "${NODE_DIR[i]}" peer add "$pk" \
			--endpoint "[$LAB_UL_PREFIX$j]:$LAB_NODE_PORT" --transport tcp
	done
	for ((i = 1; i <= NODES; i++)); do
		j=$((i % NODES + 1))
		pk=$(jq -r .public_key "${NODE_DIR[j]}/identity.json")
		wait_for 15 "link n$i -> n$j up" link_state_is "$i" "$pk" up
	done
	node_exec 1 "$VX6" --state-dir "${NODE_DIR[1]}" links
	pk=$(jq -r .public_key "${NODE_DIR[2]}/identity.json")
	node_exec 1 "$VX6" --state-dir "${NODE_DIR[1]}" ping "$pk" --count 5 --interval 100
	node_exec 1 "$VX6" --state-dir "${NODE_DIR[1]}" bench "$pk" --bytes 50M
}

# The overlay: each node has its address on its TUN device; ping6 goes
# between every pair, and ssh runs a command on n2 through its overlay address.
step_overlay() {
	local i j a
	banner "$1" "the overlay: ping6 between overlay addresses, ssh over the overlay"
	for ((i = 1; i <= NODES; i++)); do
		node_exec "$i" ip -6 -brief addr show dev vx6
	done
	for ((i = 1; i <= NODES; i++)); do
		for ((j = 1; j <= NODES; j++)); do
			((i == j)) && continue
			a=$(jq -r .overlay_address "${NODE_DIR[j]}/identity.json")
			wait_for 15 "n$i reaches n$j over the overlay" lab_wait_ping "$i" "$a" 1
			node_exec "$i" ping -6 -n -c 2 -i 0.2 "$a" | tail -2
		done
	done
	a=$(jq -r .overlay_address "${NODE_DIR[2]}/identity.json")
	lab_sshd 2 "$a"
	sshd_ready() { lab_ssh 1 "$a" true 2>/dev/null; }
	wait_for 10 "sshd on n2's overlay address" sshd_ready
	echo "  [n1] ssh root@$a 'hostname; ip -6 -brief addr show dev vx6'"
	lab_ssh 1 "$a" 'hostname; ip -6 -brief addr show dev vx6'
}

# A named service: n2 keeps its OpenSSH server on 127.0.0.1 and publishes it
# as n2.ssh; n1 gets a local port that reaches it (no TUN needed for this).
step_services() {
	banner "$1" "named services: n2 publishes its ssh as n2.ssh, n1 connects through a local port"
	lab_sshd 2 127.0.0.1
	node_exec 2 "$VX6" --state-dir "${NODE_DIR[2]}" service add ssh --target 127.0.0.1:22
	node_exec 1 "$VX6" --state-dir "${NODE_DIR[1]}" connect n2.ssh --listen 127.0.0.1:15022
	wait_for 20 "ssh through n1's forwarded port" forward_ssh true
	echo "  [n1] ssh -p 15022 root@127.0.0.1 'hostname; ip -6 -brief addr show dev eth0'"
	forward_ssh 'hostname; ip -6 -brief addr show dev eth0'
	node_exec 1 "$VX6" --state-dir "${NODE_DIR[1]}" forwards
}

forward_ssh() {
	ip netns exec "${NODE_NS[1]}" ssh -p 15022 -i "$LAB_TMP/ssh/client" -o BatchMode=yes \
		-o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null -o ConnectTimeout=5 \
		-o LogLevel=ERROR root@127.0.0.1 "$@"
}

link_state_is() {
	[[ $(node_exec "$1" "$VX6" --state-dir "${NODE_DIR[$1]}" links --json 2>/dev/null |
		jq -r --arg pk "$2" '.links[] | select(.public_key == $pk) | .state') == "$3" ]]
}

n=0
for s in "${STEPS[@]}"; do
	n=$((n + 1))
	"step_$s" "$n"
done

if ((KEEP)); then
	cat <<-EOF

		The lab is up. In another shell, for example:
		  ip netns exec ${NODE_NS[1]} $VX6 --state-dir ${NODE_DIR[1]} status
		  curl -s --unix-socket ${NODE_DIR[2]}/admin.sock \\
		       -H "Authorization: Bearer \$(cat ${NODE_DIR[2]}/admin.token)" http://localhost/api/v1/node
		  kill -HUP ${NODE_PID[3]}    # n3 reloads ${NODE_CFG[3]}
		Logs: $LAB_TMP/n*.log
		Press Ctrl-C to stop the nodes and remove the lab.
	EOF
	trap 'printf "\nquickstart: stopping the lab\n"; exit 0' INT TERM
	sleep infinity &
	LAB_PIDS+=("$!")
	wait "$!" || true
fi

printf '\nquickstart: %d nodes came up, linked, reached each other over the overlay and through a named service; tearing the lab down.\n' "$NODES"
