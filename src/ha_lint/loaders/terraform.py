"""Load a Terraform module: every ``.tf`` file of one directory, parsed by python-hcl2.

python-hcl2 parses; its Lark parse tree (``hcltree``) gives the line of every attribute, nested
block, object key and tuple item, at any depth (``dynamic`` blocks' contents included), and each
expression as written (``hclexpr.Source``; literals stay Python values). A file python-hcl2 cannot
parse becomes one LoadFailure in plain words (``describe_failure``): the unclosed ``{`` and its
line, the attribute set twice and both lines, the heredoc never closed, the unexpected token
and what was expected. A block with too few or too many labels is refused as Terraform
refuses it. A heredoc closed by its marker and trailing blanks (``EOF  ``) loads, as in
Terraform (python-hcl2 alone refuses it).
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any, Iterator

from ha_lint.english import plural
from ha_lint.loaders import hcltree
from ha_lint.loaders import LoadFailure
from ha_lint.loaders.tfmodule import LABEL_NAMES, LABELS, TfBlock, TfFile, TfModule

__all__ = ["TfBlock", "TfFile", "TfModule", "configuration_files", "has_configuration", "load_file", "load_tfvars",
           "parse", "parse_with_lines", "describe_failure"]

_META = ("__start_line__", "__end_line__")


def configuration_files(directory: Path) -> list[Path]:
    """The configuration files of the module in ``directory`` (``*.tf``, ``*.tf.json``), sorted."""
    return sorted([*directory.glob("*.tf"), *directory.glob("*.tf.json")])


def has_configuration(directory: Path) -> bool:
    """Whether ``directory`` is a directory with Terraform configuration files in it."""
    try:
        return directory.is_dir() and bool(configuration_files(directory))
    except OSError:
        return False


def load_file(text: str, shown: str) -> TfFile:
    """One file of a module: HCL, or the JSON syntax for a ``.tf.json`` name (``tfjson``)."""
    if shown.lower().endswith(".tf.json"):
        from ha_lint.loaders import tfjson

        return tfjson.load_file(text, shown)
    parsed, tree = _parse_with_tree(text)
    lines_of = _TreeLines(tree)
    blocks: list[TfBlock] = []
    local_blocks: list[TfBlock] = []
    for block_type, entries in parsed.items():
        if not isinstance(entries, list):
            continue
        want = LABELS.get(block_type)
        for entry in entries:
            if want is None or not isinstance(entry, dict):
                continue  # an attribute at the top level, or a block type of a newer Terraform
            labelled = _unlabel(entry, want, block_type)
            if block_type == "locals":
                local_blocks.append(_block("locals", (), entry, shown, lines_of))
            elif block_type in ("resource", "data", "module", "variable", "output", "provider"):
                blocks.extend(_block(block_type, labels, body, shown, lines_of) for labels, body in labelled)
    return TfFile(shown, blocks, local_blocks)


class _TreeLines:
    """The line of each attribute path of each top-level block, read from the parse tree
    (``hcltree``). python-hcl2's dict lists blocks by type, the tree in file order: the N-th
    block of one type and labels is the same block in both."""

    def __init__(self, tree: hcltree.ParsedFile) -> None:
        self.blocks: dict[tuple[str, tuple[str, ...], int], dict[str, int]] = {}
        for block in hcltree.top_blocks(tree):
            self._add(block.block_type, block.labels, block.lines)
        self.taken: dict[tuple[str, tuple[str, ...]], int] = {}

    def _add(self, block_type: str, labels: tuple[str, ...], lines: dict[str, int]) -> None:
        index = 0
        while (block_type, labels, index) in self.blocks:
            index += 1
        self.blocks[(block_type, labels, index)] = lines

    def next_block(self, block_type: str, labels: tuple[str, ...]) -> dict[str, int]:
        index = self.taken.get((block_type, labels), 0)
        self.taken[(block_type, labels)] = index + 1
        return self.blocks.get((block_type, labels, index), {})


def parse(text: str) -> dict[str, Any]:
    """python-hcl2's parse (with line meta), or a LoadFailure saying what is wrong and where."""
    return _parse_with_tree(text)[0]


