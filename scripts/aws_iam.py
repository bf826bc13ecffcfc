"""The IAM policies of the deployed code, read from the templates, and an
evaluator for them.

Principals (what the deployed code runs as):

| principal     | where it comes from |
|---|---|
| `admin`       | test setup (creating tables, seeding): allowed everything |
| `fn-platform` | `Policies` of the function whose binary is `sendas-fn-platform` (infra/template.yaml) |
| `fn-directory`, `fn-mailboxes`, `fn-me`, `fn-send`, `fn-recheck` | likewise (`fn-recheck`: the scheduled re-check of sending domains) |
| `proxy-task`  | the inline policies of the role the proxy's task definition names as `TaskRoleArn` (infra/proxy.yaml) |

The templates are parsed (cfn-lint's loader, which knows the `!Ref`,
`!Sub`, `!GetAtt` tags) and their intrinsic functions resolved with the
test parameters: account 123456789012, the tests' region, and the test
naming pattern — table `sendas-test-{id}`, secret prefix
`sendas-test-{id}/`, where `{id}` is 32 characters (the tests use 32 hex
digits; the policies get 32 `?` wildcards, so every test table matches and
nothing else does: not another table, not an index of a table the
statement does not name).

The evaluator implements what these policies use, the way IAM does:
Allow/Deny with Deny winning, `Action`/`NotAction` and
`Resource`/`NotResource` with `*` and `?` wildcards, and `Condition` with
the string operators (`StringEquals`, `StringNotEquals`, `StringLike`,
`StringNotLike`, `...IfExists`) and the `ForAllValues:` / `ForAnyValue:`
qualifiers on the context keys a DynamoDB or Secrets Manager request has
(`dynamodb:LeadingKeys`, `dynamodb:EnclosingOperation`). Anything else in a
`Condition` is an error, never silently allowed. What a request asks for is
what the AWS Service Authorization Reference says: a transaction needs the
per-item action (`dynamodb:PutItem`, `UpdateItem`, `DeleteItem`,
`ConditionCheckItem`, `GetItem`) on each item's table, there is no
`dynamodb:TransactWriteItems` action; a batch needs `BatchGetItem` /
`BatchWriteItem` on each table; a Query or Scan with `IndexName` targets the
index ARN; `dynamodb:LeadingKeys` holds the partition-key values the
request addresses.

`python scripts/aws_iam.py print` prints the resolved policies.
"""

from __future__ import annotations

import functools
import json
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TEMPLATE = ROOT / "infra" / "template.yaml"
PROXY = ROOT / "infra" / "proxy.yaml"

ACCOUNT = "123456789012"
PARTITION = "aws"
ID_PLACEHOLDER = "{id}"
ID_WILDCARD = "?" * 32
# The test naming: `Stage` names the API stack's table; the proxy stack takes the table's name.
TEST_STAGE = f"test-{ID_PLACEHOLDER}"
TEST_SECRET_PREFIX = f"sendas-test-{ID_PLACEHOLDER}/"
PRINCIPALS = ["admin", "fn-platform", "fn-directory", "fn-mailboxes", "fn-me", "fn-send", "fn-recheck", "proxy-task"]
ADMIN_POLICY = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}


class TemplateError(Exception):
    """A template construct this resolver does not know: fail, never guess."""


def load(path: Path) -> dict:
    from cfnlint.decode import decode_str

    template, matches = decode_str(path.read_text())
    if matches:
        raise TemplateError(f"{path} does not parse: {matches}")
    return json.loads(json.dumps(template, default=str))


