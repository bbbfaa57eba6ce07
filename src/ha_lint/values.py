"""Resolved values: known, unknown, or one of several branches, each knowing its origin.

Loaders hand the resolver raw template values; the resolver turns them into plain Python
data in which three kinds of leaf stand for what plain data cannot say:

- ``UNKNOWN``: the deployment decides (a parameter without default, a data source, a
  runtime attribute). Rules never report on it.
- ``Choice``: several values are possible (a condition or ternary on an unknown); rules
  report if any branch is bad and name that branch.
- ``Ref``: a pointer to another resource of the same workload (``Ref``, ``Fn::GetAtt``,
  ``aws_subnet.a.id``). The graph turns these into edges.
- ``AzToken``: an Availability Zone chosen by position (``!Select [1, !GetAZs '']``,
  ``data.aws_availability_zones.x.names[1]``): its name is unknown, but two tokens with
  different positions in the same region are two distinct AZs.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from typing import Any, Callable, Iterable, Iterator

from ha_lint.english import plural


class Unknown:
    """The one value a template leaves to deploy time."""

    _instance: "Unknown | None" = None

    def __new__(cls) -> "Unknown":
        if cls._instance is None:
            cls._instance = super().__new__(cls)
        return cls._instance

    def __repr__(self) -> str:
        return "UNKNOWN"

    def __bool__(self) -> bool:
        raise TypeError("UNKNOWN has no truth value: test `is UNKNOWN` first")

    def __reduce__(self) -> str:
        return "UNKNOWN"


UNKNOWN = Unknown()


@dataclass(frozen=True)
class Choice:
    """Several possible values, each labelled with the branch that gives it."""

    branches: tuple[tuple[str, Any], ...]


@dataclass(frozen=True)
class Ref:
    """A reference to another resource, by address: of the same workload, or of the workload
    named in ``workload`` (a value another CloudFormation stack exports and this one imports)."""

    address: str
    attribute: str | None = None
    workload: str | None = None  # None: the workload of the resource holding the reference

    def hcl_getattr(self, name: str) -> "Ref":
        return Ref(self.address, name if self.attribute is None else f"{self.attribute}.{name}", self.workload)


@dataclass(frozen=True)
class AzToken:
    """The AZ at ``index`` of the region's AZ list: unnamed, but distinct by index. ``kind``
    says whether it stands for the AZ's name (``us-east-1a``) or its ID (``use1-az1``): the
    same AZ either way, so it takes no part in equality."""

    region: str
    index: int
    kind: str = field(default="name", compare=False)  # "name" | "id"
    # The list it was taken from, as written in its language (``!GetAZs ''``,
    # ``data.aws_availability_zones.available.names``): how a message names it.
    source: str = field(default="", compare=False)

    def __str__(self) -> str:
        """The expression that picks it, in the template's language."""
        if self.source.startswith("!GetAZs"):
            return f"!Select [{self.index}, {self.source}]"
        if self.source:
            return f"{self.source}[{self.index}]"
        return f"AZ #{self.index + 1} of {self.region or 'the Region'}"

    def describe(self) -> str:
        """``the Region's first AZ (`!Select [0, !GetAZs '']`)``: the name is not known, so
        the message says which AZ it is and the expression it came from."""
        return f"{self.position()} (`{self}`)"

    def position(self) -> str:
        """``the Region's first AZ``, ``eu-west-1's second AZ``."""
        named = re.fullmatch(r"[a-z]{2}(-[a-z]+)+-\d+", self.region or "")
        whose = f"{self.region}'s" if named else "the Region's"
        return f"{whose} {ordinal(self.index + 1)} AZ"


_ORDINALS = ("first", "second", "third", "fourth", "fifth", "sixth", "seventh", "eighth", "ninth", "tenth")


def ordinal(n: int) -> str:
    """1 -> "first"; past ten, "11th"."""
    if 1 <= n <= len(_ORDINALS):
        return _ORDINALS[n - 1]
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"


class DynamicBlock(dict):  # type: ignore[type-arg]
    """A block a Terraform ``dynamic`` block made: a plain mapping (equal to, and shown as,
    one) that remembers which of the resource's dynamic blocks made it (its index in the
    body's ``dynamic`` list: ``dynamic.<i>.<label>`` in the resource's lines)."""

    __slots__ = ("dynamic_index",)

    def __init__(self, items: dict[str, Any], dynamic_index: int) -> None:
        super().__init__(items)
        self.dynamic_index = dynamic_index

    def __reduce__(self) -> Any:
        return DynamicBlock, (dict(self), self.dynamic_index)


