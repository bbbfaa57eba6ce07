"""Terragrunt units: a ``terragrunt.hcl`` read as the root module it deploys.

A ``terragrunt.hcl`` with a ``terraform`` block, its own or an included parent's, is a unit:
its ``terraform { source }`` is the module and its ``inputs`` are that module's variables. A
configuration that is only included (``root.hcl``, a top-level ``terragrunt.hcl`` without a
``terraform`` block) is not a unit. What is evaluated, as Terragrunt evaluates it:

- ``include`` blocks (labelled or not): the parent is read in the unit's context and merged
  with its ``merge_strategy``: ``shallow`` (the default: the unit's own attributes win,
  ``inputs`` key by key), ``deep`` (maps merged key by key all the way down, lists
  concatenated parent first, anything else the unit's) or ``no_merge`` (only what ``expose``
  shows); several includes are merged bottom up, a later one winning over an earlier one;
  ``expose = true`` makes ``include.<name>.locals`` / ``.inputs`` readable;
- ``locals``, ``read_terragrunt_config(path)`` (another file's locals and inputs),
  ``find_in_parent_folders([name])``, ``path_relative_to_include()``,
  ``path_relative_from_include()``, ``get_terragrunt_dir()``, ``get_parent_terragrunt_dir()``,
  ``get_original_terragrunt_dir()``, ``get_repo_root()``, ``get_path_to_repo_root()``,
  ``get_path_from_repo_root()`` (the nearest folder up with a ``.git``), ``read_tfvars_file(path)``
  and ``get_env(name, default)`` (its default: the environment of the machine that scans is
  not the one that deploys);
- ``dependency.<name>.outputs``: the ``output`` values of the module the dependency's unit
  (its ``config_path``) deploys with its inputs, where that configuration decides them (the
  caller resolves the module: ``UnitReader``'s ``module_outputs``); what only exists after
  apply (a resource's id) is unknown, and ``mock_outputs`` are never taken as values. The
  dependency blocks of a unit and of the parents merged into it are readable in all of them;
  a dependency cycle, or a chain deeper than ten units, is a warning and leaves them unknown.

Nothing is run: ``run_cmd``, ``sops_decrypt_file``, ``get_aws_account_id`` and the like are
unknown, and hooks, ``generate`` and ``remote_state`` are not read.
"""

from __future__ import annotations

import json
import os
import re
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Callable

from ha_lint import hclexpr
from ha_lint.loaders import LoadFailure
from ha_lint.loaders.terraform import load_tfvars, parse_with_lines
from ha_lint.resolve.terraform import is_local_source
from ha_lint.model import ScanWarning
from ha_lint.values import UNKNOWN, Origin

_MAX_INCLUDES = 10  # include depth, and read_terragrunt_config depth
_MAX_DEPENDENCIES = 10  # how long a chain of dependency units is followed
_META = ("__start_line__", "__end_line__")
_DEPENDENCY_OUTPUT = re.compile(r"dependency\.([\w-]+)\.outputs\.([\w-]+)")
UNIT_FILE = "terragrunt.hcl"
MERGE_STRATEGIES = ("shallow", "deep", "no_merge")


@dataclass
class UnitInput:
    value: Any
    file: str
    line: int
    via: Origin | None = None  # where its value was decided before it (a dependency's output)


@dataclass
class Unit:
    """One Terragrunt unit: the module it deploys and what it gives it."""

    file: str  # the terragrunt.hcl, as shown
    path: Path  # its directory on disk
    source: Any  # terraform.source as evaluated (UNKNOWN when not decided), None: no terraform block
    source_file: str = ""
    source_line: int = 1
    inputs: dict[str, UnitInput] = field(default_factory=dict)
    warnings: list[ScanWarning] = field(default_factory=list)
    # What decides it, for the cache: every configuration file read (or looked for and not
    # found), the module directories its resolution read, the units whose outputs it read.
    files: list[Path] = field(default_factory=list)
    modules: list[Path] = field(default_factory=list)
    dependencies: list["Unit"] = field(default_factory=list)