class Resolver:
    """Resolves `Ref`, `Fn::Sub`, `Fn::GetAtt` in one template."""

    def __init__(self, template: dict, parameters: dict[str, str], region: str):
        self.template = template
        self.region = region
        self.values = {name: spec.get("Default") for name, spec in (template.get("Parameters") or {}).items()}
        self.values.update(parameters)
        self.values.update(
            {
                "AWS::Region": region,
                "AWS::AccountId": ACCOUNT,
                "AWS::Partition": PARTITION,
                "AWS::URLSuffix": "amazonaws.com",
            }
        )

    def ref(self, name: str) -> str:
        if name in self.values:
            if self.values[name] is None:
                raise TemplateError(f"parameter {name} has no value")
            return str(self.values[name])
        resource = (self.template.get("Resources") or {}).get(name)
        if resource and resource.get("Type") == "AWS::DynamoDB::Table":
            return self.resolve(resource["Properties"]["TableName"])
        raise TemplateError(f"cannot resolve Ref {name}")

    def get_att(self, name: str, attribute: str) -> str:
        resource = (self.template.get("Resources") or {}).get(name)
        if resource and resource.get("Type") == "AWS::DynamoDB::Table" and attribute == "Arn":
            return f"arn:{PARTITION}:dynamodb:{self.region}:{ACCOUNT}:table/{self.ref(name)}"
        raise TemplateError(f"cannot resolve GetAtt {name}.{attribute}")

    def sub(self, text: str, variables: dict) -> str:
        def one(m: re.Match) -> str:
            name = m.group(1)
            if name.startswith("!"):
                return "${" + name[1:] + "}"
            if name in variables:
                return self.resolve(variables[name])
            if "." in name:
                resource, attribute = name.split(".", 1)
                return self.get_att(resource, attribute)
            return self.ref(name)

        return re.sub(r"\$\{([^}]+)\}", one, text)

    def resolve(self, value):
        if isinstance(value, list):
            return [self.resolve(v) for v in value]
        if isinstance(value, dict):
            if len(value) == 1:
                (key, arg), = value.items()
                if key == "Ref":
                    return self.ref(arg)
                if key == "Fn::GetAtt":
                    name, attribute = arg if isinstance(arg, list) else arg.split(".", 1)
                    return self.get_att(name, attribute)
                if key == "Fn::Sub":
                    text, variables = (arg, {}) if isinstance(arg, str) else (arg[0], arg[1])
                    return self.sub(text, variables)
                if key.startswith("Fn::"):
                    raise TemplateError(f"{key} is not supported in an IAM policy here")
            return {k: self.resolve(v) for k, v in value.items()}
        return value


def _documents_of_function(resolver: Resolver, name: str, function: dict) -> list[dict]:
    docs = []
    for policy in function["Properties"].get("Policies") or []:
        if not isinstance(policy, dict) or "Statement" not in policy:
            raise TemplateError(f"{name}: only inline policy statements are supported, not {policy!r}")
        doc = resolver.resolve(policy)
        doc.setdefault("Version", "2012-10-17")
        docs.append(doc)
    return docs


def _documents_of_role(resolver: Resolver, name: str, role: dict) -> list[dict]:
    props = role["Properties"]
    if props.get("ManagedPolicyArns"):
        raise TemplateError(f"{name}: managed policies are not modelled")
    return [resolver.resolve(p["PolicyDocument"]) for p in props.get("Policies") or []]


def function_binaries() -> dict[str, str]:
    """The template's function logical id -> its binary, as the Makefile's `bin_<LogicalId> := <binary>` lines say
    (the Makefile builds what `sam build` ships)."""
    makefile = ROOT / "Makefile"
    found = {}
    for line in makefile.read_text().splitlines():
        m = re.match(r"^bin_(\w+) := (\S+)$", line)
        if m:
            found[m[1]] = m[2]
    return found


def principal_policies(region: str, id_value: str = ID_WILDCARD) -> dict:
    """Principal name -> list of IAM policy documents, for tables `sendas-test-<id>`."""
    stage = TEST_STAGE.replace(ID_PLACEHOLDER, id_value)
    prefix = TEST_SECRET_PREFIX.replace(ID_PLACEHOLDER, id_value)
    api = load(TEMPLATE)
    resolver = Resolver(api, {"Stage": stage, "SecretPrefix": prefix}, region)
    out: dict[str, list[dict]] = {"admin": [ADMIN_POLICY]}
    table_name = None
    for name, res in api["Resources"].items():
        if res.get("Type") == "AWS::DynamoDB::Table":
            table_name = resolver.ref(name)
        if res.get("Type") != "AWS::Serverless::Function":
            continue
        binary = function_binaries().get(name, "")
        if not binary.startswith("sendas-fn-"):
            raise TemplateError(f"{name}: the Makefile builds no sendas-fn-* binary for it (bin_{name} := ...)")
        out["fn-" + binary.removeprefix("sendas-fn-")] = _documents_of_function(resolver, name, res)
    if table_name is None:
        raise TemplateError("infra/template.yaml declares no table")

    proxy = load(PROXY)
    presolver = Resolver(proxy, {"Stage": stage, "TableName": table_name, "SecretPrefix": prefix}, region)
    task_roles = [
        res["Properties"]["TaskRoleArn"]
        for res in proxy["Resources"].values()
        if res.get("Type") == "AWS::ECS::TaskDefinition"
    ]
    if len(task_roles) != 1 or "Fn::GetAtt" not in task_roles[0]:
        raise TemplateError("infra/proxy.yaml: expected one task definition with TaskRoleArn: !GetAtt <Role>.Arn")
    role_name = task_roles[0]["Fn::GetAtt"]
    role_name = role_name[0] if isinstance(role_name, list) else role_name.split(".")[0]
    out["proxy-task"] = _documents_of_role(presolver, role_name, proxy["Resources"][role_name])
    missing = set(PRINCIPALS) - set(out)
    if missing:
        raise TemplateError(f"no policies found for {sorted(missing)}")
    return out


