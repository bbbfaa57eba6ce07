"""HCL2 expressions: parse, evaluate, list references.

Values reach this module in two forms. From a ``.tf`` file (``loaders.terraform``): Python data
for the literals python-hcl2 gives exactly, and ``Source`` for every other expression, its text
as written in the file (sliced from python-hcl2's parse tree), parsed here as HCL. From a
``.tf.json`` file, a JSON tfvars file or ``-var``: strings, which are templates (``"${var.x}-db"``;
the JSON syntax writes expressions so). :func:`evaluate_value` turns either into plain Python
data whose leaves may be ``UNKNOWN`` or ``Choice`` (from :mod:`ha_lint.values`);
:func:`references` lists the static traversals they contain. Pure Python: nothing is executed,
nesting and work are bounded, and neither function raises. (python-hcl2's own string
renderings of expressions are never read: they lose quotes, ``...``, a heredoc's last new line.)

Functions follow Terraform's definitions (``toset`` orders strings lexically, ``regex`` is
RE2: lookaround and backreferences are unknown, not errors). Two decisions for values only
the deployment names: ``regex``/``regexall`` on an AZ chosen by position
(``data.aws_availability_zones.x.names[i]``) is decided when every AZ name (or ID) agrees,
which settles terraform-aws-modules/vpc's name-or-ID test; ``compact`` keeps a reference to
a resource's ``id``/``arn`` (never empty) and is unknown for any other unknown item.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, Callable, TypeVar

from ha_lint.values import UNKNOWN, AzToken, Choice, EncodedJson, Ref, Unknown, same_known_value

__all__ = ["UNKNOWN", "Unknown", "Choice", "HclExprError", "Node", "Source", "expression_text", "FUNCTION_NAMES",
           "parse", "parse_template", "evaluate", "evaluate_value", "references"]

MAX_DEPTH = 40  # expression nesting
MAX_BRANCHES = 8  # a Choice with more branches becomes UNKNOWN
MAX_STEPS = 100_000  # node evaluations per evaluate_value() call
_MAX_SIZE = 1_000_000  # characters in a string, items in a list: a bigger value is unknown (_TooLarge)
_MAX_INT_BITS = 4096  # a whole number beyond this is unknown (Terraform's numbers are 512-bit floats)
MAX_BUILT = 20_000_000  # characters and items functions and templates build for one module (BuildBudget)
_ROOTS = frozenset({"var", "local", "module", "data", "count", "each", "path", "terraform", "self"})


class HclExprError(ValueError):
    """An expression this module cannot parse."""


@dataclass(frozen=True)
class Source:
    """An expression exactly as written in a ``.tf`` file: the loader's slice of the parse
    tree (``loaders.hcltree``) where python-hcl2's rendering of it is not the value itself.
    Read by ``parse``."""

    text: str

    def __str__(self) -> str:
        return self.text


def expression_text(value: Any) -> str | None:
    """The text of a value that is one expression: a ``Source``'s, or that of a string that is
    one ``${...}`` and nothing else (how a .tf.json file writes ``var.x``); None otherwise."""
    if isinstance(value, Source):
        return value.text.strip()
    if isinstance(value, str) and value.startswith("${") and value.endswith("}") and value.count("${") == 1:
        return value[2:-1].strip()
    return None


class _TooComplex(HclExprError):
    """Beyond the nesting or work limits: not worth retrying another way."""


class _EvalError(Exception):
    """Terraform would report an error here: try() moves on to its next argument."""


class _TooLarge(Exception):
    """A value larger than ha-lint builds, refused before it is built: unknown, and said (the
    scope's ``value_too_large``). Never an error that try() moves past: Terraform builds it."""


@dataclass
class BuildBudget:
    """What functions and string templates may still build, in characters and items: each
    result is at most _MAX_SIZE, and this bounds them all together (``[for i in range(1024):
    indent(999000, "a\nb")]`` is 1,024 results of 999,003 characters). A scope shares one
    across the expressions of a module (``scope.build_budget``); else each evaluation has its own."""

    left: int = MAX_BUILT
    said: bool = False  # its end was told once (value_too_large); later values are just unknown


class _Unk(Exception):
    """A value needed here is unknown (or an opaque caller object)."""


# -- syntax tree ---------------------------------------------------------------------------


class Node:
    """Base of the syntax tree: immutable; equal when of one type with equal fields."""

    __slots__: tuple[str, ...] = ()
    _defaults: dict[str, Any] = {}

    def __init__(self, *values: Any) -> None:
        names = self.__slots__
        if len(values) > len(names) or any(n not in self._defaults for n in names[len(values):]):
            raise TypeError(f"{type(self).__name__}{names} takes {len(names)} values")
        for name, value in zip(names, values + tuple(self._defaults[n] for n in names[len(values):])):
            object.__setattr__(self, name, value)

    def __setattr__(self, name: str, value: Any) -> None:
        raise AttributeError(f"{type(self).__name__} is immutable")

    def fields(self) -> tuple[Any, ...]:
        return tuple(getattr(self, name) for name in self.__slots__)

    def __eq__(self, other: object) -> bool:
        return type(other) is type(self) and other.fields() == self.fields()  # type: ignore[attr-defined]

    def __hash__(self) -> int:
        return hash((type(self).__name__, self.fields()))

    def __repr__(self) -> str:
        return f"{type(self).__name__}({', '.join(map(repr, self.fields()))})"

    def __reduce__(self) -> tuple[Any, ...]:
        return type(self), self.fields()


_N = TypeVar("_N", bound=type)


def _node(cls: _N) -> _N:
    """A frozen dataclass in effect: slots for the annotated fields, class values as defaults.
    (``dataclasses`` would cost about 1 ms of import time per class.)"""
    names = tuple(cls.__annotations__)
    return type(cls.__name__, cls.__bases__, {  # type: ignore[return-value]
        "__slots__": names, "__doc__": cls.__doc__, "__module__": cls.__module__,
        "__qualname__": cls.__qualname__, "__annotations__": cls.__annotations__,
        "_defaults": {n: getattr(cls, n) for n in names if hasattr(cls, n)}})


@_node
class Literal(Node):
    value: Any  # str, int, float, bool or None


@_node
class Template(Node):
    parts: tuple[Any, ...]  # str | Node
    directives: tuple[Node, ...] = ()  # expressions inside %{ } (for references only)
    has_directive: bool = False


@_node
class Var(Node):
    name: str


@_node
class Traversal(Node):
    source: Node
    steps: tuple[tuple[Any, ...], ...]  # ("attr", name) | ("index", Node) | ("splat",)


@_node
class Unary(Node):
    op: str
    operand: Node


@_node
class Binary(Node):
    op: str
    left: Node
    right: Node


@_node
class Conditional(Node):
    cond: Node
    true: Node
    false: Node
    label: str  # source text of the condition


@_node
class TupleExpr(Node):
    items: tuple[Node, ...]


@_node
class ObjectExpr(Node):
    items: tuple[tuple[Node, Node], ...]


@_node
class ForExpr(Node):
    key_var: str | None
    value_var: str
    collection: Node
    key: Node | None  # None: a tuple for-expression
    value: Node
    cond: Node | None
    group: bool


@_node
class Call(Node):
    name: str
    args: tuple[Node, ...]
    expand: bool = False  # f(a, xs...)


# -- parser --------------------------------------------------------------------------------

_SKIP = re.compile(r"(?:\s+|#[^\n]*|//[^\n]*|/\*.*?\*/)*", re.S)
_TOKEN = re.compile(
    r"(\d+(?:\.\d+)?(?:[eE][+-]?\d+)?)"  # number
    r"|([^\W\d][\w-]*)"  # identifier (HCL allows dashes)
    r"|(\.\.\.|==|!=|<=|>=|&&|\|\||=>|::|\$\{|<<-?|[-+*/%<>!?:=,.(){}\[\]\"'~])")
_PLAIN = {True: re.compile(r'[^"\\$%]+'), False: re.compile(r"[^$%]+")}  # by "quoted"
_HEREDOC = re.compile(r"([^\W\d][\w-]*)[ \t]*\r?\n")
_HCL_ESCAPE = re.compile(r"\\(u[0-9a-fA-F]{4}|U[0-9a-fA-F]{8}|.?)", re.S)
_ESCAPES = {"n": "\n", "r": "\r", "t": "\t", '"': '"', "\\": "\\", "'": "'", "0": "\0"}
_KEYWORDS = {"true": True, "false": False, "null": None}
_PREC = {"||": 1, "&&": 2, "==": 3, "!=": 3, "<": 4, "<=": 4, ">": 4, ">=": 4, "+": 5, "-": 5,
         "*": 6, "/": 6, "%": 6}
_Token = tuple[str, str, int, int]  # kind ("num", "ident", "op", "eof"), text, start, end


class _Parser:
    """Recursive descent with a lazy tokenizer, so that templates and heredocs can switch to
    scanning characters."""

    def __init__(self, text: str, depth: int = 0, bound: frozenset[str] = frozenset(),
                 work: list[int] | None = None) -> None:
        self.text, self.pos, self.depth = text, 0, depth
        self.bound = bound  # names of the enclosing for-expressions
        self.work = work if work is not None else [30 * len(text) + 2000]
        self._tok: _Token = ("eof", "", 0, 0)
        self._tok_pos = -1
        self._memo: dict[tuple[str, int], Any] = {}

    def _peek(self) -> _Token:
        if self._tok_pos != self.pos:
            self.work[0] -= 1
            if self.work[0] < 0:
                raise _TooComplex("expression too complex")
            start = _SKIP.match(self.text, self.pos).end()  # type: ignore[union-attr]
            m = _TOKEN.match(self.text, start)
            if start >= len(self.text):
                self._tok = ("eof", "", start, start)
            elif m is None:
                raise HclExprError(f"unexpected character {self.text[start]!r} at {start}")
            else:
                kind = "num" if m.group(1) is not None else "ident" if m.group(2) is not None else "op"
                self._tok = (kind, m.group(), start, m.end())
            self._tok_pos = self.pos
        return self._tok

    def _next(self) -> _Token:
        tok = self._peek()
        self.pos = tok[3]
        return tok

    def _at(self, text: str, kind: str = "op") -> bool:
        tok = self._peek()
        return tok[0] == kind and tok[1] == text

    def _accept(self, text: str, kind: str = "op") -> bool:
        if self._at(text, kind):
            self.pos = self._tok[3]
            return True
        return False

    def _expect(self, text: str, kind: str = "op") -> None:
        if not self._accept(text, kind):
            tok = self._peek()
            raise HclExprError(f"expected {text!r}, got {tok[1] or 'end of expression'!r} at {tok[2]}")

    def _ident(self) -> str:
        kind, text, start, _ = self._next()
        if kind != "ident":
            raise HclExprError(f"expected a name, got {text!r} at {start}")
        return text

    def expr(self) -> Node:
        self.depth += 1
        try:
            if self.depth > MAX_DEPTH:
                raise _TooComplex("expression nested too deeply")
            start = self._peek()[2]
            node = self._binary(0)
            tok = self._peek()
            if tok[:2] == ("op", "?"):
                label = " ".join(self.text[start:tok[2]].split())
                self.pos = tok[3]
                yes = self.expr()
                self._expect(":")
                node = Conditional(node, yes, self.expr(), label)
            return node
        finally:
            self.depth -= 1

    def _binary(self, min_prec: int) -> Node:
        left = self._unary()
        while True:
            tok = self._peek()
            prec = _PREC.get(tok[1], 0) if tok[0] == "op" else 0
            if prec <= min_prec:
                return left
            self.pos = tok[3]
            left = Binary(tok[1], left, self._binary(prec))

    def _unary(self) -> Node:
        ops = []
        while self._at("!") or self._at("-"):
            ops.append(self._next()[1])
        node = self._postfix(self._primary())
        for op in reversed(ops):
            numeric = op == "-" and isinstance(node, Literal) and type(node.value) in (int, float)
            node = Literal(-node.value) if numeric else Unary(op, node)  # type: ignore[attr-defined]
        return node

    def _primary(self) -> Node:
        kind, text, start, _ = self._next()
        if kind == "num":
            return Literal(_number_literal(text))
        if kind == "ident":
            if text in _KEYWORDS:
                return Literal(_KEYWORDS[text])
            while self._accept("::"):  # provider::aws::arn_parse(...)
                text += "::" + self._ident()
            if self._accept("("):
                return self._call(text)
            return Var(text)
        if (kind, text) == ("op", "("):
            node = self.expr()
            self._expect(")")
            return node
        if (kind, text) == ("op", "["):
            return self._for(False) if self._at("for", "ident") else self._tuple()
        if (kind, text) == ("op", "{"):
            return self._for(True) if self._at("for", "ident") else self._object()
        if (kind, text) == ("op", '"'):
            node, self.pos = self.template(self.pos, len(self.text), quoted=True)
            return node
        if kind == "op" and text.startswith("<<"):
            return self._heredoc(text == "<<-")
        raise HclExprError(f"unexpected {text or 'end of expression'!r} at {start}")

    def _call(self, name: str) -> Call:
        args: list[Node] = []
        while not self._accept(")"):
            args.append(self.expr())
            if self._accept("..."):
                self._expect(")")
                return Call(name, tuple(args), True)
            if not self._accept(","):
                self._expect(")")
                break
        return Call(name, tuple(args))

    def _postfix(self, node: Node) -> Node:
        steps: list[tuple[Any, ...]] = []
        attr_splat = False  # after ".*" only attribute steps belong to the splat
        while True:
            if self._accept("."):
                kind, text, start, _ = self._next()
                if kind == "ident":
                    steps.append(("attr", text))
                elif kind == "num" and all(p.isdigit() for p in text.split(".")):
                    steps.extend(("index", Literal(int(p))) for p in text.split("."))  # a.0.1
                elif (kind, text) == ("op", "*"):
                    steps.append(("splat",))
                    attr_splat = True
                else:
                    raise HclExprError(f"unexpected {text!r} after '.' at {start}")
            elif self._accept("["):
                if attr_splat:
                    node, steps, attr_splat = Traversal(node, tuple(steps)), [], False
                if self._accept("*"):
                    steps.append(("splat",))
                else:
                    steps.append(("index", self.expr()))
                self._expect("]")
            else:
                return Traversal(node, tuple(steps)) if steps else node

    def _tuple(self) -> TupleExpr:
        items: list[Node] = []
        while not self._accept("]"):
            items.append(self.expr())
            if not self._accept(","):
                self._expect("]")
                break
        return TupleExpr(tuple(items))

    def _object(self) -> ObjectExpr:
        items: list[tuple[Node, Node]] = []
        while not self._accept("}"):
            tok, key = self._peek(), None  # type: tuple[_Token, Node | None]
            if tok[0] == "ident":  # a bare name is a literal key
                self.pos = tok[3]
                key = Literal(tok[1]) if self._at("=") or self._at(":") else None
                self.pos = tok[3] if key else tok[2]
            key = key or self.expr()
            if not (self._accept("=") or self._accept(":")):
                raise HclExprError(f"expected '=' in object at {self._peek()[2]}")
            items.append((key, self.expr()))
            self._accept(",")
        return ObjectExpr(tuple(items))

    def _for(self, is_object: bool) -> ForExpr:
        self._next()  # "for"
        first = self._ident()
        second = self._ident() if self._accept(",") else None
        self._expect("in", "ident")
        collection = self.expr()
        self._expect(":")
        saved, self.bound = self.bound, self.bound | {first, second or first}
        try:
            key = None
            if is_object:
                key = self.expr()
                self._expect("=>")
            value = self.expr()
            group = is_object and self._accept("...")
            cond = self.expr() if self._accept("if", "ident") else None
        finally:
            self.bound = saved
        self._expect("}" if is_object else "]")
        key_var, value_var = (first, second) if second else (None, first)
        return ForExpr(key_var, value_var, collection, key, value, cond, group)

    def _interp(self, i: int) -> tuple[Node, bool, bool, int]:
        """``${ expr }`` at ``i``: (node, strip before, strip after, end). Memoised: the
        unquoted-tuple fallback must not parse an interpolation twice (exponential)."""
        hit = self._memo.get(("$", i))
        if hit is None:
            try:
                self.pos = i + 2
                lstrip = self._accept("~")
                node = self.expr()
                rstrip = self._accept("~")
                self._expect("}")
                hit = (node, lstrip, rstrip, self.pos)
            except HclExprError as e:
                hit = e
            self._memo[("$", i)] = hit
        if isinstance(hit, HclExprError):
            raise hit
        return hit

    def _directive(self, i: int) -> tuple[list[Node], bool, bool, int]:
        self.pos = i + 2
        lstrip = self._accept("~")
        exprs: list[Node] = []
        word = self._ident()
        if word == "for":
            self._ident()
            if self._accept(","):
                self._ident()
            self._expect("in", "ident")
        if word in ("if", "for"):
            exprs.append(self.expr())
        elif word not in ("else", "endif", "endfor"):
            raise HclExprError(f"unknown template directive {word!r}")
        rstrip = self._accept("~")
        self._expect("}")
        return exprs, lstrip, rstrip, self.pos

    def template(self, i: int, stop: int, quoted: bool) -> tuple[Node, int]:
        """Template text from ``i``: to the closing quote if ``quoted`` (with HCL escapes),
        else to ``stop`` (string values, whose escapes are already processed)."""
        text, plain = self.text, _PLAIN[quoted]
        parts: list[Any] = []
        directives: list[Node] = []
        has_directive = strip_next = False
        while i < stop:
            m = plain.match(text, i, stop)
            if m:
                parts.append(m.group().lstrip() if strip_next else m.group())
                strip_next, i = False, m.end()
                continue
            c = text[i]
            if c == '"':
                return _make_template(parts, directives, has_directive), i + 1
            if c == "\\":
                m = _HCL_ESCAPE.match(text, i)
                parts.append(_unescape(m))  # type: ignore[arg-type]
                i = m.end()  # type: ignore[union-attr]
            elif text.startswith(c + c + "{", i):  # $${ and %%{ stand for ${ and %{
                parts.append(c + "{")
                i += 3
            elif not text.startswith("{", i + 1):
                parts.append(c)
                i += 1
            else:
                if c == "$":
                    node, lstrip, strip_next, i = self._interp(i)
                    new: list[Node] = [node]
                else:
                    exprs, lstrip, strip_next, i = self._directive(i)
                    directives.extend(exprs)
                    has_directive, new = True, []
                if lstrip and parts and isinstance(parts[-1], str):
                    parts[-1] = parts[-1].rstrip()
                parts.extend(new)
        if quoted:
            raise HclExprError("unterminated string")
        return _make_template(parts, directives, has_directive), i

    def _heredoc(self, indented: bool) -> Node:
        m = _HEREDOC.match(self.text, self.pos)
        if m is None:
            raise HclExprError("malformed heredoc")
        lines = self.text[m.end():].split("\n")
        end = next((n for n, line in enumerate(lines) if line.strip() == m.group(1)), None)
        if end is None:
            raise HclExprError(f"unterminated heredoc {m.group(1)}")
        self.pos = m.end() + sum(len(line) + 1 for line in lines[:end + 1]) - 1
        body = lines[:end]
        if indented:
            margin = min((len(s) - len(s.lstrip(" ")) for s in body if s.strip()), default=0)
            body = [s[margin:] for s in body]
        content = "".join(s + "\n" for s in body)
        return _Parser(content, self.depth, self.bound, self.work).template(0, len(content), False)[0]


def _make_template(parts: list[Any], directives: list[Node], has_directive: bool) -> Node:
    merged: list[Any] = []
    for part in parts:
        if isinstance(part, str) and merged and isinstance(merged[-1], str):
            merged[-1] += part
        elif not (isinstance(part, str) and part == ""):
            merged.append(part)
    if has_directive:
        return Template(tuple(merged), tuple(directives), True)
    if len(merged) == 1 and isinstance(merged[0], Node):
        return merged[0]  # "${x}" is x itself, of any type
    if all(isinstance(p, str) for p in merged):
        return Literal("".join(merged))
    return Template(tuple(merged))


def _unescape(m: re.Match[str]) -> str:
    code = m.group(1)
    if len(code) > 2 and int(code[1:], 16) <= 0x10FFFF:
        return chr(int(code[1:], 16))
    return _ESCAPES.get(code, m.group())  # lenient: keep what HCL would reject


def _number_literal(text: str) -> int | float:
    try:
        return _norm(float(text)) if any(c in text for c in ".eE") else int(text)
    except (ValueError, _EvalError) as e:
        raise HclExprError(f"bad number {text[:20]!r}") from e


@lru_cache(maxsize=8192)
def _parse_cached(text: str, template: bool) -> Node | HclExprError:
    try:
        parser = _Parser(text)
        if template:
            return parser.template(0, len(text), False)[0]
        node = parser.expr()
        if not parser._at("", "eof"):
            raise HclExprError(f"unexpected {parser._peek()[1]!r} at {parser._peek()[2]}")
        return node
    except HclExprError as e:
        return e
    except Exception as e:  # RecursionError and the like: report, never raise through
        return HclExprError(f"{type(e).__name__}: {e}")


def _source_node(text: str) -> Node | None:
    """The node of an expression as written (a ``Source``), None if it does not parse."""
    node = _parse_cached(text, False)
    return None if isinstance(node, HclExprError) else node


def parse(text: str) -> Node:
    """Parse one HCL expression as written (a ``Source``'s text, without a ``${}`` wrapper).
    Raises HclExprError."""
    result = _parse_cached(text, False)
    if isinstance(result, HclExprError):
        raise HclExprError(str(result))
    return result


def parse_template(text: str) -> Node:
    """Parse template text: a string value such as ``"${var.x}-db"`` (its escapes already processed)."""
    result = _parse_cached(text, True)
    if isinstance(result, HclExprError):
        raise HclExprError(str(result))
    return result


@lru_cache(maxsize=16384)
def _value_node(text: str) -> Node | None:
    """The node for a string value (a template: ``"${var.x}-db"``), None if it does not parse."""
    node = _parse_cached(text, True)
    return None if isinstance(node, HclExprError) else node


# -- references ----------------------------------------------------------------------------


def _collect(node: Node, bound: frozenset[str], out: list[tuple[Any, ...]],
             decide: "_Decider | None" = None) -> None:
    """``decide`` (``deciding_references``): a conditional whose condition it knows
    contributes the branch taken, then the condition that chose it when that is a cause
    (``_Decider.names_condition``), and nothing of the other branch. A for-expression's ``if``
    filter is named only when nothing else in it reads a setting: it decides which items
    exist, not what an item holds. A ``lookup(map, key, default)`` whose map is known holds
    the key or not: its default decides nothing, or the map's values nothing."""
    if decide is not None and isinstance(node, Conditional) and not bound:
        taken = decide(node.cond)
        if taken is True or taken is False:
            chosen, other = (node.true, node.false) if taken else (node.false, node.true)
            _collect(chosen, bound, out, decide)
            if decide.names_condition(chosen, other):
                _collect(node.cond, bound, out, decide)
            return
    if decide is not None and isinstance(node, Call) and node.name == "lookup" and len(node.args) == 3 and not bound:
        found = _lookup_found(node, decide)
        if found is not None:  # the map holds the key (or does not): the default decides nothing (or all)
            table, key = node.args[:2]
            if found and isinstance(table, (Var, Traversal)) and type(key) is Literal:
                # lookup(var.rules[0], "cidr_blocks", ...) reads var.rules[0]["cidr_blocks"]
                source, steps = (table, ()) if isinstance(table, Var) else (table.source, table.steps)
                _collect(Traversal(source, (*steps, ("index", key))), bound, out, decide)
                return
            for child in (node.args[:2] if found else node.args[1:]):
                _collect(child, bound, out, decide)
            return
    if isinstance(node, Var):
        if node.name not in bound:
            out.append((node.name,))
    elif isinstance(node, Traversal):
        if not isinstance(node.source, Var):
            _collect(node.source, bound, out, decide)
        elif node.source.name not in bound:
            ref: list[Any] = [node.source.name]
            for step in node.steps:
                if step[0] == "attr":
                    ref.append(step[1])
                    continue
                index = _index_of(step, decide, bound)
                if index is None:
                    break
                ref.append(index)
            out.append(tuple(ref))
        for step in node.steps:
            if step[0] == "index":
                _collect(step[1], bound, out, decide)
    elif isinstance(node, ForExpr):
        before = len(out)
        _collect(node.collection, bound, out, decide)
        inner = bound | {node.value_var, node.key_var or node.value_var}
        for child in (node.key, node.value):
            if child is not None:
                _collect(child, inner, out, decide)
        if node.cond is not None and (decide is None or len(out) == before):
            _collect(node.cond, inner, out, decide)
    else:
        for child in _children(node):
            _collect(child, bound, out, decide)


def _index_of(step: tuple[Any, ...], decide: "_Decider | None", bound: frozenset[str]) -> int | str | None:
    """The key an index step of a reference names: a literal (``[0]``, ``["a"]``), or, when
    deciding, one the scope knows (``[count.index]`` of an instance); None otherwise."""
    if step[0] != "index":
        return None
    if type(step[1]) is Literal and type(step[1].value) in (int, str):
        return step[1].value
    if decide is None or bound:
        return None
    try:
        key = decide(step[1])
    except Exception:  # noqa: BLE001  not decidable here
        return None
    return key if type(key) in (int, str) else None


def _lookup_found(node: Call, decide: "_Decider") -> bool | None:
    """Whether ``lookup(map, key, default)`` finds its key: None when the map or the key is not
    known (each argument may then decide)."""
    try:
        table, key = decide(node.args[0]), decide(node.args[1])
    except Exception:  # noqa: BLE001  not decidable here: every argument may decide
        return None
    if not isinstance(table, dict) or not isinstance(key, str):
        return None
    return key in table


def _children(node: Node) -> tuple[Node, ...]:
    if isinstance(node, Template):
        return tuple(p for p in node.parts if isinstance(p, Node)) + node.directives
    if isinstance(node, (Unary, Binary, Conditional)):
        return tuple(getattr(node, f) for f in ("operand", "left", "right", "cond", "true", "false")
                     if hasattr(node, f))
    if isinstance(node, ObjectExpr):
        return tuple(x for pair in node.items for x in pair)
    if isinstance(node, (TupleExpr, Call)):
        return node.items if isinstance(node, TupleExpr) else node.args
    return ()


def _node_refs(node: Node | None) -> tuple[tuple[Any, ...], ...]:
    out: list[tuple[Any, ...]] = []
    if node is not None:
        _collect(node, frozenset(), out)
    return tuple(out)


@lru_cache(maxsize=16384)
def _string_refs(text: str) -> tuple[tuple[Any, ...], ...]:
    return _node_refs(_value_node(text))


@lru_cache(maxsize=16384)
def _source_refs(text: str) -> tuple[tuple[Any, ...], ...]:
    return _node_refs(_source_node(text))


def _strings_into(value: Any, out: list[tuple[Any, ...]],
                  refs_of: Callable[[str, list[tuple[Any, ...]]], None]) -> None:
    """The references of a value into ``out``: each string's by ``refs_of``, an
    interpolated object key's (``{"${var.k}" = 1}``) as written; a ``Source``'s by
    ``refs_of`` too."""
    if isinstance(value, (str, Source)):
        refs_of(value, out)
    elif isinstance(value, list):
        for item in value:
            _strings_into(item, out, refs_of)
    elif isinstance(value, dict):
        for key, item in value.items():
            if isinstance(key, str) and "${" in key:
                out.extend(_string_refs(_unquote_key(key)))
            _strings_into(item, out, refs_of)


def _text_refs_into(text: str | Source, out: list[tuple[Any, ...]]) -> None:
    if isinstance(text, Source):
        out.extend(_source_refs(text.text))
    elif "${" in text or "%{" in text:
        out.extend(_string_refs(text))


def _refs_into(value: Any, out: list[tuple[Any, ...]]) -> None:
    _strings_into(value, out, _text_refs_into)


def references(value: Any) -> list[tuple[Any, ...]]:
    """Static traversals in a value (``Source``s, templates, lists and maps of them), in order, without repeats:
    ``("aws_subnet", "b")`` for ``aws_subnet.b[count.index].id``, ``("var", "azs")``..."""
    out: list[tuple[Any, ...]] = []
    try:
        _refs_into(value, out)
    except Exception:  # absurdly nested input: keep what was found
        pass
    return list(dict.fromkeys(out))


def deciding_references(value: Any, scope: Any, instances: bool = False) -> list[tuple[Any, ...]]:
    """``references``, less the branches a known condition does not take: in
    ``var.single ? 1 : length(var.azs)`` with ``var.single`` true, only ``var.single``
    decides the value (so only it is named as the value's origin); a known condition whose
    branches give the same value, and a for-expression's filter, are left out too
    (``_collect``). ``instances``: the value is a ``count`` or ``for_each``, whose condition
    choosing between instances and none (``local.create ? var.groups : {}``) only says that
    the instances exist, not what they hold."""
    decide = _Decider(scope, instances)
    out: list[tuple[Any, ...]] = []
    try:
        _deciding_into(value, decide, out)
    except Exception:  # absurdly nested input: keep what was found
        pass
    return list(dict.fromkeys(out))


class _Decider:
    """Evaluates expressions for ``deciding_references`` and says which conditions are causes."""

    def __init__(self, scope: Any, instances: bool) -> None:
        self.scope = scope
        self.instances = instances

    def __call__(self, expression: Node) -> Any:
        return evaluate(expression, self.scope)

    def names_condition(self, chosen: Node, other: Node) -> bool:
        """Whether a known condition that chose ``chosen`` over ``other`` is a cause: not when
        ``other`` gives the same value, nor (``instances``) when it gives no instances."""
        taken, untaken = self(chosen), self(other)
        if self.instances and (untaken is None or untaken == 0 or untaken in ([], {})) and type(untaken) is not bool:
            return False
        return not same_known_value(taken, untaken)


# A for filter, or an index an instance decides (var.rules[count.index], var.m[each.key]).
_DECIDED = re.compile(r"\sif\s|\[\s*(?:count\.index|each\.(?:key|value))")


def _deciding_into(value: Any, decide: _Decider, out: list[tuple[Any, ...]]) -> None:
    def deciding(text: str | Source, found: list[tuple[Any, ...]]) -> None:
        written = text.text if isinstance(text, Source) else text
        if "?" not in written and "lookup" not in written and not _DECIDED.search(written):
            # no conditional, lookup, filter or instance index: the cached walk answers the same
            _text_refs_into(text, found)
            return
        node = _source_node(written) if isinstance(text, Source) else _value_node(written)
        if node is not None:
            _collect(node, frozenset(), found, decide)
    _strings_into(value, out, deciding)


def _unquote_key(key: str) -> str:
    # python-hcl2 keeps the quotes of an interpolated object key: {"${var.k}" = 1}
    return key[1:-1] if len(key) >= 2 and key[0] == key[-1] == '"' else key


# -- values --------------------------------------------------------------------------------


def _opaque(v: Any) -> bool:
    """UNKNOWN, a Choice, or a caller object (resource reference, AZ token...)."""
    return v is not None and not isinstance(v, (str, int, float, list, dict))


def _type_name(v: Any) -> str:
    if v is None:
        return "null"
    if isinstance(v, (bool, int, float)):
        return "bool" if isinstance(v, bool) else "number"
    names: dict[type, str] = {str: "string", list: "list", dict: "map"}
    return names.get(type(v), type(v).__name__)


def _fail(message: str) -> Any:
    raise _EvalError(message)


def _norm(x: Any) -> Any:
    """HCL numbers: integral values are ints."""
    if isinstance(x, int) and x.bit_length() > _MAX_INT_BITS:  # squaring it again would take minutes
        raise _TooLarge(f"a number of more than {_MAX_INT_BITS} bits, more than ha-lint works with")
    if isinstance(x, float):
        if not math.isfinite(x):
            raise _EvalError("number out of range")
        if x.is_integer() and abs(x) < 2**53:
            return int(x)
    return x


_NUMBER = re.compile(r"-?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?\Z")


def _num_str(n: int | float) -> str:
    text = repr(n)
    if isinstance(n, float) and "e" in text:
        from decimal import Decimal

        text = format(Decimal(text), "f")
    return text


def number_text(n: int | float) -> str:
    """A number as Terraform writes it when it converts it to a string (``5``, ``0.5``)."""
    return _num_str(n)


def _str(v: Any) -> str:
    if isinstance(v, str):
        return v
    if isinstance(v, (int, float)):
        return ("true" if v else "false") if isinstance(v, bool) else _num_str(v)
    if _opaque(v):
        raise _Unk
    return _fail(f"string required, got {_type_name(v)}")


def _num(v: Any) -> int | float:
    if isinstance(v, (int, float)) and not isinstance(v, bool):
        return v
    if isinstance(v, str):
        if not _NUMBER.match(v):
            raise _EvalError(f"cannot convert {v[:40]!r} to number")
        return _norm(float(v)) if any(c in v for c in ".eE") else int(v)
    if _opaque(v):
        raise _Unk
    return _fail(f"number required, got {_type_name(v)}")


def _int(v: Any) -> int:
    n = _num(v)
    return n if isinstance(n, int) else int(n) if n.is_integer() else _fail(f"whole number required, got {n}")


def _bool(v: Any) -> bool:
    if isinstance(v, bool) or isinstance(v, str) and v in ("true", "false"):
        return v is True or v == "true"
    if _opaque(v):
        raise _Unk
    return _fail(f"bool required, got {_type_name(v)}")


def _typed(kind: type, name: str) -> Callable[[Any], Any]:
    def check(v: Any) -> Any:
        if isinstance(v, kind):
            return v
        if _opaque(v):
            raise _Unk
        return _fail(f"{name} required, got {_type_name(v)}")

    return check


_list: Callable[[Any], list[Any]] = _typed(list, "list")
_map: Callable[[Any], dict[str, Any]] = _typed(dict, "map")


def _key(v: Any) -> str:
    return _fail("null object key") if v is None else _str(v)


def _equal(a: Any, b: Any) -> Any:
    """HCL ==: no conversions; True, False or UNKNOWN."""
    if a is UNKNOWN or b is UNKNOWN:
        return UNKNOWN
    if a is None or b is None:
        return a is None and b is None
    if _opaque(a) or _opaque(b):  # caller objects of one type compare by ==
        same_type = type(a) is type(b) and not isinstance(a, Choice)
        return bool(a == b) if same_type else UNKNOWN
    if _type_name(a) != _type_name(b):
        return False
    if isinstance(a, list):
        results = [_equal(x, y) for x, y in zip(a, b)] if len(a) == len(b) else [False]
    elif isinstance(a, dict):
        results = [_equal(a[k], b[k]) for k in a] if a.keys() == b.keys() else [False]
    else:
        return a == b
    return False if False in results else UNKNOWN if UNKNOWN in results else True


def _check_size(v: Any) -> Any:
    """A function's result, once built: for those whose result is at most a few times the
    size of their arguments (upper, base64encode...). The others check _expect_size first."""
    if isinstance(v, (str, list, dict)) and len(v) > _MAX_SIZE:
        raise _TooLarge(f"a value of {len(v):,} characters or items, more than the {_MAX_SIZE:,} ha-lint builds")
    return v


def _expect_size(size: int, what: str, unit: str = "characters") -> None:
    """Refuse to build ``what`` when it would hold ``size`` characters (or items)."""
    if size > _MAX_SIZE:
        raise _TooLarge(f"{what} would make {size:,} {unit}, more than the {_MAX_SIZE:,} ha-lint builds")


# -- choices -------------------------------------------------------------------------------

_LABEL_PART = re.compile(r"(.+?) \? \((true|false) branch\)(?:, |$)", re.S)


def _join_labels(a: str, b: str) -> str | None:
    """``a, b`` without repeats; None when they take opposite branches of one condition."""
    if not a or not b:
        return a or b
    taken = dict(_LABEL_PART.findall(a))
    extra = []
    for cond, side in _LABEL_PART.findall(b):
        if taken.get(cond, side) != side:
            return None
        if cond not in taken:
            extra.append(f"{cond} ? ({side} branch)")
    return ", ".join([a, *extra])


def _same(a: Any, b: Any) -> bool:
    try:
        return type(a) is type(b) and bool(a == b)
    except Exception:
        return False


def _choice(branches: list[tuple[str, Any]]) -> Any:
    """A Choice of the branches (nested Choices flattened), or their common value."""
    flat: list[tuple[str, Any]] = []
    for label, value in branches:
        for sub_label, sub in value.branches if isinstance(value, Choice) else (("", value),):
            joined = _join_labels(label, sub_label)
            if joined is not None:
                flat.append((joined, sub))
    if not flat or len(flat) > MAX_BRANCHES:
        return UNKNOWN
    if all(_same(flat[0][1], v) for _, v in flat[1:]):
        return flat[0][1]
    return Choice(tuple(flat))


def _apply(fn: Callable[..., Any], args: list[Any]) -> Any:
    """fn(*args), mapped over the branches of any Choice argument; _Unk gives UNKNOWN."""
    if not any(isinstance(a, Choice) for a in args):
        try:
            return fn(*args)
        except _Unk:
            return UNKNOWN
    combos: list[tuple[str, list[Any]]] = [("", [])]
    for arg in args:
        branches = arg.branches if isinstance(arg, Choice) else (("", arg),)
        combos = [(joined, values + [v]) for label, values in combos for branch, v in branches
                  if (joined := _join_labels(label, branch)) is not None]
        if len(combos) > MAX_BRANCHES:
            return UNKNOWN
    out = []
    for label, values in combos:
        try:
            out.append((label, fn(*values)))
        except (_Unk, _EvalError, ArithmeticError, ValueError):
            out.append((label, UNKNOWN))
    return _choice(out)


def _hoist(v: Any, budget: list[int] | None = None) -> Any:
    """Lift Choices out of lists and maps: ``[c ? 1 : 2]`` -> Choice(``[1]``, ``[2]``)."""
    if not isinstance(v, (list, dict)):
        return v
    budget = budget if budget is not None else [1000]
    budget[0] -= 1
    values = v if isinstance(v, list) else list(v.values())
    if budget[0] < 0 or not any(isinstance(x, (list, dict, Choice)) for x in values):
        return v
    items = [_hoist(x, budget) for x in values]
    if not any(isinstance(x, Choice) for x in items):
        return v
    keys = list(v) if isinstance(v, dict) else None
    return _apply(lambda *xs: list(xs) if keys is None else dict(zip(keys, xs)), items)


# -- operators and traversal ---------------------------------------------------------------


def _div(a: Any, b: Any, mod: bool = False) -> Any:
    x, y = _num(a), _num(b)
    if y == 0:
        raise _EvalError("division by zero")
    if not mod:
        return _norm(x / y)
    r = abs(x) % abs(y)  # the sign follows the dividend, as in Terraform
    return _norm(-r if x < 0 else r)


def _logic(is_and: bool) -> Callable[[Any, Any], Any]:
    def op(a: Any, b: Any) -> Any:
        x, y = (UNKNOWN if _opaque(v) else _bool(v) for v in (a, b))
        if x is not is_and and x is not UNKNOWN or y is not is_and and y is not UNKNOWN:
            return not is_and  # false && ..., true || ...: decided whatever the other is
        return UNKNOWN if UNKNOWN in (x, y) else is_and

    return op


_BINOPS: dict[str, Callable[[Any, Any], Any]] = {
    "+": lambda a, b: _norm(_num(a) + _num(b)), "-": lambda a, b: _norm(_num(a) - _num(b)),
    "*": lambda a, b: _norm(_num(a) * _num(b)), "/": _div, "%": lambda a, b: _div(a, b, mod=True),
    "<": lambda a, b: _num(a) < _num(b), "<=": lambda a, b: _num(a) <= _num(b),
    ">": lambda a, b: _num(a) > _num(b), ">=": lambda a, b: _num(a) >= _num(b),
    "==": _equal, "!=": lambda a, b: UNKNOWN if (r := _equal(a, b)) is UNKNOWN else not r,
    "&&": _logic(True), "||": _logic(False),
}


def _delegate(v: Any, method: str, arg: Any) -> Any:
    """Caller objects answer through hcl_getattr/hcl_index; failures are unknown."""
    if v is UNKNOWN or not hasattr(v, method):
        return UNKNOWN
    try:
        return getattr(v, method)(arg)
    except Exception:
        return UNKNOWN


def _get_attr(v: Any, name: str) -> Any:
    if isinstance(v, dict):
        return v[name] if name in v else _fail(f"no attribute {name!r}")
    return _delegate(v, "hcl_getattr", name) if _opaque(v) else _fail(f"{_type_name(v)} has no attributes")


def _get_index(v: Any, key: Any) -> Any:
    if key is UNKNOWN:
        return UNKNOWN
    if isinstance(v, list):
        i = _int(key)
        return v[i] if 0 <= i < len(v) else _fail(f"index {i} out of range")
    if isinstance(v, dict):
        return v[k] if (k := _key(key)) in v else _fail(f"no key {k!r}")
    return _delegate(v, "hcl_index", key) if _opaque(v) else _fail(f"cannot index a {_type_name(v)}")


def _concat(*parts: Any) -> str:
    texts = [p if isinstance(p, str) else _str(p) for p in parts]
    _expect_size(sum(map(len, texts)), "a string template")
    return "".join(texts)


# -- evaluator -----------------------------------------------------------------------------


class _Evaluator:
    __slots__ = ("scope", "steps", "source", "budget")

    def __init__(self, scope: Any) -> None:
        self.scope, self.steps = scope, MAX_STEPS
        self.source = ""  # the expression as written, for value_too_large
        self.budget: BuildBudget = getattr(scope, "build_budget", None) or BuildBudget()

    def built(self, value: Any) -> Any:
        """``value``, counted against the build budget."""
        if isinstance(value, (str, list, dict)):
            self.budget.left -= len(value)
            if self.budget.left < 0:
                if self.budget.said:
                    raise _Unk
                self.budget.said = True
                raise _TooLarge(f"this module's functions and templates have built {MAX_BUILT:,} characters or "
                                "items, all that ha-lint builds for one module")
        return value

    def run(self, node: Node, env: dict[str, Any]) -> Any:
        self.steps -= 1
        if self.steps < 0:
            raise _Unk  # out of budget: unknown, and try() must not fall through it
        return _DISPATCH[type(node)](self, node, env)

    def guarded(self, node: Node, env: dict[str, Any]) -> Any:
        try:
            return self.run(node, env)
        except _TooLarge as too_large:
            tell = getattr(self.scope, "value_too_large", None)
            if tell is not None:
                tell(self.source, str(too_large))
            return UNKNOWN
        except Exception:
            return UNKNOWN

    def literal(self, node: Literal, env: dict[str, Any]) -> Any:
        return node.value

    def var(self, node: Var, env: dict[str, Any]) -> Any:
        if node.name in env:
            return env[node.name]
        try:
            value = self.scope.get(node.name) if self.scope is not None else None
        except Exception:
            value = None
        return UNKNOWN if value is None else value

    def template(self, node: Template, env: dict[str, Any]) -> Any:
        if node.has_directive:
            return UNKNOWN
        return self.built(_apply(_concat, [p if isinstance(p, str) else self.run(p, env) for p in node.parts]))

    def traversal(self, node: Traversal, env: dict[str, Any]) -> Any:
        return self.walk(self.run(node.source, env), node.steps, env)

    def walk(self, value: Any, steps: tuple[tuple[Any, ...], ...], env: dict[str, Any]) -> Any:
        for i, step in enumerate(steps):
            if value is UNKNOWN:
                return UNKNOWN
            if isinstance(value, Choice):
                return _apply(lambda v: self.walk(v, steps[i:], env), [value])
            if step[0] == "attr":
                value = _get_attr(value, step[1])
            elif step[0] == "index":
                value = _apply(_get_index, [value, self.run(step[1], env)])
            else:  # splat: a non-list is a list of one, null an empty list
                items = [] if value is None else value if isinstance(value, list) else [value]
                return [self.walk(item, steps[i + 1:], env) for item in items]
        return value

    def unary(self, node: Unary, env: dict[str, Any]) -> Any:
        fn = (lambda a: not _bool(a)) if node.op == "!" else (lambda a: _norm(-_num(a)))
        return _apply(fn, [self.run(node.operand, env)])

    def binary(self, node: Binary, env: dict[str, Any]) -> Any:
        left = self.run(node.left, env)
        if node.op in ("&&", "||") and not _opaque(left) and _bool(left) is (node.op == "||"):
            return node.op == "||"  # short circuit
        right = self.run(node.right, env)
        try:
            return _apply(_BINOPS[node.op], [_hoist(left), _hoist(right)])
        except (ArithmeticError, ValueError) as e:
            raise _EvalError(str(e)) from None

    def conditional(self, node: Conditional, env: dict[str, Any]) -> Any:
        def pick(cond: Any) -> Any:
            if _opaque(cond):  # unknown condition: either branch
                return _choice([(f"{node.label} ? (true branch)", self.guarded(node.true, env)),
                                (f"{node.label} ? (false branch)", self.guarded(node.false, env))])
            return self.run(node.true if _bool(cond) else node.false, env)

        return _apply(pick, [self.run(node.cond, env)])

    def tuple_expr(self, node: TupleExpr, env: dict[str, Any]) -> Any:
        return [self.run(item, env) for item in node.items]

    def object_expr(self, node: ObjectExpr, env: dict[str, Any]) -> Any:
        return {_key(self.run(k, env)): self.run(v, env) for k, v in node.items}

    def for_expr(self, node: ForExpr, env: dict[str, Any]) -> Any:
        return _apply(lambda c: self.for_over(node, c, env), [self.run(node.collection, env)])

    def for_over(self, node: ForExpr, collection: Any, env: dict[str, Any]) -> Any:
        if isinstance(collection, dict):  # Terraform iterates maps in key order
            pairs: list[tuple[Any, Any]] = sorted(collection.items(), key=lambda kv: str(kv[0]))
        else:
            pairs = list(enumerate(_list(collection)))
        items: list[Any] = []
        mapping: dict[str, Any] = {}
        for k, v in pairs:
            inner = {**env, node.value_var: v, **({node.key_var: k} if node.key_var else {})}
            if node.cond is not None:
                cond = self.run(node.cond, inner)
                if _opaque(cond):
                    raise _Unk
                if not _bool(cond):
                    continue
            if node.key is None:
                items.append(self.run(node.value, inner))
                continue
            key, value = _key(self.run(node.key, inner)), self.run(node.value, inner)
            if node.group:
                mapping.setdefault(key, []).append(value)
            else:
                mapping[key] = value if key not in mapping else _fail(f"duplicate key {key!r}")
        return items if node.key is None else mapping

    def call(self, node: Call, env: dict[str, Any]) -> Any:
        if node.name in ("try", "can"):
            for arg in node.args:
                try:
                    value = self.run(arg, env)
                    return value if node.name == "try" or value is UNKNOWN else True
                except (_EvalError, ArithmeticError, ValueError):
                    continue
            return False if node.name == "can" and len(node.args) == 1 else _fail(f"{node.name}: all failed")
        fn = _FUNCTIONS.get(node.name)
        if fn is None:  # a caller's own functions: Terragrunt's find_in_parent_folders()...
            fn = getattr(self.scope, "functions", {}).get(node.name)
        if fn is None:
            return UNKNOWN  # file(), timestamp(), provider functions...: not evaluated
        args = [self.run(a, env) for a in node.args]
        if node.expand and args:
            args.extend(_list(args.pop()))
        sees_unknown = node.name in ("coalesce", "coalescelist", "slice")

        def call(*values: Any) -> Any:
            if not sees_unknown and any(v is UNKNOWN for v in values):
                return UNKNOWN
            try:
                return self.built(_check_size(fn(*values)))  # type: ignore[misc]
            except (_EvalError, _Unk, _TooLarge):
                raise
            except Exception as e:  # arity, ipaddress, re, json, overflow...: a Terraform error
                raise _EvalError(f"{node.name}: {e}") from None

        return _apply(call, [_hoist(a) for a in args])


_DISPATCH: dict[type, Callable[..., Any]] = {
    Literal: _Evaluator.literal, Var: _Evaluator.var, Template: _Evaluator.template,
    Traversal: _Evaluator.traversal, Unary: _Evaluator.unary, Binary: _Evaluator.binary,
    Conditional: _Evaluator.conditional, TupleExpr: _Evaluator.tuple_expr,
    ObjectExpr: _Evaluator.object_expr, ForExpr: _Evaluator.for_expr, Call: _Evaluator.call,
}


def evaluate(node: Node, scope: Any = None) -> Any:
    """Evaluate a parsed expression; UNKNOWN where it cannot be known. Never raises."""
    return _Evaluator(scope).guarded(node, {})


def evaluate_value(value: Any, scope: Any = None) -> Any:
    """Evaluate a loaded value (``Source``s, templates with ``${}``, numbers, lists, dicts...),
    looking root names (``var``, ``local``, ``aws_subnet``...) up with ``scope.get(name)``.
    Never raises: what cannot be evaluated is UNKNOWN.

    A value that would be larger than ha-lint builds (1,000,000 characters or items, a number
    of more than 4096 bits: ``indent(2000000000, "x\ny")``), or past what the scope's
    ``build_budget`` has left, is refused before it is built and is UNKNOWN; a scope with a
    ``value_too_large(expression, message)`` method is told. A string this parser cannot read
    is UNKNOWN too; a scope with an ``expression_unreadable(expression)`` method is told."""
    try:
        return _evaluate_value(value, _Evaluator(scope))
    except Exception:
        return UNKNOWN


def _evaluate_value(value: Any, ev: _Evaluator) -> Any:
    if isinstance(value, (Source, str)):
        if isinstance(value, str) and "${" not in value and "%{" not in value:
            return value  # text without a template sequence: itself
        node = _source_node(value.text) if isinstance(value, Source) else _value_node(value)
        ev.source = value
        if node is None:
            tell = getattr(ev.scope, "expression_unreadable", None)
            if tell is not None:
                tell(value)
            return UNKNOWN
        return ev.guarded(node, {})
    if isinstance(value, float):
        return _norm(value)
    if isinstance(value, list):
        return [_evaluate_value(v, ev) for v in value]
    if isinstance(value, dict):
        out = {}
        for key, item in value.items():
            if isinstance(key, str) and "${" in key:
                key = _evaluate_value(_unquote_key(key), ev)
                if not isinstance(key, (str, int, float)):
                    return UNKNOWN  # a map with an unknown key is unknown
                key = _str(key)
            out[key] = _evaluate_value(item, ev)
        return out
    return value  # int, bool, None, UNKNOWN, caller objects


# -- functions -----------------------------------------------------------------------------


def _dedupe(values: list[Any]) -> list[Any]:
    if all(isinstance(v, str) for v in values):
        return list(dict.fromkeys(values))
    out: list[Any] = []
    for v in values:
        same = [_equal(v, seen) for seen in out]
        if UNKNOWN in same:
            raise _Unk
        if True not in same:
            out.append(v)
    return out


def _set(values: list[Any]) -> list[Any]:
    """A set: strings iterate in lexical order and numbers in numeric order (Terraform's);
    anything else keeps its first-seen order."""
    items = _dedupe(values)
    if all(isinstance(v, str) for v in items):
        return sorted(items)
    if all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in items):
        return sorted(items)
    return items


