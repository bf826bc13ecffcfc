"""moto's server mode with requests executed one at a time, and (with
`--iam FILE`) IAM enforced the way AWS enforces it for the deployed code.

Serialized: real DynamoDB executes TransactWriteItems serializably. moto's
server is threaded and its DynamoDB backend takes no lock: two concurrent
transactions can both pass the same condition, and a cancelled one
restores a deep copy of the table taken before a concurrent one wrote
(measured here: two winners in a 20-way race for one address). Holding
one lock around each request makes moto's conditions and transactions
atomic, as DynamoDB's are, while connections are still accepted
concurrently. Everything else is moto's own `moto_server` main.

Transactions: moto backs up every table a TransactWriteItems names with a
deep copy before it starts (to restore it if an item fails), which costs
time in proportion to the whole table — about a second per transaction
once a table holds a megabyte of items with long lists. Here the backup is
of the items the transaction addresses instead, restored the same way on
failure; with requests serialized nothing else can change the table
meanwhile, so the outcome is the same.

Item responses: moto turns every response into JSON by walking the
operation's output shape member by member, which takes about 2 s for one
1 MB Query response. The results of the item-reading operations (Query,
Scan, GetItem, BatchGetItem) are already DynamoDB JSON, so they are
written with `json.dumps` instead (the same document: checked by
`python scripts/moto_serialized.py --self-check`); anything that is not
plain JSON falls back to moto's serializer.

IAM (`--iam FILE`): before it listens, the server creates one IAM user
with an access key per principal of `scripts/aws_iam.py` — `admin`
(everything; test setup), `fn-platform`, `fn-directory`, `fn-mailboxes`,
`fn-me` (each function's `Policies` in infra/template.yaml) and
`proxy-task` (the proxy's task role in infra/proxy.yaml) — with the
policies read from the templates, writes their keys and the test naming to
FILE (JSON, written before the port opens), and switches enforcement on
for every request (`INITIAL_NO_AUTH_ACTION_COUNT = 0`): a request must be
signed with one of those keys. moto itself checks only actions (its
DynamoDB and Secrets Manager handlers authorise against resource `*`, and
it ignores conditions such as `dynamodb:LeadingKeys`), so for DynamoDB
and Secrets Manager the decision is `aws_iam.decide` instead: actions,
resources (table, index and secret ARNs), and conditions, per item of a
transaction or batch. A denied request answers `AccessDeniedException`
naming the principal, action, resource and partition keys.

Usage: python moto_serialized.py HOST PORT [--iam FILE]
       python moto_serialized.py --self-check
"""

import json
import os
import sys
import threading
from pathlib import Path

from werkzeug.serving import run_simple
from moto.moto_server.werkzeug_app import (
    DomainDispatcherApplication,
    MotoRequestHandler,
    create_backend_app,
)

sys.path.insert(0, str(Path(__file__).resolve().parent))
import aws_iam  # noqa: E402


