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
from ha_lint.queries.az import condition_unknown, count_unknown, property_line, variants
from ha_lint.queries.backup import Tri
from ha_lint.values import UNKNOWN, Choice, Ref, refs_in


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
    """The load balancers and target groups ``asg`` is attached to."""
    out = LoadBalancing()
    for name, noun in _GROUP_LISTS.items():
        if not asg.has(name):
            continue
        line = property_line(asg, name)
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
    for att in arch.of_kind("autoscaling_attachment"):
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
    for att in arch.of_kind(kind):
        if att.workload != lb.workload:
            continue
        value = att.get(lb_name).value
        hit = isinstance(value, Ref) and arch.resolve_ref(att, value) is lb
        if not hit:
            out.unknown |= value is UNKNOWN or isinstance(value, Choice)
            continue
        if count_unknown(att) or condition_unknown(att):
            out.unknown = True
            continue
        _add_target(arch, att, att.get(target_name).value, out)


def _asg_targets(arch: Architecture, lb: Resource, out: Targets) -> None:
    """Auto Scaling groups attached to ``lb`` are targets too (many instances)."""
    for asg in arch.of_kind("autoscaling_group"):
        if asg.workload != lb.workload:
            continue
        links = load_balancing(arch, asg)
        if any(a.target is lb for a in links.attachments):
            out.others += 1
        elif links.unknown or any(a.target is None for a in links.attachments):
            out.unknown = True  # it may be attached to this one


def targets_of(arch: Architecture, lb: Resource) -> Targets:
    """The targets of a target group or classic load balancer in the scanned set."""
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
    for att in arch.of_kind("network_interface_attachment"):
        if att.workload == instance.workload and not condition_unknown(att) and not count_unknown(att) \
                and arch.resolve_ref(att, att.get("instance").value) is instance:
            add(att, att.get("network_interface").value)
    for nic in arch.of_kind("network_interface"):
        for value in nic.all("attached_instance"):
            if nic.workload == instance.workload and arch.resolve_ref(nic, value) is instance:
                add(nic, Ref(nic.address))
    return found


def _eips_of(arch: Architecture, instance: Resource) -> list[Resource]:
    """Elastic IPs (or EIP associations) that attach an address to ``instance``, directly or
    through one of its network interfaces."""
    interfaces = _interfaces_of(arch, instance)
    found = []
    for res in arch.of_kind("eip", "eip_association"):
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
    for rec in records(arch):
        if rec.owner.workload != instance.workload:
            continue
        for ref in refs_in(rec.get("records")):
            target = arch.resolve_ref(rec.owner, ref)
            if target is not None and target.uid in addresses:
                out.append(EntryPoint(rec.owner, f"Route 53 record {rec.label} ({rec.describe()})"))
                break
    for lb in arch.of_kind("target_group", "classic_load_balancer"):
        if lb.workload == instance.workload and targets_of(arch, lb).sole_instance is instance:
            noun = "target group" if lb.kind == "target_group" else "classic load balancer"
            out.append(EntryPoint(lb, f"{noun} {lb.address} (its only target)"))
    return out
