"""``ha-lint resilience PATHS --compare REF``: what a change does to resilience.

The resilience model is built twice with the same options: on the tree at the merge base of
REF and HEAD (``basetree``, written from git objects) and on the working tree. Workloads are
matched by ID (the base's paths read as the head's); components by address or logical ID,
with Terraform ``moved`` blocks of the head followed (any other rename is removed + added).

A head workload that reads a file git ignores (``cdk.out``, ``cdktf.out``,
``.terraform/modules``, a plan) that the base tree lacks is ``unavailable``: never added, never
a regression. ``--base-path DIR`` supplies those files. A workload whose base does not load is
``unavailable`` too, with the reason."""

from __future__ import annotations

import argparse
import os
import sys
from dataclasses import dataclass, field, replace
from typing import Any

from ha_lint import hclexpr
from ha_lint.escape import printable
from ha_lint.queries.dr import STRATEGIES
from ha_lint.resilience.model import WorkloadModel
from ha_lint.resilience.steps import analyse_scan

ADDED, REMOVED, CHANGED, UNCHANGED, UNAVAILABLE = "added", "removed", "changed", "unchanged", "unavailable"
COMPARE_FORMATS = ("text", "json", "markdown")

Duration = tuple[float, float]


@dataclass(frozen=True)
class SpofKey:
    component: str
    rule: str
    scenario: str


@dataclass
class ScenarioChange:
    label: str
    rto: tuple[Duration | None, Duration | None]  # (before, after); None: the workload is absent on that side
    rpo: tuple[Duration | None, Duration | None]


@dataclass
class TargetChange:
    objective: str  # rto, rpo, strategy
    target: Any
    before: str | None  # met, missed; None when not declared on that side
    after: str | None


@dataclass
class WorkloadChange:
    id: str
    status: str
    strategy: tuple[str | None, str | None] = (None, None)
    spofs_added: list[SpofKey] = field(default_factory=list)
    spofs_removed: list[SpofKey] = field(default_factory=list)
    scenarios: list[ScenarioChange] = field(default_factory=list)
    targets: list[TargetChange] = field(default_factory=list)
    reason: str = ""  # why it is unavailable
    head: WorkloadModel | None = None
    changed_components: set[str] = field(default_factory=set)  # head addresses whose place or verdicts changed
    component_changes: list[tuple[str, str, str]] = field(default_factory=list)  # (what, before, after)

    @property
    def regressions(self) -> list[str]:
        """What makes this change a regression (``--fail-on-regression``)."""
        if self.status not in (CHANGED, ADDED):  # a removed or unavailable workload is never a regression
            return []
        out = [f"new single point of failure {s.component} ({s.rule or 'no rule'}) on the {s.scenario}"
               for s in self.spofs_added]
        for s in self.scenarios:
            for name, (before, after) in (("RTO", s.rto), ("RPO", s.rpo)):
                if before is not None and after is not None and after[1] > before[1]:
                    out.append(f"{s.label}: {name} {shown(before)} -> {shown(after)}")
        before, after = self.strategy
        if before in STRATEGIES and after in STRATEGIES and STRATEGIES.index(after) < STRATEGIES.index(before):
            out.append(f"DR strategy {before} -> {after}")
        for t in self.targets:
            if t.before == "met" and t.after == "missed":
                out.append(f"{t.objective.upper() if t.objective != 'strategy' else 'DR strategy'} target "
                           f"{t.target} no longer met")
        return out


def shown(duration: Duration | None) -> str:
    from ha_lint.resilience.render import span

    return "n/a" if duration is None else span(*duration)


# -- matching ----------------------------------------------------------------------------------

def moved_addresses(model: WorkloadModel) -> dict[str, str]:
    """The head's Terraform ``moved`` blocks of a root module: base address -> head address."""
    if model.workload.source != "terraform" or not os.path.isdir(model.workload.id):
        return {}
    from ha_lint.loaders.terraform import parse

    out: dict[str, str] = {}
    for name in sorted(os.listdir(model.workload.id)):
        path = os.path.join(model.workload.id, name)
        if not name.endswith(".tf") or not os.path.isfile(path):  # (a .tf.json file's moved blocks: not read)
            continue
        try:
            with open(path, encoding="utf-8", errors="replace") as handle:
                parsed = parse(handle.read())
        except Exception:  # noqa: BLE001  the scan of this file has said why it does not load
            continue
        blocks = parsed.get("moved") if isinstance(parsed, dict) else None
        for block in blocks if isinstance(blocks, list) else ():
            if isinstance(block, dict):
                source, target = (_address(block.get(k)) for k in ("from", "to"))
                if source and target:
                    out[source] = target
    return out