def naming(region: str) -> dict:
    """The names the tests use, as patterns with `{id}` (32 lowercase hex digits)."""
    api = load(TEMPLATE)
    resolver = Resolver(api, {"Stage": TEST_STAGE, "SecretPrefix": TEST_SECRET_PREFIX}, region)
    tables = [resolver.ref(n) for n, r in api["Resources"].items() if r.get("Type") == "AWS::DynamoDB::Table"]
    return {"table": tables[0], "secret_prefix": TEST_SECRET_PREFIX}


# ---- evaluation -------------------------------------------------------------------------------


@functools.lru_cache(maxsize=4096)
def _compiled(pattern: str, ignore_case: bool) -> re.Pattern:
    regex = "".join(".*" if c == "*" else "." if c == "?" else re.escape(c) for c in pattern)
    return re.compile(regex, re.IGNORECASE | re.DOTALL if ignore_case else re.DOTALL)


def _glob(pattern: str, value: str, ignore_case: bool = False) -> bool:
    """IAM wildcard match: `*` any run of characters, `?` any one character, nothing else special."""
    return _compiled(pattern, ignore_case).fullmatch(value) is not None


def _listed(value) -> list:
    return value if isinstance(value, list) else [value]


STRING_OPERATORS = {
    "StringEquals": lambda p, v: p == v,
    "StringNotEquals": lambda p, v: p != v,
    "StringLike": lambda p, v: _glob(p, v),
    "StringNotLike": lambda p, v: not _glob(p, v),
}
NEGATED = {"StringNotEquals", "StringNotLike"}


def _condition_holds(operator: str, key: str, wanted: list, context: dict) -> bool:
    qualifier, _, op = operator.rpartition(":")
    if_exists = op.endswith("IfExists")
    op = op.removesuffix("IfExists")
    if op not in STRING_OPERATORS or qualifier not in ("", "ForAllValues", "ForAnyValue"):
        raise TemplateError(f"condition operator {operator} is not supported by the test evaluator")
    test = STRING_OPERATORS[op]
    values = context.get(key.lower())
    if values is None:
        # Key absent: ForAllValues holds vacuously (as in AWS); IfExists holds; otherwise it fails.
        return qualifier == "ForAllValues" or if_exists
    if not isinstance(values, list):
        values = [values]
    # A negated operator matches when the value matches none of the patterns.
    def one(v: str) -> bool:
        if op in NEGATED:
            return all(test(p, v) for p in wanted)
        return any(test(p, v) for p in wanted)

    if qualifier == "ForAllValues":
        return all(one(v) for v in values)
    if qualifier == "ForAnyValue":
        return any(one(v) for v in values)
    if len(values) != 1:
        raise TemplateError(f"{key} has several values: a condition on it needs ForAllValues or ForAnyValue")
    return one(values[0])


def _statement_applies(st: dict, action: str, resource: str, context: dict) -> bool:
    if "Action" in st:
        if not any(_glob(a, action, ignore_case=True) for a in _listed(st["Action"])):
            return False
    elif "NotAction" in st:
        if any(_glob(a, action, ignore_case=True) for a in _listed(st["NotAction"])):
            return False
    if "Resource" in st:
        if not any(_glob(r, resource) for r in _listed(st["Resource"])):
            return False
    elif "NotResource" in st:
        if any(_glob(r, resource) for r in _listed(st["NotResource"])):
            return False
    for operator, keys in (st.get("Condition") or {}).items():
        for key, wanted in keys.items():
            if not _condition_holds(operator, key, [str(w) for w in _listed(wanted)], context):
                return False
    return True


def decide(policies: list[dict], action: str, resource: str, context: dict) -> str:
    """`allow`, `deny` (an explicit Deny) or `implicit-deny`."""
    allowed = False
    for doc in policies:
        for st in _listed(doc.get("Statement", [])):
            if _statement_applies(st, action, resource, context):
                if st.get("Effect") == "Deny":
                    return "deny"
                allowed = True
    return "allow" if allowed else "implicit-deny"


