"""Every rule doc's Example produces its finding, and its Use instead does not: in both
languages, scanned as a user would scan them.

How a doc's examples become templates (docs/CONTRIBUTING-RULES.md tells authors):
- ``## Example``: the first ```yaml block is a CloudFormation template, or its ``Resources``
  when it has no ``Resources:``/``AWSTemplateFormatVersion:`` line; the first ```hcl block
  is a Terraform module.
- ``## Use instead``: its blocks are applied to the Example. A block of whole resources (YAML
  ``Name:`` with a ``Type:`` under it; HCL ``resource``/``data``/``module`` blocks) replaces the
  resource of that name or is added. Otherwise each top-level line (with the lines nested
  under it) replaces the Example's line that sets the same key (YAML ``Key:``, HCL ``key =``
  or ``key {``), or, where the Example has none, is added to the first resource (YAML
  ``Properties``, the HCL block's body).
"""

from __future__ import annotations

import re
import textwrap
from pathlib import Path

import pytest

from ha_lint import ruledocs
from ha_lint.engine import all_rules
from ha_lint.scan import ScanSettings, scan

RULES = all_rules(plugins=False)


def cfn_template(example: str) -> str:
    if re.search(r"^(Resources|AWSTemplateFormatVersion):", example, re.MULTILINE):
        return example
    return 'AWSTemplateFormatVersion: "2010-09-09"\nResources:\n' + textwrap.indent(example, "  ")


def _indent(line: str) -> int:
    return len(line) - len(line.lstrip())


def _yaml_block_end(lines: list[str], start: int) -> int:
    """The index after the YAML entry at ``start`` and the lines nested under it."""
    end = start + 1
    while end < len(lines) and (not lines[end].strip() or _indent(lines[end]) > _indent(lines[start])):
        end += 1
    return end


def _top_level(lines: list[str], end_of) -> list[list[str]]:
    """The top-level entries of a dedented block, each with the lines under it."""
    entries, i = [], 0
    while i < len(lines):
        if not lines[i].strip() or lines[i].lstrip().startswith("#"):
            i += 1
            continue
        end = end_of(lines, i)
        entries.append(lines[i:end])
        i = end
    return entries


def _is_resource(lines: list[str], at: int) -> bool:
    """Whether ``lines[at]`` names a resource: its first nested line is ``Type: AWS::...``
    (a property can have a ``Type`` too: SAM's ``DeadLetterQueue: {Type: SQS}``)."""
    nested = next((line for line in lines[at + 1:] if line.strip()), "")
    return _indent(nested) > _indent(lines[at]) and nested.strip().startswith("Type:") and "::" in nested


def apply_yaml(example: str, fix: str) -> str:
    lines = textwrap.dedent(example).splitlines()
    fix_lines = textwrap.dedent(fix).splitlines()
    resources = any(_is_resource(fix_lines, i) for i, line in enumerate(fix_lines) if _indent(line) == 0)
    for entry in _top_level(fix_lines, _yaml_block_end):
        key = re.compile(rf"^\s*{re.escape(entry[0].split(':', 1)[0].strip())}:(\s|$)")
        hits = [i for i, line in enumerate(lines) if key.match(line) and (not resources or _is_resource(lines, i))]
        if hits:
            at = hits[0]
            lines[at:_yaml_block_end(lines, at)] = [" " * _indent(lines[at]) + line for line in entry]
        elif resources:
            depth = next((_indent(line) for i, line in enumerate(lines) if _is_resource(lines, i)), 0)
            lines += [" " * depth + line for line in entry]
        else:
            properties = next(i for i, line in enumerate(lines) if line.strip() == "Properties:")
            depth = _indent(lines[properties]) + 2
            lines[properties + 1:properties + 1] = [" " * depth + line for line in entry]
    return "\n".join(lines) + "\n"


_HCL_BLOCK = re.compile(r"^(resource|data|module)\s")


def _hcl_end(lines: list[str], start: int) -> int:
    """The index after the HCL statement at ``start`` (brackets balanced)."""
    depth = 0
    for i in range(start, len(lines)):
        code = re.sub(r'"(?:[^"\\]|\\.)*"', '""', lines[i]).split("#")[0]
        depth += sum(code.count(c) for c in "{[(") - sum(code.count(c) for c in "}])")
        if depth <= 0:
            return i + 1
    return len(lines)


