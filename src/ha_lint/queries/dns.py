"""Route 53 records in one shape: failover pairs, routing policies and health checks.

Records come from ``AWS::Route53::RecordSet``, from each entry of
``AWS::Route53::RecordSetGroup`` (``RecordSets``), and from ``aws_route53_record``. A
``Record`` reads its fields by the neutral names of the ``route53_record`` kind, so a group
entry answers like a standalone record set.

Answers are three-valued (``True``/``False``/``UNKNOWN``) where the templates may not decide:
two records pair up only if their names, types and hosted zones can be the same.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from ha_lint import kinds
from ha_lint.graph import Architecture
from ha_lint.model import Resource
from ha_lint.values import UNKNOWN, Ref, Tri, all3, any3, as_bool, possibilities
from ha_lint.wording import spelled

_RECORD_SET = "AWS::Route53::RecordSet"
_FIELDS = ("name", "type", "zone_id", "zone_name", "set_identifier", "health_check", "alias", "alias_target",
           "evaluate_target_health", "records", "failover", "weight", "latency_region", "geolocation",
           "geoproximity", "multivalue")
# Routing policies whose records should each carry a health check (DR303), by neutral field.
ROUTING_POLICIES = {"weight": "weighted", "latency_region": "latency", "geolocation": "geolocation",
                    "geoproximity": "geoproximity", "multivalue": "multivalue answer"}


@dataclass(frozen=True)
class Record:
    owner: Resource  # the record set, or the record set group holding it
    index: int | None  # position in the group's RecordSets
    values: dict[str, Any] = field(default_factory=dict)  # neutral name -> resolved value (absent: missing)
    lines: dict[str, int] = field(default_factory=dict)

    @property
    def label(self) -> str:
        return self.owner.address if self.index is None else f"{self.owner.address}.RecordSets[{self.index}]"

    @property
    def line(self) -> int:
        if self.index is None:
            return self.owner.line
        return self.lines.get("", self.owner.line)

    def get(self, name: str) -> Any:
        return self.values.get(name)

    def line_of(self, name: str) -> int:
        return self.lines.get(name, self.line)

    def describe(self) -> str:
        name, rtype = self.get("name"), self.get("type")
        shown = name if isinstance(name, str) else "a name given at deploy time"
        return f"{shown} {rtype}" if isinstance(rtype, str) else shown


def health_check_advice(res: Resource) -> str:
    """How to give a record a health check, in the language of ``res``."""
    return spelled(res, "Add a HealthCheckId, or an alias with EvaluateTargetHealth: true.",
                   "Add a health_check_id, or an alias block with evaluate_target_health = true.")


def _walk(value: Any, parts: list[str]) -> Any:
    for part in parts:
        if not isinstance(value, dict) or part not in value:
            return None
        value = value[part]
    return value


def records(arch: Architecture) -> list[Record]:
    """Every Route 53 record in the scanned set, group entries included (gathered once per scan)."""
    return arch.derived("route53 records", lambda: _gather_records(arch))


def _gather_records(arch: Architecture) -> list[Record]:
    out: list[Record] = []
    for res in arch.of_kind("route53_record"):
        values: dict[str, Any] = {}
        lines: dict[str, int] = {}
        for name in _FIELDS:
            path = res.native_path(name)
            if path is None:
                continue
            value = res.get(name)
            if value.present:
                values[name] = value.value
                lines[name] = res.line_of(name)
        out.append(Record(res, None, values, lines))
    for group in arch.of_kind("route53_record_group"):
        entries = group.get("record_sets").value
        if not isinstance(entries, list):
            continue
        for index, entry in enumerate(entries):
            if not isinstance(entry, dict):
                continue
            values, lines = {}, {}
            for name in _FIELDS:
                path = kinds.native_path(_RECORD_SET, name)
                if path is None:
                    continue
                value = _walk(entry, path.split("."))
                if value is not None:
                    values[name] = value
                    lines[name] = group.entry_line("record_sets", index, *path.split(".")) or group.line_of("record_sets")
            for name in ("zone_id", "zone_name"):  # entries inherit the group's hosted zone
                if name not in values and group.get(name).present:
                    values[name] = group.get(name).value
            lines[""] = group.entry_line("record_sets", index) or group.line
            out.append(Record(group, index, values, lines))
    return out


# -- health ---------------------------------------------------------------------------------


def _present(value: Any) -> bool:
    """A health check ID that is there: a string, a reference, or a value left to deploy time."""
    return value is UNKNOWN or isinstance(value, Ref) or (isinstance(value, str) and value.strip() != "")


def unprotected_branches(rec: Record) -> list[str | None]:
    """Branches in which the record has no health check and is not an alias that evaluates
    its target's health. Empty: protected (or unknown) in every branch."""
    missing = [label for label, v in possibilities(rec.get("health_check")) if not _present(v)]
    if not missing:
        return []
    if rec.get("alias") is None:
        blind: list[str | None] = [None]
    else:
        blind = [label for label, v in possibilities(rec.get("evaluate_target_health"))
                 if v is None or as_bool(v) is False]
    return [_join(a, b) for a in missing for b in blind]


