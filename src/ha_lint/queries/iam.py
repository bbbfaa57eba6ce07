"""IAM, just enough to answer: may this Lambda function write its logs?

A function's execution role is followed when it is defined in the scanned set; its
permissions are the union of its inline policies (``Policies``, ``inline_policy``), policies
attached to it by other resources (``AWS::IAM::Policy``, ``AWS::IAM::ManagedPolicy``,
``AWS::IAM::RolePolicy``, ``aws_iam_role_policy``, ``aws_iam_role_policy_attachment``,
``aws_iam_policy_attachment``), and managed policies by ARN: customer managed ones when
defined in the scanned set, AWS managed ones by name; an explicit unconditional Deny on
``"*"`` takes away what they allow. Anything that cannot be read (a policy document data
source that merges others, an ARN built at deploy time, a customer managed policy defined
elsewhere, an action list from a parameter) makes the answer unknown when it may grant an
action the rest does not: an unknown part only silences a rule when that part decides it.
A statement's ``Resource`` never decides (a ``jsonencode`` policy whose resource is an ARN
known after apply is read), nor does an ``Fn::If`` statement that grants none of the actions
in any branch.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from fnmatch import fnmatchcase
from typing import Any, Iterator

from ha_lint.graph import Architecture
from ha_lint.model import Resource
from ha_lint.queries.events import document
from ha_lint.values import UNKNOWN, Choice, Ref

LOG_ACTIONS = ("logs:CreateLogStream", "logs:PutLogEvents")

# AWS managed policies that allow logs:CreateLogStream and logs:PutLogEvents. Any other AWS
# managed policy is taken to grant neither (the common ones attached to functions, such as
# AmazonS3ReadOnlyAccess or AWSXRayDaemonWriteAccess, do not).
AWS_MANAGED_WITH_LOGS = frozenset({
    "AWSLambdaBasicExecutionRole", "AWSLambdaBasicDurableExecutionRolePolicy",
    "AWSLambdaVPCAccessExecutionRole", "AWSLambdaSQSQueueExecutionRole",
    "AWSLambdaKinesisExecutionRole", "AWSLambdaDynamoDBExecutionRole", "AWSLambdaMSKExecutionRole",
    "AWSLambdaExecute", "AWSLambdaFullAccess", "AWSLambdaReplicator",
    "AdministratorAccess", "PowerUserAccess",
    "CloudWatchLogsFullAccess", "CloudWatchFullAccess", "CloudWatchFullAccessV2",
    "CloudWatchAgentServerPolicy", "CloudWatchAgentAdminPolicy",
    "AmazonECSTaskExecutionRolePolicy", "AmazonEC2ContainerServiceforEC2Role",
    "AmazonAPIGatewayPushToCloudWatchLogs", "AWSAppSyncPushToCloudWatchLogs", "AWSOpsWorksCloudWatchLogs",
    "AWSIoTLogging", "AWSGlueServiceRole", "AmazonSageMakerFullAccess", "AWSBatchServiceRole",
    "AmazonS3ObjectLambdaExecutionRolePolicy",
})
_AWS_MANAGED = re.compile(r"^arn:aws[a-z-]*:iam::aws:policy/(?:.*/)?([\w+=,.@-]+)$")
_ROLE_ARN = re.compile(r"^arn:aws[a-z-]*:iam::\d{12}:role/(?:.*/)?([\w+=,.@-]+)$")


@dataclass(frozen=True)
class LogAccess:
    """What a function's execution role allows of ``LOG_ACTIONS``."""

    role: Resource | None  # None: a role SAM generates, or a role outside the scanned set
    known: bool  # False: something could not be read; never report on it
    missing: tuple[str, ...] = ()  # actions of LOG_ACTIONS no policy allows
    generated: bool = False  # SAM's generated role (AWSLambdaBasicExecutionRole attached)


def execution_role(arch: Architecture, fn: Resource) -> Resource | None:
    """The function's execution role, when it is one role of the scanned set."""
    value = fn.get("role").value
    if isinstance(value, Choice):
        return None
    roles = arch.targets(fn, "role", kind="iam_role")
    if len(roles) == 1:
        return roles[0]
    if isinstance(value, str):
        match = _ROLE_ARN.match(value)
        name = match.group(1) if match else None
        found = arch.named("iam_role", fn.workload, name) if name else []
        return found[0] if len(found) == 1 else None
    return None


