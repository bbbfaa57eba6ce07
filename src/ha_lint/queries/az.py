"""Which Availability Zones a resource spans, by the catalog's AZ identity rules.

A resource is placed through its subnets (``SubnetIds``, ``VPCZoneIdentifier``, subnet
mappings, ``subnet_id``), through explicit AZ lists (``AvailabilityZones``), through the
mount targets of an EFS file system, or (an Aurora cluster) through its member instances.
Each place resolves to a ``Zone``: an AZ name (``us-east-1a``), an AZ ID (``use1-az1``) or a
position in the region's AZ list (``!Select [1, !GetAZs '']``,
``data.aws_availability_zones.x.names[1]``). Two zones differ only when both are known and
comparable (same namespace; positions in the same region's list). Unresolvable AZs are
unknown, with the catalog's one exception: a resource placed in exactly one subnet spans
exactly one AZ, whichever it is. A written subnet ID without AWS's form (``subnet-`` and 8 or
17 hex digits: ``subnet-xxxxxxxx`` in example code) is a placeholder: the placement it is in
is unknown, neither one subnet nor two.

Where a placement depends on an undecided condition, ``azs_spanned`` answers once per
branch, so a rule can report the bad branch and name it.
"""

from __future__ import annotations

import itertools
import re
from dataclasses import dataclass, field
from typing import Any

from ha_lint.graph import Architecture
from ha_lint.model import TERRAFORM, Resource
from ha_lint.values import UNKNOWN, AzToken, Choice, Ref, Unknown, as_int, possibilities

MAX_VARIANTS = 16  # branch combinations of one placement; beyond this the placement is unknown
_AZ_ID = re.compile(r"^[a-z]{2,5}\d+(-[a-z]+\d*)?-az\d+$")  # use1-az1, usw2-lax1-az1
_AZ_ATTRIBUTES = {"availabilityzone": "availability_zone", "availability_zone": "availability_zone",
                  "availabilityzoneid": "availability_zone_id", "availability_zone_id": "availability_zone_id"}
_MAPPING_SUBNET_KEYS = ("SubnetId", "subnet_id")  # inside SubnetMappings / subnet_mapping {}
# An EC2 resource ID: the type's prefix, a dash, 8 (older) or 17 hex digits.
_AWS_ID_DIGITS = re.compile(r"[0-9a-f]{8}|[0-9a-f]{17}", re.IGNORECASE)

# Neutral properties that place a resource, in order of precedence: subnets first (they
# decide the AZs when given), then explicit AZs.
SUBNET_PROPS = ("subnets", "subnet_mappings", "subnet")
AZ_PROPS = ("availability_zones", "availability_zone")
_SCALAR_PROPS = ("subnet", "availability_zone")  # one place; the others are lists


@dataclass(frozen=True)
class Zone:
    """One AZ identity. ``namespace``: "name", "id" or "position" (key = (region, index))."""

    namespace: str
    key: Any
    token: AzToken | None = field(default=None, compare=False)  # a position's token, for its expression

    def __str__(self) -> str:
        if self.namespace == "position":
            return str(self.token or AzToken(*self.key))
        return str(self.key)

    def describe(self) -> str:
        """For a message: ``AZ eu-west-1a``, or ``the Region's first AZ (`!Select [0, !GetAZs '']`)``."""
        if self.namespace == "position":
            return (self.token or AzToken(*self.key)).describe()
        return f"AZ {self.key}"


def zone_of(value: Any) -> Zone | Unknown:
    """The AZ identity a resolved AZ value names (a name, an AZ ID or an AzToken)."""
    if isinstance(value, AzToken):
        return Zone("position", (value.region, value.index), value)
    if isinstance(value, str) and value.strip():
        text = value.strip().lower()
        return Zone("id" if _AZ_ID.match(text) else "name", text)
    return UNKNOWN


def comparable(a: Zone, b: Zone) -> bool:
    """Whether equal keys mean the same AZ and different keys different AZs."""
    return a.namespace == b.namespace


