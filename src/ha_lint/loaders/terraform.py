"""Load a Terraform module: every ``.tf`` file of one directory, parsed by python-hcl2.

python-hcl2 gives each block its first and last line; the line of each attribute inside a
block is found here, by the brace depth of the block's own lines.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ha_lint.loaders import LoadFailure

_META = ("__start_line__", "__end_line__")


@dataclass
class TfBlock:
    """A labelled top-level block: resource, data, module, variable, output, provider."""

    block_type: str
    labels: tuple[str, ...]
    body: dict[str, Any]  # python-hcl2 values, meta keys removed
    file: str
    line: int
    lines: dict[str, int] = field(default_factory=dict)  # attribute path -> line


@dataclass
class TfFile:
    file: str
    blocks: list[TfBlock]
    locals: list[TfBlock]


@dataclass
class TfModule:
    directory: str  # as shown to the user
    path: Path  # on disk, for finding local module sources and tfvars
    files: list[TfFile] = field(default_factory=list)

    def blocks(self, block_type: str) -> list[TfBlock]:
        return [b for f in self.files for b in f.blocks if b.block_type == block_type]

    def locals(self) -> list[TfBlock]:
        return [b for f in self.files for b in f.locals]


_LABELS = {"resource": 2, "data": 2, "module": 1, "variable": 1, "output": 1, "provider": 1}


def load_file(text: str, shown: str) -> TfFile:
    import hcl2  # lazy: lark grammar load

    try:
        parsed = hcl2.loads(text, with_meta=True)
    except Exception as exc:  # lark raises many exception types; all mean "cannot parse"
        raise LoadFailure(f"not valid HCL: {_first_line(exc)}", _error_line(exc)) from None
    depth = _line_depths(text)
    blocks: list[TfBlock] = []
    local_blocks: list[TfBlock] = []
    for block_type, entries in parsed.items():
        if not isinstance(entries, list):
            continue
        for entry in entries:
            if block_type == "locals":
                if isinstance(entry, dict):
                    local_blocks.append(_block("locals", (), entry, shown, depth))
                continue
            want = _LABELS.get(block_type)
            if want is None:
                continue  # terraform {}, moved {}, import {}, check {} ...
            for labels, body in _unlabel(entry, want):
                blocks.append(_block(block_type, labels, body, shown, depth))
    return TfFile(shown, blocks, local_blocks)


def _unlabel(entry: Any, count: int, labels: tuple[str, ...] = ()) -> list[tuple[tuple[str, ...], dict]]:
    if not isinstance(entry, dict):
        return []
    if count == 0:
        return [(labels, entry)]
    out = []
    for label, inner in entry.items():
        if label in _META:
            continue
        out.extend(_unlabel(inner, count - 1, labels + (label,)))
    return out


def _block(block_type: str, labels: tuple[str, ...], body: dict, shown: str, depth: _Layout) -> TfBlock:
    start = body.get("__start_line__", 1)
    end = body.get("__end_line__", start)
    lines: dict[str, int] = {}
    clean = _strip_meta(body, "", lines)
    _attribute_lines(clean, "", start, end, depth, lines)
    return TfBlock(block_type, labels, clean, shown, start, lines)


def _strip_meta(value: Any, path: str, lines: dict[str, int]) -> Any:
    """Drop python-hcl2's meta keys, keeping nested blocks' first lines."""
    if isinstance(value, dict):
        if "__start_line__" in value and path:
            lines[path] = value["__start_line__"]
        return {k: _strip_meta(v, f"{path}.{k}" if path else k, lines)
                for k, v in value.items() if k not in _META}
    if isinstance(value, list):
        return [_strip_meta(v, f"{path}.{i}", lines) for i, v in enumerate(value)]
    return value


_KEY = re.compile(r'\s*"?([A-Za-z_][\w-]*)"?\s*(=|\{|")')


def _attribute_lines(body: dict, path: str, start: int, end: int, depth: _Layout, lines: dict[str, int]) -> None:
    """Record the line of each attribute one level inside the block at [start, end]."""
    if start >= len(depth):
        return
    inner = depth[start - 1] + 1  # depth of lines directly inside the block
    wanted = {k for k in body}
    seen: set[str] = set()
    for line_no in range(start + 1, min(end, len(depth) - 1) + 1):
        if depth[line_no - 1] != inner:
            continue
        match = _KEY.match(depth.text(line_no))
        if match and match.group(1) in wanted and match.group(1) not in seen:
            key = match.group(1)
            seen.add(key)
            sub = f"{path}.{key}" if path else key
            lines.setdefault(sub, line_no)
            nested = body[key]
            # Repeated nested blocks (ingress {} x N) already carry their own lines.
            if isinstance(nested, list):
                for i, item in enumerate(nested):
                    item_line = lines.get(f"{sub}.{i}")
                    if isinstance(item, dict) and item_line:
                        block_end = _block_end(depth, item_line)
                        _attribute_lines(item, f"{sub}.{i}", item_line, block_end, depth, lines)


def _block_end(depth: _Layout, start: int) -> int:
    level = depth[start - 1]
    for line_no in range(start + 1, len(depth)):
        if depth[line_no - 1] <= level:
            return line_no - 1
    return len(depth) - 1


class _Layout:
    """Each line's text and the brace depth at its start (1-based line numbers)."""

    def __init__(self, lines: list[str], depths: list[int]) -> None:
        self.lines = lines
        self.depths = depths

    def __len__(self) -> int:
        return len(self.depths)

    def __getitem__(self, index: int) -> int:
        return self.depths[index]

    def text(self, line_no: int) -> str:
        return self.lines[line_no - 1]


