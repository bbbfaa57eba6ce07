"""What sits behind a load balancer, and what receives traffic directly.

- Auto Scaling group <-> target group / classic load balancer: the lists on the group
  (``TargetGroupARNs``, ``LoadBalancerNames``, ``TrafficSources``; ``target_group_arns``,
  ``load_balancers``, ``traffic_source {}``) and separate attachment resources
  (``aws_autoscaling_attachment``, ``aws_autoscaling_traffic_source_attachment``).
- Targets of a target group (``Targets``; ``aws_lb_target_group_attachment``) and instances
  of a classic load balancer (``Instances``, ``instances``, ``aws_elb_attachment``).
- What points at an EC2 instance: Elastic IPs (``InstanceId``, ``AWS::EC2::EIPAssociation``,
  ``aws_eip.instance``, ``aws_eip_association``), Route 53 records whose values are the
  instance's (or its Elastic IP's) address, target groups and classic load balancers.

An attachment whose target is written but unresolved (an ARN from a parameter or a module
output) still attaches: the group is behind *something*. An attachment resource whose
group cannot be resolved makes the answer unknown for every group of its workload.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from ha_lint.graph import Architecture
from ha_lint.model import Resource
from ha_lint.queries.az import condition_unknown, count_unknown, variants
from ha_lint.queries.aws import tags_of
from ha_lint.values import UNKNOWN, Choice, Ref, Tri, as_int, as_list, refs_in


@dataclass(frozen=True)
class Attachment:
    """One link between a group of instances and what sends it traffic."""

    owner: Resource  # the resource that declares the link (the ASG, or an attachment resource)
    target: Resource | None  # the target group / load balancer, when in the scanned set
    description: str  # e.g. "target group WebTargetGroup"
    line: int
    branch: str | None = None  # an undecided condition the link exists on


@dataclass
class LoadBalancing:
    """How an Auto Scaling group is attached to load balancers / target groups."""

    attachments: list[Attachment] = field(default_factory=list)
    unknown: bool = False  # an attachment may exist that the templates do not resolve

    @property
    def attached(self) -> Tri:
        if any(a.branch is None for a in self.attachments):
            return True
        return UNKNOWN if self.unknown or self.attachments else False

    @property
    def branch(self) -> str | None:
        """The condition under which the group is attached, when only conditionally."""
        if self.attached is True or not self.attachments:
            return None
        return self.attachments[0].branch


def _removed(value: Any) -> bool:
    return value is None or type(value) is object  # AWS::NoValue


def _attachment(arch: Architecture, owner: Resource, value: Any, noun: str, line: int,
                branch: str | None) -> Attachment:
    target = arch.resolve_ref(owner, value)
    label = f"{noun} {target.address}" if target is not None else f"a {noun}"
    return Attachment(owner, target, label, line, branch)


def _names_group(arch: Architecture, owner: Resource, value: Any, asg: Resource) -> Tri:
    """Whether an attachment's group reference (a Ref or the group's name) names ``asg``."""
    if isinstance(value, Ref):
        return arch.resolve_ref(owner, value) is asg
    if isinstance(value, Choice):
        return UNKNOWN if any(arch.resolve_ref(owner, r) is asg for r in refs_in(value)) else False
    name = asg.get("name").value
    if isinstance(value, str):
        return isinstance(name, str) and name == value
    return UNKNOWN if owner.workload == asg.workload else False


_GROUP_LISTS = {"target_groups": "target group", "load_balancers": "classic load balancer",
                "traffic_sources": "traffic source"}


def load_balancing(arch: Architecture, asg: Resource) -> LoadBalancing:
    """The load balancers and target groups ``asg`` is attached to (worked out once per group)."""
    known = arch.derived("load balancing by group", dict)
    if asg.uid not in known:
        known[asg.uid] = _load_balancing(arch, asg)
    return known[asg.uid]


def _group_attachments(arch: Architecture) -> tuple[dict[str, list[tuple[int, Resource]]],
                                                     dict[str, list[tuple[int, Resource]]], list[tuple[int, Resource]]]:
    """Attachment resources indexed by the group they name: by the group's uid (a reference),
    by its name (a string), and the rest (a condition's choice, an unresolved value), which
    may name any group; each with its position, to keep the template's order."""
    by_uid: dict[str, list[tuple[int, Resource]]] = {}
    by_name: dict[str, list[tuple[int, Resource]]] = {}
    rest: list[tuple[int, Resource]] = []
    for index, att in enumerate(arch.of_kind("autoscaling_attachment")):
        value = att.get("autoscaling_group").value
        if isinstance(value, Ref):
            target = arch.resolve_ref(att, value)
            if target is not None:
                by_uid.setdefault(target.uid, []).append((index, att))
        elif isinstance(value, str):
            by_name.setdefault(value, []).append((index, att))
        else:
            rest.append((index, att))
    return by_uid, by_name, rest


def _load_balancing(arch: Architecture, asg: Resource) -> LoadBalancing:
    out = LoadBalancing()
    for name, noun in _GROUP_LISTS.items():
        if not asg.has(name):
            continue
        line = asg.line_of(name)
        for branch, items in variants(asg.get(name).value):
            if items is UNKNOWN:
                out.unknown = True
                continue
            for item in items if isinstance(items, list) else [items]:
                if _removed(item):
                    continue
                if isinstance(item, dict):  # a traffic source: {Identifier, Type}
                    item = item.get("Identifier", item.get("identifier"))
                out.attachments.append(_attachment(arch, asg, item, noun, line, branch))
    by_uid, by_name, rest = arch.derived("autoscaling attachments by group", lambda: _group_attachments(arch))
    name = asg.get("name").value
    candidates = by_uid.get(asg.uid, []) + (by_name.get(name, []) if isinstance(name, str) else []) + rest
    for _, att in sorted(candidates, key=lambda pair: pair[0]):
        hit = _names_group(arch, att, att.get("autoscaling_group").value, asg)
        if hit is False:
            continue
        if hit is UNKNOWN or count_unknown(att):
            out.unknown = True
            continue
        value = next((att.get(n).value for n in ("target_group", "target_group_legacy", "load_balancer")
                      if att.has(n)), None)
        for source in att.all("traffic_sources")[:1]:  # traffic_source { identifier }
            value = source.get("identifier") if isinstance(source, dict) else None
        noun = "load balancer" if att.has("load_balancer") else "target group"
        out.attachments.append(_attachment(arch, att, value, noun, att.line, condition_unknown(att)))
    return out


# -- targets -------------------------------------------------------------------------------


@dataclass
class Targets:
    """What a target group or classic load balancer sends traffic to."""

    instances: list[Resource] = field(default_factory=list)  # EC2 instances of the scanned set
    others: int = 0  # targets that are not such instances (IPs, Lambda, unresolved IDs, ASGs)
    unknown: bool = False  # more targets may exist

    @property
    def sole_instance(self) -> Resource | None:
        """The one instance that is certainly the only target."""
        if self.unknown or self.others or len(self.instances) != 1:
            return None
        return self.instances[0]


def _add_target(arch: Architecture, owner: Resource, value: Any, out: Targets) -> None:
    target = arch.resolve_ref(owner, value) if isinstance(value, Ref) else None
    if target is not None and target.kind == "ec2_instance" and not count_unknown(target):
        if target not in out.instances:
            out.instances.append(target)
    elif isinstance(value, Choice) or value is UNKNOWN:
        out.unknown = True
    else:
        out.others += 1


def _list_targets(arch: Architecture, owner: Resource, name: str, out: Targets, key: str | None) -> None:
    value = owner.get(name).value
    if not owner.has(name):
        return
    if not isinstance(value, list):
        out.unknown = True
        return
    for item in value:
        if _removed(item):
            continue
        _add_target(arch, owner, item.get(key, UNKNOWN) if key and isinstance(item, dict) else item, out)


def _attached_targets(arch: Architecture, lb: Resource, kind: str, lb_name: str, target_name: str,
                      out: Targets) -> None:
    hits, unresolved = arch.derived(f"{kind} by {lb_name}", lambda: _attachments_by_lb(arch, kind, lb_name))
    out.unknown |= lb.workload in unresolved
    for att in hits.get(lb.uid, ()):
        if count_unknown(att) or condition_unknown(att):
            out.unknown = True
            continue
        _add_target(arch, att, att.get(target_name).value, out)


def _attachments_by_lb(arch: Architecture, kind: str, lb_name: str) -> tuple[dict[str, list[Resource]], set[str]]:
    """Attachment resources of ``kind`` by the uid of the load balancer they name, and the
    workloads where one names an unresolved or conditional load balancer (it may be any)."""
    hits: dict[str, list[Resource]] = {}
    unresolved: set[str] = set()
    for att in arch.of_kind(kind):
        value = att.get(lb_name).value
        target = arch.resolve_ref(att, value) if isinstance(value, Ref) else None
        if target is not None and target.workload == att.workload:
            hits.setdefault(target.uid, []).append(att)
        elif value is UNKNOWN or isinstance(value, Choice):
            unresolved.add(att.workload)
    return hits, unresolved


def _asg_targets(arch: Architecture, lb: Resource, out: Targets) -> None:
    """Auto Scaling groups attached to ``lb`` are targets too (many instances)."""
    attached, maybe = arch.derived("autoscaling groups by load balancer", lambda: _groups_by_lb(arch))
    groups = attached.get(lb.uid, set())
    out.others += len(groups)
    if any(uid not in groups for uid in maybe.get(lb.workload, ())):
        out.unknown = True  # a group whose attachments are not all resolved may be attached to this one


def _groups_by_lb(arch: Architecture) -> tuple[dict[str, set[str]], dict[str, list[str]]]:
    """The Auto Scaling groups attached to each load balancer (by uid, in the group's own
    workload), and per workload the groups with an attachment that is not resolved."""
    attached: dict[str, set[str]] = {}
    maybe: dict[str, list[str]] = {}
    for asg in arch.of_kind("autoscaling_group"):
        links = load_balancing(arch, asg)
        for a in links.attachments:
            if a.target is not None and a.target.workload == asg.workload:
                attached.setdefault(a.target.uid, set()).add(asg.uid)
        if links.unknown or any(a.target is None for a in links.attachments):
            maybe.setdefault(asg.workload, []).append(asg.uid)
    return attached, maybe


def targets_of(arch: Architecture, lb: Resource) -> Targets:
    """The targets of a target group or classic load balancer in the scanned set (worked out
    once per load balancer)."""
    known = arch.derived("targets by load balancer", dict)
    if lb.uid not in known:
        known[lb.uid] = _targets_of(arch, lb)
    return known[lb.uid]


def _targets_of(arch: Architecture, lb: Resource) -> Targets:
    out = Targets()
    if lb.kind == "target_group":
        target_type = lb.get("target_type").value
        if not (isinstance(target_type, str) and target_type.lower() == "instance"):
            out.unknown = True  # ip / lambda / alb targets are not instances
            return out
        _list_targets(arch, lb, "targets", out, "Id")
        _attached_targets(arch, lb, "target_group_attachment", "target_group", "target", out)
    elif lb.kind == "classic_load_balancer":
        _list_targets(arch, lb, "instances", out, None)
        _attached_targets(arch, lb, "classic_lb_attachment", "load_balancer", "instance", out)
    _asg_targets(arch, lb, out)
    return out


# -- what points at an instance ------------------------------------------------------------


@dataclass(frozen=True)
class EntryPoint:
    """Something that sends traffic straight to one instance."""

    owner: Resource
    description: str  # e.g. "Elastic IP WebEip"


def _interfaces_of(arch: Architecture, instance: Resource) -> list[Resource]:
    """Network interface resources attached to ``instance``: in its ``NetworkInterfaces`` /
    ``network_interface {}``, by an attachment resource, or by the interface's ``attachment {}``."""
    found: list[Resource] = []

    def add(owner: Resource, value: Any) -> None:
        target = arch.resolve_ref(owner, value) if isinstance(value, Ref) else None
        if target is not None and target.kind == "network_interface" and target not in found:
            found.append(target)

    nics = instance.get("network_interfaces").value
    for nic in nics if isinstance(nics, list) else []:
        if isinstance(nic, dict):
            add(instance, nic.get("NetworkInterfaceId", nic.get("network_interface_id")))
    for att in arch.referencing(instance, "network_interface_attachment"):
        if att.workload == instance.workload and not condition_unknown(att) and not count_unknown(att) \
                and arch.resolve_ref(att, att.get("instance").value) is instance:
            add(att, att.get("network_interface").value)
    for nic in arch.referencing(instance, "network_interface"):
        for value in nic.all("attached_instance"):
            if nic.workload == instance.workload and arch.resolve_ref(nic, value) is instance:
                add(nic, Ref(nic.address))
    return found


def _eips_of(arch: Architecture, instance: Resource) -> list[Resource]:
    """Elastic IPs (or EIP associations) that attach an address to ``instance``, directly or
    through one of its network interfaces."""
    interfaces = _interfaces_of(arch, instance)
    found = []
    for res in arch.referencing([instance, *interfaces], "eip", "eip_association"):
        if condition_unknown(res) or count_unknown(res):
            continue
        value = res.get("instance").value
        nic = res.get("network_interface").value if interfaces else None
        if (isinstance(value, Ref) and arch.resolve_ref(res, value) is instance) or \
                (isinstance(nic, Ref) and arch.resolve_ref(res, nic) in interfaces):
            found.append(res)
    return found


def _eip_of_association(arch: Architecture, assoc: Resource) -> Resource | None:
    for name in ("allocation", "eip"):
        target = arch.resolve_ref(assoc, assoc.get(name).value)
        if target is not None and target.kind == "eip":
            return target
    return None


def entry_points(arch: Architecture, instance: Resource) -> list[EntryPoint]:
    """What sends traffic directly to ``instance``: its Elastic IPs, Route 53 records naming
    its (or its Elastic IP's) address, and target groups / classic load balancers of which it
    is certainly the only target."""
    from ha_lint.queries.dns import records  # dns is only needed here

    out: list[EntryPoint] = []
    eips = _eips_of(arch, instance)
    addresses = {instance.uid} | {e.uid for e in eips}
    addresses |= {eip.uid for eip in (_eip_of_association(arch, e) for e in eips if e.kind == "eip_association") if eip}
    for eip in eips:
        noun = "Elastic IP" if eip.kind == "eip" else "Elastic IP association"
        out.append(EntryPoint(eip, f"{noun} {eip.address}"))
    by_address = arch.derived("route53 records by value", lambda: _records_by_value(arch, records(arch)))
    pointing = {index: rec for uid in addresses for index, rec in by_address.get(uid, ())}
    for _, rec in sorted(pointing.items()):
        if rec.owner.workload == instance.workload:
            out.append(EntryPoint(rec.owner, f"Route 53 record {rec.label} ({rec.describe()})"))
    sole = arch.derived("load balancers by sole target", lambda: _lbs_by_sole_target(arch))
    for lb in sole.get(instance.uid, ()):
        noun = "target group" if lb.kind == "target_group" else "classic load balancer"
        out.append(EntryPoint(lb, f"{noun} {lb.address} (its only target)"))
    return out


def _records_by_value(arch: Architecture, found: list[Any]) -> dict[str, list[tuple[int, Any]]]:
    """Route 53 records (with their position) by the uid of each resource a value of theirs
    points at."""
    out: dict[str, list[tuple[int, Any]]] = {}
    for index, rec in enumerate(found):
        for uid in dict.fromkeys(t.uid for t in (arch.resolve_ref(rec.owner, r) for r in refs_in(rec.get("records")))
                                 if t is not None):
            out.setdefault(uid, []).append((index, rec))
    return out


def _lbs_by_sole_target(arch: Architecture) -> dict[str, list[Resource]]:
    """Target groups and classic load balancers by the uid of the one instance each certainly
    sends all its traffic to (in the same workload)."""
    out: dict[str, list[Resource]] = {}
    for lb in arch.of_kind("target_group", "classic_load_balancer"):
        instance = targets_of(arch, lb).sole_instance
        if instance is not None and instance.workload == lb.workload:
            out.setdefault(instance.uid, []).append(lb)
    return out


# -- what a load balancer's security group exposes ----------------------------------------

_LOAD_BALANCER_KINDS = ("load_balancer", "classic_load_balancer")
# References to a group that do not put anything in it: rules of the group, and other groups'
# rules naming it as their source.
_RULE_KINDS = ("security_group", "sg_ingress", "sg_egress", "sg_rule")
_LISTENER_TYPES = ("AWS::ElasticLoadBalancingV2::Listener", "aws_lb_listener", "aws_alb_listener")


def load_balancer_ports(arch: Architecture, group: Resource) -> frozenset[int] | None:
    """The ports reachable through ``group`` when its only members are load balancers in the
    scanned set: the ports their listeners serve (a load balancer forwards nothing else).
    None when anything else uses the group, or a listener's port is not known, or a load
    balancer has no listener here (its listeners may live elsewhere)."""
    balancers = _member_balancers(arch, group)
    ports: set[int] = set()
    for balancer in balancers or ():
        served = _listener_ports(arch, balancer)
        if not served:
            return None
        ports |= served
    return frozenset(ports) if balancers else None


def internal_only(arch: Architecture, group: Resource) -> bool:
    """Whether ``group``'s only members are load balancers that are all internal
    (``Scheme: internal``, ``internal = true``): nothing on the internet can reach them, so
    ``0.0.0.0/0`` in the group's rules means any network routed into the VPC (the VPC,
    peerings, VPN, Transit Gateway, Direct Connect). False when the scheme is not known."""
    balancers = _member_balancers(arch, group)
    return bool(balancers) and all(_is_internal(balancer) for balancer in balancers)


# What 0.0.0.0/0 reaches on a group whose only members are internal load balancers.
INTERNAL_REACH = "its only members are internal load balancers: any network routed into the VPC, not the internet"


def _member_balancers(arch: Architecture, group: Resource) -> list[Resource] | None:
    """The load balancers that use ``group``; None when anything else uses it too."""
    balancers: dict[str, Resource] = {}
    for source, data in arch.in_edges(group):
        if source.kind in _LOAD_BALANCER_KINDS and data["prop"].split(".")[0] in ("SecurityGroups", "security_groups"):
            balancers[source.uid] = source
        elif source.kind not in _RULE_KINDS:
            return None
    return list(balancers.values())


def _is_internal(balancer: Resource) -> bool:
    if balancer.source == "cloudformation":  # Scheme defaults to internet-facing
        scheme = balancer.raw("Scheme")
        return isinstance(scheme, str) and scheme.lower() == "internal"
    return balancer.raw("internal") is True  # internal defaults to false


def _listener_ports(arch: Architecture, balancer: Resource) -> set[int] | None:
    """The ports ``balancer``'s listeners serve; None when one is not known."""
    if balancer.kind == "classic_load_balancer":
        entries = [(e, "LoadBalancerPort") for e in as_list(balancer.raw("Listeners"))]
        entries += [(e, "lb_port") for e in as_list(balancer.raw("listener"))]
    else:
        entries = [(listener.props, "Port" if listener.source == "cloudformation" else "port")
                   for listener in arch.sources(balancer) if listener.type in _LISTENER_TYPES]
    ports: set[int] = set()
    for entry, key in entries:
        port = as_int(entry.get(key)) if isinstance(entry, dict) else None
        if not isinstance(port, int) or isinstance(port, bool):
            return None
        ports.add(port)
    return ports


# -- is an Auto Scaling group in the serving path? --------------------------------------------

_CAPACITY_PROVIDER_TYPES = ("AWS::ECS::CapacityProvider", "aws_ecs_capacity_provider")
_LAUNCH_TYPES = ("AWS::AutoScaling::LaunchConfiguration", "AWS::EC2::LaunchTemplate", "aws_launch_configuration",
                 "aws_launch_template")
_ECS_CLUSTER_TYPES = ("AWS::ECS::Cluster", "aws_ecs_cluster")
_EKS_CLUSTER_TYPES = ("AWS::EKS::Cluster", "aws_eks_cluster")
_EKS_NODE_TAG = "kubernetes.io/cluster/"  # the tag self-managed EKS nodes must carry to join a cluster


def fronted(arch: Architecture, asg: Resource) -> str | None:
    """What stands in front of ``asg`` other than a load balancer, described, or None: ECS
    (a capacity provider names the group, or its launch configuration / template joins an
    ECS cluster in its user data: it hosts containers that services expose), or an Elastic IP
    of its workload that nothing in the scanned set holds (the group's instance claims it at
    boot, the way NAT instances and fixed-address hosts take a stable address)."""
    for source in arch.sources(asg):
        if source.type in _CAPACITY_PROVIDER_TYPES:
            return f"ECS capacity provider {source.address}"
    for launch in arch.targets(asg):
        if launch.type in _LAUNCH_TYPES:
            for cluster in arch.targets(launch):
                if cluster.type in _ECS_CLUSTER_TYPES:
                    return f"the containers of ECS cluster {cluster.address}"
                if cluster.type in _EKS_CLUSTER_TYPES:
                    return f"the pods of EKS cluster {cluster.address}"
    tags = tags_of(asg)
    node_tag = next((key for key in tags if key.startswith(_EKS_NODE_TAG)), None) if tags is not UNKNOWN else None
    if node_tag is not None:
        return f"the pods of EKS cluster {node_tag[len(_EKS_NODE_TAG):] or 'named by its tag'} (tag {node_tag})"
    for eip in arch.in_workload(asg.workload):
        if eip.kind == "eip" and not eip.has("instance") and not eip.has("network_interface") \
                and not any(True for _ in arch.in_edges(eip)):
            return f"Elastic IP {eip.address}"
    return None
