"""``--format markdown``: a pull request comment or a GitHub job summary: counts by
severity, then a table of findings with links to each rule's documentation and to each
finding's file and line (on GitHub, at the commit, when run in Actions: ``GITHUB_SERVER_URL``,
``GITHUB_REPOSITORY`` and ``GITHUB_SHA`` set; else a link relative to the project root).
Table cells stay short: a message is cut at a word to about 120 characters and a long
resource address keeps its end; the full message, the full address and the value's trace
(each step linked to its file and line) follow the table in a ``<details>`` block.

Every value from the input is escaped for where it lands (``ha_lint.escape``): table cells
show HTML, links, images and emphasis as typed and keep ``|`` inside the cell; names are in
monospace (``<code>`` when one holds a backtick or markup); nothing holds a newline, so no
name can close the Mermaid block or start a line of its own.

The architecture diagram is drawn from ``options["resilience_models"]`` (the workloads'
resilience models, which the caller builds: a reporter only renders what it is given)."""

from __future__ import annotations

import os
from pathlib import Path

from ha_lint.baseline import relative_path
from ha_lint.escape import code_span, markdown_text, uri_path
from ha_lint.model import SEVERITIES, SEVERITY_RANK, as_warning
from ha_lint.reporters import rule_url, rules_by_id
from ha_lint.scan import ScanResult
from ha_lint.wording import plural

MAX_ROWS = 200  # a PR comment holds 65,536 characters
MAX_MESSAGE = 120  # characters of a message in a table cell; the details block has the rest
MAX_RESOURCE = 60  # characters of a resource address in a table cell
MAX_DETAILS = 30_000  # characters of the details block: the JSON and SARIF reports have everything


def cell(text: str) -> str:
    """Text from the input as a table cell or a list item: literal, on one line."""
    return markdown_text(text)


def _file_link(path: str, line: int | None) -> str:
    """``path:line`` linked to the file at that line: on GitHub at the commit when run in
    Actions, else relative to the project root (a path outside it is shown, not linked)."""
    shown = code_span(f"{path}:{line}" if line else path)
    if os.path.isabs(path):
        return shown
    anchor = f"#L{line}" if line else ""
    server, repo, sha = (os.environ.get(k) for k in ("GITHUB_SERVER_URL", "GITHUB_REPOSITORY", "GITHUB_SHA"))
    if server and repo and sha:
        return f"[{shown}]({server}/{repo}/blob/{sha}/{uri_path(path)}{anchor})"
    return f"[{shown}]({uri_path(path)}{anchor})"


def shortened(text: str, limit: int) -> str:
    """``text`` cut at a word to at most about ``limit`` characters, ending in "…" when cut."""
    if len(text) <= limit:
        return text
    cut = text[:limit].rsplit(" ", 1)[0] if " " in text[:limit] else text[:limit]
    return cut.rstrip(" ,;:(") + "…"


def _tail(text: str, limit: int) -> str:
    """A long name by its end, where a Terraform address names the resource itself."""
    return text if len(text) <= limit else "…" + text[-(limit - 1):]


def render(result: ScanResult, options: dict) -> str:
    root = Path(options.get("root") or Path.cwd())
    rules = rules_by_id(options)
    findings = result.findings
    suppressed = getattr(result, "suppressed", [])
    baselined = getattr(result, "baselined", 0)
    count = len(findings)
    out = [f"## ha-lint: {plural(count, 'finding')}", ""]
    out.append("| " + " | ".join(SEVERITIES) + " | suppressed | baselined | files not loaded |")
    out.append("|" + "---:|" * (len(SEVERITIES) + 3))
    out.append("| " + " | ".join(str(sum(1 for f in findings if f.severity == s)) for s in SEVERITIES)
               + f" | {len(suppressed)} | {baselined} | {len(result.errors)} |")
    out.append("")
    if findings:
        out += _table(findings, rules, root)
    else:
        out.append("No findings: nothing here will fall over that ha-lint can see.")
        out.append("")
    if result.errors:
        out.append("### Files that could not be loaded")
        out.append("")
        for e in result.errors:
            out.append(f"- {_file_link(relative_path(e.file, root), e.line)}: {cell(e.message)}")
        out.append("")
    if result.warnings:
        out.append(f"### Warnings ({len(result.warnings)})")
        out.append("")
        for w in map(as_warning, result.warnings[:MAX_ROWS]):
            where = f"{_file_link(relative_path(w.file, root), w.line)}: " if w.file else ""
            out.append(f"- {code_span(w.code)} {where}{cell(w.message)}")
        if len(result.warnings) > MAX_ROWS:
            out.append(f"- ... and {len(result.warnings) - MAX_ROWS} more; the SARIF or JSON report has them all.")
        out.append("")
    if suppressed and options.get("show_suppressed"):
        out.append(f"<details><summary>{len(suppressed)} suppressed</summary>")
        out.append("")
        out += _table([s.finding for s in suppressed], rules, root, [s.reason for s in suppressed])
        out.append("</details>")
        out.append("")
    out += _architecture(result, options.get("resilience_models") or [])
    out.append(f"<sub>{result.files} files, {result.resources} resources, {result.seconds:.2f}s</sub>")
    return "\n".join(out) + "\n"


