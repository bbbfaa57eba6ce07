"""Resolve a CloudFormation template's values the way CloudFormation would at deploy time.

- Parameters take the user's override (``--parameter``, ``--parameter-file``), else their
  default, else they are unknown. ``AWS::SSM::Parameter::Value<...>`` parameters are always
  unknown (the default is a parameter *name*). ``AllowedValues`` are not enumerated.
- Pseudo parameters: ``AWS::Region`` (and ``AWS::Partition``, ``AWS::URLSuffix``) come from
  ``--region``; the others are unknown. ``AWS::NoValue`` removes the property.
- Conditions are evaluated where decidable; ``Fn::If`` on an undecidable condition becomes a
  ``Choice`` whose branches are labelled ``condition IsProd true`` / ``... false``.
- ``Fn::FindInMap``, ``Fn::Select``, ``Fn::Join``, ``Fn::Split``, ``Fn::Sub``, ``Fn::Length``
  evaluate on known arguments. ``Fn::GetAZs`` is the region's AZ list as ``AzToken``s, so
  ``!Select [0, !GetAZs '']`` and ``!Select [1, !GetAZs '']`` are two distinct AZs even when
  the region is unknown.
- A whole property chosen by ``Fn::If`` on an undecidable condition is read through: its
  nested settings are choices too, and ``AWS::NoValue``'s branch has the provider default.
- ``Fn::GetAtt`` is a ``Ref`` to the target, except for the attributes that echo one of the
  target's own properties (``Subnet.AvailabilityZone``, ``Subnet.VpcId``, ``SSM Parameter.Value``
  ...): those are the property's resolved value.
- SAM ``Globals`` are merged into the serverless resources they apply to, as the SAM
  translator merges them: maps key by key, lists concatenated (Globals' entries first), any
  other value (an intrinsic function included) replaced by the resource's own.
- ``Fn::ForEach`` loops (``AWS::LanguageExtensions``) make their resources, one per item of
  a known collection, with the loop body's lines; ``Fn::Cidr`` carves its blocks.
- Every property whose value came from somewhere else (a parameter, a mapping, a condition)
  carries an ``Origin`` naming the file and line it came from.

Nested stacks (``AWS::CloudFormation::Stack`` with a local ``TemplateURL``, SAM
``AWS::Serverless::Application`` with a local ``Location``): decision: each template stays its
own workload (a stack is its own failure and deployment unit), but a template that another
scanned template nests is not resolved on its own defaults. It is resolved once per nesting
stack, with the parameters that stack passes (``expand_nested_stacks``), as Terraform child
modules are. ``--parameter`` overrides apply to the top-level templates only.
"""

from __future__ import annotations

import json
import os
import re
from collections import Counter
from contextlib import nullcontext
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, ContextManager, Iterator

from ha_lint import kinds
from ha_lint.loaders import LoadFailure
from ha_lint.loaders.cloudformation import CfnTemplate
from ha_lint.model import CLOUDFORMATION, NestedStack, Resource, ResourceMeta, ScanWarning, Workload
from ha_lint.resolve import chain, show
from ha_lint.root import RepositoryRoot
from ha_lint.values import UNKNOWN, AzToken, Choice, Origin, Ref, Unknown, is_known, map_leaves, same_known_value

_NO_VALUE = object()  # AWS::NoValue: the property is removed
_SUB_VAR = re.compile(r"\$\{(?!!)([^}]+)\}")
_MAX_DEPTH = 60
_AZS_ASSUMED = 3  # Fn::GetAZs: every commercial region has at least 3 AZs (us-west-1 excepted)
# Fn::Join and Fn::Sub: one result, and all of a template's (or deployment's) results together, in
# characters. A 400 KB template joining a 100,000-item split with a 200,000-character separator
# asked for 20 GB; each is counted before it is built, and past it the value is unknown.
MAX_TEXT = 1_000_000
MAX_TEXT_BUILT = 20_000_000
MAX_NESTED_DEPTH = 8
# Resources of one deployment: a top-level template and every stack it nests, each instantiation
# counted (8 stacks nesting 8 nesting 7 make 448 leaves). The same bound as a Terraform root module's.
MAX_DEPLOYMENT_RESOURCES = 50_000
MAX_DEPLOYMENT_VALUES = 500_000  # ... and their property values (one big resource nested 448 times)

# Fn::GetAtt attributes that are one of the target's own properties (type -> attribute -> path).
_ECHOED_ATTRIBUTES: dict[str, dict[str, str]] = {
    "AWS::EC2::Subnet": {"AvailabilityZone": "AvailabilityZone", "AvailabilityZoneId": "AvailabilityZoneId",
                         "VpcId": "VpcId", "CidrBlock": "CidrBlock"},
    "AWS::EC2::VPC": {"CidrBlock": "CidrBlock"},
    "AWS::EC2::Instance": {"AvailabilityZone": "AvailabilityZone"},
    "AWS::EC2::SecurityGroup": {"VpcId": "VpcId"},
    "AWS::SSM::Parameter": {"Value": "Value", "Type": "Type"},
    "AWS::SQS::Queue": {"QueueName": "QueueName"},
    "AWS::SNS::Topic": {"TopicName": "TopicName"},
    "AWS::RDS::DBInstance": {"Endpoint.Port": "Port"},
    "AWS::RDS::DBCluster": {"Endpoint.Port": "Port"},
}
_NESTED_TYPES = {"AWS::CloudFormation::Stack": "TemplateURL", "AWS::Serverless::Application": "Location"}


@dataclass
class CfnSettings:
    parameters: dict[str, Any] = field(default_factory=dict)  # user overrides; None = unknown
    region: str | None = None
    parameter_origins: dict[str, Origin] = field(default_factory=dict)  # where each override was written
    # A nested stack: the values its parent passes (replaces ``parameters``).
    passed: dict[str, tuple[Any, Origin | None]] | None = None
    stack_name: str | None = None  # AWS::StackName, when the stack is declared (``stacks:``, a CDK assembly)
    account: str | None = None  # AWS::AccountId (a CDK environment)
    imports: dict[str, "Export"] = field(default_factory=dict)  # export name -> what another scanned stack exports
    # Characters Fn::Join / Fn::Sub may still build ([left]): shared by a deployment's stacks.
    text_budget: list[int] = field(default_factory=lambda: [MAX_TEXT_BUILT])


@dataclass(frozen=True)
class Export:
    """A value a stack exports (``Outputs.X.Export.Name``) for other stacks' ``Fn::ImportValue``.
    Its ``Ref``s name the exporting workload, so an import becomes an edge across stacks."""

    name: str
    value: Any
    origin: Origin  # "exported by stack vpc as 'vpc-SubnetsPrivate'", at the Outputs entry
    workload: str


@dataclass(frozen=True)
class Joined:
    """An exported ``Fn::Join`` of resource IDs (``!Join [',', [!Ref SubnetA, !Ref SubnetB]]``):
    not text, but ``Fn::Split`` on the same separator in the importing stack gives the IDs back."""

    separator: str
    items: tuple[Any, ...]


@dataclass(frozen=True)
class Import:
    """One ``Fn::ImportValue`` of a template: the export name (None when it does not resolve)."""

    name: str | None
    written: str  # the name as written, for messages
    line: int


