"""A Terraform plan's resources: values are already resolved; unknowns marked, refs kept."""

from __future__ import annotations

from typing import Any

from ha_lint.loaders.tfplan import TfPlan, _config_address
from ha_lint.model import TERRAFORM, Resource, Workload
from ha_lint.values import UNKNOWN, Ref


def resolve(plan: TfPlan, region: str | None) -> tuple[Workload, list[Resource]]:
    workload = Workload(plan.file, TERRAFORM, plan.file, {})
    addresses = {_config_address(r.address): r.address for r in plan.resources}
    out: list[Resource] = []
    for planned in plan.resources:
        props = _with_unknowns(planned.values, planned.unknown)
        module = planned.address.rsplit(planned.type + ".", 1)[0]
        for attr, refs in planned.references.items():
            targets = [_target(module + ref, addresses) for ref in refs]
            targets = [t for t in targets if t]
            if targets and props.get(attr) in (None, UNKNOWN):
                props[attr] = targets[0] if len(targets) == 1 else targets
        meta = {"region": plan.region or region or UNKNOWN, "module": module.rstrip(".")}
        out.append(Resource(address=planned.address, type=planned.type, source=TERRAFORM, file=plan.file,
                            line=planned.line, workload=workload.id, props=props, meta=meta))
    return workload, out


def _target(reference: str, addresses: dict[str, str]) -> Ref | None:
    """``aws_subnet.a.id`` -> Ref to the planned resource ``aws_subnet.a``."""
    parts = reference.split(".")
    for cut in range(len(parts), 1, -1):
        candidate = ".".join(parts[:cut])
        if candidate in addresses:
            attr = ".".join(parts[cut:]) or None
            return Ref(addresses[candidate], attr)
    return None


def _with_unknowns(values: Any, unknown: Any) -> Any:
    if unknown is True:
        return UNKNOWN
    if isinstance(values, dict):
        out = {k: _with_unknowns(v, unknown.get(k) if isinstance(unknown, dict) else None) for k, v in values.items()}
        if isinstance(unknown, dict):
            for k, v in unknown.items():
                if v is True and out.get(k) is None:
                    out[k] = UNKNOWN
        return {k: v for k, v in out.items() if v is not None}
    if isinstance(values, list):
        return [_with_unknowns(v, unknown[i] if isinstance(unknown, list) and i < len(unknown) else None)
                for i, v in enumerate(values)]
    return values
