#!/usr/bin/env bash
# tests/netns/startup_errors.sh - every way vx6d can refuse to start gives
# exit status 1 and exactly one stderr line, "vx6d: ...", that names the
# problem (docs/operations.md "Troubleshooting"); the CLI fails the same way
# without a daemon, and `vx6 init` never overwrites a key without --force.
#
#   no namespaces: one vx6d at a time, in this namespace, with the TCP admin
#   listener disabled ("admin": {"listen": null}) and no underlay listener,
#   so nothing binds a network port; the admin unix socket lives in $LAB_TMP.
#
#     [ this shell ] --exec--> vx6d --config $LAB_TMP/<case>.json   (bounded: 10 s)
#
# Needs neither root nor `ip netns`; it lives here because it shares lib.sh.
set -euo pipefail
# shellcheck source=tests/netns/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

lab_require_bins

# run_vx6d ARGS...: run vx6d bounded; sets RC, ERR (stderr text), ERR_LINES.
run_vx6d() {
	RC=0
	timeout -k 2 10 "$VX6D" "$@" </dev/null >"$LAB_TMP/run.out" 2>"$LAB_TMP/run.err" || RC=$?
	ERR=$(<"$LAB_TMP/run.err")
	ERR_LINES=$(wc -l <"$LAB_TMP/run.err")
}

# expect_startup_error WHAT REGEX VX6D-ARGS...: exit 1, one line "vx6d: ..."
# matching REGEX.
expect_startup_error() {
	local what=$1 re=$2
	shift 2
	run_vx6d "$@"
	say "   $what: exit $RC: $ERR"
	assert_eq "$what: exit status (stderr: $ERR)" "$RC" 1
	assert_eq "$what: stderr line count (stderr: $ERR)" "$ERR_LINES" 1
	assert_match "$what: stderr" "$ERR" '^vx6d: '
	[[ $ERR =~ $re ]] || fail "$what: stderr does not name the problem (/$re/): $ERR"
}

# cfg NAME JQ-FILTER: a config derived from the good one.
cfg() {
	jq "$2" "${NODE_CFG[1]}" >"$LAB_TMP/$1.json"
	printf '%s' "$LAB_TMP/$1.json"
}

node_setup 1
dir=${NODE_DIR[1]}
good=${NODE_CFG[1]}

say "0. the good config starts and stops cleanly (this also writes node.record)"
run_vx6d --config "$good" --check-config
assert_eq "--check-config on the good config: exit status (stderr: $ERR)" "$RC" 0
lab_start_node 1
stop_node 1
assert "node.record written" test -s "$dir/node.record"
run_vx6d --config "$LAB_REPO/deploy/examples/vx6d.json" --check-config
assert_eq "--check-config on deploy/examples/vx6d.json: exit status (stderr: $ERR)" "$RC" 0

say "1. config errors"
printf '{\n\t"state_dir": "%s",\n\t"admin": {"listen": null},\n' "$dir" >"$LAB_TMP/bad-json.json"
expect_startup_error "bad JSON" 'bad-json\.json:[0-9]+:[0-9]+' --config "$LAB_TMP/bad-json.json"
expect_startup_error "log_level loud" 'log-level\.json:[0-9]+:[0-9]+: log_level' \
	--config "$(cfg log-level '.log_level = "loud"')"
expect_startup_error "admin.listen on a non-loopback address" 'admin\.listen.*8\.8\.8\.8' \
	--config "$(cfg admin-listen '.admin.listen = "8.8.8.8:80"')"
expect_startup_error "unknown field" 'unknown-field\.json:[0-9]+:[0-9]+: bogus' \
	--config "$(cfg unknown-field '.bogus = 1')"
expect_startup_error "record_lifetime_s out of range" 'record_lifetime_s' \
	--config "$(cfg lifetime '.record_lifetime_s = 5')"
expect_startup_error "listen port 0" 'listen\[0\]\.port' \
	--config "$(cfg port0 '.listen = [{"address": "::1", "port": 0}]')"
expect_startup_error "missing config file" 'no-such\.json' --config "$LAB_TMP/no-such.json"
expect_startup_error "--check-config on a bad config" 'log-level\.json' \
	--config "$LAB_TMP/log-level.json" --check-config
run_vx6d --config "$good" --no-such-option
assert_eq "unknown option: exit status (usage error; stderr: $ERR)" "$RC" 2

say "2. identity and state errors"
chmod 0644 "$dir/identity.key"
expect_startup_error "identity.key mode 0644" 'chmod 600' --config "$good"
chmod 0600 "$dir/identity.key"

cp "$dir/node.record" "$LAB_TMP/node.record.good"
truncate -s $(($(stat -c %s "$dir/node.record") / 2)) "$dir/node.record"
expect_startup_error "truncated node.record" 'node\.record' --config "$good"
head -c 200 /dev/urandom >"$dir/node.record"
expect_startup_error "random bytes in node.record" 'node\.record' --config "$good"
cp "$LAB_TMP/node.record.good" "$dir/node.record"
lab_start_node 1
stop_node 1

mkdir -m 0700 "$LAB_TMP/empty"
expect_startup_error "no identity in the state dir" 'vx6 init' \
	--config "$(cfg no-identity ".state_dir = \"$LAB_TMP/empty\"")"

say "3. CLI without a daemon"
rc=0
out=$("$VX6" --state-dir "$dir" status 2>&1) || rc=$?
say "   vx6 status: exit $rc: $out"
assert_eq "vx6 status without vx6d: exit status" "$rc" 1
assert_eq "vx6 status without vx6d: line count" "$(printf '%s\n' "$out" | wc -l)" 1
assert_match "vx6 status without vx6d" "$out" 'vx6d is not running'
out=$("$VX6" version) || fail "vx6 version failed: $out"
assert_match "vx6 version" "$out" '[0-9]+\.[0-9]+\.[0-9]+'

say "4. vx6 init never overwrites a key without --force"
idir=$LAB_TMP/init
"$VX6" init --name first --state-dir "$idir" >/dev/null || fail "vx6 init failed"
assert_file_mode "identity.key after vx6 init" "$idir/identity.key" 600
assert "identity.json after vx6 init" test -s "$idir/identity.json"
cp "$idir/identity.key" "$LAB_TMP/key.orig"
cp "$idir/identity.json" "$LAB_TMP/json.orig"
rc=0
out=$("$VX6" init --name second --state-dir "$idir" 2>&1) || rc=$?
say "   second vx6 init: exit $rc: $out"
assert_ne "second vx6 init without --force: exit status" "$rc" 0
assert "second vx6 init kept identity.key" cmp -s "$idir/identity.key" "$LAB_TMP/key.orig"
assert "second vx6 init kept identity.json" cmp -s "$idir/identity.json" "$LAB_TMP/json.orig"
"$VX6" init --name second --state-dir "$idir" --force >/dev/null || fail "vx6 init --force failed"
cmp -s "$idir/identity.key" "$LAB_TMP/key.orig" && fail "vx6 init --force kept the old key"
assert_file_mode "identity.key after vx6 init --force" "$idir/identity.key" 600
rc=0
out=$("$VX6" init --name Bad_Name --state-dir "$LAB_TMP/badname" 2>&1) || rc=$?
assert_ne "vx6 init with an invalid name: exit status ($out)" "$rc" 0
assert "vx6 init with an invalid name wrote no key" test ! -e "$LAB_TMP/badname/identity.key"

say "PASS: startup_errors"