# Workload.metadata keys: the stack's exports (name -> Export) and its imports (list of Import).
EXPORTS_KEY = "_ha_lint_exports"
IMPORTS_KEY = "_ha_lint_imports"


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
        self._getatt_busy: set[tuple[str, str]] = set()
        self.exporting = False  # evaluating an Output's value: a Join of resource IDs is kept as Joined
        self.warnings: list[ScanWarning] = []
        self.line: int | None = None  # of the resource being resolved, for warnings

    def _parameters(self, raw: Any) -> dict[str, _Param]:
        params: dict[str, _Param] = {}
        if not isinstance(raw, dict):
            return params
        passed = self.settings.passed
        for name, spec in raw.items():
            spec = spec if isinstance(spec, dict) else {}
            ptype = str(spec.get("Type", "String"))
            line = self.tpl.lines.get(f"Parameters.{name}")
            origin: Origin | None
            if passed is not None and name in passed:
                value, origin = passed[name]
            elif passed is None and name in self.settings.parameters:
                value = self.settings.parameters[name]
                origin = self.settings.parameter_origins.get(name) or Origin(
                    f"parameter {name} is set to {value!r} (--parameter)")
            elif "Default" in spec:
                value = spec["Default"]
                origin = Origin(f"parameter {name} defaults to {value!r}", self.tpl.file,
                                self.tpl.lines.get(f"Parameters.{name}.Default", line))
            else:
                value, origin = UNKNOWN, None
            if value is None or ptype.startswith("AWS::SSM::Parameter"):
                value, origin = UNKNOWN, None  # an SSM parameter's value is read at deploy time
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
            if not (is_known(a) and is_known(b)) or _opaque(a) or _opaque(b):
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
            target = _getatt_target(arg)
            return self.getatt(*target, depth) if target else UNKNOWN
        if fn == "Fn::If" and isinstance(arg, list) and len(arg) == 3 and isinstance(arg[0], str):
            cond = self.condition(arg[0])
            if cond is UNKNOWN:
                return _choice(((f"condition {arg[0]} true", self.value(arg[1], depth)),
                                (f"condition {arg[0]} false", self.value(arg[2], depth))))
            return self.value(arg[1] if cond else arg[2], depth)
        if fn == "Fn::FindInMap" and isinstance(arg, list) and len(arg) >= 3:
            found = self.find_in_map(arg, depth)
            if found is None and len(arg) == 4 and isinstance(arg[3], dict):
                return self.value(arg[3].get("DefaultValue", UNKNOWN), depth)
            return UNKNOWN if found is None else self.value(found[0], depth)
        if fn == "Fn::GetAZs":
            region = self.azs_region(arg, depth)
            return UNKNOWN if region is UNKNOWN else \
                [AzToken(region, i, source=_get_azs_text(arg)) for i in range(_AZS_ASSUMED)]
        if fn == "Fn::Select" and isinstance(arg, list) and len(arg) == 2:
            index = self.value(arg[0], depth)
            try:
                index = int(index)
            except (TypeError, ValueError):
                return UNKNOWN
            source = arg[1]
            if isinstance(source, dict) and set(source) == {"Fn::GetAZs"}:
                region = self.azs_region(source["Fn::GetAZs"], depth)
                return UNKNOWN if region is UNKNOWN or index < 0 else \
                    AzToken(region, index, source=_get_azs_text(source["Fn::GetAZs"]))
            items = self.value(source, depth)
            if isinstance(items, list) and 0 <= index < len(items):
                return items[index]
            return UNKNOWN
        if fn == "Fn::Join" and isinstance(arg, list) and len(arg) == 2:
            sep, items = self.value(arg[0], depth), self.value(arg[1], depth)
            if isinstance(sep, str) and isinstance(items, list) and all(_is_text(i) for i in items):
                texts = [_text(i) for i in items]
                size = sum(map(len, texts)) + len(sep) * max(len(texts) - 1, 0)
                return sep.join(texts) if self.may_build("Fn::Join", size) else UNKNOWN
            if self.exporting and isinstance(sep, str) and sep and isinstance(items, list) \
                    and all(_is_text(i) or isinstance(i, Ref) for i in items):
                return Joined(sep, tuple(items))
            return UNKNOWN
        if fn == "Fn::Split" and isinstance(arg, list) and len(arg) == 2:
            sep, text = self.value(arg[0], depth), self.value(arg[1], depth)
            joined = self.imported(arg[1]["Fn::ImportValue"], depth) \
                if isinstance(arg[1], dict) and set(arg[1]) == {"Fn::ImportValue"} else None
            if joined is not None and isinstance(joined.value, Joined) and joined.value.separator == sep:
                return list(joined.value.items)
            if isinstance(sep, str) and sep and isinstance(text, str):
                return text.split(sep)
            return UNKNOWN
        if fn == "Fn::Length":
            items = self.value(arg, depth)
            return len(items) if isinstance(items, list) else UNKNOWN
        if fn == "Fn::Sub":
            return self.sub(arg, depth)
        if fn == "Fn::Cidr" and isinstance(arg, list) and len(arg) == 3:
            return _cidr(*(self.value(a, depth) for a in arg))
        if fn == "Fn::ImportValue":
            found = self.imported(arg, depth)
            return UNKNOWN if found is None or isinstance(found.value, Joined) else found.value
        return UNKNOWN  # Fn::Base64, Fn::Transform ...

    def imported(self, arg: Any, depth: int) -> Export | None:
        """What another scanned stack exports under the name ``arg`` evaluates to, if any."""
        name = self.value(arg, depth + 1)
        return self.settings.imports.get(name) if isinstance(name, str) else None

    def ref(self, name: Any) -> Any:
        if not isinstance(name, str):
            return UNKNOWN
        if name in self.params:
            return self.params[name].value
        if name in self.resources:
            return Ref(name)
        if name == "AWS::NoValue":
            return _NO_VALUE
        region = self.settings.region
        if name == "AWS::Region" and region:
            return region
        if name == "AWS::StackName" and self.settings.stack_name:
            return self.settings.stack_name
        if name == "AWS::AccountId" and self.settings.account:
            return self.settings.account
        if name == "AWS::Partition" and region:
            return "aws-cn" if region.startswith("cn-") else "aws-us-gov" if region.startswith("us-gov-") else "aws"
        if name == "AWS::URLSuffix" and region:
            return "amazonaws.com.cn" if region.startswith("cn-") else "amazonaws.com"
        return UNKNOWN

    def getatt(self, target: str, attribute: str | None, depth: int) -> Any:
        """A Ref to the target, or the target's property when the attribute echoes one."""
        body = self.resources.get(target)
        if not isinstance(body, dict):
            return UNKNOWN
        path = _ECHOED_ATTRIBUTES.get(str(body.get("Type")), {}).get(attribute or "")
        props = body.get("Properties") if isinstance(body.get("Properties"), dict) else {}
        key = (target, attribute or "")
        if path and path in props and key not in self._getatt_busy:
            self._getatt_busy.add(key)
            try:
                value = self.value(props[path], depth + 1)
            finally:
                self._getatt_busy.discard(key)
            if value is not UNKNOWN and value is not _NO_VALUE:
                return value
        elif path == "Port" and "Port" not in props and "Engine" in props:
            # No Port written: the engine's default (what CDK's connections.allowDefaultPortFrom writes).
            port = kinds.engine_port(self.value(props["Engine"], depth + 1))
            if port is not None:
                return str(port)
        return Ref(target, attribute)

    def find_in_map(self, arg: list[Any], depth: int) -> tuple[Any, str] | None:
        """(raw value, path under Mappings) for known keys, else None."""
        keys = [self.value(k, depth) for k in arg[:3]]
        if not all(isinstance(k, (str, int)) and not isinstance(k, bool) for k in keys):
            return None
        found: Any = self.mappings
        for k in keys:
            found = found.get(str(k)) if isinstance(found, dict) else None
        return None if found is None else (found, ".".join(str(k) for k in keys))

    def azs_region(self, arg: Any, depth: int) -> str | Unknown:
        """The region tag of a ``Fn::GetAZs``: "" is the stack's own region (named or not)."""
        if arg == {"Ref": "AWS::Region"}:
            return self.settings.region or ""
        region = self.value(arg, depth)
        if region in ("", None):
            return self.settings.region or ""
        return region if isinstance(region, str) else UNKNOWN

    def sub(self, arg: Any, depth: int) -> Any:
        if isinstance(arg, list) and len(arg) == 2 and isinstance(arg[1], dict):
            text, extra = arg[0], {k: self.value(v, depth) for k, v in arg[1].items()}
        else:
            text, extra = arg, {}
        if not isinstance(text, str):
            return UNKNOWN
        unknown = False
        size = len(text)

        def replace(match: re.Match[str]) -> str:
            nonlocal unknown, size
            name = match.group(1).strip()
            if name in extra:
                value = extra[name]
            elif "." in name:
                target, _, attr = name.partition(".")
                value = self.getatt(target, attr, depth) if target in self.resources else UNKNOWN
            else:
                value = self.ref(name)
            if not _is_text(value):
                unknown = True
                return ""
            size += len(_text(value))
            return _text(value) if size <= MAX_TEXT else ""  # past it only counted: the result is unknown

        result = _SUB_VAR.sub(replace, text)
        if unknown and size <= MAX_TEXT:
            return UNKNOWN
        return result.replace("${!", "${") if self.may_build("Fn::Sub", size) else UNKNOWN

    def may_build(self, fn: str, size: int) -> bool:
        """Whether ``fn`` may build a text of ``size`` characters (counted if so); if not, a
        warning says so and the value is unknown."""
        budget = self.settings.text_budget
        if size <= MAX_TEXT and size <= budget[0]:
            budget[0] -= size
            return True
        what = (f"{fn} would make {size:,} characters, more than the {MAX_TEXT:,} ha-lint builds" if size > MAX_TEXT
                else f"{fn}: the template's functions have built {MAX_TEXT_BUILT:,} characters, all that ha-lint "
                     "builds for one template (and the stacks it nests)")
        warning = ScanWarning("value-too-large", f"{what}; the value is unknown", self.tpl.file, self.line)
        if warning not in self.warnings and not (size <= MAX_TEXT and budget[0] < 0):
            self.warnings.append(warning)
        if size <= MAX_TEXT:
            budget[0] = -1  # spent: said once, where it ran out
        return False

    # -- origins -------------------------------------------------------------------------

    def explain(self, node: Any, depth: int = 0) -> list[Origin]:
        """Where the value of a raw expression comes from: parameters, mappings, conditions."""
        if depth > _MAX_DEPTH:
            return []
        if isinstance(node, list):
            return [o for item in node for o in self.explain(item, depth + 1)]
        if not isinstance(node, dict) or len(node) != 1:
            return []
        (fn, arg), = node.items()
        if fn == "Ref":
            if isinstance(arg, str) and arg in self.params:
                origin = self.params[arg].origin
                return [origin] if origin else []
            if arg == "AWS::Region" and self.settings.region:
                return [Origin(f"AWS::Region is {self.settings.region!r} (--region)")]
            return []
        if fn == "Fn::ImportValue":
            found = self.imported(arg, depth)
            return [*self.explain(arg, depth + 1), found.origin] if found else []
        if fn == "Fn::If" and isinstance(arg, list) and len(arg) == 3 and isinstance(arg[0], str):
            cond = self.condition(arg[0])
            if cond is UNKNOWN:
                return []  # a Choice: its branch labels say which condition
            taken, other = (arg[1], arg[2]) if cond else (arg[2], arg[1])
            if same_known_value(self.value(taken, depth + 1), self.value(other, depth + 1)):
                return self.explain(taken, depth + 1)  # the same either way: the condition decides nothing
            return (self.condition_origins(arg[0], set()) + [Origin(
                f"condition {arg[0]} is {str(cond).lower()}", self.tpl.file, self.tpl.lines.get(f"Conditions.{arg[0]}"))]
                + self.explain(taken, depth + 1))
        if fn == "Fn::FindInMap" and isinstance(arg, list) and len(arg) >= 3:
            found = self.find_in_map(arg, depth)
            keys = [o for k in arg[:3] for o in self.explain(k, depth + 1)]
            if found is None:
                return keys
            value = self.value(found[0], depth + 1)
            return keys + [Origin(f"mapping {arg[0]}.{found[1].partition('.')[2]} is {show(value)}",
                                  self.tpl.file, self.tpl.lines.get(f"Mappings.{found[1]}"))]
        if fn == "Fn::GetAtt":
            target = _getatt_target(arg)
            body = self.resources.get(target[0]) if target else None
            if not target or not isinstance(body, dict):
                return []
            path = _ECHOED_ATTRIBUTES.get(str(body.get("Type")), {}).get(target[1] or "")
            props = body.get("Properties") if isinstance(body.get("Properties"), dict) else {}
            key = (target[0], target[1] or "")
            if not path or path not in props or key in self._getatt_busy \
                    or self.getatt(target[0], target[1], depth) == Ref(target[0], target[1]):
                return []  # not an echoed attribute (or one defined by itself)
            line = self.tpl.lines.get(f"Resources.{target[0]}.Properties.{path}")
            self._getatt_busy.add(key)
            try:
                inner = self.explain(props[path], depth + 1)
            finally:
                self._getatt_busy.discard(key)
            return inner + [Origin(f"{target[0]}.{target[1]} is {target[0]}'s {path} property", self.tpl.file, line)]
        if fn == "Fn::Sub":
            text = arg[0] if isinstance(arg, list) and arg else arg
            names = [n.strip() for n in _SUB_VAR.findall(text)] if isinstance(text, str) else []
            extra = arg[1] if isinstance(arg, list) and len(arg) == 2 and isinstance(arg[1], dict) else {}
            out = [o for n in names if n in extra for o in self.explain(extra[n], depth + 1)]
            return out + [o for n in names if n not in extra for o in self.explain({"Ref": n}, depth + 1)]
        if fn.startswith("Fn::"):
            return self.explain(arg, depth + 1)
        return []

    def condition_origins(self, name: str, seen: set[str]) -> list[Origin]:
        """The parameters a condition reads (through other conditions too)."""
        if name in seen or name not in self.conditions_raw:
            return []
        seen.add(name)
        out: list[Origin] = []
        stack = [self.conditions_raw[name]]
        while stack:
            node = stack.pop()
            if isinstance(node, list):
                stack.extend(reversed(node))
            elif isinstance(node, dict):
                if len(node) == 1 and "Condition" in node and isinstance(node["Condition"], str):
                    out += self.condition_origins(node["Condition"], seen)
                elif len(node) == 1 and "Ref" in node:
                    out += self.explain(node)
                else:
                    stack.extend(reversed(list(node.values())))
        return out


