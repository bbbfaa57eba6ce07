"""Is a datastore reachable from the internet? (NS409)

A packet from the internet reaches a datastore only when three links all hold:

1. **a public address**: the publicly-accessible flag (RDS instances and Aurora members,
   Multi-AZ DB clusters, Redshift clusters; see ``public_flags``); for an EC2 instance an associated public IP
   (``AssociatePublicIpAddress``, ``associate_public_ip_address``), an Elastic IP, or a subnet
   that maps public IPs on launch (``MapPublicIpOnLaunch``) unless the instance opts out;
2. **a public subnet**: one of its subnets has a route table that sends ``0.0.0.0/0`` to an
   internet gateway (``ha_lint.queries.network``);
3. **an open door**: one of the security groups that guard it admits ``0.0.0.0/0`` on its
   port (``ha_lint.queries.sg``). The path is IPv4: the public address, and the route
   ``0.0.0.0/0``, are IPv4, so a rule that admits only ``::/0`` does not complete it.

Every link must be known: a link that depends on an unresolved value is not a path. An EC2
instance counts as a datastore when one of its security groups opens a database/cache port
on purpose (a rule whose range names the port, not an all-traffic or all-ports rule).
DocumentDB has no public endpoint, so its clusters never have the first link.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Iterator

from ha_lint.graph import Architecture
from ha_lint.kinds import engine_port
from ha_lint.model import Resource
from ha_lint.queries.az import count_unknown, subnet_resources
from ha_lint.queries.lb import _eips_of
from ha_lint.queries.network import Route, default_route, route_tables_of
from ha_lint.queries.sg import (SgRule, database_ports, guarding_groups, ingress_rules_of, join_branches,
                                world_rules_on_port)
from ha_lint.values import Ref, as_bool, as_int, as_list, bad_branches, possibilities


@dataclass(frozen=True)
class PublicAddress:
    description: str  # "PubliclyAccessible is true", "Elastic IP WebEip", ...
    line: int
    branch: str | None = None
    subnet: Resource | None = None  # the address exists only in this subnet (MapPublicIpOnLaunch)


@dataclass(frozen=True)
class Exposure:
    datastore: Resource  # a message names it as every message does: wording.subject
    address: PublicAddress
    subnet: Resource
    route: Route
    table: str  # the route table's label
    rule: SgRule
    port: int | None

    @property
    def branch(self) -> str | None:
        """The undecided branches the path exists on (the address's, the open rule's)."""
        return join_branches(self.address.branch, self.rule.branch)

    def path(self) -> str:
        gateway = self.route.target.address if self.route.target is not None else "an internet gateway"
        door = f"tcp port {self.port}" if self.port is not None else "every port"
        group = self.rule.group.address if self.rule.group is not None else self.rule.owner.address
        return (f"internet -> {gateway} -> route table {self.table} ({self.route.destination}) -> subnet "
                f"{self.subnet.address} -> {self.datastore.address} [{self.address.description}; security group "
                f"{group} admits {', '.join(self.rule.world_cidrs(4))} on {door} ({self.rule.describe_ports()}, "
                f"line {self.rule.line})]")


# -- datastores, their ports and subnets --------------------------------------------------------


def _cluster_of(arch: Architecture, db: Resource) -> Resource | None:
    found = arch.targets(db, "cluster", "rds_cluster")
    return found[0] if len(found) == 1 else None


def db_port(arch: Architecture, db: Resource) -> int | None:
    """The port a database listens on: its own, its cluster's, else its engine's default."""
    holders = [db] + ([c] if (c := _cluster_of(arch, db)) is not None else [])
    for holder in holders:
        if holder.has("port"):
            port = as_int(holder.get("port").value)
            return port if isinstance(port, int) else None
    for holder in holders:
        if holder.has("engine"):
            return engine_port(holder.get("engine").value)
    default = db.get("port").value  # the kinds table's default (Redshift: 5439)
    return default if isinstance(default, int) else None


def datastore_port(arch: Architecture, store: Resource) -> int | None:
    """The port a datastore of any kind serves on, when known."""
    if store.kind in ("rds_instance", "rds_cluster_instance", "rds_cluster", "redshift_cluster"):
        return db_port(arch, store)
    if store.kind in ("elasticache_replication_group", "elasticache_cluster"):
        port = as_int(store.get("port").value)
        if isinstance(port, int):
            return port
        engine = store.get("engine").value
        return {"memcached": 11211, "redis": 6379, "valkey": 6379}.get(engine.lower()) if isinstance(engine, str) else None
    return {"efs_mount_target": 2049, "opensearch_domain": 443}.get(store.kind)


def db_subnets(arch: Architecture, db: Resource) -> list[Resource]:
    """The subnets of a database's subnet group (its own, else its cluster's)."""
    holders = [db] + ([c] if (c := _cluster_of(arch, db)) is not None else [])
    for holder in holders:
        if holder.has("subnet_group"):
            groups = arch.targets(holder, "subnet_group")
            return [s for g in groups if g.kind in ("subnet_group", "redshift_subnet_group")
                    for s in subnet_resources(arch, g)]
    return []


def instance_subnets(arch: Architecture, instance: Resource) -> list[Resource]:
    """An EC2 instance's subnet: ``SubnetId`` / ``subnet_id`` or its network interfaces'."""
    found = subnet_resources(arch, instance)
    for nic in as_list(instance.get("network_interfaces").value):
        if isinstance(nic, dict) and isinstance(nic.get("SubnetId"), Ref):
            target = arch.resolve_ref(instance, nic["SubnetId"])
            if target is not None and target.kind == "subnet" and target not in found:
                found.append(target)
    return found


# -- link 1: public addresses ------------------------------------------------------------------

_DEFAULT_VPC_PUBLIC = (" (not set, and no DBSubnetGroupName: RDS creates the instance in the default VPC, whose "
                       "internet gateway makes it public by default)")
_DEFAULT_GROUP_PUBLIC = " (not set, and the subnet group is `default`: RDS makes the instance public by default)"
_DMS_PUBLIC = " (not set: the DMS API makes replication instances public by default)"


@dataclass(frozen=True)
class PublicFlag:
    """One way a resource's publicly-accessible setting ends up true."""

    branch: str | None  # the undecided branch it is true on (None: always)
    why: str  # message suffix: where the value came from, or which default applies
    line: int