def _lookup(m: Any, key: Any, *default: Any) -> Any:
    m, k = _map(m), _str(key)
    return m[k] if k in m else default[0] if len(default) == 1 else _fail(f"lookup: no key {k!r}")


def _coalesce(*args: Any, lists: bool = False) -> Any:
    for a in args:
        if a is UNKNOWN or (_list(a) if lists else a is not None and not (isinstance(a, str) and a == "")):
            return a
    return _fail("coalesce: no non-empty argument")


_FORMAT_VERB = re.compile(r"%([-+ 0#]*)(\d{0,3})(?:\.(\d{1,3}))?([a-zA-Z%])")


def _format(fmt: Any, *args: Any, budget: int = _MAX_SIZE, name: str = "format()") -> str:
    """format(); ``budget``: characters the result may hold. Each verb's text is at most 999
    characters more than its argument (a %v list: jsonencode's bound), and the running total
    is checked before it joins the rest."""
    fmt, out, pos, n, size = _str(fmt), [], 0, 0, 0
    for m in _FORMAT_VERB.finditer(fmt):
        flags, width, precision, verb = m.groups()
        out.append(fmt[pos:m.start()] + ("%" if verb == "%" else ""))
        pos = m.end()
        if verb == "%":
            continue
        arg = args[n] if n < len(args) else _fail("format: not enough arguments")
        n += 1
        spec = "%" + flags + width + ("." + precision if precision is not None else "")
        if _opaque(arg):
            raise _Unk
        if verb in "sv":
            out.append((spec + "s") % (_json_text(arg) if isinstance(arg, (list, dict)) and verb == "v" else _str(arg)))
        elif verb in "qt":
            import json

            out.append((spec + "s") % (json.dumps(_str(arg), ensure_ascii=False) if verb == "q" else _str(_bool(arg))))
        elif verb in "dxXo":
            out.append((spec + verb) % _int(arg))
        elif verb in "feEgG":
            out.append((spec + verb) % float(_num(arg)))
        else:
            raise _EvalError(f"format: unsupported verb %{verb}")
        size += len(out[-2]) + len(out[-1])
        if size > budget:
            raise _TooLarge(f"{name} would make more than the {_MAX_SIZE:,} characters ha-lint builds")
    if n != len(args):
        raise _EvalError("format: too many arguments")
    return "".join(out) + fmt[pos:]


