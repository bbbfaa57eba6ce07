"""Load a Terraform plan as ``terraform show -json plan.out`` writes it.

A plan already holds resolved values and final addresses (module path and instance key
included); attributes known only after apply are listed in ``after_unknown``.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from ha_lint.loaders import LoadFailure


@dataclass
class PlannedResource:
    address: str
    type: str
    values: dict[str, Any]
    unknown: dict[str, Any]  # after_unknown: attribute -> True (or nested structure)
    references: dict[str, list[str]]  # attribute -> configuration references
    line: int
    provider_region: Any = None
    # The attributes (and blocks) the configuration writes, or None when the plan has no
    # configuration for the resource: an attribute unknown after apply that it does not
    # write is one the provider computes, i.e. absent in the configuration.
    configured: frozenset[str] | None = None
    constants: frozenset[str] = frozenset()  # attribute paths the configuration writes as literals


@dataclass
class TfPlan:
    file: str
    resources: list[PlannedResource] = field(default_factory=list)
    region: str | None = None


def load(text: str, shown: str) -> TfPlan:
    try:
        doc = json.loads(text)
    except json.JSONDecodeError as exc:
        raise LoadFailure(f"not valid JSON: {exc.msg}", exc.lineno) from None
    if not isinstance(doc, dict) or not isinstance(doc.get("planned_values", {}), dict):
        raise LoadFailure("not a Terraform plan: expected an object with planned_values", 1)
    changes = {c["address"]: c for c in _list(doc.get("resource_changes"))
               if isinstance(c, dict) and isinstance(c.get("address"), str)}
    config = _dict(doc.get("configuration"))
    config_refs, provider_keys, written, constants = _configuration_references(config, _dict(doc.get("variables")))
    regions = _provider_regions(config, doc.get("variables"))
    plan = TfPlan(shown, region=regions.get("aws"))
    root = _dict(_dict(doc.get("planned_values")).get("root_module"))
    for res in _walk_modules(root):
        address = res.get("address")
        if not isinstance(address, str) or res.get("mode", "managed") != "managed":
            continue
        change = _dict(_dict(changes.get(address)).get("change"))
        unknown = _dict(change.get("after_unknown"))
        values = _dict(res.get("values"))
        key = provider_keys.get(_config_address(address), "aws")
        plan.resources.append(PlannedResource(
            address=address, type=str(res.get("type", "")), values=values, unknown=unknown,
            references=config_refs.get(_config_address(address), {}), line=_line_of(text, address),
            provider_region=regions.get(key, regions.get(key.rpartition(":")[2], regions.get("aws"))),
            configured=written.get(_config_address(address)),
            constants=constants.get(_config_address(address), frozenset()),
        ))
    return plan


def _dict(value: Any) -> dict[str, Any]:
    """``value`` if it is an object, else an empty one: a plan of the wrong shape loads as less."""
    return value if isinstance(value, dict) else {}


def _list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def _walk_modules(module: dict[str, Any], depth: int = 0) -> list[dict[str, Any]]:
    if not isinstance(module, dict) or depth > 50:
        return []
    out = [r for r in _list(module.get("resources")) if isinstance(r, dict)]
    for child in _list(module.get("child_modules")):
        out.extend(_walk_modules(child, depth + 1))
    return out


def _config_address(address: str) -> str:
    """``module.db[0].aws_db_instance.this["a"]`` -> ``module.db.aws_db_instance.this``."""
    out, depth = [], 0
    for ch in address:
        if ch == "[":
            depth += 1
        elif ch == "]":
            depth -= 1
        elif depth == 0:
            out.append(ch)
    return "".join(out)


def _configuration_references(config: Any, values: dict[str, Any]) -> tuple[dict[str, dict[str, list[str]]], dict[str, str],
                                                     dict[str, frozenset[str]], dict[str, frozenset[str]]]:
    """Per configuration address: attribute -> the references its expression makes, the
    resource's provider configuration key (``aws``, ``aws.west``, ``module.x:aws``), the
    top-level attributes and blocks its configuration writes, and the attribute paths written
    as literals: a constant, or a variable whose value is a literal of the configuration (a
    root variable left at its default, a module input given as a constant)."""
    out: dict[str, dict[str, list[str]]] = {}
    providers: dict[str, str] = {}
    written: dict[str, frozenset[str]] = {}
    constants: dict[str, frozenset[str]] = {}

    def walk(module: Any, prefix: str, depth: int, literal_inputs: set[str]) -> None:
        if not isinstance(module, dict) or depth > 50:
            return
        for res in _list(module.get("resources")):
            if not isinstance(res, dict) or not isinstance(res.get("address"), str):
                continue
            refs: dict[str, list[str]] = {}
            literal: set[str] = set()
            _expression_references(res.get("expressions"), "", refs, 0, literal)
            literal |= {path for path, found in refs.items() if _literal_input(found, literal_inputs)}
            out[f"{prefix}{res.get('address')}"] = refs
            written[f"{prefix}{res.get('address')}"] = frozenset(_dict(res.get("expressions")))
            constants[f"{prefix}{res.get('address')}"] = frozenset(literal)
            if isinstance(res.get("provider_config_key"), str):
                providers[f"{prefix}{res.get('address')}"] = res["provider_config_key"]
        for name, call in _dict(module.get("module_calls")).items():
            if isinstance(call, dict):
                inputs: dict[str, list[str]] = {}
                constant: set[str] = set()
                _expression_references(call.get("expressions"), "", inputs, 0, constant)
                constant |= {var for var, found in inputs.items() if _literal_input(found, literal_inputs)}
                # An input the call does not give is the child's variable default.
                constant |= {var for var, spec in _dict(_dict(call.get("module")).get("variables")).items()
                             if isinstance(spec, dict) and "default" in spec and var not in _dict(call.get("expressions"))}
                walk(call.get("module"), f"{prefix}module.{name}.", depth + 1, constant)

    root = _dict(_dict(config).get("root_module"))
    defaulted = {name for name, spec in _dict(root.get("variables")).items()
                 if isinstance(spec, dict) and "default" in spec
                 and _dict(values.get(name)).get("value", spec["default"]) == spec["default"]}
    walk(root or None, "", 0, defaulted)
    return out, providers, written, constants


def _literal_input(references: list[str], literal_inputs: set[str]) -> bool:
    """``["var.password"]``: the expression is the module's variable, itself a literal."""
    names = {r[4:].split(".")[0] for r in references if r.startswith("var.")}
    return len(names) == 1 and all(r.startswith("var.") for r in references) and names <= literal_inputs


