"""Disaster recovery per workload: which DR strategy the templates implement, with evidence.

A workload is one CloudFormation stack or one Terraform root module that holds at least one
entry point, compute or data resource (``significant_workloads``). ``dr_posture`` names the
strategy its resources implement, in the terms of the AWS whitepaper *Disaster Recovery of
Workloads on AWS* (weakest to strongest):

- ``none``: stateful data with no backup at all;
- ``backup-restore``: backups (or, for a stateless workload, the templates themselves):
  recovery means restoring them, in another Region if they were copied there;
- ``pilot-light``: data replicated live to another Region; compute there is off or absent;
- ``warm-standby``: failover routing to a running, scaled-down copy, data replicated;
- ``multi-site``: active/active: traffic spread across Regions (latency routing, Global
  Accelerator) over replicated data.

``Evidence.kind`` is one of ``EVIDENCE_KINDS``; ``rpo_minutes`` is the data-loss window
the mechanism typically leaves (AWS documentation figures, for RTO/RPO estimates), or None.
``declared_strategy`` reads the *declared* target: the template's
``Metadata: {ha-lint: {targets: {strategy: ...}}}`` (or ``dr-strategy``), else a
``dr-strategy`` tag on a resource of the workload, else ``Options.dr_strategy``
(``--dr-strategy`` / the configuration file's ``targets.strategy``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cached_property
from typing import Any

from ha_lint.graph import Architecture
from ha_lint.model import APPLICATION_KEY, Application, Resource, Workload
from ha_lint.queries import aws, backup, deletion, dns, replication
from ha_lint.queries.rds import is_aurora_instance
from ha_lint.values import UNKNOWN, Ref, Tri, any3, as_int, as_list, is_known
from ha_lint.wording import plural, workload_name

STRATEGIES = ("none", "backup-restore", "pilot-light", "warm-standby", "multi-site")
DECLARABLE = STRATEGIES[1:]
LABELS = {"none": "none", "backup-restore": "backup and restore", "pilot-light": "pilot light",
          "warm-standby": "warm standby", "multi-site": "multi-site active/active"}
EVIDENCE_KINDS = {
    "backup": "a backup, snapshot or point-in-time recovery in the workload's Region",
    "backup-copy-cross-region": "backups copied to another Region",
    "data-replication": "data replicated live to another Region",
    "dns-failover": "Route 53 failover records",
    "dns-multi-region": "Route 53 latency records (traffic across Regions)",
    "origin-failover": "a CloudFront origin group failing over between origins in two Regions",
    "global-accelerator": "AWS Global Accelerator",
    "multi-region-compute": "compute in two or more Regions",
    "standby-scaled-to-zero": "compute kept at zero capacity for a standby",
    "unprotected-data": "a data store with no backup",
    "stateless": "no data store: the templates are the backup",
}
FAILOVER_PATH_KINDS = ("data-replication", "dns-failover", "dns-multi-region", "global-accelerator", "origin-failover")
# Entry-point failover to another Region's copy: Route 53 failover records, CloudFront origin groups.
ENTRY_FAILOVER_KINDS = ("dns-failover", "origin-failover")


def rank(strategy: str) -> int:
    return STRATEGIES.index(strategy) if strategy in STRATEGIES else -1


# -- what a workload is ----------------------------------------------------------------------

ENTRY_POINT_TYPES = frozenset({
    "AWS::ElasticLoadBalancingV2::LoadBalancer", "AWS::ElasticLoadBalancing::LoadBalancer", "AWS::ApiGateway::RestApi",
    "AWS::ApiGatewayV2::Api", "AWS::Serverless::Api", "AWS::Serverless::HttpApi", "AWS::CloudFront::Distribution",
    "AWS::AppSync::GraphQLApi", "AWS::GlobalAccelerator::Accelerator",
    "aws_lb", "aws_alb", "aws_elb", "aws_api_gateway_rest_api", "aws_apigatewayv2_api",
    "aws_cloudfront_distribution", "aws_appsync_graphql_api", "aws_globalaccelerator_accelerator",
})
COMPUTE_TYPES = frozenset({
    "AWS::EC2::Instance", "AWS::AutoScaling::AutoScalingGroup", "AWS::ECS::Service", "AWS::Lambda::Function",
    "AWS::Serverless::Function", "AWS::EKS::Cluster", "AWS::EKS::Nodegroup", "AWS::Batch::ComputeEnvironment",
    "AWS::ElasticBeanstalk::Environment", "AWS::AppRunner::Service", "AWS::EMR::Cluster",
    "aws_instance", "aws_autoscaling_group", "aws_ecs_service", "aws_lambda_function", "aws_eks_cluster",
    "aws_eks_node_group", "aws_batch_compute_environment", "aws_elastic_beanstalk_environment",
    "aws_apprunner_service", "aws_emr_cluster",
})
DATA_TYPES = frozenset({
    "AWS::RDS::DBInstance", "AWS::RDS::DBCluster", "AWS::DocDB::DBCluster", "AWS::Neptune::DBCluster",
    "AWS::DynamoDB::Table", "AWS::DynamoDB::GlobalTable", "AWS::Serverless::SimpleTable", "AWS::S3::Bucket",
    "AWS::EFS::FileSystem", "AWS::EC2::Volume", "AWS::ElastiCache::ReplicationGroup", "AWS::ElastiCache::CacheCluster",
    "AWS::Redshift::Cluster", "AWS::OpenSearchService::Domain", "AWS::Elasticsearch::Domain", "AWS::MemoryDB::Cluster",
    "AWS::FSx::FileSystem", "AWS::Neptune::DBInstance", "AWS::DocDB::DBInstance",
    "aws_db_instance", "aws_rds_cluster", "aws_docdb_cluster", "aws_neptune_cluster", "aws_dynamodb_table",
    "aws_s3_bucket", "aws_efs_file_system", "aws_ebs_volume", "aws_elasticache_replication_group",
    "aws_elasticache_cluster", "aws_redshift_cluster", "aws_opensearch_domain", "aws_elasticsearch_domain",
    "aws_memorydb_cluster", "aws_fsx_lustre_file_system", "aws_fsx_windows_file_system",
    "aws_fsx_ontap_file_system", "aws_fsx_openzfs_file_system",
})


def role_of(res: Resource) -> str | None:
    """"entry", "compute" or "data" for the resources that make a workload; else None."""
    if res.type in ENTRY_POINT_TYPES:
        return "entry"
    if res.type in COMPUTE_TYPES:
        return "compute"
    if res.type in DATA_TYPES:
        return "data"
    return None


# Where a resource writes logs, trails or configuration snapshots into a bucket: the property
# paths (native, as the graph records a reference) that name the bucket.
_LOG_WRITERS = {
    "AWS::CloudTrail::Trail": ("S3BucketName",), "aws_cloudtrail": ("s3_bucket_name",),
    "AWS::Config::DeliveryChannel": ("S3BucketName",), "aws_config_delivery_channel": ("s3_bucket_name",),
    "AWS::S3::Bucket": ("LoggingConfiguration",), "aws_s3_bucket": ("logging",),
    "aws_s3_bucket_logging": ("target_bucket",),
    "AWS::ElasticLoadBalancingV2::LoadBalancer": ("LoadBalancerAttributes",),
    "AWS::ElasticLoadBalancing::LoadBalancer": ("AccessLoggingPolicy",),
    "aws_lb": ("access_logs",), "aws_alb": ("access_logs",), "aws_elb": ("access_logs",),
    "AWS::CloudFront::Distribution": ("DistributionConfig.Logging",), "aws_cloudfront_distribution": ("logging_config",),
    "AWS::EC2::FlowLog": ("LogDestination",), "aws_flow_log": ("log_destination",),
    "AWS::WAFv2::LoggingConfiguration": ("LogDestinationConfigs",),
    "aws_wafv2_web_acl_logging_configuration": ("log_destination_configs",),
}
# Service principals that deliver logs, trails and configuration snapshots into a bucket.
_LOG_SERVICES = ("cloudtrail.amazonaws.com", "config.amazonaws.com", "delivery.logs.amazonaws.com",
                 "logging.s3.amazonaws.com", "logdelivery.elasticloadbalancing.amazonaws.com",
                 "logdelivery.elb.amazonaws.com")


def log_sinks(arch: Architecture) -> set[str]:
    """uids of the S3 buckets that receive logs, CloudTrail trails or AWS Config snapshots:
    named as the destination of a trail, a delivery channel, server access logging, load
    balancer or CloudFront access logs, VPC flow logs or WAF logs; given the ``LogDeliveryWrite``
    / ``log-delivery-write`` ACL; or a bucket policy that lets a log-delivery service write.
    They keep records about the workload, not its data: not a data store (``workload_roles``)."""
    def build() -> set[str]:
        out: set[str] = set()
        buckets = list(arch.of_kind("s3_bucket"))
        # A name written as a literal names a bucket of the same template (elsewhere it may be another account's).
        by_name = {(b.workload, b.get("name").value): b for b in buckets if isinstance(b.get("name").value, str)}
        for res in arch.resources:
            paths = _LOG_WRITERS.get(res.type)
            if paths:
                for target, data in arch.out_edges(res):
                    if target.kind == "s3_bucket" and str(data.get("prop", "")).startswith(paths):
                        out.add(target.uid)
                for path in paths:
                    for text in _strings(res.raw(path)):
                        name = re.sub(r"^arn:[^:]*:s3:::", "", text).split("/", 1)[0]
                        name = re.sub(r"\.s3[.-].*amazonaws\.com$", "", name)  # CloudFront's bucket domain name
                        bucket = by_name.get((res.workload, name))
                        if bucket is not None and bucket is not res:
                            out.add(bucket.uid)
            if res.type in ("AWS::S3::BucketPolicy", "aws_s3_bucket_policy", "aws_s3_bucket_acl"):
                text = " ".join(_strings(res.props)).lower()
                if any(service in text for service in _LOG_SERVICES) or "log-delivery-write" in text:
                    out.update(t.uid for t in arch.targets(res, "bucket") or
                               [t for t, _ in arch.out_edges(res) if t.kind == "s3_bucket"])
        for bucket in buckets:
            acl = bucket.raw("AccessControl") if bucket.source == "cloudformation" else bucket.raw("acl")
            if isinstance(acl, str) and acl.lower().replace("-", "") == "logdeliverywrite":
                out.add(bucket.uid)
        return out
    return arch.derived("log sinks", build)


def _strings(value: Any, depth: int = 0) -> list[str]:
    if isinstance(value, str):
        return [value]
    if depth > 12:
        return []
    if isinstance(value, dict):
        return [s for v in value.values() for s in _strings(v, depth + 1)]
    if isinstance(value, (list, tuple)):
        return [s for v in value for s in _strings(v, depth + 1)]
    return []


def workload_roles(arch: Architecture, res: Resource) -> str | None:
    """``role_of`` as the DR posture reads it: a bucket that only receives logs, trails or
    configuration snapshots (``log_sinks``) or that receives another bucket's replication
    (the copy, not the data) is not a data store."""
    role = role_of(res)
    if role == "data" and res.kind == "s3_bucket" and (res.uid in log_sinks(arch) or res.uid in replication_copies(arch)):
        return None
    if role == "compute" and res.kind == "lambda_function" and _deployment_helper(arch, res):
        return None
    return role


# What invokes a function only while stacks deploy: a CloudFormation custom resource (its
# ServiceToken), a CloudFormation macro (its FunctionName: run when a template using the
# transform is processed), Terraform's aws_lambda_invocation. Log groups and versions only
# describe it.
_DEPLOY_TIME_INVOKERS = ("AWS::CloudFormation::CustomResource", "AWS::CloudFormation::Macro", "aws_lambda_invocation")
_DESCRIBERS = ("AWS::Logs::LogGroup", "aws_cloudwatch_log_group", "AWS::Lambda::Version", "aws_lambda_function_version")


def _deployment_helper(arch: Architecture, res: Resource, seen: frozenset[str] = frozenset()) -> bool:
    """A function that runs only while stacks deploy: invoked by a custom resource, a macro
    (or an ``aws_lambda_invocation``) and referenced by nothing else that could call it (no
    event source, alias, permission, API, schedule; no SAM ``Events``). It serves no one
    afterwards, so it does not make its stack a workload. A function that only such helpers
    know of (a macro's function holds its ARN to emit custom resources that call it) is one
    too: nothing else in the templates can reach it."""
    if res.raw("Events") or res.uid in seen:
        return False
    sources = arch.sources(res)
    invoked = [s for s in sources if s.type.startswith("Custom::") or s.type in _DEPLOY_TIME_INVOKERS]
    helpers = [s for s in sources if s not in invoked and s.kind == "lambda_function"
               and _deployment_helper(arch, s, seen | {res.uid})]
    return bool(invoked or helpers) and all(s in invoked or s in helpers or s.type in _DESCRIBERS for s in sources)


def replication_copies(arch: Architecture) -> set[str]:
    """uids of the buckets that receive replication: the copies themselves (once per scan)."""
    return arch.derived("replication destinations", lambda: replication.replication_destinations(arch))


def significant_workloads(arch: Architecture) -> list[Workload]:
    """The units DR is judged on that hold at least one entry point, compute or data resource:
    each application (stacks deployed together, ``model.Application``) as one ``Workload``
    (named after it, at its first stack's template), every other workload as itself. A stack
    whose only buckets receive logs, trails or snapshots (a logging stack, an AWS Config
    recorder) or replicated copies holds no data store of its own (``workload_roles``)."""
    ids = {res.workload for res in arch.resources if workload_roles(arch, res)}
    unit_of = _units(arch)[0]
    units = _units(arch)[1]
    return list({unit_of[wid]: units[unit_of[wid]] for wid in arch.workloads if wid in ids}.values())


def workload_label(workload: Workload) -> str:
    """How a message names a unit: ``Workload x.yaml`` or ``Application of stacks vpc, db``."""
    app = workload.metadata.get(APPLICATION_KEY) if isinstance(workload.metadata, dict) else None
    if isinstance(app, Application) and app.id == workload.id:
        return app.label[0].upper() + app.label[1:]
    return f"Workload `{workload_name(workload.id)}`"


def _units(arch: Architecture) -> tuple[dict[str, str], dict[str, Workload]]:
    """(workload id -> unit id, unit id -> Workload), built once per scan."""
    def build() -> tuple[dict[str, str], dict[str, Workload]]:
        unit_of: dict[str, str] = {}
        units: dict[str, Workload] = {}
        for wid, workload in arch.workloads.items():
            app = workload.metadata.get(APPLICATION_KEY) if isinstance(workload.metadata, dict) else None
            if not isinstance(app, Application):
                unit_of[wid], units[wid] = wid, workload
                continue
            unit_of[wid] = app.id
            if app.id not in units:
                members = [arch.workloads[m] for m in app.members if m in arch.workloads]
                metadata: dict[str, Any] = {}
                for member in reversed(members):  # the first stack's Metadata (its ha-lint targets) wins
                    metadata.update(member.metadata)
                metadata[APPLICATION_KEY] = app
                first = members[0] if members else workload
                units[app.id] = Workload(app.id, first.source, first.entry_file, metadata)
        return unit_of, units
    return arch.derived("dr units", build)


def unit_of(arch: Architecture, workload_id: str) -> str:
    """The id of the unit (application or workload) a workload is judged in."""
    return _units(arch)[0].get(workload_id, workload_id)


# -- declared targets ------------------------------------------------------------------------

_METADATA_KEYS = ("ha-lint", "ha_lint", "HaLint")
_STRATEGY_KEYS = ("dr-strategy", "dr_strategy", "DrStrategy", "strategy")


def template_targets(workload: Workload) -> dict[str, Any]:
    """``Metadata: {ha-lint: {targets: {...}}}`` of a template (also read flat), or {}."""
    for key in _METADATA_KEYS:
        block = workload.metadata.get(key) if isinstance(workload.metadata, dict) else None
        if isinstance(block, dict):
            targets = block.get("targets")
            return {**block, **targets} if isinstance(targets, dict) else dict(block)
    return {}


@dataclass(frozen=True)
class Declared:
    strategy: str
    origin: str  # "template Metadata", "--dr-strategy / configuration"


_TAG_KEYS = ("ha-lint:dr-strategy", "dr-strategy", "dr_strategy", "drstrategy")


def declared_strategy(arch: Architecture, workload_id: str, resources: list[Resource] | None = None) -> Declared | None:
    """The DR strategy declared for a workload: the template's Metadata, else a ``dr-strategy``
    tag on one of its resources (Terraform has no template metadata; the strongest tag wins),
    else the configuration (``--dr-strategy``, ``targets.strategy``)."""
    workload = _units(arch)[1].get(workload_id) or arch.workloads.get(workload_id)
    if workload is not None:
        targets = template_targets(workload)
        for key in _STRATEGY_KEYS:
            value = targets.get(key)
            if isinstance(value, str) and value.strip().lower() in DECLARABLE:
                return Declared(value.strip().lower(), f"declared in the template's Metadata ({key}: {value})")
    tagged: list[Declared] = []
    if resources is None:
        app = workload.metadata.get(APPLICATION_KEY) if workload is not None else None
        members = app.members if isinstance(app, Application) and app.id == workload_id else (workload_id,)
        resources = [r for member in members for r in arch.in_workload(member)]
    for res in resources:
        tags = aws.tags_of(res) if res.native_path("tags") else {}
        for key, value in (tags.items() if isinstance(tags, dict) else ()):
            if key.lower() in _TAG_KEYS and isinstance(value, str) and value.strip().lower() in DECLARABLE:
                tagged.append(Declared(value.strip().lower(), f"declared by the tag {key} = {value} on {res.address}"))
    if tagged:
        return max(tagged, key=lambda d: rank(d.strategy))
    if arch.options.dr_strategy in DECLARABLE:
        return Declared(arch.options.dr_strategy, f"declared DR strategy {arch.options.dr_strategy} (configuration)")
    return None


# -- evidence --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Evidence:
    kind: str  # one of EVIDENCE_KINDS
    text: str
    resource: Resource | None = None
    certain: bool = True  # False: the templates leave it open (an unresolved Region, a parameter)
    rpo_minutes: float | None = None  # typical data-loss window of this mechanism, if it holds data
    via_selection: bool = False  # backup evidence that is an AWS Backup selection / DLM policy, not the store's own

    @property
    def where(self) -> str:
        return f"{self.resource.file}:{self.resource.line}" if self.resource else ""


@dataclass(frozen=True)
class Posture:
    workload: str
    strategy: str  # one of STRATEGIES
    evidence: tuple[Evidence, ...]
    failover_path: Tri  # a multi-Region failover path: True, False, or UNKNOWN (maybe)
    # The strongest strategy the templates may implement (every "maybe" taken as so): a
    # declared target is missed only when even this is weaker (unknown is not bad).
    possible_strategy: str = "none"

    @property
    def label(self) -> str:
        return LABELS[self.strategy]

    def of_kind(self, *kinds: str) -> list[Evidence]:
        """The evidence of those kinds, in order (remembered: asked once per component)."""
        if kinds not in self._of_kind:
            self._of_kind[kinds] = [e for e in self.evidence if e.kind in kinds]
        return list(self._of_kind[kinds])

    @cached_property
    def _of_kind(self) -> dict[tuple[str, ...], list[Evidence]]:
        return {}

    @cached_property
    def certain_backups(self) -> dict[str, list[Evidence]]:
        """The certain ``backup`` evidence by the uid of the resource it protects."""
        out: dict[str, list[Evidence]] = {}
        for e in self.evidence:
            if e.kind == "backup" and e.resource is not None and e.certain:
                out.setdefault(e.resource.uid, []).append(e)
        return out

    @cached_property
    def backup_plans(self) -> list[Evidence]:
        """The ``backup`` evidence that is an AWS Backup plan."""
        return [e for e in self.evidence if e.kind == "backup" and e.resource is not None
                and e.resource.kind == "backup_plan"]

    def summary(self, limit: int = 4) -> str:
        """The evidence in one line (for ``none``: what is left unprotected)."""
        if self.strategy == "none":
            wanted: tuple[str, ...] = ("unprotected-data",)
        elif rank(self.strategy) >= rank("pilot-light"):  # what makes it that strategy comes first
            wanted = FAILOVER_PATH_KINDS + tuple(k for k in EVIDENCE_KINDS
                                                 if k not in FAILOVER_PATH_KINDS and k != "unprotected-data")
        else:  # a data store with no backup first: it, not the backed-up ones, bounds the recovery
            wanted = ("unprotected-data",) + tuple(k for k in EVIDENCE_KINDS if k != "unprotected-data")
        texts = [e.text for kind in wanted for e in self.evidence if e.kind == kind]
        shown = texts[:limit]
        return "; ".join(shown) + (f"; and {len(texts) - len(shown)} more" if len(texts) > len(shown) else "")

    def describe(self) -> str:
        """The strategy with its evidence, for messages."""
        label = self.label
        if self.strategy == "none":
            label += ", its data has no backup"
        if self.strategy == "backup-restore" and not self.of_kind("stateless"):
            if any(e.certain for e in self.of_kind("data-replication")):
                label += ", with only part of its data replicated to another Region"
            elif any(e.certain for e in self.of_kind("backup-copy-cross-region")):
                label += ", with backup copies in another Region"
            else:
                label += ", with backups in this Region only"
            if self.of_kind("unprotected-data"):
                label += ", and none for part of its data"
        evidence = self.summary()
        return f"{label} ({evidence})" if evidence else label


_RATE = re.compile(r"rate\(\s*(\d+)\s+(minute|minutes|hour|hours|day|days)\s*\)", re.IGNORECASE)


def schedule_minutes(expression: Any) -> float | None:
    """The interval of an AWS Backup / EventBridge schedule (``rate(...)``, ``cron(...)``)."""
    if not isinstance(expression, str):
        return None
    match = _RATE.search(expression)
    if match:
        unit = match.group(2).lower().rstrip("s")
        return int(match.group(1)) * {"minute": 1, "hour": 60, "day": 1440}[unit]
    cron = re.search(r"cron\((.*)\)", expression)
    if not cron:
        return None
    fields = cron.group(1).split()
    if len(fields) < 6:
        return None
    minute, hour, dom, _, dow = fields[0], fields[1], fields[2], fields[3], fields[4]
    if dom in ("*", "?") and dow in ("*", "?"):
        if hour in ("*",):
            return 60.0 if "/" not in minute and "," not in minute else None
        step = re.fullmatch(r"[\d*]+/(\d+)", hour)
        if step:
            return int(step.group(1)) * 60.0
        if "," in hour:
            return 1440.0 / len(hour.split(","))
        return 1440.0
    if dow not in ("*", "?") and "," not in dow and "-" not in dow:
        return 10080.0
    return None


# Members of a DocumentDB / Neptune cluster: the cluster volume holds the data and its backups.
_CLUSTER_MEMBER_TYPES = ("AWS::DocDB::DBInstance", "AWS::Neptune::DBInstance")
# OpenSearch Service takes automated snapshots of every domain (hourly on OpenSearch and on
# Elasticsearch 5.3+, kept 14 days); they cannot be switched off.
_OPENSEARCH_TYPES = ("AWS::OpenSearchService::Domain", "AWS::Elasticsearch::Domain", "aws_opensearch_domain",
                     "aws_elasticsearch_domain")


def _ephemeral(res: Resource) -> bool:
    """Nothing to recover on its own: Memcached, cache nodes of a replication group, Aurora,
    DocumentDB and Neptune cluster members (the cluster holds the data)."""
    if res.kind in ("elasticache_replication_group", "elasticache_cluster"):
        return deletion.is_redis(res) is False or res.has("replication_group")
    if res.kind == "rds_instance":
        return res.has("cluster") or is_aurora_instance(res)
    return res.type in _CLUSTER_MEMBER_TYPES


def _tri_evidence(out: list[Evidence], state: Tri, kind: str, text: str, res: Resource, rpo: float | None) -> None:
    if state is True:
        out.append(Evidence(kind, text, res, True, rpo))
    elif state is UNKNOWN:
        out.append(Evidence(kind, f"maybe {text}", res, False, rpo))


def _data_evidence(arch: Architecture, res: Resource, out: list[Evidence], ctx: Context) -> bool:
    """Evidence from one data store; True when it found a backup or copy for it."""
    before = len(out)
    if res.kind in ("rds_instance", "rds_cluster"):
        if res.has("replica_source"):  # a read replica: the copy itself, in another Region or not
            _tri_evidence(out, _replica_of_other_region(arch, res), "data-replication",
                          f"{res.address}: read replica of a database in another Region", res, 1.0)
            return True
        else:
            retention = as_int(res.get("backup_retention").value)
            if isinstance(retention, int) and retention > 0:
                out.append(Evidence("backup", f"{res.address}: automated backups, {plural(retention, 'day')}, "
                                    "point-in-time restore", res, True, 5.0))
            if res.type in ("AWS::RDS::DBInstance", "AWS::RDS::DBCluster", "aws_db_instance", "aws_rds_cluster"):
                _tri_evidence(out, replication.rds_cross_region(arch, res), "data-replication",
                              f"{res.address}: cross-Region replica or global database", res, 1.0)
    elif res.kind == "dynamodb_table":
        if not backup.pitr_gaps(res):
            out.append(Evidence("backup", f"{res.address}: point-in-time recovery", res, True, 5.0))
        _tri_evidence(out, replication.dynamodb_cross_region(arch, res), "data-replication",
                      f"{res.address}: global table with a replica in another Region", res, 1.0)
    elif res.kind == "s3_bucket":
        if any(s.enabled is True for s in backup.versioning_states(arch, res)):
            out.append(Evidence("backup", f"{res.address}: versioning keeps prior object versions", res, True, 0.0))
        _tri_evidence(out, replication.replicated_cross_region(arch, res), "data-replication",
                      f"{res.address}: replication to a bucket in another Region", res, 15.0)
    elif res.kind in ("ebs_volume", "efs_file_system"):
        coverage = backup.backup_coverage(arch, res, ctx.selections)
        _tri_evidence(out, coverage.covered, "backup", f"{res.address}: {', '.join(coverage.how) or 'backed up'}",
                      res, 1440.0)
    elif res.kind in ("elasticache_replication_group", "elasticache_cluster"):
        limit = as_int(res.get("snapshot_retention").value)
        if isinstance(limit, int) and limit > 0:
            out.append(Evidence("backup", f"{res.address}: daily snapshots kept {plural(limit, 'day')}", res, True, 1440.0))
        elif aws.custom_resource_configures(arch, res):
            out.append(Evidence("backup", f"maybe {res.address}: snapshots set by a custom resource", res, False, 1440.0))
        if res.kind == "elasticache_replication_group":
            _tri_evidence(out, replication.elasticache_cross_region(arch, res), "data-replication",
                          f"{res.address}: ElastiCache Global Datastore member", res, 1.0)
    elif res.type in ("AWS::Redshift::Cluster", "aws_redshift_cluster"):
        out.append(Evidence("backup", f"{res.address}: automated snapshots (Redshift default)", res, True, 480.0))
    elif res.type in _OPENSEARCH_TYPES:
        out.append(Evidence("backup", f"{res.address}: automated hourly snapshots (OpenSearch Service default)",
                            res, True, 60.0))
    if res.kind not in ("ebs_volume", "efs_file_system") and ctx.selections:  # (those asked above)
        coverage = backup.backup_coverage(arch, res, ctx.selections)
        if coverage.covered is not False:
            out.append(Evidence("backup", f"{'' if coverage.covered is True else 'maybe '}{res.address}: "
                                f"{', '.join(coverage.how) or 'backed up'}", res, coverage.covered is True, 1440.0,
                                via_selection=True))
    return len(out) > before


def _replica_of_other_region(arch: Architecture, replica: Resource) -> Tri:
    return replication.replica_cross_region(arch, replica)


def _backup_plan_evidence(arch: Architecture, resources: list[Resource], out: list[Evidence]) -> None:
    for plan in resources:
        if plan.kind != "backup_plan":
            continue
        for rule in backup.plan_rules(arch, plan):
            name = rule.name if isinstance(rule.name, str) else f"rule {rule.index + 1}"
            minutes = 60.0 if is_known(rule.continuous) and rule.continuous is True else schedule_minutes(rule.schedule)
            out.append(Evidence("backup", f"AWS Backup plan {plan.address} {name}", plan, True, minutes))
            _tri_evidence(out, rule.copied_cross_region, "backup-copy-cross-region",
                          f"AWS Backup plan {plan.address} {name} copies to a vault in another Region", plan, minutes)
    for policy in resources:
        if policy.kind == "dlm_policy":
            out.append(Evidence("backup", f"DLM lifecycle policy {policy.address} (EBS snapshots)", policy, True, None))


def _routing_evidence(arch: Architecture, resources: list[Resource], recs: list[dns.Record],
                      out: list[Evidence]) -> None:
    failover = [r for r in recs if any(role in ("PRIMARY", "SECONDARY") or role is UNKNOWN
                                       for _, role in dns.failover_roles(r) if role is not None)]
    if failover:
        spread = _targets_spread(arch, failover)
        if spread is not False:
            names = sorted({r.describe() for r in failover})
            _tri_evidence(out, True, "dns-failover", f"Route 53 failover records {', '.join(names[:3])}",
                          failover[0].owner, None)
    latency = [r for r in recs if r.get("latency_region") is not None]
    if latency:
        names = sorted({r.describe() for r in latency})
        out.append(Evidence("dns-multi-region", f"Route 53 latency records {', '.join(names[:3])}",
                            latency[0].owner, True, None))
    for accelerator in resources:
        if accelerator.kind == "global_accelerator":
            out.append(Evidence("global-accelerator", f"Global Accelerator {accelerator.address}", accelerator))
    for distribution in resources:
        if distribution.type in ("AWS::CloudFront::Distribution", "aws_cloudfront_distribution"):
            for group, spread in _origin_groups(arch, distribution):
                if spread is not False:
                    _tri_evidence(out, spread, "origin-failover",
                                  f"CloudFront origin group {group} of {distribution.address}", distribution, None)


def _origin_groups(arch: Architecture, distribution: Resource) -> list[tuple[str, Tri]]:
    """(origin group id, whether its member origins sit in different Regions) for each origin
    group of two or more members: CloudFront sends a request to the next member when the first
    fails (origin failover). False only when every member's origin is a resource of the
    scanned set and all sit in one Region."""
    if distribution.source == "cloudformation":
        config = distribution.raw("DistributionConfig")
        config = config if isinstance(config, dict) else {}
        groups_block = config.get("OriginGroups")
        groups = [(g.get("Id"), [m.get("OriginId") for m in as_list((g.get("Members") or {}).get("Items"))
                                 if isinstance(m, dict)])
                  for g in as_list(groups_block.get("Items") if isinstance(groups_block, dict) else None)
                  if isinstance(g, dict) and isinstance(g.get("Members"), dict)]
        domains = {o.get("Id"): o.get("DomainName") for o in as_list(config.get("Origins")) if isinstance(o, dict)}
    else:
        groups = [(g.get("origin_id"), [m.get("origin_id") for m in as_list(g.get("member")) if isinstance(m, dict)])
                  for g in as_list(distribution.raw("origin_group")) if isinstance(g, dict)]
        domains = {o.get("origin_id"): o.get("domain_name") for o in as_list(distribution.raw("origin"))
                   if isinstance(o, dict)}
    out: list[tuple[str, Tri]] = []
    for group_id, members in groups:
        if len(members) < 2:
            continue
        origins = [arch.resolve_ref(distribution, domains.get(m)) if isinstance(domains.get(m), Ref) else None
                   for m in members]
        spread: Tri = UNKNOWN
        if all(o is not None for o in origins):
            spread = any3(aws.regions_differ(a, b) for a in origins for b in origins if a is not b)  # type: ignore[arg-type]
        out.append((str(group_id), spread))
    return out


def _targets_spread(arch: Architecture, failover: list[dns.Record]) -> Tri:
    """Whether failover records point at resources in different Regions. False only when every
    record's alias target is a resource of the scanned set and all sit in one Region (a
    same-Region "sorry page" failover is not a Regional failover path)."""
    targets: list[Resource] = []
    for rec in failover:
        target = arch.resolve_ref(rec.owner, rec.get("alias_target"))
        if target is None:
            return UNKNOWN
        targets.append(target)
    return any3(aws.regions_differ(a, b) for a in targets for b in targets if a is not b)


def _compute_evidence(resources: list[Resource], out: list[Evidence]) -> None:
    compute = [r for r in resources if role_of(r) == "compute"]
    regions = {aws.region_of(r) for r in compute} - {UNKNOWN}
    if len(regions) >= 2:
        out.append(Evidence("multi-region-compute", f"compute in {', '.join(sorted(regions))}", compute[0]))
    for res in compute:
        if res.type in ("AWS::AutoScaling::AutoScalingGroup", "aws_autoscaling_group"):
            low = as_int(res.raw("MinSize") if res.raw("MinSize") is not None else res.raw("min_size"))
            desired = res.raw("DesiredCapacity") if res.raw("DesiredCapacity") is not None else res.raw("desired_capacity")
            if low == 0 and as_int(desired) == 0:
                out.append(Evidence("standby-scaled-to-zero", f"{res.address}: Auto Scaling group at zero capacity", res))


@dataclass
class Context:
    """What ``dr_posture`` needs from the whole scanned set, computed once for many workloads."""

    resources: dict[str, list[Resource]]  # unit id (application or workload) -> its resources
    records: dict[str, list[dns.Record]]  # unit id -> its Route 53 records
    copies: set[str]  # uids of replication destinations
    selections: list[backup.Selection]


def context(arch: Architecture) -> Context:
    resources: dict[str, list[Resource]] = {}
    for res in arch.resources:
        resources.setdefault(unit_of(arch, res.workload), []).append(res)
    records: dict[str, list[dns.Record]] = {}
    for rec in dns.records(arch):
        records.setdefault(unit_of(arch, rec.owner.workload), []).append(rec)
    return Context(resources, records, replication_copies(arch), backup.selections(arch))


def dr_posture(arch: Architecture, workload_id: str, ctx: Context | None = None) -> Posture:
    """The DR strategy a workload's templates implement, and the evidence for it. Pass
    ``ctx = context(arch)`` when asking about many workloads."""
    ctx = ctx or context(arch)
    resources = ctx.resources.get(workload_id, [])
    evidence: list[Evidence] = []
    # A replication destination is the copy, not the data.
    data = [r for r in resources if workload_roles(arch, r) == "data" and not _ephemeral(r) and r.uid not in ctx.copies]
    for res in data:
        if not _data_evidence(arch, res, evidence, ctx):
            evidence.append(Evidence("unprotected-data", f"{res.address}: no backup found", res))
    _backup_plan_evidence(arch, resources, evidence)
    _routing_evidence(arch, resources, ctx.records.get(workload_id, []), evidence)
    _compute_evidence(resources, evidence)
    if not data:
        evidence.append(Evidence("stateless", "no data store in the workload: recovery means redeploying the templates"))

    path = any3(True if e.certain else UNKNOWN for e in evidence if e.kind in FAILOVER_PATH_KINDS)
    strategy = _strategy(evidence, data, certain_only=True)
    possible = _strategy(evidence, data, certain_only=False)
    order = {kind: i for i, kind in enumerate(EVIDENCE_KINDS)}
    evidence.sort(key=lambda e: (order.get(e.kind, 99), e.text))
    return Posture(workload_id, strategy, tuple(evidence), path, possible)


def _strategy(evidence: list[Evidence], data: list[Resource], certain_only: bool) -> str:
    """The strategy the evidence implements: from its certain part only, or (``certain_only``
    False) taking every "maybe" as so, which is the strongest the templates may implement."""
    counted = [e for e in evidence if e.certain or not certain_only]
    kinds = {e.kind for e in counted}
    # The weakest data store bounds the strategy: one that is not replicated is restored from backups.
    copied = {e.resource.uid for e in counted if e.kind == "data-replication" and e.resource}
    replicated = all(r.uid in copied for r in data if not r.has("replica_source"))
    if {"dns-multi-region", "global-accelerator"} & kinds and (replicated or "multi-region-compute" in kinds):
        return "multi-site"
    if set(ENTRY_FAILOVER_KINDS) & kinds and replicated and "standby-scaled-to-zero" not in kinds:
        return "warm-standby"
    if replicated and ("data-replication" in kinds or set(ENTRY_FAILOVER_KINDS) & kinds):
        return "pilot-light"
    if {"backup", "backup-copy-cross-region", "stateless"} & {e.kind for e in evidence}:
        return "backup-restore"  # (a backup that may exist is not "none")
    return "none"


__all__ = ["Context", "DECLARABLE", "Declared", "EVIDENCE_KINDS", "Evidence", "LABELS", "Posture", "STRATEGIES",
           "context", "declared_strategy", "dr_posture", "rank", "role_of", "schedule_minutes", "significant_workloads",
           "unit_of", "workload_label", "log_sinks", "replication_copies", "workload_roles",
           "template_targets"]