def _cidr(block: Any, count: Any, bits: Any) -> Any:
    """Fn::Cidr: ``count`` consecutive CIDRs of ``bits`` host bits each, from the block's start."""
    import ipaddress

    try:
        net = ipaddress.ip_network(block, strict=False) if isinstance(block, str) else None
        n, host_bits = int(count), int(bits)
    except (TypeError, ValueError):
        return UNKNOWN
    if net is None or not 1 <= n <= 256 or not 0 < host_bits <= net.max_prefixlen - net.prefixlen:
        return UNKNOWN
    size = 1 << host_bits
    if n * size > net.num_addresses:
        return UNKNOWN  # CloudFormation rejects it
    start, cls = int(net.network_address), type(net.network_address)
    return [f"{cls(start + i * size)}/{net.max_prefixlen - host_bits}" for i in range(n)]


def _getatt_target(arg: Any) -> tuple[str, str | None] | None:
    parts = arg.split(".", 1) if isinstance(arg, str) else arg
    if isinstance(parts, list) and parts and isinstance(parts[0], str):
        attr = parts[1] if len(parts) > 1 and isinstance(parts[1], str) else None
        return parts[0], attr
    return None


def _opaque(value: Any) -> bool:
    return isinstance(value, (Ref, AzToken)) or value is _NO_VALUE


