"""The machine-readable reports: SARIF (validated against the official 2.1.0 schema, as
GitHub code scanning reads it), JUnit, GitHub annotations, markdown; several at once."""

from __future__ import annotations

import json
from pathlib import Path
from xml.etree import ElementTree as ET

import jsonschema
import pytest

from ha_lint.reporters.github import annotation
from helpers import TEMPLATE, ha_lint, new_repo

SCHEMA = json.loads((Path(__file__).parent / "data" / "sarif-schema-2.1.0.json").read_text())
SELECT = ("--select", "HA101,NS401")


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    root = new_repo(tmp_path / "repo")
    (root / "stacks").mkdir()
    (root / "stacks" / "orders.yaml").write_text(TEMPLATE)
    (root / "stacks" / "billing.yaml").write_text(TEMPLATE.replace(
        "      MultiAZ: false\n", "      MultiAZ: false  # ha-lint: ignore[HA101] billing replica, rebuilt in minutes\n"))
    (root / "stacks" / "broken.yaml").write_text("AWSTemplateFormatVersion: '2010-09-09'\nResources: [\n")
    return root


def sarif_of(repo: Path, *args: str, cwd: Path | None = None) -> dict:
    out = repo / "out.sarif"
    run = ha_lint(*args, "--format", f"sarif:{out}", cwd=cwd or repo)
    assert run.returncode in (0, 1), run.stderr
    return json.loads(out.read_text())