def _address(value: Any) -> str | None:
    """A moved block's ``from``/``to``: an address as written (``hclexpr.Source``)."""
    return hclexpr.expression_text(value) or (value.strip() if isinstance(value, str) else None) or None


def _renamed(address: str, moved: dict[str, str]) -> str:
    """An address of the base as the head names it (a moved module moves what is inside it)."""
    for source, target in moved.items():
        if address == source:
            return target
        if address.startswith(source + "."):
            return target + address[len(source):]
    return address


def _spofs(model: WorkloadModel, moved: dict[str, str]) -> set[SpofKey]:
    return {SpofKey(_renamed(s.component.address, moved), s.rule, s.scenario) for s in model.spofs}


def _scenarios(model: WorkloadModel) -> dict[str, tuple[Duration, Duration]]:
    return {s.label: (s.rto, (s.rpo, s.rpo)) for s in model.scenarios}


def _verdicts(model: WorkloadModel, moved: dict[str, str]) -> dict[str, tuple]:
    """Per component (by head address): its AZs and its verdict in each scenario."""
    return {_renamed(c.address, moved): (tuple(sorted(map(str, c.zones))),
                                         tuple(sorted((s.label, s.outcomes[c.uid].verdict) for s in model.scenarios)))
            for c in model.components}


def _targets(before: WorkloadModel | None, after: WorkloadModel | None) -> list[TargetChange]:
    out = []
    for objective in ("rto", "rpo", "strategy"):
        values = [getattr(m.targets, objective) if m else None for m in (before, after)]
        if values == [None, None]:
            continue
        states = [None if m is None or v is None else
                  "missed" if any(x.objective == objective for x in m.misses) else "met"
                  for m, v in zip((before, after), values)]
        out.append(TargetChange(objective, values[1] if values[1] is not None else values[0], *states))
    return out


def diff(base: WorkloadModel | None, head: WorkloadModel | None) -> WorkloadChange:
    """One workload's change (at least one of the two is given)."""
    wid = (head or base).workload.id  # type: ignore[union-attr]
    if head is None:
        assert base is not None
        return WorkloadChange(wid, REMOVED, (base.posture.strategy, None),
                              spofs_removed=sorted(_spofs(base, {}), key=_order),
                              scenarios=[ScenarioChange(label, (rto, None), (rpo, None))
                                         for label, (rto, rpo) in _scenarios(base).items()],
                              targets=_targets(base, None))
    moved = moved_addresses(head)
    if base is None:
        return WorkloadChange(wid, ADDED, (None, head.posture.strategy),
                              spofs_added=sorted(_spofs(head, {}), key=_order),
                              scenarios=[ScenarioChange(label, (None, rto), (None, rpo))
                                         for label, (rto, rpo) in _scenarios(head).items()],
                              targets=_targets(None, head), head=head,
                              changed_components={c.address for c in head.components})
    old, new = _spofs(base, moved), _spofs(head, moved)
    before, after = _scenarios(base), _scenarios(head)
    zero: tuple[Duration, Duration] = ((0.0, 0.0), (0.0, 0.0))  # a scenario the side does not have: not affected
    scenarios = [ScenarioChange(label, (before.get(label, zero)[0], after.get(label, zero)[0]),
                                (before.get(label, zero)[1], after.get(label, zero)[1]))
                 for label in list(after) + [x for x in before if x not in after]]
    old_verdicts, new_verdicts = _verdicts(base, moved), _verdicts(head, {})
    change = WorkloadChange(wid, UNCHANGED, (base.posture.strategy, head.posture.strategy),
                            sorted(new - old, key=_order), sorted(old - new, key=_order), scenarios,
                            _targets(base, head), head=head,
                            changed_components={a for a, v in new_verdicts.items() if old_verdicts.get(a) != v})
    change.component_changes = _component_changes(old_verdicts, new_verdicts)
    changed = (change.spofs_added or change.spofs_removed or change.strategy[0] != change.strategy[1]
               or any(s.rto[0] != s.rto[1] or s.rpo[0] != s.rpo[1] for s in scenarios)
               or any(t.before != t.after for t in change.targets) or change.changed_components
               or set(old_verdicts) != set(new_verdicts))
    return replace(change, status=CHANGED) if changed else change


