"""A Terraform plan's resources: values are already resolved; unknowns marked, refs kept.

``terraform show -json plan.out`` gives every resource instance with its final address
(module path and instance key) and the values known at plan time; what is known only after
apply (``after_unknown``) is ``UNKNOWN``. The configuration part says which resources each
attribute refers to: those become graph references, and an attribute whose value is unknown
(``subnet_id = aws_subnet.a.id`` on a new subnet) holds ``Ref``s to them. An attribute
known only after apply that the configuration does not write is one the provider computes:
it is absent, as in the HCL, so the provider's default applies (``backup_retention_period``
left unset is 1 day, not unknown). ``meta.computed_paths`` lists the attributes the
configuration computes from inputs (a ``-var``, a resource): their planned values were not
written in the template (SC501).
"""

from __future__ import annotations

from typing import Any

from ha_lint.loaders.tfplan import TfPlan, _config_address
from ha_lint.model import TERRAFORM, Resource, ResourceMeta, Workload
from ha_lint.values import UNKNOWN, Ref


def resolve(plan: TfPlan, region: str | None) -> tuple[Workload, list[Resource]]:
    workload = Workload(plan.file, TERRAFORM, plan.file, {})
    instances = {r.address for r in plan.resources}
    addresses = instances | {_config_address(r.address) for r in plan.resources}
    out: list[Resource] = []
    for planned in plan.resources:
        props = _with_unknowns(planned.values, planned.unknown)
        if planned.configured is not None:  # computed by the provider, not written: absent, as in the HCL
            props = {k: v for k, v in props.items() if not (v is UNKNOWN and k not in planned.configured)}
        module = planned.address.rsplit(planned.type + ".", 1)[0]
        references: list[tuple[str, str, str | None]] = []
        for path, refs in planned.references.items():
            found = [t for t in (_target(module + ref, addresses) for ref in refs) if t]
            by_address = {t.address: t for t in reversed(found)}  # the first reference to each wins
            targets = [by_address[a] for a in dict.fromkeys(t.address for t in found)
                       if a not in (planned.address, _config_address(planned.address))]
            references += [(path, t.address, t.attribute) for t in targets]
            if targets:
                # One instance in a list attribute is a list of one; a reference to every
                # instance of a counted resource stays one Ref (the graph finds them all).
                one = len(targets) == 1 and not (_plural(path) and targets[0].address in instances)
                _fill_unknown(props, path.split("."), targets[0] if one else targets)
        meta = ResourceMeta(region=planned.provider_region or plan.region or region or UNKNOWN,
                            module=module.rstrip("."), references=references)
        if planned.configured is not None:
            # Attribute paths the configuration computes from an expression (a variable, a
            # resource, a function): their planned values are inputs, not literals written here.
            meta.computed_paths = tuple(sorted(set(planned.references) - planned.constants))
        out.append(Resource(address=planned.address, type=planned.type, source=TERRAFORM, file=plan.file,
                            line=planned.line, workload=workload.id, props=props, meta=meta))
    return workload, out


def _plural(path: str) -> bool:
    """A list-valued attribute by its name (``subnet_ids``, ``subnets``, ``security_groups``,
    ``vpc_zone_identifier``): one reference there is a list of one, not a scalar."""
    leaf = path.rsplit(".", 1)[-1]
    return leaf.endswith(("_ids", "_arns", "subnets", "groups", "zones")) or leaf == "vpc_zone_identifier"


def _target(reference: str, addresses: set[str]) -> Ref | None:
    """``aws_subnet.a.id`` -> Ref to the planned resource ``aws_subnet.a`` (every instance of
    it when it has several: the graph finds them by their common address)."""
    parts = reference.split(".")
    for cut in range(len(parts), 1, -1):
        candidate = ".".join(parts[:cut])
        if candidate in addresses:
            return Ref(candidate, ".".join(parts[cut:]) or None)
    return None


def _fill_unknown(props: Any, path: list[str], value: Any) -> None:
    """Put the references where the plan only knows the value after apply."""
    if isinstance(props, list):
        for item in props:
            _fill_unknown(item, path, value)
        return
    if not isinstance(props, dict) or not path:
        return
    key, rest = path[0], path[1:]
    if rest:
        _fill_unknown(props.get(key), rest, value)
        return
    current = props.get(key)
    if current is None or current is UNKNOWN or (isinstance(current, list) and current
                                                 and all(v is UNKNOWN for v in current)):
        props[key] = value


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
