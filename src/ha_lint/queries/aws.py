"""AWS facts several queries need, for both languages: which Region a resource is in, ARNs,
tags and AWS Backup / DLM tag conditions, the separate Terraform resources that configure an
S3 bucket, and CloudFormation custom resources that configure another resource.

Answers are three-valued (``values.Tri``): Regions differ only when both are known and
different."""

from __future__ import annotations

import fnmatch
from typing import Any

from ha_lint.graph import Architecture
from ha_lint.model import CLOUDFORMATION, TERRAFORM, Resource
from ha_lint.values import UNKNOWN, Ref, Tri, Unknown, is_known


# -- regions ---------------------------------------------------------------------------------


def region_of(res: Resource) -> Any:
    region = res.meta.region
    return region if isinstance(region, str) and region else UNKNOWN


def regions_differ(a: Resource, b: Resource) -> Tri:
    """Whether two resources sit in different Regions: one CloudFormation stack is one Region,
    and so is one provider configuration of a Terraform module (``provider = aws.replica``
    names another, whose Region may differ)."""
    if a.workload == b.workload and (a.source == CLOUDFORMATION or same_provider(a, b)):
        return False
    return region_differs(region_of(a), region_of(b))


def same_provider(a: Resource, b: Resource) -> bool:
    """Two Terraform resources of one module instance under the same provider configuration."""
    provider = a.meta.provider
    return a.source == b.source == TERRAFORM and a.workload == b.workload and provider is not None \
        and provider == b.meta.provider and a.meta.module == b.meta.module


def region_differs(a: Any, b: Any) -> Tri:
    if isinstance(a, str) and a and isinstance(b, str) and b:
        return a != b
    return UNKNOWN


def parse_arn(value: Any) -> dict[str, str] | None:
    """``arn:partition:service:region:account:resource`` as a dict, or None."""
    if not isinstance(value, str) or not value.startswith("arn:"):
        return None
    parts = value.split(":", 5)
    if len(parts) < 6:
        return None
    return {"partition": parts[1], "service": parts[2], "region": parts[3], "account": parts[4], "resource": parts[5]}


def arn_region(value: Any) -> Any:
    arn = parse_arn(value)
    if arn is None or not arn["region"] or "*" in arn["region"]:
        return UNKNOWN
    return arn["region"]


# -- tags -------------------------------------------------------------------------------------


def tags_of(res: Resource) -> dict[str, Any] | Unknown:
    """Resolved tags as {key: value}; a value may be UNKNOWN. UNKNOWN when a key is unknown.
    Read from the native ``Tags`` / ``tags`` of types the kinds table gives no ``tags`` to, and
    from Terraform's ``tag {key, value}`` blocks (Auto Scaling groups)."""
    value = res.get("tags").value if res.native_path("tags") else res.raw("Tags" if res.source == CLOUDFORMATION else "tags")
    if value is None and res.source != CLOUDFORMATION:
        value = res.raw("tag")
    if value is None:
        return {}
    if not is_known(value) or isinstance(value, Ref):
        return UNKNOWN
    out: dict[str, Any] = {}
    if isinstance(value, dict):  # Terraform map
        for key, item in value.items():
            out[str(key)] = item if isinstance(item, (str, int, float, bool)) else UNKNOWN
        return out
    if isinstance(value, list):  # CloudFormation [{Key, Value}]; Terraform tag blocks [{key, value}]
        for item in value:
            key = item.get("Key", item.get("key")) if isinstance(item, dict) else None
            if not isinstance(key, str):
                return UNKNOWN
            tag_value = item.get("Value", item.get("value"))
            out[key] = tag_value if isinstance(tag_value, (str, int, float, bool)) else UNKNOWN
        return out
    return UNKNOWN


def _tag_text(value: Any) -> Any:
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, (int, float)):
        return str(value)
    return value if isinstance(value, str) else UNKNOWN


def tag_condition(tags: dict[str, Any] | Unknown, operator: str, key: Any, value: Any) -> Tri:
    """An AWS Backup / DLM tag condition: STRINGEQUALS, STRINGLIKE, STRINGNOTEQUALS, STRINGNOTLIKE."""
    if tags is UNKNOWN or not isinstance(key, str) or not isinstance(_tag_text(value), str):
        return UNKNOWN
    key = key.removeprefix("aws:ResourceTag/")
    wanted = _tag_text(value)
    if key not in tags:
        return operator in ("STRINGNOTEQUALS", "STRINGNOTLIKE")
    actual = _tag_text(tags[key])
    if actual is UNKNOWN:
        return UNKNOWN
    if operator in ("STRINGEQUALS", "STRINGNOTEQUALS"):
        hit = actual == wanted
    else:
        hit = fnmatch.fnmatchcase(actual, wanted)
    return hit if operator in ("STRINGEQUALS", "STRINGLIKE") else not hit


# -- what configures a resource from outside it ---------------------------------------------


def custom_resource_configures(arch: Architecture, res: Resource) -> bool:
    """Whether a CloudFormation custom resource references ``res``: such resources commonly
    switch on what the template could not (snapshots, PITR), so its settings are not final."""
    return any(src.type.startswith("Custom::") or src.type == "AWS::CloudFormation::CustomResource"
               for src in arch.sources(res))


def bucket_configurations(arch: Architecture, bucket: Resource, kind: str) -> tuple[list[Resource], bool]:
    """Separate Terraform resources (versioning, replication) that name ``bucket``, and whether
    one of the same workload that names a bucket we cannot resolve may be ``bucket``'s.

    A bucket has one such configuration: one that names it decides. An unresolved name
    (``bucket = var.name``) is taken to be one of the buckets of the workload whose own name
    is unresolved too, when there are any; otherwise it may be any of them."""
    linked = list(arch.sources(bucket, kind, "bucket"))
    name = bucket.get("name").value
    by_name, unresolved_in, unnamed_in = _configurations_by_bucket(arch, kind)
    if isinstance(name, str):
        linked += [other for other in by_name.get(name, ()) if other not in linked]
    if linked or bucket.workload not in unresolved_in:
        return linked, False
    if not isinstance(name, str):
        return linked, True
    return linked, (bucket.workload, bucket.source) not in unnamed_in


def _configurations_by_bucket(arch: Architecture,
                              kind: str) -> tuple[dict[str, list[Resource]], set[str], set[tuple[str, str]]]:
    """For ``bucket_configurations``, once per scan: the ``kind`` resources by the literal bucket name they
    give, the workloads with one whose bucket is unresolved, and the (workload, source) pairs
    with a bucket whose own name is unresolved."""
    def build() -> tuple[dict[str, list[Resource]], set[str], set[tuple[str, str]]]:
        by_name: dict[str, list[Resource]] = {}
        unresolved: set[str] = set()
        for other in arch.of_kind(kind):
            target = other.get("bucket").value
            if isinstance(target, str):
                by_name.setdefault(target, []).append(other)
            elif not isinstance(target, Ref) and not arch.targets(other, "bucket"):
                unresolved.add(other.workload)
        unnamed = {(b.workload, b.source) for b in arch.of_kind("s3_bucket") if not isinstance(b.get("name").value, str)}
        return by_name, unresolved, unnamed
    return arch.derived(f"{kind} by bucket", build)
