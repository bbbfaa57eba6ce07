"""Rules: the base class, where rules are found, and running them over the graph.

Rules come from three places, all the same to the engine:
- the built-in pack, the package ``ha_lint.rules`` (top-level ``rules/`` in the repository);
- Python entry points in the group ``ha_lint.rules`` (a pip-installed package adds rules);
- ``--rules-dir DIR``: every ``*.py`` file in it.
A rule module defines one or more ``Rule`` subclasses with ``id`` set.
"""

from __future__ import annotations

import importlib
import importlib.util
import pkgutil
import re
import sys
import textwrap
from pathlib import Path
from types import ModuleType
from typing import Any, ClassVar, Iterable, Iterator

from ha_lint import ruledocs
from ha_lint.graph import Architecture
from ha_lint.model import SEVERITIES, Finding, Resource, Workload


class Rule:
    """A check over the architecture. Subclasses set the class attributes and ``check``."""

    id: ClassVar[str] = ""
    name: ClassVar[str] = ""  # kebab-case
    severity: ClassVar[str] = "medium"
    summary: ClassVar[str] = ""  # one line
    # Markdown with the sections: What it does / Why it matters / Example / Use instead /
    # References (Well-Architected, equivalent IDs in other tools).
    docs: ClassVar[str] = ""
    tags: ClassVar[tuple[str, ...]] = ()
    # The ha-lint version the rule first shipped in ("" for a rule pack that does not say).
    since: ClassVar[str] = ""
    # A preview rule runs only with --preview or ``preview: true`` in the configuration: a
    # new rule can ship, and be tried, before it fails anyone's build.
    preview: ClassVar[bool] = False
    # Rules whose finding on the same place (file, line, resource, detail) this rule's finding
    # states in full: when both are reported, only this one is (see ``merge_stated``).
    states: ClassVar[tuple[str, ...]] = ()

    def __init__(self, severity: str | None = None) -> None:
        self.effective_severity = severity or self.severity

    def check(self, arch: Architecture) -> Iterable[Finding]:
        raise NotImplementedError

    # -- building findings ---------------------------------------------------------------

    def finding(self, res: Resource, message: str, prop: str | None = None, detail: str | None = None,
                line: int | None = None, severity: str | None = None, branch: str | None = None) -> Finding:
        """A finding on ``res``, at the line of neutral property ``prop`` when it is written.
        ``detail`` (``prop`` by default) tells findings on one resource apart; ``branch``, the
        condition the finding holds under (a ``Choice`` label), is added to it so that each
        branch is a finding of its own.
        ``severity``: this finding's own, where the rule grades a case up or down (an internal
        load balancer, an edition that cannot be Multi-AZ); a severity the user configured for
        the rule wins over it."""
        if line is None:
            line = res.line_of(prop) if prop else res.line
        if not severity or self.effective_severity != self.severity:
            severity = self.effective_severity
        if detail is None:
            detail = prop or ""
        if branch:
            detail = f"{detail}:{branch}"
        return Finding(
            rule_id=self.id, rule_name=self.name, severity=severity,
            message=message, file=res.file, line=line, resource=res.address,
            resource_type=res.type, detail=detail,
            root=res.workload if res.meta.calls else "",  # a child module's resource: per root
        )

    def workload_finding(self, workload: Workload, message: str, line: int = 1, detail: str = "") -> Finding:
        return Finding(self.id, self.name, self.effective_severity, message, workload.entry_file, line,
                       "", "", detail)

    @classmethod
    def full_docs(cls) -> str:
        head = f"{cls.id} {cls.name} ({cls.severity})\n\n{cls.summary}\n"
        lifecycle = [f"Since {cls.since}."] if cls.since else []
        if cls.preview:
            lifecycle.append("Preview: runs only with --preview (or preview: true in the configuration file).")
        head += "\n" + " ".join(lifecycle) + "\n" if lifecycle else ""
        return head + ("\n" + textwrap.dedent(cls.docs).strip() + "\n" if cls.docs else "")


