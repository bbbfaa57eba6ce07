"""Network ACLs as AWS evaluates them: per NACL and direction, entries in rule-number order,
the first entry that matches a packet decides, and anything no entry matches is denied.

Entries come from ``AWS::EC2::NetworkAclEntry``, ``aws_network_acl_rule`` and the inline
``ingress {}``/``egress {}`` blocks of ``aws_network_acl`` / ``aws_default_network_acl``.

Each entry matches a *box* of packets: an interval of protocol numbers (0-255; ``-1`` is all
of them), an interval of ports (TCP/UDP; for ICMP the type/code pair encoded as
``type * 256 + code``; every other protocol matches on all ports) and an interval of
addresses (IPv4 as integers, IPv6 after them, so one line holds both). Boxes are exact, so
"covers" (NS405), "what does this NACL allow to these sources" (NS406) and "does it filter
anything" (NS407) are set arithmetic, not heuristics. An entry with a field that is not known
matches somewhere inside its *bounds*; a question whose answer depends on such an entry has
no answer (None), and rules report nothing.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass, field
from typing import Any, Iterable

from ha_lint.graph import Architecture
from ha_lint.model import Resource
from ha_lint.queries.az import variants
from ha_lint.queries.sg import Network, existence_branch, inline_entries, join_branches, parse_cidr, resolve_cidr
from ha_lint.values import UNKNOWN, Ref, as_bool, as_int, is_known, possibilities
from ha_lint.wording import subject

Interval = tuple[int, int]
Box = tuple[Interval, Interval, Interval]  # protocol, port (or ICMP type/code), address

ALL_PROTOCOLS: Interval = (0, 255)
ALL_PORTS: Interval = (0, 65535)
V6_OFFSET = 1 << 32  # IPv6 addresses sit after the IPv4 ones on the address line
ALL_IPV4: Interval = (0, V6_OFFSET - 1)
ALL_IPV6: Interval = (V6_OFFSET, V6_OFFSET + (1 << 128) - 1)
ALL_ADDRESSES: Interval = (0, ALL_IPV6[1])
TCP, UDP, ICMP, ICMPV6 = 6, 17, 1, 58

_PROTOCOL_NAMES = {"all": -1, "tcp": TCP, "udp": UDP, "icmp": ICMP, "icmpv6": ICMPV6, "icmp6": ICMPV6,
                   "esp": 50, "ah": 51, "gre": 47}
_NAMES = {TCP: "tcp", UDP: "udp", ICMP: "icmp", ICMPV6: "icmpv6"}


# -- intervals and boxes -------------------------------------------------------------------


def address_interval(net: Network) -> Interval:
    low, high = int(net.network_address), int(net.broadcast_address)
    return (low + V6_OFFSET, high + V6_OFFSET) if net.version == 6 else (low, high)


def interval_cidrs(interval: Interval) -> list[str]:
    """The CIDRs that make up an address interval (IPv4 and IPv6 parts apart)."""
    out: list[str] = []
    low, high = interval
    for lo, hi, version in ((low, min(high, ALL_IPV4[1]), 4), (max(low, ALL_IPV6[0]), high, 6)):
        if lo > hi:
            continue
        offset = V6_OFFSET if version == 6 else 0
        cls = ipaddress.IPv6Address if version == 6 else ipaddress.IPv4Address
        out.extend(str(n) for n in ipaddress.summarize_address_range(cls(lo - offset), cls(hi - offset)))
    return out


def intersect(a: Box, b: Box) -> Box | None:
    out = []
    for (alo, ahi), (blo, bhi) in zip(a, b):
        lo, hi = max(alo, blo), min(ahi, bhi)
        if lo > hi:
            return None
        out.append((lo, hi))
    return (out[0], out[1], out[2])


def subtract(a: Box, b: Box) -> list[Box]:
    """``a`` minus ``b`` as disjoint boxes."""
    if intersect(a, b) is None:
        return [a]
    pieces: list[Box] = []
    rest = list(a)
    for dim in range(3):
        (lo, hi), (blo, bhi) = rest[dim], b[dim]
        if lo < blo:
            pieces.append(tuple(rest[:dim] + [(lo, blo - 1)] + rest[dim + 1:]))  # type: ignore[arg-type]
        if bhi < hi:
            pieces.append(tuple(rest[:dim] + [(bhi + 1, hi)] + rest[dim + 1:]))  # type: ignore[arg-type]
        rest[dim] = (max(lo, blo), min(hi, bhi))
    return pieces


def subtract_all(boxes: Iterable[Box], b: Box) -> list[Box]:
    return [piece for box in boxes for piece in subtract(box, b)]


def covered(box: Box, by: Iterable[Box]) -> bool:
    """Every packet of ``box`` is in some box of ``by``."""
    remaining = [box]
    for other in by:
        remaining = subtract_all(remaining, other)
        if not remaining:
            return True
    return not remaining


def project_addresses(boxes: Iterable[Box]) -> list[Interval]:
    """The addresses the boxes touch, as sorted disjoint intervals."""
    return merge_intervals(box[2] for box in boxes)


def merge_intervals(intervals: Iterable[Interval]) -> list[Interval]:
    out: list[Interval] = []
    for lo, hi in sorted(intervals):
        if out and lo <= out[-1][1] + 1:
            out[-1] = (out[-1][0], max(out[-1][1], hi))
        else:
            out.append((lo, hi))
    return out


def subtract_intervals(base: Iterable[Interval], minus: Iterable[Interval]) -> list[Interval]:
    out = merge_intervals(base)
    for mlo, mhi in merge_intervals(minus):
        nxt: list[Interval] = []
        for lo, hi in out:
            if mhi < lo or hi < mlo:
                nxt.append((lo, hi))
                continue
            if lo < mlo:
                nxt.append((lo, mlo - 1))
            if mhi < hi:
                nxt.append((mhi + 1, hi))
        out = nxt
    return out


# -- entries ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class NaclEntry:
    owner: Resource  # the entry resource, or the NACL for an inline entry
    acl_key: str | None  # which NACL it belongs to (None: not known)
    egress: bool | None
    number: int | None
    action: str | None  # "allow" | "deny"
    protocol: int | None  # -1 (all) or 0-255
    ports: Interval | None  # in the protocol's port space (see the module docstring)
    cidr: Network | None
    line: int
    branch: str | None = None  # exists only on this condition branch
    inline: bool = False

    @property
    def known(self) -> bool:
        """Every field that decides what it matches, and where, is known."""
        return None not in (self.egress, self.number, self.action, self.protocol, self.ports, self.cidr)

    @property
    def certain(self) -> bool:
        """Known, and exists on every branch."""
        return self.known and self.branch is None

    @property
    def box(self) -> Box:
        """The packets it matches (only for a known entry)."""
        assert self.known and self.cidr is not None and self.ports is not None and self.protocol is not None
        return (_protocol_interval(self.protocol), self.ports, address_interval(self.cidr))

    @property
    def bounds(self) -> Box:
        """The widest set of packets it might match, whatever its unknown fields turn out to be."""
        protocol = _protocol_interval(self.protocol) if self.protocol is not None else ALL_PROTOCOLS
        ports = self.ports if self.ports is not None else ALL_PORTS
        cidr = address_interval(self.cidr) if self.cidr is not None else ALL_ADDRESSES
        return (protocol, ports, cidr)

    @property
    def direction(self) -> str:
        return "outbound" if self.egress else "inbound"

    def describe(self) -> str:
        """``rule 100 (allow tcp 443 from 0.0.0.0/0)``."""
        what = describe_traffic(self.protocol, self.ports)
        way = "to" if self.egress else "from"
        return f"rule {self.number} ({self.action or '?'} {what} {way} {self.cidr if self.cidr else '?'})"


def _protocol_interval(protocol: int) -> Interval:
    return ALL_PROTOCOLS if protocol == -1 else (protocol, protocol)


def describe_traffic(protocol: int | None, ports: Interval | None) -> str:
    if protocol == -1:
        return "all traffic"
    name = _NAMES.get(protocol or -2, f"protocol {protocol}")
    if protocol in (TCP, UDP) and ports is not None:
        if ports == ALL_PORTS:
            return f"all {name} ports"
        return f"{name} port {ports[0]}" if ports[0] == ports[1] else f"{name} ports {ports[0]}-{ports[1]}"
    if protocol in (ICMP, ICMPV6) and ports is not None and ports != ALL_PORTS:
        kind, code = divmod(ports[0], 256)
        return f"{name} type {kind}" + ("" if ports[1] - ports[0] == 255 else f" code {code}")
    return name


def _nacl_protocol(value: Any) -> int | None:
    if not is_known(value) or isinstance(value, Ref) or value is None:
        return None
    text = str(value).strip().lower()
    if text in _PROTOCOL_NAMES:
        return _PROTOCOL_NAMES[text]
    number = as_int(text if not text.endswith(".0") else text[:-2])
    if number is UNKNOWN or not -1 <= number <= 255:  # type: ignore[operator]
        return None
    return number  # type: ignore[return-value]


def _port_space(protocol: int | None, cidr: Network | None, from_port: Any, to_port: Any,
                icmp_type: Any, icmp_code: Any) -> Interval | None:
    """The entry's interval in the port dimension. AWS ignores ports for every protocol but
    TCP and UDP, and ICMP type/code for ICMPv6 on an IPv4 CIDR."""
    if protocol is None:
        return None
    if protocol in (TCP, UDP):
        low, high = as_int(from_port), as_int(to_port)
        if low is UNKNOWN or high is UNKNOWN:
            return None
        low, high = max(0, low), min(65535, high)  # type: ignore[type-var]
        return (low, high) if low <= high else None
    if protocol == ICMP or (protocol == ICMPV6 and cidr is not None and cidr.version == 6):
        kind, code = as_int(icmp_type), as_int(icmp_code)
        if kind == -1:
            return ALL_PORTS
        if kind is UNKNOWN or not 0 <= kind <= 255:  # type: ignore[operator]
            return None
        if code == -1:
            return (kind * 256, kind * 256 + 255)  # type: ignore[operator]
        if code is UNKNOWN or not 0 <= code <= 255:  # type: ignore[operator]
            return None
        return (kind * 256 + code, kind * 256 + code)  # type: ignore[operator]
    return ALL_PORTS


def _entry(arch: Architecture, owner: Resource, acl_key: str | None, egress: bool | None, fields: dict[str, Any],
           line: int, branch: str | None, inline: bool) -> NaclEntry:
    v4 = resolve_cidr(arch, owner, fields.get("cidr_ipv4"))
    v6 = resolve_cidr(arch, owner, fields.get("cidr_ipv6"))
    cidr = parse_cidr(v4) or parse_cidr(v6)
    if isinstance(v4, str) and isinstance(v6, str) and v4 and v6:
        cidr = None  # both given: not a valid entry, so not one we can reason about
    protocol = _nacl_protocol(fields.get("protocol"))
    number = as_int(fields.get("rule_number"))
    action = fields.get("action")
    action = action.strip().lower() if isinstance(action, str) and action.strip().lower() in ("allow", "deny") else None
    icmp = [fields.get("icmp_type"), fields.get("icmp_code")]
    if owner.source == "terraform":  # the provider sends 0 for an ICMP type/code left out
        icmp = [0 if v is None else v for v in icmp]
    ports = _port_space(protocol, cidr, fields.get("from_port"), fields.get("to_port"), *icmp)
    return NaclEntry(owner, acl_key, egress, number if isinstance(number, int) else None, action, protocol, ports,
                     cidr, line, branch, inline)


_INLINE = {"rule_number": "rule_no", "action": "action", "protocol": "protocol", "cidr_ipv4": "cidr_block",
           "cidr_ipv6": "ipv6_cidr_block", "from_port": "from_port", "to_port": "to_port",
           "icmp_type": "icmp_type", "icmp_code": "icmp_code"}
_SEPARATE = ("rule_number", "action", "protocol", "cidr_ipv4", "cidr_ipv6", "from_port", "to_port", "icmp_type", "icmp_code")


@dataclass
class Acl:
    """One network ACL and its entries (inline and separate)."""

    key: str
    resource: Resource | None  # None: entries name a NACL that is not in the scanned set
    entries: list[NaclEntry] = field(default_factory=list)
    unreadable: set[bool] = field(default_factory=set)  # directions (egress flag) with entries we cannot see

    @property
    def label(self) -> str:
        return subject(self.resource) if self.resource is not None else "The network ACL"

    @property
    def is_custom(self) -> bool:
        return self.resource is not None and self.resource.type in ("AWS::EC2::NetworkAcl", "aws_network_acl")

    def direction(self, egress: bool) -> list[NaclEntry]:
        """Entries that may apply in this direction, in rule-number order (unknown numbers last)."""
        chosen = [e for e in self.entries if e.egress is None or e.egress == egress]
        return sorted(chosen, key=lambda e: (e.number is None, e.number or 0))

    def complete(self, egress: bool) -> bool:
        return egress not in self.unreadable


def _acl_key(arch: Architecture, owner: Resource, value: Any) -> str | None:
    target = arch.resolve_ref(owner, value)
    if target is not None:
        return target.uid
    if isinstance(value, Ref) and value.attribute == "default_network_acl_id":
        vpc = arch.resolve_ref(owner, Ref(value.address))
        return f"{vpc.uid}#default-acl" if vpc is not None else None
    if isinstance(value, str) and value:
        return f"{owner.workload}#{value}"  # a NACL named by ID: group the entries that name it
    return None


def _dynamic_unresolved(res: Resource, label: str) -> bool:
    """A ``dynamic "<label>"`` block whose ``for_each`` is unknown: its entries are not among
    the resolved ones (one that resolves to an empty collection adds none, and is known)."""
    return label in res.meta.unresolved_dynamic


def acls_of(arch: Architecture) -> list[Acl]:
    """Every NACL in the scanned set, and groups of entries that name one outside it."""
    acls: dict[str, Acl] = {}
    for res in arch.of_kind("network_acl"):
        acl = acls.setdefault(res.uid, Acl(res.uid, res))
        for label, egress in (("ingress", False), ("egress", True)):
            value = res.get(label).value
            readable = value is None or all(isinstance(v, list) for _, v in possibilities(value))
            if not readable or _dynamic_unresolved(res, label):
                acl.unreadable.add(egress)
            for line, branch, entry in inline_entries(res, label):
                fields = {name: entry.get(native) for name, native in _INLINE.items()}
                exists = join_branches(existence_branch(res), branch)
                acl.entries.append(_entry(arch, res, res.uid, egress, fields, line, exists, True))
    unknown_targets: dict[str, set[bool]] = {}
    for res in arch.of_kind("network_acl_entry"):
        key = _acl_key(arch, res, res.get("acl").value)
        egress = as_bool(res.get("egress").value)
        egress = egress if isinstance(egress, bool) else None
        if key is None:  # could belong to any NACL of its workload
            unknown_targets.setdefault(res.workload, set()).update({egress} if egress is not None else {False, True})
            continue
        target = arch.resolve_ref(res, res.get("acl").value)
        acl = acls.setdefault(key, Acl(key, target if target is not None and target.kind == "network_acl" else None))
        exists = existence_branch(res)
        for branch, fields in variants({name: res.get(name).value for name in _SEPARATE}):
            fields = fields if isinstance(fields, dict) else {}  # beyond the branch limit: nothing known
            acl.entries.append(_entry(arch, res, key, egress, fields, res.line, join_branches(exists, branch), False))
    for acl in acls.values():
        workload = acl.resource.workload if acl.resource else acl.key.split("#", 1)[0]
        acl.unreadable |= unknown_targets.get(workload, set())
    return list(acls.values())


# -- questions ---------------------------------------------------------------------------


def shadowed_by(acl: Acl, entry: NaclEntry) -> list[NaclEntry] | None:
    """The lower-numbered entries of the same direction that together match every packet
    ``entry`` matches (so it can never match), or None when it can match."""
    if not entry.known:
        return None
    earlier = [e for e in acl.direction(bool(entry.egress))
               if e.certain and e.egress == entry.egress and e.number < entry.number]  # type: ignore[operator]
    touching = [e for e in earlier if intersect(e.box, entry.box) is not None]
    if not touching or not covered(entry.box, (e.box for e in touching)):
        return None
    single = next((e for e in touching if covered(entry.box, [e.box])), None)
    return [single] if single else touching


@dataclass(frozen=True)
class Outcome:
    """What one direction of a NACL does with a set of packets."""

    allowed: list[Box]
    denied: list[Box]  # by an explicit DENY entry
    unmatched: list[Box]  # by no entry: the implicit final deny
    deciders: list[NaclEntry]  # the entries that were the first match for some of it


def evaluate(acl: Acl, egress: bool, region: list[Box]) -> Outcome | None:
    """First-match evaluation of ``region``; None when an entry that is not fully known (or
    entries that cannot be read) could match part of it."""
    if not acl.complete(egress):
        return None
    entries = acl.direction(egress)
    for e in entries:
        if e.number is None and any(intersect(r, e.bounds) for r in region):
            return None  # could sit anywhere in the order
    remaining, allowed, denied, deciders = list(region), [], [], []
    for e in entries:
        if not remaining:
            break
        if not e.certain:
            if any(intersect(r, e.bounds) for r in remaining):
                return None
            continue
        hit = [x for r in remaining if (x := intersect(r, e.box)) is not None]
        if hit:
            (allowed if e.action == "allow" else denied).extend(hit)
            deciders.append(e)
            remaining = subtract_all(remaining, e.box)
    return Outcome(allowed, denied, remaining, deciders)


def effective_region(acl: Acl, entry: NaclEntry) -> list[Box] | None:
    """The packets for which ``entry`` is the first match (None: not known)."""
    if not entry.certain or not acl.complete(bool(entry.egress)):
        return None
    remaining = [entry.box]
    for e in acl.direction(bool(entry.egress)):
        if e is entry:
            return remaining
        if e.number is not None and entry.number is not None and e.number >= entry.number:
            continue
        if not e.certain:
            if any(intersect(r, e.bounds) for r in remaining):
                return None
            continue
        remaining = subtract_all(remaining, e.box)
    return remaining


# The ephemeral ranges clients pick their source ports from (Amazon VPC User Guide, "Ephemeral
# ports"): Linux kernels 32768-60999, Windows Server 2008 and later 49152-65535. ELB, NAT
# gateways and Lambda use 1024-65535, which covers both.
CLIENT_EPHEMERAL: tuple[Interval, ...] = ((32768, 60999), (49152, 65535))


def is_service_entry(entry: NaclEntry) -> bool:
    """An ALLOW for TCP/UDP to specific ports: traffic that starts a connection. A range that
    spans a client ephemeral range (32768-60999, 49152-65535) is a return-traffic rule, not a
    service."""
    return (entry.certain and entry.action == "allow" and entry.protocol in (TCP, UDP)
            and entry.ports is not None
            and not any(entry.ports[0] <= lo and hi <= entry.ports[1] for lo, hi in CLIENT_EPHEMERAL))


@dataclass(frozen=True)
class ReturnGap:
    """Peers (sources, or destinations) of a service entry that get no return traffic."""

    entry: NaclEntry
    peers: list[str]  # the entry's effective CIDRs
    reached: list[str]  # the part of them return traffic does reach (empty: none)


def return_gap(acl: Acl, entry: NaclEntry) -> ReturnGap | None:
    """For a service entry: whether the opposite direction leaves some of its peers without
    return traffic on ports 1024-65535: none at all, or some that no entry names (peers an
    explicit DENY blocks are blocked on purpose)."""
    if not is_service_entry(entry):
        return None
    region = effective_region(acl, entry)
    if not region:
        return None
    peers = project_addresses(region)
    protocol = (entry.protocol, entry.protocol)  # type: ignore[assignment]
    # A peer gets its replies when the opposite direction decides every port of one client
    # ephemeral range for it (allows them, or denies some on purpose): a single allowed port
    # such as 3389 is no way back for replies to port 50000.
    gaps, allowed = peers, []  # type: ignore[var-annotated]
    for ports in CLIENT_EPHEMERAL:
        back = evaluate(acl, not entry.egress, [(protocol, ports, p) for p in peers])  # type: ignore[list-item]
        if back is None:
            return None
        undecided = project_addresses(back.unmatched)
        gaps = subtract_intervals(gaps, subtract_intervals(peers, undecided))
        allowed += subtract_intervals(peers, undecided + project_addresses(back.denied))
    allowed = merge_intervals(allowed)
    if allowed and not gaps:
        return None
    cidrs = lambda intervals: [c for iv in intervals for c in interval_cidrs(iv)]
    return ReturnGap(entry, cidrs(peers), cidrs(allowed))


def allows_everything(acl: Acl, egress: bool) -> list[NaclEntry] | None:
    """The entries that, first, allow all IPv4 traffic in this direction (None: it filters)."""
    outcome = evaluate(acl, egress, [(ALL_PROTOCOLS, ALL_PORTS, ALL_IPV4)])
    if outcome is None or outcome.denied or outcome.unmatched or not outcome.allowed:
        return None
    return outcome.deciders


def entries_of(acls: Iterable[Acl]) -> Iterable[tuple[Acl, NaclEntry]]:
    for acl in acls:
        for entry in acl.entries:
            yield acl, entry