def _component_changes(old: dict[str, tuple], new: dict[str, tuple]) -> list[tuple[str, str, str]]:
    """Components added or removed, and those whose AZs or verdicts changed."""
    out = [(f"component {a}", "-", "new") for a in new if a not in old]
    out += [(f"component {a}", "yes", "gone") for a in old if a not in new]
    for address in (a for a in new if a in old and new[a] != old[a]):
        (old_zones, old_verdicts), (new_zones, new_verdicts) = old[address], new[address]
        if old_zones != new_zones:
            out.append((f"{address}: AZs", ", ".join(old_zones) or "-", ", ".join(new_zones) or "-"))
        before = dict(old_verdicts)
        out += [(f"{address}, {label}", before.get(label, "-"), verdict)
                for label, verdict in new_verdicts if before.get(label) != verdict]
    return out


def _order(key: SpofKey) -> tuple[str, str, str]:
    return (key.component, key.scenario, key.rule)


# -- the command -------------------------------------------------------------------------------


@dataclass
class Comparison:
    base: str  # the merge base's commit id
    workloads: list[WorkloadChange]
    warnings: list[str]  # what of the base could not be read

    @property
    def regressions(self) -> list[str]:
        return [f"{w.id}: {r}" for w in self.workloads for r in w.regressions]


def run(args: argparse.Namespace, settings, rules, assumptions) -> Comparison:
    """The comparison of the base with the head (the command writes it: ``compare_render``)."""
    from ha_lint.resilience import basetree
    from ha_lint.loadoptions import UsageError
    from ha_lint.scope import ScopeError

    if args.format not in COMPARE_FORMATS:
        raise UsageError(f"--compare writes {', '.join(COMPARE_FORMATS)} (not {args.format})")
    if args.base_path and not os.path.isdir(args.base_path):
        raise UsageError(f"--base-path {args.base_path}: not a directory")
    commit, top = basetree.merge_base(args.compare, list(args.paths))
    for path in args.paths:
        if not _inside(top, path):
            raise UsageError(f"--compare: {path} is not inside the repository {top}")
    head_result, head_models = analyse_scan(settings, rules, assumptions)
    for error in head_result.errors:
        print(printable(f"ha-lint: {error.file}{':' + str(error.line) if error.line else ''}: {error.message}"),
              file=sys.stderr)
    try:
        tree = basetree.write_tree(commit, top)
    except (ScopeError, OSError) as exc:
        return Comparison(commit, [], [f"the base {commit[:12]} cannot be read: {exc}"])
    try:
        if args.base_path:
            basetree.overlay(tree, args.base_path)
        base_models, base_errors = _scan_base(tree, settings, rules, assumptions)
        return compare(commit, top, tree, base_models, base_errors, head_models)
    finally:
        tree.cleanup()


