#!/usr/bin/env bash
# tests/netns/basic.sh - the foundation on three nodes: each vx6d starts and
# answers the admin API with its own identity; the CLI talks to it; SIGHUP
# applies a good config and refuses a bad one; SIGTERM stops it cleanly; a
# second vx6d on the same state directory is refused; and no acknowledged
# write of the node record is lost when vx6d is killed with SIGKILL at a
# random moment (docs/operations.md, docs/admin-api.md).
#
#                         ns vx6-$$-h (hub)
#                  +-----------------------------+
#                  |   br0  (bridge, no address) |
#                  +----p1---------p2--------p3--+
#                       |          |         |
#                     eth0       eth0      eth0
#              +-----------+ +-----------+ +-----------+
#              | vx6-$$-n1 | | vx6-$$-n2 | | vx6-$$-n3 |
#              | fd00:76::1| | fd00:76::2| | fd00:76::3|
#              | vx6d      | | vx6d      | | vx6d      |
#              +-----------+ +-----------+ +-----------+
#   n1: reloads, then the kill -9 rounds; n2: second-instance refusal;
#   n3: SIGTERM and restart with the same identity.
#
# Knobs: CRASH_ROUNDS (default 20), VX6_BIN, VX6_KEEP_TMP=1.
set -euo pipefail
# shellcheck source=tests/netns/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

CRASH_ROUNDS=${CRASH_ROUNDS:-20}

lab_require_netns
lab_require_bins

# prefix48 ADDR: the first 48 bits of an IPv6 address, in full form.
prefix48() { python3 -c 'import ipaddress, sys; print(ipaddress.ip_address(sys.argv[1]).exploded[:14])' "$1"; }
health() { api "$1" GET /api/v1/health; }
health_gen_is() {
	local h
	h=$(health "$1") && [[ $(jq -r .config_generation <<<"$h") == "$2" ]]
}
log_has_since() { tail -c +"$(($2 + 1))" "${NODE_LOG[$1]}" | grep -q -- "$3"; }
state_files() { find "${NODE_DIR[$1]}" -mindepth 1 -maxdepth 1 -printf '%f\n' | sort | tr '\n' ' '; }
log_size() { stat -c %s "${NODE_LOG[$1]}"; }

lab_create 3
for i in 1 2 3; do
	lab_start_node "$i"
done

# ---------------------------------------------------------------------------
say "1. each node has its own identity, in one overlay /48"
declare -A seen=()
net48=""
for i in 1 2 3; do
	node=$(api "$i" GET /api/v1/node)
	name=$(jget "$node" .name)
	id=$(jget "$node" .node_id)
	addr=$(jget "$node" .overlay_address)
	assert_eq "n$i: name" "$name" "n$i"
	assert_match "n$i: node_id" "$id" '^[a-z2-7]{52}$'
	assert_match "n$i: overlay_address" "$addr" '^fd[0-9a-f]{2}:'
	assert_match "n$i: public_key" "$(jget "$node" .public_key)" '^[0-9a-f]{64}$'
	assert_eq "n$i: network" "$(jget "$node" .network)" "$LAB_NET"
	[[ -z ${seen[$id]:-} ]] || fail "n$i has the same node_id as ${seen[$id]}"
	[[ -z ${seen[$addr]:-} ]] || fail "n$i has the same overlay address as ${seen[$addr]}"
	seen[$id]=n$i
	seen[$addr]=n$i
	p=$(prefix48 "$addr")
	[[ -z $net48 ]] && net48=$p
	assert_eq "n$i: overlay /48 (same network name, same prefix)" "$p" "$net48"
	assert_ge "n$i: record.seq" "$(jget "$node" .record.seq)" 1
	issued=$(jget "$node" .record.issued)
	expires=$(jget "$node" .record.expires)
	assert_eq "n$i: record lifetime (record_lifetime_s)" "$((expires - issued))" 86400
	eps=$(jq -c .record.endpoints <<<"$node")
	assert_match "n$i: record endpoints name the underlay listener" "$eps" "fd00:76::$i\""

	# The harness tracks vx6d itself (not a wrapper), inside its own namespace.
	assert_eq "n$i: process ${NODE_PID[i]}" "$(cat "/proc/${NODE_PID[i]}/comm")" vx6d
	assert_eq "n$i: namespace of vx6d" "$(ip netns identify "${NODE_PID[i]}")" "${NODE_NS[i]}"

	dir=${NODE_DIR[i]}
	assert_file_mode "n$i: identity key" "$dir/identity.key" 600
	assert_file_mode "n$i: admin token" "$dir/admin.token" 600
	assert_match "n$i: admin token" "$(<"$dir/admin.token")" '^[0-9a-f]{64}$'
	assert_eq "n$i: admin token size (64 hex + newline)" "$(stat -c %s "$dir/admin.token")" 65
	assert "n$i: node.record exists" test -s "$dir/node.record"

	say "   n$i: vx6 status / identity show"
	out=$(n"$i" "$VX6" --state-dir "$dir" status) || fail "n$i: vx6 status failed: $out"
	printf '%s\n' "$out" | sed 's/^/      /' >&2
	[[ $out == *"$id"* || $out == *"n$i"* ]] || fail "n$i: vx6 status names neither node ID nor name: $out"
	out=$(n"$i" "$VX6" --state-dir "$dir" status --json) || fail "n$i: vx6 status --json failed: $out"
	assert "n$i: vx6 status --json is JSON" jq -e . <<<"$out" >/dev/null
	out=$(n"$i" "$VX6" --state-dir "$dir" identity show --json) ||
		fail "n$i: vx6 identity show --json failed: $out"
	assert_eq "n$i: identity show --json node_id = API node_id" "$(jget "$out" .node_id)" "$id"
