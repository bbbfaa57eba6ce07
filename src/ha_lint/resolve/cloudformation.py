"""Resolve a CloudFormation template's values the way CloudFormation would at deploy time.

Parameters take the user's override or their default (unknown without one); conditions
are evaluated where decidable and become a ``Choice`` where not; ``Fn::Select`` over
``Fn::GetAZs`` gives an ``AzToken`` (distinct by index even when the region is unknown).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from ha_lint.loaders.cloudformation import CfnTemplate
from ha_lint.model import CLOUDFORMATION, Resource, Workload
from ha_lint.values import UNKNOWN, AzToken, Choice, Origin, Ref, Unknown, is_known

_NO_VALUE = object()  # AWS::NoValue: the property is removed
_SUB_VAR = re.compile(r"\$\{(?!!)([^}]+)\}")
_MAX_DEPTH = 60


@dataclass
class CfnSettings:
    parameters: dict[str, str] = field(default_factory=dict)  # user overrides
    region: str | None = None


@dataclass
class _Param:
    value: Any
    origin: Origin | None


class _Context:
    def __init__(self, tpl: CfnTemplate, settings: CfnSettings) -> None:
        self.tpl = tpl
        self.settings = settings
        t = tpl.template
        self.resources = t.get("Resources") if isinstance(t.get("Resources"), dict) else {}
        self.mappings = t.get("Mappings") if isinstance(t.get("Mappings"), dict) else {}
        self.conditions_raw = t.get("Conditions") if isinstance(t.get("Conditions"), dict) else {}
        self.params = self._parameters(t.get("Parameters"))
        self.conditions: dict[str, Any] = {}
        self._evaluating: set[str] = set()

    def _parameters(self, raw: Any) -> dict[str, _Param]:
        params: dict[str, _Param] = {}
        if not isinstance(raw, dict):
            return params
        for name, spec in raw.items():
            spec = spec if isinstance(spec, dict) else {}
            ptype = str(spec.get("Type", "String"))
            line = self.tpl.lines.get(f"Parameters.{name}")
            if name in self.settings.parameters:
                value: Any = self.settings.parameters[name]
                origin = Origin(f"parameter {name} is set to {value!r}")
            elif "Default" in spec and not ptype.startswith("AWS::SSM::Parameter"):
                value = spec["Default"]
                origin = Origin(f"parameter {name} defaults to {value!r}", self.tpl.file,
                                self.tpl.lines.get(f"Parameters.{name}.Default", line))
            else:
                params[name] = _Param(UNKNOWN, None)
                continue
            if (ptype.startswith("List<") or ptype == "CommaDelimitedList") and isinstance(value, str):
                value = [v.strip() for v in value.split(",")]
            params[name] = _Param(value, origin)
        return params

    # -- conditions ----------------------------------------------------------------------

    def condition(self, name: str) -> bool | Unknown:
        if name in self.conditions:
            return self.conditions[name]
        if name in self._evaluating or name not in self.conditions_raw:
            return UNKNOWN
        self._evaluating.add(name)
        result = self.truth(self.conditions_raw[name], 0)
        self._evaluating.discard(name)
        self.conditions[name] = result
        return result

    def truth(self, expr: Any, depth: int) -> bool | Unknown:
        if depth > _MAX_DEPTH or not isinstance(expr, dict) or len(expr) != 1:
            return UNKNOWN
        (fn, arg), = expr.items()
        if fn == "Condition" and isinstance(arg, str):
            return self.condition(arg)
        if fn == "Fn::Equals" and isinstance(arg, list) and len(arg) == 2:
            a, b = (self.value(x, depth + 1) for x in arg)
            if not (is_known(a) and is_known(b)) or isinstance(a, (Ref, AzToken)) or isinstance(b, (Ref, AzToken)):
                return UNKNOWN
            return _scalar(a) == _scalar(b)
        if fn == "Fn::Not" and isinstance(arg, list) and len(arg) == 1:
            inner = self.truth(arg[0], depth + 1)
            return inner if inner is UNKNOWN else not inner
        if fn in ("Fn::And", "Fn::Or") and isinstance(arg, list):
            results = [self.truth(x, depth + 1) for x in arg]
            decisive = fn == "Fn::Or"  # True decides an Or, False decides an And
            if any(r is not UNKNOWN and r is decisive for r in results):
                return decisive
            return UNKNOWN if any(r is UNKNOWN for r in results) else not decisive
        return UNKNOWN

    # -- values --------------------------------------------------------------------------

    def value(self, node: Any, depth: int = 0) -> Any:
        if depth > _MAX_DEPTH:
            return UNKNOWN
        if isinstance(node, list):
            out = [self.value(v, depth + 1) for v in node]
            return [v for v in out if v is not _NO_VALUE]
        if not isinstance(node, dict):
            return node
        if len(node) == 1:
            (key, arg), = node.items()
            if key == "Ref" or key.startswith("Fn::") or key == "Condition":
                return self.intrinsic(key, arg, depth + 1)
        out = {k: self.value(v, depth + 1) for k, v in node.items()}
        return {k: v for k, v in out.items() if v is not _NO_VALUE}

    def intrinsic(self, fn: str, arg: Any, depth: int) -> Any:
        if fn == "Ref":
            return self.ref(arg)
        if fn == "Fn::GetAtt":
            parts = arg.split(".", 1) if isinstance(arg, str) else arg
            if isinstance(parts, list) and parts and isinstance(parts[0], str) and parts[0] in self.resources:
                attr = parts[1] if len(parts) > 1 and isinstance(parts[1], str) else None
                return Ref(parts[0], attr)
            return UNKNOWN
        if fn == "Fn::If" and isinstance(arg, list) and len(arg) == 3 and isinstance(arg[0], str):
            cond = self.condition(arg[0])
            if cond is UNKNOWN:
                return Choice(((f"condition {arg[0]} true", self.value(arg[1], depth)),
                               (f"condition {arg[0]} false", self.value(arg[2], depth))))
            return self.value(arg[1] if cond else arg[2], depth)
        if fn == "Fn::FindInMap" and isinstance(arg, list) and len(arg) >= 3:
            keys = [self.value(k, depth) for k in arg[:3]]
            if not all(isinstance(k, (str, int)) for k in keys):
                return UNKNOWN
            found: Any = self.mappings
            for k in keys:
                found = found.get(str(k)) if isinstance(found, dict) else None
            if found is None and len(arg) == 4 and isinstance(arg[3], dict):
                return self.value(arg[3].get("DefaultValue", UNKNOWN), depth)
            return UNKNOWN if found is None else self.value(found, depth)
        if fn == "Fn::Select" and isinstance(arg, list) and len(arg) == 2:
            index = self.value(arg[0], depth)
            try:
                index = int(index)
            except (TypeError, ValueError):
                return UNKNOWN
            source = arg[1]
            if isinstance(source, dict) and set(source) == {"Fn::GetAZs"}:
                region = self.value(source["Fn::GetAZs"], depth)
                if region in ("", None):
                    region = self.settings.region or ""
                return AzToken(region, index) if isinstance(region, str) else UNKNOWN
            items = self.value(source, depth)
            if isinstance(items, list) and 0 <= index < len(items):
                return items[index]
            return UNKNOWN
        if fn == "Fn::Join" and isinstance(arg, list) and len(arg) == 2:
            sep, items = self.value(arg[0], depth), self.value(arg[1], depth)
            if isinstance(sep, str) and isinstance(items, list) and all(isinstance(i, (str, int, float)) and not isinstance(i, bool) for i in items):
                return sep.join(str(i) for i in items)
            return UNKNOWN
        if fn == "Fn::Split" and isinstance(arg, list) and len(arg) == 2:
            sep, text = self.value(arg[0], depth), self.value(arg[1], depth)
            if isinstance(sep, str) and sep and isinstance(text, str):
                return text.split(sep)
            return UNKNOWN
        if fn == "Fn::Sub":
            return self.sub(arg, depth)
        return UNKNOWN  # Fn::ImportValue, Fn::Base64, Fn::Cidr, Fn::Transform ...

    def ref(self, name: Any) -> Any:
        if not isinstance(name, str):
            return UNKNOWN
        if name in self.params:
            return self.params[name].value
        if name in self.resources:
            return Ref(name)
        if name == "AWS::NoValue":
            return _NO_VALUE
        if name == "AWS::Region" and self.settings.region:
            return self.settings.region
        return UNKNOWN

    def sub(self, arg: Any, depth: int) -> Any:
        if isinstance(arg, list) and len(arg) == 2 and isinstance(arg[1], dict):
            text, extra = arg[0], {k: self.value(v, depth) for k, v in arg[1].items()}
        else:
            text, extra = arg, {}
        if not isinstance(text, str):
            return UNKNOWN
        unknown = False

        def replace(match: re.Match[str]) -> str:
            nonlocal unknown
            name = match.group(1)
            value = extra[name] if name in extra else (self.ref(name) if "." not in name else UNKNOWN)
            if isinstance(value, (str, int, float)) and not isinstance(value, bool):
                return str(value)
            unknown = True
            return ""

        result = _SUB_VAR.sub(replace, text)
        return UNKNOWN if unknown else result.replace("${!", "${")


def _scalar(value: Any) -> Any:
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, (int, float)):
        return str(value)
    return value


def references(node: Any, path: str = "") -> list[tuple[str, str, str | None]]:
    """Every (property path, target logical ID or parameter, attribute) a raw value names."""
    out: list[tuple[str, str, str | None]] = []
    stack: list[tuple[Any, str]] = [(node, path)]
    while stack:
        value, where = stack.pop()
        if isinstance(value, dict):
            if len(value) == 1:
                (key, arg), = value.items()
                if key == "Ref" and isinstance(arg, str):
                    out.append((where, arg, None))
                    continue
                if key == "Fn::GetAtt":
                    parts = arg.split(".", 1) if isinstance(arg, str) else arg
                    if isinstance(parts, list) and parts and isinstance(parts[0], str):
                        attr = parts[1] if len(parts) > 1 and isinstance(parts[1], str) else None
                        out.append((where, parts[0], attr))
                    continue
                if key == "Fn::Sub":
                    text = arg[0] if isinstance(arg, list) and arg else arg
                    if isinstance(text, str):
                        for var in _SUB_VAR.findall(text):
                            target, _, attr = var.partition(".")
                            out.append((where, target, attr or None))
                    if isinstance(arg, list) and len(arg) > 1:
                        stack.append((arg[1], where))
                    continue
            for k, v in value.items():
                stack.append((v, f"{where}.{k}" if where and not k.startswith("Fn::") else (where or k)))
        elif isinstance(value, list):
            for v in value:
                stack.append((v, where))
    return out


def resolve(tpl: CfnTemplate, settings: CfnSettings) -> tuple[Workload, list[Resource]]:
    ctx = _Context(tpl, settings)
    metadata = tpl.template.get("Metadata") if isinstance(tpl.template.get("Metadata"), dict) else {}
    workload = Workload(tpl.file, CLOUDFORMATION, tpl.file, metadata)
    globals_ = _sam_globals(tpl.template)
    resources: list[Resource] = []
    for logical_id, body in ctx.resources.items():
        if not isinstance(body, dict) or not isinstance(body.get("Type"), str):
            continue
        condition = body.get("Condition")
        if isinstance(condition, str) and ctx.condition(condition) is False:
            continue  # never created
        rtype = body["Type"]
        raw_props = body.get("Properties") if isinstance(body.get("Properties"), dict) else {}
        if rtype in globals_:
            raw_props = _merge(globals_[rtype], raw_props)
        props = ctx.value(raw_props)
        base = f"Resources.{logical_id}.Properties"
        lines = {k[len(base) + 1:]: v for k, v in tpl.lines.items() if k.startswith(base + ".")}
        origins = {}
        for key, raw in raw_props.items():
            if isinstance(raw, dict) and set(raw) == {"Ref"} and isinstance(raw["Ref"], str) and raw["Ref"] in ctx.params:
                origin = ctx.params[raw["Ref"]].origin
                if origin:
                    origins[key] = origin
        meta = {k: body[k] for k in ("DeletionPolicy", "UpdateReplacePolicy", "Metadata", "Condition") if k in body}
        if isinstance(condition, str) and ctx.condition(condition) is UNKNOWN:
            meta["condition_unknown"] = condition
        depends = body.get("DependsOn")
        refs = [(p, t, a) for p, t, a in references(raw_props) if t in ctx.resources]
        refs += [("DependsOn", d, None) for d in ([depends] if isinstance(depends, str) else depends or [])
                 if isinstance(d, str) and d in ctx.resources]
        meta["references"] = refs
        meta["region"] = settings.region or UNKNOWN
        resources.append(Resource(
            address=logical_id, type=rtype, source=CLOUDFORMATION, file=tpl.file,
            line=tpl.lines.get(f"Resources.{logical_id}", 1), workload=workload.id,
            props=props, lines=lines, origins=origins, meta=meta,
        ))
    return workload, resources


_SAM_GLOBAL_TYPES = {
    "Function": "AWS::Serverless::Function", "Api": "AWS::Serverless::Api",
    "HttpApi": "AWS::Serverless::HttpApi", "SimpleTable": "AWS::Serverless::SimpleTable",
    "StateMachine": "AWS::Serverless::StateMachine", "LayerVersion": "AWS::Serverless::LayerVersion",
}


def _sam_globals(template: dict[str, Any]) -> dict[str, dict[str, Any]]:
    raw = template.get("Globals")
    if not isinstance(raw, dict):
        return {}
    return {_SAM_GLOBAL_TYPES[k]: v for k, v in raw.items() if k in _SAM_GLOBAL_TYPES and isinstance(v, dict)}


def _merge(base: dict[str, Any], override: dict[str, Any]) -> dict[str, Any]:
    """SAM Globals: maps merge, everything else is replaced by the resource's own value."""
    out = dict(base)
    for key, value in override.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = _merge(out[key], value)
        else:
            out[key] = value
    return out