def _line_depths(text: str) -> _Layout:
    """Brace/bracket depth at the start of each line, ignoring strings, comments, heredocs."""
    raw_lines = text.split("\n")
    depths: list[int] = []
    level = 0
    heredoc: str | None = None
    in_block_comment = False
    for raw in raw_lines:
        depths.append(level)
        if heredoc is not None:
            if raw.strip() == heredoc:
                heredoc = None
            continue
        i, n, in_string = 0, len(raw), False
        while i < n:
            ch = raw[i]
            if in_block_comment:
                if raw.startswith("*/", i):
                    in_block_comment = False
                    i += 1
            elif in_string:
                if ch == "\\":
                    i += 1
                elif ch == '"':
                    in_string = False
            elif ch == '"':
                in_string = True
            elif ch == "#" or raw.startswith("//", i):
                break
            elif raw.startswith("/*", i):
                in_block_comment = True
                i += 1
            elif raw.startswith("<<", i):
                m = re.match(r"<<-?\s*([A-Za-z_]\w*)", raw[i:])
                if m:
                    heredoc = m.group(1)
                    break
            elif ch in "{[(":
                level += 1
            elif ch in "}])":
                level -= 1
            i += 1
    depths.append(level)
    return _Layout(raw_lines, depths)


def _first_line(exc: Exception) -> str:
    text = str(exc).strip().splitlines()
    return text[0] if text else type(exc).__name__


def _error_line(exc: Exception) -> int | None:
    line = getattr(exc, "line", None)
    if isinstance(line, int) and line > 0:
        return line
    m = re.search(r"line (\d+)", str(exc))
    return int(m.group(1)) if m else None


def load_tfvars(text: str, shown: str) -> dict[str, tuple[Any, int]]:
    """``name = value`` pairs of a ``.tfvars`` file, each with its line."""
    import hcl2

    try:
        parsed = hcl2.loads(text)
    except Exception as exc:
        raise LoadFailure(f"not valid HCL: {_first_line(exc)}", _error_line(exc)) from None
    lines = text.split("\n")
    out: dict[str, tuple[Any, int]] = {}
    for name, value in parsed.items():
        line = next((i + 1 for i, raw in enumerate(lines) if re.match(rf'\s*"?{re.escape(name)}"?\s*=', raw)), 1)
        out[name] = (value, line)
    return out
