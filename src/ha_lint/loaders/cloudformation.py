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
limits), it gives up and cfn-lint decodes the file, so what loads and what is refused is
cfn-lint's decision. ``tests/test_perf_paths.py`` proves both paths give identical ``template``
and ``lines`` on every corpus file the fast path accepts.

A file cfn-lint refuses becomes one LoadFailure in plain words (``describe_failure``): the
construct PyYAML was reading and where it starts, a tab, a duplicated key with both lines, a
refused ``!!python`` tag, an alias bomb, nesting too deep. ``check_shape`` then refuses what
CloudFormation would refuse for its shape (``Resources`` a list, a resource with no ``Type``,
``Properties`` that are not a mapping). Decisions: a document with neither
``AWSTemplateFormatVersion`` nor ``Resources`` at the top only embeds a template (a Lambda
test event) and is skipped silently; ``Fn::ForEach::`` entries and a ``Type`` given by a
pre-processor's tag (Rain's ``!Rain::Module``) are skipped, not refused; an empty
``Resources`` is no error (nothing to check).
"""

from __future__ import annotations

import re
from contextlib import nullcontext
from dataclasses import dataclass, field
from typing import Any, Callable, ContextManager

from ha_lint.english import plural
from ha_lint.loaders import LoadFailure

# Guards against alias bombs and absurd nesting: a template is data, never this big.
MAX_NODES = 2_000_000
MAX_DEPTH = 200
MAX_EXPANDED = 250_000  # values once YAML aliases are expanded (cfn-lint >= 1.57 has the same bound)


@dataclass
class CfnTemplate:
    file: str  # as shown to the user
    template: dict[str, Any]  # plain data (no cfn-lint node classes)
    lines: dict[str, int] = field(default_factory=dict)  # "Resources.Db.Properties.MultiAZ" -> line


def load(text: str, shown: str, importing: Callable[[], ContextManager[Any]] = nullcontext) -> CfnTemplate:
    """The template, through the fast path when it can, else cfn-lint. cfn-lint's first import
    (about half a second) runs inside ``importing()``: the scan stops the file's deadline for it,
    since it depends on the machine, not on the file (and an alarm landing in an import's
    clean-up code is printed by Python as an ignored exception with a traceback)."""
    fast = load_fast(text, shown)
    if fast is None:
        with importing():
            import cfnlint.decode  # noqa: F401
    tpl = fast if fast is not None else load_cfnlint(text, shown)
    _distribute_property_choices(tpl)
    return tpl


def load_template(text: str, shown: str,
                  importing: Callable[[], ContextManager[Any]] = nullcontext) -> CfnTemplate | None:
    """``load``, then checked as a template and ready to resolve (``Resources`` always a
    mapping); None when the file only looked like one (no ``Resources``, no
    ``AWSTemplateFormatVersion``)."""
    template = load(text, shown, importing)
    if not is_template(template):
        return None
    check_shape(template)
    if template.template.get("Resources") is None:
        template.template["Resources"] = {}
    return template


def _distribute_property_choices(tpl: CfnTemplate) -> None:
    """``Properties: !If [Cond, {A: 1, B: 2}, {A: 3}]`` (valid CloudFormation) becomes
    ``{A: !If [Cond, 1, 3], B: !If [Cond, 2, !Ref AWS::NoValue]}``: the same template, in the
    one shape every rule reads (a mapping of properties). Lines follow the values."""
    resources = tpl.template.get("Resources")
    for logical_id, resource in (resources.items() if isinstance(resources, dict) else ()):
        if isinstance(resource, dict) and _is_if(resource.get("Properties")):
            base = f"Resources.{logical_id}.Properties"
            spread = _spread_if(resource["Properties"], base, tpl.lines)
            if spread is not None:
                resource["Properties"] = spread


_NO_VALUE = {"Ref": "AWS::NoValue"}


def _is_if(value: Any) -> bool:
    return isinstance(value, dict) and len(value) == 1 and isinstance(value.get("Fn::If"), list) \
        and len(value["Fn::If"]) == 3 and isinstance(value["Fn::If"][0], str)


def _spread_if(value: Any, base: str, lines: dict[str, int]) -> dict[str, Any] | None:
    """A mapping of property -> Fn::If for an Fn::If between mappings (or NoValue, or another
    such Fn::If), or None when a branch is anything else (left for check_shape to refuse)."""
    condition, *branches = value["Fn::If"]
    spread: list[dict[str, Any]] = []
    for index, branch in enumerate(branches, start=1):
        here = f"{base}.Fn::If.{index}"
        if branch == _NO_VALUE:
            branch = {}
        elif _is_if(branch):
            branch = _spread_if(branch, here, lines)
        if not isinstance(branch, dict):
            return None
        spread.append(branch)
        # Each property's line, and the lines inside it, as if written plainly; a property both
        # branches set points at the second (the else branch: usually the weaker one, as in
        # ``!If [IsProd, {..prod..}, {..dev..}]``).
        for key in branch:
            if f"{here}.{key}" in lines:
                lines[f"{base}.{key}"] = lines[f"{here}.{key}"]
            for path in [p for p in lines if p.startswith(f"{here}.{key}.")]:
                lines.setdefault(f"{base}.{key}.Fn::If.{index}{path[len(f'{here}.{key}'):]}", lines[path])
    keys = list(dict.fromkeys(k for branch in spread for k in branch))
    return {k: {"Fn::If": [condition, spread[0].get(k, dict(_NO_VALUE)), spread[1].get(k, dict(_NO_VALUE))]}
            for k in keys}


def load_cfnlint(text: str, shown: str) -> CfnTemplate:
    """Decode with cfn-lint (the reference decoder: it decides what loads); a file it refuses
    is described in plain words by ``describe_failure``."""
    from cfnlint.decode import decode_str  # lazy: about half a second of imports

    _refuse_alias_bomb(text)
    try:
        template, matches = decode_str(text)
    except RecursionError:  # cfn-lint < 1.5x recurses where later versions report the depth
        raise _too_deep(_deep_line(text)) from None
    if matches:
        raise describe_failure(text, matches)
    if not isinstance(template, dict):
        raise LoadFailure("a CloudFormation template must be a mapping at the top level", 1)
    lines: dict[str, int] = {}
    plain = _plain(template, "", lines, [0], 0)
    return CfnTemplate(shown, plain, lines)


def _refuse_alias_bomb(text: str) -> None:
    """A LoadFailure when the YAML's aliases expand to more than MAX_EXPANDED values.

    Checked here, before cfn-lint decodes the file, so that the refusal and its wording are
    ha-lint's whichever cfn-lint is installed (cfn-lint 1.57 added its own 250,000-node guard;
    earlier versions build the aliased structure and leave the walk to us). Composed nodes
    are shared, not copied, so the expanded size is counted in time linear in the file:
    one count per distinct node, values as cfn-lint counts them (a mapping's values, a
    list's items, the collection itself)."""
    if "&" not in text or "*" not in text:  # no anchor, or no alias: nothing can expand
        return
    import yaml

    try:
        root = yaml.compose(text, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
    except Exception:  # a syntax error, too deep...: cfn-lint's decoding reports it
        return
    if root is None:
        return
    sizes: dict[int, int] = {}
    open_nodes: set[int] = set()  # on the current path: met again, the structure contains itself
    stack: list[tuple[Any, bool]] = [(root, False)]
    while stack:  # iterative post-order: a deep file must not exhaust the Python stack
        node, children_done = stack.pop()
        if id(node) in sizes:
            continue
        children = [v for _, v in node.value] if node.id == "mapping" else node.value if node.id == "sequence" else []
        if not children_done:
            if any(id(c) in open_nodes for c in children):  # `&a [*a]`: it expands for ever
                raise _alias_bomb(text)
            if any(id(c) not in sizes for c in children):
                open_nodes.add(id(node))
                stack.append((node, True))
                stack.extend((c, False) for c in children if id(c) not in sizes)
                continue
        open_nodes.discard(id(node))
        total = 1 + sum(sizes[id(c)] for c in children)
        if total > MAX_EXPANDED:
            raise _alias_bomb(text)
        sizes[id(node)] = total


def _alias_bomb(text: str) -> LoadFailure:
    line = _first_event_line(text, "AliasEvent")
    return LoadFailure(f"not valid YAML: its aliases (*name, first at line {line}) expand to more than "
                       f"{MAX_EXPANDED:,} values (an alias bomb?); not loaded", line)


def _plain(node: Any, path: str, lines: dict[str, int], count: list[int], depth: int) -> Any:
    """Copy cfn-lint's nodes into plain dicts/lists, recording the line of every key."""
    count[0] += 1
    if count[0] > MAX_NODES:
        raise LoadFailure(f"holds more than {MAX_NODES:,} values; a template is never this big, not loaded")
    if depth > MAX_DEPTH:
        mark = getattr(node, "start_mark", None)
        raise _too_deep(mark.line + 1 if mark is not None else None)
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


# -- what is wrong with a file that does not load, in plain words ------------------------------

_PLAIN_NAMES = {  # PyYAML's names for what it was reading -> words a template author uses
    "flow sequence": "'[' list", "flow mapping": "'{' mapping", "block mapping": "mapping",
    "block sequence": "'-' list", "block collection": "block", "quoted scalar": "quoted string",
    "plain scalar": "value", "directive": "'%' directive", "tag": "tag", "anchor": "anchor",
    "alias": "alias", "simple key": "key", "block scalar": "'|' or '>' text block",
}


def describe_failure(text: str, matches: list[Any]) -> LoadFailure:
    """One LoadFailure for a template cfn-lint could not decode: what is wrong and where."""
    messages = [str(getattr(m, "message", m)).strip() for m in matches]
    first, line = messages[0], _match_line(matches[0])
    # The key and its lines are found here, not read from cfn-lint's wording (which changed
    # its quotes between versions).
    duplicate = _duplicate_key(text) if first.startswith("Duplicate found") else None
    if duplicate is not None:
        key, where = duplicate
        return LoadFailure(f"not valid {_syntax(text)}: key {key!r} appears twice in the same mapping "
                           f"(lines {' and '.join(map(str, where))}); keep one of them", where[-1])
    tag = re.search(r"could not determine a constructor for the tag '([^']*)'", first)
    if tag:
        at = re.search(r"line (\d+), column (\d+)", first)
        name = tag.group(1).replace("tag:yaml.org,2002:", "!!")
        where = f" at line {at.group(1)}" if at else ""
        return LoadFailure(f"not valid YAML: the tag {name}{where} is refused: a template is plain data, and ha-lint "
                           "never builds objects from it (CloudFormation's own tags are !Ref, !Sub, !GetAtt ...)",
                           int(at.group(1)) if at else line)
    if "YAML aliases" in first or "alias amplification" in first:  # cfn-lint >= 1.57: normally ours fires first
        return _alias_bomb(text)
    if "maximum recursion depth" in first or "maximum nesting depth" in first:
        return _too_deep(_deep_line(text))
    error = _compose_error(text)
    if error is not None and (error.problem or "") in first:
        return _describe_yaml_error(error, text)
    at = f" at line {line}" if line else ""
    return LoadFailure(f"not valid {_syntax(text)}: {first.splitlines()[0] if first else 'cannot be parsed'}{at}", line)


def _duplicate_key(text: str) -> tuple[str, list[int]] | None:
    """The first key written twice in one mapping, in document order, with the lines of each
    time it is written; None when there is none (or the YAML does not compose)."""
    import yaml

    try:
        root = yaml.compose(text, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
    except Exception:
        return None
    stack, seen = ([root] if root is not None else []), set()
    while stack:  # iterative: a deep file must not exhaust the Python stack
        node = stack.pop()
        if id(node) in seen:  # an alias: already walked
            continue
        seen.add(id(node))
        if node.id == "mapping":
            lines: dict[str, list[int]] = {}
            for key, _ in node.value:
                if key.id == "scalar":
                    lines.setdefault(key.value, []).append(key.start_mark.line + 1)
            twice = next(((k, v) for k, v in lines.items() if len(v) > 1), None)
            if twice is not None:
                return twice
            stack.extend(value for _, value in reversed(node.value))
        elif node.id == "sequence":
            stack.extend(reversed(node.value))
    return None


def _syntax(text: str) -> str:
    return "JSON" if text.lstrip().startswith(("{", "[")) else "YAML"


def _match_line(match: Any) -> int | None:
    line = getattr(match, "linenumber", None)
    return line if isinstance(line, int) and line > 0 else None


def _too_deep(line: int | None) -> LoadFailure:
    where = f" (at line {line})" if line else ""
    return LoadFailure(f"nests deeper than {MAX_DEPTH} levels{where}; a template is never this deep, not loaded", line)


def _compose_error(text: str) -> Any:
    """PyYAML's own error for text (it names the construct being read), or None."""
    import yaml

    try:
        yaml.compose(text, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
    except yaml.MarkedYAMLError as exc:
        return exc
    except Exception:
        return None
    return None


def _describe_yaml_error(exc: Any, text: str) -> LoadFailure:
    problem, mark, context, context_mark = exc.problem or "", exc.problem_mark, exc.context or "", exc.context_mark
    line = mark.line + 1 if mark is not None else None
    column = mark.column + 1 if mark is not None else None
    at = f"line {line}, column {column}" if mark is not None else "an unknown place"
    what = context.removeprefix("while parsing ").removeprefix("while scanning ").removeprefix("a ").removeprefix("an ")
    what = _PLAIN_NAMES.get(what, what)
    opened = f" the {what} that starts at line {context_mark.line + 1}" if context_mark is not None and what else ""
    char = text[mark.index] if mark is not None and 0 <= mark.index < len(text) else ""
    if char == "\t" or "'\\t'" in problem:
        return LoadFailure(f"not valid YAML: a tab character at {at}; YAML indentation must use spaces, not tabs", line)
    if "expected a single document" in context:
        return LoadFailure(f"not valid YAML: a second document starts at line {line} ('---'); a template is one "
                           "document", line)
    if mark is not None and not text[mark.index:].strip():
        if opened:
            return LoadFailure(f"not valid {_syntax(text)}: the file ends before{opened} is closed (truncated?)", line)
        return LoadFailure(f"not valid {_syntax(text)}: the file ends unexpectedly (truncated?)", line)
    if problem == "did not find expected key" and context_mark is not None:
        return LoadFailure(f"not valid YAML: bad indentation at {at}: it does not line up with the keys of{opened}",
                           line)
    if problem.startswith("mapping values are not allowed"):
        return LoadFailure(f"not valid YAML: unexpected ':' at {at} (a value holding ': ' must be quoted, or the "
                           "indentation is wrong)", line)
    if "cannot start any token" in problem:
        shown = repr(char) if char else "a character"
        return LoadFailure(f"not valid YAML: {shown} at {at} cannot start a value (quote the value)", line)
    if "found undefined alias" in problem:
        return LoadFailure(f"not valid YAML: the alias at {at} names no anchor ('&name') defined before it", line)
    detail = f"{problem.removeprefix('did not find ')} at {at}" + (f", inside{opened}" if opened else "")
    return LoadFailure(f"not valid {_syntax(text)}: {detail}", line)


def _first_event_line(text: str, event: str) -> int | None:
    """The line of the first YAML parse event of this kind (``AliasEvent``...), or None."""
    import yaml

    try:
        for item in yaml.parse(text, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader)):
            if type(item).__name__ == event:
                return item.start_mark.line + 1
    except Exception:
        return None
    return None


def _deep_line(text: str) -> int | None:
    """The line where the YAML/JSON first nests deeper than MAX_DEPTH collections."""
    import yaml

    depth = 0
    try:
        for item in yaml.parse(text, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader)):
            name = type(item).__name__
            if name in ("MappingStartEvent", "SequenceStartEvent"):
                depth += 1
                if depth > MAX_DEPTH:
                    return item.start_mark.line + 1
            elif name in ("MappingEndEvent", "SequenceEndEvent"):
                depth -= 1
    except yaml.MarkedYAMLError as exc:  # libyaml's own nesting limit
        return exc.problem_mark.line + 1 if exc.problem_mark is not None else None
    except Exception:
        return None
    return None


# -- the shape of a template -------------------------------------------------------------------

_SECTIONS = ("Parameters", "Mappings", "Conditions", "Outputs", "Globals")


def is_template(tpl: CfnTemplate) -> bool:
    """A CloudFormation template has ``AWSTemplateFormatVersion`` or ``Resources`` at the top;
    a document that only embeds one (a Lambda test event, a macro's payload) is not one."""
    return "AWSTemplateFormatVersion" in tpl.template or "Resources" in tpl.template


def check_shape(tpl: CfnTemplate) -> None:
    """LoadFailure for a template CloudFormation would refuse for its shape: sections, resources,
    Type or Properties of the wrong kind (the first problem, with the count of the others).

    Decision: an empty ``Resources`` (``{}`` or nothing after the key) is not an error here:
    it declares nothing to check. A wrong property *value* (``MultiAZ: [1]``) is not one either:
    the rules read it as unknown, never as a finding."""
    problems: list[tuple[str, int | None]] = []
    body = tpl.template
    for section in ("Resources",) + _SECTIONS:
        value = body.get(section)
        if value is not None and not isinstance(value, dict):
            problems.append((f"{section} must be a mapping of names to declarations, not {_kind(value)}",
                             tpl.lines.get(section)))
    resources = body.get("Resources")
    for logical_id, resource in (resources.items() if isinstance(resources, dict) else ()):
        where = f"Resources.{logical_id}"
        line = tpl.lines.get(where)
        if logical_id.startswith("Fn::ForEach::"):
            continue  # AWS::LanguageExtensions: a loop that makes resources, not a resource
        if not isinstance(resource, dict):
            problems.append((f"resource {logical_id} must be a mapping with a Type, not {_kind(resource)}", line))
            continue
        rtype = resource.get("Type")
        if rtype is None:
            problems.append((f"resource {logical_id} has no Type (such as AWS::S3::Bucket)", line))
        elif isinstance(rtype, dict):
            pass  # a pre-processor's tag (Rain's ``!Rain::Module file.yaml``): not ours to judge, skipped
        elif not isinstance(rtype, str) or not rtype.strip():
            problems.append((f"resource {logical_id} has a Type that is {_kind(rtype)}, not a resource type name "
                             "(such as AWS::S3::Bucket)", tpl.lines.get(f"{where}.Type", line)))
        props = resource.get("Properties")
        if props is not None and not isinstance(props, dict):
            problems.append((f"resource {logical_id} has Properties that are {_kind(props)}, not a mapping of "
                             "property names to values", tpl.lines.get(f"{where}.Properties", line)))
        elif isinstance(props, dict) and len(props) == 1 and (next(iter(props)) == "Ref" or next(iter(props)).startswith("Fn::")):
            given = "an Fn::If whose branches are not all mappings" if "Fn::If" in props else next(iter(props))
            problems.append((f"resource {logical_id} has Properties given by {given}; they must be a mapping of "
                             "property names to values (or an Fn::If choosing between such mappings)",
                             tpl.lines.get(f"{where}.Properties", line)))
    if problems:
        message, line = problems[0]
        more = f" (and {plural(len(problems) - 1, 'more problem')} like it)" if len(problems) > 1 else ""
        raise LoadFailure(f"not a valid CloudFormation template: {message}{more}", line)


def _kind(value: Any) -> str:
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, bool):
        return f"the boolean {str(value).lower()}"
    if isinstance(value, (int, float)):
        return f"the number {value}"
    if isinstance(value, str):
        return f"the text {value[:40]!r}" if value else "empty"
    return "empty" if value is None else f"a {type(value).__name__}"
