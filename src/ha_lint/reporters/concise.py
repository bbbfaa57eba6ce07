"""``--format concise``: one line a finding, for editors and problem matchers::

    path:line:col: ID [severity] message

The column is 1 (ha-lint knows lines, not columns). A file that could not be loaded is one
line too, ``path:line:1: error [error] message`` (line 1 when unknown). The message is one
line: newlines become spaces, and any other control character shows as its escape. Nothing
else is printed (no summary), so every line matches one pattern:
``^(.+):(\\d+):(\\d+): (\\S+) \\[(\\w+)\\] (.*)$``.
"""

from __future__ import annotations

from ha_lint.escape import printable
from ha_lint.scan import ScanResult


def one_line(text: str) -> str:
    return printable(" ".join(str(text).split()))


def render(result: ScanResult, options: dict) -> str:
    lines = [f"{printable(f.file)}:{f.line or 1}:1: {f.rule_id} [{f.severity}] {one_line(f.message)}"
             for f in result.findings]
    lines += [f"{printable(e.file)}:{e.line or 1}:1: error [error] {one_line(e.message)}" for e in result.errors]
    return "".join(line + "\n" for line in lines)
