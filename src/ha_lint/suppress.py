"""Suppressions: findings a team has decided to accept, each with a reason.

Three forms, all naming rules by ID or name:

- a comment, the same in YAML and HCL, on the resource's line, on the finding's line, or on
  the line above either (``# ha-lint: ignore[HA101] dev database, re-created nightly``);
- CloudFormation ``Metadata`` (JSON templates and CDK output have no comments), on a
  resource or, for the whole template, at the top level:
  ``Metadata: {ha-lint: {ignore: [{rule: HA101, reason: ...}]}}``;
- ``per-path-ignores`` in the configuration file.

A finding on a Terraform module's resource that is reported at the module call (the input
line in the caller; ``ha_lint.callsite``) is suppressed by a comment there, like any other
finding, and also by one where the resource is written (in a local module: for every root
that calls it); a ``per-path-ignores`` entry matching either file suppresses it.

Suppressions must not rot: one without a reason (HL001), one naming no rule or not written
as a suppression at all (HL002), and one that matches no finding of a rule that ran (HL003)
are findings themselves. A suppression without a reason still suppresses; a typo never
silently suppresses nothing.
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass, field
from typing import Any, Iterable

from ha_lint.config import Config, PathIgnore
from ha_lint.engine import Rule
from ha_lint.model import Finding

COMMENT = "comment"
METADATA = "metadata"
CONFIG = "config"

# A comment opener (YAML/HCL ``#``, HCL ``//`` and ``/*``) at the start of a line or after a
# space, then ``ha-lint:``. Anything after that must be a well-formed directive.
_COMMENT = re.compile(r"(?:^|\s)(?:#|//|/\*)\s*ha-lint\s*:(?P<body>.*)$")
_DIRECTIVE = re.compile(r"\s*ignore\s*\[(?P<rules>[^\]]*)\](?P<reason>.*)$")
_REASON_LEAD = " \t:;-\u2013\u2014"
_NO_COMMENTS = (".json",)  # JSON has none: its templates use the Metadata form


class SuppressionWithoutReason(Rule):
    id = "HL001"
    name = "suppression-without-reason"
    severity = "low"
    since = "0.1.0"
    summary = "A suppression that does not say why the finding is accepted."
    tags = ("suppression",)
    docs = """
    ## What it does
    Flags a suppression (a `# ha-lint: ignore[...]` comment, a `Metadata` ignore entry)
    with no reason. The suppression still applies; this finding asks for the reason.
    (`per-path-ignores` in the configuration file must have a reason, or the run stops.)

    ## Why it matters
    An accepted risk with no reason cannot be reviewed: in a year nobody knows whether the
    single-AZ database was a dev shortcut or a decision, and the gap in the recovery posture
    stays for good. A reason makes the trade-off explicit for the next reviewer.

    ## Example
    ```yaml
    Database:  # ha-lint: ignore[HA101]
      Type: AWS::RDS::DBInstance
    ```
    ```hcl
    # ha-lint: ignore[HA101]
    resource "aws_db_instance" "main" {
    ```

    ## Use instead
    ```yaml
    Database:  # ha-lint: ignore[HA101] dev database, re-created nightly from seed data
      Type: AWS::RDS::DBInstance
    ```
    ```hcl
    # ha-lint: ignore[HA101] dev database, re-created nightly from seed data
    resource "aws_db_instance" "main" {
    ```

    ## References
    - Like ruff's requirement of explanations for `noqa` (flake8-noqa NQA, RUF100-RUF102)
    """


class SuppressionUnknownRule(Rule):
    id = "HL002"
    name = "suppression-unknown-rule"
    severity = "low"
    since = "0.1.0"
    summary = "A suppression naming a rule that does not exist, or a `ha-lint:` comment that is not a suppression."
    tags = ("suppression",)
    docs = """
    ## What it does
    Flags a suppression that names no known rule (a typo such as `HA1O1`, a retired rule, a
    prefix such as `HA`), and a `# ha-lint:` comment or `Metadata` entry that is not written
    as a suppression at all. Such a suppression suppresses nothing.

    ## Why it matters
    The author believes a finding is handled when it is not, or that a rule is silenced on
    purpose when the real rule keeps firing and gets ignored as noise.

    ## Example
    ```yaml
    Database:  # ha-lint: ignore[HA1O1] dev database
    ```
    ```hcl
    # ha-lint: ignroe[HA101] dev database
    resource "aws_db_instance" "main" {
    ```

    ## Use instead
    ```yaml
    Database:  # ha-lint: ignore[HA101] dev database
    ```
    ```hcl
    # ha-lint: ignore[rds-instance-single-az] dev database
    resource "aws_db_instance" "main" {
    ```

    ## References
    - Like ruff's RUF102 (invalid rule code in `noqa`)
    """


class SuppressionUnused(Rule):
    id = "HL003"
    name = "suppression-unused"
    severity = "low"
    since = "0.1.0"
    summary = "A suppression that matches no finding: the problem is gone or the suppression is misplaced."
    tags = ("suppression",)
    docs = """
    ## What it does
    Flags a suppression of a rule that ran but produced no finding for it to suppress: on
    the comment's line and the line below, on the resource of a `Metadata` entry, or under
    the paths of a `per-path-ignores` entry (checked when the whole project is scanned).
    Suppressions of rules that were not run (`--select`, `--ignore`) are not judged.

    ## Why it matters
    A stale suppression silences the next, real regression of the same rule on that
    resource. A misplaced one (on the wrong line) suppresses nothing while looking as if it
    did.

    ## Example
    ```yaml
    Database:  # ha-lint: ignore[HA101] dev database
      Type: AWS::RDS::DBInstance
      Properties:
        MultiAZ: true
    ```
    ```hcl
    # ha-lint: ignore[HA101] dev database
    resource "aws_db_instance" "main" {
      multi_az = true
    }
    ```

    ## Use instead
    ```yaml
    Database:
      Type: AWS::RDS::DBInstance
      Properties:
        MultiAZ: true
    ```
    ```hcl
    resource "aws_db_instance" "main" {
      multi_az = true
    }
    ```

    ## References
    - Like ruff's RUF100 (unused `noqa` directive)
    """


META_RULES: tuple[type[Rule], ...] = (SuppressionWithoutReason, SuppressionUnknownRule, SuppressionUnused)


@dataclass
class Suppression:
    """One rule (or, in the config file, one selector such as ``HA``) named by one suppression."""

    kind: str  # COMMENT, METADATA or CONFIG
    file: str  # where it is written (the configuration file for CONFIG)
    line: int
    written: str  # the rule as written
    rule_ids: frozenset[str]  # empty: names no rule
    reason: str
    target: int | None = None  # COMMENT: the line it covers besides its own
    resource: str | None = None  # METADATA: the resource (None: the whole template)
    entry: PathIgnore | None = None  # CONFIG
    used: bool = False

    def covers(self, finding: Finding, resource_line: int | None, relative: str | None) -> bool:
        if self.kind == CONFIG:
            return relative is not None and self.entry is not None and self.entry.matches(relative)
        if finding.file != self.file:
            return False
        if self.kind == METADATA:
            return self.resource is None or self.resource == finding.resource
        lines = {self.line, self.target}
        return finding.line in lines or (resource_line is not None and resource_line in lines)


@dataclass(frozen=True)
class Suppressed:
    """A finding that a suppression accepted, and why (shown with ``--show-suppressed``)."""

    finding: Finding
    kind: str
    reason: str
    where: str  # "file:line" of the suppression


@dataclass
class Outcome:
    kept: list[Finding] = field(default_factory=list)
    suppressed: list[Suppressed] = field(default_factory=list)
    problems: list[Finding] = field(default_factory=list)  # HL001-HL003


class RuleNames:
    """Rule ID or name (any case) -> rule ID, over every rule that exists."""

    def __init__(self, rules: Iterable[type[Rule]]) -> None:
        self.rules = list(rules)
        self._ids: dict[str, str] = {}
        for rule in self.rules:
            self._ids[rule.id.lower()] = rule.id
            self._ids[rule.name.lower()] = rule.id

    def resolve(self, key: str) -> str | None:
        return self._ids.get(key.strip().lower())

    def expand(self, selector: str) -> frozenset[str]:
        """IDs of the rules a selector (ID, prefix or name) stands for."""
        from ha_lint.engine import matches

        return frozenset(rule.id for rule in self.rules if matches(rule, [selector]))

    def hint(self, key: str) -> str:
        key = key.strip().lower()
        # An ID with a letter for a digit (HA1O1, HA1l1) first, then whatever is closest.
        confusable = key[:2] + key[2:].translate(str.maketrans("oil", "011"))
        if confusable in self._ids:
            return f" (did you mean {self._ids[confusable]}?)"
        close = difflib.get_close_matches(key, list(self._ids), n=1, cutoff=0.6)
        return f" (did you mean {self._ids[close[0]]}?)" if close else ""


class _ResourceAt:
    """The resource a line of a file belongs to: the last one that starts at or above it."""

    def __init__(self, resources: Iterable[Any]) -> None:
        starts: dict[str, dict[int, str]] = {}
        for res in resources:  # instances (aws_subnet.a[0], [1]) share their block's line
            address = res.address.split("[", 1)[0] if res.address.endswith("]") else res.address
            starts.setdefault(res.file, {}).setdefault(res.line, address)
        self._starts = {file: sorted(lines.items()) for file, lines in starts.items()}

    def __call__(self, file: str, line: int) -> str:
        found = ""
        for start, address in self._starts.get(file, ()):
            if start > line:
                break
            found = address
        return found


# -- reading suppressions ---------------------------------------------------------------


@dataclass(frozen=True)
class _Comment:
    line: int
    body: str  # after "ha-lint:"
    target: int | None  # the line it covers besides its own


def comments_in(text: str) -> list[_Comment]:
    """Every ``ha-lint:`` comment of a YAML or HCL file, with the line it covers."""
    if "ha-lint" not in text:
        return []
    lines = text.split("\n")
    found: list[_Comment] = []
    for index, line in enumerate(lines):
        if "ha-lint" not in line:
            continue
        match = _COMMENT.search(line)
        if not match:
            continue
        target = None
        if not line[: match.start()].strip():  # on a line of its own: covers the next line that is not a comment
            below = index + 1
            while below < len(lines) and _is_comment_line(lines[below]):
                below += 1
            target = below + 1 if below < len(lines) else None
        body = match.group("body").strip()
        found.append(_Comment(index + 1, body.removesuffix("*/").strip(), target))
    return found


def _is_comment_line(line: str) -> bool:
    return line.lstrip().startswith(("#", "//", "/*"))


def _read(file: str) -> str:
    try:
        with open(file, "rb") as handle:
            return handle.read().decode("utf-8-sig", errors="replace").replace("\r\n", "\n")
    except OSError:
        return ""


class _Collector:
    def __init__(self, names: RuleNames, meta: dict[str, Rule], resource_at: _ResourceAt) -> None:
        self.names = names
        self.meta = meta
        self.resource_at = resource_at
        self.suppressions: list[Suppression] = []
        self.problems: list[Finding] = []

    def problem(self, rule_id: str, file: str, line: int, resource: str, message: str, detail: str) -> None:
        rule = self.meta.get(rule_id)
        if rule is not None:
            self.problems.append(Finding(rule.id, rule.name, rule.effective_severity, message, file, line,
                                         resource, "", detail))

    def add(self, kind: str, file: str, line: int, rules: list[str], reason: str, label: str,
            at: str, **scope: Any) -> None:
        """``at``: the resource the suppression sits on, for reports about it."""
        reason = reason.strip(_REASON_LEAD).strip()
        on = f" on {at}" if kind == METADATA and at else ""
        named = ", ".join(rules)
        if not reason:
            self.problem("HL001", file, line, at,
                         f"{label} of {named}{on} gives no reason: say why the finding is accepted, e.g. "
                         f"`# ha-lint: ignore[{rules[0]}] dev stack, re-created nightly`.", f"no-reason:{named}")
        for written in rules:
            rule_id = self.names.resolve(written)
            if rule_id is None:
                self.problem("HL002", file, line, at,
                             f"{label}{on} names {written!r}, which is no rule{self.names.hint(written)}: it suppresses "
                             "nothing. Name a rule by its ID or name (`ha-lint rules` lists them).",
                             f"unknown-rule:{written}")
            ids = frozenset([rule_id]) if rule_id else frozenset()
            self.suppressions.append(Suppression(kind, file, line, written, ids, reason, **scope))

    def malformed(self, file: str, line: int, resource: str, written: str, how: str) -> None:
        self.problem("HL002", file, line, resource,
                     f"{written} is not a valid suppression and suppresses nothing: {how}.",
                     f"malformed:{written}")

    def read_comments(self, file: str) -> None:
        for comment in comments_in(_read(file)):
            resource = self.resource_at(file, comment.target or comment.line)
            match = _DIRECTIVE.match(comment.body)
            rules = [r for r in re.split(r"[\s,]+", match.group("rules")) if r] if match else []
            if not rules:
                self.malformed(file, comment.line, resource, f"`ha-lint: {comment.body}`",
                               "write `# ha-lint: ignore[RULE] reason` (RULE: an ID or name, several comma-separated)")
                continue
            self.add(COMMENT, file, comment.line, rules, match.group("reason"), "Suppression", resource,
                     target=comment.target)

    def read_metadata(self, file: str, line: int, metadata: Any, resource: str | None) -> None:
        if not isinstance(metadata, dict) or "ha-lint" not in metadata:
            return
        shown = resource or ""
        label = "Metadata ignore" if resource else "Template Metadata ignore"
        block = metadata["ha-lint"]
        if isinstance(block, dict) and "ignore" not in block:
            return  # other ha-lint settings (dr-strategy, targets), not suppressions
        entries = block.get("ignore") if isinstance(block, dict) else None
        if not isinstance(entries, list):
            self.malformed(file, line, shown, "`Metadata: ha-lint`",
                           "write `ha-lint: {ignore: [{rule: HA101, reason: ...}]}`")
            return
        for entry in entries:
            if isinstance(entry, str):
                self.add(METADATA, file, line, [entry], "", label, shown, resource=resource)
            elif isinstance(entry, dict) and isinstance(entry.get("rule"), str) and set(entry) <= {"rule", "reason"}:
                reason = entry.get("reason") if isinstance(entry.get("reason"), str) else ""
                self.add(METADATA, file, line, [entry["rule"]], reason, label, shown, resource=resource)
            else:
                self.malformed(file, line, shown, f"`Metadata: ha-lint: ignore: {entry!r}`",
                               "each entry is `{rule: ID or name, reason: why}`")

    def read_config(self, config: Config, shown: str) -> None:
        for entry in config.per_path_ignores:
            for written in entry.rules:  # checked when the file was loaded: each names a rule or a prefix
                self.suppressions.append(Suppression(CONFIG, shown, entry.line, written, self.names.expand(written),
                                                     entry.reason, entry=entry))


# -- applying them ----------------------------------------------------------------------


def apply(findings: list[Finding], arch: Any, names: RuleNames, meta: dict[str, Rule], ran: set[str],
          files: Iterable[str], config: Config | None = None, judge_config: bool = True,
          config_shown: str | None = None) -> Outcome:
    """Split ``findings`` into kept and suppressed, and report suppressions that rot.

    ``arch`` is the scan's ``Architecture`` (resources carry their line and Metadata);
    ``meta`` the HL rules that are on, by ID; ``ran`` the IDs of the rules that ran (only
    their suppressions can be judged unused); ``files`` the files reported on, whose
    comments are read; ``judge_config``: whether the scan covered the whole project, so an
    unused per-path ignore is really unused.
    """
    resources = list(arch.resources) if arch is not None else []
    workloads = list(arch.workloads.values()) if arch is not None else []
    resource_line = {(r.file, r.address): r.line for r in resources}
    resource_at = _ResourceAt(resources)
    collector = _Collector(names, meta, resource_at)

    scanned = sorted(set(files))
    for file in scanned:
        if not file.lower().endswith(_NO_COMMENTS):
            collector.read_comments(file)
    for res in resources:
        if res.source == "cloudformation":
            collector.read_metadata(res.file, res.line, res.meta.metadata, res.address)
    for workload in workloads:
        if workload.source == "cloudformation":
            collector.read_metadata(workload.entry_file, 1, workload.metadata, None)
    if config is not None and config.per_path_ignores:
        collector.read_config(config, config_shown or str(config.path))

    outcome = Outcome(problems=collector.problems)
    by_rule: dict[str, list[Suppression]] = {}
    for sup in collector.suppressions:
        for rule_id in sup.rule_ids:
            by_rule.setdefault(rule_id, []).append(sup)
    relative: dict[str, str | None] = {}
    for finding in findings:
        candidates = by_rule.get(finding.rule_id, ())
        matched: list[Suppression] = []
        for place in _places(finding):
            if config is not None and place.file not in relative:
                relative[place.file] = config.relative(place.file)
            line = resource_line.get((place.file, place.resource))
            matched += [s for s in candidates if s not in matched and s.covers(place, line, relative.get(place.file))]
        if not matched:
            outcome.kept.append(finding)
            continue
        for sup in matched:
            sup.used = True
        first = matched[0]
        outcome.suppressed.append(Suppressed(finding, first.kind, first.reason, f"{first.file}:{first.line}"))

    unused = meta.get("HL003")
    if unused is not None:
        for sup in collector.suppressions:
            if not sup.used and _judged(sup, ran, judge_config, config, scanned):
                outcome.problems.append(_unused_finding(unused, sup, resource_at))
    return outcome


def _places(finding: Finding) -> list[Finding]:
    """Where a suppression of ``finding`` may be written: where it is reported, and, for one
    reported at a module call, where its resource is written (its first related location)."""
    if not finding.defined_in or not finding.related:
        return [finding]
    written = finding.related[0]
    return [finding, Finding(finding.rule_id, finding.rule_name, finding.severity, finding.message,
                             finding.defined_in, written.line, finding.resource, finding.resource_type, finding.detail)]


def _unused_finding(rule: Rule, sup: Suppression, resource_at: _ResourceAt) -> Finding:
    if sup.kind == CONFIG:
        what, where, resource = "per-path-ignores entry", f"under {', '.join(sup.entry.paths) if sup.entry else ''}", ""
    elif sup.kind == METADATA:
        what = "Metadata ignore" if sup.resource else "Template Metadata ignore"
        where = f"on {sup.resource}" if sup.resource else "in this template"
        resource = sup.resource or ""
    else:
        what, where = "Suppression", "on this line or the line it covers"
        resource = resource_at(sup.file, sup.target or sup.line)
    advice = "Remove it, or move it to the resource's line or the line above." if sup.kind == COMMENT else "Remove it."
    return Finding(
        rule.id, rule.name, rule.effective_severity,
        f"{what} of {sup.written} matches no finding {where}: the problem is fixed, or the suppression is "
        f"in the wrong place. {advice}",
        sup.file, sup.line, resource, "", f"unused:{sup.written}",
    )


def _judged(sup: Suppression, ran: set[str], judge_config: bool, config: Config | None, scanned: list[str]) -> bool:
    """Whether this scan can tell that ``sup`` is unused: its rules ran over what it covers."""
    if not sup.rule_ids & ran:
        return False
    if sup.kind != CONFIG:
        return True
    if not judge_config or config is None or sup.entry is None:
        return False
    return any((rel := config.relative(f)) is not None and sup.entry.matches(rel) for f in scanned)
