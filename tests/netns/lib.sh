# shellcheck shell=bash
# tests/netns/lib.sh - the multi-node lab that every tests/netns/<scenario>.sh
# and deploy/quickstart.sh source. It owns the lab's network namespaces, the
# vx6d processes it starts (tracked by PID), their state directories and logs,
# and the assert helpers. It knows nothing about a particular scenario.
#
# Topology made by `lab_create 3` (all names carry the script's PID, $$):
#
#                         ns vx6-$$-h (hub)
#                  +-----------------------------+
#                  |   br0  (bridge, no address) |
#                  +----p1---------p2--------p3--+
#                       |          |         |       veth pairs
#                     eth0       eth0      eth0
#              +-----------+ +-----------+ +-----------+
#              | vx6-$$-n1 | | vx6-$$-n2 | | vx6-$$-n3 |
#              | fd00:76::1| | fd00:76::2| | fd00:76::3|   underlay ULA /64 (nodad)
#              | lo: vx6d  | | lo: vx6d  | | lo: vx6d  |   admin API on 127.0.0.1:7600
#              +-----------+ +-----------+ +-----------+   and $LAB_TMP/nI/admin.sock
#
# Network rules (../shared/DESIGN.md): traffic only to loopback or to addresses
# inside these namespaces; every wait is bounded; only processes this file
# started are stopped, by PID; `trap lab_cleanup EXIT` removes everything.
#
# Environment: VX6_BIN = build directory holding daemon/vx6d and cli/vx6
# (default: <repo>/build). VX6_KEEP_TMP=1 keeps state dirs and logs.
#
# Interface for scenarios:
#   lab_require_netns            exit 77 (skip) unless root with a usable `ip netns`
#   lab_create N                 hub + N node namespaces, underlay checked with ping
#   node_setup I                 state dir, `vx6 init`, config (lab_start_node does it too)
#   lab_start_node I [ARGS...]   start vx6d on node I, wait until /api/v1/health answers
#   stop_node I                  SIGTERM, wait (bounded), assert exit status 0
#   lab_start_fails I WHAT RE    vx6d on (stopped) node I must exit 1 with one stderr line matching RE
#   lab_sshd I ADDR, lab_ssh I ADDR CMD, lab_ssh_local I PORT CMD   OpenSSH server and clients
#   kill_node I                  SIGKILL, reap
#   nI CMD...                    echo CMD and run it in node I's namespace (n1 .. n9)
#   api I METHOD PATH [CURL...]  print the response body; fail on a non-2xx status
#   api_status I METHOD PATH ... print only the status; the body is in $API_BODY
#   auth_header I                a curl -H @FILE with node I's bearer token
#   wait_for SECS WHAT CMD...   poll CMD (bounded)
#   assert*, fail, say           checks that print what failed and exit 1

LAB_REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
VX6_BIN=${VX6_BIN:-$LAB_REPO/build}
VX6D=$VX6_BIN/daemon/vx6d
VX6=$VX6_BIN/cli/vx6

LAB_ID=vx6-$$
LAB_HUB=$LAB_ID-h
LAB_NET=vx6lab                  # overlay network name given to `vx6 init`
LAB_UL_PREFIX=fd00:76::         # underlay /64; node I is ${LAB_UL_PREFIX}I
LAB_ADMIN_LISTEN=127.0.0.1:7600 # per-namespace loopback, so every node uses it
LAB_NODE_PORT=7700
LAB_READY_S=10                  # bound on a node becoming ready
LAB_STOP_S=10                   # bound on a clean shutdown
LAB_NODES=0
LAB_UP=0                        # 1 once lab_create made the hub namespace

declare -a NODE_NS=() NODE_DIR=() NODE_CFG=() NODE_LOG=() NODE_PID=()
declare -a NODE_USER=() # set NODE_USER[I] to run node I's vx6d as that user (no root)
declare -a LAB_PIDS=()          # helper processes (background loops) to stop at exit

LAB_TMP=$(mktemp -d /tmp/vx6-netns.XXXXXX)
chmod 0700 "$LAB_TMP"

