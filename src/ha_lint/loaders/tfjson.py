"""Load a Terraform file written in the JSON configuration syntax (``*.tf.json``): CDK for
Terraform's ``cdk.tf.json``, or any generated configuration.

The result is the ``TfFile`` the HCL loader gives, in python-hcl2's shapes, so that resolution
and rules see one thing. The JSON syntax maps onto the native one this way (Terraform's "JSON
Configuration Syntax"):

- The root object's properties are block types; a block's labels are nested object keys, and
  at any level an array of objects stands for several of them (``"provider": {"aws": [{...},
  {"alias": "west", ...}]}``).
- Strings are templates: ``"${var.x}"`` is the expression ``var.x``, exactly what python-hcl2
  gives for it. Where Terraform takes a string as something else, it is rewritten to the HCL
  form: a variable's ``type`` (``"list(string)"`` -> ``${list(string)}``), ``depends_on``,
  ``providers`` and ``lifecycle.ignore_changes`` (references), a variable's ``default`` (a
  literal: ``${`` stays text).
- A ``"//"`` property in a block is a comment and is dropped.
- A nested block is an object or an array of objects; ``lifecycle`` and ``dynamic`` become the
  lists python-hcl2 makes of them (the resolver reads those). Other nested blocks stay as
  written: the neutral property paths walk objects and lists alike.

Lines come from the JSON itself: every property's line (its key's), recorded under the same
paths the HCL loader uses (``multi_az``, ``tags.Name``, ``ingress.0.from_port``).
"""

from __future__ import annotations

import bisect
import json
import re
from typing import Any

from ha_lint.loaders import LoadFailure
from ha_lint.loaders.tfmodule import LABEL_NAMES, LABELS, TfBlock, TfFile

_KEPT = ("resource", "data", "module", "variable", "output", "provider")
_COMMENT = "//"
_MAX_DEPTH = 200  # deeper JSON is refused; a configuration is never this deep


class _Object(dict):
    """A JSON object with the line of each of its keys, and of its own ``{``."""

    line: int
    key_lines: dict[str, int]


class _Array(list):
    """A JSON array with the line of each item."""

    line: int
    item_lines: list[int]


def load_tfvars(text: str) -> dict[str, tuple[Any, int]]:
    """``name: value`` pairs of a ``.tfvars.json`` file, each with its line. Values are
    literal (``${`` is text, escaped as HCL escapes it)."""
    root = parse(text)
    if not isinstance(root, _Object):
        raise LoadFailure("not a variable definitions file: a .tfvars.json file holds one object of variable names "
                          "and values", getattr(root, "line", 1))
    return {name: (_literal(_plain(value, name, {}, 0)), root.key_lines[name]) for name, value in root.items()}


def load_file(text: str, shown: str) -> TfFile:
    root = parse(text)
    if not isinstance(root, _Object):
        raise LoadFailure("not valid Terraform JSON: the file must hold one object whose properties are block types "
                          "(\"resource\", \"variable\", ...)", getattr(root, "line", 1))
    blocks: list[TfBlock] = []
    local_blocks: list[TfBlock] = []
    for block_type, value in root.items():
        want = LABELS.get(block_type)
        if block_type == _COMMENT or want is None:
            continue  # a comment, or a block type of a newer Terraform
        for labels, body, line in _labelled(value, want, block_type, (), root.key_lines[block_type]):
            if block_type == "locals":
                local_blocks.append(_block("locals", (), body, shown, line))
            elif block_type in _KEPT:
                blocks.append(_block(block_type, labels, body, shown, line))
    return TfFile(shown, blocks, local_blocks)


def _labelled(value: Any, count: int, block_type: str, labels: tuple[str, ...],
              line: int) -> list[tuple[tuple[str, ...], _Object, int]]:
    """(labels, body, line) of every block under ``value``, which holds ``count`` more levels
    of labels; an array at any level is several objects of that level."""
    if isinstance(value, _Array):
        out = []
        for item, item_line in zip(value, value.item_lines):
            out.extend(_labelled(item, count, block_type, labels, item_line))
        return out
    if not isinstance(value, _Object):
        want = LABELS[block_type]
        raise LoadFailure(f"not valid Terraform JSON: the {block_type} block at line {line} must be an object"
                          + (f" keyed by {LABEL_NAMES.get(block_type, 'its name')}" if want else ""), line)
    if count == 0:
        return [(labels, value, line)]
    out = []
    for label, inner in value.items():
        if label == _COMMENT:
            continue
        out.extend(_labelled(inner, count - 1, block_type, labels + (label,), value.key_lines[label]))
    return out