class RuleError(Exception):
    """A rule pack that cannot be loaded (bad --rules-dir file, broken plugin)."""


def _rules_in(module: ModuleType) -> list[type[Rule]]:
    found = []
    for value in vars(module).values():
        if isinstance(value, type) and issubclass(value, Rule) and value is not Rule and value.id:
            if value.__module__ == module.__name__:
                found.append(value)
    return found


def builtin_rules() -> list[type[Rule]]:
    import ha_lint.rules as pack

    found: list[type[Rule]] = []
    for info in sorted(pkgutil.iter_modules(pack.__path__), key=lambda i: i.name):
        if info.name.startswith("_"):
            continue
        found.extend(_rules_in(importlib.import_module(f"ha_lint.rules.{info.name}")))
    return found


def plugin_rules() -> list[type[Rule]]:
    from importlib.metadata import entry_points

    found: list[type[Rule]] = []
    for ep in entry_points(group="ha_lint.rules"):
        try:
            obj = ep.load()
        except Exception as exc:  # a broken plugin must not take the scan down
            raise RuleError(f"rule plugin {ep.name!r} ({ep.value}) failed to load: {exc}") from None
        if isinstance(obj, ModuleType):
            found.extend(_rules_in(obj))
        elif isinstance(obj, type) and issubclass(obj, Rule):
            found.append(obj)
        elif isinstance(obj, (list, tuple)):
            found.extend(o for o in obj if isinstance(o, type) and issubclass(o, Rule))
    return found


def directory_rules(directory: str) -> list[type[Rule]]:
    path = Path(directory)
    if not path.is_dir():
        raise RuleError(f"--rules-dir {directory}: not a directory")
    found: list[type[Rule]] = []
    for file in sorted(path.glob("*.py")):
        name = f"ha_lint_user_rules.{file.stem}"
        spec = importlib.util.spec_from_file_location(name, file)
        if spec is None or spec.loader is None:
            continue
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module
        try:
            spec.loader.exec_module(module)
        except Exception as exc:
            raise RuleError(f"{file}: rule file failed to load: {type(exc).__name__}: {exc}") from None
        found.extend(_rules_in(module))
    return found


def all_rules(rules_dirs: Iterable[str] = (), plugins: bool = True,
              reserved: Iterable[type[Rule]] = ()) -> list[type[Rule]]:
    """The built-in pack, the entry-point plugins and the ``--rules-dir`` rules. A rule from
    outside the pack is checked as it loads (``pack_problems``); ``reserved``: other rules
    of ha-lint's own (the suppression checks) whose IDs a plugin must not take either."""
    builtin = builtin_rules()
    outside = (plugin_rules() if plugins else []) + [r for d in rules_dirs for r in directory_rules(d)]
    own = {rule.id: rule for rule in [*builtin, *reserved]}
    own_names = {rule.name: rule for rule in own.values()}
    for rule in outside:
        problems = pack_problems(rule)
        clash = own.get(rule.id) or own_names.get(rule.name)
        if clash is not None and clash is not rule:
            problems.insert(0, f"clashes with ha-lint's own rule {clash.id} {clash.name}: choose another ID and name")
        if problems:
            raise RuleError(f"{origin(rule)}: rule {rule.id if isinstance(rule.id, str) else rule.__name__}: "
                            f"{'; '.join(problems)}")
    seen: dict[str, type[Rule]] = {}
    for rule in builtin + outside:
        if rule.id in seen and seen[rule.id] is not rule:  # two packs, or two files of one
            raise RuleError(f"two rules share the ID {rule.id}: {origin(seen[rule.id])} and {origin(rule)}")
        if rule.severity not in SEVERITIES:
            raise RuleError(f"{origin(rule)}: rule {rule.id}: severity {rule.severity!r} is not one of "
                            f"{', '.join(SEVERITIES)}")
        seen[rule.id] = rule
    return sorted(seen.values(), key=lambda r: r.id)