@dataclass(frozen=True, eq=False)
class EncodedJson:
    """The text Terraform's ``jsonencode`` makes of ``value`` when parts of it are known only
    at deploy time (``Resource = aws_dynamodb_table.t.arn``): the text is unknown, the
    structure is not, and a reader of the document (an IAM policy's actions) judges the known
    parts; only an unknown part that decides a question leaves it unanswered. Compared and
    hashed by identity: ``value`` holds lists and maps."""

    value: Any


@dataclass(frozen=True)
class CallInput:
    """What makes an origin step an input given at a module call: the instance it feeds
    (``module.db``; a Terragrunt ``inputs`` would feed the root, ``""``), the input's name,
    and whether the call is written outside the repository (inside a downloaded module)."""

    module: str
    name: str
    external: bool = False


BRIEF_LIMIT = 200  # characters of a value's trace in a message (Origin.brief)


@dataclass(frozen=True)
class Origin:
    """Where a resolved value came from, when not from the property itself."""

    description: str  # e.g. "parameter DbMultiAz defaults to 'false'"
    file: str | None = None
    line: int | None = None
    # The steps the value took from here to the property (a module input, a condition...).
    via: tuple["Origin", ...] = ()
    # Set when this step is an input given at a module call (findings are reported there).
    input: CallInput | None = None

    def steps(self) -> tuple["Origin", ...]:
        """This step and the ones after it, source first, each without its own ``via``."""
        return (Origin(self.description, self.file, self.line, (), self.input), *self.via)

    def __str__(self) -> str:
        where = f" ({self.file}:{self.line})" if self.file and self.line else ""
        return f"{self.description}{where}" + "".join(f" -> {step}" for step in self.via)

    def brief(self, limit: int = BRIEF_LIMIT) -> str:
        """The chain as a message shows it, in at most ``limit`` characters: the source (the
        setting the user edits: a variable's default, a tfvars line, a module input, a
        parameter) first, then the step that sets the property, each with its file
        (``_short_path``) and line; the steps between are counted, not shown (JSON ``trace``
        and SARIF ``relatedLocations`` hold every step with its full path)."""
        steps = self.steps()
        shown = [steps[0], steps[-1]] if len(steps) > 1 else [steps[0]]
        between = len(steps) - len(shown)
        joint = f" -> ({plural(between, 'more step')}) -> " if between else " -> "
        places = [f" ({_short_path(s.file)}:{s.line})" if s.file and s.line else "" for s in shown]
        room = limit - len(joint) * (len(shown) - 1) - sum(map(len, places))
        texts = [s.description for s in shown]
        for done, i in enumerate(sorted(range(len(texts)), key=lambda i: len(texts[i]))):
            share = room // (len(texts) - done)  # the shorter text's unused room goes to the longer
            if len(texts[i]) > share:
                texts[i] = texts[i][:max(share - 3, 1)] + "..."
            room -= len(texts[i])
        return joint.join(text + place for text, place in zip(texts, places))


def _short_path(path: str) -> str:
    """A file as a message's trace names it: as given when relative and short, else its
    folder and name (``.../db_instance/main.tf``): never an absolute path."""
    if not os.path.isabs(path) and len(path) <= 40:
        return path
    parts = path.replace(os.sep, "/").split("/")
    return ".../" + "/".join(parts[-2:]) if len(parts) > 2 else path


def is_known(value: Any) -> bool:
    return value is not UNKNOWN and not isinstance(value, Choice)


def same_known_value(a: Any, b: Any) -> bool:
    """Both values plain data known in full (no UNKNOWN, ``Choice`` or reference anywhere in
    them) and equal: a condition choosing between them decides nothing."""
    def plain(v: Any) -> bool:
        if isinstance(v, dict):
            return all(plain(item) for item in v.values())
        if isinstance(v, list):
            return all(plain(item) for item in v)
        return v is None or isinstance(v, (str, int, float))
    return plain(a) and plain(b) and type(a) is type(b) and a == b