def _block(block_type: str, labels: tuple[str, ...], body: _Object, shown: str, line: int) -> TfBlock:
    lines: dict[str, int] = {}
    clean = {key: _plain(value, key, lines, 0) for key, value in body.items() if key != _COMMENT}
    for key in clean:
        lines.setdefault(key, body.key_lines[key])
    _to_native_shapes(block_type, clean)
    return TfBlock(block_type, labels, clean, shown, line, lines)


def _plain(value: Any, path: str, lines: dict[str, int], depth: int) -> Any:
    """Plain dicts and lists, each property's line recorded under its path."""
    if isinstance(value, _Object):
        out = {}
        for key, inner in value.items():
            if key == _COMMENT:
                continue
            sub = f"{path}.{key}"
            lines.setdefault(sub, value.key_lines[key])
            out[key] = _plain(inner, sub, lines, depth + 1)
        return out
    if isinstance(value, _Array):
        items = []
        for index, (inner, line) in enumerate(zip(value, value.item_lines)):
            sub = f"{path}.{index}"
            if isinstance(inner, (_Object, _Array)):
                lines.setdefault(sub, line)
            items.append(_plain(inner, sub, lines, depth + 1))
        return items
    return value


def _to_native_shapes(block_type: str, body: dict[str, Any]) -> None:
    """Rewrite the arguments the JSON syntax writes differently from python-hcl2's output."""
    if block_type == "variable":
        kind = body.get("type")
        if isinstance(kind, str) and not kind.strip().isidentifier():  # python-hcl2 gives bool as "bool"
            body["type"] = _expression(kind)
        if "default" in body:
            body["default"] = _literal(body["default"])
    if isinstance(body.get("depends_on"), list):
        body["depends_on"] = [_expression(r) if isinstance(r, str) else r for r in body["depends_on"]]
    if block_type == "module" and isinstance(body.get("providers"), dict):
        body["providers"] = {k: _expression(v) if isinstance(v, str) else v for k, v in body["providers"].items()}
    if block_type in ("resource", "data"):
        if "lifecycle" in body:
            body["lifecycle"] = [_lifecycle(item) for item in _blocks(body["lifecycle"])]
        if "dynamic" in body:
            body["dynamic"] = _dynamic(body["dynamic"])


def _blocks(value: Any) -> list[Any]:
    """A nested block written as one object or an array of objects: the list of them."""
    return list(value) if isinstance(value, list) else [value]


def _lifecycle(block: Any) -> Any:
    if isinstance(block, dict) and isinstance(block.get("ignore_changes"), list):
        block = {**block, "ignore_changes": [_expression(a) if isinstance(a, str) else a
                                             for a in block["ignore_changes"]]}
    return block


def _dynamic(value: Any) -> list[dict[str, Any]]:
    """``{"ingress": {"for_each": ..., "content": {...}}}`` (or arrays of either) -> python-hcl2's
    ``[{"ingress": {"for_each": ..., "content": [{...}]}}]``, nested dynamic blocks too."""
    out: list[dict[str, Any]] = []
    for group in _blocks(value):
        if not isinstance(group, dict):
            continue
        for label, specs in group.items():
            for spec in _blocks(specs):
                if isinstance(spec, dict) and "content" in spec:
                    content = [dict(c) for c in _blocks(spec["content"]) if isinstance(c, dict)]
                    for item in content:
                        if "dynamic" in item:
                            item["dynamic"] = _dynamic(item["dynamic"])
                    spec = {**spec, "content": content}
                out.append({label: spec})
    return out


_REFERENCE_TEXT = re.compile(r"^\$\{.*\}$", re.S)


def _expression(text: str) -> str:
    """A string Terraform reads as an expression (not a template): python-hcl2's ``${...}`` form."""
    return text if _REFERENCE_TEXT.match(text.strip()) else "${" + text.strip() + "}"