def _expression_references(expressions: Any, path: str, out: dict[str, list[str]], depth: int,
                           literal: set[str]) -> None:
    """``{"subnet_ids": {"references": [...]}}``; nested blocks are lists of such maps
    (``vpc_config.subnet_ids``). ``{"constant_value": ...}`` paths go to ``literal``."""
    if not isinstance(expressions, dict) or depth > 20:
        return
    for attr, expr in expressions.items():
        sub = f"{path}.{attr}" if path else attr
        if isinstance(expr, dict) and isinstance(expr.get("references"), list):
            out.setdefault(sub, []).extend(r for r in expr["references"] if isinstance(r, str))
        elif isinstance(expr, dict) and "constant_value" in expr:
            literal.add(sub)
        elif isinstance(expr, list):
            for block in expr:
                _expression_references(block, sub, out, depth + 1, literal)


def _provider_regions(config: Any, variables: Any) -> dict[str, str]:
    """Region per AWS provider configuration key: a constant, or a root variable's value."""
    providers = _dict(_dict(config).get("provider_config"))
    variables = _dict(variables)
    out: dict[str, str] = {}
    for key, provider in providers.items():
        if not isinstance(provider, dict) or provider.get("name") not in (None, "aws"):
            continue
        expr = _dict(_dict(provider.get("expressions")).get("region"))
        region = expr.get("constant_value")
        refs = _list(expr.get("references"))
        if region is None and refs and isinstance(refs[0], str) and refs[0].startswith("var."):
            region = _dict(variables.get(refs[0][4:])).get("value")
        if isinstance(region, str):
            out[key] = region
    return out


def _line_of(text: str, address: str) -> int:
    index = text.find(f'"address": "{address}"')
    if index < 0:
        index = text.find(f'"address":"{address}"')
    return text.count("\n", 0, index) + 1 if index >= 0 else 1