def _scan_base(tree, settings, rules, assumptions) -> tuple[list[WorkloadModel], list[tuple[str, str]]]:
    """The resilience models of the base (workload IDs as the head's), and its load errors as
    (head path, message). The scan runs from the base's copy of the current directory, so
    relative paths read the same; paths outside the repository are used as given."""
    cwd = os.getcwd()
    inside = _inside(tree.top, cwd)
    base_settings = replace(settings, paths=[p if inside and not os.path.isabs(p) else _same_form(p, tree.to_base(p))
                                             for p in settings.paths],
                            var_files=[f if inside and not os.path.isabs(f) else tree.to_base(f)
                                       for f in settings.var_files],
                            parameter_files=[f if inside and not os.path.isabs(f) else tree.to_base(f)
                                             for f in settings.parameter_files],
                            # the repository's root, as git gives the head's (the temporary directory is no repository)
                            root=tree.directory if settings.root is None else tree.to_base(str(settings.root)),
                            cache_dir=None)  # the base's files live in a temporary directory: nothing to keep
    if base_settings.root is not None:
        from pathlib import Path

        base_settings.root = Path(base_settings.root)
    try:
        if inside:
            target = tree.to_base(cwd)
            os.makedirs(target, exist_ok=True)
            os.chdir(target)
        result, models = analyse_scan(base_settings, rules, assumptions)
    finally:
        os.chdir(cwd)
    for m in models:
        m.workload = replace(m.workload, id=_head_path(tree, m.workload.id))
    errors = [(_head_path(tree, e.file), e.message) for e in result.errors]
    return models, errors


def _same_form(given: str, path: str) -> str:
    """``path`` relative (to the current directory) when ``given`` is, so workload IDs read alike."""
    return path if os.path.isabs(given) else os.path.relpath(path)


def _inside(top: str, path: str) -> bool:
    rel = os.path.relpath(os.path.realpath(path), top)
    return rel != ".." and not rel.startswith(".." + os.sep)


def _head_path(tree, text: str) -> str:
    """A path of the base tree as the head shows the same file (any other text unchanged)."""
    if not isinstance(text, str) or not text:
        return text
    if os.path.isabs(text):  # a path given absolute stays absolute, as the head's does
        return tree.top + text[len(tree.directory):] if text.startswith(tree.directory + os.sep) else \
            text.replace(tree.directory + os.sep, tree.top + os.sep)
    full = os.path.abspath(text)  # shown relative when the temporary directory is below the current one
    if full.startswith(tree.directory + os.sep):
        from ha_lint.scope import shown_path

        return shown_path(tree.top + full[len(tree.directory):])
    return text.replace(tree.directory + os.sep, tree.top + os.sep)


def compare(commit: str, top: str, tree, base_models: list[WorkloadModel], base_errors: list[tuple[str, str]],
            head_models: list[WorkloadModel]) -> Comparison:
    from ha_lint.resilience import basetree

    # Matched as real paths: the same file may be spelled two ways (relative to another directory).
    base_by_id = {os.path.realpath(m.workload.id): m for m in base_models}
    head_ids = {os.path.realpath(m.workload.id) for m in head_models}
    broken = {os.path.realpath(f): msg for f, msg in base_errors if f}
    files_of = {m.workload.id: sorted({m.workload.entry_file} | {c.res.file for c in m.components if c.res.file})
                for m in head_models}
    ignored = basetree.ignored(top, [f for files in files_of.values() for f in files])
    changes = []
    for m in head_models:
        missing = [f for f in files_of[m.workload.id]
                   if f in ignored and not os.path.exists(os.path.join(tree.directory, os.path.relpath(os.path.realpath(f), top)))]
        failed = [f"{f}: {broken[os.path.realpath(f)]}" for f in files_of[m.workload.id] if os.path.realpath(f) in broken]
        key = os.path.realpath(m.workload.id)
        if key not in base_by_id and (missing or failed):
            reason = (f"the base does not load: {failed[0]}" if failed else
                      f"{missing[0]} is ignored by git and not in the base (give it with --base-path)")
            changes.append(WorkloadChange(m.workload.id, UNAVAILABLE, (None, m.posture.strategy), reason=reason, head=m))
        elif missing and key in base_by_id:  # read partly from files the base lacks
            changes.append(WorkloadChange(m.workload.id, UNAVAILABLE, (None, m.posture.strategy), head=m,
                                          reason=f"{missing[0]} is ignored by git and not in the base "
                                                 "(give it with --base-path)"))
        else:
            changes.append(diff(base_by_id.get(key), m))
    for m in base_models:
        if os.path.realpath(m.workload.id) not in head_ids:
            changes.append(diff(m, None))
    warnings = [f"base {commit[:12]}: {f}: {msg}" for f, msg in base_errors] + \
               [f"base {commit[:12]}: {s}" for s in tree.skipped]
    return Comparison(commit, changes, warnings)
