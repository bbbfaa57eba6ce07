"""A finding's trace: how the value it judges was decided, step by step.

The value is the one ``callsite.deciding_origins`` names (the properties written on the
finding's line; for a finding on the resource as a whole, its ``count``/``for_each``), and
its steps are its ``Origin`` chain, source first: the setting the user edits (a variable's
default, a tfvars line, a parameter's default, a module input), then each step on the way to
the property. Only steps that decide the value are in the chain: the resolvers leave out a
condition whose branches give the same value and a ``for`` filter
(``hclexpr.deciding_references``).

Reports show every step with its file and line (JSON ``trace``, SARIF ``relatedLocations``);
a message shows the short form (``Origin.brief``).
"""

from __future__ import annotations

import dataclasses
from typing import Iterable

from ha_lint.callsite import VALUE_HIDDEN_RULES, deciding_origins, without_value
from ha_lint.model import Finding, Resource
from ha_lint.values import Origin


def attach(findings: Iterable[Finding], resources: Iterable[Resource]) -> list[Finding]:
    """Each finding with its trace (findings on no resource, or on a value written in place,
    unchanged). Run before ``callsite.place``: the finding's line is still the property's."""
    by_place: dict[tuple[str, str], list[Resource]] = {}
    for res in resources:
        if res.origins:
            by_place.setdefault((res.file, res.address), []).append(res)
    out = []
    for finding in findings:
        candidates = by_place.get((finding.file, finding.resource), []) if finding.resource else []
        steps = _steps(finding, candidates)
        out.append(dataclasses.replace(finding, trace=steps) if steps else finding)
    return out


def _steps(finding: Finding, candidates: list[Resource]) -> tuple[Origin, ...]:
    """The steps of the first candidate that has them; the finding's own root's resource first
    (one module under several roots)."""
    for res in sorted(candidates, key=lambda r: r.workload != finding.root):
        steps = [step for origin in deciding_origins(finding, res) for step in origin.steps()]
        if steps and finding.rule_id in VALUE_HIDDEN_RULES:  # a secret: the steps are named, its value never shown
            steps = [dataclasses.replace(step, description=without_value(step.description)) for step in steps]
        if steps:
            return tuple(dict.fromkeys(steps))
    return ()
