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
    config_refs, provider_keys = _configuration_references(config)
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


def _configuration_references(config: Any) -> tuple[dict[str, dict[str, list[str]]], dict[str, str]]:
    """Per configuration address: attribute -> the references its expression makes, and
    the resource's provider configuration key (``aws``, ``aws.west``, ``module.x:aws``)."""
    out: dict[str, dict[str, list[str]]] = {}
    providers: dict[str, str] = {}

    def walk(module: Any, prefix: str, depth: int) -> None:
        if not isinstance(module, dict) or depth > 50:
            return
        for res in _list(module.get("resources")):
            if not isinstance(res, dict) or not isinstance(res.get("address"), str):
                continue
            refs: dict[str, list[str]] = {}
            _expression_references(res.get("expressions"), "", refs, 0)
            out[f"{prefix}{res.get('address')}"] = refs
            if isinstance(res.get("provider_config_key"), str):
                providers[f"{prefix}{res.get('address')}"] = res["provider_config_key"]
        for name, call in _dict(module.get("module_calls")).items():
            if isinstance(call, dict):
                walk(call.get("module"), f"{prefix}module.{name}.", depth + 1)

    walk((config or {}).get("root_module") if isinstance(config, dict) else None, "", 0)
    return out, providers


def _expression_references(expressions: Any, path: str, out: dict[str, list[str]], depth: int) -> None:
    """``{"subnet_ids": {"references": [...]}}``; nested blocks are lists of such maps
    (``vpc_config.subnet_ids``)."""
    if not isinstance(expressions, dict) or depth > 20:
        return
    for attr, expr in expressions.items():
        sub = f"{path}.{attr}" if path else attr
        if isinstance(expr, dict) and isinstance(expr.get("references"), list):
            out.setdefault(sub, []).extend(r for r in expr["references"] if isinstance(r, str))
        elif isinstance(expr, list):
            for block in expr:
                _expression_references(block, sub, out, depth + 1)


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