def enforce_iam(out: Path, region: str) -> None:
    """Creates the principals, writes `out`, and turns on enforcement with our decisions."""
    from moto import settings
    from moto.core.exceptions import JsonRESTError
    from moto.dynamodb.models import dynamodb_backends
    from moto.iam import access_control
    from moto.iam.models import iam_backends

    policies = aws_iam.principal_policies(region)
    iam = iam_backends[aws_iam.ACCOUNT]["aws"]
    principals = {}
    for name, docs in policies.items():
        user = f"sendas-{name}"
        iam.create_user(region, user)
        for i, doc in enumerate(docs):
            iam.put_user_policy(user, f"{name}-{i}", json.dumps(doc))
        key = iam.create_access_key(user)
        principals[name] = {
            "user_arn": f"arn:aws:iam::{aws_iam.ACCOUNT}:user/{user}",
            "access_key_id": key.access_key_id,
            "secret_access_key": key.secret_access_key,
            "policies": docs,
        }
    document = {
        "account": aws_iam.ACCOUNT,
        "region": region,
        "naming": aws_iam.naming(region),
        "principals": principals,
    }
    tmp = out.with_suffix(".tmp")
    tmp.write_text(json.dumps(document, indent=2))
    os.chmod(tmp, 0o600)
    tmp.replace(out)

    class JsonError(JsonRESTError):
        code = 400

    class AccessDenied(JsonError):
        def __init__(self, message: str):
            super().__init__("AccessDeniedException", message)

    def hash_key_of(req_region: str):
        def lookup(table: str, index):
            try:
                t = dynamodb_backends[aws_iam.ACCOUNT][req_region].get_table(table)
            except Exception:  # an unknown table: moto answers ResourceNotFound after authorisation
                return None
            if index:
                for i in t.global_indexes + t.indexes:
                    if i.name == index:
                        return next((k["AttributeName"] for k in i.schema if k["KeyType"] == "HASH"), None)
                return None
            return t.hash_key_attr

        return lookup

    native = access_control.IAMRequest.check_action_permitted

    def check_action_permitted(self, resource: str) -> None:
        service = self._service
        if service not in ("dynamodb", "secretsmanager"):
            return native(self, resource)
        operation = self._action.split(":", 1)[1]
        raw = self._body or b""
        try:
            body = json.loads(raw) if raw else {}
        except ValueError:
            body = {}
        if service == "dynamodb":
            wanted = aws_iam.dynamodb_requests(operation, body, self._region, hash_key_of(self._region))
        else:
            wanted = aws_iam.secretsmanager_requests(operation, body, self._region)
        docs = [access_control.IAMPolicy(p)._policy_json for p in self._access_key.collect_policies()]
        for action, arn, context in wanted:
            decision = aws_iam.decide(docs, action, arn, context)
            if decision != "allow":
                keys = context.get("dynamodb:leadingkeys")
                detail = f" with dynamodb:LeadingKeys {keys}" if keys else ""
                raise AccessDenied(
                    f"User: {self._access_key.arn} is not authorized to perform: {action} on resource: {arn}"
                    f"{detail} ({decision}; request {operation})"
                )

    access_control.IAMRequest.check_action_permitted = check_action_permitted

    # DynamoDB and Secrets Manager speak JSON: answer bad keys and signatures as they do, so
    # the SDK reports the code (moto answers these in XML, which a JSON client cannot read).
    native_invalid_key = access_control.IAMRequest._raise_invalid_access_key
    native_bad_signature = access_control.IAMRequest._raise_signature_does_not_match

    def raise_invalid_access_key(self, reason: str) -> None:
        if self._service in ("dynamodb", "secretsmanager"):
            raise JsonError("UnrecognizedClientException", "The security token included in the request is invalid.")
        native_invalid_key(self, reason)

    def raise_signature_does_not_match(self) -> None:
        if self._service in ("dynamodb", "secretsmanager"):
            raise JsonError("InvalidSignatureException", "The request signature we calculated does not match.")
        native_bad_signature(self)

    access_control.IAMRequest._raise_invalid_access_key = raise_invalid_access_key
    access_control.IAMRequest._raise_signature_does_not_match = raise_signature_does_not_match
    settings.INITIAL_NO_AUTH_ACTION_COUNT = 0


def fast_transactions() -> None:
    """TransactWriteItems backs up the addressed items, not whole tables (see the module docs)."""
    import copy

    import moto.dynamodb.models as ddb
    from moto.dynamodb.models.dynamo_type import DynamoType
    from moto.dynamodb.models.table import Table

    class TablesByReference:
        """moto's `copy` inside moto.dynamodb.models: a Table "copy" is the table itself."""

        def __getattr__(self, name):
            return getattr(copy, name)

        @staticmethod
        def deepcopy(value, memo=None):
            return value if isinstance(value, Table) else copy.deepcopy(value, memo)

    ddb.copy = TablesByReference()
    native = ddb.DynamoDBBackend.transact_write_items

    def transact_write_items(self, transact_items):
        saved = []
        for entry in transact_items:
            _, op = next(iter(entry.items()))
            table = self.tables.get(op.get("TableName"))
            if table is None:
                continue
            key = op.get("Key") or op.get("Item") or {}
            if table.hash_key_attr not in key or (table.range_key_attr and table.range_key_attr not in key):
                continue
            hk = DynamoType(key[table.hash_key_attr])
            rk = DynamoType(key[table.range_key_attr]) if table.range_key_attr in key else None
            current = table.get_item(hk, rk)
            saved.append((table, hk, rk, copy.deepcopy(current)))
        try:
            return native(self, transact_items)
        except BaseException:
            for table, hk, rk, old in reversed(saved):
                if rk is None:
                    if old is None:
                        table.items.pop(hk, None)
                    else:
                        table.items[hk] = old
                elif old is None:
                    table.items.get(hk, {}).pop(rk, None)
                else:
                    table.items[hk][rk] = old
            raise

    ddb.DynamoDBBackend.transact_write_items = transact_write_items


FAST_OPERATIONS = {"Query", "Scan", "GetItem", "BatchGetItem"}


