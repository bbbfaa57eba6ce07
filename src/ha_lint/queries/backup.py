"""Is this resource backed up, and how? Where do its copies go?

Backup questions, written once for both languages:

- ``backup_coverage``: which mechanisms in the scanned set back up an EBS volume or an EFS
  file system: AWS Backup selections (by reference/ARN, by ``ListOfTags``/``selection_tag``,
  filtered by ``Conditions``), DLM lifecycle policies (by target tags, directly or through
  the instance a volume is attached to), the EFS backup policy.
- ``versioning_states``: S3 versioning, inline or through ``aws_s3_bucket_versioning``.
- ``pitr_gaps``: where DynamoDB point-in-time recovery is off (tables and their replicas).
- ``plan_rules``: AWS Backup plan rules and where their copy actions go.

Live copies in another Region are ``queries.replication``; what a delete destroys is
``queries.deletion``; Regions, ARNs and tags are ``queries.aws``.

Answers about the world are three-valued (``values.Tri``): ``True``, ``False`` or ``UNKNOWN``
(the templates do not decide). Rules report only on ``False``.
"""

from __future__ import annotations

import fnmatch
from dataclasses import dataclass, replace
from typing import Any

from ha_lint.graph import Architecture
from ha_lint.model import CLOUDFORMATION, Resource
from ha_lint.queries.aws import (arn_region, bucket_configurations, parse_arn, region_differs, region_of,
                                 regions_differ, tag_condition, tags_of)
from ha_lint.values import UNKNOWN, Ref, Tri, Unknown, all3, any3, as_bool, as_list, not3, possibilities

# -- AWS Backup selections --------------------------------------------------------------------

# The ARN service and resource-path prefix of what AWS Backup / DLM select, per kind.
_ARN_SHAPE = {
    "ebs_volume": ("ec2", "volume/"),
    "efs_file_system": ("elasticfilesystem", "file-system/"),
    "ec2_instance": ("ec2", "instance/"),
    "rds_instance": ("rds", "db:"),
    "rds_cluster": ("rds", "cluster:"),
    "dynamodb_table": ("dynamodb", "table/"),
    "redshift_cluster": ("redshift", "cluster:"),
}
# Kinds whose ARN ends in a name the template gives (else AWS generates one): the neutral
# property, or the native paths (CloudFormation, Terraform) where the kinds table has none.
_ARN_NAME = {
    "rds_instance": "identifier",
    "rds_cluster": "identifier",
    "dynamodb_table": "name",
    "redshift_cluster": ("ClusterIdentifier", "cluster_identifier"),
}


def _arn_name(res: Resource) -> Any:
    """The name that ends ``res``'s ARN: a string, None (AWS generates it) or UNKNOWN."""
    where = _ARN_NAME.get(res.kind)
    if where is None:
        return None
    if isinstance(where, tuple):
        value = res.raw(where[0] if res.source == CLOUDFORMATION else where[1])
    else:
        value = res.get(where).value if res.native_path(where) else None
    if value is None or isinstance(value, str):
        return value
    return UNKNOWN


def arn_pattern_selects(pattern: Any, res: Resource, owner: Resource | None = None) -> Tri:
    """Whether a literal ARN (or ``*`` pattern) in a selection names ``res``.

    EBS, EFS and EC2 ARNs end in an ID AWS generates at creation, so a literal ID names some
    other, existing resource; only wildcards can name a resource of the template. RDS,
    DynamoDB and Redshift ARNs end in the name the template gives (``...:db:orders``,
    ``...:table/orders``): a literal ARN names the resource of that name in the template of
    ``owner`` (the selection); in other templates the same name is taken to be another
    resource (other accounts), so only a wildcard names it there."""
    if not isinstance(pattern, str):
        return UNKNOWN
    if pattern.strip() == "*":
        return True
    arn = parse_arn(pattern)
    shape = _ARN_SHAPE.get(res.kind)
    if arn is None or shape is None:
        return False
    service, prefix = shape
    if not fnmatch.fnmatchcase(service, arn["service"]):
        return False
    region = region_of(res)
    if isinstance(region, str) and arn["region"] and not fnmatch.fnmatchcase(region, arn["region"]):
        return False
    name = _arn_name(res)
    if isinstance(name, str) and owner is not None and owner.workload != res.workload:
        name = None  # a name is unique per account and Region only: another template's ARN names its own
    if name is UNKNOWN:
        return True if fnmatch.fnmatchcase(prefix + "any-name", arn["resource"]) and arn["resource"].endswith("*") \
            else UNKNOWN if arn["resource"].startswith(prefix) else False
    return fnmatch.fnmatchcase(prefix + (name if isinstance(name, str) else "generated-id"), arn["resource"])


