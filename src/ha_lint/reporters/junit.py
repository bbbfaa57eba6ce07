"""``--format junit``: JUnit XML for CI test views. One test case per rule x file: it fails
with the rule's findings in that file, or passes. A file that could not be loaded is one
test case with an error.

XML 1.0 forbids most control characters even as references, so every name and message is
``printable`` (a newline or ESC in a name shows as ``\\n``, ``\\x1b``): the report always
parses."""

from __future__ import annotations

from xml.etree import ElementTree as ET

from ha_lint.escape import printable
from ha_lint.model import Finding
from ha_lint.reporters import rules_by_id
from ha_lint.scan import ScanResult
from ha_lint.wording import plural


def render(result: ScanResult, options: dict) -> str:
    rules = rules_by_id(options)
    found: dict[tuple[str, str], list[Finding]] = {}
    for finding in result.findings:
        found.setdefault((finding.rule_id, finding.file), []).append(finding)
    names = {rule_id: rule.name for rule_id, rule in rules.items()}
    names.update({f.rule_id: f.rule_name for f in result.findings})
    files = sorted({*options.get("files", ()), *(f.file for f in result.findings)})
    errors = {e.file for e in result.errors}

    suite = ET.Element("testsuite", name="ha-lint", time=f"{result.seconds:.3f}")
    cases = failures = 0
    for file in files:
        if file in errors:
            continue
        for rule_id in sorted(names):
            case = ET.SubElement(suite, "testcase", classname=printable(file),
                                 name=printable(f"{rule_id} {names[rule_id]}"), file=printable(file), time="0")
            cases += 1
            hits = found.get((rule_id, file))
            if hits:
                failures += 1
                body = "\n".join(printable(f"{file}:{f.line}: {f.resource or '(workload)'}: {f.message}")
                                  for f in hits)
                failure = ET.SubElement(case, "failure", type=printable(hits[0].severity),
                                        message=printable(f"{plural(len(hits), hits[0].severity + ' finding')} "
                                                          f"of {rule_id} {names[rule_id]}"))
                failure.text = body
    for error in result.errors:
        case = ET.SubElement(suite, "testcase", classname=printable(error.file), name="load",
                             file=printable(error.file), time="0")
        cases += 1
        element = ET.SubElement(case, "error", type="load-error", message=printable(error.message))
        element.text = printable(error.file + (f":{error.line}" if error.line else "") + f": {error.message}")
    suite.set("tests", str(cases))
    suite.set("failures", str(failures))
    suite.set("errors", str(len(result.errors)))
    suite.set("skipped", "0")
    root = ET.Element("testsuites", name="ha-lint", tests=str(cases), failures=str(failures),
                      errors=str(len(result.errors)), time=f"{result.seconds:.3f}")
    root.append(suite)
    ET.indent(root)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"