done

# ---------------------------------------------------------------------------
say "2. admin API: loopback only, bearer token, JSON errors"
code=$(n1 curl -sS --max-time 5 -o /dev/null -w '%{http_code}' \
	-H @"$(auth_header 1)" http://127.0.0.1:7600/api/v1/health)
assert_eq "n1: health on 127.0.0.1:7600 with the token" "$code" 200
code=$(n1 curl -sS --max-time 5 -o /dev/null -w '%{http_code}' http://127.0.0.1:7600/api/v1/health)
assert_eq "n1: health on 127.0.0.1:7600 without a token" "$code" 401
code=$(curl -sS --max-time 5 -o /dev/null -w '%{http_code}' --unix-socket "${NODE_DIR[1]}/admin.sock" \
	-H "Authorization: Bearer $(printf '%064d' 0)" http://localhost/api/v1/node)
assert_eq "n1: /api/v1/node with a wrong token" "$code" 401
# Nothing may listen for the admin API on the underlay.
code=$(n2 curl -sS --max-time 3 -o /dev/null -w '%{http_code}' "http://[fd00:76::1]:7600/api/v1/health" 2>/dev/null || true)
assert_eq "n2 -> n1 underlay [fd00:76::1]:7600 (must not answer)" "$code" 000
code=$(api_status 1 GET /api/v1/no-such-thing)
assert_eq "n1: unknown path" "$code" 404
assert_eq "n1: 404 error body" "$(jq -r .error.status "$API_BODY")" 404
assert_match "n1: 404 error message" "$(jq -r .error.message "$API_BODY")" '.'
code=$(api_status 1 DELETE /api/v1/node)
assert_eq "n1: DELETE /api/v1/node" "$code" 405
assert_eq "n1: 405 error body" "$(jq -r .error.status "$API_BODY")" 405
code=$(api_status 1 GET /api/v1/health --request-target api/v1/health)
assert_eq "n1: a request target without the leading '/'" "$code" 400
assert_eq "n1: 400 error body" "$(jq -r .error.status "$API_BODY")" 400
code=$(curl -sS --max-time 5 -o /dev/null -w '%{http_code}' --unix-socket "${NODE_DIR[1]}/admin.sock" \
	http://localhost/metrics)
assert_eq "n1: /metrics without a token" "$code" 401
metrics=$(api 1 GET /metrics)
assert_match "n1: /metrics has a Prometheus sample line" "$metrics" \
	$'(^|\n)[a-zA-Z_:][a-zA-Z0-9_:]*(\\{[^}]*\\})? [-+0-9.eENa]+'

# ---------------------------------------------------------------------------
say "3. SIGHUP: a good config takes effect, a bad one is refused"
h=$(health 1)
gen=$(jget "$h" .config_generation)
assert_eq "n1: log_level before reload" "$(jget "$h" .log_level)" notice
jq '.log_level = "info"' "${NODE_CFG[1]}" >"${NODE_CFG[1]}.new"
mv "${NODE_CFG[1]}.new" "${NODE_CFG[1]}"
kill -HUP "${NODE_PID[1]}"
wait_for 5 "n1: config_generation $((gen + 1)) after a good reload" health_gen_is 1 $((gen + 1))
assert_eq "n1: log_level after reload" "$(jget "$(health 1)" .log_level)" info
gen=$((gen + 1))

good=$(<"${NODE_CFG[1]}")
for bad in syntax semantic; do
	if [[ $bad == syntax ]]; then
		printf '{\n  "log_level": "debug",\n  "admin": {\n' >"${NODE_CFG[1]}"
	else
		jq '.log_level = "loud"' <<<"$good" >"${NODE_CFG[1]}"
	fi
	off=$(log_size 1)
	kill -HUP "${NODE_PID[1]}"
	wait_for 5 "n1: a log line naming the refused config ($bad error)" \
		log_has_since 1 "$off" "$(basename "${NODE_CFG[1]}")"
	assert "n1: alive after a bad reload ($bad)" pid_alive "${NODE_PID[1]}"
	h=$(health 1)
	assert_eq "n1: config_generation after a bad reload ($bad)" "$(jget "$h" .config_generation)" "$gen"
	assert_eq "n1: log_level after a bad reload ($bad)" "$(jget "$h" .log_level)" info
done
jq '.log_level = "notice"' <<<"$good" >"${NODE_CFG[1]}"
kill -HUP "${NODE_PID[1]}"
wait_for 5 "n1: config_generation $((gen + 1)) after a good reload again" health_gen_is 1 $((gen + 1))
assert_eq "n1: log_level after the last reload" "$(jget "$(health 1)" .log_level)" notice

# ---------------------------------------------------------------------------
say "4. a second vx6d on the same state directory is refused"
jq '.admin.listen = "127.0.0.1:7601" | .admin.unix_socket = "admin2.sock" | .listen[0].port = 7701' \
	"${NODE_CFG[2]}" >"$LAB_TMP/n2-second.json"
rc=0
n2 timeout -k 2 10 "$VX6D" --config "$LAB_TMP/n2-second.json" </dev/null \
	>"$LAB_TMP/second.out" 2>"$LAB_TMP/second.err" || rc=$?
err=$(<"$LAB_TMP/second.err")
assert_eq "n2: second vx6d exit status (stderr: $err)" "$rc" 1
assert_eq "n2: second vx6d stderr line count (stderr: $err)" "$(wc -l <"$LAB_TMP/second.err")" 1
assert_match "n2: second vx6d error" "$err" '^vx6d: .*(already running|lock)'
assert_eq "n2: first vx6d still answers" "$(api_status 2 GET /api/v1/health)" 200
assert "n2: first vx6d's socket is still there" test -S "${NODE_DIR[2]}/admin.sock"

# ---------------------------------------------------------------------------
say "5. SIGTERM: exit 0, socket and lock removed; restart keeps the identity"
before=$(api 3 GET /api/v1/node)
stop_node 3
assert "n3: admin.sock removed after SIGTERM" test ! -e "${NODE_DIR[3]}/admin.sock"
assert "n3: vx6d.lock removed after SIGTERM" test ! -e "${NODE_DIR[3]}/vx6d.lock"
out=$("$VX6" --state-dir "${NODE_DIR[3]}" status 2>&1) && fail "n3: vx6 status succeeded with vx6d stopped: $out"
lab_start_node 3
after=$(api 3 GET /api/v1/node)
assert_eq "n3: node_id across a restart" "$(jget "$after" .node_id)" "$(jget "$before" .node_id)"
assert_eq "n3: overlay address across a restart" \
	"$(jget "$after" .overlay_address)" "$(jget "$before" .overlay_address)"
seq0=$(jget "$before" .record.seq)
assert_ge "n3: record.seq after restart" "$(jget "$after" .record.seq)" $((seq0 + 1))

# ---------------------------------------------------------------------------
say "6. kill -9 during republish, $CRASH_ROUNDS rounds: no acknowledged write lost"
files_before=$(state_files 1)
total=0
for ((r = 1; r <= CRASH_ROUNDS; r++)); do
	acks=$LAB_TMP/acks.$r
	: >"$acks"
	# At most 500 republishes or 10 s; stops at the first failed request.
	(
		API_BODY=$LAB_TMP/body.loop
		end=$((SECONDS + 10))
		for ((k = 0; k < 500 && SECONDS < end; k++)); do
			[[ $(api_status 1 POST /api/v1/node/republish) == 200 ]] || break
			jq -er .seq "$API_BODY" >>"$acks" || break
		done
	) &
	loop=$!
	LAB_PIDS+=("$loop")
	sleep "0.$(printf '%03d' $((RANDOM % 400 + 30)))"
	kill_node 1
	wait_pid_exit "$loop" 15 || fail "round $r: republish loop did not end"
	wait "$loop" || true
	n=$(wc -l <"$acks")
	total=$((total + n))
	last=$(tail -n 1 "$acks")
	sort -n -c -u "$acks" 2>/dev/null || fail "round $r: acknowledged seqs not strictly increasing: $(tr '\n' ' ' <"$acks")"
	lab_start_node 1
	seq=$(jget "$(api 1 GET /api/v1/node)" .record.seq)
	if [[ -n $last ]]; then
		assert_ge "round $r: record.seq after kill -9 and restart (last acknowledged $last)" "$seq" "$last"
	fi
	say "   round $r: $n acknowledged, last seq ${last:-none}, after restart seq $seq"
done
# Does this test really test? Most rounds must have been killed mid-stream.
assert_ge "republishes acknowledged over all rounds" "$total" "$CRASH_ROUNDS"
files_after=$(state_files 1)
# The same files as before, give or take the registry (written in the
# background as discovery learns): nothing was lost, no temporary was left.
assert_eq "n1: state dir files after the kill -9 rounds (no leftover temporaries)" \
	"${files_after/registry.bin /}" "${files_before/registry.bin /}"
assert_eq "n1: no interrupted write left behind" \
	"$(find "${NODE_DIR[1]}" -maxdepth 1 -name '*.tmp.*' | wc -l)" 0

# ---------------------------------------------------------------------------
say "7. every node stops cleanly"
for i in 1 2 3; do
	stop_node "$i"
done
say "PASS: basic"