def public_flags(arch: Architecture, res: Resource) -> list[PublicFlag]:
    """When ``res`` (RDS instance / cluster, Aurora member, Redshift cluster, DMS replication
    instance) is publicly accessible: the flag as written, else the API's default.

    Absent, the defaults differ by API and tool. Terraform sends ``false`` for
    ``aws_db_instance`` / ``aws_rds_cluster_instance`` / ``aws_dms_replication_instance`` and
    (provider v6) ``aws_redshift_cluster``; Redshift's own API default is false too. DMS's
    API makes an instance public (the kinds table holds that CloudFormation default). RDS
    (CreateDBInstance) makes a non-Aurora instance public when no subnet group is given (the
    default VPC) or the subnet group is ``default``, private otherwise; Aurora members and
    read replicas are left to their cluster / source, so absent is not reported for them."""
    flag = res.get("publicly_accessible")
    if flag.present:
        return [PublicFlag(branch, flag.why(), flag.line)
                for branch in bad_branches(flag.value, lambda v: as_bool(v) is True)]
    if res.kind == "dms_replication_instance":
        return [PublicFlag(None, _DMS_PUBLIC, res.line)] if as_bool(flag.value) is True else []
    if res.source != "cloudformation" or res.kind != "rds_instance" or res.has("cluster") or res.has("replica_source"):
        return []
    engine = res.get("engine").value
    if not isinstance(engine, str) or engine.lower().startswith("aurora"):
        return []  # Aurora instances default to private; an unknown engine may be Aurora
    group = res.get("subnet_group")
    if not group.present:
        return [PublicFlag(None, _DEFAULT_VPC_PUBLIC, res.line)]
    return [PublicFlag(branch, _DEFAULT_GROUP_PUBLIC, group.line)
            for branch in bad_branches(group.value, lambda v: isinstance(v, str) and v.strip().lower() == "default")]


def _flag_addresses(arch: Architecture, db: Resource) -> list[PublicAddress]:
    native = db.native_path("publicly_accessible") or "publicly_accessible"
    return [PublicAddress(f"{native} is true{flag.why}", flag.line, flag.branch) for flag in public_flags(arch, db)]