@dataclass
class _Evaluated:
    """One configuration file evaluated in a unit's context."""

    file: str
    locals: dict[str, Any] = field(default_factory=dict)
    inputs: dict[str, UnitInput] = field(default_factory=dict)
    source: Any = None
    source_file: str = ""
    source_line: int = 1


Reader = Callable[[Path], str]
# The outputs of the module a unit deploys, each (value, origin); None: the module is not available here.
ModuleOutputs = Callable[[Unit], "dict[str, tuple[Any, Origin]] | None"]


class UnitReader:
    """Reads units, each once, and the dependency units their ``dependency`` blocks name."""

    def __init__(self, read: Reader, module_outputs: ModuleOutputs | None = None) -> None:
        self.read = read
        self.module_outputs = module_outputs
        self.units: dict[Path, Unit] = {}
        self.outputs: dict[Path, dict[str, tuple[Any, Origin]] | None] = {}
        self.reading: list[Path] = []  # the units being read, outermost first: a dependency on one is a cycle

    def unit(self, path: Path, shown: str) -> Unit:
        """The unit of ``path`` (a terragrunt.hcl); ``source`` None when it is only a parent.
        Raises LoadFailure for a file that cannot be parsed."""
        key = path.resolve()
        if key in self.units:
            return self.units[key]
        unit = Unit(shown, path.parent, None)
        context = _Context(path.parent, os.path.dirname(shown), self._recording(unit), unit.warnings, self, unit)
        self.reading.append(key)
        try:
            evaluated = context.evaluate(path, shown, None, 0, _Dependencies(context))
        finally:
            self.reading.pop()
        unit.source, unit.source_file, unit.source_line = evaluated.source, evaluated.source_file, evaluated.source_line
        unit.inputs = evaluated.inputs
        self.units[key] = unit
        return unit

    def _recording(self, unit: Unit) -> Reader:
        def read(path: Path) -> str:
            unit.files.append(path.resolve())
            return self.read(path)
        return read

    def dependency_outputs(self, config: Path, shown: str, dependent: Unit, where: tuple[str, int]) -> Any:
        """The outputs of the unit in directory ``config`` (its module's outputs, each (value,
        origin); a value not known UNKNOWN), or UNKNOWN, with a warning at ``where`` saying why."""
        target = config / UNIT_FILE
        key = target.resolve()
        file, line = where
        if key in self.reading:
            chain = " -> ".join(os.path.basename(os.path.dirname(p)) for p in
                                [*self.reading[self.reading.index(key):], key])
            dependent.warnings.append(ScanWarning("terragrunt-dependency", f"dependency cycle ({chain}): "
                                                  "its outputs are unknown", file, line))
            return UNKNOWN
        if len(self.reading) > _MAX_DEPENDENCIES:
            dependent.warnings.append(ScanWarning("terragrunt-dependency", f"dependency chain longer than "
                                                  f"{_MAX_DEPENDENCIES} units: {shown}'s outputs are unknown", file, line))
            return UNKNOWN
        try:
            unit = self.unit(target, os.path.join(shown, UNIT_FILE))
        except (OSError, LoadFailure) as exc:
            reason = exc.message if isinstance(exc, LoadFailure) else (exc.strerror or str(exc))
            dependent.warnings.append(ScanWarning("terragrunt-dependency", f"dependency {shown}: {UNIT_FILE} "
                                                  f"{reason}; its outputs are unknown", file, line))
            return UNKNOWN
        dependent.dependencies.append(unit)
        if self.module_outputs is None:
            return UNKNOWN
        if key not in self.outputs:
            self.outputs[key] = self.module_outputs(unit) if unit.source is not None else None
        outputs = self.outputs[key]
        if outputs is None:
            why = "deploys no module (its terragrunt.hcl has no terraform block)" if unit.source is None \
                else "deploys a module that is not available here"
            dependent.warnings.append(ScanWarning("terragrunt-dependency", f"dependency {shown}: {why}; its outputs "
                                                  "are unknown", file, line))
            return UNKNOWN
        return outputs