def apply_hcl(example: str, fix: str) -> str:
    lines = textwrap.dedent(example).splitlines()
    for statement in _top_level(textwrap.dedent(fix).splitlines(), _hcl_end):
        head = statement[0].strip()
        if _HCL_BLOCK.match(head):
            header = head.split("{")[0].strip()
            hits = [i for i, line in enumerate(lines) if _indent(line) == 0 and line.split("{")[0].strip() == header]
            if hits:
                lines[hits[0]:_hcl_end(lines, hits[0])] = statement
            else:
                lines += ["", *statement]
            continue
        name = re.match(r"[\w-]+", head).group(0)
        key = re.compile(rf"^\s+{re.escape(name)}\s*(=|\{{)")
        hits = [i for i, line in enumerate(lines) if key.match(line)]
        if hits:
            at = hits[0]
            lines[at:_hcl_end(lines, at)] = [" " * _indent(lines[at]) + line for line in statement]
        else:
            first = next(i for i, line in enumerate(lines) if _HCL_BLOCK.match(line))
            end = _hcl_end(lines, first)
            lines[end - 1:end - 1] = ["  " + line for line in statement]
    return "\n".join(lines) + "\n"


def examples(rule) -> dict[str, tuple[str, str]]:
    """Language -> (the Example as a file, the Example with Use instead applied)."""
    bad = ruledocs.code_blocks(ruledocs.section(rule, "Example"))
    fixes = ruledocs.code_blocks(ruledocs.section(rule, "Use instead"))
    out = {}
    for language, apply in (("yaml", apply_yaml), ("hcl", apply_hcl)):
        example = next((code for lang, code in bad if lang == language), None)
        if example is None:
            continue
        fixed = example
        for lang, code in fixes:
            if lang == language:
                fixed = apply(fixed, code)
        out[language] = (example, fixed)
    return out


def findings_of(rule, language: str, text: str, directory: Path) -> list:
    directory.mkdir(parents=True)
    if language == "yaml":
        (directory / "template.yaml").write_text(cfn_template(text))
    else:
        (directory / "main.tf").write_text(text)
    result = scan(ScanSettings(paths=[str(directory)], jobs=1), [rule()])
    assert result.errors == [], f"{rule.id} {language} example does not load: {result.errors}"
    return [f for f in result.findings if f.rule_id == rule.id]


def check_examples(rule, tmp_path: Path) -> None:
    """The Example fires in each language; Use instead applied to it does not."""
    shown = examples(rule)
    assert set(shown) == {"yaml", "hcl"}, f"{rule.id}: Example needs a yaml and an hcl block"
    for language, (example, fixed) in shown.items():
        bad = findings_of(rule, language, example, tmp_path / f"{language}_example")
        assert bad, f"{rule.id}: the {language} Example produces no {rule.id} finding:\n{example}"
        good = findings_of(rule, language, fixed, tmp_path / f"{language}_fixed")
        assert not good, (f"{rule.id}: the {language} Example with Use instead applied still fires "
                          f"({good[0].message}):\n{fixed}")


@pytest.mark.parametrize("rule", RULES, ids=[r.id for r in RULES])
def test_the_example_fires_and_the_fix_does_not(rule, tmp_path: Path) -> None:
    check_examples(rule, tmp_path)


def test_use_instead_replaces_keys_or_adds_them_and_replaces_whole_resources() -> None:
    example = "Db:\n  Type: AWS::RDS::DBInstance\n  Properties:\n    MultiAZ: false\n    Tags:\n      - {Key: a}\n"
    assert apply_yaml(example, "    MultiAZ: true\n") == (
        "Db:\n  Type: AWS::RDS::DBInstance\n  Properties:\n    MultiAZ: true\n    Tags:\n      - {Key: a}\n")
    assert apply_yaml(example, "BackupRetentionPeriod: 7\n").splitlines()[3] == "    BackupRetentionPeriod: 7"
    assert apply_yaml(example, "Db:\n  Type: AWS::RDS::DBCluster\n") == "Db:\n  Type: AWS::RDS::DBCluster\n"
    hcl = 'resource "aws_db_instance" "main" {\n  multi_az = false\n  tags = {\n    a = "b"\n  }\n}\n'
    assert apply_hcl(hcl, "  multi_az = true\n") == hcl.replace("false", "true")
    assert apply_hcl(hcl, 'tags = {}\n') == 'resource "aws_db_instance" "main" {\n  multi_az = false\n  tags = {}\n}\n'
    assert apply_hcl(hcl, "backup_retention_period = 7\n").splitlines()[-2] == "  backup_retention_period = 7"
    assert apply_hcl(hcl, 'resource "aws_db_instance" "main" {\n}\n') == 'resource "aws_db_instance" "main" {\n}\n'
