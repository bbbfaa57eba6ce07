"""Security-group rules in one shape, whichever way they were written.

Gathers inline ``SecurityGroupIngress``/``ingress {}`` entries, ``AWS::EC2::SecurityGroupIngress``
/``Egress``, ``aws_security_group_rule`` and ``aws_vpc_security_group_ingress_rule``/
``egress_rule`` into ``SgRule``: protocol, port range and sources.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass
from typing import Any, Iterator

from ha_lint.graph import Architecture
from ha_lint.model import Resource
from ha_lint.values import UNKNOWN, as_int, as_list, is_known, possibilities

ALL_PORTS = (0, 65535)
WORLD = ("0.0.0.0/0", "::/0")


@dataclass(frozen=True)
class SgRule:
    owner: Resource  # the resource that carries the rule: the group (inline) or the rule resource
    group: Resource | None  # the security group it applies to, when known
    direction: str  # "ingress" | "egress"
    protocol: Any  # "-1" (all), "tcp", "udp", "icmp", "icmpv6", a number string, or UNKNOWN
    ports: tuple[int, int] | None  # inclusive range; None when unknown or not meaningful (ICMP)
    cidrs: tuple[Any, ...]  # IPv4/IPv6 CIDR strings (UNKNOWN for unresolved ones)
    other_sources: tuple[Any, ...]  # security groups, prefix lists, self
    line: int
    branch: str | None = None  # the condition branch this rule exists on, if any

    @property
    def all_protocols(self) -> bool:
        return self.protocol == "-1"

    def covers_port(self, port: int) -> bool:
        if self.all_protocols:
            return True
        if self.protocol not in ("tcp", "udp") or self.ports is None:
            return False
        return self.ports[0] <= port <= self.ports[1]

    @property
    def all_ports(self) -> bool:
        return self.all_protocols or (self.protocol in ("tcp", "udp") and self.ports == ALL_PORTS)

    def describe_ports(self) -> str:
        if self.all_ports:
            return "all traffic" if self.all_protocols else f"all {self.protocol} ports"
        if self.ports is None:
            return str(self.protocol)
        low, high = self.ports
        return f"{self.protocol} port {low}" if low == high else f"{self.protocol} ports {low}-{high}"

    def world_cidrs(self) -> list[str]:
        return [c for c in self.cidrs if isinstance(c, str) and is_world(c)]


def is_world(cidr: str) -> bool:
    try:
        return ipaddress.ip_network(cidr.strip(), strict=False).prefixlen == 0
    except ValueError:
        return False


_PROTOCOLS = {"-1": "-1", "all": "-1", "6": "tcp", "17": "udp", "1": "icmp", "58": "icmpv6",
              "tcp": "tcp", "udp": "udp", "icmp": "icmp", "icmpv6": "icmpv6"}


def _protocol(value: Any) -> Any:
    if value is UNKNOWN or not is_known(value):
        return UNKNOWN
    text = str(value).strip().lower()
    if text == "-1.0":
        text = "-1"
    return _PROTOCOLS.get(text, text)


def _ports(protocol: Any, from_port: Any, to_port: Any) -> tuple[int, int] | None:
    if protocol == "-1":
        return ALL_PORTS
    if protocol not in ("tcp", "udp"):
        return None
    low, high = as_int(from_port), as_int(to_port)
    if low is UNKNOWN and high is UNKNOWN:
        return None
    if low is UNKNOWN:
        low = high
    if high is UNKNOWN:
        high = low
    if low == -1 or high == -1:  # -1 means every port
        return ALL_PORTS
    return (max(0, low), min(65535, high))


def _rule(owner: Resource, group: Resource | None, direction: str, entry: dict[str, Any], fields: dict[str, str],
          line: int, branch: str | None) -> SgRule:
    protocol = _protocol(entry.get(fields["protocol"], "-1" if fields.get("protocol_default_all") else UNKNOWN))
    cidrs: list[Any] = []
    for key in ("cidr_ipv4", "cidr_ipv6"):
        for value in as_list(entry.get(fields[key])):
            cidrs.append(value if isinstance(value, str) else UNKNOWN)
    others = [v for key in ("source_group", "prefix_list") for v in as_list(entry.get(fields.get(key, ""), None))]
    if entry.get("self") is True:
        others.append("self")
    return SgRule(owner, group, direction, protocol, _ports(protocol, entry.get(fields["from_port"]), entry.get(fields["to_port"])),
                  tuple(cidrs), tuple(others), line, branch)


_CFN_INLINE = {"protocol": "IpProtocol", "from_port": "FromPort", "to_port": "ToPort", "cidr_ipv4": "CidrIp",
               "cidr_ipv6": "CidrIpv6", "source_group": "SourceSecurityGroupId", "prefix_list": "SourcePrefixListId"}
_CFN_INLINE_EGRESS = {**_CFN_INLINE, "source_group": "DestinationSecurityGroupId", "prefix_list": "DestinationPrefixListId"}
_TF_INLINE = {"protocol": "protocol", "from_port": "from_port", "to_port": "to_port", "cidr_ipv4": "cidr_blocks",
              "cidr_ipv6": "ipv6_cidr_blocks", "source_group": "security_groups", "prefix_list": "prefix_list_ids"}


def rules_of(arch: Architecture) -> Iterator[SgRule]:
    """Every security-group rule in the scanned set, inline or separate."""
    for sg in arch.of_kind("security_group"):
        cfn = sg.source == "cloudformation"
        for direction in ("ingress", "egress"):
            path = sg.native_path(direction) or ""
            for branch, entries in possibilities(sg.get(direction).value):
                for index, entry in enumerate(as_list(entries)):
                    if not isinstance(entry, dict):
                        continue
                    fields = _CFN_INLINE if direction == "ingress" or not cfn else _CFN_INLINE_EGRESS
                    fields = fields if cfn else _TF_INLINE
                    line = sg.lines.get(f"{path}.{index}", sg.line_of(direction))
                    yield _rule(sg, sg, direction, entry, fields, line, branch)
    for res in arch.of_kind("sg_ingress", "sg_egress", "sg_rule"):
        if res.kind == "sg_rule":
            direction = res.get("direction").value
            if direction not in ("ingress", "egress"):
                continue
        else:
            direction = "ingress" if res.kind == "sg_ingress" else "egress"
        group = arch.resolve_ref(res, res.get("group").value)
        entry = {name: res.get(name).value for name in
                 ("protocol", "from_port", "to_port", "cidr_ipv4", "cidr_ipv6", "source_group", "prefix_list")}
        entry = {k: v for k, v in entry.items() if v is not None}
        if res.kind == "sg_rule":
            entry["self"] = res.get("self").value
        fields = {k: k for k in ("protocol", "from_port", "to_port", "cidr_ipv4", "cidr_ipv6", "source_group", "prefix_list")}
        yield _rule(res, group, direction, entry, fields, res.line, None)