def _az_value_zone(arch: Architecture, owner: Resource, value: Any, depth: int) -> Zone | Unknown:
    """A resolved AZ value; follows ``!GetAtt Other.AvailabilityZone`` to the other resource."""
    if isinstance(value, Choice):
        zones = {_az_value_zone(arch, owner, v, depth) for _, v in value.branches}
        return zones.pop() if len(zones) == 1 else UNKNOWN
    if isinstance(value, Ref):
        name = _AZ_ATTRIBUTES.get((value.attribute or "").lower())
        target = arch.resolve_ref(owner, value)
        if name is None or target is None or depth > 5:
            return UNKNOWN
        return _az_value_zone(arch, target, target.get(name).value, depth + 1)
    return zone_of(value)


def subnet_zone(arch: Architecture, subnet: Resource, depth: int = 0) -> Zone | Unknown:
    """The AZ of a subnet resource (``AvailabilityZone`` or ``AvailabilityZoneId``); unknown
    when neither is resolvable (AWS picks one)."""
    values = [subnet.get(name).value for name in ("availability_zone", "availability_zone_id")]
    for value in values:
        if value is not None:
            zone = _az_value_zone(arch, subnet, value, depth)
            if zone is not UNKNOWN:
                return zone
    # The AZ as a name or as an ID, whichever a test picks (terraform-aws-vpc): each property
    # is null in the branch where the other is set, and both name the same AZ.
    if all(isinstance(v, Choice) for v in values):
        zones = {_az_value_zone(arch, subnet, b, depth) for v in values for _, b in v.branches if b is not None}
        if len(zones) == 1 and UNKNOWN not in zones:
            return zones.pop()
    return UNKNOWN


@dataclass(frozen=True)
class Place:
    """One subnet / AZ / mount target a resource is placed in."""

    label: str  # for messages: logical ID, address, literal ID, or "a subnet given at deploy time"
    zone: Zone | Unknown
    key: Any = None  # identity for deduplication (None: cannot tell, never merged)
    resource: Resource | None = field(default=None, compare=False)  # the subnet, when in the scanned set


@dataclass(frozen=True)
class AzSpan:
    """Where a resource is placed, in one branch of its conditions."""

    places: tuple[Place, ...]
    via: str  # "subnet", "Availability Zone", "mount target", "member instance"
    prop: str | None = None  # the neutral property that holds the placement (for the line)
    branch: str | None = None

    @property
    def detail(self) -> str:
        """A finding's stable identity: the property, and the branch when there is one."""
        return f"{self.prop}{':' + self.branch if self.branch else ''}"

    @property
    def zones(self) -> list[Zone | Unknown]:
        return [p.zone for p in self.places]

    @property
    def single_az(self) -> bool:
        """Certainly fewer than 2 distinct AZs: exactly one place, or every place in the same
        known AZ. No places at all is not single-AZ (nothing is known)."""
        if len(self.places) == 1:
            return True
        if not self.places or any(z is UNKNOWN for z in self.zones):
            return False
        return len(set(self.zones)) == 1

    @property
    def multi_az(self) -> bool:
        """Certainly 2 or more distinct AZs: two known, comparable, different zones."""
        known = [z for z in self.zones if isinstance(z, Zone)]
        return any(comparable(a, b) and a != b for a, b in itertools.combinations(known, 2))

    def describe(self) -> str:
        """e.g. "one subnet (PrivateSubnetA)" or "2 subnets (A, B), all in AZ us-east-1a"."""
        noun = self.via + ("s" if len(self.places) != 1 else "")
        labels = ", ".join(p.label for p in self.places[:4]) + (", ..." if len(self.places) > 4 else "")
        if len(self.places) == 1:
            zone = self.places[0].zone
            where = f" in {zone.describe()}" if isinstance(zone, Zone) and self.via != "Availability Zone" else ""
            return f"one {noun} ({labels}){where}"
        zones = {z for z in self.zones if isinstance(z, Zone)}
        where = f", all in {zones.pop().describe()}" if len(zones) == 1 else ""
        return f"{len(self.places)} {noun} ({labels}){where}"


