#!/usr/bin/env bash
# tests/netns/services_groups.sh - allow lists that name groups of nodes,
# and private services reached in named mode, with real clients (ssh).
#
#                        ns vx6-$$-h (hub, bridge br0)
#            +----------------------+-----------------------+
#            |                      |                       |
#      vx6-$$-n1               vx6-$$-n2               vx6-$$-n3
#      fd00:76::1              fd00:76::2              fd00:76::3
#      vx6d, tcp link to n2,   vx6d (owner)            vx6d, no peers: knows
#      later also to n3        sshd 127.0.0.1:22       only n2's node record
#                              group ops = {n3}        (imported), no link
#                              gssh: public, --allow @ops
#                              hid: --private --allow @ops
#
# Links: n1 -> n2 is configured; n3 starts with no link at all and dials n2
# itself when it resolves n2.hid; later n1 -> n3 is configured too. Checks:
#  - groups through the CLI and the API: add, list, remove, and their
#    refusals (bad name, bad node, unknown group, a node not in the group,
#    a group that would give a service more than 32 nodes), each with the
#    same message; a service naming a group that does not exist is refused;
#  - a private service in named mode: n3 (in ops, no link to anyone)
#    resolves n2.hid by dialing the node named n2, whose peer sync hands it
#    the record, and ssh runs through it; n1 (not in ops, linked to n2 and
#    to n3, which holds the record) never gets the record, not even after a
#    restart re-syncs both links, and its forward logs "no service record";
#  - group allow: n3 (member) reaches gssh; n1 is refused with the owner's
#    reason in its log; moving n1 into ops and n3 out of it (services.json
#    untouched) lets n1 in at its next connection, refuses n3 at its next,
#    and offers hid's record to n1, which then reaches hid by name;
#  - removing the group refuses everyone (not "anyone"); creating it again
#    lets its member back in;
#  - groups survive an owner restart; a corrupt groups.json stops vx6d with
#    one line naming the problem.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

lab_require_netns
lab_require_bins
command -v sshd >/dev/null || [[ -x /usr/sbin/sshd ]] || skip "needs OpenSSH server"
lab_create 3
for i in 1 2 3; do lab_start_node "$i"; done

vx() { local i=$1; shift; node_exec "$i" "$VX6" --state-dir "${NODE_DIR[i]}" "$@"; }
not() { ! "$@"; }
pk() { jq -r .public_key "${NODE_DIR[$1]}/identity.json"; }
nid() { jq -r .node_id "${NODE_DIR[$1]}/identity.json"; }
PK2=$(pk 2) PK3=$(pk 3)
ID1=$(nid 1) ID2=$(nid 2) ID3=$(nid 3)
link_up() { [[ $(vx "$1" links --json 2>/dev/null | jq -r --arg pk "$2" '.links[] | select(.public_key == $pk) | .state') == up ]]; }
ssh_via() { lab_ssh_local "$@"; }
on_n2() { ssh_via "$1" "$2" ip -6 -o addr show dev eth0 | grep -q 'fd00:76::2/'; }
# count I REGEX: lines of node I's log that match.
count() { grep -cE "$2" "${NODE_LOG[$1]}" || true; }
# grows I REGEX N: more than N lines of node I's log match now.
grows() { (($(count "$1" "$2") > $3)); }
services_held() { api "$1" GET /api/v1/registry | jq .stats.services; }

vx 1 peer add "$PK2" --endpoint "[fd00:76::2]:$LAB_NODE_PORT"
wait_for 15 "n1->n2 link up" link_up 1 "$PK2"
# n3 learns where n2 is from n2's signed node record alone.
api 3 POST /api/v1/registry -H 'Content-Type: application/json' \
	-d "{\"record\": \"$(xxd -p "${NODE_DIR[2]}/node.record" | tr -d '\n')\"}" >/dev/null
assert_eq "n3 knows n2's record" "$(api 3 GET "/api/v1/resolve/$ID2" | jq -r .name)" n2
assert_eq "n3 has no link at all" "$(api 3 GET /api/v1/links | jq '.links | length')" 0

