"""The resilience model of a workload: its components, how they depend on each other, and
what each one does when an Availability Zone or the Region is lost.

- Components are the resources that matter to availability (``ROLES``): entry points, compute
  and data; and the egress path: each zonal NAT gateway that a component's subnets send their
  internet traffic through (role ``egress``, see ``_egress``). Everything else (listeners, target groups, security groups, event source
  mappings, IAM policies...) only links them: ``A`` depends on ``B`` when a path of such links
  joins them and ``A`` sits in an earlier tier (entry -> compute -> data), or when ``A``
  references ``B`` directly (a Route 53 alias to a load balancer, an environment variable
  naming a table).
- Scenarios: the loss of each AZ the workload uses (as resolved: names, AZ IDs or positions
  such as ``GetAZs[0]``; "any one AZ" when none is resolvable), then the loss of each of its
  Regions.
- Verdicts: ``unaffected``, ``degraded`` (capacity lost, keeps serving), ``fails over`` (with an
  estimated failover time) or ``down``. A component whose dependency is down is down too.
- Estimates come from the assumption table (``assumptions.py``), worst component first.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from ha_lint.durations import INFINITE, minutes, parse_duration
from ha_lint.graph import Architecture
from ha_lint.model import Resource, Workload
from ha_lint.queries import az as azq
from ha_lint.queries import aws, backup, dr, replication
from ha_lint.queries.az import Zone
from ha_lint.queries.network import is_regional_nat_gateway, nat_gateway_of, nat_gateway_zone
from ha_lint.queries.stacks import az_replicas
from ha_lint.values import UNKNOWN, Ref, as_bool, as_int, possibilities
from ha_lint.resilience.assumptions import DEFAULTS, Assumption, table as make_table

UNAFFECTED, DEGRADED, FAILS_OVER, DOWN = "unaffected", "degraded", "fails over", "down"
VERDICTS = (UNAFFECTED, DEGRADED, FAILS_OVER, DOWN)
TIERS = {"entry": 0, "compute": 1, "data": 2}
EGRESS = "egress"  # the role of a NAT gateway the workload's subnets route through

GLOBAL_TYPES = frozenset({"AWS::Route53::RecordSet", "aws_route53_record", "AWS::CloudFront::Distribution",
                          "aws_cloudfront_distribution", "AWS::GlobalAccelerator::Accelerator",
                          "aws_globalaccelerator_accelerator"})
EXTRA_ROLES = {
    "AWS::Route53::RecordSet": "entry", "aws_route53_record": "entry",
    "AWS::SQS::Queue": "data", "aws_sqs_queue": "data", "AWS::SNS::Topic": "data", "aws_sns_topic": "data",
    "AWS::Kinesis::Stream": "data", "aws_kinesis_stream": "data",
}
# Regional services that AWS spreads over the Region's AZs itself.
REGIONAL_KINDS = frozenset({"dynamodb_table", "s3_bucket", "sqs_queue", "sns_topic", "kinesis_stream"})
# Resources that link components without being one (a path through them is a dependency).
LINK_KINDS = frozenset({"target_group", "target_group_attachment", "autoscaling_attachment", "classic_lb_attachment",
                        "lambda_event_source_mapping", "lambda_permission", "lambda_alias", "event_target",
                        "event_rule", "sns_subscription", "security_group", "sg_ingress", "sg_rule",
                        "ecs_task_definition", "iam_role", "iam_policy", "iam_policy_attachment",
                        "s3_bucket_notification"})
LINK_TYPE_PREFIXES = ("AWS::ElasticLoadBalancingV2::Listener", "aws_lb_listener", "aws_alb_listener",
                      "AWS::ApiGateway::", "AWS::ApiGatewayV2::", "aws_api_gateway_", "aws_apigatewayv2_",
                      "AWS::Lambda::Url", "aws_lambda_function_url", "AWS::EC2::LaunchTemplate", "aws_launch_template",
                      "AWS::AutoScaling::LaunchConfiguration", "aws_launch_configuration")
MAX_SECURITY_GROUPS = 2  # A -> its SG <- (ingress from it) B's SG <- B; never a chain through a third tier
MAX_LINKS = 3
# The rule that names a component as a single point of failure, by kind.
SPOF_RULES = {"rds_instance": "HA101", "rds_cluster": "HA102", "autoscaling_group": "HA104", "load_balancer": "HA106",
              "elasticache_replication_group": "HA108", "elasticache_cluster": "HA108", "efs_file_system": "HA109",
              "ec2_instance": "HA110", "ecs_service": "HA111", "opensearch_domain": "HA112", "eks_nodegroup": "HA113",
              "lambda_function": "HA115", "nat_gateway": "HA107"}


@dataclass
class Component:
    res: Resource
    role: str  # entry, compute, data
    region: str  # the Region's name, or "Region" when unresolved
    zones: list[Zone]  # the distinct AZs it is placed in, as resolved
    placed: bool  # placed in subnets / AZs (a zonal resource), even if they do not resolve
    complete: bool  # every place resolved to a known AZ
    subnets: list[Resource] = field(default_factory=list)
    scope: str = "zonal"  # zonal, regional (AWS spreads it), global
    # It lives in one AZ whatever its placement lists (a single-AZ database in a subnet group of
    # several AZs sits in one of them): drawn in one AZ column, or in "unknown" when not known.
    one_az: bool = False

    @property
    def address(self) -> str:
        return self.res.address

    @property
    def uid(self) -> str:
        return self.res.uid

    @property
    def kind(self) -> str:
        return self.res.kind


@dataclass(frozen=True)
class Outcome:
    verdict: str
    why: str
    assumption: Assumption | None = None  # how it recovers (its own recovery, not a dependency's)
    cause: str | None = None  # the dependency it is down because of

    @property
    def rto(self) -> tuple[float, float]:
        if self.verdict in (UNAFFECTED, DEGRADED) or self.assumption is None or self.cause:
            return (0.0, 0.0)
        return self.assumption.rto

    @property
    def rpo(self) -> float:
        if self.verdict in (UNAFFECTED, DEGRADED) or self.assumption is None or self.cause:
            return 0.0
        return self.assumption.rpo


@dataclass
class Scenario:
    kind: str  # "az" or "region"
    target: str  # the AZ or Region lost ("any one AZ")
    zone: Zone | None = None
    outcomes: dict[str, Outcome] = field(default_factory=dict)  # component uid -> outcome
    egress_uids: frozenset[str] = frozenset()  # the NAT gateways among the components

    @property
    def label(self) -> str:
        if self.kind == "az":
            return f"loss of AZ {self.target}" if self.zone else "loss of any one AZ"
        return "loss of the Region" if self.target == "Region" else f"loss of Region {self.target}"

    @property
    def rto(self) -> tuple[float, float]:
        values = [o.rto for o in self.outcomes.values()]
        return (max((v[0] for v in values), default=0.0), max((v[1] for v in values), default=0.0))

    @property
    def rpo(self) -> float:
        return max((o.rpo for o in self.outcomes.values()), default=0.0)

    @property
    def serving(self) -> bool:
        """Whether the workload keeps (or resumes) serving: no entry point, compute or data
        store is down (a lost NAT gateway costs egress, recorded on the components it serves)."""
        return not any(o.verdict == DOWN for uid, o in self.outcomes.items() if uid not in self.egress_uids)


@dataclass(frozen=True)
class Spof:
    component: Component
    scenario: str
    rule: str  # the rule ID that names it ("" when none does)


@dataclass
class Targets:
    rto: float | None = None
    rpo: float | None = None
    strategy: str | None = None
    origin: str = ""

    @property
    def declared(self) -> bool:
        return self.rto is not None or self.rpo is not None or self.strategy is not None


@dataclass(frozen=True)
class Miss:
    objective: str  # rto, rpo, strategy
    target: str
    estimate: str
    scenario: str
    message: str


@dataclass
class WorkloadModel:
    workload: Workload
    components: list[Component]
    dependencies: list[tuple[str, str, str]]  # (from uid, to uid, via)
    scenarios: list[Scenario]
    posture: dr.Posture
    spofs: list[Spof]
    targets: Targets
    misses: list[Miss]
    assumptions: dict[str, Assumption]
    # (component uid, NAT gateway uid, the component's subnets that route through it): egress,
    # not a dependency that takes the component down (ha-lint does not know which traffic
    # needs the internet), so apart from ``dependencies``.
    egress: list[tuple[str, str, str]] = field(default_factory=list)
    files: frozenset[str] = frozenset()  # the files the workload's resources are defined in

    def findings_of(self, findings: list[Any] | None) -> list[Any]:
        """The findings about this workload: reported in, or about a resource defined in, one
        of its files, or made by a call from its root module."""
        files = self.files | {self.workload.entry_file}
        return [f for f in findings or () if f.file in files or f.defined_in in files
                or (f.root and f.root == self.workload.id)]

    def component(self, address: str) -> Component:
        return next(c for c in self.components if c.address == address)

    def verdict(self, address: str, scenario_index: int) -> str:
        return self.scenarios[scenario_index].outcomes[self.component(address).uid].verdict

    def depends_on(self, uid: str) -> list[str]:
        return [b for a, b, _ in self.dependencies if a == uid]

    def datastore_estimates(self) -> list[dict[str, Any]]:
        """For each data store: its worst outcome under AZ loss and under Region loss."""
        out = []
        for comp in self.components:
            if comp.role != "data":
                continue
            row: dict[str, Any] = {"component": comp.address, "type": comp.res.type}
            for kind in ("az", "region"):
                outcomes = [s.outcomes[comp.uid] for s in self.scenarios if s.kind == kind]
                worst = max(outcomes, key=lambda o: (VERDICTS.index(o.verdict), o.rto[1], o.rpo), default=None)
                row[kind] = worst
            out.append(row)
        return out


# -- components ------------------------------------------------------------------------------


def role_of(res: Resource) -> str | None:
    if res.kind in ("rds_instance",) and (res.has("cluster") or _is_aurora_member(res)):
        return None  # an Aurora member: its cluster is the component
    if res.kind == "elasticache_cluster" and res.has("replication_group"):
        return None
    return dr.role_of(res) or EXTRA_ROLES.get(res.type)


def _is_aurora_member(res: Resource) -> bool:
    from ha_lint.queries.rds import is_aurora_instance

    return bool(is_aurora_instance(res))


def _region(res: Resource) -> str:
    region = aws.region_of(res)
    return region if isinstance(region, str) else "Region"


def _placement(arch: Architecture, res: Resource) -> tuple[list[Zone], bool, bool, list[Resource]]:
    """(distinct known zones, placed at all, every place known, subnets)."""
    spans = azq.azs_spanned(arch, res)
    subnets = azq.subnet_resources(arch, res)
    if not spans:
        for group in arch.targets(res, kind="subnet_group"):
            spans += azq.azs_spanned(arch, group)
            subnets += [s for s in azq.subnet_resources(arch, group) if s not in subnets]
    pinned = res.get("availability_zone") if res.native_path("availability_zone") else None
    if pinned is not None and pinned.present and res.kind in ("rds_instance", "ebs_volume", "ec2_instance"):
        zone = azq.zone_of(pinned.value)
        if isinstance(zone, Zone):
            return [zone], True, True, subnets
    zones: list[Zone] = []
    complete = bool(spans)
    for span in spans:
        for zone in span.zones:
            if isinstance(zone, Zone):
                if zone not in zones:
                    zones.append(zone)
            else:
                complete = False
    placed = bool(spans) or any(res.has(n) for n in azq.SUBNET_PROPS + azq.AZ_PROPS)
    return sorted(zones, key=str), placed, complete and bool(zones), subnets


def components_of(arch: Architecture, resources: list[Resource]) -> list[Component]:
    out = []
    for res in resources:
        role = role_of(res)
        if role is None:
            continue
        replicas = az_replicas(arch, res)
        if replicas and replicas[0] is not res:
            continue  # one stack per AZ: the group is one component, its first stack's
        zones, placed, complete, subnets = _placement(arch, res)
        for replica in replicas[1:]:
            more, more_placed, more_complete, more_subnets = _placement(arch, replica)
            zones = sorted(zones + [z for z in more if z not in zones], key=str)
            placed, complete = placed or more_placed, complete and more_complete
            subnets = subnets + [s for s in more_subnets if s not in subnets]
        if res.type in GLOBAL_TYPES:
            scope = "global"
        elif placed or res.kind in ("ebs_volume", "ec2_instance", "rds_instance", "elasticache_cluster",
                                    "elasticache_replication_group", "autoscaling_group", "load_balancer"):
            scope = "zonal"
        elif res.kind == "efs_file_system" and not res.get("availability_zone_name").present:
            scope = "regional"
        else:
            scope = "regional"
        one_az = len(replicas) <= 1 and scope == "zonal" and _lives_in_one_az(res)
        out.append(Component(res, role, _region(res), zones, placed or scope == "zonal", complete, subnets, scope,
                             one_az))
    return out


def _lives_in_one_az(res: Resource) -> bool:
    """The kinds that ``_az_outcome`` treats as living in one AZ: a database without Multi-AZ
    (or whose Multi-AZ depends on a condition), an instance, a volume, a cache node, a One
    Zone file system."""
    if res.kind == "rds_instance":
        return not all(as_bool(v) is True for _, v in possibilities(res.get("multi_az").value))
    if res.kind == "efs_file_system":
        return res.get("availability_zone_name").present
    return res.kind in ("ec2_instance", "ebs_volume", "elasticache_cluster")


# -- dependencies ----------------------------------------------------------------------------


def _is_link(res: Resource) -> bool:
    return res.kind in LINK_KINDS or res.type.startswith(LINK_TYPE_PREFIXES)


def dependencies(arch: Architecture, comps: list[Component]) -> list[tuple[str, str, str]]:
    by_uid = {c.uid: c for c in comps}
    out: dict[tuple[str, str], str] = {}
    graph = arch.graph
    for comp in comps:
        # direct references: A -> B
        for _, target, data in graph.out_edges(comp.uid, data=True):
            other = by_uid.get(target)
            if other is not None and _is_copy_edge(comp.res, str(data.get("prop", ""))):
                continue
            if other is not None and other is not comp and TIERS[comp.role] <= TIERS[other.role]:
                out.setdefault((comp.uid, other.uid), data.get("prop", "reference"))
        # paths through links, either direction
        seen = {comp.uid}
        frontier = [(comp.uid, [])]
        for _ in range(MAX_LINKS + 1):
            nxt = []
            for uid, path in frontier:
                for neighbour in set(graph.successors(uid)) | set(graph.predecessors(uid)):
                    if neighbour in seen:
                        continue
                    seen.add(neighbour)
                    other = by_uid.get(neighbour)
                    res = graph.nodes[neighbour]["resource"]
                    if other is not None:
                        if path and TIERS[comp.role] < TIERS[other.role]:
                            out.setdefault((comp.uid, other.uid), " -> ".join(p.removeprefix("sg:") for p in path))
                    elif _is_link(res):
                        groups = sum(1 for p in path if p.startswith("sg:")) + (res.kind == "security_group")
                        if groups <= MAX_SECURITY_GROUPS:
                            nxt.append((neighbour, path + [("sg:" if res.kind == "security_group" else "") + res.address]))
            frontier = nxt
    return [(a, b, via) for (a, b), via in out.items()]


# -- one component, one scenario -------------------------------------------------------------


def _lost(comp: Component, zone: Zone | None) -> str:
    """Whether the lost AZ holds the component: "all" (only there), "some", "no", "maybe"."""
    if zone is None or not comp.zones:
        return "maybe"
    if zone not in comp.zones:
        return "no" if comp.complete else "maybe"
    return "all" if len(comp.zones) == 1 and comp.complete else "some"


def _covering(arch: Architecture, res: Resource, posture: dr.Posture, which: str) -> list[dr.Evidence]:
    """The workload's AWS Backup plans (``which``: "plans"; "copies": their certain copies to
    another Region) that back ``res`` up: a selection of the plan selects it (or may: a tag or
    a parameter decides). A plan the scanned set selects nothing for, or a selection whose
    plan is not known, may cover anything (unknown is not bad)."""
    def build() -> tuple[dict[str, list[backup.Selection]], bool, dict[Any, Any]]:
        by_plan: dict[str, list[backup.Selection]] = {}
        unattached = False
        for sel in backup.selections(arch):
            plans = arch.targets(sel.owner, "plan", kind="backup_plan")
            unattached = unattached or not plans
            for p in plans:
                by_plan.setdefault(p.uid, []).append(sel)
        return by_plan, unattached, {}

    by_plan, unattached, memo = arch.derived("backup selections by plan", build)
    key = (posture.workload, which)
    if key not in memo:  # the evidence by the plan it is about, once per workload
        evidence = posture.backup_plans if which == "plans" else \
            [e for e in posture.of_kind("backup-copy-cross-region") if e.certain]
        groups: dict[str | None, list[dr.Evidence]] = {}
        for e in evidence:
            plan = e.resource.uid if e.resource is not None and e.resource.uid in by_plan and not unattached else None
            groups.setdefault(plan, []).append(e)
        memo[key] = groups
    groups = memo[key]
    if len(groups) <= 1 and None in groups or not groups:
        return groups.get(None, [])
    if (res.uid, which) not in memo:  # asked for every scenario: once per resource
        memo[res.uid, which] = [plan for plan, sels in by_plan.items() if plan in groups
                                and any(sel.selects(res) is not False for sel in sels)]
    return groups.get(None, []) + [e for plan in memo[res.uid, which] for e in groups[plan]]


def _data_recovery(arch: Architecture, comp: Component, table: dict[str, Assumption],
                   posture: dr.Posture) -> Assumption:
    """How a lost data store comes back within the Region: restore from backups."""
    res = comp.res
    backed = [e for e in posture.certain_backups.get(res.uid, ()) if e.resource is res]
    plan = _covering(arch, res, posture, "plans")
    own = [e for e in backed if not e.via_selection]  # PITR, automated backups (not an AWS Backup plan's restore)
    if res.kind == "dynamodb_table" and own:
        return table["dynamodb-pitr-restore"]
    if res.kind in ("rds_instance", "rds_cluster") and own:
        return table["rds-restore-from-backup"]
    if res.kind in ("elasticache_replication_group", "elasticache_cluster"):
        return table["elasticache-replace-node"].with_rpo(1440.0 if backed else None)
    if backed or plan:
        every = min((e.rpo_minutes for e in backed + plan if e.rpo_minutes), default=None)
        return table["ebs-snapshot-restore"].with_rpo(every)
    return table["no-recovery"]


def _az_outcome(arch: Architecture, comp: Component, zone: Zone | None, table: dict[str, Assumption],
                posture: dr.Posture) -> Outcome:
    res, where = comp.res, _lost(comp, zone)
    if comp.scope == "global":
        return Outcome(UNAFFECTED, "a global service")
    if comp.scope == "regional" and not comp.placed:
        return Outcome(UNAFFECTED, "a Regional service: AWS spreads it over the Region's AZs")
    if where == "no":
        return Outcome(UNAFFECTED, f"placed in {', '.join(map(str, comp.zones))}")
    if res.kind == "rds_instance":
        multi = [v for _, v in possibilities(res.get("multi_az").value)]
        if all(as_bool(v) is True for v in multi):
            return Outcome(FAILS_OVER, "Multi-AZ: the standby takes over", table["rds-multi-az-failover"])
        return Outcome(DOWN, "single-AZ database" + ("" if where == "all" else " (it may sit in this AZ)"),
                       _data_recovery(arch, comp, table, posture))
    if res.kind == "rds_cluster":
        if res.has("db_cluster_instance_class") or any(res.raw(p) not in (None, "") for p in ("DBClusterInstanceClass", "db_cluster_instance_class")):
            return Outcome(FAILS_OVER, "Multi-AZ DB cluster: a reader takes over", table["rds-multi-az-cluster-failover"])
        members = azq.cluster_members(arch, res)
        low, _ = members.count_range
        if low >= 2:
            return Outcome(FAILS_OVER, f"{low} instances: a replica in another AZ is promoted",
                           table["aurora-replica-failover"])
        return Outcome(FAILS_OVER, "one instance: Aurora re-creates it in another AZ (storage spans 3 AZs)",
                       table["aurora-recreate-writer"])
    if res.kind == "elasticache_replication_group":
        auto = as_bool(res.get("automatic_failover").value)
        nodes = as_int(res.get("num_cache_clusters").value)
        replicas = as_int(res.get("replicas_per_node_group").value)
        if auto is True and ((isinstance(nodes, int) and nodes >= 2) or (isinstance(replicas, int) and replicas >= 1)):
            return Outcome(FAILS_OVER, "automatic failover to a replica", table["elasticache-failover"])
        return Outcome(DOWN, "no automatic failover", _data_recovery(arch, comp, table, posture))
    if res.kind in ("elasticache_cluster", "ebs_volume", "ec2_instance") or (
            res.kind == "efs_file_system" and res.get("availability_zone_name").present):
        recovery = _data_recovery(arch, comp, table, posture) if comp.role == "data" else table["redeploy-compute"]
        if where in ("all", "maybe") and res.kind in ("ebs_volume", "ec2_instance", "elasticache_cluster", "efs_file_system"):
            return Outcome(DOWN, "lives in one AZ" + ("" if where == "all" else " (it may be this one)"), recovery)
    if where == "all":
        recovery = table["redeploy-compute"] if comp.role != "data" else _data_recovery(arch, comp, table, posture)
        return Outcome(DOWN, f"placed only in {comp.zones[0]}", recovery)
    if where == "some":
        return Outcome(DEGRADED, f"loses its capacity in {zone}, keeps serving from "
                       f"{', '.join(str(z) for z in comp.zones if z != zone)}",
                       table["asg-replace-capacity"] if comp.role == "compute" else None)
    if comp.scope == "regional":
        return Outcome(UNAFFECTED, "a Regional service: AWS spreads it over the Region's AZs")
    return Outcome(DEGRADED, "placement not resolved: assumed spread over several AZs")


def _region_outcome(arch: Architecture, comp: Component, region: str, table: dict[str, Assumption],
                    posture: dr.Posture, primary_regions: set[str] = frozenset()) -> Outcome:  # type: ignore[assignment]
    res = comp.res
    if comp.scope == "global":
        return Outcome(UNAFFECTED, "a global service")
    if comp.region != region:
        return Outcome(UNAFFECTED, f"in {comp.region}")
    if comp.role == "data":
        if res.uid in dr.replication_copies(arch):  # DR posture: a replication destination is the copy, not the data
            return Outcome(DEGRADED, "a cross-Region copy: the data it receives is kept by its source")
        replicated = _cross_region(arch, res)
        if replicated is not None:
            return Outcome(FAILS_OVER, f"replicated to another Region ({replicated.what})", replicated)
        copies = _covering(arch, res, posture, "copies")
        if copies and res.kind not in ("elasticache_replication_group", "elasticache_cluster", "sqs_queue",
                                       "sns_topic", "kinesis_stream"):
            every = max((e.rpo_minutes for e in copies if e.rpo_minutes), default=None)
            return Outcome(DOWN, "restored from backup copies in another Region",
                           table["backup-copy-restore"].with_rpo(every))
        return Outcome(DOWN, "no copy outside the Region", table["no-recovery"])
    if posture.of_kind("dns-failover", "dns-multi-region", "global-accelerator", "origin-failover"):
        if primary_regions and region not in primary_regions and posture.strategy != "multi-site":
            return Outcome(DOWN, "the standby copy is lost; the primary keeps serving")
        key = "pilot-light-scale-up" if posture.strategy == "pilot-light" else "route53-failover"
        return Outcome(FAILS_OVER, "traffic fails over to the other Region's copy", table[key])
    return Outcome(DOWN, "no failover path to another Region", table["redeploy-compute"])


def _cross_region(arch: Architecture, res: Resource) -> Assumption | None:
    checks = {
        "dynamodb_table": (replication.dynamodb_cross_region, "dynamodb-global-table"),
        "s3_bucket": (replication.replicated_cross_region, "s3-replication"),
        "rds_instance": (replication.rds_cross_region, "rds-cross-region-replica"),
        "rds_cluster": (replication.rds_cross_region, "rds-cross-region-replica"),
        "elasticache_replication_group": (replication.elasticache_cross_region, "rds-cross-region-replica"),
    }
    check = checks.get(res.kind)
    if check is None:
        return None
    try:
        state = check[0](arch, res)
    except Exception:  # a query that does not apply to this engine
        return None
    # Maybe (a destination whose Region the templates leave open) counts, as in the DR posture
    # and DR304: unknown is not bad.
    return _TABLE_IN_USE.get(check[1], DEFAULTS[check[1]]) if state is not False else None


def _is_copy_edge(res: Resource, prop: str) -> bool:
    """A reference that names where ``res`` copies its data to, or copies it from (S3
    replication, a read replica's source): the copy does not serve ``res``, nor the source its
    replica, so it is not a dependency that takes it down."""
    text = prop.lower()
    return "replicat" in text or any(text == (res.native_path(name) or "\0").lower()
                                     for name in ("replica_source", "global_cluster"))


_TABLE_IN_USE: dict[str, Assumption] = {}


def _propagate(scenario: Scenario, comps: list[Component], deps: list[tuple[str, str, str]],
               records: dict[str, str], table: dict[str, Assumption]) -> None:
    by_uid = {c.uid: c for c in comps}
    changed = True
    while changed:
        changed = False
        for a, b, _ in deps:
            mine, theirs = scenario.outcomes[a], scenario.outcomes[b]
            comp = by_uid[a]
            role = records.get(a)
            if comp.scope == "global" and role and theirs.verdict in (DOWN, FAILS_OVER):
                state = f"{by_uid[b].address} {'is down' if theirs.verdict == DOWN else 'fails over'}"
                wanted = FAILS_OVER if role == "PRIMARY" else DEGRADED
                if mine.verdict != wanted:
                    scenario.outcomes[a] = (
                        Outcome(FAILS_OVER, f"failover routing: {state}, Route 53 answers with the secondary",
                                table["route53-failover"]) if wanted == FAILS_OVER else
                        Outcome(DEGRADED, f"{state}: Route 53 routes around it while it is unhealthy"))
                    changed = True
            elif theirs.verdict == DOWN and mine.verdict != DOWN:
                scenario.outcomes[a] = Outcome(DOWN, f"depends on {by_uid[b].address}, which is down", None,
                                               by_uid[b].address)
                changed = True


def _failover_records(arch: Architecture, comps: list[Component]) -> dict[str, str]:
    """uid -> "PRIMARY", "SECONDARY" or "ROUTED" for Route 53 records that route around an
    unhealthy target: failover records, latency records."""
    from ha_lint.queries import dns

    out: dict[str, str] = {}
    uids = {c.uid for c in comps}
    for rec in dns.records(arch):
        if rec.owner.uid not in uids:
            continue
        roles = [role for _, role in dns.failover_roles(rec) if isinstance(role, str)]
        if "PRIMARY" in roles:
            out[rec.owner.uid] = "PRIMARY"
        elif "SECONDARY" in roles:
            out[rec.owner.uid] = "SECONDARY"
        elif rec.get("latency_region") is not None:
            out[rec.owner.uid] = "PRIMARY"
    return out


# -- targets ---------------------------------------------------------------------------------

_TAG_KEYS = {"rto": ("ha-lint:rto", "rto-target"), "rpo": ("ha-lint:rpo", "rpo-target")}


def _tags(res: Resource) -> dict[str, Any]:
    """A resource's tags as a mapping, from either language's shape (``Tags: [{Key, Value}]``,
    ``tags = {...}``)."""
    raw = res.raw("Tags") if res.raw("Tags") is not None else res.raw("tags")
    if isinstance(raw, dict):
        return {k: v for k, v in raw.items() if isinstance(k, str)}
    if isinstance(raw, list):
        return {t["Key"]: t.get("Value") for t in raw if isinstance(t, dict) and isinstance(t.get("Key"), str)}
    return {}


def targets_of(arch: Architecture, workload: Workload, resources: list[Resource]) -> Targets:
    out = Targets()
    declared = dr.template_targets(workload)
    origins = []
    for name in ("rto", "rpo"):
        value = parse_duration(declared.get(name)) if name in declared else None
        origin = "the template's Metadata"
        if value is None:
            for res in resources:
                for key, item in _tags(res).items():
                    if key.lower() in _TAG_KEYS[name] and parse_duration(item) is not None:
                        value, origin = parse_duration(item), f"the tag {key} on {res.address}"
        if value is None:
            value = getattr(arch.options, f"{name}_minutes")
            origin = "the configuration"
        if value is not None:
            setattr(out, name, value)
            origins.append(f"{name.upper()} from {origin}")
    strategy = dr.declared_strategy(arch, workload.id, resources)
    if strategy is None or strategy.origin.endswith("(configuration)"):
        for res in resources:  # tags on kinds whose tags the kinds table does not map
            for key, item in _tags(res).items():
                if key.lower() in ("ha-lint:dr-strategy", "dr-strategy") and str(item).lower() in dr.DECLARABLE:
                    strategy = dr.Declared(str(item).lower(), f"declared by the tag {key} = {item} on {res.address}")
    if strategy is not None:
        out.strategy = strategy.strategy
        origins.append(strategy.origin)
    out.origin = "; ".join(origins)
    return out


def _misses(model: WorkloadModel) -> list[Miss]:
    out: list[Miss] = []
    t = model.targets
    if t.rto is not None:
        worst = max(model.scenarios, key=lambda s: s.rto[0], default=None)
        if worst is not None and worst.rto[0] > t.rto:
            low, high = worst.rto
            shown = minutes(low) if low == high else f"{minutes(low)}-{minutes(high)}"
            takes = ("has no recovery path" if low == INFINITE else f"takes an estimated {shown} to recover")
            out.append(Miss("rto", minutes(t.rto), shown, worst.label,
                            f"RTO target {minutes(t.rto)} is not met: the {worst.label} {takes} "
                            f"({_worst_why(worst, 'rto')})."))
    if t.rpo is not None:
        worst = max(model.scenarios, key=lambda s: s.rpo, default=None)
        if worst is not None and worst.rpo > t.rpo:
            out.append(Miss("rpo", minutes(t.rpo), minutes(worst.rpo), worst.label,
                            f"RPO target {minutes(t.rpo)} is not met: the {worst.label} "
                            + ("loses data kept nowhere else" if worst.rpo == INFINITE else
                               f"loses up to {minutes(worst.rpo)} of data") + f" ({_worst_why(worst, 'rpo')})."))
    if t.strategy is not None and dr.rank(model.posture.possible_strategy) < dr.rank(t.strategy):
        out.append(Miss("strategy", t.strategy, model.posture.strategy, "",
                        f"declared DR strategy {dr.LABELS[t.strategy]} is not implemented: the templates implement "
                        f"{model.posture.describe()}."))
    return out


def _worst_why(scenario: Scenario, what: str) -> str:
    key = (lambda o: o.rto[0]) if what == "rto" else (lambda o: o.rpo)
    uid, outcome = max(scenario.outcomes.items(), key=lambda item: key(item[1]))
    address = uid.split("#", 1)[1]
    assumption = outcome.assumption.what if outcome.assumption and outcome.assumption.key != "no-recovery" else outcome.why
    return f"{address}: {outcome.verdict}, {assumption}"


# -- the whole model -------------------------------------------------------------------------


def build(arch: Architecture, workload: Workload, resources: list[Resource], posture: dr.Posture,
          table: dict[str, Assumption], rule_ids: dict[str, list[str]] | None = None) -> WorkloadModel:
    _TABLE_IN_USE.clear()
    _TABLE_IN_USE.update(table)
    comps = components_of(arch, resources)
    deps = dependencies(arch, comps)
    nats, egress = _egress(arch, comps)
    comps += nats
    zones: list[Zone] = []
    for comp in comps:
        zones += [z for z in comp.zones if z not in zones]
    for res in resources:
        if res.kind == "subnet":
            zone = azq.subnet_zone(arch, res)
            if isinstance(zone, Zone) and zone not in zones:
                zones.append(zone)
    zones.sort(key=str)
    egress_uids = frozenset(n.uid for n in nats)
    scenarios = [Scenario("az", str(z), z, egress_uids=egress_uids) for z in zones] or \
        [Scenario("az", "any one AZ", egress_uids=egress_uids)]
    regions = sorted({c.region for c in comps if c.scope != "global"}) or ["Region"]
    scenarios += [Scenario("region", r, egress_uids=egress_uids) for r in regions]
    records = _failover_records(arch, comps)
    by_uid = {c.uid: c for c in comps}
    primary_regions = {by_uid[b].region for a, b, _ in deps if records.get(a) == "PRIMARY" and by_uid[b].scope != "global"}
    for scenario in scenarios:
        for comp in comps:
            if comp.role == EGRESS:
                outcome = _nat_outcome(arch, comp, scenario, [e for e in egress if e[1] == comp.uid], by_uid)
            elif scenario.kind == "az":
                outcome = _az_outcome(arch, comp, scenario.zone, table, posture)
            else:
                outcome = _region_outcome(arch, comp, scenario.target, table, posture, primary_regions)
            scenario.outcomes[comp.uid] = outcome
        _lose_egress(arch, scenario, egress, by_uid)
        _propagate(scenario, comps, deps, records, table)
    spofs: list[Spof] = []
    listed: set[str] = set()
    for scenario in scenarios:
        if scenario.kind != "az":
            continue
        for comp in comps:
            outcome = scenario.outcomes[comp.uid]
            if comp.role == EGRESS and not _cuts_other_zones(arch, comp, scenario, egress, by_uid):
                continue  # only its own AZ's subnets route through it: lost with that AZ, no more
            if outcome.verdict == DOWN and outcome.cause is None and comp.uid not in listed:
                listed.add(comp.uid)
                named = (rule_ids or {}).get(comp.uid) or ([SPOF_RULES[comp.kind]] if comp.kind in SPOF_RULES else [])
                spofs.append(Spof(comp, scenario.label, ", ".join(named)))
    model = WorkloadModel(workload, comps, deps, scenarios, posture, spofs, targets_of(arch, workload, resources),
                          [], table, egress, frozenset(r.file for r in resources))
    model.misses = _misses(model)
    return model


def _egress(arch: Architecture, comps: list[Component]) -> tuple[list[Component], list[tuple[str, str, str]]]:
    """The zonal NAT gateways the subnets of entry points and compute send their internet
    traffic through (a data store's subnets do not: it answers, it does not call out), each a
    component of role ``egress`` in its AZ; and (component uid, NAT uid, those subnets). A
    regional NAT gateway spans the AZs it serves, so it is not one AZ's egress."""
    nats: dict[str, Component] = {}
    routed: dict[tuple[str, str], list[str]] = {}
    for comp in comps:
        if comp.role == "data":
            continue
        for subnet in comp.subnets:
            nat = nat_gateway_of(arch, subnet)
            if not isinstance(nat, Resource) or is_regional_nat_gateway(nat) is not False:
                continue
            if nat.uid not in nats:
                zone = nat_gateway_zone(arch, nat)
                zones = [zone] if isinstance(zone, Zone) else []
                nats[nat.uid] = Component(nat, EGRESS, _region(nat), zones, True, bool(zones),
                                          azq.subnet_resources(arch, nat), "zonal", one_az=True)
            routed.setdefault((comp.uid, nat.uid), []).append(subnet.address)
    return list(nats.values()), [(a, b, ", ".join(dict.fromkeys(subnets))) for (a, b), subnets in routed.items()]


def _routed_zones(arch: Architecture, comp: Component, nat: Component) -> list[Zone | Any]:
    """The AZs of ``comp``'s subnets that route through ``nat`` (unknown ones included)."""
    out: list[Zone | Any] = []
    for subnet in comp.subnets:
        if nat_gateway_of(arch, subnet) is nat.res:
            zone = azq.subnet_zone(arch, subnet)
            if zone not in out:
                out.append(zone)
    return out


def _other_zones(arch: Architecture, nat: Component, routes: list[tuple[str, str, str]],
                 by_uid: dict[str, Component]) -> list[str]:
    """The known AZs other than the NAT gateway's own whose subnets route through it."""
    out: list[str] = []
    for comp_uid, _, _ in routes:
        for zone in _routed_zones(arch, by_uid[comp_uid], nat):
            if isinstance(zone, Zone) and zone not in nat.zones and str(zone) not in out:
                out.append(str(zone))
    return sorted(out)


def _nat_outcome(arch: Architecture, nat: Component, scenario: Scenario, routes: list[tuple[str, str, str]],
                 by_uid: dict[str, Component]) -> Outcome:
    if scenario.kind == "region":
        return Outcome(UNAFFECTED, f"in {nat.region}") if nat.region != scenario.target else \
            Outcome(DOWN, "lost with the Region")
    where = _lost(nat, scenario.zone)
    if where == "no":
        return Outcome(UNAFFECTED, f"placed in {nat.zones[0]}")
    others = _other_zones(arch, nat, routes, by_uid)
    serves = (f"subnets in {', '.join(others)} lose their way to the internet through it" if others else
              "only subnets in its own AZ route through it")
    return Outcome(DOWN, ("lives in one AZ: " if where == "all" else "lives in one AZ (it may be this one): ") + serves)


def _cuts_other_zones(arch: Architecture, nat: Component, scenario: Scenario, egress: list[tuple[str, str, str]],
                      by_uid: dict[str, Component]) -> bool:
    """Whether losing ``scenario``'s AZ takes ``nat`` down while subnets in another AZ route
    through it (HA107's case): a single point of failure of the egress path."""
    return (scenario.zone is not None and nat.zones == [scenario.zone] and nat.complete
            and bool(_other_zones(arch, nat, [e for e in egress if e[1] == nat.uid], by_uid)))


def _lose_egress(arch: Architecture, scenario: Scenario, egress: list[tuple[str, str, str]],
                 by_uid: dict[str, Component]) -> None:
    """A component still serving whose subnets in another AZ route through a NAT gateway the
    scenario takes down is degraded: it keeps serving, but those subnets lose internet egress
    (calls to AWS APIs without VPC endpoints, third-party services, package updates)."""
    if scenario.kind != "az":
        return
    for comp_uid, nat_uid, _ in egress:
        comp, nat = by_uid[comp_uid], by_uid[nat_uid]
        if scenario.zone is None or nat.zones != [scenario.zone] or not nat.complete:
            continue
        mine = scenario.outcomes[comp_uid]
        if mine.verdict not in (UNAFFECTED, DEGRADED):
            continue
        lost = [str(z) for z in _routed_zones(arch, comp, nat) if isinstance(z, Zone) and z != scenario.zone]
        if not lost:
            continue
        note = f"its subnets in {', '.join(lost)} lose internet egress (they route through {nat.address})"
        why = note if mine.verdict == UNAFFECTED else f"{mine.why}; {note}"
        scenario.outcomes[comp_uid] = Outcome(DEGRADED, why, mine.assumption, mine.cause)


def analyse(arch: Architecture, table: dict[str, Assumption] | None = None,
            findings: list[Any] | None = None, workload_ids: list[str] | None = None) -> list[WorkloadModel]:
    """The model of every significant workload (or of ``workload_ids``)."""
    table = table or make_table(arch.options.extra.get("assumptions"))
    ctx = dr.context(arch)
    rule_ids: dict[str, list[str]] = {}
    for f in findings or ():
        if f.rule_id.startswith("HA") and f.resource:
            for res in arch.resources:
                if res.address == f.resource and res.file == f.file:
                    rule_ids.setdefault(res.uid, [])
                    if f.rule_id not in rule_ids[res.uid]:
                        rule_ids[res.uid].append(f.rule_id)
    out = []
    for workload in dr.significant_workloads(arch):
        if workload_ids is not None and workload.id not in workload_ids:
            continue
        resources = ctx.resources.get(workload.id, [])
        out.append(build(arch, workload, resources, dr.dr_posture(arch, workload.id, ctx), table, rule_ids))
    return out


__all__ = ["Component", "DEGRADED", "DOWN", "FAILS_OVER", "Miss", "Outcome", "Scenario", "Spof", "Targets",
           "UNAFFECTED", "VERDICTS", "WorkloadModel", "analyse", "build", "targets_of"]
_ = (UNKNOWN, Ref, INFINITE)
