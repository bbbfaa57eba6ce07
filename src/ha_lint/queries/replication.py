"""Live copies of data in another Region: S3 replication (inline or
``aws_s3_bucket_replication_configuration``), DynamoDB global tables and replicas,
ElastiCache Global Datastores, RDS cross-Region read replicas and global clusters.

Answers are three-valued (``values.Tri``); rules report only on ``False``. A DynamoDB replica
is always in another Region (AWS allows one per Region)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from ha_lint.graph import Architecture
from ha_lint.model import CLOUDFORMATION, Resource
from ha_lint.queries.aws import (arn_region, bucket_configurations, parse_arn, region_differs, region_of,
                                 regions_differ)
from ha_lint.values import UNKNOWN, Ref, Tri, all3, any3, as_list, possibilities


@dataclass(frozen=True)
class Replication:
    destination: str  # bucket address or ARN as written
    cross_region: Tri
    enabled: Tri
    bucket: Resource | None = field(default=None, repr=False, compare=False)  # the destination, when scanned (any template)


def _bucket_by_arn(arch: Architecture, arn: Any) -> list[Resource]:
    parsed = parse_arn(arn)
    if parsed is None or parsed["service"] != "s3":
        return []
    name = parsed["resource"].split("/", 1)[0]
    return [b for b in arch.of_kind("s3_bucket") if b.get("name").value == name]


def _rule_replications(arch: Architecture, owner: Resource, source: Resource, rules: Any) -> list[Replication]:
    if rules is None:
        return []
    if not isinstance(rules, list):
        return [Replication("?", UNKNOWN, UNKNOWN)]
    out: list[Replication] = []
    for rule in rules:
        destinations = rule.get("Destination", rule.get("destination")) if isinstance(rule, dict) else None
        if not destinations:  # every rule has one: here it was not resolved (a nested dynamic block)
            out.append(Replication("?", UNKNOWN, UNKNOWN))
            continue
        status = rule.get("Status", rule.get("status", "Enabled"))
        enabled: Tri = status.lower() == "enabled" if isinstance(status, str) else UNKNOWN
        for dest in as_list(destinations):
            target = dest.get("Bucket", dest.get("bucket", UNKNOWN)) if isinstance(dest, dict) else UNKNOWN
            if isinstance(target, Ref):
                bucket = arch.resolve_ref(owner, target)
                if bucket is None:
                    out.append(Replication(target.address, UNKNOWN, enabled))
                else:
                    out.append(Replication(bucket.address, regions_differ(source, bucket), enabled, bucket))
                continue
            found = _bucket_by_arn(arch, target)
            if len(found) == 1:
                out.append(Replication(found[0].address, regions_differ(source, found[0]), enabled, found[0]))
            else:
                out.append(Replication(target if isinstance(target, str) else "?", UNKNOWN, enabled))
    return out


def bucket_replications(arch: Architecture, bucket: Resource) -> list[Replication]:
    """Replication rules of an S3 bucket: inline, or aws_s3_bucket_replication_configuration."""
    out = _rule_replications(arch, bucket, bucket, bucket.get("replication_rules").value)
    linked, maybe = bucket_configurations(arch, bucket, "s3_bucket_replication")
    for config in linked:
        out += _rule_replications(arch, config, bucket, config.get("replication_rules").value)
    if maybe:
        out.append(Replication("?", UNKNOWN, UNKNOWN))
    return out


def replicated_cross_region(arch: Architecture, bucket: Resource) -> Tri:
    return any3(all3([r.enabled, r.cross_region]) for r in bucket_replications(arch, bucket))


def replication_destinations(arch: Architecture) -> set[str]:
    """uids of buckets that receive (or may receive) replicated objects: the copies themselves.
    A destination that cannot be resolved may be any other bucket of the same template/module."""
    out: set[str] = set()
    buckets = list(arch.of_kind("s3_bucket"))
    for bucket in buckets:
        for rep in bucket_replications(arch, bucket):
            found = [rep.bucket] if rep.bucket is not None else \
                arch.lookup(bucket.workload, rep.destination) + _bucket_by_arn(arch, rep.destination)
            out.update(target.uid for target in found)
            if not found and rep.cross_region is UNKNOWN:
                out.update(b.uid for b in buckets if b.workload == bucket.workload and b is not bucket)
    return out


def dynamodb_cross_region(arch: Architecture, table: Resource) -> Tri:
    """A DynamoDB table with a replica in another Region (AWS allows one replica per Region)."""
    replicas = table.get("replicas").value
    states: list[Tri] = []
    if table.type == "AWS::DynamoDB::GlobalTable":
        # Replicas lists the stack's own Region too: two entries are two Regions.
        if isinstance(replicas, list):
            states.append(len(replicas) >= 2)
        elif replicas is not None:
            states.append(UNKNOWN)
    elif isinstance(replicas, list):
        states.append(len(replicas) >= 1)
    elif replicas is not None:
        states.append(UNKNOWN)
    for _ in arch.sources(table, "dynamodb_table_replica", "global_table"):
        states.append(True)
    return any3(states)


def elasticache_cross_region(arch: Architecture, group: Resource) -> Tri:
    """A Redis/Valkey replication group in an ElastiCache Global Datastore (replicated to
    another Region): a member (``GlobalReplicationGroupId``) or the primary of a global group."""
    states: list[Tri] = []
    member = group.get("global_group").value
    if member is not None and member != "":
        states.append(True if isinstance(member, (str, Ref)) else UNKNOWN)
    for global_group in arch.sources(group, "elasticache_global_group"):
        members = global_group.get("members").value
        if global_group.source == CLOUDFORMATION:
            states.append(len(members) >= 2 if isinstance(members, list) else UNKNOWN)
        else:
            states.append(UNKNOWN)  # secondaries join it from their own resources
    members = arch.derived("elasticache groups by global group", lambda: _groups_by_global_group(arch))
    for global_group in arch.sources(group, "elasticache_global_group"):
        if any(secondary is not group for secondary in members.get(global_group.uid, ())):
            states.append(True)
    return any3(states)


def _groups_by_global_group(arch: Architecture) -> dict[str, list[Resource]]:
    """Replication groups by the uid of the global datastore their ``global_group`` names."""
    out: dict[str, list[Resource]] = {}
    for group in arch.of_kind("elasticache_replication_group"):
        for global_group in arch.targets(group, "global_group"):
            out.setdefault(global_group.uid, []).append(group)
    return out


def _rds_by_arn(arch: Architecture, arn: Any) -> tuple[str, Any] | None:
    parsed = parse_arn(arn)
    if parsed is None or parsed["service"] != "rds":
        return None
    kind, _, name = parsed["resource"].partition(":")
    return (kind, name) if name else None


def rds_cross_region(arch: Architecture, db: Resource) -> Tri:
    """An RDS instance or cluster with a read replica in another Region, or in a global cluster."""
    states: list[Tri] = []
    kind = db.kind
    if kind == "rds_cluster":
        member = db.get("global_cluster").value
        if member is not None and member != "":
            states.append(True if isinstance(member, (str, Ref)) else UNKNOWN)
        for global_cluster in arch.sources(db, "rds_global_cluster", "source_cluster"):
            states.append(True)
    for replica in arch.sources(db, kind, "replica_source"):
        states.append(replica_cross_region(arch, replica))
    name = db.get("identifier").value
    arn_kind = "db" if kind == "rds_instance" else "cluster"
    by_arn = arch.derived(f"rds replicas by source ARN: {kind}", lambda: _replicas_by_source_arn(arch, kind))
    for replica in by_arn.get((arn_kind, name), []) if isinstance(name, str) else []:
        if replica is not db:
            region = arn_region(replica.get("replica_source").value)
            states.append(region_differs(region, region_of(replica)) if region is not UNKNOWN else UNKNOWN)
    return any3(states)


def replica_cross_region(arch: Architecture, replica: Resource) -> Tri:
    """Whether a read replica (``SourceDBInstanceIdentifier``, ``replicate_source_db``,
    ``ReplicationSourceIdentifier``) copies a database of another Region. AWS takes the source
    of a cross-Region replica only as an ARN: an instance's source given by identifier
    (``aws_db_instance.main.identifier``, ``!Ref Db``) is in the same Region. An ARN decides
    by its Region, or, as a reference (``aws_db_instance.main.arn``), by the Regions of the
    two resources: the same provider configuration is the same Region."""
    return any3(_source_cross_region(arch, replica, source)
                for _, source in possibilities(replica.get("replica_source").value) if source not in (None, ""))


def _source_cross_region(arch: Architecture, replica: Resource, source: Any) -> Tri:
    by_identifier = replica.kind == "rds_instance"  # a cluster's source is always an ARN
    if isinstance(source, Ref):
        if not (source.attribute or "").lower().endswith("arn"):
            return False if by_identifier else UNKNOWN
        target = arch.resolve_ref(replica, source)
        return UNKNOWN if target is None else regions_differ(replica, target)
    if isinstance(source, str):
        if parse_arn(source) is None:
            return False if by_identifier else UNKNOWN
        region = arn_region(source)
        return UNKNOWN if region is UNKNOWN else region_differs(region, region_of(replica))
    return UNKNOWN


def _replicas_by_source_arn(arch: Architecture, kind: str) -> dict[tuple[str, str], list[Resource]]:
    """Replicas of ``kind`` whose source is given as an ARN, by the (db|cluster, name) it names."""
    out: dict[tuple[str, str], list[Resource]] = {}
    for replica in arch.of_kind(kind):
        found = _rds_by_arn(arch, replica.get("replica_source").value)
        if found:
            out.setdefault(found, []).append(replica)
    return out
