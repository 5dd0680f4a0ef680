# shellcheck shell=bash
# bench/peers-systems/vx6.sh - vx6 as a system of ../shared/bench/peers/ (see
# its README): one vx6d per namespace with its own state dir and TUN "vx6",
# in direct-IPv6 mode (each side `vx6 peer add`s the other), over VX6_TRANSPORT
# (tcp | quic | udp). Overlay addresses are vx6's own (derived from the keys).
# Run from the project root:
#   SYSTEMS_DIRS=$PWD/bench/peers-systems OUT=$PWD/bench/results \
#     SYSTEMS="baseline wireguard-go nebula yggdrasil tinc vx6" ../shared/bench/peers/run-all.sh
SYS_PKGS=()
VX6_BUILD=${VX6_BUILD:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)/build}
VX6_TRANSPORT=${VX6_TRANSPORT:-tcp}
VX6_PORT=${VX6_PORT:-7700}
VX6_MTU=${VX6_MTU:-1400}

sys_version() { echo "vx6 $("$VX6_BUILD/daemon/vx6d" --version | cut -d' ' -f2) transport=$VX6_TRANSPORT"; }

vx6_node() {
	local name=$1 ns=$2 ul=$3 dir=$RUN_DIR/$1
	"$VX6_BUILD/cli/vx6" init --name "$name" --state-dir "$dir" >/dev/null
	cat >"$RUN_DIR/$name.json" <<-EOF2
		{"state_dir": "$dir", "log_level": "warn",
		 "admin": {"unix_socket": "admin.sock", "listen": null},
		 "listen": [{"address": "$ul", "port": $VX6_PORT, "transport": "$VX6_TRANSPORT"}],
		 "tun": {"enabled": true, "name": "vx6", "mtu": $VX6_MTU}}
	EOF2
	bg_in_ns "$ns" "$RUN_DIR/$name.log" "vx6d-$name" -- "$VX6_BUILD/daemon/vx6d" \
		--config "$RUN_DIR/$name.json"
}

sys_up() {
	local i pka pkb
	[[ -x $VX6_BUILD/daemon/vx6d ]] || { echo "vx6: build first (no $VX6_BUILD/daemon/vx6d)" >&2; return 1; }
	vx6_node a "$NS_A" "$UL6_A"
	vx6_node b "$NS_B" "$UL6_B"
	for i in $(seq 1 50); do
		[[ -S $RUN_DIR/a/admin.sock && -S $RUN_DIR/b/admin.sock ]] && break
		sleep 0.1
	done
	pka=$(jq -r .public_key "$RUN_DIR/a/identity.json")
	pkb=$(jq -r .public_key "$RUN_DIR/b/identity.json")
	nsA "$VX6_BUILD/cli/vx6" --state-dir "$RUN_DIR/a" peer add "$pkb" \
		--endpoint "[$UL6_B]:$VX6_PORT" --transport "$VX6_TRANSPORT" >/dev/null
	nsB "$VX6_BUILD/cli/vx6" --state-dir "$RUN_DIR/b" peer add "$pka" \
		--endpoint "[$UL6_A]:$VX6_PORT" --transport "$VX6_TRANSPORT" >/dev/null
	SYS_DST=$(jq -r .overlay_address "$RUN_DIR/b/identity.json")
	SYS_IF_A=vx6
}