say "groups: CLI and API, and their refusals"
lab_sshd 2 127.0.0.1
assert_match "group add" "$(vx 2 group add ops "$ID3")" "group ops: 1 member"
assert_match "group list" "$(vx 2 group list)" "ops  1 member"$'\n'"  $ID3"
assert_eq "GET /api/v1/groups" "$(api 2 GET /api/v1/groups | jq -c '.groups[0]')" \
	"{\"name\":\"ops\",\"members\":[\"$ID3\"]}"
err=$(vx 2 group add ops zz 2>&1) && fail "a bad node was accepted"
assert_match "CLI: bad node" "$err" "vx6d: members\[0\]: 'zz' is not a node ID or public key \(HTTP 400\)"
code=$(api_status 2 POST /api/v1/groups -d '{"name": "ops", "members": ["zz"]}')
assert_eq "API: bad node" "$code" 400
assert_match "API: same message" "$(cat "$API_BODY")" "members\[0\]: 'zz' is not a node ID or public key"
code=$(api_status 2 POST /api/v1/groups -d "{\"name\": \"Ops\", \"members\": [\"$ID3\"]}")
assert_eq "API: bad group name" "$code" 400
assert_match "API: bad group name message" "$(cat "$API_BODY")" "name: Invalid group name 'Ops'"
assert_eq "API: unknown group" "$(api_status 2 DELETE /api/v1/groups/nope)" 404
assert_match "API: unknown group message" "$(cat "$API_BODY")" "no group 'nope'"
err=$(vx 2 group remove ops "$ID1" 2>&1) && fail "removing a non-member was accepted"
assert_match "CLI: not a member" "$err" "node $ID1 is not in group 'ops' \(HTTP 404\)"
assert_eq "API: unknown query" "$(api_status 2 DELETE '/api/v1/groups/ops?color=red')" 400
err=$(vx 2 service add x --target 127.0.0.1:22 --allow @nope 2>&1) && fail "unknown group accepted"
assert_match "service add with an unknown group" "$err" "allow: no group 'nope'; create it first"
err=$(vx 2 service add x --target 127.0.0.1:22 --allow @Ops 2>&1) && fail "bad group accepted"
assert_match "service add with a bad group" "$err" "allow\[0\]: '@Ops' is not a group"
# 31 made-up node IDs, plus ops' one, fill a service's 32.
BIG=()
for _ in $(seq 31); do
	BIG+=("$(python3 -c 'import base64,os; print(base64.b32encode(os.urandom(32)).decode().lower().rstrip("="))')")
done
vx 2 group add big "${BIG[@]}"
vx 2 service add cap --target 127.0.0.1:22 --private --allow @ops --allow @big
err=$(vx 2 group add big "$ID1" 2>&1) && fail "a 33rd node was accepted"
assert_match "a group may not push a service over 32 nodes" "$err" \
	"service 'cap' names group 'big' and would allow more than 32 nodes \(HTTP 409\)"
vx 2 service remove cap
vx 2 group remove big

say "n2 publishes gssh (public) and hid (private), both --allow @ops"
vx 2 service add gssh --target 127.0.0.1:22 --allow @ops
vx 2 service add hid --target 127.0.0.1:22 --private --allow @ops
assert_match "service list names the group" "$(vx 2 service list)" "hid +-> 127.0.0.1:22  private, @ops"

say "private service in named mode: n3 (in ops, no link to n2) resolves n2.hid"
vx 3 connect n2.hid --listen 127.0.0.1:16001
wait_for 25 "ssh through n3's named forward to the private n2.hid" on_n2 3 16001
assert "n3 dialed the node named n2 itself" link_up 3 "$PK2"

say "n1 (not in ops, linked to n2 and now to n3, which holds it) never gets hid's record"
vx 1 peer add "$PK3" --endpoint "[fd00:76::3]:$LAB_NODE_PORT"
wait_for 15 "n1->n3 link up" link_up 1 "$PK3"
vx 1 connect n2.hid --listen 127.0.0.1:16002
assert "n1 cannot reach n2.hid" not ssh_via 1 16002 true
wait_for 15 "n1 logs that it has no record of n2.hid" \
	grows 1 "Failed to open service 'n2.hid': no service record" 0
