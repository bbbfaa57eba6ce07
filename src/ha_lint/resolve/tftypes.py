"""Terraform variable type constraints: convert a variable's value the way Terraform does.

A variable typed ``map(object({ cidr_ipv6 = optional(string), ip_protocol = optional(string, "tcp") }))``
receives ``{ all_http = { cidr_ipv4 = "0.0.0.0/0" } }``: Terraform converts it to the type
before anything reads it, so ``each.value.cidr_ipv6`` is ``null`` (absent: the provider's
default) and ``each.value.ip_protocol`` is ``"tcp"`` (Terraform 1.3+ ``optional()``
defaults, applied when the attribute is omitted or null, nested objects included). Other
conversions: ``number``/``bool`` <-> ``string``, ``set`` of strings in lexical order
(Terraform's), attributes an object type does not declare are dropped.

Unknown values, ``Choice`` branches and resource references are converted where they can
be and otherwise kept as they are. A value that does not fit the type (Terraform would stop
with an error) is kept as given; an object missing a required attribute gets that
attribute unknown. A type this module cannot read means no conversion at all.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from ha_lint import hclexpr
from ha_lint.values import UNKNOWN, Choice

# A type: ("any",) | ("prim", name) | ("list"|"set"|"map", T) | ("tuple", (T, ...))
#         | ("object", ((name, T, optional, default), ...))
Type = tuple[Any, ...]
_NO_DEFAULT = object()
_ANY: Type = ("any",)
_PRIMITIVES = {"string", "number", "bool"}
_COLLECTIONS = {"list", "set", "map"}
_MAX_DEPTH = 30


def parse_type(raw: Any) -> Type | None:
    """The type of a variable's ``type`` argument as written (``hclexpr.Source``) or as a
    .tf.json file gives it (``"${list(string)}"``); None if unreadable."""
    written = isinstance(raw, hclexpr.Source)
    text = raw.text if written else raw
    if not isinstance(text, str) or len(text) > 200_000:
        return None
    return _parse_cached(text, written)


@lru_cache(maxsize=4096)
def _parse_cached(raw: str, written: bool = False) -> Type | None:
    try:
        node = hclexpr.parse(raw) if written else hclexpr.parse_template(raw)
        return _type(node, 0)
    except (hclexpr.HclExprError, _BadType, RecursionError):
        return None


class _BadType(Exception):
    pass


def _name(node: Any) -> str | None:
    if isinstance(node, hclexpr.Var):
        return node.name
    if isinstance(node, hclexpr.Literal) and isinstance(node.value, str):
        return node.value.strip()
    return None


def _type(node: Any, depth: int) -> Type:
    if depth > _MAX_DEPTH:
        raise _BadType
    name = _name(node)
    if name is not None:
        if name in _PRIMITIVES:
            return ("prim", name)
        if name == "any":
            return _ANY
        if name in _COLLECTIONS:
            return (name, _ANY)  # bare `list` is list(any)
        raise _BadType
    if not isinstance(node, hclexpr.Call):
        raise _BadType
    args = node.args
    if node.name in _COLLECTIONS and len(args) == 1:
        return (node.name, _type(args[0], depth + 1))
    if node.name == "tuple" and len(args) == 1 and isinstance(args[0], hclexpr.TupleExpr):
        return ("tuple", tuple(_type(item, depth + 1) for item in args[0].items))
    if node.name == "object" and len(args) == 1 and isinstance(args[0], hclexpr.ObjectExpr):
        attrs = []
        for key, value in args[0].items:
            attr = _name(key)
            if attr is None:
                raise _BadType
            if isinstance(value, hclexpr.Call) and value.name == "optional" and 1 <= len(value.args) <= 2:
                default = _NO_DEFAULT
                if len(value.args) == 2:
                    default = hclexpr.evaluate(value.args[1])
                attrs.append((attr, _type(value.args[0], depth + 1), True, default))
            else:
                attrs.append((attr, _type(value, depth + 1), False, _NO_DEFAULT))
        return ("object", tuple(attrs))
    raise _BadType


def convert(value: Any, typ: Type | None, depth: int = 0) -> Any:
    """``value`` converted to ``typ`` as Terraform converts a variable's value."""
    if typ is None or typ[0] == "any" or value is None or depth > _MAX_DEPTH:
        return value
    if isinstance(value, Choice):
        return Choice(tuple((label, convert(v, typ, depth + 1)) for label, v in value.branches))
    if not isinstance(value, (str, int, float, list, dict)):
        return value  # UNKNOWN, a resource reference, an AZ token...
    kind = typ[0]
    if kind == "prim":
        return _primitive(value, typ[1])
    if kind in ("list", "set") and isinstance(value, list):
        items = [convert(v, typ[1], depth + 1) for v in value]
        return _as_set(items) if kind == "set" else items
    if kind == "map" and isinstance(value, dict):
        return {k: convert(v, typ[1], depth + 1) for k, v in value.items()}
    if kind == "tuple" and isinstance(value, list) and len(value) == len(typ[1]):
        return [convert(v, t, depth + 1) for v, t in zip(value, typ[1])]
    if kind == "object" and isinstance(value, dict):
        out: dict[str, Any] = {}
        for name, attr_type, optional, default in typ[1]:
            given = value.get(name)
            if given is None:
                if name not in value and not optional:
                    out[name] = UNKNOWN  # Terraform would reject the value: nothing is known
                elif optional and default is not _NO_DEFAULT:
                    out[name] = convert(default, attr_type, depth + 1)
                else:
                    out[name] = None
            else:
                out[name] = convert(given, attr_type, depth + 1)
        return out
    return value  # does not fit: Terraform reports an error, we keep what was given


def _primitive(value: Any, name: str) -> Any:
    if name == "string":
        if isinstance(value, bool):
            return "true" if value else "false"
        if isinstance(value, (int, float)):
            return hclexpr.number_text(value)
        return value
    if name == "number":
        if isinstance(value, str):
            number = hclexpr.evaluate(hclexpr.Call("tonumber", (hclexpr.Literal(value),)))
            return value if number is UNKNOWN else number
        return value
    if isinstance(value, str) and value in ("true", "false"):
        return value == "true"
    return value


def _as_set(items: list[Any]) -> list[Any]:
    """A set of strings iterates in lexical order; other sets keep their first-seen order."""
    if all(isinstance(v, str) for v in items):
        return sorted(set(items))
    out: list[Any] = []
    for item in items:
        if item is UNKNOWN or isinstance(item, Choice):
            out.append(item)  # two unknowns may be two values
        elif not any(type(item) is type(seen) and item == seen for seen in out):
            out.append(item)
    return out