@dataclass(frozen=True)
class TagTest:
    operator: str  # STRINGEQUALS, STRINGLIKE, STRINGNOTEQUALS, STRINGNOTLIKE
    key: Any
    value: Any

    def on(self, tags: dict[str, Any] | Unknown) -> Tri:
        return tag_condition(tags, self.operator, self.key, self.value)

    def __str__(self) -> str:
        op = {"STRINGEQUALS": "=", "STRINGLIKE": " like ", "STRINGNOTEQUALS": "!=", "STRINGNOTLIKE": " not like "}
        return f"{self.key}{op.get(self.operator, ' ? ')}{self.value}"


@dataclass(frozen=True)
class Selection:
    """An AWS Backup selection: (by reference/ARN OR any tag) AND every condition, minus exclusions."""

    owner: Resource
    refs: frozenset[str]  # uids selected by reference
    arns: tuple[str, ...]  # literal ARNs and patterns
    any_tags: tuple[TagTest, ...]  # ListOfTags / selection_tag: ORed
    conditions: tuple[TagTest, ...] | Unknown  # Conditions / condition: ANDed
    not_refs: frozenset[str]
    not_arns: tuple[str, ...]
    resources_readable: bool = True  # False: the whole list is a parameter/variable (it may hold "*")
    tags_readable: bool = True  # False: the tag list is not a list we can read

    def selects(self, res: Resource) -> Tri:
        if self.refs and not (self.arns or self.any_tags) and self.resources_readable and self.tags_readable \
                and res.uid not in self.refs:
            return False  # by reference only, and not this one (asked for every resource: the quick answer)
        if regions_differ(self.owner, res) is True:
            return False
        if res.uid in self.not_refs:
            return False
        excluded = any3(arn_pattern_selects(p, res, self.owner) for p in self.not_arns)
        if excluded is True:
            return False
        tags = tags_of(res)
        picks: list[Tri] = [res.uid in self.refs]
        picks += [arn_pattern_selects(p, res, self.owner) for p in self.arns]
        picks += [test.on(tags) for test in self.any_tags]
        if not self.refs and not self.arns and not self.any_tags:
            picks.append(UNKNOWN if self.conditions is UNKNOWN else bool(self.conditions))  # conditions alone filter everything
        if not self.resources_readable and self.owner.workload == res.workload:
            picks.append(UNKNOWN)
        if not self.tags_readable:
            picks.append(UNKNOWN)
        picked = any3(picks)
        if picked is False:
            return False
        conditions = self.conditions
        ok = UNKNOWN if conditions is UNKNOWN else all3(t.on(tags) for t in conditions)
        return all3([picked, ok, not3(excluded)])

    def describe(self, res: Resource) -> str:
        if res.uid in self.refs:
            return f"AWS Backup selection {self.owner.address} (by reference)"
        if self.any_tags:
            return f"AWS Backup selection {self.owner.address} (by tag {', '.join(map(str, self.any_tags))})"
        return f"AWS Backup selection {self.owner.address}"


_CONDITION_BLOCKS = {"StringEquals": "STRINGEQUALS", "StringLike": "STRINGLIKE", "StringNotEquals": "STRINGNOTEQUALS",
                     "StringNotLike": "STRINGNOTLIKE", "string_equals": "STRINGEQUALS", "string_like": "STRINGLIKE",
                     "string_not_equals": "STRINGNOTEQUALS", "string_not_like": "STRINGNOTLIKE"}


def _conditions(value: Any) -> tuple[TagTest, ...] | Unknown:
    tests: list[TagTest] = []
    for block in as_list(value):
        if not isinstance(block, dict):
            return UNKNOWN
        for name, entries in block.items():
            operator = _CONDITION_BLOCKS.get(name)
            if operator is None:
                continue
            if not isinstance(entries, (list, dict)):
                return UNKNOWN
            for entry in as_list(entries):
                if not isinstance(entry, dict):
                    return UNKNOWN
                tests.append(TagTest(operator, entry.get("ConditionKey", entry.get("key")),
                                     entry.get("ConditionValue", entry.get("value"))))
    return tuple(tests)