def _formatlist(fmt: Any, *args: Any) -> list[str]:
    lengths = {len(a) for a in args if isinstance(a, list)}
    if len(lengths) > 1:
        raise _EvalError("formatlist: lists of different lengths")
    out, left = [], _MAX_SIZE
    for i in range(max(lengths, default=1)):
        out.append(_format(fmt, *[a[i] if isinstance(a, list) else a for a in args], budget=left, name="formatlist()"))
        left -= len(out[-1])
    return out


def _cidr(prefix: Any, newbits: Any = None, num: Any = None, *, host: Any = None) -> str:
    """cidrsubnet(prefix, newbits, num) when ``newbits`` is given, else cidrhost(prefix, host)."""
    import ipaddress

    net = ipaddress.ip_network(_str(prefix), strict=False)
    addr = type(net.network_address)
    if newbits is None:
        h = _int(host)
        h += net.num_addresses if h < 0 else 0
        return str(addr(int(net.network_address) + h)) if 0 <= h < net.num_addresses else _fail("host out of range")
    bits, n = _int(newbits), _int(num)
    length = net.prefixlen + bits
    if bits < 0 or length > net.max_prefixlen or not 0 <= n < 1 << bits:
        raise _EvalError("cidrsubnet: out of range")
    return f"{addr(int(net.network_address) | (n << (net.max_prefixlen - length)))}/{length}"