def log_access(arch: Architecture, fn: Resource) -> LogAccess:
    if fn.type == "AWS::Serverless::Function" and not fn.has("role"):
        return LogAccess(None, True, (), generated=True)
    role = execution_role(arch, fn)
    if role is None:
        return LogAccess(None, False)
    grant = Grant()
    denied: set[str] = set()
    for doc in _documents(arch, role):
        grant |= grants(doc, LOG_ACTIONS)  # an unreadable document (UNKNOWN) may grant anything
        denied |= denied_actions(doc, LOG_ACTIONS)
    # An explicit deny wins over any allow.
    missing = tuple(a for a in LOG_ACTIONS if a not in grant.granted or a in denied)
    # An unknown part silences the rule only when it may grant an action that is missing.
    if any(a in grant.maybe and a not in denied for a in missing):
        return LogAccess(role, False)
    return LogAccess(role, True, missing)


def _documents(arch: Architecture, role: Resource) -> Iterator[Any]:
    """Every policy document that applies to ``role``; UNKNOWN for one that cannot be read."""
    inline = role.get("inline_policies").value
    for item in _items(inline):
        if item == {}:
            continue  # an empty inline_policy {} block: Terraform's way of saying none
        yield document(item.get("PolicyDocument", item.get("policy", UNKNOWN))) if isinstance(item, dict) else UNKNOWN
    for arn in _items(role.get("managed_policies").value):
        yield from _managed(arch, role, arn)
    for res in _attached(arch, role):
        if res.kind == "iam_policy":
            yield document(res.get("document").value)
        else:
            for arn in _items(res.get("policy_arns").value):
                yield from _managed(arch, res, arn)


def _items(value: Any) -> list[Any]:
    if value is None:
        return []
    if value is UNKNOWN or isinstance(value, Choice):
        return [UNKNOWN]
    return list(value) if isinstance(value, list) else [value]


def _managed(arch: Architecture, owner: Resource, arn: Any) -> Iterator[Any]:
    if isinstance(arn, Ref):
        policy = arch.resolve_ref(owner, arn)
        yield document(policy.get("document").value) if policy is not None and policy.kind == "iam_policy" else UNKNOWN
        return
    match = _AWS_MANAGED.match(arn) if isinstance(arn, str) else None
    if match:
        yield _ALLOW_LOGS if match.group(1) in AWS_MANAGED_WITH_LOGS else _NOTHING
        return
    yield UNKNOWN  # a customer managed policy defined elsewhere, or an ARN built at deploy time


_ALLOW_LOGS = {"Statement": [{"Effect": "Allow", "Action": list(LOG_ACTIONS), "Resource": "*"}]}
_NOTHING: dict[str, Any] = {"Statement": []}


def _attached(arch: Architecture, role: Resource) -> list[Resource]:
    """Policies and attachments that name ``role`` (by reference, or by its name)."""
    found = arch.sources(role, kind="iam_policy", name="roles") + arch.sources(role, kind="iam_policy_attachment", name="roles")
    name = role.get("name").value
    if isinstance(name, str):
        found += [res for res in _policies_by_role_name(arch).get((role.workload, name), ()) if res not in found]
    return found


def _policies_by_role_name(arch: Architecture) -> dict[tuple[str, str], list[Resource]]:
    """(workload, role name) -> the policies and attachments whose ``roles`` list it, in scan order."""
    def build() -> dict[tuple[str, str], list[Resource]]:
        out: dict[tuple[str, str], list[Resource]] = {}
        for res in arch.of_kind("iam_policy", "iam_policy_attachment"):
            for item in dict.fromkeys(i for i in _items(res.get("roles").value) if isinstance(i, str)):
                out.setdefault((res.workload, item), []).append(res)
        return out
    return arch.derived("iam policies by workload and role name", build)


@dataclass(frozen=True)
class Grant:
    """What policy documents allow of some actions: ``granted`` surely (conditions and
    resources are not evaluated), ``maybe`` only through a part known at deploy time (a
    parameter as the action list, a condition's branch, an unreadable statement)."""

    granted: frozenset[str] = frozenset()
    maybe: frozenset[str] = frozenset()

    def __or__(self, other: "Grant") -> "Grant":
        return Grant(self.granted | other.granted, self.maybe | other.maybe)