def _entries_and_refs(arch: Architecture, sel: Resource, name: str) -> tuple[tuple[str, ...], frozenset[str], bool]:
    """(literal ARNs and patterns, uids referenced, readable) of a selection's resource list.
    An ARN built around a reference (``!Sub "...:volume/${Vol}"``) is that reference: the graph
    has the edge. Any other unresolved entry of a written list names some other resource (a
    data source, a module output, another stack's export): wildcards are written as literals."""
    value = sel.get(name).value
    refs = frozenset(t.uid for t in arch.targets(sel, name))
    if value is None:
        return (), refs, True
    if not isinstance(value, (list, tuple)):
        return (), refs, False  # a parameter/variable for the whole list
    return tuple(item for item in value if isinstance(item, str)), refs, True


def selections(arch: Architecture) -> list[Selection]:
    out: list[Selection] = []
    for sel in arch.of_kind("backup_selection"):
        arns, refs, readable = _entries_and_refs(arch, sel, "resources")
        not_arns, not_refs, _ = _entries_and_refs(arch, sel, "not_resources")
        tests: list[TagTest] = []
        raw_tags = sel.get("tag_list").value
        tags_readable = raw_tags is None or isinstance(raw_tags, list)
        for entry in as_list(raw_tags) if isinstance(raw_tags, list) else []:
            if not isinstance(entry, dict):
                tags_readable = False
                continue
            operator = entry.get("ConditionType", entry.get("type", "STRINGEQUALS"))
            tests.append(TagTest(operator if isinstance(operator, str) else "STRINGEQUALS",
                                 entry.get("ConditionKey", entry.get("key")), entry.get("ConditionValue", entry.get("value"))))
        out.append(Selection(sel, refs, arns, tuple(tests), _conditions(sel.get("conditions").value),
                             not_refs, not_arns, readable, tags_readable))
    return out


# -- DLM lifecycle policies --------------------------------------------------------------------

_SNAPSHOTTING_POLICIES = ("EBS_SNAPSHOT_MANAGEMENT", "IMAGE_MANAGEMENT")


def _dlm_target_tags(policy: Resource) -> list[tuple[Any, Any]] | Unknown:
    value = policy.get("target_tags").value
    if value is None:
        return []
    if isinstance(value, dict):
        return list(value.items())
    if isinstance(value, list):
        pairs = []
        for item in value:
            if not isinstance(item, dict):
                return UNKNOWN
            pairs.append((item.get("Key"), item.get("Value")))
        return pairs
    return UNKNOWN


def dlm_covers(arch: Architecture, policy: Resource, res: Resource) -> Tri:
    """Whether a DLM policy snapshots ``res`` (a volume, or an instance and its volumes)."""
    wanted = {"ebs_volume": "VOLUME", "ec2_instance": "INSTANCE"}.get(res.kind)
    if wanted is None or regions_differ(policy, res) is True:
        return False
    state = policy.get("state").value
    tests: list[Tri] = [state.upper() == "ENABLED" if isinstance(state, str) else UNKNOWN]
    default = policy.get("default_policy").value
    if default is not None:  # a default policy covers every volume / instance of its Region
        tests.append(default.upper() == wanted if isinstance(default, str) else UNKNOWN)
        return all3(tests)
    ptype = policy.get("policy_type").value
    tests.append(ptype.upper() in _SNAPSHOTTING_POLICIES if isinstance(ptype, str) else UNKNOWN)
    types = policy.get("resource_types").value
    if isinstance(types, list) and all(isinstance(t, str) for t in types):
        tests.append(wanted in [t.upper() for t in types])
    else:
        tests.append(UNKNOWN)
    pairs = _dlm_target_tags(policy)
    if pairs is UNKNOWN:
        tests.append(UNKNOWN)
    else:
        tags = tags_of(res)
        tests.append(any3(tag_condition(tags, "STRINGEQUALS", k, v) for k, v in pairs))  # any target tag
    return all3(tests)


# -- coverage ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Coverage:
    covered: Tri
    how: tuple[str, ...] = ()  # the mechanisms that (may) back it up
    kept: Tri = False  # whether a copy it makes outlives the resource's deletion (BK204)


def attached_instances(arch: Architecture, volume: Resource) -> list[Resource]:
    out: list[Resource] = []
    for attachment in arch.sources(volume, "volume_attachment", "volume"):
        for instance in arch.targets(attachment, "instance", "ec2_instance"):
            if instance not in out:
                out.append(instance)
    return out


