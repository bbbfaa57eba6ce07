"""Asynchronous wiring: which Lambda functions are invoked asynchronously and by what, where
their failed events go, which event source mappings read streams, which queues are
dead-letter queues.

Lambda retries an asynchronous invocation twice and then drops the event unless the
function has a dead-letter queue or an on-failure destination; a stream mapping retries a
failing batch until the records expire unless it has an on-failure destination. These
questions are asked of every way of writing the wiring: SNS subscriptions (separate or
inline on the topic), S3 notifications, EventBridge rule targets, EventBridge Scheduler
schedules, CloudWatch Logs subscription filters, IoT rules, Lambda permissions granted to
those services, event-invoke configs, event source mappings, and SAM ``Events``,
``DeadLetterQueue`` and ``EventInvokeConfig``.
"""

from __future__ import annotations

import json
import functools
import re
from dataclasses import dataclass
from typing import Any, Iterator

from ha_lint.graph import Architecture
from ha_lint.model import Resource
from ha_lint.values import UNKNOWN, Choice, EncodedJson, Ref, leaves, possibilities

# SAM event types whose service invokes the function asynchronously.
ASYNC_SAM_EVENTS = {
    "SNS": "SNS subscription", "S3": "S3 notification", "EventBridgeRule": "EventBridge rule",
    "CloudWatchEvent": "CloudWatch Events rule", "Schedule": "EventBridge schedule rule",
    "ScheduleV2": "EventBridge Scheduler schedule", "CloudWatchLogs": "CloudWatch Logs subscription",
    "IoTRule": "IoT rule",
}
# SAM event types that are event source mappings over a stream.
STREAM_SAM_EVENTS = {"Kinesis": "Kinesis stream", "DynamoDB": "DynamoDB stream"}
# Services that only ever invoke Lambda asynchronously: a permission for them is an async trigger.
_ASYNC_PRINCIPALS = {"sns": "SNS", "s3": "S3", "events": "EventBridge", "logs": "CloudWatch Logs",
                     "iot": "AWS IoT", "ses": "SES"}
_PRINCIPAL = re.compile(r"^([a-z0-9-]+)(?:\.[a-z0-9-]+)?\.amazonaws\.com(?:\.cn)?$")

# Property names (lower case, no separators) under which a resource names where failures go.
_DLQ_KEYS = {"deadlettertargetarn", "deadletterconfig", "deadletterqueue", "onfailure", "redrivepolicy"}
_DLQ_NAME = re.compile(r"dlq|deadletter", re.IGNORECASE)


@dataclass(frozen=True)
class AsyncInvoker:
    """One reason a function is invoked asynchronously."""

    function: Resource
    via: Resource  # the resource that wires it (the SAM function itself for its Events)
    description: str  # "SNS subscription OrdersSub"
    line: int


@dataclass(frozen=True)
class StreamMapping:
    """A Lambda event source mapping (or SAM stream event) reading Kinesis or DynamoDB Streams."""

    owner: Resource  # the mapping, or the SAM function that declares the event
    stream: str  # "Kinesis stream" | "DynamoDB stream"
    line: int
    name: str  # the mapping's address, or "<function> event <name>" for SAM
    missing: tuple[str | None, ...]  # branches without an on-failure destination (None: always)


# -- small helpers over resolved values ---------------------------------------------------


@functools.lru_cache(maxsize=4096)
def _norm(key: str) -> str:
    return re.sub(r"[^a-z0-9]", "", key.lower())


def _absent(value: Any) -> bool:
    # type(...) is object: CloudFormation's AWS::NoValue left inside a condition branch.
    return value is None or value == "" or value == [] or value == {} or type(value) is object


def _join(label: str | None, more: str | None) -> str | None:
    return more if label is None else (label if more is None else f"{label}, {more}")


def _presence(value: Any, parts: list[str], label: str | None = None) -> dict[str | None, bool]:
    """For each branch, whether something is set at ``parts`` (unknown counts as set)."""
    if isinstance(value, Choice):
        out: dict[str | None, bool] = {}
        for branch, inner in value.branches:
            for key, present in _presence(inner, parts, _join(label, branch)).items():
                out[key] = out.get(key, False) or present
        return out
    if value is UNKNOWN:
        return {label: True}
    if not parts:
        return {label: not _absent(value)}
    if isinstance(value, list):  # repeated Terraform blocks: set if any block sets it
        out = {label: False}
        for item in value:
            for key, present in _presence(item, parts, label).items():
                out[key] = out.get(key, False) or present
        return out
    if isinstance(value, dict) and parts[0] in value:
        return _presence(value[parts[0]], parts[1:], label)
    return {label: False}


