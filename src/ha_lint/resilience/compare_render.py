"""A resilience comparison (``compare.Comparison``) as text, JSON and Markdown.

JSON (schema 1)::

    {"schema": 1, "base": "<merge base sha>", "regression": bool, "warnings": ["..."],
     "workloads": [{"id", "status": "added|removed|changed|unchanged|unavailable",
                    "reason": "..." (unavailable only),
                    "strategy": {"before", "after"},
                    "spofs": {"added": [{"component", "rule", "scenario"}], "removed": [...]},
                    "scenarios": [{"label", "rto_minutes": {"before", "after"},
                                   "rpo_minutes": {"before", "after"}}],
                    "targets": {"rto": {"target", "before": "met|missed", "after"}, "rpo": ..., "strategy": ...}}]}

A duration is ``[low, high]`` minutes, or null when unbounded (data that cannot be recovered,
a component that does not come back); a side where the workload does not exist is null too
(its ``status`` says so). "Worse" means the high end rises. ``regression`` and ``warnings``
(what of the base could not be read) extend the issue's contract; ``targets`` lists only the
objectives declared on a side."""

from __future__ import annotations

import json
from typing import Any

from ha_lint.durations import INFINITE
from ha_lint.escape import markdown_text, printable
from ha_lint.resilience.compare import ADDED, CHANGED, REMOVED, UNAVAILABLE, UNCHANGED, Comparison, WorkloadChange, shown

SCHEMA = 1


def render(comparison: Comparison, fmt: str) -> str:
    if fmt == "json":
        return json.dumps(as_data(comparison), indent=2) + "\n"
    if fmt == "markdown":
        return markdown(comparison)
    return text(comparison)


# -- JSON --------------------------------------------------------------------------------------


def _duration(value: tuple[float, float] | None) -> list[float] | None:
    if value is None or value[1] == INFINITE:
        return None
    return [round(value[0], 2), round(value[1], 2)]


def as_data(comparison: Comparison) -> dict[str, Any]:
    workloads = []
    for w in comparison.workloads:
        entry: dict[str, Any] = {"id": w.id, "status": w.status}
        if w.status == UNAVAILABLE:
            entry["reason"] = w.reason
        entry["strategy"] = {"before": w.strategy[0], "after": w.strategy[1]}
        entry["spofs"] = {which: [{"component": s.component, "rule": s.rule, "scenario": s.scenario} for s in keys]
                          for which, keys in (("added", w.spofs_added), ("removed", w.spofs_removed))}
        entry["scenarios"] = [{"label": s.label,
                               "rto_minutes": {"before": _duration(s.rto[0]), "after": _duration(s.rto[1])},
                               "rpo_minutes": {"before": _duration(s.rpo[0]), "after": _duration(s.rpo[1])}}
                              for s in w.scenarios]
        entry["targets"] = {t.objective: {"target": t.target, "before": t.before, "after": t.after} for t in w.targets}
        workloads.append(entry)
    return {"schema": SCHEMA, "base": comparison.base, "regression": bool(comparison.regressions),
            "warnings": list(comparison.warnings), "workloads": workloads}


# -- what changed, as lines ----------------------------------------------------------------------


def changes(w: WorkloadChange) -> list[tuple[str, str, str]]:
    """(what, before, after) for each change of a workload, worst first. A workload added or
    removed is one row, plus the single points of failure it brings (its estimates are in JSON)."""
    if w.status in (ADDED, REMOVED):
        strategy = w.strategy[1] if w.status == ADDED else w.strategy[0]
        rows = [(f"workload {w.status} (DR strategy {strategy})", "-" if w.status == ADDED else "yes",
                 w.status if w.status == ADDED else "gone")]
        return rows + [(f"single point of failure {s.component} ({s.rule or 'no rule'}), {s.scenario}", "-", "new")
                       for s in w.spofs_added]
    rows = [(f"single point of failure {s.component} ({s.rule or 'no rule'}), {s.scenario}", "-", "new")
            for s in w.spofs_added]
    rows += [(f"single point of failure {s.component} ({s.rule or 'no rule'}), {s.scenario}", "yes", "gone")
             for s in w.spofs_removed]
    if w.strategy[0] != w.strategy[1] and w.status in (CHANGED, REMOVED, ADDED):
        rows.append(("DR strategy", w.strategy[0] or "-", w.strategy[1] or "-"))
    for s in w.scenarios:
        for name, (before, after) in (("RTO", s.rto), ("RPO", s.rpo)):
            if before != after:
                rows.append((f"{s.label}: {name}", shown(before) if before else "-", shown(after) if after else "-"))
    for t in w.targets:
        if t.before != t.after:
            rows.append((f"{t.objective.upper() if t.objective != 'strategy' else 'DR strategy'} target {t.target}",
                         t.before or "-", t.after or "-"))
    return rows + w.component_changes


