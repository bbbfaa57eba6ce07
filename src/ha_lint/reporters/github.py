"""``--format github``: GitHub Actions workflow commands, one annotation per finding
(``::error file=..,line=..,title=..::message``) on the pull request's diff. high is an
error, medium a warning, low and info a notice. Paths are relative to the repository root.

Every value is escaped as GitHub's own toolkit escapes workflow commands (``%0A`` for a
newline), and any other control character shows as its escape (``\\x1b``): a name from a
template can neither end the annotation, start a command of its own, nor colour the log."""

from __future__ import annotations

from pathlib import Path

from ha_lint.baseline import relative_path
from ha_lint.escape import printable
from ha_lint.model import as_warning
from ha_lint.scan import ScanResult

COMMAND = {"high": "error", "medium": "warning", "low": "notice", "info": "notice"}


def escape_data(text: str) -> str:
    """A command's message, as ``@actions/core`` escapes it; other control characters visible."""
    return printable(str(text).replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A"))


def escape_property(text: str) -> str:
    """A command's property value (``file=``, ``title=``): also ``:`` and ``,``."""
    return escape_data(text).replace(":", "%3A").replace(",", "%2C")


def annotation(command: str, message: str, file: str | None = None, line: int | None = None,
               title: str | None = None) -> str:
    props = [f"{key}={escape_property(str(value))}" for key, value in
             (("file", file), ("line", line), ("title", title)) if value]
    return f"::{command}{' ' + ','.join(props) if props else ''}::{escape_data(message)}"


def render(result: ScanResult, options: dict) -> str:
    root = Path(options.get("root") or Path.cwd())
    out = []
    for f in result.findings:
        where = f" on {f.resource}" if f.resource else ""
        out.append(annotation(COMMAND.get(f.severity, "warning"), f.message, relative_path(f.file, root), f.line,
                              f"{f.rule_id} {f.rule_name} [{f.severity}]{where}"))
    for e in result.errors:
        out.append(annotation("error", e.message, relative_path(e.file, root), e.line, "ha-lint: file not loaded"))
    for note in result.rule_failures:
        out.append(annotation("warning", note, title="ha-lint"))
    for warning in map(as_warning, result.warnings):
        out.append(annotation("warning", warning.message, relative_path(warning.file, root) if warning.file else None,
                              warning.line, f"ha-lint: {warning.code}"))
    return "".join(line + "\n" for line in out)
