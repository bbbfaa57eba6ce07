"""``--format json``: a stable, documented document (schema version 1).

{
  "version": "<ha-lint version>", "schema": 1,
  "findings": [{"rule_id", "rule_name", "severity", "message", "file", "line",
                "resource", "resource_type", "related": [{"file", "line", "message"}],
                "root", "trace": [{"file", "line", "text"}]}],
  "errors":   [{"file", "line" (null when unknown), "message"}],
  "warnings": [{"code", "file", "line", "message"}],
  "summary":  {"files", "resources", "workloads", "findings", "errors", "warnings",
               "by_severity": {"high", "medium", "low", "info"}, "seconds",
               "suppressed", "baselined"},
  "suppressed": [finding + {"suppression": {"kind", "reason", "at"}}]  (--show-suppressed only)
}

A finding on a resource of a Terraform module is reported where the user acts on it: at the
input of the ``module`` call that decided it (``file``/``line`` are then the caller's), else
at the ``module`` block of code outside the repository; ``related`` (additive; ``[]`` for
most findings) then holds the module's own line; a finding that stays in a local module (a
value written there) has the ``module`` blocks that call it (``module.db is called here``).
``root`` (additive) names the root module
whose call made the resource (one module under dev and prod gives each its finding), and is
null for a resource not made through a module call.

``trace`` (additive: the schema is still 1; ``[]`` when the value was written in place) is how
the value a finding judges was decided, source first: the setting the user edits (a
variable's default, a tfvars line, a parameter's default, a module input; for a default in
a module from outside the repository, the ``module`` block that leaves it unset), then each
step to the property (``module db input multi_az = false``, ``local.prod = false``,
``condition IsProd is false``). ``text`` says what the step is; ``file`` and ``line`` are where it is
written (null for a ``--var`` or an environment variable). A step that does not decide the
value (a condition whose branches give the same value) is not in it. A chain of more than 13
steps keeps its source, its first module input and its last 12, with a step
``(N more steps not kept)`` (no file) where it was cut. The message shows the
same chain in short: its first and last steps, in about 200 characters.

``warnings`` (additive: the schema is still 1) are what ha-lint could not read or resolve and
says so instead of staying silent; they never change the exit code. ``code`` is a stable
kebab-case name: ``module-not-found`` (a module call whose source is not on disk: run
``terraform init`` or pass ``--download-modules``), ``input-unknown`` (a ``--var``, tfvars
entry or module input that matches no variable), ``variable-unset`` (a root variable with no
value and no default), ``module-cycle``, ``resource-limit`` (a budget stopped an expansion:
Terraform instances, ``Fn::ForEach`` loops, one deployment's nested stacks), ``value-too-large``
(a value ha-lint would not build: a Terraform expression, a CloudFormation ``Fn::Join``/``Fn::Sub``; it is
unknown), ``expression-unreadable`` (a Terraform expression ha-lint cannot parse: its value is
unknown, said at its line), ``foreach-unknown`` (an ``Fn::ForEach`` over a collection that is not known), ``nested-stack``,
``baseline-stale``, ``context-not-loaded``, ``module-file-not-loaded``, ``reference-outside-root``
(a nested stack, module source or link beyond the repository root: not read),
``plan-without-source`` (a Terraform plan scanned without its configuration: its findings stay at
the plan file; ``--plan-source`` gives lines), ``plan-source-mismatch`` (planned resources the
configuration does not have), ``terragrunt-include`` / ``terragrunt-inputs`` (a Terragrunt include
or inputs not known without running Terragrunt), ``terragrunt-dependency`` (a Terragrunt
dependency whose outputs cannot be followed: unit missing, module not here, a cycle),
``template-skipped`` (a ``.boilerplate`` folder of scaffolding templates, not scanned), ``note`` (anything older without a code). ``file`` and ``line`` are null when there is none.

Every string is valid Unicode, so the document is valid UTF-8 JSON: the bytes of a file name
that are not UTF-8 show as the text ``\\xff``; everything else is kept and JSON-escaped.
"""

from __future__ import annotations

import json

from ha_lint import __version__
from ha_lint.escape import readable_data
from ha_lint.model import SEVERITIES, as_warning
from ha_lint.scan import ScanResult


def _finding(f) -> dict:
    return {
        "rule_id": f.rule_id, "rule_name": f.rule_name, "severity": f.severity,
        "message": f.message, "file": f.file, "line": f.line,
        "resource": f.resource, "resource_type": f.resource_type,
        "related": [{"file": r.file, "line": r.line, "message": r.message} for r in f.related],
        "root": f.root or None,
        "trace": [{"file": step.file, "line": step.line, "text": step.description} for step in f.trace],
    }


def as_dict(result: ScanResult, show_suppressed: bool = False) -> dict:
    out = {
        "version": __version__,
        "schema": 1,
        "findings": [_finding(f) for f in result.findings],
        "errors": [{"file": e.file, "line": e.line, "message": e.message} for e in result.errors],
        "warnings": [{"code": w.code, "file": w.file, "line": w.line, "message": w.message}
                     for w in map(as_warning, result.warnings)],
        "summary": {
            "files": result.files,
            "resources": result.resources,
            "workloads": result.workloads,
            "findings": len(result.findings),
            "errors": len(result.errors),
            "warnings": len(result.warnings),
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
    return json.dumps(readable_data(as_dict(result, bool(options.get("show_suppressed")))), indent=2) + "\n"