def possibilities(value: Any) -> Iterator[tuple[str | None, Any]]:
    """Each (branch label or None, value) the deployment may see; UNKNOWN is yielded as is."""
    if isinstance(value, Choice):
        for label, branch in value.branches:
            for sub_label, sub in possibilities(branch):
                yield (label if sub_label is None else f"{label}, {sub_label}"), sub
    else:
        yield None, value


def as_bool(value: Any) -> bool | Unknown:
    """CloudFormation and Terraform both accept "true"/"false" strings for booleans."""
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().lower() in ("true", "false"):
        return value.strip().lower() == "true"
    return UNKNOWN


def as_int(value: Any) -> int | Unknown:
    if isinstance(value, bool):
        return UNKNOWN
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, str):
        try:
            return int(value.strip())
        except ValueError:
            return UNKNOWN
    return UNKNOWN


def as_list(value: Any) -> list[Any]:
    """A list property, a single value as a one-item list, absent as an empty list."""
    if value is None:
        return []
    if isinstance(value, (list, tuple)):
        return list(value)
    return [value]


# -- three-valued logic: answers about the world are True, False or UNKNOWN -------------------

Tri = bool | Unknown


def any3(values: Iterable[Tri]) -> Tri:
    """True if any is True; UNKNOWN if none is but one is unknown; else False."""
    seen_unknown = False
    for value in values:
        if value is True:
            return True
        if value is UNKNOWN:
            seen_unknown = True
    return UNKNOWN if seen_unknown else False


def all3(values: Iterable[Tri]) -> Tri:
    seen_unknown = False
    for value in values:
        if value is False:
            return False
        if value is UNKNOWN:
            seen_unknown = True
    return UNKNOWN if seen_unknown else True


def not3(value: Tri) -> Tri:
    return value if value is UNKNOWN else not value


def leaves(value: Any) -> Iterator[Any]:
    """Every leaf of a resolved value (what is not a mapping, list, tuple or ``Choice``),
    every branch's included."""
    if isinstance(value, dict):
        for item in value.values():
            yield from leaves(item)
    elif isinstance(value, (list, tuple)):
        for item in value:
            yield from leaves(item)
    elif isinstance(value, Choice):
        for _, item in value.branches:
            yield from leaves(item)
    else:
        yield value


def map_leaves(value: Any, leaf: Callable[[Any], Any]) -> Any:
    """The value rebuilt with ``leaf(x)`` in place of each leaf ``x``: lists and mappings
    become new plain ones, a ``Choice`` keeps its labels. A tuple is a leaf here (resolved
    properties are built of lists; a tuple is something of the caller's own)."""
    if isinstance(value, list):
        return [map_leaves(item, leaf) for item in value]
    if isinstance(value, dict):
        return {key: map_leaves(item, leaf) for key, item in value.items()}
    if isinstance(value, Choice):
        return Choice(tuple((label, map_leaves(item, leaf)) for label, item in value.branches))
    return leaf(value)


def refs_in(value: Any) -> Iterator[Ref]:
    """Every Ref inside a resolved value, branches included."""
    return (item for item in leaves(value) if isinstance(item, Ref))


@dataclass(frozen=True)
class Value:
    """One property of one resource as a rule sees it."""

    value: Any
    line: int
    present: bool = True  # False: absent, ``value`` is the provider's default
    origin: Origin | None = None

    @property
    def known(self) -> bool:
        return is_known(self.value)

    def branches(self) -> Iterator[tuple[str | None, Any]]:
        return possibilities(self.value)

    def why(self) -> str:
        """A suffix for messages: where the value came from."""
        if not self.present:
            return " (not set; this is the default)"
        return f" ({self.origin.brief()})" if self.origin else ""



def bad_branches(value: Any, is_bad: Any) -> list[str | None]:
    """Labels of the possible values for which ``is_bad(v)`` holds (None: unconditional).

    Unknown values are never bad: the catalog reports only what the templates decide.
    """
    out: list[str | None] = []
    for label, candidate in possibilities(value):
        if candidate is UNKNOWN or isinstance(candidate, (Ref, AzToken)):
            continue
        if is_bad(candidate):
            out.append(label)
    return out


def when(label: str | None) -> str:
    """Message suffix naming the branch a finding is on."""
    return f" (when {label})" if label else ""