def deciding_paths(unit: Unit) -> list[Path]:
    """Every file and module directory that decides a unit's result: its own, and (through
    their outputs) its dependencies', theirs in turn."""
    out: list[Path] = []
    seen: set[int] = set()
    waiting = [unit]
    while waiting:
        current = waiting.pop()
        if id(current) not in seen:
            seen.add(id(current))
            out += [*current.files, *current.modules]
            waiting += current.dependencies
    return list(dict.fromkeys(path.resolve() for path in out))


def read_unit(path: Path, shown: str, read: Reader) -> Unit:
    """The unit of ``path`` read alone (its dependencies' outputs unknown)."""
    return UnitReader(read).unit(path, shown)


@dataclass
class _Context:
    unit_dir: Path
    shown_dir: str
    read: Reader
    warnings: list[ScanWarning]
    reader: UnitReader
    unit: Unit

    def shown(self, path: Path) -> str:
        return os.path.normpath(os.path.join(self.shown_dir, os.path.relpath(path, self.unit_dir)))

    def evaluate(self, path: Path, shown: str, parent_of: Path | None, depth: int,
                 dependencies: "_Dependencies") -> _Evaluated:
        """``path`` evaluated for the unit; ``parent_of``: the file including it, when included;
        ``dependencies``: the ``dependency`` blocks it shares with the files merged with it."""
        text = self.read(path)
        parsed, lines = parse_with_lines(text)
        out = _Evaluated(shown)
        includes: dict[str, Any] = {}
        scope = _Scope({"include": includes, "dependency": dependencies, "dependencies": UNKNOWN},
                       self._functions(path, parent_of))
        scope.names["local"] = _Locals(_local_expressions(parsed), scope)
        dependencies.add(parsed, scope, shown)  # before the parents': the unit's own blocks win
        merged: list[tuple[str, _Evaluated]] = []
        functions = self._functions(path, None)
        for label, body, at in _blocks(parsed, "include"):
            where = body.get("__start_line__", 1)
            named = f"include{' ' + repr(label) if label else ''}"
            target = hclexpr.evaluate_value(body.get("path"), _Scope({}, functions))
            if not isinstance(target, str) or depth >= _MAX_INCLUDES:
                self.warnings.append(ScanWarning("terragrunt-include", f"{named}: its path is not known without "
                                                 "running Terragrunt; the parent configuration is not merged", shown, where))
                continue
            strategy = hclexpr.evaluate_value(body.get("merge_strategy", "shallow"), _Scope({}, functions))
            if strategy not in MERGE_STRATEGIES:
                self.warnings.append(ScanWarning("terragrunt-include", f"{named}: merge_strategy {strategy!r} is not "
                                                 f"one of {', '.join(MERGE_STRATEGIES)}; merged shallowly",
                                                 shown, lines.get(f"{at}.merge_strategy", where)))
                strategy = "shallow"
            parent_path = (path.parent / target).resolve() if not os.path.isabs(target) else Path(target)
            shared = dependencies if strategy != "no_merge" else _Dependencies(self)
            try:
                parent = self.evaluate(parent_path, self.shown(parent_path), path, depth + 1, shared)
            except (OSError, LoadFailure) as exc:
                reason = exc.message if isinstance(exc, LoadFailure) else (exc.strerror or str(exc))
                self.warnings.append(ScanWarning("terragrunt-include", f"include {target}: {reason}; the parent "
                                                 "configuration is not merged", shown, where))
                continue
            merged.append((strategy, parent))
            if body.get("expose") is True and label:
                includes[label] = {"locals": parent.locals, "inputs": {k: v.value for k, v in parent.inputs.items()}}
        out.locals = scope.names["local"].all()
        terraform_line = 0  # a terraform block without a source deploys the unit's own directory
        for _, body, at in _blocks(parsed, "terraform"):
            terraform_line = terraform_line or body.get("__start_line__", 1)
            if "source" in body:
                out.source = hclexpr.evaluate_value(body["source"], scope)
                out.source_file, out.source_line = shown, lines.get(f"{at}.source", body.get("__start_line__", 1))
        inputs = parsed.get("inputs")
        if inputs is not None:
            start = lines.get("inputs", 1)
            values = hclexpr.evaluate_value(inputs, scope)
            if isinstance(values, dict):
                for name, value in values.items():
                    raw = inputs.get(name) if isinstance(inputs, dict) else None
                    out.inputs[name] = UnitInput(value, shown, lines.get(f"inputs.{name}", start),
                                                 dependencies.origin_of(raw))
            else:
                self.warnings.append(ScanWarning("terragrunt-inputs", "inputs: not known without running Terragrunt "
                                                 "(a dependency output or a function that runs something); the "
                                                 "module's variables keep their defaults", shown, start))
        # Bottom up, as Terragrunt merges: the last include into the unit's own, then the one before...
        for strategy, parent in reversed(merged):
            if strategy == "no_merge":
                continue
            out.inputs = _merge_inputs(parent.inputs, out.inputs, deep=strategy == "deep")
            if out.source is None and parent.source is not None:
                out.source, out.source_file, out.source_line = parent.source, parent.source_file, parent.source_line
        if out.source is None and terraform_line:
            out.source, out.source_file, out.source_line = ".", shown, terraform_line
        return out

    def _functions(self, path: Path, parent_of: Path | None) -> dict[str, Callable[..., Any]]:
        """Terragrunt's functions for a file at ``path`` (included by ``parent_of``, if so)."""
        unit_dir = self.unit_dir
        this_dir = path.parent

        def find_in_parent_folders(name: str = "root.hcl", fallback: Any = None) -> str:
            for folder in unit_dir.resolve().parents:
                self.unit.files.append(folder / name)  # found or not, it decides the result
                if (folder / name).exists():  # (a folder's name may be looked for too)
                    return str(folder / name)
            if fallback is not None:
                return fallback
            raise ValueError(f"{name} not found in the parent folders")

        def read_terragrunt_config(target: str, fallback: Any = None) -> Any:
            config = (unit_dir / target).resolve()
            try:
                other = _Context(config.parent, self.shown(config.parent), self.read, self.warnings, self.reader, self.unit)
                evaluated = other.evaluate(config, self.shown(config), None, _MAX_INCLUDES - 1, _Dependencies(other))
            except (OSError, LoadFailure) as exc:
                if fallback is not None:
                    return fallback
                reason = exc.message if isinstance(exc, LoadFailure) else (exc.strerror or str(exc))
                self.warnings.append(ScanWarning("terragrunt-include", f"read_terragrunt_config({target!r}): {reason}; "
                                                 "what it gives is unknown", self.shown(path), None))
                raise ValueError(f"{target} cannot be read") from None
            return {"locals": evaluated.locals, "inputs": {k: v.value for k, v in evaluated.inputs.items()}}

        def read_tfvars_file(target: str) -> str:
            """The variables of a .tfvars (or .tfvars.json) file, as JSON text (for jsondecode)."""
            file = unit_dir / target
            try:
                text = self.read(file)
            except (OSError, LoadFailure) as exc:
                reason = exc.message if isinstance(exc, LoadFailure) else (exc.strerror or str(exc))
                self.warnings.append(ScanWarning("terragrunt-include", f"read_tfvars_file({target!r}): {reason}; "
                                                 "what it gives is unknown", self.shown(path), None))
                raise ValueError(f"{target} cannot be read") from None
            if target.endswith("json"):
                json.loads(text)  # (Terragrunt checks it is JSON, then gives the text itself)
                return text
            values = {name: hclexpr.evaluate_value(raw) for name, (raw, _) in load_tfvars(text, self.shown(file)).items()}
            return json.dumps(values)  # a value not known here (UNKNOWN) fails: the whole file is unknown

        def repo_root() -> Path:
            """The Git repository the unit is in (the nearest folder up with a .git)."""
            found = next((folder for folder in (unit_dir.resolve(), *unit_dir.resolve().parents)
                          if (folder / ".git").exists()), None)
            if found is None:
                raise ValueError("not in a Git repository")
            return found

        return {
            "find_in_parent_folders": find_in_parent_folders,
            "read_terragrunt_config": read_terragrunt_config,
            "get_terragrunt_dir": lambda: str(unit_dir.resolve()),
            "get_original_terragrunt_dir": lambda: str(unit_dir.resolve()),
            "get_parent_terragrunt_dir": lambda *name: str(this_dir.resolve()),
            "path_relative_to_include": lambda *name: os.path.relpath(unit_dir.resolve(), this_dir.resolve())
            if parent_of is not None or this_dir != unit_dir else ".",
            "path_relative_from_include": lambda *name: os.path.relpath(this_dir.resolve(), unit_dir.resolve())
            if parent_of is not None or this_dir != unit_dir else ".",
            "get_repo_root": lambda: str(repo_root()),
            "get_path_to_repo_root": lambda: os.path.relpath(repo_root(), unit_dir.resolve()),
            "get_path_from_repo_root": lambda: os.path.relpath(unit_dir.resolve(), repo_root()),
            "read_tfvars_file": read_tfvars_file,
            "get_env": lambda name, default=UNKNOWN: default,
        }


