"""A finding's trace: how the value it judges was decided, step by step.

The value is the one ``deciding_origins`` names (the properties written on the finding's
line, or the property the rule named; for a finding on the resource as a whole, its
``count``/``for_each``), and its steps are its ``Origin`` chain, source first: the setting the user edits (a variable's
default, a tfvars line, a parameter's default, a module input), then each step on the way to
the property. Only steps that decide the value are in the chain: the resolvers leave out a
condition whose branches give the same value and a ``for`` filter
(``hclexpr.deciding_references``).

Reports show every step with its file and line (JSON ``trace``, SARIF ``relatedLocations``);
a message shows the short form (``Origin.brief``). The trace is worked out once, here:
``callsite.place`` (run next) finds the module input that decided a finding in it.
"""

from __future__ import annotations

import dataclasses
import re
from typing import Iterable

from ha_lint.model import Finding, Resource
from ha_lint.values import Origin

_INSTANCE_WIDE = ("count", "for_each")
# Rules whose deciding value is a secret: the input that decides it is named, its value never shown.
VALUE_HIDDEN_RULES = frozenset({"SC501"})


def attach(findings: Iterable[Finding], resources: Iterable[Resource]) -> list[Finding]:
    """Each finding with its trace (findings on no resource, or on a value written in place,
    unchanged). Run before ``callsite.place``, which reads the trace: the finding's line is
    still the property's."""
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
    """The steps of the first candidate that has them. A finding on a child module's resource
    (one module under several roots) takes only its own root's resource: the steps through
    another root's calls decide nothing for it."""
    if finding.root:
        candidates = [res for res in candidates if res.workload == finding.root]
    for res in candidates:
        steps = [step for origin in deciding_origins(finding, res) for step in origin.steps()]
        if steps and finding.rule_id in VALUE_HIDDEN_RULES:  # a secret: the steps are named, its value never shown
            steps = [dataclasses.replace(step, description=without_value(step.description)) for step in steps]
        if steps:
            return tuple(dict.fromkeys(steps))
    return ()


def deciding_origins(finding: Finding, res: Resource) -> list[Origin]:
    """The origins of the value that decided ``finding`` (see the module docs)."""
    paths = [path for path, line in res.lines.items() if line == finding.line and line != res.line]
    origins = [o for o in (_origin_at(res, path) for path in paths) if o is not None]
    if not origins and finding.line == res.line:  # about the resource as a whole: its instances
        origins = [res.origins[each] for each in _INSTANCE_WIDE if each in res.origins]
    return origins


def _origin_at(res: Resource, path: str) -> Origin | None:
    """The origin recorded for ``path`` (list indexes left out, as origins are recorded)."""
    parts = [part for part in path.split(".") if not part.isdigit()]
    while parts:
        found = res.origins.get(".".join(parts))
        if found is not None:
            return found
        parts.pop()
    return None


def without_value(description: str) -> str:
    """``module db input password = "..."`` -> ``module db input password (value not shown)``."""
    return re.split(r"\s*=|\s+defaults to\b", description, maxsplit=1)[0] + " (value not shown)"
