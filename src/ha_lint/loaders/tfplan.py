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
    changes = {c.get("address"): c for c in doc.get("resource_changes", []) or [] if isinstance(c, dict)}
    config_refs = _configuration_references(doc.get("configuration", {}))
    plan = TfPlan(shown, region=_provider_region(doc.get("configuration", {})))
    root = (doc.get("planned_values") or {}).get("root_module") or {}
    for res in _walk_modules(root):
        address = res.get("address")
        if not isinstance(address, str) or res.get("mode", "managed") != "managed":
            continue
        change = changes.get(address, {}).get("change", {}) if isinstance(changes.get(address), dict) else {}
        unknown = change.get("after_unknown") if isinstance(change.get("after_unknown"), dict) else {}
        values = res.get("values") if isinstance(res.get("values"), dict) else {}
        plan.resources.append(PlannedResource(
            address=address, type=str(res.get("type", "")), values=values, unknown=unknown,
            references=config_refs.get(_config_address(address), {}), line=_line_of(text, address),
        ))
    return plan


def _walk_modules(module: dict[str, Any], depth: int = 0) -> list[dict[str, Any]]:
    if not isinstance(module, dict) or depth > 50:
        return []
    out = [r for r in module.get("resources", []) or [] if isinstance(r, dict)]
    for child in module.get("child_modules", []) or []:
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


def _configuration_references(config: Any) -> dict[str, dict[str, list[str]]]:
    out: dict[str, dict[str, list[str]]] = {}

    def walk(module: Any, prefix: str, depth: int) -> None:
        if not isinstance(module, dict) or depth > 50:
            return
        for res in module.get("resources", []) or []:
            if not isinstance(res, dict):
                continue
            refs: dict[str, list[str]] = {}
            for attr, expr in (res.get("expressions") or {}).items():
                if isinstance(expr, dict) and isinstance(expr.get("references"), list):
                    refs[attr] = [r for r in expr["references"] if isinstance(r, str)]
            out[f"{prefix}{res.get('address')}"] = refs
        for name, call in (module.get("module_calls") or {}).items():
            if isinstance(call, dict):
                walk(call.get("module"), f"{prefix}module.{name}.", depth + 1)

    walk((config or {}).get("root_module") if isinstance(config, dict) else None, "", 0)
    return out


def _provider_region(config: Any) -> str | None:
    providers = config.get("provider_config") if isinstance(config, dict) else None
    aws = providers.get("aws") if isinstance(providers, dict) else None
    region = (((aws or {}).get("expressions") or {}).get("region") or {}).get("constant_value")
    return region if isinstance(region, str) else None


def _line_of(text: str, address: str) -> int:
    index = text.find(f'"address": "{address}"')
    if index < 0:
        index = text.find(f'"address":"{address}"')
    return text.count("\n", 0, index) + 1 if index >= 0 else 1
