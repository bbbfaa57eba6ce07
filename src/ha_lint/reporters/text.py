"""``--format text``: findings grouped by file, for a person at a terminal. Every field that
came from the input is ``printable``: a control character in a name shows as ``\\n`` or
``\\x1b`` and never moves the cursor, colours the terminal or starts a line of a CI log."""

from __future__ import annotations

import os
from itertools import groupby

from ha_lint.escape import printable
from ha_lint.model import SEVERITIES, Finding, as_warning
from ha_lint.scan import ScanResult
from ha_lint.wording import plural

_COLOURS = {"high": "\033[31m", "medium": "\033[33m", "low": "\033[36m", "info": "\033[2m"}
_RESET = "\033[0m"


def render(result: ScanResult, options: dict) -> str:
    colour = bool(options.get("colour"))
    out: list[str] = []
    # One header per file and root: a module called by dev and prod lists each root's findings apart.
    # Under a header, info findings (a posture stated, such as DR306) come after the defects.
    by_file_and_root = sorted(result.findings, key=lambda f: (f.file, _root_elsewhere(f), f.severity == "info"))
    for (file, root), group in groupby(by_file_and_root, key=lambda f: (f.file, _root_elsewhere(f))):
        out.append(_bold(printable(file + (f" (root {root})" if root else "")), colour))
        for f in group:
            sev = f"{_COLOURS[f.severity]}{f.severity}{_RESET}" if colour and f.severity in _COLOURS else f.severity
            where = f" {f.resource}" + (f" ({f.resource_type})" if f.resource_type else "") if f.resource else ""
            out.append(printable(f"  {f.line}: {f.rule_id} {f.rule_name} [") + sev + printable(f"]{where}"))
            out.append(f"      {printable(f.message)}")
            for related in f.related:
                out.append(printable(f"      see {related.file}:{related.line}: {related.message}"))
        out.append("")
    if options.get("show_suppressed") and result.suppressed:
        out.append(_bold("Suppressed", colour))
        for s in result.suppressed:
            f = s.finding
            out.append(printable(f"  {f.file}:{f.line}: {f.rule_id} {f.rule_name} [{f.severity}] {f.resource}".rstrip()))
            out.append(printable(f"      {s.kind} at {s.where}: {s.reason or '(no reason given)'}"))
        out.append("")
    if result.errors:
        out.append(_bold("Files that could not be loaded", colour))
        for e in result.errors:
            out.append(printable(f"  {e.file}" + (f":{e.line}" if e.line else "") + f": {e.message}"))
        out.append("")
    for note in result.rule_failures:
        out.append(f"warning: {printable(note)}")
    for warning in map(as_warning, result.warnings):
        out.append(printable(f"warning[{warning.code}]: {warning}"))
    counts = ", ".join(f"{sum(1 for f in result.findings if f.severity == s)} {s}" for s in SEVERITIES)
    out.append(
        f"{plural(len(result.findings), 'finding')} ({counts}); "
        f"{result.files} files, {result.resources} resources, {len(result.errors)} load errors "
        f"in {result.seconds:.2f}s"
        + (f"; {plural(len(result.warnings), 'warning')}" if result.warnings else "")
        + (f"; {len(result.suppressed)} suppressed" if result.suppressed else "")
        + (f"; {result.baselined} in the baseline" if result.baselined else "")
    )
    return "\n".join(out) + "\n"


def _root_elsewhere(finding: Finding) -> str:
    """The finding's root module when the file is not the root's own (a module's file)."""
    if not finding.root or os.path.normpath(os.path.dirname(finding.file) or ".") == os.path.normpath(finding.root):
        return ""
    return finding.root


def _bold(text: str, colour: bool) -> str:
    return f"\033[1m{text}{_RESET}" if colour else text
