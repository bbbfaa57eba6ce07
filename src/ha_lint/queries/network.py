"""Where a subnet's internet-bound traffic goes.

The path, as AWS routes a packet: subnet -> its route table (the explicit
``AWS::EC2::SubnetRouteTableAssociation`` / ``aws_route_table_association``, else the VPC's
main route table) -> the route for ``0.0.0.0/0`` (``AWS::EC2::Route``, ``aws_route``, or an
inline ``route {}`` block) -> its target (NAT gateway, internet gateway, transit gateway ...)
-> for a NAT gateway, its own subnet and AZ.

Answers are three-valued where the templates may not decide: ``UNKNOWN`` when a link of the
path cannot be resolved (a route table from a parameter, a subnet whose association is
created elsewhere, a VPC that is not in the scanned set). The main route table is knowable
only when the VPC is in the scanned set: as AWS creates it, it holds the local route only;
Terraform can replace it (``aws_main_route_table_association``), manage it
(``aws_default_route_table``) or add routes to it (``aws_route`` on
``aws_vpc.x.main_route_table_id``).

Used by HA107 (NAT gateways all in one AZ) and NS409 (datastores reachable from the internet).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ha_lint.graph import Architecture
from ha_lint.model import TERRAFORM, Resource
from ha_lint.queries.az import Zone, condition_unknown, count_unknown, resource_zone, subnet_resources
from ha_lint.values import UNKNOWN, Choice, Ref, Tri, Unknown, any3, refs_in

IPV4_DEFAULT = "0.0.0.0/0"
IPV6_DEFAULT = "::/0"

# Route targets by neutral property of the ``route`` kind, in the order AWS documents them.
_TARGETS = ("nat_gateway", "gateway", "transit_gateway", "instance", "network_interface", "peering_connection",
            "egress_only_gateway", "vpc_endpoint", "carrier_gateway", "local_gateway", "core_network")
# The same fields inside a Terraform inline ``route {}`` block of aws_route_table.
_INLINE_ROUTE = {"destination_cidr": "cidr_block", "destination_ipv6_cidr": "ipv6_cidr_block",
                 "nat_gateway": "nat_gateway_id", "gateway": "gateway_id", "transit_gateway": "transit_gateway_id",
                 "instance": "instance_id", "network_interface": "network_interface_id",
                 "peering_connection": "vpc_peering_connection_id", "egress_only_gateway": "egress_only_gateway_id",
                 "vpc_endpoint": "vpc_endpoint_id", "carrier_gateway": "carrier_gateway_id",
                 "local_gateway": "local_gateway_id", "core_network": "core_network_arn"}
# Kinds of what a route's GatewayId / gateway_id may name, by resource kind or ID prefix.
_GATEWAY_PREFIXES = {"igw-": "internet_gateway", "vgw-": "vpn_gateway", "nat-": "nat_gateway",
                     "eigw-": "egress_only_internet_gateway", "local": "local"}
# Attributes of a VPC that name its main route table (Terraform; CloudFormation has none).
_MAIN_TABLE_ATTRIBUTES = {"main_route_table_id", "default_route_table_id", "mainroutetableid", "defaultroutetableid"}


@dataclass(frozen=True)
class RouteTable:
    """A route table: a resource, or (``resource`` None) a VPC's main table as AWS made it."""

    resource: Resource | None
    vpc: Resource | None = None
    main: bool = False

    @property
    def label(self) -> str:
        if self.resource is not None:
            return self.resource.address
        return f"the main route table of {self.vpc.address if self.vpc else 'the VPC'}"


@dataclass(frozen=True)
class Route:
    """One route, separate or inline."""

    owner: Resource  # the route resource, or the route table that holds it inline
    destination: Any  # "0.0.0.0/0", ... or UNKNOWN
    target_kind: str | Unknown  # "nat_gateway", "internet_gateway", "transit_gateway", ... or UNKNOWN
    target: Resource | None  # the target resource, when in the scanned set
    line: int
    condition: str | None = None  # an undecided CloudFormation condition the route exists on

    def describe(self) -> str:
        what = self.target.address if self.target is not None else str(self.target_kind).replace("_", " ")
        return f"{self.destination} -> {what} ({self.owner.address})"


# -- helpers -------------------------------------------------------------------------------


def vpc_of(arch: Architecture, res: Resource) -> Resource | None:
    """The VPC resource ``res`` names in its ``vpc`` property, when in the scanned set."""
    target = arch.resolve_ref(res, res.get("vpc").value)
    return target if target is not None and target.kind == "vpc" else None


def _points_at(arch: Architecture, owner: Resource, value: Any, target: Resource) -> Tri:
    """Whether ``value`` (a reference, maybe inside a Choice) names ``target``."""
    if isinstance(value, Ref):
        return arch.resolve_ref(owner, value) is target
    if isinstance(value, Choice):
        return UNKNOWN if any(arch.resolve_ref(owner, r) is target for r in refs_in(value)) else False
    return False


