"""Load a CloudFormation template (YAML or JSON, SAM and CDK output included).

Decoding is cfn-lint's: it knows the short-form tags (``!Ref``, ``!GetAtt``, ``!Sub`` ...),
refuses Python tags, reports duplicate keys, and keeps the line of every key. cfn-lint is
imported here only, so a scan without CloudFormation files never pays for it.

Importing cfn-lint costs about 0.5 s of CPU (it pulls in sympy and networkx), more than the
whole rest of a one-file scan. So templates go through a fast path first: PyYAML's C loader
(the same ``CSafeLoader`` cfn-lint decodes with, JSON included: cfn-lint reads JSON as YAML
first too) composes the node tree, and ``_FastDecoder`` turns it into the same plain data and
line map that cfn-lint's nodes give through ``_plain``. Whenever the fast path fails or meets
anything unusual (a syntax error, duplicate or non-string keys, anchors and aliases, merge
keys, ``!!`` tags other than plain scalars, an empty or non-mapping document, the size
limits), it gives up and cfn-lint decodes the file, so every error message and every odd case
is cfn-lint's. ``tests/test_perf_paths.py`` proves both paths give identical ``template`` and
``lines`` on every corpus file the fast path accepts.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from ha_lint.loaders import LoadFailure

# Guards against alias bombs and absurd nesting: a template is data, never this big.
MAX_NODES = 2_000_000
MAX_DEPTH = 200


@dataclass
class CfnTemplate:
    file: str  # as shown to the user
    template: dict[str, Any]  # plain data (no cfn-lint node classes)
    lines: dict[str, int] = field(default_factory=dict)  # "Resources.Db.Properties.MultiAZ" -> line


def load(text: str, shown: str) -> CfnTemplate:
    fast = load_fast(text, shown)
    return fast if fast is not None else load_cfnlint(text, shown)


def load_cfnlint(text: str, shown: str) -> CfnTemplate:
    """Decode with cfn-lint (the reference decoder; every error message comes from here)."""
    from cfnlint.decode import decode_str  # lazy: about half a second of imports

    template, matches = decode_str(text)
    if matches:
        first = matches[0]
        message = str(getattr(first, "message", first)).strip()
        line = getattr(first, "linenumber", None)
        raise LoadFailure(f"not valid YAML/JSON: {message}", line if line and line > 0 else None)
    if not isinstance(template, dict):
        raise LoadFailure("a CloudFormation template must be a mapping at the top level", 1)
    lines: dict[str, int] = {}
    plain = _plain(template, "", lines, [0], 0)
    return CfnTemplate(shown, plain, lines)


def _plain(node: Any, path: str, lines: dict[str, int], count: list[int], depth: int) -> Any:
    """Copy cfn-lint's nodes into plain dicts/lists, recording the line of every key."""
    count[0] += 1
    if count[0] > MAX_NODES:
        raise LoadFailure(f"template expands to more than {MAX_NODES:,} values (YAML alias bomb?)")
    if depth > MAX_DEPTH:
        raise LoadFailure(f"template nests deeper than {MAX_DEPTH} levels")
    if isinstance(node, dict):
        out: dict[str, Any] = {}
        for key, value in node.items():
            name = str(key)
            sub = f"{path}.{name}" if path else name
            mark = getattr(key, "start_mark", None)
            if mark is not None:
                lines[sub] = mark.line + 1
            out[name] = _plain(value, sub, lines, count, depth + 1)
        return out
    if isinstance(node, list):
        for i, v in enumerate(node):  # a list item's own line (``- IpProtocol: tcp``, ``{``)
            mark = getattr(v, "start_mark", None)
            if mark is not None and isinstance(v, dict):
                lines[f"{path}.{i}"] = mark.line + 1
        return [_plain(v, f"{path}.{i}", lines, count, depth + 1) for i, v in enumerate(node)]
    if isinstance(node, str):
        return str(node)
    return node


# -- the fast path -----------------------------------------------------------------------------

_STR = "tag:yaml.org,2002:str"
_MAP = "tag:yaml.org,2002:map"
_SEQ = "tag:yaml.org,2002:seq"
_MERGE = "tag:yaml.org,2002:merge"
# Scalars that PyYAML's safe constructors build the same way on both paths.
_PLAIN_SCALARS = frozenset("tag:yaml.org,2002:" + t for t in ("int", "float", "bool", "null", "timestamp"))
_UNCONVERTED = ("Ref", "Condition")  # !Ref and !Condition keep their name; other tags get "Fn::"