def _get_azs_text(arg: Any) -> str:
    """``Fn::GetAZs`` as a message shows it, in the short YAML form."""
    if arg in ("", None) or arg == {"Ref": "AWS::Region"}:
        return "!GetAZs ''"
    if isinstance(arg, str):
        return f"!GetAZs {arg}"
    if isinstance(arg, dict) and isinstance(arg.get("Ref"), str):
        return f"!GetAZs !Ref {arg['Ref']}"
    return "!GetAZs"


def _is_text(value: Any) -> bool:
    return isinstance(value, (str, int, float)) and not isinstance(value, bool)


def _text(value: Any) -> str:
    return value if isinstance(value, str) else str(value)


def _scalar(value: Any) -> Any:
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, (int, float)):
        return str(value)
    return value


def _choice(branches: tuple[tuple[str, Any], ...]) -> Any:
    """A Choice, or the one value when every branch gives the same."""
    first = branches[0][1]
    if all(type(v) is type(first) and v == first for _, v in branches[1:]):
        return first  # every branch agrees (AWS::NoValue in all: the property is removed)
    return Choice(branches)


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
                    target = _getatt_target(arg)
                    if target:
                        out.append((where, target[0], target[1]))
                    continue
                if key == "Fn::Sub":
                    text = arg[0] if isinstance(arg, list) and arg else arg
                    if isinstance(text, str):
                        for var in _SUB_VAR.findall(text):
                            target, _, attr = var.strip().partition(".")
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


# -- Fn::ForEach (AWS::LanguageExtensions) -------------------------------------------------

_FOREACH = "Fn::ForEach::"
MAX_FOREACH_RESOURCES = 2000  # resources one template's loops may make: a guard against fan-out
MAX_FOREACH_ITEMS = 20_000  # items one template's loops may walk (nested loops multiply)
MAX_FOREACH_VALUES = 250_000  # values the bodies copied hold (the loader's bound on expanded YAML aliases)
_MAX_FOREACH_NESTING = 5


def _expand_foreach(tpl: CfnTemplate, ctx: _Context) -> tuple[CfnTemplate, list[ScanWarning]]:
    """The template with its ``Fn::ForEach::`` resource loops replaced by the resources they
    make, as the AWS::LanguageExtensions transform does: each item of the collection is put in
    for ``${Identifier}`` / ``&{Identifier}`` (alphanumerics only) in the logical ID and in
    ``Fn::Sub`` strings, and for ``Ref: Identifier``. A loop over a collection that is not
    known makes nothing (its resources are unknown). Each generated resource keeps the lines
    of the loop body it came from.

    Budget: a template's loops make at most MAX_FOREACH_RESOURCES resources holding at most
    MAX_FOREACH_VALUES values, and walk at most MAX_FOREACH_ITEMS items; the texts items are
    put into count against MAX_TEXT and the template's text budget. Each top-level loop is
    counted before any of its resources is built, and the count stops at the budget; a loop
    beyond it makes none of its resources (some of a loop's resources would be a wrong
    picture) and the warning names it."""
    resources = tpl.template.get("Resources")
    if not isinstance(resources, dict) or not any(isinstance(k, str) and k.startswith(_FOREACH) for k in resources):
        return tpl, []
    out: dict[str, Any] = {}
    lines = dict(tpl.lines)
    lines_below: dict[str, list[tuple[str, int]]] = {}  # loop body -> (its keys' paths, line)
    warnings: list[ScanWarning] = []
    budget = _ForEachBudget(MAX_FOREACH_RESOURCES, MAX_FOREACH_VALUES, MAX_FOREACH_ITEMS)
    for key, value in resources.items():
        if not (isinstance(key, str) and key.startswith(_FOREACH)):
            out[key] = value
            continue
        path = f"Resources.{key}"
        unknown: list[str] = []
        try:
            made = budget.take(_loop_resources(ctx, value, path, {}, 0, unknown))
            built = _bound_bodies(made or [], ctx.settings.text_budget)
        except _TextTooLong as too_long:
            warnings.append(ScanWarning("value-too-large", f"{key} puts its items into a text of {too_long.args[0]:,} "
                                        f"characters, more than ha-lint builds ({MAX_TEXT:,}, {MAX_TEXT_BUILT:,} in "
                                        "all); its resources are not checked", tpl.file, tpl.lines.get(path)))
            continue
        if made is None:
            warnings.append(ScanWarning("resource-limit", f"{key} makes more than ha-lint expands from one template "
                                        f"({MAX_FOREACH_RESOURCES} resources, {MAX_FOREACH_VALUES} values, "
                                        f"{MAX_FOREACH_ITEMS} loop items); "
                                        "its resources are not checked", tpl.file, tpl.lines.get(path)))
            continue
        if unknown:  # a parameter with no value, an import, a function ha-lint does not evaluate...
            loop = unknown[0].rsplit(".", 1)[-1] if unknown[0] != path else key
            warnings.append(ScanWarning("foreach-unknown", f"{loop} loops over a collection ha-lint cannot know; "
                                        "the resources it makes are not checked", tpl.file, tpl.lines.get(unknown[0])))
        for (logical_id, body), (_, _, source, _) in zip(built, made):
            if logical_id in out or logical_id in resources or "." in logical_id:
                continue
            out[logical_id] = body
            lines.setdefault(f"Resources.{logical_id}", tpl.lines.get(source, 1))
            if source not in lines_below:
                prefix = f"{source}."
                lines_below[source] = [(k[len(prefix):], v) for k, v in tpl.lines.items() if k.startswith(prefix)]
            for sub, line in lines_below[source]:
                lines.setdefault(f"Resources.{logical_id}.{sub}", line)
    return CfnTemplate(tpl.file, {**tpl.template, "Resources": out}, lines), warnings


def _bound_bodies(made: list[tuple[str, Any, str, dict[str, str]]], budget: list[int]) -> list[tuple[str, Any]]:
    """Each resource a loop makes, as (logical ID, body) with its items put in."""
    return [(_bind_text(out_key, bindings, budget), _bind(body, bindings, budget))
            for out_key, body, _, bindings in made]


@dataclass
class _ForEachBudget:
    resources: int
    values: int
    items: int
    sizes: dict[int, int] = field(default_factory=dict)  # id(loop body) -> values it holds

    def take(self, walk: Iterator[tuple[str, Any, str, dict[str, str]] | None]) -> list[Any] | None:
        """All that ``walk`` yields (None marks one loop item walked), or None, with nothing
        taken, when it goes past what is left: the walk stops there."""
        resources, values, items = self.resources, self.values, self.items
        made = []
        for step in walk:
            if step is None:
                items -= 1
            else:
                made.append(step)
                resources -= 1
                body = step[1]
                if id(body) not in self.sizes:
                    self.sizes[id(body)] = _values_in(body)
                values -= self.sizes[id(body)]
            if resources < 0 or values < 0 or items < 0:
                return None
        self.resources, self.values, self.items = resources, values, items
        return made


def _values_in(node: Any) -> int:
    """How many values (scalars, lists and mappings) ``node`` holds."""
    count, todo = 0, [node]
    while todo:
        value = todo.pop()
        count += 1
        if isinstance(value, dict):
            todo.extend(value.values())
        elif isinstance(value, list):
            todo.extend(value)
    return count


