"""The SAM template against the router's route table.

`python infra/routes.py check OPENAPI.json` fails when a route of the API
has no function event, a scheduled function (the re-check) lacks its one
schedule or grants more than its job, an event has no route, an event is on the wrong
function (each function serves one area, the operation's OpenAPI tag), a
function lacks the IAM actions its area's store calls need, the proxy's
message budget (infra/proxy/proxy.toml) takes more than half of its ECS
task's memory (infra/proxy.yaml), or a policy of
either template names an action IAM does not have (a transaction is
authorised per item, as PutItem / UpdateItem / DeleteItem /
ConditionCheckItem: `dynamodb:TransactWriteItems` grants nothing). Whether
the policies really suffice, resources and conditions included, is what
the tests find out: they run every AWS call as the deployed principal on a
moto that enforces these policies (scripts/moto_serialized.py).
`python infra/routes.py print OPENAPI.json` prints the events YAML of each
function (to paste into infra/template.yaml).

Run by scripts/test.sh with the document from `sendas openapi`.
"""

import json
import sys
import tomllib
from pathlib import Path

from cfnlint.decode import decode_str

TEMPLATE = Path(__file__).with_name("template.yaml")
FUNCTION_OF_AREA = {"platform": "PlatformFunction", "directory": "DirectoryFunction", "mailboxes": "MailboxesFunction", "me": "MeFunction", "send": "SendFunction"}

PROXY = Path(__file__).with_name("proxy.yaml")
PROXY_TOML = Path(__file__).parent / "proxy" / "proxy.toml"
# The share of the ECS task's memory the proxy's message budget may take (the rest: sessions,
# TLS, caches, the runtime). The budget bench (bench/run.py, measure_budget) shows the peak RSS
# stays within base + budget.
BUDGET_SHARE_OF_TASK = 0.5
# Names that look like IAM actions but are not: DynamoDB authorises each item of a
# transaction with the item's own action (Service Authorization Reference).
NOT_IAM_ACTIONS = {"dynamodb:TransactWriteItems", "dynamodb:TransactGetItems"}

# What each area's routes call on the stores (sendas-store-aws), as IAM actions
# (transactions: the actions of their items).
DYNAMO_READ = {"dynamodb:GetItem", "dynamodb:Query"}
DYNAMO_WRITE = {"dynamodb:PutItem", "dynamodb:UpdateItem", "dynamodb:DeleteItem"}
SECRETS_WRITE = {"secretsmanager:CreateSecret", "secretsmanager:PutSecretValue", "secretsmanager:DeleteSecret"}
NEEDS = {
    # tenants (transactions), tokens, system relay (its password is a secret)
    "platform": DYNAMO_READ | DYNAMO_WRITE | SECRETS_WRITE,
    # companies, users (login claims in transactions), groups, tokens, credentials
    "directory": DYNAMO_READ | DYNAMO_WRITE,
    # mailboxes (quota transactions), passwords (secrets), verify (reads the password), audit
    "mailboxes": DYNAMO_READ | DYNAMO_WRITE | SECRETS_WRITE | {"secretsmanager:GetSecretValue"},
    # me: reads, and the user's own credentials (with the user's credential counter: UpdateItem)
    "me": DYNAMO_READ | {"dynamodb:PutItem", "dynamodb:UpdateItem", "dynamodb:DeleteItem"},
    # send: reads, audit/health/idempotency puts, key release, the login secret (a rotated refresh token stored back)
    "send": DYNAMO_READ
    | {"dynamodb:PutItem", "dynamodb:DeleteItem", "secretsmanager:GetSecretValue", "secretsmanager:PutSecretValue"},
}


# Functions no route reaches: each runs on one enabled schedule, has no HTTP
# event, and may do exactly what its job needs (the re-check of sending
# domains: list, read and write claims; no secret).
SCHEDULED = {
    "RecheckFunction": ("rate(1 hour)", {"dynamodb:Query", "dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:DeleteItem"}),
}


def schedule_problems(template):
    problems = []
    for name, res in template["Resources"].items():
        if res.get("Type") != "AWS::Serverless::Function":
            continue
        if name not in SCHEDULED and name not in FUNCTION_OF_AREA.values():
            problems.append(f"{name} is neither an API area's function nor a scheduled one (infra/routes.py)")
    for name, (rate, needs) in SCHEDULED.items():
        res = template["Resources"].get(name)
        if res is None:
            problems.append(f"{name} (scheduled, {rate}) is missing")
            continue
        evs = list((res["Properties"].get("Events") or {}).values())
        schedules = [e for e in evs if e.get("Type") == "Schedule"]
        if len(evs) != 1 or len(schedules) != 1:
            problems.append(f"{name}: expected exactly one Schedule event and nothing else, found {[e.get('Type') for e in evs]}")
        elif schedules[0]["Properties"].get("Schedule") != rate or schedules[0]["Properties"].get("Enabled") is not True:
            problems.append(f"{name}: its schedule is not an enabled {rate}")
        granted = actions(template, name)
        if granted != needs:
            problems.append(f"{name} grants {sorted(granted)}, its job needs exactly {sorted(needs)}")
    return problems