def _instance_addresses(arch: Architecture, instance: Resource) -> tuple[list[PublicAddress], bool]:
    """(public addresses, opted out of subnet-mapped public IPs)."""
    out: list[PublicAddress] = []
    opt_out = False
    flag = instance.get("associate_public_ip")
    if flag.present:
        value = as_bool(flag.value)
        if value is True:
            out.append(PublicAddress("associate_public_ip_address is true", instance.line_of("associate_public_ip")))
        opt_out = value is False
    for index, nic in enumerate(as_list(instance.get("network_interfaces").value)):
        if not isinstance(nic, dict) or "AssociatePublicIpAddress" not in nic:
            continue
        for branch, value in possibilities(nic["AssociatePublicIpAddress"]):
            if as_bool(value) is True:
                line = instance.entry_line("network_interfaces", index, "AssociatePublicIpAddress") \
                    or instance.line_of("network_interfaces")
                out.append(PublicAddress("AssociatePublicIpAddress is true", line, branch))
            elif as_bool(value) is False and branch is None:
                opt_out = True
    for eip in _eips_of(arch, instance):
        out.append(PublicAddress(f"Elastic IP {eip.address}", instance.line))
    return out, opt_out


def _maps_public_ip(subnet: Resource) -> bool:
    """On every branch (a subnet that maps public IPs only on some branch is left alone)."""
    return all(as_bool(v) is True for _, v in possibilities(subnet.get("map_public_ip").value))


# -- links 2 and 3 -------------------------------------------------------------------------------


def _internet_route(arch: Architecture, subnet: Resource) -> tuple[Route, str] | None:
    """The subnet's ``0.0.0.0/0`` route when it certainly goes to an internet gateway."""
    route = default_route(arch, subnet)
    if not isinstance(route, Route) or route.target_kind != "internet_gateway":
        return None
    tables = route_tables_of(arch, subnet)
    label = tables[0].label if isinstance(tables, list) and tables else route.owner.address
    return route, label


def _exposure(arch: Architecture, res: Resource, addresses: list[PublicAddress],
              subnets: list[Resource], open_rules: list[tuple[SgRule, int | None]]) -> Exposure | None:
    if not addresses or not open_rules or count_unknown(res):
        return None
    for address in addresses:
        for subnet in ([address.subnet] if address.subnet is not None else subnets):
            found = _internet_route(arch, subnet)
            if found is not None:  # prefer a rule that exists on every branch
                rule, port = min(open_rules, key=lambda pair: pair[0].branch is not None)
                return Exposure(res, address, subnet, found[0], found[1], rule, port)
    return None


def _datastores(arch: Architecture) -> Iterator[Resource]:
    yield from arch.of_kind("rds_instance", "rds_cluster_instance", "redshift_cluster")
    for cluster in arch.of_kind("rds_cluster"):
        if cluster.has("publicly_accessible"):  # a Multi-AZ DB cluster: the flag is on the cluster
            yield cluster


def exposures(arch: Architecture) -> Iterator[Exposure]:
    """Datastores with a complete path from the internet (one per datastore)."""
    for db in _datastores(arch):
        addresses = _flag_addresses(arch, db)
        if not addresses:
            continue
        port = db_port(arch, db)
        rules = ingress_rules_of(arch, guarding_groups(arch, db))
        open_rules = [(r, port) for r in world_rules_on_port(rules, port, 4)]
        found = _exposure(arch, db, addresses, db_subnets(arch, db), open_rules)
        if found is not None:
            yield found
    names = database_ports(arch)
    for instance in arch.of_kind("ec2_instance"):
        rules = ingress_rules_of(arch, guarding_groups(arch, instance))
        ports = sorted({p for r in rules if not r.every_port for p in names if r.covers_tcp_port(p)})
        open_rules = [(r, p) for p in ports for r in world_rules_on_port(rules, p, 4)]
        if not open_rules:
            continue
        addresses, opt_out = _instance_addresses(arch, instance)
        subnets = instance_subnets(arch, instance)
        if not opt_out:
            addresses += [PublicAddress(f"subnet {s.address} maps public IPs on launch", instance.line, subnet=s)
                          for s in subnets if _maps_public_ip(s)]
        found = _exposure(arch, instance, addresses, subnets, open_rules)
        if found is not None:
            yield found