# -- branches ---------------------------------------------------------------------------


def _is_removed(value: Any) -> bool:
    """CloudFormation's AWS::NoValue leaves a bare sentinel object inside a Choice."""
    return type(value) is object


def variants(value: Any) -> list[tuple[str | None, Any]]:
    """(branch label, value without Choices) for each combination of the Choices inside
    ``value`` (lists and dicts included); ``[(None, UNKNOWN)]`` beyond MAX_VARIANTS."""
    if isinstance(value, Choice):
        out: list[tuple[str | None, Any]] = []
        for label, branch in value.branches:
            for sub_label, sub in variants(branch):
                out.append((label if sub_label is None else f"{label}, {sub_label}", sub))
        return out if len(out) <= MAX_VARIANTS else [(None, UNKNOWN)]
    if isinstance(value, (list, tuple, dict)):
        items = list(value.items()) if isinstance(value, dict) else list(enumerate(value))
        options = [variants(v) for _, v in items]
        if all(len(o) == 1 for o in options):
            return [(None, value)]
        combos = list(itertools.islice(itertools.product(*options), MAX_VARIANTS + 1))
        if len(combos) > MAX_VARIANTS:
            return [(None, UNKNOWN)]
        out = []
        for combo in combos:
            labels = [label for label, _ in combo if label]
            values = [v for _, v in combo]
            if isinstance(value, dict):
                rebuilt: Any = {k: v for (k, _), v in zip(items, values) if not _is_removed(v)}
            else:
                rebuilt = [v for v in values if not _is_removed(v)]
            out.append((", ".join(labels) or None, rebuilt))
        return out
    return [(None, value)]


# -- places -----------------------------------------------------------------------------


def is_aws_id(value: Any, prefix: str) -> bool:
    """``value`` has the form of an EC2 ID of the type ``prefix`` names (``subnet``, ``sg``,
    ``vpc``): ``subnet-0a1b2c3d``, ``subnet-0123456789abcdef0``. Example code writes
    placeholders instead (``subnet-xxxxxxxx``, ``subnet-12345``, ``<subnet-id>``): their value
    is unknown, and no finding may rest on it."""
    if not isinstance(value, str):
        return False
    head, dash, digits = value.strip().partition("-")
    return bool(dash) and head == prefix and _AWS_ID_DIGITS.fullmatch(digits) is not None


def _subnet_place(arch: Architecture, owner: Resource, value: Any) -> Place | Unknown | None:
    """Where one subnet item places ``owner``; UNKNOWN for a placeholder ID (the whole
    placement is then unknown: which subnets, and how many distinct ones, is not written)."""
    if value is None or _is_removed(value):
        return None
    if isinstance(value, dict):  # a subnet mapping
        inner = next((value[k] for k in _MAPPING_SUBNET_KEYS if k in value), UNKNOWN)
        return _subnet_place(arch, owner, inner)
    if isinstance(value, Ref):
        target = arch.resolve_ref(owner, value)
        if target is not None and target.kind == "subnet":
            return Place(target.address, subnet_zone(arch, target), target.uid, target)
        return Place(value.address, UNKNOWN, ("ref", value.address, value.attribute))
    if isinstance(value, str):
        return Place(value, UNKNOWN, ("id", value)) if is_aws_id(value, "subnet") else UNKNOWN
    return Place("a subnet given at deploy time", UNKNOWN)


def _az_place(arch: Architecture, owner: Resource, value: Any) -> Place | None:
    if value is None or _is_removed(value):
        return None
    zone = _az_value_zone(arch, owner, value, 0)
    if zone is UNKNOWN:
        return Place("an AZ given at deploy time", UNKNOWN)
    # In a list of places: "us-east-1a", or "the Region's first AZ, `!Select [0, !GetAZs '']`".
    token = (zone.token or AzToken(*zone.key)) if zone.namespace == "position" else None
    return Place(f"{token.position()}, `{token}`" if token else str(zone), zone, zone)