def _find(values: Any, value: Any, want_index: bool) -> Any:
    """contains() or index(); an unknown item makes "not found" (and a later index) unknown."""
    unknown = False
    for i, item in enumerate(_list(values)):
        same = _equal(item, value)
        if same is True:
            if want_index and unknown:
                raise _Unk
            return i if want_index else True
        unknown = unknown or same is UNKNOWN
    if unknown:
        raise _Unk
    return _fail("index: value not found") if want_index else False


def _flatten(values: Any) -> list[Any]:
    out: list[Any] = []
    todo = list(reversed(_list(values)))
    while todo:
        item = todo.pop()
        if isinstance(item, list):
            todo.extend(reversed(item))
        elif item is UNKNOWN or isinstance(item, Choice):
            raise _Unk  # it might be a list
        else:
            out.append(item)
        _expect_size(len(todo) + len(out), "flatten()", "items")
    return out


def _range(a: Any, b: Any = None, step: Any = None) -> list[Any]:
    start, limit = (0, _num(a)) if b is None else (_num(a), _num(b))
    step = _num(step) if step is not None else 1 if limit >= start else -1
    count = max(0, math.ceil((limit - start) / step)) if step else _fail("range: step must not be zero")
    return [_norm(start + i * step) for i in range(count)] if count <= 1024 else _fail("range: too long")