def parse_with_lines(text: str) -> tuple[dict[str, Any], dict[str, int]]:
    """``parse``, and the line of every attribute, object key and block of the file by its
    path (``hcltree.file_lines``: ``inputs.db_name``, ``terraform.0.source``)."""
    parsed, tree = _parse_with_tree(text)
    return parsed, hcltree.file_lines(tree)


def _parse_with_tree(text: str) -> tuple[dict[str, Any], hcltree.ParsedFile]:
    """``parse`` that also keeps the parse tree, for lines (one parse serves both)."""
    from hcl2.transformer import DictTransformer

    try:
        tree = hcltree.parse_tree(text)
        parsed = DictTransformer(with_meta=True).transform(tree.tree)
        if isinstance(parsed, dict):
            hcltree.as_written(tree, parsed)
    except RecursionError:
        line = _deepest_line(text)
        raise LoadFailure(f"nests too deeply to parse (brackets inside brackets, deepest at line {line}); "
                          "a Terraform file is never this deep, not loaded", line) from None
    except Exception as exc:  # lark raises many exception types; all mean "cannot parse"
        raise describe_failure(exc, text) from None
    if not isinstance(parsed, dict):
        raise LoadFailure("not valid HCL: the file holds no blocks or attributes", 1)
    return parsed, tree


def _unlabel(entry: Any, count: int, block_type: str, labels: tuple[str, ...] = ()) -> list[tuple[tuple[str, ...], dict]]:
    """(labels, body) of every block in python-hcl2's nesting of labels (a body is the dict that
    carries the line meta). A block with too few or too many labels is a LoadFailure, as in
    Terraform ("Missing name for resource", "Extraneous label for resource")."""
    if not isinstance(entry, dict):
        return []
    is_body = "__start_line__" in entry
    if count == 0 or is_body:
        if count or not is_body:
            raise _label_failure(block_type, labels, entry)
        return [(labels, entry)]
    out = []
    for label, inner in entry.items():
        if label in _META:
            continue
        out.extend(_unlabel(inner, count - 1, block_type, labels + (label,)))
    return out


def _label_failure(block_type: str, labels: tuple[str, ...], entry: dict) -> LoadFailure:
    want = LABELS[block_type]
    body = entry
    extra: list[str] = []
    while "__start_line__" not in body and body:  # too many labels: walk down to the body
        key = next((k for k in body if k not in _META), None)
        if key is None or not isinstance(body[key], dict):
            break
        extra.append(key)
        body = body[key]
    line = body.get("__start_line__") if isinstance(body, dict) else None
    written = labels + tuple(extra)
    have = plural(len(written), "label") + (
        f" ({' '.join(map(repr, written))})" if written else "")
    if want == 0:
        need = "takes no labels"
    else:
        need = f"needs {plural(want, 'label')}: {LABEL_NAMES.get(block_type, 'its name')}"
    example = {2: f'{block_type} "aws_db_instance" "main" {{ ... }}', 1: f'{block_type} "main" {{ ... }}',
               0: f"{block_type} {{ ... }}"}[want]
    where = f" at line {line}" if line else ""
    return LoadFailure(f"not valid Terraform: the {block_type} block{where} has {have}; a {block_type} block {need}, "
                       f"as in {example}", line)


def _block(block_type: str, labels: tuple[str, ...], body: dict, shown: str, lines_of: _TreeLines) -> TfBlock:
    start = body.get("__start_line__", 1)
    lines: dict[str, int] = {}
    clean = _strip_meta(body, "", lines)
    lines.update((path, line) for path, line in lines_of.next_block(block_type, labels).items()
                 if not _inside_dynamic_content(path))
    return TfBlock(block_type, labels, clean, shown, start, lines)


def _inside_dynamic_content(path: str) -> bool:
    """Whether ``path`` names something inside a ``dynamic`` block's ``content`` (or beside its
    ``for_each``). Those get no line of their own: a finding about a dynamic block is placed at
    the block, whose ``for_each`` decides whether it exists (the fixtures pin this)."""
    parts = path.split(".")
    if "dynamic" not in parts:
        return False
    at = parts.index("dynamic")
    return parts[at + 3:] not in ([], ["content"]) and not (
        len(parts) == at + 5 and parts[at + 3] == "content" and parts[at + 4].isdigit())


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
    events = _brackets(raw_lines)
    pending = next(events, None)
    for line_no in range(1, len(raw_lines) + 1):
        depths.append(level)
        while pending is not None and pending[0] == line_no:
            level += 1 if pending[2] in "{[(" else -1
            pending = next(events, None)
    depths.append(level)
    return _Layout(raw_lines, depths)