def _flat(value: Any, scalar: bool = False) -> list[Any] | Unknown:
    """A list property as its items (nested lists flattened, as both languages allow);
    UNKNOWN when the list itself is unknown: a parameter, or a reference to a list-valued
    attribute (``!GetAtt Custom.SubnetIds``, ``aws_db_subnet_group.x.subnet_ids``)."""
    if value is UNKNOWN:
        return UNKNOWN
    if not isinstance(value, (list, tuple)):
        return [value] if scalar else UNKNOWN
    out: list[Any] = []
    for item in value:
        if isinstance(item, (list, tuple)):
            inner = _flat(item)
            if inner is UNKNOWN:
                return UNKNOWN
            out.extend(inner)
        else:
            out.append(item)
    return out


def _dedupe(places: list[Place]) -> tuple[Place, ...]:
    seen: set[Any] = set()
    out: list[Place] = []
    for place in places:
        if place.key is not None:
            if place.key in seen:
                continue
            seen.add(place.key)
        out.append(place)
    return tuple(out)


def places_of(arch: Architecture, res: Resource, names: tuple[str, ...], as_az: bool = False) -> list[AzSpan]:
    """The places held in the neutral properties ``names`` (subnets, or AZs when ``as_az``),
    one AzSpan per branch. An unknown list gives no span (nothing is known)."""
    present = [(n, res.get(n).value) for n in names if res.has(n)]
    if not present:
        return []
    make = _az_place if as_az else _subnet_place
    spans: list[AzSpan] = []
    for branch, values in variants(dict(present)):
        if values is UNKNOWN:
            continue
        places: list[Place] = []
        for name, value in values.items():  # a property removed in this branch (AWS::NoValue) is absent
            items = _flat(value, scalar=name in _SCALAR_PROPS)
            if items is UNKNOWN:
                break
            made = [make(arch, res, item) for item in items]
            if any(p is UNKNOWN for p in made):  # a placeholder ID
                break
            places.extend(p for p in made if isinstance(p, Place))
        else:
            spans.append(AzSpan(_dedupe(places), "Availability Zone" if as_az else "subnet", present[0][0], branch))
    return spans


def azs_spanned(arch: Architecture, res: Resource) -> list[AzSpan]:
    """The AZs ``res`` spans, one AzSpan per condition branch (empty: nothing is known).

    Subnets decide when given (``VPCZoneIdentifier`` over ``AvailabilityZones``); an EFS
    file system spans the AZs of its mount targets (or its One Zone AZ); an Aurora cluster
    the AZs its members are pinned to.
    """
    if res.kind == "efs_file_system":
        return _efs_span(arch, res)
    if res.kind == "rds_cluster":
        return _members_span(arch, res)
    spans = [s for s in places_of(arch, res, SUBNET_PROPS) if s.places]
    if spans or any(res.has(n) and res.get(n).value is UNKNOWN for n in SUBNET_PROPS):
        return spans
    return [s for s in places_of(arch, res, AZ_PROPS, as_az=True) if s.places]


def subnet_resources(arch: Architecture, res: Resource) -> list[Resource]:
    """The subnet resources of the scanned set that ``res`` is placed in (any branch)."""
    out: list[Resource] = []
    for span in places_of(arch, res, SUBNET_PROPS):
        out.extend(p.resource for p in span.places if p.resource is not None and p.resource not in out)
    return out


def resource_zone(arch: Architecture, res: Resource) -> Zone | Unknown:
    """The one AZ of a resource placed in one subnet or one AZ (a NAT gateway, an instance,
    a mount target); unknown if not certainly one known AZ."""
    spans = azs_spanned(arch, res)
    if len(spans) != 1 or not spans[0].single_az:
        return UNKNOWN
    zone = spans[0].places[0].zone
    return zone if all(z == zone for z in spans[0].zones) else UNKNOWN