class _Scope:
    """Names for hclexpr: ``local``, ``include``, ``dependency``; Terragrunt's functions."""

    def __init__(self, names: dict[str, Any], functions: dict[str, Callable[..., Any]]) -> None:
        self.names = names
        self.functions = functions

    def get(self, name: str, default: Any = UNKNOWN) -> Any:
        return self.names.get(name, default)


class _Dependencies:
    """``dependency.<name>``: the dependency blocks of the files merged into one unit, the
    first added winning (the unit's own, then its parents'). ``outputs`` is the dependency
    unit's module outputs (``UnitReader.dependency_outputs``); ``mock_outputs`` are never read."""

    def __init__(self, context: _Context) -> None:
        self.context = context
        self.blocks: dict[str, tuple[dict[str, Any], _Scope, str, int]] = {}
        self.values: dict[str, Any] = {}
        self.origins: dict[str, dict[str, Origin]] = {}  # dependency -> output -> where its value was decided

    def add(self, parsed: dict[str, Any], scope: _Scope, shown: str) -> None:
        for label, body, _ in _blocks(parsed, "dependency"):
            if label:
                self.blocks.setdefault(label, (body, scope, shown, body.get("__start_line__", 1)))

    def hcl_getattr(self, name: str) -> Any:
        if name not in self.values:
            self.values[name] = UNKNOWN  # while it is read: a dependency that reads itself is unknown
            self.values[name] = self._dependency(name)
        return self.values[name]

    def hcl_index(self, key: Any) -> Any:
        return self.hcl_getattr(key) if isinstance(key, str) else UNKNOWN

    def origin_of(self, raw: Any) -> Origin | None:
        """For an input written as one dependency output (``dependency.db.outputs.multi_az``),
        where that output's value was decided, as steps before the input: none of them an
        input of this unit's module, so a finding stays at the input that reads it."""
        text = hclexpr.expression_text(raw)
        read = _DEPENDENCY_OUTPUT.fullmatch(text) if text else None
        origin = self.origins.get(read[1], {}).get(read[2]) if read else None
        if origin is None:
            return None
        steps = [replace(step, input=None) for step in origin.steps()]
        return Origin(steps[0].description, steps[0].file, steps[0].line, tuple(steps[1:]))

    def _dependency(self, name: str) -> Any:
        if name not in self.blocks:
            return UNKNOWN
        body, scope, shown, line = self.blocks[name]
        evaluate = hclexpr.evaluate_value
        # Not fetched (enabled = false), or mocks always (skip_outputs): nothing real to read.
        if evaluate(body.get("enabled", True), scope) is False or evaluate(body.get("skip_outputs", False), scope) is True:
            return {"outputs": UNKNOWN}
        config = evaluate(body.get("config_path"), scope)
        if not isinstance(config, str):
            self.context.warnings.append(ScanWarning("terragrunt-dependency", f"dependency {name!r}: its config_path is "
                                                     "not known without running Terragrunt; its outputs are unknown",
                                                     shown, line))
            return {"outputs": UNKNOWN}
        directory = self.context.unit_dir / config if not os.path.isabs(config) else Path(config)
        outputs = self.context.reader.dependency_outputs(directory.resolve(), self.context.shown(directory), self.context.unit,
                                                         (shown, line))
        if not isinstance(outputs, dict):
            return {"outputs": UNKNOWN}
        self.origins[name] = {output: origin for output, (_, origin) in outputs.items()}
        return {"outputs": {output: value for output, (value, _) in outputs.items()}}


