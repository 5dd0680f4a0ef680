#!/usr/bin/env bash
# tests/netns/services.sh - named services and forwarded ports over TCP
# links, without TUN (stream mode), with real clients.
#
#                        ns vx6-$$-h (hub, bridge br0)
#            +----------------------+-----------------------+
#            |                      |                       |
#      vx6-$$-n1               vx6-$$-n2               vx6-$$-n3
#      fd00:76::1              fd00:76::2              fd00:76::3
#      vx6d (client)           vx6d (owner)            vx6d (client, as nobody)
#      tcp link to n2          tcp :7700, quic :7701   no peers; QUIC dial
#      127.0.0.1:15022 ->      sshd 127.0.0.1:22       127.0.0.1:15023 ->
#        n2.ssh (named)        sink 127.0.0.1:9000       ssh (direct-IPv6)
#      127.0.0.1:15900 ->      services: ssh, sink,
#        n2.sink               priv (allow: n3 only)
#      127.0.0.1:15432 ->      postgres 127.0.0.1:5432
#        n2.db                   (service db)
#
# n1 keeps a TCP link to n2; n3 reaches n2 over QUIC in direct-IPv6 mode,
# run as user nobody without any capability; "tun" is off everywhere. Checks: ssh through a named forward runs a
# command on n2; 200 MB through a forward (over TCP and over QUIC) match
# their SHA-256 (the sink answers with its digest after our FIN, so
# half-close works both ways); a sink that stalls holds the sender back
# (end-to-end backpressure); direct-IPv6 mode; an unpublished name and a
# caller not on the allow list are refused with the owner's reason in the
# client's log; a private service is not found by name but is reached in
# direct-IPv6 mode; psql and a bounded pgbench run through n2.db (when
# PostgreSQL is installed); restarting the owner mid-session closes the
# open connection and the next one works; services and forwards survive a
# restart; a corrupt services.json or forwards.json stops vx6d with one
# line.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

QUIC_PORT=7701

lab_require_netns
lab_require_bins
command -v sshd >/dev/null || [[ -x /usr/sbin/sshd ]] || skip "needs OpenSSH server"
lab_create 3
# n2 also listens on QUIC, which n3's direct-IPv6 forwards use.
node_setup 2
jq --argjson q "{\"address\": \"::\", \"port\": $QUIC_PORT, \"transport\": \"quic\"}" \
	'.listen += [$q]' "${NODE_CFG[2]}" >"${NODE_CFG[2]}.q" && mv "${NODE_CFG[2]}.q" "${NODE_CFG[2]}"
# n3 runs without root (user nobody, no capabilities) and without TUN.
NODE_USER[3]=nobody
for i in 1 2 3; do lab_start_node "$i"; done
assert_eq "n3's vx6d runs as nobody" "$(stat -c %U "/proc/${NODE_PID[3]}")" nobody

vx() { local i=$1; shift; node_exec "$i" "$VX6" --state-dir "${NODE_DIR[i]}" "$@"; }
not() { ! "$@"; }
pk() { jq -r .public_key "${NODE_DIR[$1]}/identity.json"; }
nid() { jq -r .node_id "${NODE_DIR[$1]}/identity.json"; }
PK2=$(pk 2)
ID3=$(nid 3)
link_up() { [[ $(vx "$1" links --json 2>/dev/null | jq -r --arg pk "$2" '.links[] | select(.public_key == $pk) | .state') == up ]]; }

vx 1 peer add "$PK2" --endpoint "[fd00:76::2]:$LAB_NODE_PORT"
wait_for 15 "n1->n2 link up" link_up 1 "$PK2"

say "n2 publishes ssh, sink and priv"
lab_sshd 2 127.0.0.1
SHA=$(dirname "$0")/tools/sha_stream.py
ip netns exec "${NODE_NS[2]}" python3 "$SHA" sink 127.0.0.1 9000 &
LAB_PIDS+=("$!")
listening() { ip netns exec "${NODE_NS[$1]}" ss -Htln "sport = :$2" | grep -q .; }
wait_for 10 "the sink listens" listening 2 9000
vx 2 service add ssh --target 127.0.0.1:22
vx 2 service add sink --target 127.0.0.1:9000
vx 2 service add priv --target 127.0.0.1:22 --allow "$ID3"
out=$(vx 2 service list)
assert_match "service list" "$out" "priv .*1 allowed"
code=$(api_status 2 POST /api/v1/services -d '{"name":"x","target":"10.0.0.1:22"}')
assert_eq "API refuses a non-local target" "$code" 400
assert_match "API message" "$(cat "$API_BODY")" "Invalid target"
assert "CLI refuses a non-local target" not vx 2 service add x --target 192.0.2.1:22
assert_eq "API refuses a body that is not JSON" \
	"$(api_status 2 POST /api/v1/services -d '{"name":')" 400