def _loop_resources(ctx: _Context, spec: Any, path: str, bindings: dict[str, str], depth: int,
                    unknown: list[str]) -> Iterator[tuple[str, Any, str, dict[str, str]] | None]:
    """The resources one ``Fn::ForEach`` loop makes, lazily, so that a caller can stop at its
    budget before anything is built: (logical ID as written, body, the body's path, the
    identifiers' values) for each, and None for each item walked. ``unknown``: the paths of
    the loops whose collection is not known (they make nothing)."""
    if depth > _MAX_FOREACH_NESTING or not (isinstance(spec, list) and len(spec) == 3 and isinstance(spec[0], str)
                                            and isinstance(spec[2], dict)):
        return
    identifier, collection, body = spec
    items = ctx.value(_bind(collection, bindings))
    if not isinstance(items, list) or not all(_is_text(i) for i in items):
        unknown.append(path)
        return
    for item in dict.fromkeys(_text(i) for i in items):
        yield None
        inner = {**bindings, identifier: item}
        for out_key, value in body.items():
            if not isinstance(out_key, str):
                continue
            source = f"{path}.2.{out_key}"
            if out_key.startswith(_FOREACH):
                yield from _loop_resources(ctx, value, source, inner, depth + 1, unknown)
            else:
                yield out_key, value, source, inner


class _TextTooLong(Exception):
    """Loop items put into a logical ID or an Fn::Sub text would make it longer than MAX_TEXT,
    or all such texts together longer than the template's text budget."""


def _bind_text(text: str, bindings: dict[str, str], budget: list[int] | None = None) -> str:
    """``text`` with the loop's items put in; its size is counted before it is built."""
    alnum = {name: re.sub(r"[^A-Za-z0-9]", "", item) for name, item in bindings.items()}
    size = len(text) + sum(text.count("${" + name + "}") * len(item) + text.count("&{" + name + "}") * len(alnum[name])
                           for name, item in bindings.items())
    if size > MAX_TEXT or (budget is not None and size > budget[0]):
        raise _TextTooLong(size)
    if budget is not None:
        budget[0] -= size
    for name, item in bindings.items():
        text = text.replace("${" + name + "}", item).replace("&{" + name + "}", alnum[name])
    return text


def _bind(node: Any, bindings: dict[str, str], budget: list[int] | None = None) -> Any:
    """A loop body with the loop's identifiers put in (``Ref`` and ``Fn::Sub`` strings)."""
    if not bindings:
        return node
    if isinstance(node, list):
        return [_bind(v, bindings, budget) for v in node]
    if not isinstance(node, dict):
        return node
    if len(node) == 1:
        (key, arg), = node.items()
        if key == "Ref" and isinstance(arg, str) and arg in bindings:
            return bindings[arg]
        if key == "Fn::Sub":
            if isinstance(arg, str):
                text = _bind_text(arg, bindings, budget)
                return text if "${" not in text else {"Fn::Sub": text}
            if isinstance(arg, list) and arg and isinstance(arg[0], str):
                return {"Fn::Sub": [_bind_text(arg[0], bindings, budget), *_bind(arg[1:], bindings, budget)]}
    return {k: _bind(v, bindings, budget) for k, v in node.items()}


def resolve(tpl: CfnTemplate, settings: CfnSettings, workload_id: str | None = None) -> tuple[Workload, list[Resource]]:
    ctx = _Context(tpl, settings)
    expanded, warnings = _expand_foreach(tpl, ctx)
    warnings += ctx.warnings
    if expanded is not tpl:
        tpl, ctx = expanded, _Context(expanded, settings)
    metadata = tpl.template.get("Metadata") if isinstance(tpl.template.get("Metadata"), dict) else {}
    workload = Workload(workload_id or tpl.file, CLOUDFORMATION, tpl.file,
                        {**metadata, PARAMETERS_KEY: _parameter_specs(ctx),
                         **({WARNINGS_KEY: warnings} if warnings else {})})
    globals_ = _sam_globals(tpl.template)
    property_lines = _property_lines(tpl.lines)
    resources: list[Resource] = []
    for logical_id, body in ctx.resources.items():
        if not isinstance(body, dict) or not isinstance(body.get("Type"), str):
            continue
        condition = body.get("Condition")
        if isinstance(condition, str) and ctx.condition(condition) is False:
            continue  # never created
        rtype = body["Type"]
        raw_props = body.get("Properties") if isinstance(body.get("Properties"), dict) else {}
        lines = dict(property_lines.get(logical_id, {}))
        if rtype in globals_:
            section, values = globals_[rtype]
            raw_props = _merge(values, raw_props)
            prefix = f"Globals.{section}."
            for k, v in tpl.lines.items():  # a property from Globals points at its line there
                if k.startswith(prefix):
                    lines.setdefault(k[len(prefix):], v)
        ctx.line = tpl.lines.get(f"Resources.{logical_id}", 1)
        props = _fill_absent(ctx.value(raw_props), rtype, "")
        _chosen_arm_lines(ctx, raw_props, "", lines, 0)
        origins: dict[str, Origin] = {}
        _record_origins(ctx, raw_props, "", origins, 0)
        # DeletionPolicy/UpdateReplacePolicy may be !If / !Ref / !FindInMap (AWS::LanguageExtensions)
        policies = [ctx.value(body[k]) if isinstance(body.get(k), dict) else body.get(k)
                    for k in ("DeletionPolicy", "UpdateReplacePolicy")]
        depends = body.get("DependsOn")
        found = references(raw_props)
        refs = [(p, t, a) for p, t, a in found if t in ctx.resources]
        refs += [("DependsOn", d, None) for d in ([depends] if isinstance(depends, str) else depends or [])
                 if isinstance(d, str) and d in ctx.resources]
        meta = ResourceMeta(
            region=settings.region or UNKNOWN, references=refs,
            condition_unknown=condition if isinstance(condition, str) and ctx.condition(condition) is UNKNOWN else None,
            deletion_policy=policies[0], update_replace_policy=policies[1],
            attribute_lines={k: tpl.lines[f"Resources.{logical_id}.{k}"] for k in ("DeletionPolicy", "UpdateReplacePolicy")
                             if f"Resources.{logical_id}.{k}" in tpl.lines},
            condition=condition if isinstance(condition, str) else None, metadata=body.get("Metadata"),
            parameter_refs=[(p, t) for p, t, _ in found if t in ctx.params])
        if rtype in _NESTED_TYPES:
            meta.nested_stack = _nested_stack(ctx, logical_id, raw_props, _NESTED_TYPES[rtype], body.get("Metadata"))
        resources.append(Resource(
            address=logical_id, type=rtype, source=CLOUDFORMATION, file=tpl.file,
            line=tpl.lines.get(f"Resources.{logical_id}", 1), workload=workload.id,
            props=props, lines=lines, origins=origins, meta=meta,
        ))
    exports = _exports(ctx, workload.id)
    if exports:
        workload.metadata[EXPORTS_KEY] = exports
    imports = _imports(ctx)
    if imports:
        workload.metadata[IMPORTS_KEY] = imports
    if ctx.warnings:
        workload.metadata.setdefault(WARNINGS_KEY, []).extend(ctx.warnings)
    return workload, resources