def _join(a: str | None, b: str | None) -> str | None:
    parts = [p for p in (a, b) if p]
    return ", ".join(dict.fromkeys(parts)) if parts else None


# -- failover pairs ------------------------------------------------------------------------------


def failover_roles(rec: Record) -> list[tuple[str | None, Any]]:
    """(branch, "PRIMARY" | "SECONDARY" | None | UNKNOWN) for each possible failover setting."""
    value = rec.get("failover")
    out = []
    for label, item in possibilities(value):
        if item is None:
            out.append((label, None))
        elif isinstance(item, str):
            out.append((label, item.strip().upper()))
        else:
            out.append((label, UNKNOWN))
    return out


def _may_have_role(rec: Record, role: str) -> Tri:
    results = [True if r == role else (UNKNOWN if r is UNKNOWN else False) for _, r in failover_roles(rec)]
    return any3(results)


def zone_name(arch: Architecture, rec: Record) -> Any:
    """The hosted zone's name (no trailing dot), when the record names it or references a zone."""
    name = rec.get("zone_name")
    if isinstance(name, str):
        return _norm(name)
    zone_id = rec.get("zone_id")
    if isinstance(zone_id, Ref):
        zone = arch.resolve_ref(rec.owner, zone_id)
        if zone is not None and zone.kind == "route53_zone" and isinstance(zone.get("name").value, str):
            return _norm(zone.get("name").value)
    return UNKNOWN


def _zone_key(arch: Architecture, rec: Record) -> Any:
    zone_id = rec.get("zone_id")
    if isinstance(zone_id, Ref):
        return ("ref", rec.owner.workload, zone_id.address)
    if isinstance(zone_id, str):
        return ("id", zone_id.rsplit("/", 1)[-1])
    return UNKNOWN


def same_zone(arch: Architecture, a: Record, b: Record) -> Tri:
    ka, kb = _zone_key(arch, a), _zone_key(arch, b)
    if ka is not UNKNOWN and kb is not UNKNOWN and ka[0] == kb[0]:
        if ka == kb:
            return True
        if ka[0] == "id" or ka[1] == kb[1]:  # two literal IDs, or two zones of one template
            return False
    na, nb = zone_name(arch, a), zone_name(arch, b)
    if isinstance(na, str) and isinstance(nb, str):
        # A zone named by HostedZoneName is unique (CloudFormation requires the ID otherwise);
        # two zones of one template with the same name were told apart by their keys above.
        return na == nb
    return UNKNOWN


def _norm(name: str) -> str:
    return name.strip().lower().rstrip(".").replace("\\052", "*")


def fqdn(arch: Architecture, rec: Record) -> Any:
    name = rec.get("name")
    if not isinstance(name, str):
        return UNKNOWN
    name = _norm(name)
    zone = zone_name(arch, rec)
    if isinstance(zone, str) and name != zone and not name.endswith("." + zone):
        return f"{name}.{zone}" if name else zone  # Terraform accepts names relative to the zone
    return name