def missing_branches(res: Resource, name: str) -> list[str | None]:
    """Branches in which the neutral property ``name`` is not set (``[None]``: never set)."""
    path = res.native_path(name)
    if not path:
        return [None]
    found = _presence(res.props, path.split("."))
    if found.get(None) is True or not found:
        return []
    missing = [label for label, present in found.items() if not present]
    if None in missing and any(found.values()):
        missing.remove(None)  # unset in one repeated block, set in a branch of another
    return missing


def why_missing(res: Resource, name: str) -> str:
    """A message suffix saying what left the neutral property ``name`` unset, when a
    parameter, variable or condition did."""
    path = res.native_path(name) or ""
    while path:
        if path in res.origins:
            return f" ({res.origins[path].brief()})"
        path = path.rpartition(".")[0]
    return ""


def document(value: Any) -> Any:
    """A JSON document given as a string (Terraform ``jsonencode``/heredoc) as data; a
    ``jsonencode`` with parts known only at deploy time as its structure, those parts unknown."""
    if isinstance(value, EncodedJson):
        return value.value
    if isinstance(value, str):
        try:
            return json.loads(value)
        except ValueError:
            return UNKNOWN
    return value


def _leaves(value: Any) -> Iterator[Any]:
    for _, item in possibilities(value):
        if isinstance(item, (list, tuple)):
            for sub in item:
                yield from _leaves(sub)
        else:
            yield item


def _field(items: list[Any], *keys: str) -> list[Any]:
    """The value at the first of ``keys`` in each map of ``items`` (one field of repeated blocks)."""
    return [next((item[k] for k in keys if k in item), None) for item in items if isinstance(item, dict)]


def _name_in_arn(text: str, service: str, plain: bool = True) -> str | None:
    """The resource name in an ARN (or a queue URL, or with ``plain`` a bare name) of ``service``."""
    if text.startswith("arn:"):
        parts = text.split(":")
        if len(parts) < 6 or parts[2] != service:
            return None
        if service == "lambda":  # arn:aws:lambda:region:account:function:name[:qualifier]
            return parts[6] if len(parts) > 6 and parts[5] == "function" else None
        return parts[5] or None
    if service == "sqs" and text.startswith("https://"):
        return text.rstrip("/").rsplit("/", 1)[-1] or None
    return text if plain and re.fullmatch(r"[\w.-]+", text) else None


# -- Lambda functions named by a value -----------------------------------------------------


def functions_named(arch: Architecture, owner: Resource, value: Any, name: str | None = None,
                    plain: bool = False) -> list[Resource]:
    """The Lambda functions a resolved value names: a reference to a function, its alias or
    version, or a function ARN (with ``plain``, also a bare function name). With ``name``,
    also the functions ``owner`` references through that neutral property in ways that
    resolve to unknown (``Fn::Sub``)."""
    found: list[Resource] = []
    for leaf in _leaves(value):
        if isinstance(leaf, Ref):
            for target in arch.lookup(owner.workload, leaf.address):
                found.extend(_function_of(arch, target))
        elif isinstance(leaf, str):
            fn_name = _name_in_arn(leaf, "lambda", plain)
            if fn_name:
                found.extend(arch.named("lambda_function", owner.workload, fn_name))
    if name:
        for target in arch.targets(owner, name):
            found.extend(_function_of(arch, target))
    return list(dict.fromkeys(found))


def _function_of(arch: Architecture, target: Resource) -> list[Resource]:
    if target.kind == "lambda_function":
        return [target]
    if target.kind in ("lambda_alias", "AWS::Lambda::Version", "aws_lambda_version"):
        return [t for t in arch.targets(target) if t.kind == "lambda_function"]
    return []


# -- asynchronous invocation ---------------------------------------------------------------


def async_invokers(arch: Architecture) -> dict[str, list[AsyncInvoker]]:
    """Every asynchronous trigger in the scanned set, by function uid."""
    out: dict[str, list[AsyncInvoker]] = {}
    for invoker in _all_async_invokers(arch):
        out.setdefault(invoker.function.uid, []).append(invoker)
    return out