def _exports(ctx: _Context, workload_id: str) -> dict[str, Export]:
    """The template's exports whose name resolves, by name."""
    outputs = ctx.tpl.template.get("Outputs")
    out: dict[str, Export] = {}
    who = f"stack {ctx.settings.stack_name}" if ctx.settings.stack_name else f"the stack of {ctx.tpl.file}"
    for key, spec in (outputs.items() if isinstance(outputs, dict) else ()):
        if not (isinstance(spec, dict) and isinstance(spec.get("Export"), dict) and "Value" in spec):
            continue
        condition = spec.get("Condition")
        if isinstance(condition, str) and ctx.condition(condition) is False:
            continue
        name = ctx.value(spec["Export"].get("Name"))
        if not isinstance(name, str) or not name:
            continue
        ctx.exporting = True
        try:
            value = ctx.value(spec["Value"])
        finally:
            ctx.exporting = False
        if value is _NO_VALUE:
            continue
        line = ctx.tpl.lines.get(f"Outputs.{key}.Export.Name", ctx.tpl.lines.get(f"Outputs.{key}"))
        origin = Origin(f"exported by {who} as {name!r}", ctx.tpl.file, line)
        out[name] = Export(name, _qualified(value, workload_id), origin, workload_id)
    return out


def _qualified(value: Any, workload_id: str) -> Any:
    """The value with its references naming the workload they belong to."""
    def leaf(item: Any) -> Any:
        if isinstance(item, Ref):
            return item if item.workload else Ref(item.address, item.attribute, workload_id)
        if isinstance(item, Joined):
            return Joined(item.separator, tuple(_qualified(v, workload_id) for v in item.items))
        return item
    return map_leaves(value, leaf)


def _imports(ctx: _Context) -> list[Import]:
    """Every ``Fn::ImportValue`` of the resources that may be created and of the Outputs."""
    out: list[Import] = []
    stack: list[tuple[Any, str]] = []
    for logical_id, body in ctx.resources.items():
        condition = body.get("Condition") if isinstance(body, dict) else None
        if not (isinstance(condition, str) and ctx.condition(condition) is False):
            stack.append((body, f"Resources.{logical_id}"))
    if isinstance(ctx.tpl.template.get("Outputs"), dict):
        stack.append((ctx.tpl.template["Outputs"], "Outputs"))
    while stack:
        node, path = stack.pop()
        if isinstance(node, dict):
            if len(node) == 1 and "Fn::ImportValue" in node:
                arg = node["Fn::ImportValue"]
                name = ctx.value(arg)
                line = ctx.tpl.lines.get(f"{path}.Fn::ImportValue") or _line_at(ctx.tpl.lines, path)
                out.append(Import(name if isinstance(name, str) else None, _written(arg), line))
                continue
            stack.extend((v, f"{path}.{k}") for k, v in node.items())
        elif isinstance(node, list):
            stack.extend((v, f"{path}.{i}") for i, v in enumerate(node))
    return sorted(out, key=lambda i: i.line)


def _line_at(lines: dict[str, int], path: str) -> int:
    while path:
        if path in lines:
            return lines[path]
        path = path.rpartition(".")[0]
    return 1


def _property_lines(lines: dict[str, int]) -> dict[str, dict[str, int]]:
    """Logical ID -> property path -> line, in one pass (logical IDs have no dots)."""
    out: dict[str, dict[str, int]] = {}
    for key, line in lines.items():
        if key.startswith("Resources."):
            parts = key.split(".", 3)
            if len(parts) == 4 and parts[2] == "Properties":
                out.setdefault(parts[1], {})[parts[3]] = line
    return out


def _chosen_arm_lines(ctx: _Context, node: Any, path: str, lines: dict[str, int], depth: int) -> None:
    """``X: !If [Cond, a, b]`` with ``Cond`` known resolves to one arm: the lines inside that
    arm are also the lines of ``X`` (``SecurityGroupIngress.0`` is the chosen arm's first entry)."""
    if depth > _MAX_DEPTH:
        return
    if isinstance(node, list):
        for index, item in enumerate(node):
            _chosen_arm_lines(ctx, item, f"{path}.{index}" if path else str(index), lines, depth + 1)
        return
    if not isinstance(node, dict):
        return
    spec = node.get("Fn::If") if len(node) == 1 else None
    if isinstance(spec, list) and len(spec) == 3 and isinstance(spec[0], str) and path:
        taken = ctx.condition(spec[0])
        if isinstance(taken, bool):
            arm = 1 if taken else 2
            prefix = f"{path}.Fn::If.{arm}."
            for key, line in [(k, v) for k, v in lines.items() if k.startswith(prefix)]:
                lines.setdefault(f"{path}.{key[len(prefix):]}", line)
            _chosen_arm_lines(ctx, spec[arm], path, lines, depth + 1)
        return
    for key, value in node.items():
        _chosen_arm_lines(ctx, value, f"{path}.{key}" if path else key, lines, depth + 1)


def _record_origins(ctx: _Context, node: Any, path: str, out: dict[str, Origin], depth: int) -> None:
    """Origins of every property path whose value is an intrinsic: with list indexes left
    out (the first entry's wins) and, one list deep, with them (``SecurityGroupIngress.1.CidrIp``)."""
    if depth > _MAX_DEPTH:
        return
    if isinstance(node, list):
        for index, item in enumerate(node):
            _record_origins(ctx, item, path, out, depth + 1)
            if path and not any(part.isdigit() for part in path.split(".")):
                _record_origins(ctx, item, f"{path}.{index}", out, depth + 1)
        return
    if not isinstance(node, dict):
        return
    if len(node) == 1 and path:
        (key, _), = node.items()
        if key == "Ref" or key.startswith("Fn::"):
            if path not in out:
                origin = chain(ctx.explain(node))
                if origin:
                    out[path] = origin
            return
    for key, value in node.items():
        _record_origins(ctx, value, f"{path}.{key}" if path else key, out, depth + 1)


def _fill_absent(value: Any, rtype: str, path: str) -> Any:
    """``Fn::If [c, x, !Ref AWS::NoValue]`` on an undecidable ``c``: in the branch where the
    property is removed it has the provider's default (None when the table has none)."""
    if isinstance(value, Choice):
        if any(v is _NO_VALUE for _, v in value.branches):
            default = kinds.default_at(rtype, path) if path else None
            return Choice(tuple((label, default if v is _NO_VALUE else _fill_absent(v, rtype, path))
                                for label, v in value.branches))
        return Choice(tuple((label, _fill_absent(v, rtype, path)) for label, v in value.branches))
    if isinstance(value, dict):
        return {k: _fill_absent(v, rtype, f"{path}.{k}" if path else k) for k, v in value.items()}
    if isinstance(value, list):
        return [_fill_absent(v, rtype, path) for v in value]
    return value


def _external(value: Any) -> Any:
    """A value handed to another template: references to this template's resources mean
    nothing there, so they become unknown."""
    return map_leaves(value, _external_leaf)


def _external_leaf(value: Any) -> Any:
    if isinstance(value, Ref) or value is _NO_VALUE:
        return UNKNOWN
    if isinstance(value, bool):
        return str(value).lower()  # stack parameters are strings
    if isinstance(value, (int, float)):
        return str(value)
    return value


def _is_local_template(url: str) -> bool:
    lowered = url.lower()
    if "://" in lowered or lowered.startswith(("s3:", "http:", "https:", "arn:")):
        return False
    return url.startswith(("./", "../", "/")) or lowered.endswith((".yaml", ".yml", ".json", ".template"))