def _substr(s: Any, offset: Any, length: Any) -> str:
    text, off, size = _str(s), _int(offset), _int(length)
    off = max(len(text) + off, 0) if off < 0 else off
    return text[off:] if size == -1 else text[off:off + size] if size >= 0 else _fail("substr: bad length")


_GO_GROUP = re.compile(r"\$(\$|\{(\w+)\}|(\w+))")


def _replace(s: Any, old: Any, new: Any) -> str:
    text, pattern, repl = _str(s), _str(old), _str(new)
    if not (len(pattern) > 1 and pattern[0] == pattern[-1] == "/"):
        _expect_size(len(text) + text.count(pattern) * (len(repl) - len(pattern)), "replace()")
        return text.replace(pattern, repl)
    inserted = [0]  # characters the replacements have made so far

    def expand(m: re.Match[str]) -> str:  # Go's $1, ${name}, $$ in the replacement
        def group(g: re.Match[str]) -> str:
            ref = g.group(2) or g.group(3)
            try:
                return "$" if ref is None else m.group(int(ref) if ref.isdigit() else ref) or ""
            except IndexError:
                return ""

        made = _GO_GROUP.sub(group, repl)
        inserted[0] += len(made)
        _expect_size(len(text) + inserted[0], "replace()")
        return made

    return re.sub(pattern[1:-1], expand, text)


