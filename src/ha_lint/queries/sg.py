"""Security-group rules in one shape, whichever way they were written.

Gathers inline ``SecurityGroupIngress``/``ingress {}`` entries (``dynamic`` blocks included),
``AWS::EC2::SecurityGroupIngress``/``Egress``, ``aws_security_group_rule`` and
``aws_vpc_security_group_ingress_rule``/``egress_rule`` into ``SgRule``: protocol, port range
and sources. Also answers "which security groups guard this resource?" and holds the
database/cache port list and the port-range and CIDR "covers" relations (shared with the
NACL model in ``ha_lint.queries.nacl``).
"""

from __future__ import annotations

import functools
import ipaddress
from dataclasses import dataclass
from typing import Any, Iterable, Iterator

from ha_lint.graph import Architecture
from ha_lint.model import Resource
from ha_lint.queries.az import count_unknown, variants
from ha_lint.values import UNKNOWN, Ref, as_int, as_list, is_known, possibilities

ALL_PORTS = (0, 65535)
WORLD = ("0.0.0.0/0", "::/0")

# Database and cache ports (NS402, NS404, NS409). One list; ``database_ports(arch)`` applies
# the user's override (``database_ports`` option: a list of ports or a port -> name map).
DATABASE_PORTS: dict[int, str] = {
    3306: "MySQL/MariaDB",
    5432: "PostgreSQL",
    1433: "SQL Server",
    1521: "Oracle",
    27017: "MongoDB/DocumentDB",
    6379: "Redis/Valkey",
    11211: "Memcached",
    9200: "Elasticsearch/OpenSearch",
    5439: "Redshift",
    9042: "Cassandra/Keyspaces",
    2049: "NFS/EFS",
}
# The services among them that also answer on UDP (open UDP 11211 is a known DDoS
# amplifier); the others are TCP only, so a UDP rule on their port opens nothing.
UDP_DATABASE_PORTS = frozenset({11211, 2049})


# Administrative ports (NS401, NS403): port -> (service, the transports it answers on). SSH
# is TCP only; RDP also uses UDP 3389 (the RDP 8+ UDP transport), so an open UDP 3389
# exposes the RDP service too.
ADMIN_PORTS: dict[int, tuple[str, tuple[str, ...]]] = {22: ("SSH", ("tcp",)), 3389: ("RDP", ("tcp", "udp"))}


def database_protocols(port: int) -> tuple[str, ...]:
    """The transport protocols a database/cache service on ``port`` answers on."""
    return ("tcp", "udp") if port in UDP_DATABASE_PORTS else ("tcp",)

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


def database_ports(arch: Architecture) -> dict[int, str]:
    override = arch.options.extra.get("database_ports")
    if isinstance(override, dict):
        ports = {as_int(k): str(v) for k, v in override.items()}
    elif isinstance(override, (list, tuple)):
        ports = {as_int(p): DATABASE_PORTS.get(as_int(p), "database") for p in override}  # type: ignore[arg-type]
    else:
        return dict(DATABASE_PORTS)
    return {p: name for p, name in ports.items() if isinstance(p, int) and 0 <= p <= 65535}


# -- the "covers" relations ------------------------------------------------------------


def range_covers(outer: tuple[int, int], inner: tuple[int, int]) -> bool:
    """Every port of ``inner`` (inclusive range) is in ``outer``."""
    return outer[0] <= inner[0] and inner[1] <= outer[1]


def parse_cidr(text: Any) -> Network | None:
    """A CIDR as AWS reads it (host bits ignored), or None when it is not one."""
    return _parse_cidr(text) if isinstance(text, str) else None


@functools.lru_cache(maxsize=8192)
def _parse_cidr(text: str) -> Network | None:
    try:
        return ipaddress.ip_network(text.strip(), strict=False)
    except ValueError:
        return None


