"""``--format json``: a stable, documented document (schema version 1).

{
  "version": "<ha-lint version>", "schema": 1,
  "findings": [{"rule_id", "rule_name", "severity", "message", "file", "line",
                "resource", "resource_type"}],
  "errors":   [{"file", "line" (null when unknown), "message"}],
  "summary":  {"files", "resources", "workloads", "findings", "errors",
               "by_severity": {"high", "medium", "low", "info"}, "seconds",
               "suppressed", "baselined"},
  "suppressed": [finding + {"suppression": {"kind", "reason", "at"}}]  (--show-suppressed only)
}
"""

from __future__ import annotations

import json

from ha_lint import __version__
from ha_lint.model import SEVERITIES
from ha_lint.scan import ScanResult


def _finding(f) -> dict:
    return {
        "rule_id": f.rule_id, "rule_name": f.rule_name, "severity": f.severity,
        "message": f.message, "file": f.file, "line": f.line,
        "resource": f.resource, "resource_type": f.resource_type,
    }


def as_dict(result: ScanResult, show_suppressed: bool = False) -> dict:
    out = {
        "version": __version__,
        "schema": 1,
        "findings": [_finding(f) for f in result.findings],
        "errors": [{"file": e.file, "line": e.line, "message": e.message} for e in result.errors],
        "summary": {
            "files": result.files,
            "resources": result.resources,
            "workloads": result.workloads,
            "findings": len(result.findings),
            "errors": len(result.errors),
            "by_severity": {s: sum(1 for f in result.findings if f.severity == s) for s in SEVERITIES},
            "seconds": round(result.seconds, 3),
            "suppressed": len(result.suppressed),
            "baselined": result.baselined,
        },
    }
    if show_suppressed:
        out["suppressed"] = [{**_finding(s.finding), "suppression": {"kind": s.kind, "reason": s.reason, "at": s.where}}
                             for s in result.suppressed]
    return out


def render(result: ScanResult, options: dict) -> str:
    return json.dumps(as_dict(result, bool(options.get("show_suppressed"))), indent=2) + "\n"