def _all_async_invokers(arch: Architecture) -> Iterator[AsyncInvoker]:
    def each(via: Resource, functions: list[Resource], what: str, line: int) -> Iterator[AsyncInvoker]:
        for fn in functions:
            yield AsyncInvoker(fn, via, what, line)

    for sub in arch.of_kind("sns_subscription"):
        if _is_lambda_protocol(sub.get("protocol").value):
            yield from each(sub, functions_named(arch, sub, sub.get("endpoint").value, "endpoint"),
                            f"SNS subscription {sub.address}", sub.line_of("endpoint"))
    for topic in arch.of_kind("sns_topic"):
        path = topic.native_path("subscriptions") or ""
        for _, items in possibilities(topic.get("subscriptions").value):
            for index, item in enumerate(items if isinstance(items, list) else []):
                if isinstance(item, dict) and _is_lambda_protocol(item.get("Protocol")):
                    yield from each(topic, functions_named(arch, topic, item.get("Endpoint")),
                                    f"SNS topic {topic.address} (inline subscription)",
                                    topic.line_of(f"{path}.{index}"))
    for bucket in arch.of_kind("s3_bucket", "s3_bucket_notification"):
        if bucket.has("lambda_notifications"):
            where = "S3 bucket" if bucket.kind == "s3_bucket" else "S3 bucket notification"
            arns = _field(bucket.all("lambda_notifications"), "Function", "lambda_function_arn")
            yield from each(bucket, functions_named(arch, bucket, arns, "lambda_notifications"),
                            f"{where} {bucket.address}", bucket.line_of("lambda_notifications"))
    for rule in arch.of_kind("event_rule"):
        if rule.has("targets"):
            yield from each(rule, functions_named(arch, rule, _field(rule.all("targets"), "Arn"), "targets"),
                            f"EventBridge rule {rule.address}", rule.line_of("targets"))
    for kind, prop, what in (("event_target", "arn", "EventBridge target"),
                             ("schedule", "target_arn", "EventBridge Scheduler schedule"),
                             ("log_subscription_filter", "destination", "CloudWatch Logs subscription filter"),
                             ("iot_topic_rule", "lambda_actions", "IoT rule")):
        for res in arch.of_kind(kind):
            if res.has(prop):
                yield from each(res, functions_named(arch, res, res.all(prop), prop), f"{what} {res.address}", res.line_of(prop))
    for perm in arch.of_kind("lambda_permission"):
        service = _async_service(perm.get("principal").value)
        if service:
            yield from each(perm, functions_named(arch, perm, perm.get("function").value, "function", plain=True),
                            f"Lambda permission {perm.address} for {service}", perm.line_of("principal"))
    for config in arch.of_kind("lambda_event_invoke_config"):
        yield from each(config, functions_named(arch, config, config.get("function").value, "function", plain=True),
                        f"event-invoke config {config.address}", config.line)
    for fn in arch.of_kind("lambda_function"):
        for event_name, event_type, line in sam_events(fn):
            if event_type in ASYNC_SAM_EVENTS and not _through_sqs(fn, event_name, event_type):
                yield AsyncInvoker(fn, fn, f"its {ASYNC_SAM_EVENTS[event_type]} event {event_name}", line)
        if fn.has("event_invoke_config"):
            yield AsyncInvoker(fn, fn, "its EventInvokeConfig", fn.line_of("event_invoke_config"))


def _through_sqs(fn: Resource, event_name: str, event_type: str) -> bool:
    """A SAM SNS event with ``SqsSubscription``: SAM subscribes a queue to the topic and the
    function polls it (an event source mapping, not an asynchronous invocation)."""
    if event_type != "SNS":
        return False
    event = fn.get("events").value.get(event_name)
    props = event.get("Properties") if isinstance(event, dict) else None
    subscription = props.get("SqsSubscription") if isinstance(props, dict) else None
    return subscription is True or isinstance(subscription, dict) or \
        (isinstance(subscription, str) and subscription.lower() == "true")


def _is_lambda_protocol(value: Any) -> bool:
    return isinstance(value, str) and value.lower() == "lambda"


def _async_service(principal: Any) -> str | None:
    if not isinstance(principal, str):
        return None
    match = _PRINCIPAL.match(principal.strip().lower())
    return _ASYNC_PRINCIPALS.get(match.group(1)) if match else None


def sam_events(fn: Resource) -> Iterator[tuple[str, str, int]]:
    """(name, Type, line) of each event of a SAM function (none for other functions)."""
    path = fn.native_path("events")
    events = fn.get("events").value if path else None
    if not isinstance(events, dict):
        return
    for name, event in events.items():
        if isinstance(event, dict) and isinstance(event.get("Type"), str):
            yield name, event["Type"], fn.line_of(f"{path}.{name}")


def _invoke_configs(arch: Architecture) -> dict[str, list[Resource]]:
    """Function uid -> the event-invoke configs that name it, in scan order (once per scan)."""
    def build() -> dict[str, list[Resource]]:
        out: dict[str, list[Resource]] = {}
        for config in arch.of_kind("lambda_event_invoke_config"):
            for fn in functions_named(arch, config, config.get("function").value, "function", True):
                out.setdefault(fn.uid, []).append(config)
        return out
    return arch.derived("lambda event invoke configs by function", build)