def _table(findings: list, rules: dict, root: Path, reasons: list[str] | None = None) -> list[str]:
    """The most severe first; a Reason column for suppressed findings."""
    rows = sorted(zip(findings, reasons or [""] * len(findings)),
                  key=lambda pair: (-SEVERITY_RANK.get(pair[0].severity, 0), pair[0].file, pair[0].line))
    out = ["| Severity | Rule | Location | Resource | Message |" + (" Reason |" if reasons else ""),
           "|---|---|---|---|---|" + ("---|" if reasons else "")]
    detailed = []
    for f, reason in rows[:MAX_ROWS]:
        url = rule_url(rules[f.rule_id]) if f.rule_id in rules else None
        rule = f"[{cell(f.rule_id)}]({url}) {cell(f.rule_name)}" if url else cell(f"{f.rule_id} {f.rule_name}")
        message = shortened(f.message, MAX_MESSAGE)
        row = (f"| **{cell(f.severity)}** | {rule} | {_file_link(relative_path(f.file, root), f.line)} | "
               f"{code_span(_tail(f.resource, MAX_RESOURCE)) if f.resource else ''} | {cell(message)} |")
        out.append(row + (f" {cell(shortened(reason, MAX_MESSAGE))} |" if reasons else ""))
        if message != f.message or f.trace or len(f.resource) > MAX_RESOURCE or shortened(reason, MAX_MESSAGE) != reason:
            detailed.append((f, reason))
    if len(rows) > MAX_ROWS:
        out.append("")
        out.append(f"... and {len(rows) - MAX_ROWS} more; the SARIF or JSON report has them all.")
    out.append("")
    return out + _details(detailed, root)


def _details(findings: list, root: Path) -> list[str]:
    """The full text of what the table cut, with each finding's trace: the steps that decided
    its value, source first, each linked to its file and line."""
    if not findings:
        return []
    out = [f"<details><summary>Full messages and value traces ({len(findings)})</summary>", ""]
    size = 0
    for number, (f, reason) in enumerate(findings):
        item = [f"- **{cell(f.rule_id)}** {_file_link(relative_path(f.file, root), f.line)}"
                + (f" {code_span(f.resource)}" if f.resource else "") + f": {cell(f.message)}"]
        if reason:
            item.append(f"  - suppressed: {cell(reason)}")
        if f.trace:
            steps = [(f"{_file_link(relative_path(step.file, root), step.line)} " if step.file else "")
                     + cell(step.description) for step in f.trace]
            item.append("  - because: " + " → ".join(steps))
        size += sum(map(len, item))
        if size > MAX_DETAILS:
            out.append(f"- ... and {len(findings) - number} more; the SARIF or JSON report has them all.")
            break
        out += item
    return out + ["", "</details>", ""]


MAX_DIAGRAM_COMPONENTS = 60  # beyond this the diagram does not fit a comment; `ha-lint graph` draws it


def _architecture(result: ScanResult, models: list) -> list[str]:
    """The architecture as a Mermaid diagram (GitHub renders it in comments and job summaries)."""
    if not models or sum(len(m.components) for m in models) > MAX_DIAGRAM_COMPONENTS:
        return []
    from ha_lint.resilience import render

    return [render.markdown_section(models, result.findings)]