assert_eq "n3 holds gssh and hid" "$(services_held 3)" 2
assert_eq "n1 holds gssh only" "$(services_held 1)" 1
stop_node 1
lab_start_node 1
wait_for 15 "n1->n2 link up again" link_up 1 "$PK2"
wait_for 15 "n1->n3 link up again" link_up 1 "$PK3"
sleep 2 # both links' peer sync
assert_eq "after re-syncing with n2 and n3, n1 still holds gssh only" "$(services_held 1)" 1
before=$(count 1 "Failed to open service 'n2.hid': no service record")
assert "n1 still cannot reach n2.hid" not ssh_via 1 16002 true
wait_for 15 "n1 logs no record again" grows 1 "Failed to open service 'n2.hid': no service record" "$before"
assert_eq "10 s later, n1 still holds gssh only" "$(services_held 1)" 1

say "group allow: member n3 reaches gssh, n1 is refused with the reason"
vx 3 connect n2.gssh --listen 127.0.0.1:16003
vx 1 connect n2.gssh --listen 127.0.0.1:16004
wait_for 20 "ssh through n3's forward to gssh" on_n2 3 16003
assert "n1 is refused gssh" not ssh_via 1 16004 true
REFUSED="Failed to open service 'n2.gssh' at [a-z2-7]+: not allowed: \"caller [a-z2-7]+ is not on the allow list of 'gssh'\""
wait_for 10 "n1 logs the owner's reason" grows 1 "$REFUSED" 0

say "n1 into ops, n3 out of it: services.json untouched"
svc_sum=$(sha256sum <"${NODE_DIR[2]}/services.json")
vx 2 group add ops "$ID1"
vx 2 group remove ops "$ID3"
assert_eq "services.json is unchanged" "$(sha256sum <"${NODE_DIR[2]}/services.json")" "$svc_sum"
assert_eq "ops is {n1}" "$(api 2 GET /api/v1/groups | jq -r '.groups[0].members | join(",")')" "$ID1"
wait_for 20 "n1 now reaches gssh (next connection)" on_n2 1 16004
n3_before=$(count 3 "$REFUSED")
assert "n3 is refused gssh at its next connection" not ssh_via 3 16003 true
wait_for 10 "n3 logs the owner's reason" grows 3 "$REFUSED" "$n3_before"
wait_for 20 "n1, now in ops, is offered hid's record and reaches n2.hid by name" on_n2 1 16002

say "the group removed: its services allow nobody"
vx 2 group remove ops
n1_before=$(count 1 "$REFUSED")
assert "n1 is refused gssh once ops is gone" not ssh_via 1 16004 true
wait_for 10 "n1 logs the owner's reason" grows 1 "$REFUSED" "$n1_before"
assert_match "gssh still names @ops" "$(vx 2 service list)" "gssh +-> 127.0.0.1:22  public, @ops"
vx 2 group add ops "$ID3"
wait_for 20 "ops created again: n3 is back in" on_n2 3 16003

say "groups survive an owner restart"
stop_node 2
lab_start_node 2
assert_match "ops after restart" "$(vx 2 group list)" "ops  1 member"$'\n'"  $ID3"
wait_for 30 "n3 reaches gssh after the restart" on_n2 3 16003
n1_before=$(count 1 "$REFUSED")
wait_for 15 "n1->n2 link up after the restart" link_up 1 "$PK2"
assert "n1 is still refused gssh" not ssh_via 1 16004 true
wait_for 10 "n1 logs the owner's reason" grows 1 "$REFUSED" "$n1_before"

say "a corrupt groups.json stops vx6d with one line"
stop_node 2
echo '{"groups": [{"name": "ops", "members": ["zz"]}]}' >"${NODE_DIR[2]}/groups.json"
lab_start_fails 2 groups.json "groups.json: groups\[0\]\.members\[0\]: 'zz' is not a node ID or public key"
echo '{"groups": [' >"${NODE_DIR[2]}/groups.json"
lab_start_fails 2 groups.json "groups.json:[0-9]+:[0-9]+: "
say "PASS"
