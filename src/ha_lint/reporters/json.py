"""``--format json``: a stable, documented document (schema version 1).

{
  "version": "<ha-lint version>", "schema": 1,
  "findings": [{"rule_id", "rule_name", "severity", "message", "file", "line",
                "resource", "resource_type"}],
  "errors":   [{"file", "line" (null when unknown), "message"}],
  "summary":  {"files", "resources", "workloads", "findings", "errors",
               "by_severity": {"high", "medium", "low", "info"}, "seconds"}
}
"""

from __future__ import annotations

import json

from ha_lint import __version__
from ha_lint.model import SEVERITIES
from ha_lint.scan import ScanResult


def as_dict(result: ScanResult) -> dict:
    return {
        "version": __version__,
        "schema": 1,
        "findings": [
            {
                "rule_id": f.rule_id, "rule_name": f.rule_name, "severity": f.severity,
                "message": f.message, "file": f.file, "line": f.line,
                "resource": f.resource, "resource_type": f.resource_type,
            }
            for f in result.findings
        ],
        "errors": [{"file": e.file, "line": e.line, "message": e.message} for e in result.errors],
        "summary": {
            "files": result.files,
            "resources": result.resources,
            "workloads": result.workloads,
            "findings": len(result.findings),
            "errors": len(result.errors),
            "by_severity": {s: sum(1 for f in result.findings if f.severity == s) for s in SEVERITIES},
            "seconds": round(result.seconds, 3),
        },
    }


def render(result: ScanResult, options: dict) -> str:
    return json.dumps(as_dict(result), indent=2) + "\n"