def failure_gaps(arch: Architecture, fn: Resource) -> list[str | None]:
    """Branches in which failed asynchronous events of ``fn`` are dropped: no dead-letter
    queue and no on-failure destination (its own, or an event-invoke config's). Empty when
    every branch keeps them, or when the template leaves it unknown."""
    for config in _invoke_configs(arch).get(fn.uid, ()):
        if config.workload == fn.workload and not missing_branches(config, "on_failure") \
                and _applies_to_invocations(arch, config, fn):
            return []
    gaps = missing_branches(fn, "dead_letter_target")
    if gaps and fn.native_path("on_failure"):
        other = missing_branches(fn, "on_failure")
        if not other:
            return []
        if None not in other:
            gaps = [g for g in gaps if g in other] or other
    if gaps and _unknown_dynamic_block(fn, "dead_letter_config"):
        return []
    return gaps


def _applies_to_invocations(arch: Architecture, config: Resource, fn: Resource) -> bool:
    """Async settings apply per version or alias: a config for ``$LATEST`` (or none given)
    covers invocations of the function itself; one for an alias or version (``live``, ``3``)
    covers them only when the function is invoked through one (an alias or version of it in
    the scanned set, SAM's ``AutoPublishAlias``), which the template may leave open."""
    qualifier = config.get("qualifier").value
    if not isinstance(qualifier, str) or qualifier in ("", "$LATEST"):
        return True
    if fn.raw("AutoPublishAlias") is not None:
        return True
    return bool(arch.referencing(fn, "lambda_alias"))


def _unknown_dynamic_block(res: Resource, block: str) -> bool:
    """A Terraform ``dynamic "<block>"`` is written but the resolved properties have no
    ``<block>`` (a plan that leaves it out, a dynamic block without a usable ``content``): the
    block may exist, and the properties cannot say."""
    return block not in res.props and block in res.meta.dynamic_blocks


# -- stream event source mappings ----------------------------------------------------------


def stream_mappings(arch: Architecture) -> Iterator[StreamMapping]:
    for esm in arch.of_kind("lambda_event_source_mapping"):
        stream = _stream_kind(arch, esm)
        if stream:
            # The line of the on-failure destination when part of it is written, else the mapping's.
            yield StreamMapping(esm, stream, esm.line_of("on_failure_destination"), esm.address,
                                tuple(missing_branches(esm, "on_failure_destination")))
    for fn in arch.of_kind("lambda_function"):
        for name, event_type, line in sam_events(fn):
            if event_type in STREAM_SAM_EVENTS:
                event = fn.get("events").value[name]
                found = _presence(event, ["Properties", "DestinationConfig", "OnFailure"])
                missing = () if found.get(None) is True else tuple(k for k, v in found.items() if not v)
                written = f"{fn.native_path('events')}.{name}.Properties.DestinationConfig"
                if written in fn.lines:  # part of the destination is written: point at it
                    line = fn.line_of(f"{written}.OnFailure")
                yield StreamMapping(fn, STREAM_SAM_EVENTS[event_type], line, f"{fn.address} event {name}", missing)


def _stream_kind(arch: Architecture, esm: Resource) -> str | None:
    for target in arch.targets(esm, "event_source"):
        if target.kind in ("kinesis_stream", "kinesis_stream_consumer"):
            return "Kinesis stream"
        if target.type in ("AWS::DynamoDB::Table", "AWS::DynamoDB::GlobalTable", "aws_dynamodb_table"):
            return "DynamoDB stream"
    for leaf in _leaves(esm.get("event_source").value):
        if isinstance(leaf, str) and leaf.startswith("arn:"):
            service = leaf.split(":")[2] if leaf.count(":") >= 2 else ""
            if service == "kinesis":
                return "Kinesis stream"
            if service == "dynamodb" and "/stream/" in leaf:
                return "DynamoDB stream"
    return None


# -- dead-letter queues ----------------------------------------------------------------