def _jsonable(v: Any, budget: list[int]) -> Any:
    """``v`` for json.dumps; ``budget``: characters the text may hold (each value, key and
    string counted before the text is made)."""
    budget[0] -= 1 + (len(v) if isinstance(v, str) else 0)
    if budget[0] < 0:
        raise _TooLarge(f"jsonencode() would make more than the {_MAX_SIZE:,} characters ha-lint builds")
    if _opaque(v):
        raise _Unk
    if isinstance(v, list):
        return [_jsonable(x, budget) for x in v]
    if isinstance(v, dict):
        budget[0] -= sum(len(str(k)) for k in v)
        return {str(k): _jsonable(x, budget) for k, x in v.items()}
    return v


def _jsonencode(v: Any) -> str | EncodedJson:
    try:
        return _json_text(v)
    except _Unk:  # a part known only at deploy time: the text is unknown, a list's or map's structure is not
        if isinstance(v, (list, dict)):
            return EncodedJson(v)
        raise


def _json_text(v: Any) -> str:
    import json

    text = json.dumps(_jsonable(v, [_MAX_SIZE]), separators=(",", ":"), sort_keys=True, ensure_ascii=False)
    for char in "<>&\u2028\u2029":  # Go's encoder, and so Terraform's, escapes these
        text = text.replace(char, f"\\u{ord(char):04x}")
    return text