def same_name(arch: Architecture, a: Record, b: Record) -> Tri:
    fa, fb = fqdn(arch, a), fqdn(arch, b)
    if not isinstance(fa, str) or not isinstance(fb, str):
        return UNKNOWN
    if fa == fb:
        return True
    known_zones = isinstance(zone_name(arch, a), str) and isinstance(zone_name(arch, b), str)
    if not known_zones and (fa.startswith(fb + ".") or fb.startswith(fa + ".")):
        return UNKNOWN  # "www" relative to an unknown zone may be "www.example.com"
    return False


def same_type(a: Record, b: Record) -> Tri:
    ta, tb = a.get("type"), b.get("type")
    if isinstance(ta, str) and isinstance(tb, str):
        return ta.strip().upper() == tb.strip().upper()
    return UNKNOWN


def _name_candidates(arch: Architecture, recs: list[Record], rec: Record) -> list[Record]:
    """The records of ``recs`` for which ``same_name(rec, _)`` may be other than False: those
    with the same name, a name one is a label-prefix of (a name relative to an unknown
    zone), or an unknown name. Indexed once per scan for the scan's own record list."""
    if recs is not records(arch):
        return recs
    def build() -> tuple[dict[str, list[tuple[int, Record]]], dict[str, list[tuple[int, Record]]],
                         list[tuple[int, Record]]]:
        exact: dict[str, list[tuple[int, Record]]] = {}
        by_prefix: dict[str, list[tuple[int, Record]]] = {}
        unnamed: list[tuple[int, Record]] = []
        for position, candidate in enumerate(recs):
            name = fqdn(arch, candidate)
            if not isinstance(name, str):
                unnamed.append((position, candidate))
                continue
            exact.setdefault(name, []).append((position, candidate))
            labels = name.split(".")
            for k in range(1, len(labels) + 1):
                by_prefix.setdefault(".".join(labels[:k]), []).append((position, candidate))
        return exact, by_prefix, unnamed
    exact, by_prefix, unnamed = arch.derived("route53 records by name", build)
    name = fqdn(arch, rec)
    if not isinstance(name, str):
        return recs
    labels = name.split(".")
    found = dict(unnamed)
    found.update(by_prefix.get(name, ()))  # the same name, or one that starts with it
    for k in range(1, len(labels)):  # a name this one starts with
        found.update(exact.get(".".join(labels[:k]), ()))
    return [found[position] for position in sorted(found)]


def failover_partner(arch: Architecture, recs: list[Record], rec: Record, role: str) -> Tri:
    """Whether some other record can be the other half (``role``'s opposite) of ``rec``'s pair."""
    other = "SECONDARY" if role == "PRIMARY" else "PRIMARY"
    results: list[Tri] = []
    for candidate in _name_candidates(arch, recs, rec):
        if candidate is rec:
            continue
        checks = (lambda: _may_have_role(candidate, other), lambda: same_type(rec, candidate),
                  lambda: same_name(arch, rec, candidate), lambda: same_zone(arch, rec, candidate))
        result = all3(check() for check in checks)  # stops at the first False
        if result is True:
            return True
        results.append(result)
    return any3(results)


def routing_policies(rec: Record) -> list[tuple[str, int]]:
    """(policy, line) for the weighted/latency/geo/geoproximity/multivalue settings it carries."""
    out = []
    for name, policy in ROUTING_POLICIES.items():
        value = rec.get(name)
        if value is None or value == []:
            continue
        if name == "multivalue" and not any(as_bool(v) is True for _, v in possibilities(value)):
            continue
        out.append((policy, rec.line_of(name)))
    return out


__all__ = ["ROUTING_POLICIES", "Record", "failover_partner", "failover_roles", "fqdn", "records", "routing_policies",
           "same_name", "same_type", "same_zone", "unprotected_branches", "zone_name"]
