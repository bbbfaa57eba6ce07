"""HCL read from python-hcl2's Lark parse tree: each attribute's expression as a tree, and lines.

python-hcl2 builds its tree with ``propagate_positions``, so every node knows its first line.
``hcl2.loads`` turns that tree into dicts of strings (``"${var.a ? 1 : 0}"``) and keeps only
blocks' lines; this module keeps the tree. Paths are the loader's line keys (``TfBlock.lines``):
``name`` for an attribute, ``name.key`` for an object's key, ``type.N`` for the N-th nested
block of a type (``type.N.label`` for a labelled one, ``dynamic.0.ingress``), ``name.N`` for a
tuple's item. Spike for issue 22 step 1: nothing reads it yet but the line comparison.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Iterator

if TYPE_CHECKING:  # lark is imported by the parser, only when a .tf file is read
    from lark import Tree


@dataclass
class TreeBlock:
    """A top-level block: its type, labels, first line, and per path its line and expression."""

    block_type: str
    labels: tuple[str, ...]
    line: int
    end_line: int
    lines: dict[str, int] = field(default_factory=dict)
    expressions: dict[str, Tree] = field(default_factory=dict)  # attribute path -> expression tree
    sources: dict[str, str] = field(default_factory=dict)  # attribute path -> its expression as written


@dataclass
class ParsedFile:
    tree: Tree
    text: str  # the text the tree's positions index (heredoc markers' trailing blanks dropped)


def parse_tree(text: str) -> ParsedFile:
    """The Lark tree of ``text`` by the loader's parser (python-hcl2's grammar, its new-line
    rule inside brackets). Raises what lark raises; the loader turns that into a LoadFailure."""
    from ha_lint.loaders.terraform import _close_heredocs, _parser

    parser, newlines = _parser()
    newlines.text = _close_heredocs(text) + "\n"
    return ParsedFile(parser.parse(newlines.text), newlines.text)


def top_blocks(parsed: ParsedFile) -> Iterator[TreeBlock]:
    """Every top-level block of a parsed file, with its attributes' lines and expressions."""
    body = _child(parsed.tree, "body")
    for block in _items(body, "block"):
        block_type, labels, inner = _block_parts(block)
        found = TreeBlock(block_type, labels, block.meta.line, block.meta.end_line)
        _walk_body(inner, "", found, parsed.text)
        yield found


def _walk_body(body: Tree, path: str, out: TreeBlock, text: str) -> None:
    counts: dict[str, int] = {}
    for item in body.children:
        if not _is_tree(item):
            continue
        if item.data == "attribute":
            name = _text(item.children[0])
            sub = _join(path, name)
            out.lines.setdefault(sub, item.meta.line)
            expression = item.children[-1]
            out.expressions[sub] = expression
            out.sources[sub] = text[expression.meta.start_pos:expression.meta.end_pos]
            _walk_value(expression, sub, out)
        elif item.data == "block":
            block_type, labels, inner = _block_parts(item)
            index = counts.get(block_type, 0)
            counts[block_type] = index + 1
            first = _join(path, block_type)
            out.lines.setdefault(first, item.meta.line)
            sub = f"{first}.{index}"
            out.lines.setdefault(sub, item.meta.line)
            for label in labels:  # python-hcl2 nests a labelled block's body under its labels
                sub = f"{sub}.{label}"
                out.lines.setdefault(sub, item.meta.line)
            _walk_body(inner, sub, out, text)


def _walk_value(expression: Any, path: str, out: TreeBlock) -> None:
    """Lines of an object's keys and a tuple's items, at any depth (``tags.Name``)."""
    node = _unwrap(expression)
    if not _is_tree(node):
        return
    if node.data == "object":
        for elem in _items(node, "object_elem"):
            key = _object_key(elem.children[0])
            if key is None:
                continue
            sub = _join(path, key)
            out.lines.setdefault(sub, elem.meta.line)
            _walk_value(elem.children[-1], sub, out)
    elif node.data == "tuple":
        items = [c for c in node.children if _is_tree(c) and c.data != "new_line_or_comment"]
        for index, item in enumerate(items):
            sub = f"{path}.{index}"
            out.lines.setdefault(sub, item.meta.line)
            _walk_value(item, sub, out)


def _unwrap(node: Any) -> Any:
    """The object or tuple inside ``expr_term`` wrappers (not inside parentheses)."""
    while _is_tree(node) and node.data == "expr_term" and len(node.children) == 1:
        node = node.children[0]
    return node


def _object_key(key: Tree) -> str | None:
    inner = key.children[0]
    if _is_tree(inner) and inner.data == "object_elem_key_dot_accessor":
        return ".".join(_text(c) for c in inner.children if _is_tree(c))
    if _is_tree(inner) and inner.data in ("identifier", "string", "int_lit", "float_lit"):
        return _text(inner)
    return None  # a computed key, (var.name) = ...: no fixed path


def _block_parts(block: Tree) -> tuple[str, tuple[str, ...], Tree]:
    block_type = _text(block.children[0])
    labels = tuple(_text(c) for c in block.children[1:] if _is_tree(c) and c.data in ("identifier", "string"))
    return block_type, labels, _child(block, "body")


def _text(node: Any) -> str:
    """A name's or a plain string's text (a string's interpolations rendered as written)."""
    if isinstance(node, str):  # a lark Token is a str
        return str(node)
    return "".join(_text(c) for c in node.children) if node.data != "interpolation" else "${...}"


def _is_tree(node: Any) -> bool:
    return hasattr(node, "data") and hasattr(node, "children")


def _child(node: Tree, data: str) -> Tree:
    return next(c for c in node.children if _is_tree(c) and c.data == data)


def _items(node: Tree, data: str) -> list[Tree]:
    return [c for c in node.children if _is_tree(c) and c.data == data]


def _join(path: str, name: str) -> str:
    return f"{path}.{name}" if path else name