def pack_problems(rule: type[Rule]) -> list[str]:
    """What keeps a rule from a rule pack from loading: the same shape as a built-in rule's
    (ID, kebab-case name, one-line summary, the docs sections ``explain`` and the rule pages
    show, lifecycle fields of the right type)."""
    problems = []
    if not isinstance(rule.id, str) or not ruledocs.ID_PATTERN.fullmatch(rule.id):
        problems.append(f"ID {rule.id!r} is not two or three capital letters and three digits (ACM101)")
    if not isinstance(rule.name, str) or not re.fullmatch(r"[a-z0-9]+(-[a-z0-9]+)+", rule.name):
        problems.append(f"name {rule.name!r} is not kebab-case words (rds-instance-single-az)")
    if not isinstance(rule.summary, str) or not rule.summary.strip() or "\n" in rule.summary.strip():
        problems.append("summary must be one line")
    missing = ruledocs.missing_sections(rule)
    if not isinstance(rule.docs, str):
        problems.append(f"docs must be markdown text, got {type(rule.docs).__name__}")
    elif missing:
        problems.append("docs lack the section" + ("s " if len(missing) > 1 else " ")
                        + ", ".join(f"'## {title}'" for title in missing))
    if not isinstance(rule.since, str):
        problems.append(f"since must be a version string, got {rule.since!r}")
    if not isinstance(rule.preview, bool):
        problems.append(f"preview must be true or false, got {rule.preview!r}")
    return problems


def origin(rule: type[Rule]) -> str:
    """Where a rule was loaded from: its file, else its module."""
    module = sys.modules.get(rule.__module__)
    return getattr(module, "__file__", None) or rule.__module__


def find_rule(rules: Iterable[type[Rule]], key: str) -> type[Rule] | None:
    key = key.strip()
    for rule in rules:
        if rule.id.lower() == key.lower() or rule.name == key.lower():
            return rule
    return None


def matches(rule: type[Rule], selectors: Iterable[str]) -> bool:
    """ID, ID prefix (``HA``, ``HA1``) or name."""
    for sel in selectors:
        sel = sel.strip()
        if not sel:
            continue
        if rule.name == sel.lower() or rule.id.upper().startswith(sel.upper()) or sel.upper() == "ALL":
            return True
    return False


def unknown_selectors(rules: Iterable[type[Rule]], selectors: Iterable[str]) -> list[str]:
    rules = list(rules)
    return [s for s in selectors if s.strip() and not any(matches(r, [s]) for r in rules)]


def select(rules: list[type[Rule]], select: list[str] | None, ignore: list[str] | None) -> list[type[Rule]]:
    chosen = [r for r in rules if not select or matches(r, select)]
    return [r for r in chosen if not ignore or not matches(r, ignore)]


def merge_stated(findings: list[Finding], rules: Iterable[Rule]) -> list[Finding]:
    """``findings`` without those another reported finding states in full (a rule's ``states``).

    Applied to what is left after selection and suppression: a finding that states another
    one only absorbs it when it is itself reported, so with the stating rule ignored or
    suppressed the other finding reports as before.
    """
    stated_by = {rule.id: set(rule.states) for rule in rules if rule.states}
    if not stated_by:
        return findings
    stated = {(rule_id, f.file, f.line, f.resource, f.detail, f.root)
              for f in findings for rule_id in stated_by.get(f.rule_id, ())}
    return [f for f in findings if (f.rule_id, f.file, f.line, f.resource, f.detail, f.root) not in stated]


def run(rules: Iterable[Rule], arch: Architecture) -> Iterator[tuple[Rule, Finding | Exception]]:
    """Each rule's findings; a rule that crashes yields its exception instead of stopping the scan."""
    for rule in rules:
        try:
            for finding in rule.check(arch):
                yield rule, finding
        except Exception as exc:  # one broken rule must not cost the user every other finding
            yield rule, exc


__all__ = ["Rule", "RuleError", "Architecture", "Finding", "Resource", "Any"]