def _brackets(raw_lines: list[str]) -> Iterator[tuple[int, int, str]]:
    """(line, column, bracket) of every bracket outside strings, comments and heredocs."""
    heredoc: str | None = None
    in_block_comment = False
    for line_no, raw in enumerate(raw_lines, start=1):
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
            elif ch in "{[()]}":
                yield line_no, i + 1, ch
            i += 1


def _deepest_line(text: str) -> int:
    level, deepest, line = 0, -1, 1
    for line_no, _, ch in _brackets(text.split("\n")):
        level += 1 if ch in "{[(" else -1
        if level > deepest:
            deepest, line = level, line_no
    return line


_TOKENS = {  # python-hcl2's token names -> what a Terraform author would call them
    "LBRACE": "'{'", "RBRACE": "'}'", "LSQB": "'['", "RSQB": "']'", "LPAR": "'('", "RPAR": "')'",
    "COMMA": "','", "EQ": "'='", "COLON": "':'", "DOT": "'.'", "QMARK": "'?'", "DBLQUOTE": "'\"'",
    "__ANON_0": "'${'", "$END": "the end of the file", "NL_OR_COMMENT": "a new line", "NAME": "a name",
    "BINARY_OP": "an operator", "DECIMAL": "a number", "EXP_MARK": "an exponent", "FOR_OBJECT_ARROW": "'=>'",
    "BANG": "'!'", "MINUS": "'-'", "ELLIPSIS": "'...'",
}
_CLOSERS = {"RBRACE": "}", "RSQB": "]", "RPAR": ")"}
_OPENER_OF = {"}": "{", "]": "[", ")": "("}


def describe_failure(exc: Exception, text: str) -> LoadFailure:
    """What python-hcl2 (lark) could not parse, in words: the token, its line and column, what
    was expected, and the likely cause (an unclosed block, a duplicated attribute...)."""
    original = getattr(exc, "orig_exc", None)
    if original is not None:  # an error while building values: "x already defined" and the like
        defined = re.match(r"(.+) already defined$", str(original).strip())
        if defined:
            name = defined.group(1)
            lines = _duplicate_lines(text, name)
            where = f" (lines {', '.join(map(str, lines[:-1]))} and {lines[-1]})" if len(lines) > 1 else ""
            return LoadFailure(f"not valid HCL: the attribute {name!r} is set more than once in the same block{where}; "
                               "Terraform refuses this (\"Attribute redefined\"): keep one", lines[-1] if lines else None)
        return LoadFailure(f"not valid HCL: {str(original).strip() or type(original).__name__}", _error_line(exc))
    token = getattr(exc, "token", None)
    line, column = getattr(exc, "line", None), getattr(exc, "column", None)
    line = line if isinstance(line, int) and line > 0 else _error_line(exc)
    at = f"line {line}, column {column}" if line and isinstance(column, int) and column > 0 else \
        f"line {line}" if line else "an unknown place"
    expected = set(getattr(exc, "expected", None) or getattr(exc, "allowed", None) or ())
    if token is not None:
        kind, value = getattr(token, "type", ""), str(token)
        if kind == "$END" or (kind == "STRING_CHARS" and not value.strip() and text[_offset(text, line, column):].strip() == ""):
            opener = _unclosed(text)
            if opener:
                char, open_line = opener
                return LoadFailure(f"not valid HCL: the file ends before the '{char}' at line {open_line} is closed "
                                   f"(a missing '{ {'{': '}', '[': ']', '(': ')'}[char] }'?)", open_line)
            return LoadFailure(f"not valid HCL: the file ends in the middle of an expression at {at} (truncated?)", line)
        if kind == "STRING_CHARS" and value.startswith("<<"):
            marker = re.match(r"<<-?\s*([A-Za-z_][\w-]*)?(.*)", value.split("\n", 1)[0])
            if marker and marker.group(1) and marker.group(2).strip() == "":
                return LoadFailure(f"not valid HCL: the heredoc <<{marker.group(1)} that starts at {at} is never closed: "
                                   f"it needs a line holding only {marker.group(1)}", line)
            return LoadFailure(f"not valid HCL: the heredoc at {at} is malformed: '<<' must be followed by a marker "
                               "name and the end of the line", line)
        if kind in _CLOSERS and expected == {"$END"}:
            return LoadFailure(f"not valid HCL: unexpected '{_CLOSERS[kind]}' at {at}: it closes nothing "
                               "(one too many?)", line)
        closers = {_CLOSERS[e] for e in expected if e in _CLOSERS}
        if kind in _CLOSERS and closers and _CLOSERS[kind] not in closers:
            want = " or ".join(f"'{c}'" for c in sorted(closers))
            return LoadFailure(f"not valid HCL: '{_CLOSERS[kind]}' at {at} comes before {want}: a "
                               f"'{_OPENER_OF[sorted(closers)[0]]}' is not closed", line)
        shown = _TOKENS.get(kind) if kind != "STRING_CHARS" else None
        if shown is None:
            first = value.strip().split("\n", 1)[0] if value.strip() else ""
            shown = repr(first[:20]) if first else "the end of the line"
        hint = _expected_words(expected)
        if not value.strip() and "EQ" not in expected and kind == "STRING_CHARS":
            hint = " (a value is missing?)"
        return LoadFailure(f"not valid HCL: unexpected {shown} at {at}{hint}", line)
    char = getattr(exc, "char", None)
    if char is not None:
        return LoadFailure(f"not valid HCL: unexpected character {char!r} at {at}", line)
    first = str(exc).strip().splitlines()
    return LoadFailure(f"not valid HCL: {first[0] if first else type(exc).__name__}", line)


