#!/usr/bin/env bash
# The README's "Try it" walk-through, run for real: start `sendas serve
# --demo`, then with curl create a mailbox, grant it to a group, see it in
# a member's From dropdown (and not in a non-member's), hit the quota and
# read the problem+json that says to ask the operator. Fails on any
# deviation. Usage: scripts/readme_walkthrough.sh [path/to/sendas]
set -euo pipefail
cd "$(dirname "$0")/.."
bin=${1:-target/debug/sendas}
data=$(mktemp -d)
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
smtp_port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
tls_port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
"$bin" serve --demo --data-dir "$data" --api-addr "127.0.0.1:$port" \
  --smtp-addr "127.0.0.1:$smtp_port" --smtp-tls-addr "127.0.0.1:$tls_port" >"$data/serve.log" 2>&1 &
pid=$!
trap 'kill $pid 2>/dev/null || true; wait $pid 2>/dev/null || true; rm -rf "$data"' EXIT
for _ in $(seq 1 100); do grep -q "listening on" "$data/serve.log" 2>/dev/null && break; sleep 0.1; done
fail() { echo "walkthrough failed: $*" >&2; cat "$data/serve.log" >&2; exit 1; }

# --- the README commands, verbatim from here on (with DEMO pointing at demo.json) ---
DEMO=$data/demo.json
API=$(jq -r .api "$DEMO")
ADMIN=$(jq -r .tokens.admin "$DEMO")
TENANT=$(jq -r .tenant_id "$DEMO")
ALICE_ID=$(jq -r '.users[] | select(.login=="alice") | .id' "$DEMO")
ALICE=$(jq -r '.users[] | select(.login=="alice") | .token' "$DEMO")
BOB=$(jq -r '.users[] | select(.login=="bob") | .token' "$DEMO")
auth=(-H "Authorization: Bearer $ADMIN" -H "Content-Type: application/json")

MAILBOX=$(curl -s "${auth[@]}" -X POST "$API/v1/tenants/$TENANT/mailboxes" \
  -d '{"address":"events@demo.example","display_name":"Events Team","global":true,"sender":true,"reply":true}' | jq -r .id)
GROUP=$(curl -s "${auth[@]}" -X POST "$API/v1/tenants/$TENANT/groups" -d '{"name":"Event staff"}' | jq -r .id)
curl -s "${auth[@]}" -X PUT "$API/v1/tenants/$TENANT/groups/$GROUP/members/$ALICE_ID" >/dev/null
curl -s "${auth[@]}" -X PUT "$API/v1/tenants/$TENANT/mailboxes/$MAILBOX/access" \
  -d "{\"restricted\":true,\"groups\":[\"$GROUP\"]}" >/dev/null
ALICE_FROM=$(curl -s -H "Authorization: Bearer $ALICE" "$API/v1/me/mailboxes" | jq -r '.from[].address')
BOB_FROM=$(curl -s -H "Authorization: Bearer $BOB" "$API/v1/me/mailboxes" | jq -r '.from[].address')
QUOTA=$(curl -s -i "${auth[@]}" -X POST "$API/v1/tenants/$TENANT/mailboxes" \
  -d '{"address":"more@demo.example","display_name":"More","global":true,"sender":true,"reply":true}')
# --- end of the README commands ---