def dead_letter_queues(arch: Architecture) -> dict[str, str]:
    """Queues that are themselves dead-letter queues, by uid, with the reason.

    A queue is a dead-letter queue when something sends its failures there (another
    queue's redrive policy, an SNS subscription's redrive policy, a Lambda dead-letter
    config or on-failure destination, an EventBridge target's or schedule's dead-letter
    config), when its redrive-allow policy admits source queues, or when its name says so
    (``orders-dlq``, ``DeadLetterQueue``): its sources may live in another stack."""
    queues = list(arch.of_kind("sqs_queue"))
    by_name: dict[str, list[Resource]] = {}
    for queue in queues:
        name = queue.get("name").value
        if isinstance(name, str):
            by_name.setdefault(name, []).append(queue)
    out: dict[str, str] = {}
    for res in arch.resources:
        for value in _dead_letter_values(res.props):
            for leaf in _leaves_deep(value):
                targets: list[Resource] = []
                if isinstance(leaf, Ref):
                    targets = arch.lookup(res.workload, leaf.address)
                elif isinstance(leaf, str):
                    name = _name_in_arn(leaf, "sqs", plain=False)
                    targets = by_name.get(name, []) if name else []
                for target in targets:
                    if target.kind == "sqs_queue" and target is not res:
                        out.setdefault(target.uid, f"it receives the failures of {res.address}")
        for target, data in arch.out_edges(res):
            if any(_norm(part) in _DLQ_KEYS for part in data["prop"].split(".")):
                if target.kind == "sqs_queue" and target is not res:
                    out.setdefault(target.uid, f"it receives the failures of {res.address}")
    for allow in arch.of_kind("sqs_redrive_allow_policy"):
        for target in arch.targets(allow, "queue", kind="sqs_queue"):
            if _admits_sources(allow.get("redrive_allow_policy").value):
                out.setdefault(target.uid, f"{allow.address} lets source queues use it as their dead-letter queue")
    for queue in queues:
        if _admits_sources(queue.get("redrive_allow_policy").value):
            out.setdefault(queue.uid, "its redrive-allow policy lets source queues use it as their dead-letter queue")
        name = queue.get("name").value
        if any(_DLQ_NAME.search(_norm(part)) for part in _own_names(queue)) \
                or (isinstance(name, str) and _DLQ_NAME.search(_norm(name))):
            out.setdefault(queue.uid, "its name marks it as a dead-letter queue")
    return out


def _own_names(queue: Resource) -> list[str]:
    """The queue's own name in its address, and the names of the module calls that hold it
    (``module.orders_dlq.aws_sqs_queue.this``: the call is named for what it creates)."""
    parts = re.sub(r"\[[^\]]*\]", "", queue.address).split(".")
    modules = [parts[i + 1] for i, part in enumerate(parts[:-1]) if part == "module"]
    return [parts[-1], *modules]


def _dead_letter_values(value: Any) -> Iterator[Any]:
    """Values held under dead-letter / on-failure / redrive keys anywhere in ``value``."""
    if isinstance(value, dict):
        for key, item in value.items():
            if _norm(key) in _DLQ_KEYS:
                yield item
            else:
                yield from _dead_letter_values(item)
    elif isinstance(value, (list, tuple)):
        for item in value:
            yield from _dead_letter_values(item)
    elif isinstance(value, Choice):
        for _, item in value.branches:
            yield from _dead_letter_values(item)


def _leaves_deep(value: Any) -> Iterator[Any]:
    """The leaves of ``value``, and of every JSON document written as a string inside it."""
    for leaf in leaves(value):
        if isinstance(leaf, str) and leaf.lstrip().startswith("{"):
            yield from _leaves_deep(document(leaf))
        else:
            yield leaf


def _admits_sources(value: Any) -> bool:
    """Whether a redrive-allow policy may let source queues use the queue as their DLQ: it
    says ``allowAll`` / ``byQueue`` in some branch, or it cannot be read (a ``jsonencode``
    of source queue ARNs known only after apply: unknown is never reported)."""
    for _, item in possibilities(value):
        policy = document(item) if item is not UNKNOWN else UNKNOWN
        if policy is UNKNOWN:
            return True
        if isinstance(policy, dict):
            permission = policy.get("redrivePermission")
            if permission is UNKNOWN or permission in ("allowAll", "byQueue"):
                return True
    return False


def redrive_gaps(arch: Architecture, queue: Resource) -> list[str | None]:
    """Branches in which ``queue`` has no redrive policy (its own or a separate
    ``aws_sqs_queue_redrive_policy``)."""
    for policy in arch.sources(queue, kind="sqs_redrive_policy", name="queue"):
        if not missing_branches(policy, "redrive_policy"):
            return []
    return missing_branches(queue, "redrive_policy")


__all__ = ["AsyncInvoker", "StreamMapping", "async_invokers", "dead_letter_queues", "document",
           "failure_gaps", "functions_named", "missing_branches", "redrive_gaps", "sam_events",
           "stream_mappings", "why_missing"]