def cidr_covers(outer: Any, inner: Any) -> bool:
    """Every address of ``inner`` is in ``outer`` (never across IPv4/IPv6)."""
    a, b = parse_cidr(outer), parse_cidr(inner)
    if a is None or b is None or a.version != b.version:
        return False
    return b.subnet_of(a)  # type: ignore[arg-type]


def is_world(cidr: Any) -> bool:
    net = parse_cidr(cidr)
    return net is not None and net.prefixlen == 0


_PRIVATE = tuple(ipaddress.ip_network(n) for n in ("10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "100.64.0.0/10"))


def is_private(cidr: Any) -> bool:
    """Inside RFC 1918 space or the shared 100.64.0.0/10 range (both usable as VPC CIDRs)."""
    net = parse_cidr(cidr)
    return net is not None and net.version == 4 and any(net.subnet_of(p) for p in _PRIVATE)  # type: ignore[arg-type]


# -- the rule model ---------------------------------------------------------------------


@dataclass(frozen=True)
class SgRule:
    owner: Resource  # the resource that carries the rule: the group (inline) or the rule resource
    group: Resource | None  # the security group it applies to, when known
    direction: str  # "ingress" | "egress"
    protocol: Any  # "-1" (all), "tcp", "udp", "icmp", "icmpv6", a number string, or UNKNOWN
    ports: tuple[int, int] | None  # inclusive range; None when unknown or not meaningful (ICMP)
    cidrs: tuple[Any, ...]  # IPv4/IPv6 CIDR strings; a Ref (e.g. a VPC's CIDR attribute); UNKNOWN
    other_sources: tuple[Any, ...]  # security groups, prefix lists, self
    line: int
    branch: str | None = None  # the condition branch this rule exists on, if any
    why: str = ""  # where the source came from, when not written on the rule (" (parameter X ...)")

    @property
    def all_protocols(self) -> bool:
        return self.protocol == "-1"

    def opens(self, port: int, protocols: Iterable[str] = ("tcp",)) -> bool:
        """``port`` is open for one of ``protocols`` ("tcp", "udp"); all-traffic rules open
        every port of every protocol."""
        if self.all_protocols:
            return True
        return (self.protocol in tuple(protocols) and self.ports is not None
                and self.ports[0] <= port <= self.ports[1])

    def covers_tcp_port(self, port: int) -> bool:
        """TCP ``port`` is open."""
        return self.opens(port, ("tcp",))

    @property
    def port_span(self) -> int | None:
        """How many ports the rule's range holds (None: not a TCP/UDP range)."""
        return None if self.ports is None else self.ports[1] - self.ports[0] + 1

    @property
    def all_ports(self) -> bool:
        return self.all_protocols or (self.protocol in ("tcp", "udp") and self.ports == ALL_PORTS)

    @property
    def every_port(self) -> bool:
        """All traffic, or every usable TCP/UDP port (1-65535: port 0 is reserved)."""
        return self.all_protocols or (
            self.protocol in ("tcp", "udp") and self.ports is not None and range_covers(self.ports, (1, 65535)))

    def describe_ports(self) -> str:
        if self.all_ports:
            return "all traffic" if self.all_protocols else f"all {self.protocol} ports"
        if self.ports is None:
            return str(self.protocol)
        low, high = self.ports
        return f"{self.protocol} port {low}" if low == high else f"{self.protocol} ports {low}-{high}"

    def world_cidrs(self, version: int | None = None) -> list[str]:
        """The rule's ``0.0.0.0/0`` / ``::/0`` sources (of one IP version, when given)."""
        return [c for c in self.cidrs if isinstance(c, str) and is_world(c)
                and (version is None or parse_cidr(c).version == version)]  # type: ignore[union-attr]


_PROTOCOLS = {"-1": "-1", "all": "-1", "6": "tcp", "17": "udp", "1": "icmp", "58": "icmpv6",
              "tcp": "tcp", "udp": "udp", "icmp": "icmp", "icmpv6": "icmpv6"}


def _protocol(value: Any) -> Any:
    if value is UNKNOWN or not is_known(value) or isinstance(value, Ref):
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


def resolve_cidr(arch: Architecture, owner: Resource, value: Any) -> Any:
    """A CIDR string as written, or the known CIDR of the VPC/subnet a reference names
    (``!GetAtt Vpc.CidrBlock``, ``aws_vpc.main.cidr_block``); an unresolvable reference to
    such a CIDR stays a ``Ref``; anything else is UNKNOWN."""
    if isinstance(value, str):
        return value
    if isinstance(value, Ref) and value.attribute in ("CidrBlock", "cidr_block"):
        target = arch.resolve_ref(owner, value)
        if target is not None and target.kind in ("vpc", "subnet"):
            cidr = target.get("cidr").value
            return cidr if isinstance(cidr, str) else value
    return UNKNOWN


def is_vpc_cidr_ref(arch: Architecture, owner: Resource, value: Any) -> bool:
    """``value`` names a VPC's CIDR attribute."""
    if not isinstance(value, Ref) or value.attribute not in ("CidrBlock", "cidr_block"):
        return False
    target = arch.resolve_ref(owner, value)
    return target is not None and target.kind == "vpc"


def _rule(arch: Architecture, owner: Resource, group: Resource | None, direction: str, entry: dict[str, Any],
          fields: dict[str, str], line: int, branch: str | None, why: str = "") -> SgRule:
    """One rule; an empty ``why`` means the source CIDRs were written on the rule itself."""
    protocol = _protocol(entry.get(fields["protocol"], UNKNOWN))
    cidrs: list[Any] = []
    for key in ("cidr_ipv4", "cidr_ipv6"):
        cidrs.extend(resolve_cidr(arch, owner, v) for v in as_list(entry.get(fields[key])))
    others = [v for key in ("source_group", "prefix_list") for v in as_list(entry.get(fields.get(key, ""), None))]
    if entry.get("self") is True:
        others.append("self")
    return SgRule(owner, group, direction, protocol, _ports(protocol, entry.get(fields["from_port"]), entry.get(fields["to_port"])),
                  tuple(cidrs), tuple(others), line, branch, why)


_CFN_INLINE = {"protocol": "IpProtocol", "from_port": "FromPort", "to_port": "ToPort", "cidr_ipv4": "CidrIp",
               "cidr_ipv6": "CidrIpv6", "source_group": "SourceSecurityGroupId", "prefix_list": "SourcePrefixListId"}
_CFN_INLINE_EGRESS = {**_CFN_INLINE, "source_group": "DestinationSecurityGroupId", "prefix_list": "DestinationPrefixListId"}
_TF_INLINE = {"protocol": "protocol", "from_port": "from_port", "to_port": "to_port", "cidr_ipv4": "cidr_blocks",
              "cidr_ipv6": "ipv6_cidr_blocks", "source_group": "security_groups", "prefix_list": "prefix_list_ids"}


def inline_entries(res: Resource, name: str) -> Iterator[tuple[int, str | None, dict[str, Any]]]:
    """(line, branch, entry) for every entry of a repeated block/list property, every branch.

    An entry that every branch of the list has (the SSH rule beside a ``dynamic`` block that
    a toggle adds, the entries both arms of a list-level ``!If`` share) does not depend on
    the branch: it is given once, with no branch of the list."""
    options = [(branch, list(_entries_of(res, name, branch, entries)))
               for branch, entries in possibilities(res.get(name).value)]
    if len(options) == 1:
        for line, sub_branch, entry in options[0][1]:
            yield line, join_branches(options[0][0], sub_branch), entry
        return
    keyed = [(branch, [((sub, repr(entry)), line, sub, entry) for line, sub, entry in items]) for branch, items in options]
    common = set.intersection(*({key for key, *_ in items} for _, items in keyed))
    given: set[tuple[str | None, str]] = set()
    for branch, items in keyed:
        for key, line, sub_branch, entry in items:
            if key not in common:
                yield line, join_branches(branch, sub_branch), entry
            elif key not in given:
                given.add(key)
                yield line, sub_branch, entry


def _entries_of(res: Resource, name: str, branch: str | None,
                entries: Any) -> Iterator[tuple[int, str | None, dict[str, Any]]]:
    for index, item in enumerate(as_list(entries) if entries is not UNKNOWN else []):
        for sub_branch, entry in variants(item):  # Fn::If on the entry or inside it
            if isinstance(entry, dict):
                line = res.entry_line(name, index, entry=item, branch=sub_branch, list_branch=branch)
                yield line or res.line_of(name), sub_branch, entry


def _entry_indexes(res: Resource, name: str) -> dict[int, str]:
    """Line -> list index of the entries of ``name`` written plainly (``SecurityGroupIngress.1``)."""
    out: dict[int, str] = {}
    index = 0
    while (line := res.entry_line(name, index)) is not None:  # a written list's entries all have lines
        out.setdefault(line, str(index))
        index += 1
    return out


def _inline_why(res: Resource, name: str, fields: dict[str, str], entries: list[dict[str, Any]],
                entry: dict[str, Any], index: str | None) -> str:
    """Where an inline entry's source CIDR came from (a parameter, variable, module input):
    the origin kept for the entry at list ``index`` (CloudFormation keeps them per index),
    else the origin of the property path when this is the only entry that sets it."""
    path = res.native_path(name) or name
    for key in ("cidr_ipv4", "cidr_ipv6"):
        native = fields[key]
        if entry.get(native) is None:
            continue
        origin = res.origins.get(f"{path}.{index}.{native}") if index is not None else None
        if origin is None and sum(1 for e in entries if e.get(native) is not None) == 1:
            origin = res.origins.get(f"{path}.{native}")
        if origin is not None:
            return f" ({origin.brief()})"
    return ""


def _group_of(arch: Architecture, res: Resource) -> Resource | None:
    """The security group a separate rule resource applies to: by ID, or (CloudFormation,
    default VPC) by ``GroupName``, a reference or the name of a group in the same template."""
    group = arch.resolve_ref(res, res.get("group").value)
    if group is not None or not res.has("group_name"):
        return group
    name = res.get("group_name").value
    if isinstance(name, Ref):
        return arch.resolve_ref(res, name)
    if isinstance(name, str):
        found = [g for g in arch.of_kind("security_group") if g.workload == res.workload and g.get("name").value == name]
        return found[0] if len(found) == 1 else None
    return None


def rules_of(arch: Architecture) -> list[SgRule]:
    """Every security-group rule in the scanned set, inline or separate (gathered once per scan:
    several rules ask)."""
    return arch.derived("security-group rules", lambda: list(_gather_rules(arch)))


def _gather_rules(arch: Architecture) -> Iterator[SgRule]:
    for sg in arch.of_kind("security_group"):
        cfn = sg.source == "cloudformation"
        for direction in ("ingress", "egress"):
            fields = (_CFN_INLINE if direction == "ingress" else _CFN_INLINE_EGRESS) if cfn else _TF_INLINE
            found = list(inline_entries(sg, direction))
            entries = [entry for _, _, entry in found]
            indexes = _entry_indexes(sg, direction) if found else {}
            for line, branch, entry in found:
                yield _rule(arch, sg, sg, direction, entry, fields, line, join_branches(existence_branch(sg), branch),
                            _inline_why(sg, direction, fields, entries, entry, indexes.get(line)))
    for res in arch.of_kind("sg_ingress", "sg_egress", "sg_rule"):
        if res.kind == "sg_rule":
            direction = res.get("direction").value
            if direction not in ("ingress", "egress"):
                continue
        else:
            direction = "ingress" if res.kind == "sg_ingress" else "egress"
        group = _group_of(arch, res)
        names = ("protocol", "from_port", "to_port", "cidr_ipv4", "cidr_ipv6", "source_group", "prefix_list")
        entry = {k: v for k, v in ((name, res.get(name).value) for name in names) if v is not None}
        if res.kind == "sg_rule":
            entry["self"] = res.get("self").value
        fields = {k: k for k in names}
        why = next((res.get(n).why() for n in ("cidr_ipv4", "cidr_ipv6") if res.get(n).origin), "")
        exists = existence_branch(res)
        for branch, concrete in variants(entry):
            if isinstance(concrete, dict):
                yield _rule(arch, res, group, direction, concrete, fields, _source_line(res, concrete),
                            join_branches(exists, branch), why)


def _source_line(res: Resource, entry: dict[str, Any]) -> int:
    """Where a separate rule resource's finding goes: the line of the CIDR it admits (an
    inline rule's finding goes to its entry, so both point at the source that is judged, and
    a module's rule moves to the call input that gave the CIDR, not to the one that gave its
    ``count``). The IPv4 source's line when both are written and the IPv6 one is not the
    world; the resource's own line when no CIDR is written."""
    written = [name for name in ("cidr_ipv4", "cidr_ipv6") if entry.get(name) is not None and res.native_path(name)]
    world = [name for name in written if any(isinstance(c, str) and is_world(c) for c in as_list(entry[name]))]
    chosen = (world or written)[:1]
    return res.line_of(chosen[0]) if chosen else res.line


def join_branches(*labels: str | None) -> str | None:
    """One branch label for a value that sits on several undecided branches at once."""
    return " and ".join(label for label in labels if label) or None


def existence_branch(res: Resource) -> str | None:
    """The branch a separate rule resource exists on, when the templates do not decide it."""
    if res.meta.condition_unknown:
        return f"condition {res.meta.condition_unknown} true"
    return "its unresolved count/for_each is not empty" if count_unknown(res) else None


# -- groups in front of a managed file-transfer endpoint ----------------------------------

# An AWS Transfer Family server's VPC endpoint answers only the file-transfer protocols (SFTP
# on 22, FTP/FTPS on 21 and 8192-8200); it has no shell to log in to.
# References to a group that put nothing in it: its own rules, other groups naming it.
_NOT_MEMBERS = ("security_group", "sg_ingress", "sg_egress", "sg_rule")


def transfer_servers_only(arch: Architecture, group: Resource) -> bool:
    """Whether ``group``'s only members are AWS Transfer Family servers (at least one, through
    ``EndpointDetails.SecurityGroupIds`` / ``endpoint_details.security_group_ids``): port 22
    there is the SFTP service the server exists for, not administrative access to a host."""
    servers = False
    for source, _ in arch.in_edges(group):
        if source.kind == "transfer_server":
            servers = True
        elif source.kind not in _NOT_MEMBERS:
            return False
    return servers


# -- which security groups guard a resource ----------------------------------------------

_GUARD_PROPS = ("security_groups", "security_group_names", "interface_groups")


def guarding_groups(arch: Architecture, res: Resource) -> list[Resource]:
    """The security groups in the scanned set that guard ``res`` (its own, and for an Aurora
    member its cluster's). Groups named by ID, name or import are not in the list: security
    groups only ever allow, so a missing group can add reachability, never remove it."""
    out: list[Resource] = []
    holders = [res]
    if res.kind in ("rds_instance", "rds_cluster_instance"):
        holders += arch.targets(res, "cluster", "rds_cluster")
    for holder in holders:
        for name in _GUARD_PROPS:
            if holder.native_path(name):
                out.extend(g for g in arch.targets(holder, name, "security_group") if g not in out)
    return out


def ingress_rules_of(arch: Architecture, groups: Iterable[Resource]) -> list[SgRule]:
    """Ingress rules that apply to any of ``groups``, in the order of ``rules_of``."""
    by_group = arch.derived("ingress rules by group", lambda: _ingress_by_group(rules_of(arch)))
    found = sorted((pair for uid in {g.uid for g in groups} for pair in by_group.get(uid, [])), key=lambda pair: pair[0])
    return [rule for _, rule in found]


def _ingress_by_group(rules: list[SgRule]) -> dict[str, list[tuple[int, SgRule]]]:
    out: dict[str, list[tuple[int, SgRule]]] = {}
    for n, rule in enumerate(rules):
        if rule.direction == "ingress" and rule.group is not None:
            out.setdefault(rule.group.uid, []).append((n, rule))
    return out


def world_rules_on_port(rules: Iterable[SgRule], port: int | None, version: int | None = None) -> list[SgRule]:
    """Ingress rules admitting ``0.0.0.0/0`` or ``::/0`` (only one IP version's, when given)
    on TCP ``port`` (None: a port that is not known, which only an all-traffic / every-port
    rule is sure to cover)."""
    out = []
    for rule in rules:
        if rule.direction != "ingress" or not rule.world_cidrs(version):
            continue
        if (rule.covers_tcp_port(port) if port is not None else rule.every_port and rule.protocol != "udp"):
            out.append(rule)
    return out


def describe_world(cidrs: Iterable[str]) -> str:
    """``0.0.0.0/0, ::/0``; a /0 written another way (``192.168.1.0/0``: AWS ignores the host
    bits) is named as the whole internet, which its author may not have meant."""
    return ", ".join(c if c.strip() in WORLD else f"{c} (a /0: every address)" for c in cidrs)


def describe_ports(ports: Iterable[int], names: dict[int, str]) -> str:
    """``PostgreSQL (5432)`` for a few ports, the port numbers for many."""
    ports = sorted(ports)
    if len(ports) > 3:
        return "database/cache ports " + ", ".join(str(p) for p in ports)
    return " and ".join(f"{names[p]} ({p})" if p in names else f"port {p}" for p in ports)


# -- datastores' security groups (NS404) --------------------------------------------------

# Kinds that hold data behind security groups; their own port (when known) joins the list.
DATASTORE_KINDS = ("rds_instance", "rds_cluster", "redshift_cluster", "elasticache_replication_group",
                   "elasticache_cluster", "efs_mount_target", "opensearch_domain")


def server_groups(arch: Architecture) -> dict[str, list[Resource]]:
    """Security group uid -> the datastores and EC2 instances (which may run a database) it
    guards, for the groups that guard any."""
    out: dict[str, list[Resource]] = {}
    for server in arch.of_kind(*DATASTORE_KINDS, "ec2_instance"):
        for group in guarding_groups(arch, server):
            out.setdefault(group.uid, []).append(server)
    return out


def _vpc_cidrs(arch: Architecture) -> dict[str, list[tuple[Resource, Any]]]:
    """Workload -> (VPC, its parsed CIDR) for the VPCs whose CIDR resolves (once per scan)."""
    def build() -> dict[str, list[tuple[Resource, Any]]]:
        out: dict[str, list[tuple[Resource, Any]]] = {}
        for vpc in arch.of_kind("vpc"):
            vpc_cidr = parse_cidr(vpc.get("cidr").value)
            if vpc_cidr is not None:
                out.setdefault(vpc.workload, []).append((vpc, vpc_cidr))
        return out
    return arch.derived("vpc cidrs by workload", build)


def whole_private_range(arch: Architecture, owner: Resource, cidr: Any) -> str | None:
    """How a source CIDR is a whole private network rather than a client: a VPC's CIDR (or a
    range containing one), or a private range of /16 or wider. None otherwise."""
    if is_vpc_cidr_ref(arch, owner, cidr):
        vpc = arch.resolve_ref(owner, cidr)
        return f"the CIDR of VPC {vpc.address if vpc else cidr.address}"
    net = parse_cidr(cidr)
    if net is None or net.version != 4 or net.prefixlen == 0:
        return None
    for vpc, vpc_cidr in _vpc_cidrs(arch).get(owner.workload, ()):
        if vpc_cidr.version == net.version and vpc_cidr.subnet_of(net):
            relation = "the CIDR" if net == vpc_cidr else "a range containing the CIDR"
            return f"{cidr}, {relation} of VPC {vpc.address}"
    if is_private(cidr) and net.prefixlen <= 16:
        return f"{cidr}, a whole private range"
    return None