def fast_item_responses() -> None:
    """Item-reading DynamoDB responses written with json.dumps (see the module docs)."""
    from moto.dynamodb.responses import DynamoHandler

    native = DynamoHandler.serialized

    def serialized(self, action_result):
        if self._get_action() in FAST_OPERATIONS and isinstance(action_result.result, dict):
            try:
                body = json.dumps(action_result.result, allow_nan=False)
            except (TypeError, ValueError):
                return native(self, action_result)
            headers = {"Content-Type": "application/x-amz-json-1.0"}
            headers.update(self.response_headers)
            return 200, headers, body
        return native(self, action_result)

    DynamoHandler.serialized = serialized


def self_check() -> None:
    """The fast item responses equal moto's own for every attribute type and operation."""
    import base64

    from werkzeug.test import Client

    app = DomainDispatcherApplication(create_backend_app)
    client = Client(app)
    auth = "AWS4-HMAC-SHA256 Credential=x/20261202/eu-central-1/dynamodb/aws4_request, SignedHeaders=host, Signature=x"

    def call(op, body):
        headers = {
            "X-Amz-Target": f"DynamoDB_20120810.{op}",
            "Content-Type": "application/x-amz-json-1.0",
            "Authorization": auth,
            "Host": "dynamodb.eu-central-1.amazonaws.com",
        }
        return json.loads(client.post("/", data=json.dumps(body), headers=headers).data)

    s = lambda v: {"S": v}  # noqa: E731
    call("CreateTable", {
        "TableName": "t", "BillingMode": "PAY_PER_REQUEST",
        "AttributeDefinitions": [{"AttributeName": n, "AttributeType": "S"} for n in ("PK", "SK", "G")],
        "KeySchema": [{"AttributeName": "PK", "KeyType": "HASH"}, {"AttributeName": "SK", "KeyType": "RANGE"}],
        "GlobalSecondaryIndexes": [{"IndexName": "GSI1", "KeySchema": [{"AttributeName": "G", "KeyType": "HASH"}],
                                    "Projection": {"ProjectionType": "ALL"}}],
    })
    b64 = lambda b: base64.b64encode(b).decode()  # noqa: E731
    for i in range(5):
        call("PutItem", {"TableName": "t", "Item": {
            "PK": s("T#1"), "SK": s(f"M#{i}"), "G": s("g"), "b": {"B": b64(b"\x00\x01")}, "n": {"N": "1.50"},
            "bo": {"BOOL": True}, "nu": {"NULL": True}, "l": {"L": [s("q"), {"N": "2"}]},
            "m": {"M": {"x": {"SS": ["a", "b"]}, "y": {"NS": ["1", "2"]}, "z": {"BS": [b64(b"z")]}}},
        }})
    key = {"PK": s("T#1"), "SK": s("M#1")}
    cases = [
        ("Query", {"TableName": "t", "KeyConditionExpression": "PK = :p", "ExpressionAttributeValues": {":p": s("T#1")},
                   "Limit": 3, "ReturnConsumedCapacity": "TOTAL"}),
        ("Query", {"TableName": "t", "IndexName": "GSI1", "KeyConditionExpression": "G = :p",
                   "ExpressionAttributeValues": {":p": s("g")}, "Limit": 3}),
        ("GetItem", {"TableName": "t", "Key": key, "ConsistentRead": True}),
        ("GetItem", {"TableName": "t", "Key": {"PK": s("T#1"), "SK": s("none")}}),
        ("BatchGetItem", {"RequestItems": {"t": {"Keys": [key, {"PK": s("T#9"), "SK": s("x")}], "ConsistentRead": True}}}),
        ("Scan", {"TableName": "t", "Limit": 2}),
    ]
    native = [call(op, body) for op, body in cases]
    fast_item_responses()
    for (op, body), want in zip(cases, native):
        got = call(op, body)
        if got != want:
            sys.exit(f"{op}: fast response differs\n moto: {want}\n fast: {got}")
    print(f"self-check: {len(cases)} item responses identical to moto's serializer")


def main() -> None:
    args = sys.argv[1:]
    if args == ["--self-check"]:
        return self_check()
    iam_out = None
    if "--iam" in args:
        i = args.index("--iam")
        iam_out = Path(args[i + 1])
        del args[i : i + 2]
    host, port = args[0], int(args[1])
    os.environ.setdefault("MOTO_PORT", str(port))
    fast_transactions()
    fast_item_responses()
    if iam_out is not None:
        enforce_iam(iam_out, os.environ.get("AWS_REGION", "eu-central-1"))
    app = DomainDispatcherApplication(create_backend_app)
    lock = threading.Lock()

    def serialized(environ, start_response):
        with lock:
            # Consume the response inside the lock: moto builds it lazily.
            return list(app(environ, start_response))

    run_simple(host, port, serialized, threaded=True, request_handler=MotoRequestHandler)


if __name__ == "__main__":
    main()