def _from_json(v: Any) -> Any:
    if isinstance(v, list):
        return [_from_json(x) for x in v]
    return {k: _from_json(x) for k, x in v.items()} if isinstance(v, dict) else _norm(v)


def _jsondecode(s: Any) -> Any:
    import json

    if isinstance(s, EncodedJson):  # jsondecode(jsonencode(x)) is x, known parts and all
        return s.value
    return _from_json(json.loads(_str(s)))


def _base64(s: Any, decode: bool) -> str:
    import base64

    text = _str(s)
    return base64.b64decode(text, validate=True).decode() if decode else base64.b64encode(text.encode()).decode()


def _one(values: Any) -> Any:
    items = _list(values)
    return (items[0] if items else None) if len(items) < 2 else _fail("one: more than one element")


def _element(values: Any, index: Any) -> Any:
    items, i = _list(values), _int(index)
    return items[i % len(items)] if items and i >= 0 else _fail("element: empty list or negative index")


def _slice(values: Any, start: Any, end: Any) -> list[Any]:
    if values is UNKNOWN:  # slice(module.vpc.public_subnets, 0, 1): one element, whichever it is
        a, b = _int(start), _int(end)
        if 0 <= a <= b <= MAX_SLICE_OF_UNKNOWN:
            return [UNKNOWN] * (b - a)
    items, a, b = _list(values), _int(start), _int(end)
    return items[a:b] if 0 <= a <= b <= len(items) else _fail("slice: indices out of range")


MAX_SLICE_OF_UNKNOWN = 64  # longer slices of an unknown list stay unknown


def _length(v: Any) -> int:
    if isinstance(v, (list, dict, str)):
        return len(v)
    raise _Unk if _opaque(v) else _EvalError(f"length of {_type_name(v)}")


def _zipmap(keys: Any, values: Any) -> dict[str, Any]:
    ks, vs = _list(keys), _list(values)
    return {_key(k): v for k, v in zip(ks, vs)} if len(ks) == len(vs) else _fail("zipmap: length mismatch")


def _merge(*maps: Any) -> dict[str, Any]:
    return {k: v for m in maps if m is not None for k, v in _map(m).items()}


def _nullable(convert: Callable[[Any], Any]) -> Callable[[Any], Any]:
    return lambda v: None if v is None else convert(v)


def _rounded(fn: Callable[[float], int]) -> Callable[[Any], int]:
    return lambda v: n if isinstance(n := _num(v), int) else fn(n)


def _compact(items: list[Any]) -> list[Any]:
    """compact(): drops null and "" items. A resource's ``id``/``arn`` is never empty, so a
    reference to one is kept though its text is unknown; any other unknown item is unknown."""
    out: list[Any] = []
    for x in items:
        if isinstance(x, Ref) and x.attribute in ("id", "arn"):
            out.append(x)
        elif x is not None and not (isinstance(x, str) and x == ""):
            out.append(_str(x))
    return out


def _cidrsubnets(prefix: Any, *newbits: Any) -> list[str]:
    """Consecutive subnets of the sizes asked, each aligned to its size (Terraform's allocation)."""
    import ipaddress

    net = ipaddress.ip_network(_str(prefix), strict=False)
    addr, top = type(net.network_address), net.max_prefixlen
    base, end = int(net.network_address), int(net.broadcast_address)
    last, out = base - 1, []
    for bits in newbits:
        length = net.prefixlen + _int(bits)
        if _int(bits) < 1 or length > top:
            raise _EvalError("cidrsubnets: invalid new bits")
        size = 1 << (top - length)
        start = (last & ~(size - 1)) + size  # the next block of this size after the previous subnet
        if start < base or start + size - 1 > end:
            raise _EvalError("cidrsubnets: not enough address space")
        out.append(f"{addr(start)}/{length}")
        last = start + size - 1
    return out


def _cidrnetmask(prefix: Any) -> str:
    import ipaddress

    net = ipaddress.ip_network(_str(prefix), strict=False)
    return str(net.netmask) if net.version == 4 else _fail("cidrnetmask: IPv4 only")


_RE_NAMED = re.compile(r"\(\?<(?=[A-Za-z_])")  # RE2's (?<name>...) is Python's (?P<name>...)
_RE_MAX_INPUT = 100_000


_RE_NOT_RE2 = re.compile(r"\(\?<?[=!]|\\[1-9]")  # lookaround and backreferences: RE2 rejects them


def _pattern(pattern: Any) -> "re.Pattern[str]":
    text = _str(pattern)
    if _RE_NOT_RE2.search(text):
        raise _Unk
    try:
        return re.compile(_RE_NAMED.sub("(?P<", text))
    except re.error:
        raise _Unk from None  # RE2 syntax Python does not read: unknown, not an error


def _match_value(rx: "re.Pattern[str]", m: "re.Match[str]") -> Any:
    if rx.groupindex:
        if rx.groups != len(rx.groupindex):
            raise _EvalError("regex: named and unnamed groups mixed")
        return {name: m.group(name) for name in rx.groupindex}
    return list(m.groups()) if rx.groups else m.group()


# What an AZ chosen by position may be called: a test that gives the same answer for all of
# them (``length(regexall("^[a-z]{2}-", az)) > 0``: a name, not an ID) is decided.
_AZ_NAMES = ("us-east-1a", "us-west-2d", "eu-west-2b", "eu-central-1c", "ap-southeast-1c", "ap-northeast-3a",
             "sa-east-1a", "ca-central-1d", "me-central-1a", "af-south-1c", "il-central-1a", "mx-central-1a",
             "us-gov-west-1a", "cn-north-1b", "eu-isoe-west-1a")
