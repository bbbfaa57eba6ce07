"""What a stack delete, a replacement or ``terraform destroy`` loses, and which databases
hold their own data and backups (not an Aurora member, not a read replica)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Iterable

from ha_lint.model import CLOUDFORMATION, Resource
from ha_lint.queries.rds import is_aurora_instance
from ha_lint.values import UNKNOWN, Choice, Tri, as_bool, possibilities, when


def own_backup_branches(db: Resource) -> list[str | None]:
    """The branches on which ``db`` holds its own data and backups (``[None]``: always; ``[]``:
    never): where it is neither an Aurora member nor a read replica. A database that is a
    replica or member only on some branch of an unknown condition
    (``SourceDBInstanceIdentifier: !If [IsReplica, ..., !Ref AWS::NoValue]``) owns its backups
    on the others."""
    if is_aurora_instance(db):
        return []
    free: list[str | None] | None = None  # None: on every branch
    for prop in ("cluster", "replica_source"):
        value = db.get(prop).value
        if value is None:
            continue
        if not isinstance(value, Choice) or free is not None:
            return []  # always a member / replica (or both conditional: not worth guessing)
        free = [label for label, v in value.branches if v is None]
        if not free:
            return []
    return [None] if free is None else free


def on_branches(owner: list[str | None], bad: Iterable[str | None]) -> list[str | None]:
    """The bad branches (of a setting) that are also branches on which the database owns its
    backups (``own_backup_branches``): the narrower label of each compatible pair."""
    out: list[str | None] = []
    for b in bad:
        for o in owner:
            if o is None or b == o:
                out.append(b)
            elif b is None:
                out.append(o)
    return list(dict.fromkeys(out))


def owns_backups(db: Resource) -> bool:
    """An RDS/DocumentDB/Neptune instance or cluster that holds its own data and backups: not an
    Aurora member (the cluster holds them) and not a read replica (a copy of its source)."""
    return not (db.has("cluster") or db.has("replica_source") or is_aurora_instance(db))


# Resources whose data a stack delete destroys, and CloudFormation's default DeletionPolicy.
_CFN_STATEFUL = {
    "AWS::RDS::DBInstance": "Snapshot",  # without DBClusterIdentifier (members are skipped)
    "AWS::RDS::DBCluster": "Snapshot",
    "AWS::DocDB::DBCluster": "Delete",
    "AWS::Neptune::DBCluster": "Delete",
    "AWS::EC2::Volume": "Delete",
    "AWS::DynamoDB::Table": "Delete",
    "AWS::DynamoDB::GlobalTable": "Delete",
    "AWS::Serverless::SimpleTable": "Delete",  # passed to the AWS::DynamoDB::Table SAM makes
    "AWS::EFS::FileSystem": "Delete",
    "AWS::ElastiCache::ReplicationGroup": "Delete",
    "AWS::ElastiCache::CacheCluster": "Delete",
    "AWS::Redshift::Cluster": "Delete",
}
_TF_FINAL_SNAPSHOT = ("rds_instance", "rds_cluster", "redshift_cluster")


def is_redis(res: Resource) -> Tri:
    """An ElastiCache resource running Redis or Valkey (snapshots exist for these only)."""
    engine = res.get("engine").value
    if not isinstance(engine, str):
        return UNKNOWN
    return engine.strip().lower() in ("redis", "valkey")


@dataclass(frozen=True)
class Exposure:
    """A way a stack delete, replacement or ``terraform destroy`` loses a data store."""

    detail: str  # deletion_policy, update_replace_policy, skip_final_snapshot
    line: int
    text: str


def _deleting(policy: Any) -> list[str | None]:
    """The branches (None: always) on which a resource policy, resolved (a parameter's
    default, a known or unknown condition), is Delete."""
    return [label for label, value in possibilities(policy) if value == "Delete"]


def deletion_exposures(res: Resource) -> list[Exposure]:
    if res.source == CLOUDFORMATION:
        default = _CFN_STATEFUL.get(res.type)
        if default is None or not _holds_own_data(res):
            return []
        out: list[Exposure] = []
        written = res.meta.deletion_policy is not None
        for label in _deleting(res.meta.deletion_policy if written else default):
            how = f"DeletionPolicy is Delete{when(label)}" if written else \
                "no DeletionPolicy, and CloudFormation's default for this type is Delete"
            out.append(Exposure("deletion_policy" + (f":{label}" if label else ""),
                                attribute_line(res, "DeletionPolicy") if written else res.line, how))
        for label in _deleting(res.meta.update_replace_policy):
            out.append(Exposure("update_replace_policy" + (f":{label}" if label else ""),
                                attribute_line(res, "UpdateReplacePolicy"), f"UpdateReplacePolicy is Delete{when(label)}"))
        return out
    if res.kind not in _TF_FINAL_SNAPSHOT or not _holds_own_data(res):
        return []
    skip = res.get("skip_final_snapshot")
    return [Exposure("skip_final_snapshot" + (f":{label}" if label else ""), res.line_of("skip_final_snapshot"),
                     f"skip_final_snapshot is true{skip.why()}" + when(label))
            for label, item in skip.branches() if as_bool(item) is True]




def attribute_line(res: Resource, name: str) -> int:
    """The line of a CloudFormation resource attribute (``DeletionPolicy``, ``UpdateReplacePolicy``)
    as the loader recorded it, else the resource's first line."""
    return res.meta.attribute_lines.get(name, res.line)


def _holds_own_data(res: Resource) -> bool:
    if res.kind in ("rds_instance", "rds_cluster"):
        return owns_backups(res)
    if res.kind in ("elasticache_replication_group", "elasticache_cluster"):
        return is_redis(res) is True and not res.has("replication_group")
    return True
