"""Findings at the call: where a finding on a module's resource is reported.

A resource a module creates is written once and instantiated by each call, with the values
the call gives. A finding on it is reported where the user can act on it:

- at the input of the call that decided the bad value (``multi_az = false`` in the root's
  ``module "db"`` block), when that call is written in the repository; with nested calls,
  the outermost such call;
- else, when the module's code is outside the repository (a registry or git source, under
  ``.terraform/``, downloaded), at the ``module`` block that brings it in: nobody can fix
  or suppress anything inside it;
- else where the resource is written (a local module with a hard-coded value), with the
  module calls that make it (outermost first) as related locations.

Which value decided a finding is its trace (``ha_lint.trace``, attached before): the steps
of the value's ``Origin`` chains hold the module inputs they went through (``Origin.input``),
so nothing is re-read from message text. The mechanism knows only "an
input given at a call, with its file and line": a Terragrunt ``inputs`` block is one more
kind of call.

A moved finding keeps its identity (rule, defining file, resource, detail; see
``Finding.identity``) and points back at the module's line as a related location. Every
finding on a child module's resource names its module and its root, since one module
under several roots gives each root its own finding.
"""

from __future__ import annotations

import dataclasses
from typing import Iterable

from ha_lint.model import Finding, ModuleCall, Related, Resource
from ha_lint.values import Origin


def place(findings: Iterable[Finding], resources: Iterable[Resource]) -> list[Finding]:
    """Each finding where it is reported (see the module docs); others unchanged. Run after
    ``trace.attach``: a finding's trace says which input decided it."""
    by_address = {(r.workload, r.address): r for r in resources if r.meta.calls}
    return [_placed(f, by_address.get((f.root, f.resource))) if f.root else f for f in findings]


def _placed(finding: Finding, res: Resource | None) -> Finding:
    if res is None:
        return finding
    calls: tuple[ModuleCall, ...] = res.meta.calls
    named = f"{finding.message} {_naming(calls, finding.root)}"
    if finding.file != res.file:  # reported on another file by the rule: left there
        return dataclasses.replace(finding, message=named)
    step = _deciding_input(finding, res)
    if step is not None and step.file and step.line:
        where = (step.file, step.line)  # a secret's step comes without its value (trace.VALUE_HIDDEN_RULES)
        why = f"{_resource_name(res)} is written here; {step.description} decides it"
    else:
        outside = next((call for call in calls if call.external), None)
        if outside is None:  # hard-coded in a local module: it stays, pointing at the calls that make it
            called = tuple(Related(call.file, call.line, f"{call.address} is called here") for call in calls)
            return dataclasses.replace(finding, message=named, related=(*finding.related, *called))
        where = (outside.file, outside.line)
        why = f"{_resource_name(res)} is written here, in {outside.describe()}, outside the repository"
    related = (Related(finding.file, finding.line, why), *finding.related)
    return dataclasses.replace(finding, file=where[0], line=where[1], message=named, related=related,
                               defined_in=finding.defined_in or finding.file)


def _deciding_input(finding: Finding, res: Resource) -> Origin | None:
    """The input at the outermost call in the repository that the deciding value came through
    (a step of the finding's trace)."""
    module = res.meta.module
    best: Origin | None = None
    for step in finding.trace:
        given = step.input
        if given is None or given.external or not _on_path(given.module, module):
            continue
        if best is None or len(given.module) < len(best.input.module):  # type: ignore[union-attr]
            best = step
    return best


def _on_path(fed: str, module: str) -> bool:
    """Whether an input to the instance ``fed`` is an input on the way to ``module``."""
    return fed == "" or module == fed or module.startswith(fed + ".")


def _resource_name(res: Resource) -> str:
    """The address inside its module: ``aws_db_instance.this[0]``."""
    module = res.meta.module
    return res.address[len(module) + 1:] if module and res.address.startswith(module + ".") else res.address


def _naming(calls: tuple[ModuleCall, ...], root: str) -> str:
    """The sentence a child module's finding ends with: its module (with the source and
    version of the code outside the repository it belongs to) and its root."""
    outside = next((call for call in calls if call.external and call.source), None)
    module = calls[-1].address
    if outside is not None:
        module += f", of {outside.source}" + (f" {outside.version}" if outside.version else "")
    return f"(In {module}; root {root}.)"