_AZ_IDS = ("use1-az1", "usw2-az4", "euw2-az2", "euc1-az3", "apse1-az3", "apne3-az1", "sae1-az1", "cac1-az4",
           "mec1-az1", "afs1-az3", "ilc1-az1", "mxc1-az1", "usgw1-az1", "cnn1-az2")


def _az_samples(token: AzToken) -> tuple[str, ...]:
    region = token.region
    if token.kind == "name" and re.fullmatch(r"[a-z]{2}(-[a-z]+)+-\d+", region or ""):
        return tuple(region + letter for letter in "abcdef")
    return _AZ_IDS if token.kind == "id" else _AZ_NAMES


def _regex_on_az(rx: "re.Pattern[str]", token: AzToken, find_all: bool) -> Any:
    """regex()/regexall() on an AZ chosen by position: decided when every name it may have
    agrees (the same number of matches); the matched text itself stays unknown."""
    counts = {len(list(rx.finditer(sample))) if find_all else bool(rx.search(sample)) for sample in _az_samples(token)}
    if len(counts) != 1:
        raise _Unk
    (count,) = counts
    if find_all:
        return [UNKNOWN] * int(count)
    return UNKNOWN if count else _fail("regex: no match")


def _regex(pattern: Any, text: Any) -> Any:
    if isinstance(text, AzToken):
        return _regex_on_az(_pattern(pattern), text, False)
    rx, value = _pattern(pattern), _str(text)
    if len(value) > _RE_MAX_INPUT:
        raise _Unk
    m = rx.search(value)
    return _match_value(rx, m) if m else _fail("regex: no match")


def _regexall(pattern: Any, text: Any) -> list[Any]:
    if isinstance(text, AzToken):
        return _regex_on_az(_pattern(pattern), text, True)
    rx, value = _pattern(pattern), _str(text)
    if len(value) > _RE_MAX_INPUT:
        raise _Unk
    return [_match_value(rx, m) for m in rx.finditer(value)]


def _title(text: Any) -> str:
    """Go's strings.Title: the first letter of every word in upper case."""
    out, previous = [], " "
    for ch in _str(text):
        word = previous.isalnum() or previous == "_" if previous.isascii() else not previous.isspace()
        out.append(ch if word else ch.upper())
        previous = ch
    return "".join(out)


def _basename(path: Any) -> str:
    text = _str(path).rstrip("/")
    return (text.rsplit("/", 1)[-1] or "/") if text else ("/" if _str(path) else ".")


def _dirname(path: Any) -> str:
    import posixpath

    text = _str(path)
    head = text[:text.rfind("/") + 1]
    return posixpath.normpath(head) if head else "."


def _set_op(op: str) -> Callable[..., list[Any]]:
    def run(*sets: Any) -> list[Any]:
        if not sets:
            raise _EvalError(f"{op}: at least one set")
        lists = [_dedupe(_list(s)) for s in sets]
        if op == "setunion":
            items = _dedupe([x for xs in lists for x in xs])
        else:
            items = []
            for x in lists[0]:
                found = [_find(other, x, False) for other in lists[1:]]
                if all(found) if op == "setintersection" else not any(found):
                    items.append(x)
        return _set(items)
    return run


def _matchkeys(values: Any, keys: Any, search: Any) -> list[Any]:
    vs, ks = _list(values), _list(keys)
    if len(vs) != len(ks):
        raise _EvalError("matchkeys: length mismatch")
    return [v for v, k in zip(vs, ks) if _find(search, k, False)]


def _join(sep: Any, *lists: Any) -> str:
    items, separator = [_str(x) for xs in lists for x in _list(xs)], _str(sep)
    _expect_size(sum(map(len, items)) + len(separator) * max(len(items) - 1, 0), "join()")
    return separator.join(items)


def _concat_lists(*lists: Any) -> list[Any]:
    _expect_size(sum(len(_list(xs)) for xs in lists), "concat()", "items")
    return [x for xs in lists for x in _list(xs)]


def _indent(spaces: Any, text: Any) -> str:
    n, s = max(_int(spaces), 0), _str(text)
    _expect_size(len(s) + s.count("\n") * n, "indent()")
    return s.replace("\n", "\n" + " " * n)


def _transpose(m: Any) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for key in sorted(_map(m)):
        for value in _list(_map(m)[key]):
            out.setdefault(_str(value), []).append(key)
    return out


def _chunklist(values: Any, size: Any) -> list[list[Any]]:
    items, n = _list(values), _int(size)
    if n < 0:
        raise _EvalError("chunklist: negative size")
    return [items] if n == 0 else [items[i:i + n] for i in range(0, len(items), n)]


def _digest(name: str, b64: bool = False) -> Callable[[Any], str]:
    import base64
    import hashlib

    def run(text: Any) -> str:
        h = hashlib.new(name, _str(text).encode())
        return base64.b64encode(h.digest()).decode() if b64 else h.hexdigest()
    return run


def _urlencode(text: Any) -> str:
    from urllib.parse import quote_plus

    return quote_plus(_str(text))


def _parseint(text: Any, base: Any) -> int:
    b = _int(base)
    if not 2 <= b <= 62:
        raise _EvalError("parseint: base out of range")
    return int(_str(text), b) if b <= 36 else _fail("parseint: base above 36")


_FUNCTIONS: dict[str, Callable[..., Any]] = {
    "element": _element, "slice": _slice, "length": _length, "lookup": _lookup, "merge": _merge,
    "concat": _concat_lists,
    "tolist": _nullable(lambda v: list(_list(v))), "toset": _nullable(lambda v: _set(_list(v))),
    "tomap": _nullable(lambda v: dict(_map(v))), "tonumber": _nullable(_num), "tobool": _nullable(_bool),
    "tostring": _nullable(lambda v: _fail("tostring: a collection") if isinstance(v, (list, dict)) else _str(v)),
    "coalesce": _coalesce, "coalescelist": lambda *ls: _coalesce(*ls, lists=True),
    "format": _format, "formatlist": _formatlist,
    "join": _join,
    "split": lambda sep, s: _str(s).split(_str(sep)) if _str(sep) else list(_str(s)),
    "cidrsubnet": _cidr, "cidrhost": lambda prefix, host: _cidr(prefix, host=host),
    "keys": lambda m: sorted(_map(m)), "values": lambda m: [_map(m)[k] for k in sorted(_map(m))],
    "contains": lambda xs, x: _find(xs, x, False), "index": lambda xs, x: _find(xs, x, True),
    "distinct": lambda xs: _dedupe(_list(xs)), "flatten": _flatten,
    "compact": lambda xs: _compact(_list(xs)),
    "min": lambda *ns: min(_num(n) for n in ns), "max": lambda *ns: max(_num(n) for n in ns),
    "lower": lambda s: _str(s).lower(), "upper": lambda s: _str(s).upper(),
    "replace": _replace, "substr": _substr, "trimspace": lambda s: _str(s).strip(),
    "trim": lambda s, cut: _str(s).strip(_str(cut)),
    "trimprefix": lambda s, p: _str(s).removeprefix(_str(p)),
    "trimsuffix": lambda s, p: _str(s).removesuffix(_str(p)),
    "startswith": lambda s, p: _str(s).startswith(_str(p)), "endswith": lambda s, p: _str(s).endswith(_str(p)),
    "range": _range, "zipmap": _zipmap, "one": _one,
    "abs": lambda n: abs(_num(n)), "ceil": _rounded(math.ceil), "floor": _rounded(math.floor),
    "sum": lambda xs: _norm(sum(_num(x) for x in _list(xs))) if xs else _fail("sum: empty list"),
    "alltrue": lambda xs: all(_bool(x) for x in _list(xs)), "anytrue": lambda xs: any(_bool(x) for x in _list(xs)),
    "reverse": lambda xs: _list(xs)[::-1], "sort": lambda xs: sorted(_str(x) for x in _list(xs)),
    "jsonencode": _jsonencode, "jsondecode": _jsondecode,
    "base64encode": lambda s: _base64(s, False), "base64decode": lambda s: _base64(s, True),
    "cidrsubnets": _cidrsubnets, "cidrnetmask": _cidrnetmask, "regex": _regex, "regexall": _regexall,
    "title": _title, "basename": _basename, "dirname": _dirname, "chomp": lambda s: _str(s).rstrip("\r\n"),
    "strrev": lambda s: _str(s)[::-1], "strcontains": lambda s, sub: _str(sub) in _str(s),
    "indent": _indent,
    "sensitive": lambda v: v, "nonsensitive": lambda v: v,
    "setunion": _set_op("setunion"), "setintersection": _set_op("setintersection"),
    "setsubtract": lambda a, b: _set_op("setsubtract")(a, b),
    "matchkeys": _matchkeys, "transpose": _transpose, "chunklist": _chunklist,
    "md5": _digest("md5"), "sha1": _digest("sha1"), "sha256": _digest("sha256"), "sha512": _digest("sha512"),
    "base64sha256": _digest("sha256", True), "base64sha512": _digest("sha512", True),
    "urlencode": _urlencode, "parseint": _parseint,
    "pow": lambda a, b: _norm(float(_num(a)) ** _num(b)), "signum": lambda n: (_num(n) > 0) - (_num(n) < 0),
}
FUNCTION_NAMES = frozenset(_FUNCTIONS) | {"try", "can"}