def _nested_stack(ctx: _Context, logical_id: str, raw_props: dict[str, Any], url_key: str,
                  metadata: Any = None) -> NestedStack | None:
    raw_url = url = raw_props.get(url_key)  # `cloudformation package` uploads literal local paths only
    if isinstance(metadata, dict) and metadata.get("aws:asset:property") == url_key \
            and isinstance(metadata.get("aws:asset:path"), str):
        # CDK: the URL is the S3 asset; the template it uploads sits next to this one in cdk.out.
        url = metadata["aws:asset:path"]
    remote = None
    if not isinstance(url, str) or not _is_local_template(url):
        if not _names_template(raw_url):
            return None  # a Serverless Application Repository application: no template of ours
        url = _local_copy(Path(ctx.tpl.file).parent, _url_text(ctx, raw_url))
        if url is None:
            remote = raw_url if isinstance(raw_url, str) else _written(raw_url)
    base = f"Resources.{logical_id}.Properties"
    raw_params = raw_props.get("Parameters") if isinstance(raw_props.get("Parameters"), dict) else {}
    params = []
    for name, raw in raw_params.items():
        value = _external(ctx.value(raw))
        step = Origin(f"stack {logical_id} passes {name} = {show(value)}", ctx.tpl.file,
                      ctx.tpl.lines.get(f"{base}.Parameters.{name}"))
        params.append((name, value, chain([*ctx.explain(raw), step])))
    line = ctx.tpl.lines.get(f"{base}.{url_key}", ctx.tpl.lines.get(f"Resources.{logical_id}", 1))
    if remote is not None:
        return NestedStack("", remote, line, tuple(params), remote=True)
    path = Path(ctx.tpl.file).parent / url
    return NestedStack(str(path), url, line, tuple(params))


def _names_template(raw: Any) -> bool:
    """A TemplateURL/Location written as a URL (text, ``!Sub``, ``!Join``), not a SAR application."""
    return isinstance(raw, str) or (isinstance(raw, dict) and len(raw) == 1 and next(iter(raw)) in ("Fn::Sub", "Fn::Join"))


def _url_text(ctx: _Context, raw: Any) -> str:
    """The URL with what is not known left out (``https://${Bucket}.s3.amazonaws.com/t/vpc.yaml``
    -> ``https://.s3.amazonaws.com/t/vpc.yaml``): the path at its end is what is looked for."""
    value = ctx.value(raw)
    if isinstance(value, str):
        return value
    if isinstance(raw, dict) and "Fn::Sub" in raw:
        text = raw["Fn::Sub"][0] if isinstance(raw["Fn::Sub"], list) and raw["Fn::Sub"] else raw["Fn::Sub"]
        return _SUB_VAR.sub("", text) if isinstance(text, str) else ""
    if isinstance(raw, dict) and isinstance(raw.get("Fn::Join"), list) and len(raw["Fn::Join"]) == 2:
        sep, items = raw["Fn::Join"]
        if isinstance(sep, str) and isinstance(items, list):
            return sep.join(i if isinstance(i, str) else "" for i in items)
    return ""


_PACKAGED_KEY = re.compile(r"^[0-9a-f]{32}(\.template)?$")
MAX_PACKAGE_CANDIDATES = 500  # local templates hashed to find the one `aws cloudformation package` uploaded
_TEMPLATE_SUFFIXES = (".yaml", ".yml", ".json", ".template")


def _local_copy(base: Path, url: str) -> str | None:
    """The local template an S3 TemplateURL was uploaded from, relative to ``base`` (the parent
    template's directory), or None: the URL's path (after the bucket), or a tail of it, under
    ``base`` or one of its two parents; or, for the ``<md5>.template`` key that
    ``aws cloudformation package`` writes, the template under ``base`` with that MD5."""
    path = url.split("?", 1)[0].split("#", 1)[0]
    if "://" in path:
        host, _, path = path.split("://", 1)[1].partition("/")  # s3://bucket/key: the bucket is the "host"
        if host and not url.lower().startswith("s3:") and "s3" not in host.lower() and "amazonaws" not in host.lower():
            return None  # a web server of its own: its files are not ours to guess
    parts = [p for p in path.split("/") if p and p not in (".", "..")]
    if not parts:
        return None
    for directory in (base, base.parent, base.parent.parent):
        for start in range(len(parts)):
            candidate = directory.joinpath(*parts[start:])
            if candidate.suffix.lower() in _TEMPLATE_SUFFIXES and candidate.is_file():
                return os.path.relpath(candidate, base)
    return _packaged_copy(base, parts[-1]) if _PACKAGED_KEY.match(parts[-1]) else None


def _packaged_copy(base: Path, key: str) -> str | None:
    """The template under ``base`` whose MD5 is the S3 key ``aws cloudformation package`` gave it."""
    import hashlib

    digest = key.split(".", 1)[0]
    seen = 0
    for root, dirs, files in os.walk(base):
        dirs[:] = sorted(d for d in dirs if not d.startswith(".") and d not in ("node_modules", "cdk.out"))
        for name in sorted(files):
            if not name.lower().endswith(_TEMPLATE_SUFFIXES):
                continue
            seen += 1
            if seen > MAX_PACKAGE_CANDIDATES:
                return None
            file = Path(root) / name
            try:
                if file.stat().st_size <= 4_000_000 and hashlib.md5(file.read_bytes()).hexdigest() == digest:
                    return os.path.relpath(file, base)
            except OSError:
                continue
    return None


def _written(raw: Any) -> str:
    """An intrinsic as a message shows it: ``!Sub '${Vpc}-Subnets'``."""
    if isinstance(raw, dict) and len(raw) == 1:
        (fn, arg), = raw.items()
        short = "!" + fn.removeprefix("Fn::")
        if isinstance(arg, list) and arg and isinstance(arg[0], str) and fn == "Fn::Sub":
            arg = arg[0]
        return f"{short} {arg!r}" if isinstance(arg, str) else f"{short} {json.dumps(arg, default=str)[:80]}"
    return json.dumps(raw, default=str)[:80] if not isinstance(raw, str) else raw


# Workload.metadata key holding the template's parameters (parameters are not resources).
PARAMETERS_KEY = "_ha_lint_parameters"
# ... and the warnings resolving it gave (a worker's outcome carries them; take_warnings).
WARNINGS_KEY = "_ha_lint_warnings"


def take_warnings(workload: Workload) -> list[ScanWarning]:
    """The warnings resolving ``workload``'s template gave, removed from its metadata."""
    return workload.metadata.pop(WARNINGS_KEY, None) or []


def _parameter_specs(ctx: _Context) -> dict[str, dict[str, Any]]:
    """Each parameter's declaration as written, with its lines, and whether the user overrode it."""
    raw = ctx.tpl.template.get("Parameters")
    out: dict[str, dict[str, Any]] = {}
    given = ctx.settings.passed if ctx.settings.passed is not None else ctx.settings.parameters
    for name, spec in (raw.items() if isinstance(raw, dict) else ()):
        spec = spec if isinstance(spec, dict) else {}
        line = ctx.tpl.lines.get(f"Parameters.{name}", 1)
        out[name] = {"spec": spec, "line": line, "default_line": ctx.tpl.lines.get(f"Parameters.{name}.Default", line),
                     "overridden": name in given}
    return out


_SAM_GLOBAL_TYPES = {
    "Function": "AWS::Serverless::Function", "Api": "AWS::Serverless::Api",
    "HttpApi": "AWS::Serverless::HttpApi", "SimpleTable": "AWS::Serverless::SimpleTable",
    "StateMachine": "AWS::Serverless::StateMachine", "LayerVersion": "AWS::Serverless::LayerVersion",
}


def _sam_globals(template: dict[str, Any]) -> dict[str, tuple[str, dict[str, Any]]]:
    """Native type -> (Globals section, its properties)."""
    raw = template.get("Globals")
    if not isinstance(raw, dict):
        return {}
    return {_SAM_GLOBAL_TYPES[k]: (k, v) for k, v in raw.items() if k in _SAM_GLOBAL_TYPES and isinstance(v, dict)}


def _merge(base: dict[str, Any], override: dict[str, Any]) -> dict[str, Any]:
    """SAM Globals as the SAM translator applies them: maps merge key by key, lists are
    concatenated (the Globals entries first), anything else (an intrinsic function too) is
    replaced by the resource's own value."""
    out = dict(base)
    for key, value in override.items():
        mine = out.get(key)
        if isinstance(value, dict) and isinstance(mine, dict) and not _is_intrinsic(value) and not _is_intrinsic(mine):
            out[key] = _merge(mine, value)
        elif isinstance(value, list) and isinstance(mine, list):
            out[key] = mine + value
        else:
            out[key] = value
    return out


