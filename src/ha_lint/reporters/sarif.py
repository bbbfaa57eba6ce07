"""``--format sarif``: SARIF 2.1.0, as GitHub code scanning reads it.

Rules carry their documentation (short and full description, help as text and markdown,
help URI), tags, precision and ``problem.severity``; security rules also carry
``security-severity`` (a score as a string). Results carry a real level per severity,
repository-relative URIs (``%SRCROOT%``), the resource as a logical location, and a stable
``partialFingerprints`` entry built from the finding's identity (the baseline's: rule, the
file defining the resource, resource, detail, and the root module for a child module's
resource; never the reported line or file). A finding on a Terraform module's resource
reported at the module call has the module's own line in ``relatedLocations`` (one that
stays in a local module, the module blocks that call it), and every
step of a finding's trace (how its value was decided: the variable default, tfvars line,
parameter or module input it came from, then each step to the property; JSON ``trace``) that
has a file follows there too, in order, each with its text (``trace step 1 of 3: ...``), so
code scanning links each of them.
Every ``artifactLocation.uri`` is a percent-encoded URI reference (a space is ``%20``, a byte
of a file name that is not UTF-8 ``%FF``); every other string is valid Unicode (such a byte
shows as the text ``\\xff``); a ``[x](y)`` in a message, from a name, has its brackets
escaped so that no viewer reads it as an embedded link.
Load errors and warnings are ``invocations[0].toolExecutionNotifications``: a load error at
level ``error``; a warning at level ``warning`` with its code as ``descriptor.id``
(``module-not-found``, ...) and its file and line as the location when it has one.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from ha_lint import __version__
from ha_lint.baseline import FINGERPRINT_KEY, fingerprint, relative_path
from ha_lint.escape import readable_data, sarif_text, uri_path
from ha_lint.model import Finding, ScanWarning, as_warning
from ha_lint.reporters import PROJECT_URL, docs_section, rule_url, rules_by_id
from ha_lint.scan import ScanResult

SCHEMA_URI = "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json"
SRCROOT = "%SRCROOT%"
LEVEL = {"high": "error", "medium": "warning", "low": "note", "info": "note"}
PROBLEM_SEVERITY = {"high": "error", "medium": "warning", "low": "recommendation", "info": "recommendation"}
# GitHub bands: 9.0+ critical, 7.0-8.9 high, 4.0-6.9 medium, 0.1-3.9 low.
SECURITY_SEVERITY = {"high": "8.0", "medium": "5.5", "low": "3.0", "info": "1.0"}
_SECURITY_PREFIXES = ("NS", "SC")


def is_security_rule(rule: Any) -> bool:
    return "security" in tuple(getattr(rule, "tags", ())) or str(rule.id).startswith(_SECURITY_PREFIXES)


def render(result: ScanResult, options: dict) -> str:
    root = Path(options.get("root") or Path.cwd())
    rules = rules_by_id(options)
    findings: list[tuple[Finding, Any]] = [(f, None) for f in result.findings]
    if options.get("show_suppressed"):
        findings += [(s.finding, s) for s in getattr(result, "suppressed", [])]
    for finding, _ in findings:  # a finding from a rule the caller did not describe
        rules.setdefault(finding.rule_id, _Described(finding))
    ordered = sorted(rules.values(), key=lambda r: r.id)
    index = {rule.id: number for number, rule in enumerate(ordered)}
    run: dict[str, Any] = {
        "tool": {"driver": {
            "name": "ha-lint",
            "version": __version__,
            "semanticVersion": __version__,
            "informationUri": PROJECT_URL,
            "rules": [_descriptor(rule) for rule in ordered],
        }},
        "originalUriBaseIds": {SRCROOT: {"uri": root.resolve().as_uri() + "/"}},
        "results": [_result(f, sup, index, root) for f, sup in findings],
        "invocations": [{
            "executionSuccessful": not result.rule_failures,
            "toolExecutionNotifications": [_load_error(e, root) for e in result.errors]
            + [{"level": "warning", "message": {"text": sarif_text(note)}} for note in result.rule_failures]
            + [_warning(w, root) for w in map(as_warning, result.warnings)],
        }],
        "columnKind": "utf16CodeUnits",
    }
    document = {"$schema": SCHEMA_URI, "version": "2.1.0", "runs": [run]}
    return json.dumps(readable_data(document), indent=2) + "\n"


class _Described:
    """The little known about a rule from its finding alone."""

    tags: tuple[str, ...] = ()
    docs = ""
    summary = ""

    def __init__(self, finding: Finding) -> None:
        self.id = finding.rule_id
        self.name = finding.rule_name
        self.effective_severity = self.severity = finding.severity


def _descriptor(rule: Any) -> dict[str, Any]:
    severity = getattr(rule, "effective_severity", rule.severity)
    summary = rule.summary or rule.name
    what = docs_section(rule, "What it does") or summary
    docs = rule.full_docs() if hasattr(rule, "full_docs") else summary
    tags = list(dict.fromkeys([*getattr(rule, "tags", ()), *(["security"] if is_security_rule(rule) else ["reliability"])]))
    properties: dict[str, Any] = {
        "tags": tags,
        "precision": getattr(rule, "precision", "high"),
        "problem.severity": PROBLEM_SEVERITY[severity],
    }
    if is_security_rule(rule):
        properties["security-severity"] = SECURITY_SEVERITY[severity]
    descriptor: dict[str, Any] = {
        "id": rule.id,
        "name": rule.name,
        "shortDescription": {"text": summary},
        "fullDescription": {"text": " ".join(what.split())},
        "help": {"text": docs, "markdown": _markdown_help(rule, docs)},
        "defaultConfiguration": {"level": LEVEL[severity]},
        "properties": properties,
    }
    url = rule_url(rule)
    if url:
        descriptor["helpUri"] = url
    return descriptor


def _markdown_help(rule: Any, docs: str) -> str:
    body = docs.split("\n", 1)[1].strip() if "\n" in docs else docs
    return f"**{rule.id} {rule.name}** ({getattr(rule, 'effective_severity', rule.severity)})\n\n{body}\n"


def _location(file: str, line: int | None, root: Path) -> dict[str, Any]:
    path = relative_path(file, root)
    artifact = {"uri": uri_path(path), "uriBaseId": SRCROOT} if not path.startswith("/") else {"uri": Path(path).as_uri()}
    physical: dict[str, Any] = {"artifactLocation": artifact}
    if line:
        physical["region"] = {"startLine": max(1, int(line))}
    return {"physicalLocation": physical}


def _result(finding: Finding, suppressed: Any, index: dict[str, int], root: Path) -> dict[str, Any]:
    location = _location(finding.file, finding.line, root)
    if finding.resource:
        location["logicalLocations"] = [{"name": finding.resource, "fullyQualifiedName": finding.resource,
                                         "kind": "resource"}]
    out: dict[str, Any] = {
        "ruleId": finding.rule_id,
        "ruleIndex": index[finding.rule_id],
        "level": LEVEL.get(finding.severity, "warning"),
        "message": {"text": sarif_text(finding.message)},
        "locations": [location],
        "partialFingerprints": {FINGERPRINT_KEY: fingerprint(finding, root)},
        "properties": {"severity": finding.severity, "resource": finding.resource,
                       "resourceType": finding.resource_type},
    }
    related = _related(finding)
    if related:
        out["relatedLocations"] = [{**_location(file, line, root), "id": number, "message": {"text": sarif_text(text)}}
                                   for number, (file, line, text) in enumerate(related, start=1)]
    if finding.root:
        out["properties"]["root"] = finding.root
    if suppressed is not None:
        out["suppressions"] = [{
            "kind": "external" if suppressed.kind == "config" else "inSource",
            "justification": suppressed.reason or "(no reason given)",
        }]
    return out


def _related(finding: Finding) -> list[tuple[str, int, str]]:
    """The module's own line of a finding reported at its call, then each step of its trace
    that is written in a file (a ``--var`` or an environment variable is not)."""
    out = [(r.file, r.line, r.message) for r in finding.related]
    count = len(finding.trace)
    out += [(step.file, step.line, f"trace step {number} of {count}: {step.description}")
            for number, step in enumerate(finding.trace, start=1) if step.file and step.line]
    return out


def _warning(warning: ScanWarning, root: Path) -> dict[str, Any]:
    """A warning as a notification: its code is the descriptor, its file and line the location."""
    out: dict[str, Any] = {"level": "warning", "message": {"text": sarif_text(warning.message)},
                           "descriptor": {"id": warning.code}}
    if warning.file:
        out["locations"] = [_location(warning.file, warning.line, root)]
    return out


def _load_error(error: Any, root: Path) -> dict[str, Any]:
    return {"level": "error", "message": {"text": sarif_text(f"{error.file}: {error.message}")},
            "locations": [_location(error.file, error.line, root)]}