code=$(api_status 2 POST /api/v1/forwards -d '{"service":"n1.ssh","listen":"0.0.0.0:1"}')
assert_eq "API refuses a non-loopback forward" "$code" 400
assert_match "API message (forward)" "$(cat "$API_BODY")" "listen: Invalid listen address"
assert_eq "API refuses a bad forward port" "$(api_status 2 DELETE /api/v1/forwards/22x)" 400

say "n1: named forward to n2.ssh"
vx 1 connect n2.ssh --listen 127.0.0.1:15022
vx 1 connect n2.sink --listen 127.0.0.1:15900
assert "CLI refuses a non-loopback listen" not vx 1 connect n2.ssh --listen 0.0.0.0:15099
ssh_via() { lab_ssh_local "$@"; }
on_n2() { ssh_via "$1" "$2" ip -6 -o addr show dev eth0 | grep -q 'fd00:76::2/'; }
wait_for 20 "ssh through n1's forward runs a command on n2" on_n2 1 15022

say "200 MB through n1's forward to n2's sink"
# send_sha I PORT MB: send MB random megabytes through node I's forward
# on PORT; the sink's answer must name the same size and SHA-256.
send_sha() {
	local out
	out=$(ip netns exec "${NODE_NS[$1]}" timeout 120 python3 "$SHA" send 127.0.0.1 "$2" "$3") ||
		fail "sender through port $2: ${out:-failed}"
	assert_match "sink received $3 MB with the same SHA-256" "$out" " ok$"
}
send_sha 1 15900 200

say "backpressure: a sink that stalls 5 s holds the sender back"
# The stalling sink: accepts, waits 5 s, then reads like the other one.
ip netns exec "${NODE_NS[2]}" python3 "$SHA" sink 127.0.0.1 9002 5 &
LAB_PIDS+=("$!")
wait_for 10 "the stalling sink listens" listening 2 9002
vx 2 service add slow --target 127.0.0.1:9002
vx 1 connect n2.slow --listen 127.0.0.1:15902
PROG="import socket,sys,os
s=socket.create_connection(('127.0.0.1',15902)); b=os.urandom(1<<20); n=0
for i in range(200):
    s.sendall(b); n+=len(b)
    open(sys.argv[1]+'.tmp','w').write(str(n)); os.replace(sys.argv[1]+'.tmp',sys.argv[1])
s.shutdown(socket.SHUT_WR); print(s.recv(4096).decode().strip())"
rss_kb() { awk '/^VmRSS/ {print $2}' "/proc/$1/status"; }
rss2=$(rss_kb "${NODE_PID[2]}")
ip netns exec "${NODE_NS[1]}" timeout 60 python3 -c "$PROG" "$LAB_TMP/progress" >"$LAB_TMP/slow.out" &
slow_pid=$!
LAB_PIDS+=("$slow_pid")
sleep 3
sent=$(cat "$LAB_TMP/progress" 2>/dev/null || echo 0)
grow=$(($(rss_kb "${NODE_PID[2]}") - rss2))
say "during the stall: sender got $((sent >> 20)) MB out, n2's vx6d grew by $((grow / 1024)) MB"
assert "the sender is held back while the sink stalls" test "$sent" -lt $((64 << 20))
assert "n2's vx6d does not buffer the stream" test "$grow" -lt $((64 * 1024))
wait "$slow_pid" || fail "the sender through the stalled sink failed"
assert_match "all 200 MB arrived after the stall" "$(cat "$LAB_TMP/slow.out")" "^209715200 "

say "n3: direct-IPv6 mode over QUIC (n3 has no peer configured: no discovery at all)"
vx 3 connect --addr "[fd00:76::2]:$QUIC_PORT" --node "$PK2" --transport quic ssh \
	--listen 127.0.0.1:15023
wait_for 20 "ssh through n3's direct forward" on_n2 3 15023
assert_eq "n3's link to n2 is QUIC" \
	"$(vx 3 links --json | jq -r --arg pk "$PK2" '.links[] | select(.public_key == $pk) | .transport')" quic
vx 3 connect --addr "[fd00:76::2]:$QUIC_PORT" --node "$PK2" --transport quic priv \
	--listen 127.0.0.1:15024
vx 3 connect --addr "[fd00:76::2]:$QUIC_PORT" --node "$PK2" --transport quic sink \
	--listen 127.0.0.1:15901
send_sha 3 15901 200
wait_for 20 "n3 is on priv's allow list" on_n2 3 15024