# -- instance counts (count / for_each) -------------------------------------------------


def count_unknown(res: Resource) -> bool:
    """A Terraform resource whose ``count``/``for_each`` could not be resolved: the scan holds
    one representative instance, and the real number of instances is unknown."""
    return res.source == TERRAFORM and res.meta.instances_by is not None and not res.address.endswith("]")


def condition_unknown(res: Resource) -> str | None:
    """The CloudFormation condition that decides whether ``res`` exists, when undecided."""
    return res.meta.condition_unknown


# -- EFS mount targets ------------------------------------------------------------------


def mount_targets(arch: Architecture, fs: Resource) -> tuple[list[Resource], bool]:
    """Mount targets of ``fs`` in the scanned set, and whether more may exist (a mount target
    with an unresolved file system or an unknown count, or one created on a condition)."""
    found: list[Resource] = []
    # One whose file system did not resolve may be this one's.
    more = fs.workload in arch.derived("workloads with an unresolved efs mount target", lambda: {
        mt.workload for mt in arch.of_kind("efs_mount_target")
        if not isinstance(mt.get("file_system").value, (Ref, str))})
    for mt in arch.referencing(fs, "efs_mount_target"):
        if mt.workload != fs.workload:
            continue
        target = mt.get("file_system").value
        if isinstance(target, Ref) and arch.resolve_ref(mt, target) is fs:
            if count_unknown(mt) or condition_unknown(mt):
                more = True
            else:
                found.append(mt)
    return found, more


def _efs_span(arch: Architecture, fs: Resource) -> list[AzSpan]:
    """One Zone storage (``AvailabilityZoneName``: one AZ, whichever it is), else the AZs of
    the mount targets; one span per branch when a condition decides between the two."""
    one_zone = fs.get("availability_zone_name")
    branches = variants(one_zone.value) if one_zone.present else [(None, None)]
    spans: list[AzSpan] = []
    for branch, value in branches:
        if isinstance(value, (list, tuple, dict)):
            continue  # not an AZ name: nothing is known
        if value is not None and not _is_removed(value) and value != "":
            spans.append(AzSpan((Place("One Zone storage", _az_value_zone(arch, fs, value, 0)),),
                                "Availability Zone", "availability_zone_name", branch))
            continue
        targets, more = mount_targets(arch, fs)
        if not more and targets:
            # EFS allows one mount target per AZ: two mount targets are two AZs.
            spans.append(AzSpan(tuple(Place(mt.address, resource_zone(arch, mt), mt.uid) for mt in targets),
                                "mount target", None, branch))
    return spans


# -- Aurora cluster members -------------------------------------------------------------


@dataclass
class Members:
    """The instances of a DB cluster in the scanned set."""

    certain: list[Resource] = field(default_factory=list)
    conditional: list[tuple[Resource, str]] = field(default_factory=list)  # (member, condition name)
    more_possible: bool = False  # an instance with an unknown count or cluster reference may belong
    autoscaled: int = 0  # Aurora Replicas that replica auto scaling always keeps (its minimum capacity)

    @property
    def count_range(self) -> tuple[int, int | None]:
        """(fewest, most) members; most is None when unbounded (unknown)."""
        low = len(self.certain) + self.autoscaled
        return low, None if self.more_possible else low + len(self.conditional)


def is_aurora_cluster(cluster: Resource) -> bool:
    """An ``AWS::RDS::DBCluster`` / ``aws_rds_cluster`` whose engine is Aurora (a Terraform
    cluster without ``engine`` is Aurora: the provider's historical default)."""
    if cluster.type not in ("AWS::RDS::DBCluster", "aws_rds_cluster"):
        return False
    engine = cluster.get("engine")
    if not engine.present:
        return cluster.source == TERRAFORM
    engines = [e for _, e in possibilities(engine.value)]
    return all(isinstance(e, str) and e.lower().startswith("aurora") for e in engines)