# ---- output and asserts -------------------------------------------------------
say() { printf '[%s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
fail() {
	printf '\nFAIL: %s\n' "$*" >&2
	exit 1
}
skip() {
	printf 'SKIP: %s\n' "$*" >&2
	exit 77
}
# assert WHAT CMD...: run CMD; if it fails, report WHAT and the command.
assert() {
	local what=$1
	shift
	"$@" || fail "$what (command: $*)"
}
assert_eq() { [[ $2 == "$3" ]] || fail "$1: expected '$3', got '$2'"; }
assert_ne() { [[ $2 != "$3" ]] || fail "$1: expected something other than '$3'"; }
assert_match() { [[ $2 =~ $3 ]] || fail "$1: '$2' does not match /$3/"; }
assert_ge() {
	[[ $2 =~ ^[0-9]+$ && $3 =~ ^[0-9]+$ ]] || fail "$1: '$2' or '$3' is not a number"
	(($2 >= $3)) || fail "$1: expected >= $3, got $2"
}
# assert_file_mode WHAT FILE MODE (octal, e.g. 600)
assert_file_mode() {
	local m
	m=$(stat -c %a "$2" 2>/dev/null) || fail "$1: '$2' does not exist"
	assert_eq "$1: mode of $2" "$m" "$3"
}
# wait_for SECONDS WHAT CMD...: poll CMD until it succeeds; fail naming WHAT.
wait_for() {
	local secs=$1 what=$2 deadline=$((SECONDS + $1))
	shift 2
	until "$@"; do
		((SECONDS < deadline)) || fail "timed out after $secs s waiting for $what"
		sleep 0.1
	done
}
# jget JSON FILTER: one value out of a JSON text (jq -e: null or false fails).
jget() { jq -er "$2" <<<"$1" || fail "JSON has no usable '$2': $1"; }

# ---- processes ----------------------------------------------------------------
# A zombie still answers kill -0, so look at its state too.
pid_alive() {
	kill -0 "$1" 2>/dev/null || return 1
	local st
	{ read -r st <"/proc/$1/stat"; } 2>/dev/null || return 1
	st=${st##*) }
	[[ ${st:0:1} != Z ]]
}

# wait_pid_exit PID SECONDS: wait (bounded) until PID is gone; 1 on timeout.
wait_pid_exit() {
	local pid=$1 deadline=$((SECONDS + $2))
	while pid_alive "$pid"; do
		((SECONDS < deadline)) || return 1
		sleep 0.05
	done
}

# stop_pid PID: TERM, then KILL after 3 s. Only for PIDs this shell started.
stop_pid() {
	local pid=$1
	pid_alive "$pid" || return 0
	kill -TERM "$pid" 2>/dev/null || true
	wait_pid_exit "$pid" 3 || kill -KILL "$pid" 2>/dev/null || true
	wait_pid_exit "$pid" 2 || true
}

# ---- namespaces ---------------------------------------------------------------
lab_require_netns() {
	[[ $(id -u) -eq 0 ]] || skip "needs root for network namespaces"
	command -v ip >/dev/null || skip "needs iproute2"
	ip netns add "$LAB_ID-probe" 2>/dev/null || skip "ip netns is unusable here"
	ip netns del "$LAB_ID-probe"
}

lab_require_bins() {
	[[ -x $VX6D && -x $VX6 ]] || fail "no binaries under VX6_BIN=$VX6_BIN (build first)"
	command -v curl >/dev/null || fail "needs curl (deploy/install-deps.sh)"
	command -v jq >/dev/null || fail "needs jq (deploy/install-deps.sh)"
}

# node_exec I CMD...: echo CMD, then run it in node I's namespace (or here, if
# node I has none). The echo goes to the script's own stderr (fd LAB_ECHO_FD),
# so that `n1 cmd 2>file` captures only what cmd printed.
exec {LAB_ECHO_FD}>&2
node_exec() {
	local i=$1
	shift
	printf '  [n%s] %s\n' "$i" "$*" >&"$LAB_ECHO_FD"
	if [[ -n ${NODE_NS[i]:-} ]]; then
		ip netns exec "${NODE_NS[i]}" "$@"
	else
		"$@"
	fi
}
for _i in 1 2 3 4 5 6 7 8 9; do
	eval "n$_i() { node_exec $_i \"\$@\"; }"
done
unset _i
hub() {
	printf '  [hub] %s\n' "$*" >&"$LAB_ECHO_FD"
	ip netns exec "$LAB_HUB" "$@"
}

# lab_create N: the hub with its bridge, N nodes, one veth pair per node.
lab_create() {
	local n=$1 i ns
	lab_require_netns
	ip netns add "$LAB_HUB"
	LAB_UP=1
	ip -n "$LAB_HUB" link set lo up
	ip -n "$LAB_HUB" link add br0 type bridge forward_delay 0 stp_state 0
	ip netns exec "$LAB_HUB" sysctl -qw net.ipv6.conf.br0.disable_ipv6=1
	ip -n "$LAB_HUB" link set br0 up
	for ((i = 1; i <= n; i++)); do
		ns=$LAB_ID-n$i
		ip netns add "$ns"
		NODE_NS[i]=$ns
		# shellcheck disable=SC2034 # for scenarios and quickstart
		LAB_NODES=$i
		ip netns exec "$ns" sysctl -qw net.ipv6.conf.all.accept_ra=0 \
			net.ipv6.conf.default.accept_ra=0 net.ipv6.conf.all.autoconf=0 \
			net.ipv6.conf.default.autoconf=0
		ip -n "$ns" link set lo up
		ip link add "p$i" netns "$LAB_HUB" type veth peer name eth0 netns "$ns"
		ip -n "$LAB_HUB" link set "p$i" master br0 up
		ip -n "$ns" addr add "$LAB_UL_PREFIX$i/64" dev eth0 nodad
		ip -n "$ns" link set eth0 up
	done
	# The underlay must work before any scenario relies on it.
	for ((i = 2; i <= n; i++)); do
		lab_wait_ping 1 "$LAB_UL_PREFIX$i" 5 ||
			fail "underlay: n1 cannot ping $LAB_UL_PREFIX$i"
	done
	say "lab up: hub $LAB_HUB, $n nodes on ${LAB_UL_PREFIX}/64, state in $LAB_TMP"
}

# lab_wait_ping I ADDR SECONDS
lab_wait_ping() {
	local deadline=$((SECONDS + $3))
	while ((SECONDS < deadline)); do
		ip netns exec "${NODE_NS[$1]}" ping -6 -n -c 1 -W 1 "$2" >/dev/null 2>&1 && return 0
		sleep 0.2
	done
	return 1
}

# ---- nodes --------------------------------------------------------------------
# write_config FILE STATE_DIR LOG_LEVEL ADMIN_LISTEN LISTEN_ADDR: a complete
# vx6d config. ADMIN_LISTEN "null" disables the loopback TCP listener;
# LISTEN_ADDR "" means no underlay listener.
write_config() {
	local file=$1 dir=$2 level=$3 admin=$4 addr=$5 listen='[]'
	[[ $admin == null ]] || admin="\"$admin\""
	[[ -z $addr ]] ||
		listen="[{\"address\": \"$addr\", \"port\": $LAB_NODE_PORT, \"transport\": \"tcp\"}]"
	cat >"$file.tmp" <<-EOF
		{
			"state_dir": "$dir",
			"log_level": "$level",
			"admin": {"unix_socket": "admin.sock", "listen": $admin},
			"listen": $listen,
			"record_lifetime_s": 86400,
			"tun": {"enabled": ${LAB_TUN:-false}}
		}
	EOF
	mv -f "$file.tmp" "$file"
}

# node_setup I: paths, identity (`vx6 init` once) and config for node I. A
# node inside the lab gets its underlay address and the default admin port;
# a node outside any namespace gets no TCP admin listener at all, so nothing
# is bound on the host.
node_setup() {
	local i=$1
	[[ -n ${NODE_DIR[i]:-} ]] && return 0
	NODE_DIR[i]=$LAB_TMP/n$i
	NODE_CFG[i]=$LAB_TMP/n$i.json
	NODE_LOG[i]=$LAB_TMP/n$i.log
	if [[ -n ${NODE_NS[i]:-} ]]; then
		write_config "${NODE_CFG[i]}" "${NODE_DIR[i]}" notice "$LAB_ADMIN_LISTEN" "$LAB_UL_PREFIX$i"
	else
		write_config "${NODE_CFG[i]}" "${NODE_DIR[i]}" notice null ""
	fi
	"$VX6" init --name "n$i" --network "$LAB_NET" --state-dir "${NODE_DIR[i]}" \
		>"$LAB_TMP/n$i.init.out" 2>&1 ||
		fail "vx6 init for n$i: $(cat "$LAB_TMP/n$i.init.out")"
}

# lab_start_node I [VX6D ARGS...]: start vx6d for node I in the background and
# wait until it is ready (health answers). Extra args follow --config.
lab_start_node() {
	local i=$1
	shift
	node_setup "$i"
	printf '=== %s start: vx6d --config %s %s\n' "$(date +%T.%N)" "${NODE_CFG[i]}" "$*" \
		>>"${NODE_LOG[i]}"
	local -a as=()
	if [[ -n ${NODE_USER[i]:-} ]]; then
		# Without root: no capabilities at all, state and config handed over.
		chmod 0711 "$LAB_TMP"
		chown -R "${NODE_USER[i]}:" "${NODE_DIR[i]}" "${NODE_CFG[i]}"
		as=(setpriv --reuid="${NODE_USER[i]}" --regid="$(id -g "${NODE_USER[i]}")"
			--clear-groups --inh-caps=-all --bounding-set=-all)
	fi
	if [[ -n ${NODE_NS[i]:-} ]]; then
		# `ip netns exec` (and setpriv) exec vx6d, so $! is vx6d's own PID.
		ip netns exec "${NODE_NS[i]}" "${as[@]}" "$VX6D" --config "${NODE_CFG[i]}" "$@" \
			</dev/null >>"${NODE_LOG[i]}" 2>&1 &
	else
		"$VX6D" --config "${NODE_CFG[i]}" "$@" </dev/null >>"${NODE_LOG[i]}" 2>&1 &
	fi
	NODE_PID[i]=$!
	wait_ready "$i" "$LAB_READY_S"
}

# wait_ready I SECONDS: until GET /api/v1/health gives 200; fail early if the
# daemon exits.
wait_ready() {
	local i=$1 deadline=$((SECONDS + $2)) rc
	while ((SECONDS < deadline)); do
		if ! pid_alive "${NODE_PID[i]}"; then
			rc=0
			wait "${NODE_PID[i]}" || rc=$?
			fail "n$i: vx6d exited with status $rc before it was ready:
$(tail -n 5 "${NODE_LOG[i]}")"
		fi
		if [[ -S ${NODE_DIR[i]}/admin.sock && -s ${NODE_DIR[i]}/admin.token ]] &&
			[[ $(api_status "$i" GET /api/v1/health 2>/dev/null) == 200 ]]; then
			return 0
		fi
		sleep 0.05
	done
	fail "n$i: vx6d (pid ${NODE_PID[i]}) not ready within $2 s"
}

# stop_node I: SIGTERM, bounded wait, assert exit status 0.
stop_node() {
	local i=$1 pid=${NODE_PID[$1]} rc=0
	kill -TERM "$pid"
	wait_pid_exit "$pid" "$LAB_STOP_S" || {
		kill -KILL "$pid" 2>/dev/null
		fail "n$i: vx6d (pid $pid) still running $LAB_STOP_S s after SIGTERM"
	}
	wait "$pid" || rc=$?
	NODE_PID[i]=""
	assert_eq "n$i: vx6d exit status after SIGTERM" "$rc" 0
}

# lab_start_fails I WHAT REGEX: start vx6d for the stopped node I, which must
# refuse to start (a bad WHAT, e.g. a state file): exit status 1 within 10 s
# and exactly one line on stderr, matching REGEX.
lab_start_fails() {
	local i=$1 rc=0
	ip netns exec "${NODE_NS[i]}" timeout -k 2 10 "$VX6D" --config "${NODE_CFG[i]}" \
		</dev/null >/dev/null 2>"$LAB_TMP/err" || rc=$?
	assert_eq "vx6d exit status with a bad $2" "$rc" 1
	assert_eq "one line on stderr" "$(wc -l <"$LAB_TMP/err")" 1
	assert_match "stderr names the problem" "$(cat "$LAB_TMP/err")" "$3"
}

# kill_node I: SIGKILL. Its status (137) is expected and not checked; disown
# keeps bash from printing "Killed" for it.
kill_node() {
	local pid=${NODE_PID[$1]}
	disown "$pid" 2>/dev/null || true
	kill -KILL "$pid" 2>/dev/null || true
	wait_pid_exit "$pid" 5 || fail "n$1: vx6d (pid $pid) survived SIGKILL"
	NODE_PID[$1]=""
}

# ---- admin API ----------------------------------------------------------------
# api_status I METHOD PATH [CURL ARGS...]: request over node I's unix socket
# with its token; print the HTTP status (000: no answer). The body lands in
# $API_BODY; a background loop sets its own API_BODY so that it does not mix
# its bodies with the main script's.
API_BODY=$LAB_TMP/body
api_status() {
	local i=$1 method=$2 path=$3 tok="" body=$API_BODY
	shift 3
	[[ -r ${NODE_DIR[i]}/admin.token ]] && tok=$(<"${NODE_DIR[i]}/admin.token")
	curl -sS --max-time 5 --unix-socket "${NODE_DIR[i]}/admin.sock" -X "$method" \
		-H "Authorization: Bearer $tok" -o "$body" -w '%{http_code}' \
		"$@" "http://localhost$path" 2>"$body.err" || true
}

# auth_header I: print the path of a curl header file (`-H @FILE`) holding
# node I's bearer token, so that echoed commands do not show the token.
auth_header() {
	local f=$LAB_TMP/n$1.auth
	[[ -s $f ]] || printf 'Authorization: Bearer %s\n' "$(<"${NODE_DIR[$1]}/admin.token")" >"$f"
	printf '%s' "$f"
}

# api I METHOD PATH [CURL ARGS...]: print the body; fail on a non-2xx status.
api() {
	local code body=$API_BODY
	code=$(api_status "$@")
	[[ $code == 2?? ]] ||
		fail "n$1: $2 $3 gave HTTP $code: $(cat "$body" "$body.err" 2>/dev/null)"
	cat "$body"
}

# ---- OpenSSH over the overlay ------------------------------------------------
# lab_sshd I ADDR: start an OpenSSH server in node I listening only on ADDR,
# with a fresh host key and one client key (in $LAB_TMP/ssh) allowed for
# root. Its PID is tracked for cleanup.
lab_sshd() {
	local i=$1 addr=$2 d=$LAB_TMP/ssh
	mkdir -p "$d" /run/sshd
	[[ -f $d/client ]] || ssh-keygen -q -t ed25519 -N '' -f "$d/client" >/dev/null
	[[ -f $d/host ]] || ssh-keygen -q -t ed25519 -N '' -f "$d/host" >/dev/null
	cp "$d/client.pub" "$d/authorized_keys"
	chmod 600 "$d/authorized_keys"
	cat >"$d/sshd_n$i.conf" <<-EOF
		ListenAddress $addr
		Port 22
		HostKey $d/host
		AuthorizedKeysFile $d/authorized_keys
		PidFile $d/sshd_n$i.pid
		PermitRootLogin prohibit-password
		PasswordAuthentication no
		KbdInteractiveAuthentication no
		UsePAM no
		StrictModes no
	EOF
	ip netns exec "${NODE_NS[i]}" /usr/sbin/sshd -D -e -f "$d/sshd_n$i.conf" \
		2>>"$d/sshd_n$i.log" &
	LAB_PIDS+=("$!")
}

# lab_ssh I ADDR CMD...: ssh from node I to root@ADDR with the lab's key.
lab_ssh() {
	local i=$1 addr=$2
	shift 2
	ip netns exec "${NODE_NS[i]}" ssh -i "$LAB_TMP/ssh/client" -o BatchMode=yes \
		-o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null -o ConnectTimeout=5 \
		-o LogLevel=ERROR "root@$addr" "$@"
}

# lab_ssh_local I PORT CMD...: ssh from node I to root@127.0.0.1:PORT (a
# forwarded port) with the lab's key, bounded to 20 s.
lab_ssh_local() {
	local i=$1 port=$2
	shift 2
	ip netns exec "${NODE_NS[i]}" timeout 20 ssh -p "$port" -i "$LAB_TMP/ssh/client" \
		-o BatchMode=yes -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null \
		-o ConnectTimeout=5 -o LogLevel=ERROR root@127.0.0.1 "$@"
}

# ---- cleanup ------------------------------------------------------------------
lab_cleanup() {
	local rc=$? i ns pid
	trap - EXIT INT TERM
	set +e
	for pid in "${LAB_PIDS[@]}" "${NODE_PID[@]}"; do
		[[ -n $pid ]] && stop_pid "$pid"
	done
	# Anything still inside our own namespaces was started by this script.
	if ((LAB_UP)); then
		for ns in "${NODE_NS[@]}" "$LAB_HUB"; do
			ip netns pids "$ns" 2>/dev/null | while read -r pid; do stop_pid "$pid"; done
			ip netns del "$ns" 2>/dev/null
		done
	fi
	if ((rc != 0 && rc != 77)); then
		for ((i = 1; i <= ${#NODE_LOG[@]} + 1; i++)); do
			[[ -s ${NODE_LOG[i]:-} ]] || continue
			printf '\n----- n%s vx6d log (last 40 lines of %s) -----\n' "$i" "${NODE_LOG[i]}" >&2
			tail -n 40 "${NODE_LOG[i]}" >&2
		done
	fi
	if [[ ${VX6_KEEP_TMP:-0} == 1 ]]; then
		printf 'kept %s\n' "$LAB_TMP" >&2
	else
		rm -rf "$LAB_TMP"
	fi
	exit "$rc"
}
trap lab_cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