say "refusals reach the client's log"
vx 1 connect n2.priv --listen 127.0.0.1:15031
vx 1 connect --addr "[fd00:76::2]:$LAB_NODE_PORT" --node "$PK2" nope --listen 127.0.0.1:15032
vx 1 connect n2.nope --listen 127.0.0.1:15033
vx 2 service add hid --target 127.0.0.1:22 --private
vx 1 connect n2.hid --listen 127.0.0.1:15034
vx 1 connect --addr "[fd00:76::2]:$LAB_NODE_PORT" --node "$PK2" hid --listen 127.0.0.1:15035
assert "n1 is refused priv" not ssh_via 1 15031 true
assert "unknown service is refused" not ssh_via 1 15032 true
assert "unpublished name is refused" not ssh_via 1 15033 true
logged() { grep -q "$1" "${NODE_LOG[1]}"; }
wait_for 5 "n1 logs 'not allowed'" logged "Failed to open service 'n2.priv'.*not allowed"
wait_for 5 "n1 logs 'no such service'" logged "Failed to open service 'direct.nope'.*no such service"
wait_for 15 "n1 logs no record (after its DHT lookup)" logged "Failed to open service 'n2.nope'.*no service record"
assert "a private service is not found by name" not ssh_via 1 15034 true
wait_for 15 "n1 logs no record for the private service" logged "Failed to open service 'n2.hid'.*no service record"
wait_for 20 "a private service is reached in direct-IPv6 mode" on_n2 1 15035
out=$(vx 1 forwards)
assert_match "forwards list" "$out" "127.0.0.1:15022 +-> n2.ssh"
assert_match "the refused forward counts its refusal" "$out" "127.0.0.1:15031 +-> n2.priv .*[1-9][0-9]* refused"

say "PostgreSQL published as n2.db: psql and a bounded pgbench through n1's forward"
PGBIN=""
for d in /usr/lib/postgresql/*/bin; do [[ -x $d/postgres ]] && PGBIN=$d; done
if [[ -x $PGBIN/postgres ]] && id postgres >/dev/null 2>&1 && command -v pgbench >/dev/null; then
	chmod 0711 "$LAB_TMP" # postgres reaches its own directory inside
	install -d -o postgres -m 0700 "$LAB_TMP/pg"
	runuser -u postgres -- "$PGBIN/initdb" -D "$LAB_TMP/pg" -A trust -U postgres \
		>"$LAB_TMP/initdb.log" 2>&1 || fail "initdb: $(tail -n 3 "$LAB_TMP/initdb.log")"
	ip netns exec "${NODE_NS[2]}" runuser -u postgres -- "$PGBIN/postgres" -D "$LAB_TMP/pg" \
		-k "$LAB_TMP/pg" -c listen_addresses=127.0.0.1 -p 5432 >"$LAB_TMP/pg.log" 2>&1 &
	LAB_PIDS+=("$!")
	vx 2 service add db --target 127.0.0.1:5432
	vx 1 connect n2.db --listen 127.0.0.1:15432
	psql_n1() { n1 timeout 20 psql -h 127.0.0.1 -p 15432 -U postgres -Atc "$@"; }
	wait_for 30 "psql through the forward" psql_n1 "select 1"
	assert_eq "psql query on n2" "$(psql_n1 "select 6 * 7")" 42
	assert "pgbench -i" n1 timeout 60 pgbench -h 127.0.0.1 -p 15432 -U postgres -i -s 2 -q postgres
	out=$(n1 timeout 60 pgbench -h 127.0.0.1 -p 15432 -U postgres -c 4 -j 2 -T 10 postgres 2>&1) ||
		fail "pgbench: $out"
	assert_match "pgbench completed" "$out" "number of failed transactions: 0"
	say "pgbench: $(grep -E '^tps' <<<"$out" | head -n 1)"
else
	say "PostgreSQL not installed: psql/pgbench part skipped"
fi

say "owner restart mid-session"
ssh_via 1 15022 sleep 60 &
SSH_PID=$!
LAB_PIDS+=("$SSH_PID")
sleep 1
stop_node 2
wait_pid_exit "$SSH_PID" 15 || fail "the open ssh session did not close when n2 stopped"
lab_start_node 2
wait_for 30 "n1->n2 link up again" link_up 1 "$PK2"
wait_for 20 "ssh works after the owner restart" on_n2 1 15022

say "client restart keeps its forwards"
stop_node 1
lab_start_node 1
wait_for 30 "n1->n2 link up after n1 restart" link_up 1 "$PK2"
wait_for 20 "forward restored from forwards.json" on_n2 1 15022
vx 1 forwards remove 15022
assert "removed forward no longer listens" not ssh_via 1 15022 true
vx 2 service remove sink
out=$(vx 2 service list)
assert "sink is gone" not grep -q sink <<<"$out"
say "a corrupt services.json or forwards.json stops vx6d with one line"
stop_node 3
start_err() { lab_start_fails 3 "$@"; }
echo '{"services": [{"name": "x", "target": "192.0.2.1:22"}]}' >"${NODE_DIR[3]}/services.json"
start_err services.json "services.json: services\[0\]\.target: Invalid target '192.0.2.1:22'"
echo '{"services": [' >"${NODE_DIR[3]}/services.json"
start_err services.json "services.json:[0-9]+:[0-9]+: "
rm "${NODE_DIR[3]}/services.json"
echo '{"forwards": [{"service": "n2.ssh", "listen": "0.0.0.0:1"}]}' >"${NODE_DIR[3]}/forwards.json"
start_err forwards.json "forwards.json: forwards\[0\]\.listen: Invalid listen address"
say "PASS"