def _is_intrinsic(value: dict[str, Any]) -> bool:
    if len(value) != 1:
        return False
    (key,) = value
    return key == "Ref" or key == "Condition" or key.startswith("Fn::")


# -- nested stacks -------------------------------------------------------------------------


def expand_nested_stacks(workloads: list[Workload], resources: list[Resource], read: Callable[[Path], str],
                         region: str | None, warnings: list[ScanWarning | str],
                         bounded: Callable[[str], ContextManager[Any]] = nullcontext,
                         boundary: RepositoryRoot | None = None) -> tuple[list[Workload], list[Resource]]:
    """Resolve every local nested stack through the stack that nests it, with the parameters
    it passes; a scanned template that some other scanned template nests is then not also
    resolved on its own defaults.

    Bounds: each top-level template's stacks are expanded inside ``bounded(its file)`` (the
    scan's per-file deadline, which may end the block early and say so): a deployment cut
    short keeps none of its nested stacks, its own resources stay. A deployment makes at most
    MAX_DEPLOYMENT_RESOURCES resources holding MAX_DEPLOYMENT_VALUES property values: past it no more of its stacks are expanded, those
    expanded before are kept (each is whole), and one warning says where it stopped.

    With ``boundary`` (``ha_lint.root``), a template outside the repository root that was not
    itself scanned is a ``reference-outside-root`` warning and is not read."""
    stacks: dict[str, list[Resource]] = {}
    for res in resources:
        if res.meta.nested_stack is not None:
            stacks.setdefault(res.workload, []).append(res)
    if not stacks:
        return workloads, resources
    scanned = {_real(w.entry_file): w for w in workloads if w.source == CLOUDFORMATION}
    called = {_real(r.meta.nested_stack.template) for rs in stacks.values() for r in rs if r.meta.nested_stack}
    templates: dict[str, CfnTemplate | None] = {}
    expanded: set[str] = set()
    new_workloads: list[Workload] = []
    new_resources: list[Resource] = []
    own = Counter(r.workload for r in resources)
    own_values: Counter[str] = Counter()
    for res in resources:
        own_values[res.workload] += len(res.lines)

    def load(real: str, shown: str) -> CfnTemplate | None:
        if real not in templates:
            loaded = None
            try:
                from ha_lint.loaders import cloudformation

                loaded = cloudformation.load(read(Path(real)), shown)
            except (LoadFailure, RecursionError):
                pass
            except Exception:  # context only: a template that breaks the loader is skipped, never the scan
                pass
            templates[real] = loaded  # not before: a deadline may end the load half-way
        return templates[real]

    def instantiate(stack: Resource, ancestors: tuple[str, ...], deployment: _Deployment) -> None:
        nested = stack.meta.nested_stack
        if nested.remote:
            warnings.append(ScanWarning(
                "nested-stack", f"nested stack {stack.address}: template {nested.url} is not a local file and no "
                "local copy of it was found (by its path or, for `aws cloudformation package` output, its MD5); "
                "the nested template is not judged", stack.file, nested.line))
            return
        if deployment.full:
            return  # said once, where the budget ran out
        real = _real(nested.template)
        where = f"nested stack {stack.address}"

        def warn(message: str) -> None:
            warnings.append(ScanWarning("nested-stack", message, stack.file, nested.line))

        if real in ancestors:
            warn(f"{where}: template {nested.url!r} nests itself (directly or through another stack); "
                 "not expanded again")
            return
        if len(ancestors) > MAX_NESTED_DEPTH:
            warn(f"{where}: stacks nest deeper than ha-lint follows; {nested.url!r} not expanded")
            return
        if boundary is not None and real not in scanned and not boundary.inside_root(real):
            warnings.append(boundary.outside(f"{where}: template {nested.url!r}", stack.file, nested.line))
            return
        if not os.path.isfile(real):
            warn(f"{where}: template {nested.url!r} not found")
            return
        shown = scanned[real].entry_file if real in scanned else os.path.normpath(nested.template)
        tpl = load(real, shown)
        if tpl is None:
            if real not in scanned:  # a scanned template's own load error is reported already
                warn(f"{where}: template {nested.url!r} could not be loaded")
            return
        parent_region = stack.meta.region  # a declared stack's Region (stacks:, CDK) is its children's
        settings = CfnSettings(region=parent_region if isinstance(parent_region, str) else region,
                               passed={k: (v, o) for k, v, o in nested.parameters},
                               text_budget=deployment.text_budget)
        try:
            workload, res = resolve(tpl, settings, workload_id=f"{stack.workload} > {stack.address}")
        except Exception as exc:  # a bug of ours: this nested stack is lost, never the scan
            warn(f"{where}: template {nested.url!r} could not be resolved ({type(exc).__name__}: {exc})")
            return
        if not deployment.admits(res):
            warnings.append(ScanWarning(
                "resource-limit", f"the stacks this template nests make more than {MAX_DEPLOYMENT_RESOURCES} resources "
                f"or {MAX_DEPLOYMENT_VALUES} property values in all (each instantiation counted); ha-lint stopped "
                f"at nested stack {stack.address} "
                f"({stack.file}:{nested.line}): the stacks expanded before it are checked, it and the rest are not",
                deployment.file))
            return
        for child in res:
            child.meta.nested_in = stack.uid
        deployment.expanded.add(real)
        deployment.workloads.append(workload)
        deployment.resources.extend(res)
        for child in res:
            if child.meta.nested_stack is not None:
                instantiate(child, ancestors + (real,), deployment)

    for workload in workloads:
        real = _real(workload.entry_file) if workload.source == CLOUDFORMATION else None
        if real is None or real in called or workload.id not in stacks:
            continue
        deployment = _Deployment(workload.entry_file, own[workload.id], own_values[workload.id])
        with bounded(workload.entry_file):
            for stack in stacks[workload.id]:
                instantiate(stack, (real,), deployment)
            deployment.complete = True
        if deployment.complete:  # else the deadline ended it: none of it is kept
            expanded |= deployment.expanded
            new_workloads += deployment.workloads
            new_resources += deployment.resources
    dropped = {scanned[real].id for real in expanded if real in scanned}
    return ([w for w in workloads if w.id not in dropped] + new_workloads,
            [r for r in resources if r.workload not in dropped] + new_resources)


@dataclass
class _Deployment:
    """One top-level template's nested stacks as they are expanded (kept once complete)."""

    file: str  # the top-level template
    count: int  # resources so far, the template's own included
    values: int  # their property values (lines known)
    expanded: set[str] = field(default_factory=set)  # templates instantiated
    workloads: list[Workload] = field(default_factory=list)
    resources: list[Resource] = field(default_factory=list)
    text_budget: list[int] = field(default_factory=lambda: [MAX_TEXT_BUILT])  # CfnSettings.text_budget
    full: bool = False  # the budget ran out: no more stacks are expanded
    complete: bool = False  # every stack was expanded (or refused) within the deadline

    def admits(self, res: list[Resource]) -> bool:
        """Whether one more instantiation, of these resources, fits the budget (counted if so)."""
        values = sum(len(r.lines) for r in res)
        if self.full or self.count + len(res) > MAX_DEPLOYMENT_RESOURCES \
                or self.values + values > MAX_DEPLOYMENT_VALUES:
            self.full = True
            return False
        self.count, self.values = self.count + len(res), self.values + values
        return True


def _real(path: str) -> str:
    return os.path.realpath(path)
