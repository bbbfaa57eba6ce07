"""Load a CloudFormation template (YAML or JSON, SAM and CDK output included).

Decoding is cfn-lint's: it knows the short-form tags (``!Ref``, ``!GetAtt``, ``!Sub`` ...),
refuses Python tags, reports duplicate keys, and keeps the line of every key. cfn-lint is
imported here only, so a scan without CloudFormation files never pays for it.
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