[[ "$MAILBOX" =~ ^[0-9a-f-]{36}$ ]] || fail "mailbox not created: $MAILBOX"
[[ "$GROUP" =~ ^[0-9a-f-]{36}$ ]] || fail "group not created: $GROUP"
grep -qx "events@demo.example" <<<"$ALICE_FROM" || fail "alice does not see events@: $ALICE_FROM"
! grep -qx "events@demo.example" <<<"$BOB_FROM" || fail "bob sees events@: $BOB_FROM"
grep -q "^HTTP/1.1 409" <<<"$QUOTA" || fail "no 409: $QUOTA"
grep -qi "^content-type: application/problem+json" <<<"$QUOTA" || fail "not problem+json: $QUOTA"
grep -q '"type":"quota_exceeded"' <<<"$QUOTA" || fail "not quota_exceeded: $QUOTA"
grep -q 'ask the operator' <<<"$QUOTA" || fail "does not say to ask the operator: $QUOTA"
# The swaks commands `serve --demo` printed: one is relayed into the outbox, one refused.
accepted_cmd=$(grep -A1 '^send (accepted' "$data/serve.log" | tail -1)
refused_cmd=$(grep -A1 '^send (refused' "$data/serve.log" | tail -1)
[ -n "$accepted_cmd" ] && [ -n "$refused_cmd" ] || fail "serve --demo printed no swaks commands"
ACCEPTED=$(eval "$accepted_cmd" 2>&1) || fail "the accepted swaks command failed: $ACCEPTED"
grep -q "^<- *250 2.0.0" <<<"$ACCEPTED" || fail "no 250 after DATA: $ACCEPTED"
ls "$data"/outbox/*.eml >/dev/null 2>&1 || fail "nothing in the outbox"
grep -q "From: Demo Info <info@demo.example>" "$data"/outbox/*.eml || fail "the outbox message is not the one sent"
REFUSED=$(eval "$refused_cmd" 2>&1) && fail "the refused swaks command succeeded: $REFUSED"
grep -q "550 5.7.1" <<<"$REFUSED" || fail "no 550 5.7.1: $REFUSED"
[ "$(ls "$data"/outbox/*.eml | wc -l)" -eq 1 ] || fail "the refused message reached the outbox"
# Both transactions are in the audit log, readable through the API.
# (The proxy writes audit records in batches off the reply path: allow it a moment.)
for _ in $(seq 1 50); do
  AUDIT=$(curl -s -H "Authorization: Bearer $ADMIN" "$API/v1/tenants/$TENANT/audit")
  [ "$(jq '.items | length' <<<"$AUDIT")" -ge 2 ] && break
  sleep 0.1
done
[ "$(jq '.items | length' <<<"$AUDIT")" -eq 2 ] || fail "audit log: $AUDIT"
jq -e '[.items[].smtp_code] | sort == [250, 550]' <<<"$AUDIT" >/dev/null || fail "audit codes: $AUDIT"

# --- the README's template and HTTP send commands, verbatim ---
TEMPLATE=$(curl -s "${auth[@]}" -X POST "$API/v1/tenants/$TENANT/templates" -d "{\"name\":\"Invitation\",
  \"global\":true,\"subject\":\"Einladung: {{ event }}\",\"text_body\":\"Hallo {{ name }},\\nwir laden Sie ein.\\n\",
  \"from_mailbox_id\":\"$MAILBOX\",\"reply_to_mailbox_id\":\"$MAILBOX\"}" | jq -r .id)
ALICE_TEMPLATES=$(curl -s -H "Authorization: Bearer $ALICE" "$API/v1/me/templates" | jq -r '.[].name')
BOB_TEMPLATES=$(curl -s -H "Authorization: Bearer $BOB" "$API/v1/me/templates" | jq -r '.[].name')
INFO=$(curl -s -H "Authorization: Bearer $ALICE" "$API/v1/me/mailboxes" \
  | jq -r '.reply_to[] | select(.address=="info@demo.example") | .id')
SENT=$(curl -s -H "Authorization: Bearer $ALICE" -H "Content-Type: application/json" -H "Idempotency-Key: invite-1" \
  -X POST "$API/v1/me/messages" -d "{\"template_id\":\"$TEMPLATE\",\"variables\":{\"name\":\"Jo\",
  \"event\":\"Sommerfest\"},\"reply_to_mailbox_id\":\"$INFO\",\"to\":[\"guest@example.net\"]}")
# --- end of the README commands ---

[ "$TEMPLATE" != null ] && [ -n "$TEMPLATE" ] || fail "template not created"
[ "$ALICE_TEMPLATES" = Invitation ] || fail "Alice's templates: $ALICE_TEMPLATES"
[ -z "$BOB_TEMPLATES" ] || fail "Bob's templates: $BOB_TEMPLATES"
MESSAGE_ID=$(jq -r .message_id <<<"$SENT")
[[ "$MESSAGE_ID" == *@demo.example\> ]] || fail "HTTP send: $SENT"
eml=$(grep -l -F "$MESSAGE_ID" "$data"/outbox/* 2>/dev/null | head -1)
[ -n "$eml" ] || fail "the HTTP-sent message is not in the outbox"
grep -qE '^From: "?Events Team"? <events@demo.example>' "$eml" || fail "From: $(grep -i '^from:' "$eml")"
grep -qE '^Reply-To: "?Demo Info"? <info@demo.example>' "$eml" || fail "Reply-To: $(grep -i '^reply-to:' "$eml")"
grep -q '^Subject: Einladung: Sommerfest' "$eml" || fail "Subject: $(grep -i '^subject:' "$eml")"
AGAIN=$(curl -s -H "Authorization: Bearer $ALICE" -H "Content-Type: application/json" -H "Idempotency-Key: invite-1" \
  -X POST "$API/v1/me/messages" -d "{\"template_id\":\"$TEMPLATE\",\"variables\":{\"name\":\"Jo\",
  \"event\":\"Sommerfest\"},\"reply_to_mailbox_id\":\"$INFO\",\"to\":[\"guest@example.net\"]}")
[ "$(jq -r .message_id <<<"$AGAIN")" = "$MESSAGE_ID" ] || fail "the retried request: $AGAIN"
[ "$(grep -l -F "$MESSAGE_ID" "$data"/outbox/* | wc -l)" -eq 1 ] || fail "the retried request sent again"
HTTP_AUDIT=$(curl -s -H "Authorization: Bearer $ADMIN" "$API/v1/tenants/$TENANT/audit?mailbox_id=$MAILBOX")
jq -e '[.items[] | select(.channel=="http" and .outcome=="accepted")] | length == 1' <<<"$HTTP_AUDIT" >/dev/null \
  || fail "audit of the HTTP send: $HTTP_AUDIT"

# --- the README's domain claim: the record to publish; pending until it is found ---
CLAIM=$(curl -sS -X POST "$API/v1/tenants/$TENANT/domains" -H "authorization: Bearer $ADMIN" \
  -H 'content-type: application/json' -d '{"name": "seminars.example"}')
[ "$(jq -r .state <<<"$CLAIM")" = pending ] || fail "the claim: $CLAIM"
[ "$(jq -r '.records[0].name' <<<"$CLAIM")" = _sendas-challenge.seminars.example ] || fail "the record: $CLAIM"
jq -e '.records[0].value | startswith("sendas-verification=")' <<<"$CLAIM" >/dev/null || fail "the value: $CLAIM"
# (the quota is used up: the operator raises it first)
OPERATOR=$(jq -r .tokens.operator "$DEMO")
curl -s -X PATCH -H "Authorization: Bearer $OPERATOR" -H "Content-Type: application/json" \
  "$API/v1/tenants/$TENANT" -d '{"mailbox_quota": 9}' >/dev/null
PENDING=$(curl -s "${auth[@]}" -X POST "$API/v1/tenants/$TENANT/mailboxes" \
  -d '{"address":"office@seminars.example","display_name":"Office","global":true,"sender":true,"reply":true}')
[ "$(jq -r .ownership <<<"$PENDING")" = pending_domain ] || fail "a mailbox in a pending domain: $PENDING"
curl -s -H "Authorization: Bearer $ALICE" "$API/v1/me/mailboxes" | jq -e '[.from[].address] | index("office@seminars.example") == null' \
  >/dev/null || fail "alice may send from a pending domain"
echo "README walk-through: ok"