def _unresolved(value: Any) -> bool:
    return value is UNKNOWN or isinstance(value, Choice)


# -- subnet -> route table ---------------------------------------------------------------


def main_route_table(arch: Architecture, vpc: Resource) -> RouteTable | Unknown:
    """The main route table of a VPC in the scanned set."""
    for assoc in arch.referencing(vpc, "main_route_table_association"):
        if _points_at(arch, assoc, assoc.get("vpc").value, vpc) is not False:
            table = arch.resolve_ref(assoc, assoc.get("route_table").value)
            return RouteTable(table, vpc, True) if table is not None else UNKNOWN
    for table in arch.referencing(vpc, "route_table"):
        owner_ref = table.get("default_route_table_of").value
        if isinstance(owner_ref, Ref) and arch.resolve_ref(table, owner_ref) is vpc:
            return RouteTable(table, vpc, True)
    return RouteTable(None, vpc, True)


def _associations(arch: Architecture) -> tuple[dict[str, list[Resource]], set[str]]:
    """Route table associations by the uid of each subnet they may name (in scan order), and
    the workloads with a Terraform association whose subnet did not resolve (built once per
    scan, so asking for every subnet stays linear)."""
    def build() -> tuple[dict[str, list[Resource]], set[str]]:
        naming: dict[str, list[Resource]] = {}
        unresolved: set[str] = set()
        for assoc in arch.of_kind("route_table_association"):
            value = assoc.get("subnet").value
            if assoc.source == TERRAFORM and _unresolved(value):
                unresolved.add(assoc.workload)
            refs = [value] if isinstance(value, Ref) else refs_in(value) if isinstance(value, Choice) else []
            targets = {t.uid: t for ref in refs for t in [arch.resolve_ref(assoc, ref)] if t is not None}
            for uid in targets:
                naming.setdefault(uid, []).append(assoc)
        return naming, unresolved
    return arch.derived("route table associations by subnet", build)


def route_tables_of(arch: Architecture, subnet: Resource) -> list[RouteTable] | Unknown:
    """The route table(s) serving ``subnet``: its explicit association, else the VPC's main
    route table. UNKNOWN when an association may exist that cannot be resolved."""
    certain: list[RouteTable] = []
    naming, unresolved = _associations(arch)
    # Terraform: an unresolved subnet (a count that did not expand) may be this one.
    uncertain = subnet.workload in unresolved
    for assoc in naming.get(subnet.uid, ()):
        if assoc.workload != subnet.workload:
            continue
        hit = _points_at(arch, assoc, assoc.get("subnet").value, subnet)
        if hit is False:
            continue
        if hit is UNKNOWN or condition_unknown(assoc) or count_unknown(assoc):
            uncertain = True
            continue
        table = arch.resolve_ref(assoc, assoc.get("route_table").value)
        if table is None or table.kind != "route_table":
            return UNKNOWN
        certain.append(RouteTable(table))
    if certain:
        return certain
    if uncertain:
        return UNKNOWN
    vpc = vpc_of(arch, subnet)
    if vpc is None:
        return UNKNOWN
    main = main_route_table(arch, vpc)
    return UNKNOWN if main is UNKNOWN else [main]


# -- route table -> routes ---------------------------------------------------------------


def _classify(arch: Architecture, owner: Resource, fields: dict[str, Any]) -> tuple[str | Unknown, Resource | None]:
    """The kind of a route's target and the target resource, from its target fields."""
    for name in _TARGETS:
        value = fields.get(name)
        if value is None or value == "":
            continue
        target = arch.resolve_ref(owner, value) if isinstance(value, Ref) else None
        if name != "gateway":
            return _kind_name(name), target
        if target is not None:  # GatewayId names an internet, VPN or (in old code) NAT gateway
            return target.kind, target
        if isinstance(value, str):
            prefix = next((p for p in _GATEWAY_PREFIXES if value.startswith(p)), None)
            return (_GATEWAY_PREFIXES[prefix] if prefix else UNKNOWN), None
        return UNKNOWN, None
    return UNKNOWN, None


def _kind_name(field_name: str) -> str:
    return {"egress_only_gateway": "egress_only_internet_gateway"}.get(field_name, field_name)


def _route(arch: Architecture, owner: Resource, fields: dict[str, Any], line: int) -> list[Route]:
    kind, target = _classify(arch, owner, fields)
    condition = condition_unknown(owner) or ("an unresolved count" if count_unknown(owner) else None)
    out = []
    for key in ("destination_cidr", "destination_ipv6_cidr"):
        destination = fields.get(key)
        if destination is not None:
            destination = destination.strip() if isinstance(destination, str) else UNKNOWN
            out.append(Route(owner, destination, kind, target, line, condition))
    return out