# ---- what a request asks for -------------------------------------------------------------------


def _s(attr) -> str | None:
    if isinstance(attr, dict):
        for kind in ("S", "N", "B"):
            if kind in attr:
                return str(attr[kind])
    return None


def dynamodb_requests(operation: str, body: dict, region: str, hash_key_of) -> list[tuple[str, str, dict]]:
    """(action, resource ARN, condition context) for each authorization a DynamoDB call needs.

    `hash_key_of(table, index)` answers the partition-key attribute name (or None if unknown).
    """
    arn = lambda table, index=None: (  # noqa: E731
        f"arn:{PARTITION}:dynamodb:{region}:{ACCOUNT}:table/{table}" + (f"/index/{index}" if index else "")
    )

    def leading(table: str, keys: list) -> list[str] | None:
        attr = hash_key_of(table, None)
        if attr is None:
            return None
        return sorted({v for k in keys if (v := _s((k or {}).get(attr))) is not None})

    def ctx(lead, enclosing=None) -> dict:
        c = {}
        if lead is not None:
            c["dynamodb:leadingkeys"] = lead
        if enclosing:
            c["dynamodb:enclosingoperation"] = [enclosing]
        return c

    out = []
    if operation in ("TransactWriteItems", "TransactGetItems"):
        kinds = {"Put": "PutItem", "Update": "UpdateItem", "Delete": "DeleteItem", "ConditionCheck": "ConditionCheckItem", "Get": "GetItem"}
        for item in body.get("TransactItems", []):
            for kind, action in kinds.items():
                if kind in item:
                    inner = item[kind]
                    key = inner.get("Key") or inner.get("Item")
                    table = inner.get("TableName", "")
                    out.append((f"dynamodb:{action}", arn(table), ctx(leading(table, [key]), operation)))
        return out
    if operation in ("BatchGetItem", "BatchWriteItem"):
        for table, request in (body.get("RequestItems") or {}).items():
            if operation == "BatchGetItem":
                keys = request.get("Keys", [])
            else:
                keys = [(w.get("PutRequest") or {}).get("Item") or (w.get("DeleteRequest") or {}).get("Key") for w in request]
            out.append((f"dynamodb:{operation}", arn(table), ctx(leading(table, keys))))
        return out
    table = body.get("TableName")
    if not table:
        return [(f"dynamodb:{operation}", "*", {})]
    index = body.get("IndexName")
    if operation in ("GetItem", "PutItem", "UpdateItem", "DeleteItem"):
        lead = leading(table, [body.get("Key") or body.get("Item")])
    elif operation == "Query":
        lead = _query_leading(body, hash_key_of(table, index))
    elif operation == "Scan":
        lead = []
    else:
        lead = None
    return [(f"dynamodb:{operation}", arn(table, index), ctx(lead))]


def _query_leading(body: dict, attr: str | None) -> list[str] | None:
    if attr is None:
        return None
    names = body.get("ExpressionAttributeNames") or {}
    values = body.get("ExpressionAttributeValues") or {}
    expr = body.get("KeyConditionExpression")
    if expr:
        for name, placeholder in re.findall(r"([#\w.]+)\s*=\s*(:\w+)", expr):
            if names.get(name, name) == attr and placeholder in values:
                return [_s(values[placeholder])]
        return None
    cond = (body.get("KeyConditions") or {}).get(attr)
    if cond and cond.get("ComparisonOperator") == "EQ":
        return [_s(cond["AttributeValueList"][0])]
    return None


def secretsmanager_requests(operation: str, body: dict, region: str) -> list[tuple[str, str, dict]]:
    name = body.get("SecretId") or body.get("Name")
    if not name:
        return [(f"secretsmanager:{operation}", "*", {})]
    if name.startswith("arn:"):
        resource = name
    else:
        # A secret's ARN ends in '-' and six random characters.
        resource = f"arn:{PARTITION}:secretsmanager:{region}:{ACCOUNT}:secret:{name}-XXXXXX"
    return [(f"secretsmanager:{operation}", resource, {})]


def main() -> None:
    region = sys.argv[2] if len(sys.argv) > 2 else "eu-central-1"
    if sys.argv[1:2] == ["print"]:
        print(json.dumps({"naming": naming(region), "policies": principal_policies(region)}, indent=2))
    else:
        sys.exit("usage: aws_iam.py print [REGION]")


if __name__ == "__main__":
    main()