def test_sarif_is_valid_and_what_github_code_scanning_reads(repo: Path) -> None:
    (repo / ".ha-lint.yml").write_text("severity: {BK201: medium}\n")
    # Scanned from a subdirectory, by a relative path: URIs are still relative to the repository.
    doc = sarif_of(repo, "..", *SELECT, "--select", "HA101,NS401,BK201", "--show-suppressed", cwd=repo / "stacks")
    jsonschema.validate(doc, SCHEMA)
    assert doc["version"] == "2.1.0"
    run = doc["runs"][0]
    driver = run["tool"]["driver"]
    assert driver["name"] == "ha-lint" and driver["version"]
    rules = {r["id"]: r for r in driver["rules"]}
    assert {"HA101", "NS401", "BK201", "HL001", "HL002", "HL003"} <= set(rules)

    ha101, ns401, bk201 = rules["HA101"], rules["NS401"], rules["BK201"]
    for rule in (ha101, ns401, bk201):
        assert rule["shortDescription"]["text"] and rule["fullDescription"]["text"]
        assert "## Why it matters" in rule["help"]["markdown"] and "Why it matters" in rule["help"]["text"]
        assert rule["helpUri"].startswith("https://")
        assert rule["properties"]["precision"] in ("very-high", "high", "medium", "low")
        assert rule["properties"]["tags"]
    assert ha101["properties"]["problem.severity"] == "error" and ha101["defaultConfiguration"]["level"] == "error"
    assert "security-severity" not in ha101["properties"]  # reliability, not security
    assert ns401["properties"]["security-severity"] == "8.0"  # a string score, GitHub's "high" band
    assert "security" in ns401["properties"]["tags"]
    assert bk201["defaultConfiguration"]["level"] == "warning"  # severity overridden to medium
    assert bk201["properties"]["problem.severity"] == "warning"

    results = run["results"]
    uris = {r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] for r in results}
    assert uris == {"stacks/orders.yaml", "stacks/billing.yaml"}
    assert all(r["locations"][0]["physicalLocation"]["artifactLocation"]["uriBaseId"] == "%SRCROOT%" for r in results)
    assert run["originalUriBaseIds"]["%SRCROOT%"]["uri"] == repo.resolve().as_uri() + "/"
    orders_db = next(r for r in results if r["ruleId"] == "HA101" and "suppressions" not in r)
    assert orders_db["level"] == "error"
    assert orders_db["locations"][0]["physicalLocation"]["region"]["startLine"] == 10
    assert orders_db["locations"][0]["logicalLocations"][0]["name"] == "OrdersDb"
    assert driver["rules"][orders_db["ruleIndex"]]["id"] == "HA101"
    suppressed = [r for r in results if "suppressions" in r]
    assert [(r["ruleId"], r["suppressions"][0]["kind"], r["suppressions"][0]["justification"]) for r in suppressed] == [
        ("HA101", "inSource", "billing replica, rebuilt in minutes")]
    notes = run["invocations"][0]["toolExecutionNotifications"]
    assert [n["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] for n in notes] == ["stacks/broken.yaml"]


def test_sarif_fingerprints_are_the_baseline_identity_and_survive_line_moves(repo: Path) -> None:
    def fingerprints() -> dict[tuple[str, str], str]:
        doc = sarif_of(repo, "stacks", *SELECT)
        return {(r["ruleId"], r["locations"][0]["logicalLocations"][0]["name"]): r["partialFingerprints"]["haLintIdentity/v1"]
                for r in doc["runs"][0]["results"]
                if r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] == "stacks/orders.yaml"}

    before = fingerprints()
    assert set(before) == {("HA101", "OrdersDb"), ("NS401", "BastionSg")}
    ha_lint("stacks", *SELECT, "--write-baseline", "baseline.json", cwd=repo)
    baseline = json.loads((repo / "baseline.json").read_text())
    assert {e["fingerprint"] for e in baseline["findings"] if e["file"] == "stacks/orders.yaml"} == set(before.values())
    template = repo / "stacks" / "orders.yaml"
    template.write_text(template.read_text().replace("Resources:\n", "Metadata:\n  Owner: orders\nResources:\n"))
    assert fingerprints() == before
    # A finding on another resource of the same rule gets its own fingerprint.
    template.write_text(template.read_text().replace("  BastionSg:", "  OtherDb:\n    Type: AWS::RDS::DBInstance\n"
                                                     "    Properties: {Engine: mysql}\n  BastionSg:"))
    after = fingerprints()
    assert after[("HA101", "OtherDb")] not in before.values()


def test_junit_has_one_testcase_per_rule_and_file(repo: Path) -> None:
    out = repo / "junit.xml"
    run = ha_lint("stacks", *SELECT, "--format", f"junit:{out}", cwd=repo)
    assert run.returncode == 1
    suite = ET.parse(out).getroot().find("testsuite")
    assert suite is not None
    cases = {(c.get("classname"), c.get("name")): c for c in suite.findall("testcase")}
    rules = ["HA101 rds-instance-single-az", "NS401 sg-admin-port-open", "HL001 suppression-without-reason",
             "HL002 suppression-unknown-rule", "HL003 suppression-unused"]
    for file in ("stacks/orders.yaml", "stacks/billing.yaml"):
        for rule in rules:
            assert (file, rule) in cases
    assert len(cases) == 2 * len(rules) + 1  # + the file that could not be loaded
    failure = cases[("stacks/orders.yaml", "HA101 rds-instance-single-az")].find("failure")
    assert failure is not None and failure.get("type") == "high"
    assert "stacks/orders.yaml:10: OrdersDb: RDS instance `OrdersDb`" in (failure.text or "")
    assert cases[("stacks/billing.yaml", "HA101 rds-instance-single-az")].find("failure") is None  # suppressed
    assert cases[("stacks/broken.yaml", "load")].find("error") is not None
    assert suite.get("tests") == str(len(cases)) and suite.get("failures") == "3" and suite.get("errors") == "1"


def test_github_annotations(repo: Path) -> None:
    run = ha_lint(str(repo / "stacks"), *SELECT, "--format", "github", cwd=repo.parent)
    lines = run.stdout.splitlines()
    assert "::error file=stacks/orders.yaml,line=10,title=HA101 rds-instance-single-az [high] on OrdersDb::" \
           "RDS instance `OrdersDb` runs in a single Availability Zone" in "\n".join(lines)
    assert any(line.startswith("::error file=stacks/broken.yaml,line=") and "title=ha-lint%3A file not loaded" in line
               for line in lines)
    assert all(line.startswith("::") for line in lines)
    # Workflow-command escaping: one line per annotation, property separators escaped.
    assert annotation("warning", "a\nb 100%", "x,y.yaml", 3, "T: 1") == \
        "::warning file=x%2Cy.yaml,line=3,title=T%3A 1::a%0Ab 100%25"


def test_markdown_summary(repo: Path) -> None:
    env = {"GITHUB_SERVER_URL": "https://github.com", "GITHUB_REPOSITORY": "acme/infra", "GITHUB_SHA": "abc123"}
    run = ha_lint("stacks", *SELECT, "--format", "markdown", cwd=repo, env=env)
    text = run.stdout
    assert text.startswith("## ha-lint: 3 findings\n")
    assert "| high | medium | low | info | suppressed | baselined | files not loaded |" in text
    assert "| 3 | 0 | 0 | 0 | 1 | 0 | 1 |" in text
    row = next(line for line in text.splitlines() if "OrdersDb" in line and "HA101" in line)
    assert "[HA101](https://github.com/ha-lint/ha-lint/blob/v0.1.0/docs/rules/HA101.md)" in row  # its page at the tag
    assert "[`stacks/orders.yaml:10`](https://github.com/acme/infra/blob/abc123/stacks/orders.yaml#L10)" in row
    assert "### Files that could not be loaded" in text


def test_several_formats_at_once(repo: Path) -> None:
    run = ha_lint("stacks", *SELECT, "--format", "text", "--format", "sarif:out.sarif", "--format", "junit:out.xml",
                  "--no-color", cwd=repo)
    assert run.returncode == 1
    assert "HA101 rds-instance-single-az [high] OrdersDb" in run.stdout  # text on standard output
    jsonschema.validate(json.loads((repo / "out.sarif").read_text()), SCHEMA)
    assert ET.parse(repo / "out.xml").getroot().tag == "testsuites"