def _merge_inputs(parent: dict[str, UnitInput], child: dict[str, UnitInput], deep: bool) -> dict[str, UnitInput]:
    """A parent's inputs merged into a unit's: the unit's win name by name (shallow), or
    (deep) maps merge key by key and lists concatenate, parent first."""
    out = dict(parent)
    for name, given in child.items():
        if deep and name in out:
            given = UnitInput(_deep_merge(out[name].value, given.value), given.file, given.line, given.via)
        out[name] = given
    return out


def _deep_merge(parent: Any, child: Any) -> Any:
    if isinstance(parent, dict) and isinstance(child, dict):
        return {**parent, **{key: _deep_merge(parent[key], value) if key in parent else value
                             for key, value in child.items()}}
    if isinstance(parent, list) and isinstance(child, list):
        return [*parent, *child]
    return child


class _Locals:
    """``local.x``, evaluated on demand (locals refer to each other), a cycle unknown."""

    def __init__(self, expressions: dict[str, Any], scope: _Scope) -> None:
        self.expressions = expressions
        self.scope = scope
        self.values: dict[str, Any] = {}
        self.busy: set[str] = set()

    def hcl_getattr(self, name: str) -> Any:
        if name in self.values:
            return self.values[name]
        if name not in self.expressions or name in self.busy:
            return UNKNOWN
        self.busy.add(name)
        try:
            value = hclexpr.evaluate_value(self.expressions[name], self.scope)
        finally:
            self.busy.discard(name)
        self.values[name] = value
        return value

    def hcl_index(self, key: Any) -> Any:
        return self.hcl_getattr(key) if isinstance(key, str) else UNKNOWN

    def all(self) -> dict[str, Any]:
        return {name: self.hcl_getattr(name) for name in self.expressions}