class _Unusual(Exception):
    """The fast path does not handle this file: cfn-lint decodes it."""


def load_fast(text: str, shown: str) -> CfnTemplate | None:
    """The template decoded without cfn-lint, or None when cfn-lint must decode it."""
    try:
        import yaml

        loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)(text)
        try:
            root = loader.get_single_node()
            if root is None or root.tag != _MAP:
                return None
            decoder = _FastDecoder(loader)
            template = decoder.value(root, "", 0)
        finally:
            loader.dispose()
    except Exception:  # any YAML error, _Unusual, RecursionError...: the reference decoder decides
        return None
    return CfnTemplate(shown, template, decoder.lines)


class _FastDecoder:
    """Composed YAML nodes -> plain data and key lines, exactly as cfn-lint's constructors
    followed by ``_plain`` give them (same values, same lines, same node count and depth
    limits), or ``_Unusual``."""

    def __init__(self, loader: Any) -> None:
        self.loader = loader
        self.lines: dict[str, int] = {}
        self.count = 0
        self.seen: set[int] = set()  # a node met twice is an alias

    def tick(self, depth: int) -> None:
        """One value, as ``_plain`` counts them."""
        self.count += 1
        if self.count > MAX_NODES or depth > MAX_DEPTH:
            raise _Unusual("size limits: cfn-lint's path reports them")

    def value(self, node: Any, path: str, depth: int) -> Any:
        self.tick(depth)
        if id(node) in self.seen:
            raise _Unusual("alias")
        self.seen.add(id(node))
        tag, kind = node.tag, node.id
        if tag == _STR and kind == "scalar":
            return node.value
        if tag == _MAP and kind == "mapping":
            return self.mapping(node, path, depth)
        if tag == _SEQ and kind == "sequence":
            return self.sequence(node, path, depth)
        if tag in _PLAIN_SCALARS and kind == "scalar":
            return self.loader.construct_object(node, deep=True)
        if _is_function(tag):
            return self.function(node, tag[1:], path, depth)
        raise _Unusual(f"tag {tag} on a {kind}")

    def mapping(self, node: Any, path: str, depth: int) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for key_node, value_node in node.value:
            if key_node.tag != _STR or key_node.id != "scalar":
                raise _Unusual("a key that is not a string (or a merge key)")
            name = key_node.value
            if name in out:
                raise _Unusual("duplicate key: cfn-lint's path reports it")
            sub = f"{path}.{name}" if path else name
            self.lines[sub] = key_node.start_mark.line + 1
            out[name] = self.value(value_node, sub, depth + 1)
        return out

    def sequence(self, node: Any, path: str, depth: int) -> list[Any]:
        for i, item in enumerate(node.value):  # a list item's own line when it is a mapping (or a function)
            if (item.tag == _MAP and item.id == "mapping") or _is_function(item.tag):
                self.lines[f"{path}.{i}"] = item.start_mark.line + 1
        return [self.value(item, f"{path}.{i}", depth + 1) for i, item in enumerate(node.value)]

    def function(self, node: Any, suffix: str, path: str, depth: int) -> dict[str, Any]:
        """``!Ref x`` -> {"Ref": "x"}, ``!GetAtt a.b`` -> {"Fn::GetAtt": ["a", "b"]}, ``!Sub`` ...
        -> {"Fn::Sub": ...}: a mapping of one key, with no line of its own for that key."""
        name = suffix if suffix in _UNCONVERTED else f"Fn::{suffix}"
        sub = f"{path}.{name}" if path else name
        self.tick(depth + 1)  # the function's argument
        kind = node.id
        if name == "Fn::GetAtt" and kind == "scalar":
            parts = node.value.split(".", 1)
            for _ in parts:
                self.tick(depth + 2)
            return {name: parts}
        if kind == "scalar":
            return {name: node.value}
        if kind == "sequence":
            return {name: self.sequence(node, sub, depth + 1)}
        if name == "Fn::GetAtt":
            raise _Unusual("!GetAtt with a mapping")
        return {name: self.mapping(node, sub, depth + 1)}


def _is_function(tag: str) -> bool:
    """A CloudFormation short-form tag (``!Ref``, ``!Sub``...), not ``!!`` nor a bare ``!``."""
    return tag.startswith("!") and len(tag) > 1 and not tag.startswith("!!")