def efs_backup_policy(arch: Architecture, fs: Resource) -> Tri:
    """EFS automatic backups: ``BackupPolicy: {Status: ENABLED}`` or an aws_efs_backup_policy;
    where neither is written, the EFS API's default, which CloudFormation and the Terraform
    provider leave to it: on for a One Zone file system (``AvailabilityZoneName``,
    ``availability_zone_name``), off for a Regional one."""
    states: list[Tri] = []
    if fs.kind != "efs_file_system":
        return False
    written = fs.get("backup_policy")  # CloudFormation only
    if fs.source == CLOUDFORMATION and written.present:
        states.append(_enabled_status(written.value))
    for policy in arch.sources(fs, "efs_backup_policy", "file_system"):
        states.append(_enabled_status(policy.get("status").value))
    unnamed = arch.derived("workloads with an efs backup policy for an unnamed file system", lambda: {
        policy.workload for policy in arch.of_kind("efs_backup_policy")
        if not arch.targets(policy, "file_system") and not isinstance(policy.get("file_system").value, str)})
    if fs.workload in unnamed:
        states.append(UNKNOWN)  # a policy for a file system we cannot name
    if not states:
        states.append(_one_zone(fs))
    return any3(states)


def _one_zone(fs: Resource) -> Tri:
    """Whether an EFS file system is One Zone (an AZ name written, even one known only at
    deploy time) on every branch: CreateFileSystem then turns automatic backups on."""
    results: list[Tri] = []
    for _, zone in possibilities(fs.get("availability_zone_name").value):
        results.append(False if zone is None or zone == "" else True if isinstance(zone, str) else UNKNOWN)
    return all3(results) if results else False


def _enabled_status(value: Any) -> Tri:
    results = []
    for _, item in possibilities(value):
        results.append(item.upper() == "ENABLED" if isinstance(item, str) else UNKNOWN)
    return all3(results) if results else UNKNOWN


def backup_coverage(arch: Architecture, res: Resource, sels: list[Selection] | None = None) -> Coverage:
    """How a data store is backed up in the scanned set, if at all: AWS Backup selections
    (any resource type AWS Backup supports), DLM policies (EBS volumes, through the instances
    they are attached to too), EFS automatic backups. The one backup-evidence query of BK204,
    BK208, the DR posture and the resilience model. ``sels``: ``selections(arch)``, when the
    caller asks about many resources.

    ``kept``: whether a copy outlives the resource. Recovery points of AWS Backup (EFS
    automatic backups too) stay in their vault when the resource is deleted, unless every
    vault the plan writes to is a Terraform ``aws_backup_vault`` with ``force_destroy = true``
    (a destroy empties it); DLM snapshots stay until their retention ends."""
    how: list[str] = []
    states: list[Tri] = []
    kept: list[Tri] = []

    def note(state: Tri, text: str, keeps: Tri = True) -> None:
        states.append(state)
        kept.append(all3([state, keeps]))
        if state is True:
            how.append(text)
        elif state is UNKNOWN:
            how.append(f"maybe {text}")

    if res.kind == "efs_file_system":
        note(efs_backup_policy(arch, res), "EFS automatic backups")
    owners = [res] + (attached_instances(arch, res) if res.kind == "ebs_volume" else [])
    for sel in selections(arch) if sels is None else sels:
        for owner in owners:
            suffix = "" if owner is res else f" through instance {owner.address}"
            state = sel.selects(owner)
            note(state, sel.describe(owner) + suffix, _vaults_keep(arch, sel) if state is not False else False)
    if res.kind == "ebs_volume":
        for policy in arch.of_kind("dlm_policy"):
            for owner in owners:
                suffix = "" if owner is res else f" through instance {owner.address}"
                note(dlm_covers(arch, policy, owner), f"DLM lifecycle policy {policy.address}{suffix}")
    return Coverage(any3(states), tuple(how), any3(kept))