def headline(comparison: Comparison) -> str:
    """One line: "1 new single point of failure; loss of AZ us-east-1a: RTO 0 -> 1h-4h"."""
    parts = []
    new = sum(len(w.spofs_added) for w in comparison.workloads if w.status in (CHANGED, ADDED))
    gone = sum(len(w.spofs_removed) for w in comparison.workloads if w.status == CHANGED)
    if new:
        parts.append(f"{new} new single point{'s' if new > 1 else ''} of failure")
    if gone:
        parts.append(f"{gone} single point{'s' if gone > 1 else ''} of failure removed")
    for w in comparison.workloads:
        if w.status != CHANGED:
            continue
        for s in w.scenarios:
            for name, (before, after) in (("RTO", s.rto), ("RPO", s.rpo)):
                if before != after:
                    parts.append(f"{s.label}: {name} {shown(before)} -> {shown(after)}")
        if w.strategy[0] != w.strategy[1]:
            parts.append(f"DR strategy {w.strategy[0]} -> {w.strategy[1]}")
    for status in (ADDED, REMOVED, UNAVAILABLE):
        count = sum(1 for w in comparison.workloads if w.status == status)
        if count:
            parts.append(f"{count} workload{'s' if count > 1 else ''} {status}")
    if not parts and any(w.status == CHANGED for w in comparison.workloads):
        count = sum(1 for w in comparison.workloads if w.status == CHANGED)
        parts.append(f"components of {count} workload{'s' if count > 1 else ''} changed; no new single point of "
                     "failure, no estimate or strategy changed")
    return "; ".join(dict.fromkeys(parts)) if parts else "no change to resilience"


# -- text --------------------------------------------------------------------------------------


def text(comparison: Comparison) -> str:
    out = [f"Resilience change since {comparison.base[:12]}: {headline(comparison)}"]
    rows = [(w.id, w.status, what, before, after) for w in comparison.workloads if w.status != UNCHANGED
            for what, before, after in (changes(w) or [(w.reason or "-", "", "")])]
    if rows:
        heads = ("workload", "status", "change", "before", "after")
        cells = [tuple(printable(c) for c in row) for row in rows]
        widths = [max(len(h), *(len(r[i]) for r in cells)) for i, h in enumerate(heads)]
        out.append("  ".join(h.ljust(n) for h, n in zip(heads, widths)).rstrip())
        out.extend("  ".join(c.ljust(n) for c, n in zip(row, widths)).rstrip() for row in cells)
    out.extend(f"warning: {printable(w)}" for w in comparison.warnings)
    regressions = comparison.regressions
    if regressions:
        out.append(f"{len(regressions)} regression{'s' if len(regressions) > 1 else ''}")
    return "\n".join(map(printable, out)) + "\n"


# -- Markdown ----------------------------------------------------------------------------------


def markdown(comparison: Comparison) -> str:
    """For a job summary or a pull-request comment: the headline, a table of changes, and for
    each changed workload the head's architecture with what changed outlined."""
    e = markdown_text
    out = ["### Resilience change", "", f"**{e(headline(comparison))}** (since {e(comparison.base[:12])})", ""]
    shown_rows = [w for w in comparison.workloads if w.status != UNCHANGED]
    if shown_rows:
        out += ["| workload | status | change | before | after |", "|---|---|---|---|---|"]
        for w in shown_rows:
            for what, before, after in changes(w) or [(w.reason or "-", "", "")]:
                out.append(f"| {e(w.id)} | {e(w.status)} | {e(what)} | {e(before)} | {e(after)} |")
        out.append("")
    for w in shown_rows:
        if w.head is None or w.status == UNAVAILABLE or not w.head.components:
            continue
        out += [f"**{e(w.id)}** (head; outlined in blue: changed)", "", "```mermaid", _picture(w).rstrip(), "```", ""]
    for warning in comparison.warnings:
        out.append(f"- warning: {e(warning)}")
    return "\n".join(out).rstrip() + "\n"


def _picture(w: WorkloadChange) -> str:
    from ha_lint.resilience.render import _node_ids, mermaid

    assert w.head is not None
    ids = _node_ids([w.head])
    marked = {s.component for s in w.spofs_added} | w.changed_components
    lines = [mermaid([w.head]).rstrip()]
    lines += [f"  class {ids[c.uid]} changed" for c in w.head.components if c.address in marked]
    lines.append("  classDef changed stroke:#0969da,stroke-width:4px,stroke-dasharray:6 3")
    return "\n".join(lines) + "\n"