def _literal(value: Any) -> Any:
    """A value Terraform takes literally: ``${`` in its strings is text, escaped as HCL escapes it."""
    if isinstance(value, str):
        return value.replace("${", "$${").replace("%{", "%%{")
    if isinstance(value, list):
        return [_literal(v) for v in value]
    if isinstance(value, dict):
        return {k: _literal(v) for k, v in value.items()}
    return value


# -- a JSON decoder that keeps lines -------------------------------------------------------

_WHITESPACE = re.compile(r"[ \t\n\r]*")
_NUMBER = re.compile(r"(-?(?:0|[1-9]\d*))(\.\d+)?([eE][-+]?\d+)?")
_CONSTANTS = {"true": True, "false": False, "null": None}


def parse(text: str) -> Any:
    """The JSON value of ``text``, objects as ``_Object`` and arrays as ``_Array`` with lines;
    a LoadFailure naming the line of the first error."""
    decoder = _Decoder(text.lstrip("\ufeff"))
    try:
        value, end = decoder.value(decoder.skip(0), 0)
        end = decoder.skip(end)
        if end != len(decoder.text):
            raise decoder.error("unexpected text after the JSON value", end)
    except json.JSONDecodeError as exc:
        raise LoadFailure(f"not valid JSON: {exc.msg} (line {exc.lineno}, column {exc.colno})", exc.lineno) from None
    return value


class _Decoder:
    def __init__(self, text: str) -> None:
        self.text = text
        self.newlines = [i for i, ch in enumerate(text) if ch == "\n"]

    def line(self, position: int) -> int:
        return bisect.bisect_left(self.newlines, position) + 1

    def error(self, message: str, position: int) -> json.JSONDecodeError:
        return json.JSONDecodeError(message, self.text, min(position, len(self.text)))

    def skip(self, position: int) -> int:
        return _WHITESPACE.match(self.text, position).end()  # type: ignore[union-attr]

    def value(self, position: int, depth: int) -> tuple[Any, int]:
        if depth > _MAX_DEPTH:
            raise self.error(f"nests deeper than {_MAX_DEPTH} levels", position)
        text = self.text
        if position >= len(text):
            raise self.error("the file ends where a value was expected", position)
        ch = text[position]
        if ch == "{":
            return self.object(position, depth)
        if ch == "[":
            return self.array(position, depth)
        if ch == '"':
            return json.decoder.scanstring(text, position + 1, True)
        for word, constant in _CONSTANTS.items():
            if text.startswith(word, position):
                return constant, position + len(word)
        number = _NUMBER.match(text, position)
        if number and number.end() > position:
            whole, fraction, exponent = number.groups()
            if fraction or exponent:
                return float(number.group(0)), number.end()
            return int(whole), number.end()
        raise self.error("expected a value", position)

    def object(self, position: int, depth: int) -> tuple[_Object, int]:
        out = _Object()
        out.line, out.key_lines = self.line(position), {}
        position = self.skip(position + 1)
        if self.text.startswith("}", position):
            return out, position + 1
        while True:
            if not self.text.startswith('"', position):
                raise self.error("expected a property name in double quotes", position)
            key_line = self.line(position)
            key, position = json.decoder.scanstring(self.text, position + 1, True)
            position = self.skip(position)
            if not self.text.startswith(":", position):
                raise self.error("expected ':' after a property name", position)
            value, position = self.value(self.skip(position + 1), depth + 1)
            out[key] = value
            out.key_lines[key] = key_line
            position = self.skip(position)
            if self.text.startswith("}", position):
                return out, position + 1
            if not self.text.startswith(",", position):
                raise self.error("expected ',' or '}'", position)
            position = self.skip(position + 1)

    def array(self, position: int, depth: int) -> tuple[_Array, int]:
        out = _Array()
        out.line, out.item_lines = self.line(position), []
        position = self.skip(position + 1)
        if self.text.startswith("]", position):
            return out, position + 1
        while True:
            out.item_lines.append(self.line(position))
            value, position = self.value(position, depth + 1)
            out.append(value)
            position = self.skip(position)
            if self.text.startswith("]", position):
                return out, position + 1
            if not self.text.startswith(",", position):
                raise self.error("expected ',' or ']'", position)
            position = self.skip(position + 1)