def grants(doc: Any, wanted: tuple[str, ...]) -> Grant:
    """What the document's Allow statements grant of ``wanted``. An unknown part only makes
    an action uncertain when that part could grant it: a statement's unknown ``Resource``
    decides nothing here, and neither does an unknown ``Effect`` on actions it does not name."""
    if not isinstance(doc, dict):
        return Grant(maybe=frozenset(wanted))
    statements = doc.get("Statement", [])
    statements = statements if isinstance(statements, list) else [statements]
    out = Grant()
    for st in statements:
        out |= _statement_grant(st, wanted)
    return out


def _statement_grant(st: Any, wanted: tuple[str, ...]) -> Grant:
    if isinstance(st, Choice):  # a statement written under a condition (Fn::If)
        # A branch that leaves the statement out (AWS::NoValue, null) grants nothing.
        branches = [Grant() if b is None or type(b) is object else _statement_grant(b, wanted) for _, b in st.branches]
        every = frozenset.intersection(*(b.granted for b in branches))
        some = frozenset.union(*(b.granted | b.maybe for b in branches))
        return Grant(every, some - every)
    if not isinstance(st, dict):
        return Grant(maybe=frozenset(wanted))
    if "NotAction" in st:
        matched, unknown = _matching(st["NotAction"], wanted)
        named = frozenset(a for a in wanted if a not in matched)
        actions = Grant(frozenset() if unknown else named, named if unknown else frozenset())
    else:
        matched, unknown = _matching(st.get("Action", []), wanted)
        actions = Grant(matched, frozenset(a for a in wanted if a not in matched) if unknown else frozenset())
    effect = st.get("Effect")
    if not isinstance(effect, str):  # unknown: it matters only for the actions the statement names
        return Grant(maybe=actions.granted | actions.maybe)
    return actions if effect.lower() == "allow" else Grant()


def _matching(value: Any, wanted: tuple[str, ...]) -> tuple[frozenset[str], bool]:
    """The actions of ``wanted`` that the known patterns of ``value`` match, and whether a
    pattern is unknown."""
    items = value if isinstance(value, list) else [value]
    patterns = [i.lower() for i in items if isinstance(i, str)]
    matched = frozenset(a for a in wanted if any(fnmatchcase(a.lower(), p) for p in patterns))
    return matched, len(patterns) != len(items)


def allowed_actions(doc: Any, wanted: tuple[str, ...]) -> set[str] | Any:
    """Which of ``wanted`` the document's Allow statements grant; UNKNOWN when an unknown
    part may grant one they do not. See ``grants`` and ``denied_actions``."""
    grant = grants(doc, wanted)
    return UNKNOWN if grant.maybe - grant.granted else set(grant.granted)


def denied_actions(doc: Any, wanted: tuple[str, ...]) -> set[str]:
    """Which of ``wanted`` the document denies outright: a Deny statement without a
    condition, on every resource (``"*"``). A Deny that may not apply (a condition, some
    resources only) or cannot be read is not counted."""
    statements = doc.get("Statement", []) if isinstance(doc, dict) else []
    statements = statements if isinstance(statements, list) else [statements]
    denied: set[str] = set()
    for st in statements:
        if not isinstance(st, dict) or not isinstance(st.get("Effect"), str) or st["Effect"].lower() != "deny":
            continue
        resources = st.get("Resource")
        if st.get("Condition") or "NotResource" in st or "*" not in (resources if isinstance(resources, list) else [resources]):
            continue
        key = "NotAction" if "NotAction" in st else "Action"
        patterns = _patterns(st.get(key, []))
        if patterns is UNKNOWN:
            continue
        matched = {a for a in wanted if any(fnmatchcase(a.lower(), p) for p in patterns)}
        denied |= (set(wanted) - matched) if key == "NotAction" else matched
    return denied


def _patterns(value: Any) -> list[str] | Any:
    items = value if isinstance(value, list) else [value]
    if not all(isinstance(i, str) for i in items):
        return UNKNOWN
    return [i.lower() for i in items]