def _expected_words(expected: set[str]) -> str:
    words = [_TOKENS[e] for e in sorted(expected) if e in _TOKENS and e not in ("NL_OR_COMMENT", "$END")]
    if not words or len(words) > 4 or len(words) < len([e for e in expected if e not in ("NL_OR_COMMENT", "$END")]):
        return ""
    return f" (expected {' or '.join(words)})"


def _offset(text: str, line: int | None, column: int | None) -> int:
    if not line:
        return len(text)
    start = 0
    for _ in range(line - 1):
        start = text.find("\n", start) + 1
        if start == 0:
            return len(text)
    return start + max(0, (column or 1) - 1)


def _unclosed(text: str) -> tuple[str, int] | None:
    """The innermost bracket never closed: (bracket, line), or None."""
    stack: list[tuple[str, int]] = []
    for line_no, _, ch in _brackets(text.split("\n")):
        if ch in "{[(":
            stack.append((ch, line_no))
        elif stack:
            stack.pop()
    return stack[-1] if stack else None


def _duplicate_lines(text: str, name: str) -> list[str]:
    """Lines that set attribute ``name`` twice in one block (same depth, same enclosing block)."""
    layout = _line_depths(text)
    setter = re.compile(rf'\s*"?{re.escape(name)}"?\s*=(?!=)')
    groups: dict[tuple[int, int], list[int]] = {}
    for line_no in range(1, len(layout)):
        if setter.match(layout.text(line_no)):
            level = layout[line_no - 1]
            parent = next((n for n in range(line_no - 1, 0, -1) if layout[n - 1] < level), 0)
            groups.setdefault((level, parent), []).append(line_no)
    return next((lines for lines in groups.values() if len(lines) > 1), [])


def _error_line(exc: Exception) -> int | None:
    line = getattr(exc, "line", None)
    if isinstance(line, int) and line > 0:
        return line
    m = re.search(r"line (\d+)", str(exc))
    return int(m.group(1)) if m else None


def load_tfvars(text: str, shown: str) -> dict[str, tuple[Any, int]]:
    """``name = value`` pairs of a ``.tfvars`` file (or ``name: value`` of a ``.tfvars.json``
    one), each with its line; a LoadFailure as for a ``.tf`` file when it does not parse."""
    if shown.lower().endswith(".json"):
        from ha_lint.loaders import tfjson

        return tfjson.load_tfvars(text)
    parsed, lines = parse_with_lines(text)
    return {name: (value, lines.get(name, 1)) for name, value in parsed.items() if name not in _META}