def routes_of(arch: Architecture, table: RouteTable) -> list[Route]:
    """Every route of a table: separate route resources and inline ``route {}`` blocks."""
    out: list[Route] = []
    if table.resource is not None:
        rt = table.resource
        blocks = rt.get("routes").value
        for index, block in enumerate(blocks if isinstance(blocks, list) else []):
            if isinstance(block, dict):
                fields = {name: block.get(native) for name, native in _INLINE_ROUTE.items()}
                out.extend(_route(arch, rt, fields, rt.entry_line("routes", index) or rt.line_of("routes")))
    owner = table.resource or table.vpc
    # A route names its table (or, for the main table, the VPC) by reference.
    for route in arch.referencing(owner, "route") if owner is not None else []:
        value = route.get("route_table").value
        if table.resource is not None:
            hit = _points_at(arch, route, value, table.resource)
        else:  # Terraform: aws_route on aws_vpc.x.main_route_table_id
            hit = (isinstance(value, Ref) and (value.attribute or "").lower() in _MAIN_TABLE_ATTRIBUTES
                   and arch.resolve_ref(route, value) is table.vpc)
        if hit is False:
            continue
        fields = {name: route.get(name).value if route.has(name) else None for name in _INLINE_ROUTE}
        for found in _route(arch, route, fields, route.line):
            # A route that may or may not be in this table: as good as an undecided condition.
            out.append(found if hit is True else Route(found.owner, found.destination, found.target_kind,
                                                       found.target, found.line, "its route table is undecided"))
    return out


# -- subnet -> default route -------------------------------------------------------------


def default_route(arch: Architecture, subnet: Resource, destination: str = IPV4_DEFAULT) -> Route | None | Unknown:
    """The route that carries ``subnet``'s internet-bound traffic (``0.0.0.0/0``, or ``::/0``):
    a Route, None when the table certainly has none, UNKNOWN when the templates do not tell."""
    tables = route_tables_of(arch, subnet)
    if tables is UNKNOWN or len(tables) != 1:
        return UNKNOWN
    certain: list[Route] = []
    uncertain = False
    for route in routes_of(arch, tables[0]):
        if route.destination == destination:
            if route.condition is None:
                certain.append(route)
            else:
                uncertain = True
        elif route.destination is UNKNOWN:
            uncertain = True
    if certain:
        return certain[0]
    return UNKNOWN if uncertain else None


def nat_gateway_of(arch: Architecture, subnet: Resource) -> Resource | None | Unknown:
    """The NAT gateway resource ``subnet``'s default route sends traffic to; None when its
    default route goes elsewhere (or nowhere); UNKNOWN when not known."""
    route = default_route(arch, subnet)
    if route is UNKNOWN or route is None:
        return route
    if route.target_kind == "nat_gateway":
        return route.target if route.target is not None else UNKNOWN
    return UNKNOWN if route.target_kind is UNKNOWN else None


def routes_to_internet_gateway(arch: Architecture, subnet: Resource, destination: str = IPV4_DEFAULT) -> Tri:
    """Whether ``subnet``'s default route (``0.0.0.0/0`` or ``::/0``) goes to an internet gateway."""
    route = default_route(arch, subnet, destination)
    if route is UNKNOWN:
        return UNKNOWN
    if route is None:
        return False
    return UNKNOWN if route.target_kind is UNKNOWN else route.target_kind == "internet_gateway"


def is_public_subnet(arch: Architecture, subnet: Resource) -> Tri:
    """AWS's definition: a subnet whose route table has a route to an internet gateway
    (IPv4 ``0.0.0.0/0`` or IPv6 ``::/0``)."""
    return any3(routes_to_internet_gateway(arch, subnet, d) for d in (IPV4_DEFAULT, IPV6_DEFAULT))


# -- NAT gateways --------------------------------------------------------------------------


def is_regional_nat_gateway(nat: Resource) -> Tri:
    """A regional NAT gateway (``AvailabilityMode: regional``) spans every AZ it serves."""
    mode = nat.get("availability_mode").value
    return mode.lower() == "regional" if isinstance(mode, str) else UNKNOWN


def nat_gateway_subnet(arch: Architecture, nat: Resource) -> Resource | None:
    """The subnet a (zonal) NAT gateway sits in, when in the scanned set."""
    subnets = subnet_resources(arch, nat)
    return subnets[0] if len(subnets) == 1 else None


def nat_gateway_zone(arch: Architecture, nat: Resource) -> Zone | Unknown:
    """The AZ of a zonal NAT gateway: the AZ of its subnet."""
    return resource_zone(arch, nat)