def memory_problems(proxy):
    """The proxy's message budget (infra/proxy/proxy.toml) fits its ECS task's memory."""
    tasks = [r for r in proxy.get("Resources", {}).values() if r.get("Type") == "AWS::ECS::TaskDefinition"]
    if len(tasks) != 1:
        return [f"infra/proxy.yaml: {len(tasks)} task definitions, expected 1"]
    task_mib = int(tasks[0]["Properties"]["Memory"])
    limits = tomllib.loads(PROXY_TOML.read_text()).get("limits", {})
    budget = limits.get("message_budget_bytes")
    if budget is None:
        return ["infra/proxy/proxy.toml: [limits] message_budget_bytes is not set (the default need not fit the task)"]
    allowed = int(task_mib * (1 << 20) * BUDGET_SHARE_OF_TASK)
    if budget > allowed:
        return [f"infra/proxy/proxy.toml: message_budget_bytes {budget} exceeds {BUDGET_SHARE_OF_TASK:.0%} "
                f"of the task's {task_mib} MiB (infra/proxy.yaml): at most {allowed}"]
    size = limits.get("max_message_size", 25 << 20)
    if size * 2 > budget:
        return [f"infra/proxy/proxy.toml: a message of max_message_size {size} (counted twice) does not fit the budget"]
    return []


def routes(doc):
    out = {}
    for path, item in doc["paths"].items():
        for method, op in item.items():
            area = (op.get("tags") or ["?"])[0]
            out[(method.upper(), path)] = area
    return out


def events(template):
    out = {}
    for name, res in template["Resources"].items():
        if res.get("Type") != "AWS::Serverless::Function":
            continue
        for ev in (res["Properties"].get("Events") or {}).values():
            if ev.get("Type") == "HttpApi":
                p = ev["Properties"]
                out[(p["Method"].upper(), p["Path"])] = name
    return out


def actions(template, function):
    found = set()
    for policy in template["Resources"][function]["Properties"].get("Policies", []):
        for st in policy.get("Statement", []) if isinstance(policy, dict) else []:
            acts = st.get("Action", [])
            found |= set([acts] if isinstance(acts, str) else acts)
    return found


def all_policy_actions(template):
    """(resource, action) for every action in every policy statement of the template."""
    out = []
    for name, res in template["Resources"].items():
        props = res.get("Properties") or {}
        docs = [p for p in props.get("Policies") or [] if isinstance(p, dict)]
        docs = [d.get("PolicyDocument", d) for d in docs]
        for doc in docs:
            for st in doc.get("Statement", []):
                acts = st.get("Action", [])
                out += [(name, a) for a in ([acts] if isinstance(acts, str) else acts)]
    return out


def main():
    mode, doc_path = sys.argv[1], sys.argv[2]
    doc = json.loads(Path(doc_path).read_text())
    api = routes(doc)
    if mode == "print":
        for area, fn in FUNCTION_OF_AREA.items():
            print(f"# {fn}")
            for (method, path), a in sorted(api.items(), key=lambda kv: (kv[0][1], kv[0][0])):
                if a == area:
                    words = path.replace("{", "/").replace("}", "/").replace("-", "/").replace("_", "/").split("/")
                    name = "".join(w.capitalize() for w in words if w and w != "v1") + method.capitalize()
                    print(f"        {name}:\n          Type: HttpApi\n          Properties:\n            ApiId: !Ref HttpApi\n            Path: {path}\n            Method: {method}")
        return
    template, matches = decode_str(TEMPLATE.read_text())
    if matches:
        sys.exit(f"template does not parse: {matches}")
    evs = events(template)
    problems = []
    for key, area in api.items():
        fn = FUNCTION_OF_AREA.get(area)
        if key not in evs:
            problems.append(f"route {key} (area {area}) has no function event")
        elif evs[key] != fn:
            problems.append(f"route {key} is on {evs[key]}, its area {area} is {fn}")
    for key, fn in evs.items():
        if key not in api and key != ("GET", "/v1/openapi.json"):
            problems.append(f"event {key} on {fn} has no route")
    for area, fn in FUNCTION_OF_AREA.items():
        missing = NEEDS[area] - actions(template, fn)
        if missing:
            problems.append(f"{fn} lacks {sorted(missing)}")
        if area in ("directory", "me") and any(a.startswith("secretsmanager:") for a in actions(template, fn)):
            problems.append(f"{fn} must not touch Secrets Manager")
    problems += schedule_problems(template)
    proxy, matches = decode_str(PROXY.read_text())
    if matches:
        sys.exit(f"proxy template does not parse: {matches}")
    problems += memory_problems(proxy)
    for path, tpl in (("infra/template.yaml", template), ("infra/proxy.yaml", proxy)):
        for resource, action in all_policy_actions(tpl):
            if action in NOT_IAM_ACTIONS:
                problems.append(f"{path} {resource}: {action} is not an IAM action (items of a transaction are authorised by their own actions)")
    if problems:
        sys.exit("infra/template.yaml does not match the API:\n  " + "\n  ".join(problems))
    print(f"routes: {len(api)} operations, each on its area's function; IAM actions cover the store calls; "
          f"{len(SCHEDULED)} scheduled function(s) on their schedule with only what their job needs; "
          f"the proxy's message budget fits its task's memory")


if __name__ == "__main__":
    main()