def _vaults_keep(arch: Architecture, sel: Selection) -> Tri:
    """Whether the vaults a selection's plan writes to keep their recovery points when the
    templates are destroyed: False only when every one is a vault of the scanned set with
    ``force_destroy = true``."""
    keeps: list[Tri] = []
    for plan in arch.targets(sel.owner, "plan", kind="backup_plan"):
        for entry in as_list(plan.get("rules").value):
            target = entry.get("TargetBackupVault", entry.get("target_vault_name")) if isinstance(entry, dict) else None
            vault = arch.resolve_ref(plan, target) if isinstance(target, Ref) else None
            if isinstance(target, str):  # a reference to the vault's name, resolved to it
                named = [v for v in arch.of_kind("backup_vault")
                         if v.workload == plan.workload and v.get("name").value == target]
                vault = named[0] if len(named) == 1 else None
            if vault is None or vault.kind != "backup_vault":
                keeps.append(True)  # a vault outside the scanned set, or one a CloudFormation delete cannot empty
                continue
            force = vault.raw("force_destroy")
            keeps.append(True if force is None else not3(as_bool(force)))
    return any3(keeps) if keeps else True


# -- S3 versioning -----------------------------------------------------------------------------


@dataclass(frozen=True)
class VersioningState:
    enabled: Tri
    branch: str | None
    why: str  # where the state comes from, for messages
    line: int



def versioning_states(arch: Architecture, bucket: Resource) -> list[VersioningState]:
    """Each possible versioning state of an S3 bucket (one per condition branch)."""
    lock = bucket.get("object_lock")
    if any(as_bool(v) is True for _, v in lock.branches()) and len(list(lock.branches())) == 1:
        return [VersioningState(True, None, "Object Lock is enabled (it keeps versioning on)", bucket.line)]
    linked, maybe = bucket_configurations(arch, bucket, "s3_bucket_versioning")
    if maybe:
        return [VersioningState(UNKNOWN, None, "", bucket.line)]
    if linked:
        out = []
        for res in linked:
            status = res.get("status")
            for branch, item in status.branches():
                state: Tri = item.lower() == "enabled" if isinstance(item, str) else UNKNOWN
                out.append(VersioningState(state, branch, f"{res.address} sets status {item!r}", bucket.line))
        if any(s.enabled is True for s in out):
            return [s for s in out if s.enabled is True][:1]
        return out
    value = bucket.get("versioning")
    out = []
    for branch, item in value.branches():
        if item is None:
            state, text = False, "no versioning configuration"
        elif isinstance(item, str) and item.lower() in ("enabled", "suspended", "true", "false"):
            state, text = item.lower() in ("enabled", "true"), f"status {item!r}"
        elif isinstance(item, bool):
            state, text = item, f"enabled = {str(item).lower()}"
        else:
            state, text = UNKNOWN, ""
        if not value.present:
            text += " (not set; versioning is off by default)"
        elif value.origin:
            text += f" ({value.origin.brief()})"
        out.append(VersioningState(state, branch, text, bucket.line_of("versioning") if value.present else bucket.line))
    return out


# -- DynamoDB point-in-time recovery -----------------------------------------------------------


@dataclass(frozen=True)
class PitrGap:
    """A place where point-in-time recovery is off: the table, or one replica of it."""

    line: int
    branch: str | None
    replica: str | None  # the replica's Region, for replicas
    why: str


def _replica_region(entry: dict[str, Any]) -> Any:
    return entry.get("Region", entry.get("region_name", UNKNOWN))


def pitr_gaps(table: Resource) -> list[PitrGap]:
    """Where point-in-time recovery is off: a table, each replica of a global table (its
    ``Replicas`` entries, ``replica {}`` blocks), or an ``aws_dynamodb_table_replica``."""
    gaps: list[PitrGap] = []
    if table.kind == "dynamodb_table_replica":
        pitr = table.get("pitr")
        region = region_of(table)
        return [PitrGap(table.line_of("pitr") if pitr.present else table.line, branch,
                        region if isinstance(region, str) else "?", pitr.why())
                for branch, item in pitr.branches() if as_bool(item) is False]
    if table.type != "AWS::DynamoDB::GlobalTable":
        pitr = table.get("pitr")
        for branch, item in pitr.branches():
            if as_bool(item) is False or (item is None and not pitr.present):
                gaps.append(PitrGap(table.line_of("pitr") if pitr.present else table.line, branch, None, pitr.why()))
    replicas = table.get("replicas").value
    if not isinstance(replicas, list):
        return gaps
    for index, entry in enumerate(replicas):
        if not isinstance(entry, dict):
            continue
        if table.source == CLOUDFORMATION:
            spec = entry.get("PointInTimeRecoverySpecification")
            raw = spec.get("PointInTimeRecoveryEnabled") if isinstance(spec, dict) else (None if spec is None else UNKNOWN)
            where: tuple[str, ...] = ("PointInTimeRecoverySpecification", "PointInTimeRecoveryEnabled")
        else:
            raw = entry.get("point_in_time_recovery")
            where = ("point_in_time_recovery",)
        line = table.entry_line("replicas", index, *where, entry=entry) or table.line
        region = _replica_region(entry)
        for branch, item in possibilities(raw):
            if item is None or as_bool(item) is False:
                why = " (not set; this is the default)" if item is None else ""
                gaps.append(PitrGap(line, branch, region if isinstance(region, str) else "?", why))
    return gaps