def _names(value: Any) -> set[str]:
    return {value.lower()} if isinstance(value, str) and value else set()


def _member_candidates(arch: Architecture, cluster: Resource, identifiers: set[str]) -> list[Resource]:
    """The instances that may belong to ``cluster``, in scan order: those whose cluster
    reference resolves to it, names one of its identifiers, or is neither (an index built
    once per scan, so asking for every cluster stays linear)."""
    def build() -> dict[tuple[str, str], list[tuple[int, Resource]]]:
        index: dict[tuple[str, str], list[tuple[int, Resource]]] = {}
        for position, db in enumerate(arch.of_kind("rds_instance", "rds_cluster_instance")):
            ref = db.get("cluster")
            if not ref.present:
                continue
            value = ref.value
            if isinstance(value, Ref):
                target = arch.resolve_ref(db, value)
                key = ("ref", target.uid) if target is not None else None
            elif isinstance(value, str):
                key = ("name", value.lower())
            else:
                key = ("other", db.workload)
            if key is not None:
                index.setdefault(key, []).append((position, db))
        return index
    index = arch.derived("rds instances by cluster reference", build)
    keys = [("ref", cluster.uid), ("other", cluster.workload)] + [("name", name) for name in identifiers]
    found = {position: db for key in keys for position, db in index.get(key, ())}
    return [found[position] for position in sorted(found)]


def cluster_members(arch: Architecture, cluster: Resource) -> Members:
    """Instances whose cluster reference (``DBClusterIdentifier``, ``cluster_identifier``)
    points at ``cluster``: by reference in its workload, or by literal identifier anywhere in
    the scanned set. ``count``/``for_each`` are expanded by the loader; an unexpanded count
    makes the number unknown."""
    members = Members()
    identifiers = _names(cluster.get("identifier").value)
    for db in _member_candidates(arch, cluster, identifiers):
        value = db.get("cluster").value
        if isinstance(value, Ref):
            belongs: bool | None = db.workload == cluster.workload and arch.resolve_ref(db, value) is cluster
        elif isinstance(value, str):
            belongs = value.lower() in identifiers
        else:
            belongs = None if db.workload == cluster.workload else False
        if belongs is False:
            continue
        if belongs is None or count_unknown(db):
            members.more_possible = True
        elif condition_unknown(db) and condition_unknown(db) != condition_unknown(cluster):
            # (a member created on the cluster's own condition exists whenever the cluster does)
            members.conditional.append((db, condition_unknown(db) or ""))
        else:
            members.certain.append(db)
    # A nested stack handed the cluster may create its instances.
    if any(arch.sources(cluster, kind=k) for k in ("AWS::CloudFormation::Stack", "AWS::Serverless::Application")):
        members.more_possible = True
    # Aurora Replica auto scaling (rds:cluster:ReadReplicaCount) keeps at least its minimum.
    for target in arch.sources(cluster, kind="scalable_target", name="resource_id"):
        minimum = as_int(target.get("min_capacity").value)
        if isinstance(minimum, int) and not count_unknown(target) \
                and condition_unknown(target) in (None, condition_unknown(cluster)):
            members.autoscaled += minimum
        else:
            members.more_possible = True
    return members


def _members_span(arch: Architecture, cluster: Resource) -> list[AzSpan]:
    """The AZs the members are pinned to (``AvailabilityZone``); empty unless every member
    is pinned, since RDS spreads unpinned instances itself."""
    members = cluster_members(arch, cluster)
    if members.more_possible or members.conditional or len(members.certain) < 2:
        return []
    places = []
    for db in members.certain:
        az = db.get("availability_zone")
        if not az.present:
            return []
        places.append(Place(db.address, _az_value_zone(arch, db, az.value, 0), db.uid))
    return [AzSpan(tuple(places), "member instance")]
