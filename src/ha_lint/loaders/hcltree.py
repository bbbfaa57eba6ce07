"""HCL read from python-hcl2's Lark parse tree: lines, and each expression as written.

python-hcl2 builds its tree with ``propagate_positions``, so every node knows its first line
and its span. ``hcl2.loads`` turns that tree into dicts of strings (``"${var.a ? 1 : 0}"``),
renderings that lose what an evaluator needs (``[""]`` comes back as ``[]``, a heredoc's last
new line goes, quotes go missing inside tuples), and keeps only blocks' lines; this module
keeps the tree. ``as_written`` puts each expression's text, sliced from the tree, in place of
its rendering (``hclexpr.Source``), and the lines of every path come from the tree too. Paths
are the loader's line keys (``TfBlock.lines``): ``name`` for an attribute, ``name.key`` for an
object's key, ``type.N`` for the N-th nested block of a type (``type.N.label`` for a labelled
one, ``dynamic.0.ingress``), ``name.N`` for a tuple's item. ``parse_tree`` is the loader's
parser. Expressions are parsed by ``hclexpr`` from their text rather than node by node: the
tree's operator chains have no precedence (``x * 2 + 1`` comes as ``x * (2 + 1)``).
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Iterator

if TYPE_CHECKING:  # lark is imported by the parser, only when a .tf file is read
    from lark import Tree


@dataclass
class TreeBlock:
    """A top-level block: its type, labels, first line, and the line of each of its paths."""

    block_type: str
    labels: tuple[str, ...]
    line: int
    end_line: int
    lines: dict[str, int] = field(default_factory=dict)


@dataclass
class ParsedFile:
    tree: Tree
    text: str  # the text the tree's positions index (heredoc markers' trailing blanks dropped)


def parse_tree(text: str) -> ParsedFile:
    """The Lark tree of ``text`` by the loader's parser (python-hcl2's grammar, its new-line
    rule inside brackets). Raises what lark raises; the loader turns that into a LoadFailure."""
    parser, newlines = _parser()
    newlines.text = _close_heredocs(text) + "\n"
    return ParsedFile(parser.parse(newlines.text), newlines.text)


class _NewLinesInBrackets:
    """A lark post-lexer: inside ``( )``, ``[ ]``, ``${ }`` and a ``{ for ... }`` expression a
    new line (or a comment) means nothing, as in Terraform's own parser (hclsyntax ignores
    newlines there; in an object's ``{ }`` they separate items). python-hcl2's grammar allows
    new lines only at some places inside brackets, so ``(var.a\n ? 3\n : 1)`` or
    ``(a\n || b)`` made the whole file unreadable (``unexpected '?'``). Tokens keep their
    own lines: nothing else moves."""

    always_accept = ("NL_OR_COMMENT",)  # lexed in every parser state, so that it can be dropped here

    def __init__(self) -> None:
        self.opening = {"LPAR": True, "LSQB": True}  # -> new lines ignored inside (and "${": _parser)
        self.text = ""  # the text being parsed: whether a '{' opens a for expression is read from it

    def process(self, stream: Iterator[Any]) -> Iterator[Any]:
        ignoring: list[bool] = []
        for token in stream:
            kind = token.type
            if kind == "LBRACE":  # (no token is read ahead: the lexer's state follows the parser's)
                ignoring.append(bool(_FOR_AHEAD.match(self.text, token.end_pos)))
            elif kind in self.opening:
                ignoring.append(self.opening[kind])
            elif kind in ("RPAR", "RSQB", "RBRACE") and ignoring:
                ignoring.pop()
            elif kind == "NL_OR_COMMENT" and ignoring and ignoring[-1]:
                continue
            yield token


# a for expression's keyword after a '{' (not a key such as for_each, format or for-x)
_FOR_AHEAD = re.compile(r"(?:\s|#[^\n]*|//[^\n]*|/\*.*?\*/)*for(?![\w-])", re.S)


@functools.lru_cache(maxsize=1)
def _parser() -> tuple[Any, _NewLinesInBrackets]:
    """python-hcl2's grammar and options with the post-lexer: built from python-hcl2's own cached
    analysis of the grammar (a post-lexer is not part of the cache key), so it costs no more."""
    import hcl2.parser
    from lark import Lark

    newlines = _NewLinesInBrackets()
    parser = Lark.open("hcl2.lark", parser="lalr", cache=str(hcl2.parser.PARSER_FILE), rel_to=hcl2.parser.__file__,
                       propagate_positions=True, postlex=newlines)
    # the grammar's "${" is an anonymous terminal: its name is read from the parser just built
    newlines.opening[next((t.name for t in parser.terminals if t.pattern.value == "${"), "__ANON_0")] = True
    return parser, newlines


_HEREDOC_START = re.compile(r"<<-?([A-Za-z_][\w-]*)$")


def _close_heredocs(text: str) -> str:
    """Terraform ends a heredoc at a line holding its marker and trailing blanks (``EOF  ``);
    python-hcl2 wants nothing after the marker, so those blanks are dropped (lines stay put)."""
    if "<<" not in text:
        return text
    lines = text.split("\n")
    marker: str | None = None
    for i, line in enumerate(lines):
        if marker is None:
            found = _HEREDOC_START.search(line)
            marker = found.group(1) if found else None
        elif line.strip() == marker:
            lines[i] = line.rstrip(" \t")
            marker = None
    return "\n".join(lines)


def as_written(parsed: ParsedFile, values: dict[str, Any]) -> dict[str, Any]:
    """python-hcl2's values of the file (``DictTransformer``'s dict, line meta or not) with
    each expression whose rendering is not its value replaced by the expression as written
    (``hclexpr.Source``): a rendering loses what hclexpr needs (``[""]`` comes back as ``[]``,
    a heredoc's last new line goes, ``a ? null : b`` reads ``None``...). Literals python-hcl2
    gives exactly (a number, ``true``, a string with no escapes or templates) stay as they
    are, and an object's or tuple's items are replaced one by one, so that the shape of the
    values (a ``tags`` map, a list of subnets) is the same as before. Changes ``values`` in place."""
    _written_body(_child(parsed.tree, "body"), values, parsed.text)
    return values


def _written_body(body: Tree, values: Any, text: str) -> None:
    if not isinstance(values, dict):
        return
    for item, name, index in _members(body):
        if index is None:
            if name in values:
                values[name] = _written(values[name], item.children[-1], text)
            continue
        _, labels, inner = _block_parts(item)
        entries = values.get(name)
        entry = entries[index] if isinstance(entries, list) and index < len(entries) else \
            entries if index == 0 and isinstance(entries, dict) else None
        for label in labels:  # python-hcl2 nests a labelled block's body under its labels
            entry = entry.get(label) if isinstance(entry, dict) else None
        _written_body(inner, entry, text)


def _members(body: Tree) -> Iterator[tuple[Tree, str, int | None]]:
    """Each attribute and nested block of a body, in order: (its node, its name or block type,
    for a block its index among the blocks of its type (python-hcl2's list index), else None)."""
    counts: dict[str, int] = {}
    for item in body.children:
        if not _is_tree(item):
            continue
        if item.data == "attribute":
            yield item, _text(item.children[0]), None
        elif item.data == "block":
            block_type = _text(item.children[0])
            counts[block_type] = counts.get(block_type, 0) + 1
            yield item, block_type, counts[block_type] - 1


def _written(value: Any, expression: Any, text: str) -> Any:
    """``value`` (python-hcl2's) where it is exactly what ``expression`` says, else the
    expression as written; an object's or tuple's items each so."""
    from ha_lint.hclexpr import Source

    node = _unwrap(expression)
    if _is_tree(node):
        if node.data == "object" and isinstance(value, dict):
            elems = _items(node, "object_elem")
            by_key = {_object_key(e.children[0]): e for e in elems}
            if len(by_key) == len(elems) == len(value) and set(by_key) == set(value):
                return {key: _written(item, by_key[key].children[-1], text) for key, item in value.items()}
        elif node.data == "tuple" and isinstance(value, list):
            items = _tuple_items(node)
            if len(items) == len(value):
                return [_written(item, inner, text) for item, inner in zip(value, items)]
    written = text[expression.meta.start_pos:expression.meta.end_pos].strip() if _is_tree(expression) else str(expression)
    return value if _exact(value, written) else Source(written)


def _exact(value: Any, written: str) -> bool:
    """Whether python-hcl2's ``value`` is the literal ``written`` says."""
    if value is None or isinstance(value, bool):
        return written == {None: "null", True: "true", False: "false"}[value]
    if isinstance(value, (int, float)):
        return written.lstrip("-").replace(".", "", 1).isdigit()
    if isinstance(value, str):
        return written == f'"{value}"' and not any(c in value for c in '\\"$%\n')
    return False


def file_lines(parsed: ParsedFile) -> dict[str, int]:
    """The line of every path of the whole file, top-level attributes and blocks alike
    (``inputs``, ``inputs.db_name``, ``terraform.0.source``, ``include.0.root.path``)."""
    found = TreeBlock("", (), 1, 1)
    _walk_body(_child(parsed.tree, "body"), "", found)
    return found.lines


def top_blocks(parsed: ParsedFile) -> Iterator[TreeBlock]:
    """Every top-level block of a parsed file, with the lines of its paths."""
    body = _child(parsed.tree, "body")
    for block in _items(body, "block"):
        block_type, labels, inner = _block_parts(block)
        found = TreeBlock(block_type, labels, block.meta.line, block.meta.end_line)
        _walk_body(inner, "", found)
        yield found


def _walk_body(body: Tree, path: str, out: TreeBlock) -> None:
    for item, name, index in _members(body):
        sub = _join(path, name)
        out.lines.setdefault(sub, item.meta.line)
        if index is None:
            _walk_value(item.children[-1], sub, out)
            continue
        _, labels, inner = _block_parts(item)
        sub = f"{sub}.{index}"
        out.lines.setdefault(sub, item.meta.line)
        for label in labels:  # python-hcl2 nests a labelled block's body under its labels
            sub = f"{sub}.{label}"
            out.lines.setdefault(sub, item.meta.line)
        _walk_body(inner, sub, out)


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
        for index, item in enumerate(_tuple_items(node)):
            sub = f"{path}.{index}"
            out.lines.setdefault(sub, item.meta.line)
            _walk_value(item, sub, out)


def _tuple_items(node: Tree) -> list[Tree]:
    return [c for c in node.children if _is_tree(c) and c.data != "new_line_or_comment"]


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