# -- AWS Backup plans and their copies --------------------------------------------------------


@dataclass(frozen=True)
class Copy:
    destination: Any  # the vault ARN as resolved, or the vault resource's address
    region: Any
    cross_region: Tri
    line: int | None = None  # the destination's line


@dataclass(frozen=True)
class PlanRule:
    plan: Resource
    index: int
    name: Any
    line: int
    schedule: Any
    continuous: Any
    copies: tuple[Copy, ...]

    @property
    def copied_cross_region(self) -> Tri:
        return any3(c.cross_region for c in self.copies)


def _copy(arch: Architecture, plan: Resource, entry: dict[str, Any]) -> Copy:
    dest = entry.get("DestinationBackupVaultArn", entry.get("destination_vault_arn", UNKNOWN))
    if isinstance(dest, Ref):
        vault = arch.resolve_ref(plan, dest)
        if vault is None:
            return Copy(dest.address, UNKNOWN, UNKNOWN)
        return Copy(vault.address, region_of(vault), regions_differ(plan, vault))
    region = arn_region(dest)
    return Copy(dest, region, region_differs(region_of(plan), region) if region is not UNKNOWN else UNKNOWN)


def plan_rules(arch: Architecture, plan: Resource) -> list[PlanRule]:
    value = plan.get("rules").value
    if not isinstance(value, list):
        return []
    cfn = plan.source == CLOUDFORMATION
    out: list[PlanRule] = []
    for index, entry in enumerate(value):
        if not isinstance(entry, dict):
            continue
        # A block a Terraform ``dynamic "rule"`` makes has no line of its own: its dynamic block's.
        line = plan.entry_line("rules", index, "RuleName" if cfn else "rule_name", entry=entry) or plan.line_of("rules")
        copies_key, dest_key = ("CopyActions", "DestinationBackupVaultArn") if cfn else ("copy_action", "destination_vault_arn")
        raw_copies = entry.get(copies_key)
        if raw_copies is not None and not isinstance(raw_copies, list):
            copies: tuple[Copy, ...] = (Copy(UNKNOWN, UNKNOWN, UNKNOWN),)
        else:
            copies = tuple(replace(_copy(arch, plan, c), line=plan.entry_line("rules", index, copies_key, j, dest_key))
                           if isinstance(c, dict) else Copy(UNKNOWN, UNKNOWN, UNKNOWN)
                           for j, c in enumerate(as_list(raw_copies)))
        out.append(PlanRule(plan, index, entry.get("RuleName" if cfn else "rule_name"), line,
                            entry.get("ScheduleExpression" if cfn else "schedule"),
                            entry.get("EnableContinuousBackup" if cfn else "enable_continuous_backup"), copies))
    return out


# Names that lived here before the split, kept importable for rule packs written against them.
from ha_lint.queries.aws import custom_resource_configures, same_provider  # noqa: E402
from ha_lint.queries.deletion import (  # noqa: E402
    Exposure, attribute_line, deletion_exposures, is_redis, on_branches, own_backup_branches, owns_backups)
from ha_lint.queries.replication import (  # noqa: E402
    Replication, bucket_replications, dynamodb_cross_region, elasticache_cross_region, rds_cross_region,
    replica_cross_region, replicated_cross_region, replication_destinations)

__all__ = [
    "Coverage", "Copy", "Exposure", "attribute_line", "custom_resource_configures", "deletion_exposures", "is_redis", "owns_backups", "PitrGap", "PlanRule", "Replication", "Selection", "TagTest", "VersioningState",
    "all3", "any3", "arn_region", "backup_coverage", "bucket_replications", "dlm_covers", "dynamodb_cross_region",
    "efs_backup_policy", "elasticache_cross_region", "parse_arn", "pitr_gaps", "plan_rules", "rds_cross_region", "region_differs",
    "region_of", "regions_differ", "replica_cross_region", "replicated_cross_region", "same_provider", "replication_destinations", "selections",
    "tag_condition", "tags_of", "versioning_states",
]