def _blocks(parsed: dict[str, Any], block_type: str) -> list[tuple[str, dict[str, Any], str]]:
    """(label or "", body, path) of python-hcl2's blocks of a type: unlabelled ``include {}`` or
    ``include "root" {}``; the path is where ``parse_with_lines`` keeps its lines (``include.0.root``)."""
    out: list[tuple[str, dict[str, Any], str]] = []
    entries = parsed.get(block_type)
    for index, entry in enumerate(entries if isinstance(entries, list) else []):
        if not isinstance(entry, dict):
            continue
        if "__start_line__" in entry:
            out.append(("", entry, f"{block_type}.{index}"))
            continue
        for label, body in entry.items():
            if isinstance(body, dict):
                out.append((label, body, f"{block_type}.{index}.{label}"))
    return out


def _local_expressions(parsed: dict[str, Any]) -> dict[str, Any]:
    return {name: raw for _, body, _ in _blocks(parsed, "locals") for name, raw in body.items() if name not in _META}


def is_remote(source: str) -> bool:
    """A source Terragrunt downloads (git::, tfr:///, a URL, a registry or host path)."""
    return not (is_local_source(source) or source.startswith("/"))


def local_module(unit: Unit) -> Path | None:
    """The directory of a local ``terraform.source`` (``//subdir`` taken as a path part)."""
    if not isinstance(unit.source, str) or is_remote(unit.source):
        return None
    return (unit.path / unit.source.replace("//", "/").split("?", 1)[0]).resolve()


def module_address(source: str) -> tuple[str, str]:
    """A remote source as Terraform's module fetcher takes it, and its version:
    ``tfr:///acme/db/aws?version=1.2.0`` -> (``acme/db/aws``, ``1.2.0``); a
    ``tfr://host/acme/db/aws`` keeps its host; git and URL sources are unchanged."""
    if not source.startswith("tfr://"):
        return source, ""
    rest = source[len("tfr://"):].lstrip("/") if source.startswith("tfr:///") else source[len("tfr://"):]
    address, _, query = rest.partition("?")
    version = next((part.split("=", 1)[1] for part in query.split("&") if part.startswith("version=")), "")
    return address, version
