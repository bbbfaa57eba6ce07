"""Hostile and broken input: whatever a file holds, one clear error item for it, and every
other file of the same scan still yields its findings.

Each test builds a small repository of files written for the purpose, next to two good
files with known findings (``fixtures/HA101/cfn_bad.yaml`` and ``tf_bad/``), then runs
ha-lint for real, through the scan API and as a subprocess, and asserts the exact error
items (file, line, message) and that the good files' findings are intact. Nothing here may
hang: in-process scans run under an alarm, subprocesses under a timeout.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

import pytest

from conftest import FIXTURES, CliRun, expected_findings, run_cli
from ha_lint.engine import all_rules
from ha_lint.pool import INTERNAL_ERROR
from ha_lint.scan import ScanResult, ScanSettings, scan

HA101 = [cls() for cls in all_rules() if cls.id == "HA101"]
GOOD = {("good.yaml", line) for file, line, _ in expected_findings(FIXTURES / "HA101") if file == "cfn_bad.yaml"} | \
       {("good_tf/main.tf", line) for file, line, _ in expected_findings(FIXTURES / "HA101") if file == "tf_bad/main.tf"}
CFN_HEAD = 'AWSTemplateFormatVersion: "2010-09-09"\nDescription: orders service\n'


@contextmanager
def hard_limit(seconds: int) -> Iterator[None]:
    """Fail (never hang) if the block runs longer than ``seconds``."""
    def expire(signum, frame):  # noqa: ANN001
        raise AssertionError(f"did not finish within {seconds} s")

    previous = signal.signal(signal.SIGALRM, expire)
    signal.alarm(seconds)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)


def make_repo(root: Path, files: dict[str, str | bytes] | None = None) -> Path:
    """The good files with known HA101 findings, plus ``files`` (path -> content)."""
    root.mkdir(parents=True, exist_ok=True)
    shutil.copy(FIXTURES / "HA101" / "cfn_bad.yaml", root / "good.yaml")
    shutil.copytree(FIXTURES / "HA101" / "tf_bad", root / "good_tf")
    for name, content in (files or {}).items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content, encoding="utf-8")
    return root


def scan_api(root: Path, **options) -> ScanResult:  # noqa: ANN003
    options.setdefault("jobs", 1)
    with hard_limit(120):
        return scan(ScanSettings(paths=[str(root)], **options), HA101)


def errors_of(result: ScanResult, root: Path) -> set[tuple[str, int | None, str]]:
    return {(os.path.relpath(e.file, root), e.line, e.message) for e in result.errors}


def good_findings(result: ScanResult, root: Path) -> set[tuple[str, int]]:
    return {(os.path.relpath(f.file, root), f.line) for f in result.findings
            if os.path.relpath(f.file, root).startswith("good")}


def cli(*args: str, cwd: Path, prefix: list[str] | None = None) -> CliRun | subprocess.CompletedProcess[str]:
    """The CLI in this process; under a command prefix (another user) in a process of its own."""
    if not prefix:
        return run_cli(*args, cwd=cwd)
    return subprocess.run([*prefix, sys.executable, "-m", "ha_lint", *args], capture_output=True, text=True,
                          cwd=cwd, timeout=180)


def cli_json(root: Path, *args: str, paths: tuple[str, ...] = (".",), prefix: list[str] | None = None) -> tuple[int, dict, str]:
    run = cli(*paths, "--format", "json", "--select", "HA101", "--no-cache", "--no-config", "-j", "1", *args,
              cwd=root, prefix=prefix)
    assert "Traceback" not in run.stderr, run.stderr
    return run.returncode, json.loads(run.stdout), run.stderr


def cli_errors(report: dict) -> set[tuple[str, int | None, str]]:
    return {(e["file"], e["line"], e["message"]) for e in report["errors"]}


def cli_good(report: dict) -> set[tuple[str, int]]:
    return {(f["file"], f["line"]) for f in report["findings"] if f["file"].startswith("good")}


def check_both(root: Path, expected: set[tuple[str, int | None, str]], *args: str, **options) -> ScanResult:  # noqa: ANN003
    """The scan API and the CLI give exactly ``expected`` as error items, the good files'
    findings are intact, and nothing is an internal error or a rule failure."""
    result = scan_api(root, **options)
    assert errors_of(result, root) == expected
    assert good_findings(result, root) == GOOD
    assert result.rule_failures == [] and not any(INTERNAL_ERROR in e.message for e in result.errors)
    code, report, _ = cli_json(root, *args)
    assert cli_errors(report) == expected
    assert cli_good(report) == GOOD
    assert code == 1  # the good files' findings fail the run (and so would the errors)
    return result


# -- malformed YAML, JSON and HCL ---------------------------------------------------------------

MALFORMED = {
    "truncated.yaml": CFN_HEAD + "Resources:\n  Db:\n    Type: AWS::RDS::DBInstance\n    Properties:\n"
                                 "      VPCSecurityGroups: [sg-1, sg-2\n",
    "indent.yaml": CFN_HEAD + "Resources:\n  Db:\n    Type: AWS::RDS::DBInstance\n   Properties:\n      MultiAZ: false\n",
    "tabs.yaml": CFN_HEAD + "Resources:\n  Db:\n\tType: AWS::RDS::DBInstance\n",
    "dup_key.yaml": CFN_HEAD + "Resources:\n  Db:\n    Type: AWS::RDS::DBInstance\n    Properties:\n"
                               "      MultiAZ: false\n      MultiAZ: true\n",
    "two_docs.yaml": CFN_HEAD + "Resources: {}\n---\nResources: {}\n",
    "colon.yaml": CFN_HEAD + "Resources:\n  Db:\n    Type: AWS::RDS::DBInstance\n    Properties:\n"
                             "      DBName: orders: primary\n",
    "truncated.json": '{\n  "AWSTemplateFormatVersion": "2010-09-09",\n  "Resources": {\n    "Db": {\n'
                      '      "Type": "AWS::RDS::DBInstance",\n      "Properties": {"MultiAZ": false}\n    }\n',
    "dup_key.json": '{\n  "AWSTemplateFormatVersion": "2010-09-09",\n  "Resources": {\n'
                    '    "Logs": {"Type": "AWS::S3::Bucket"},\n    "Logs": {"Type": "AWS::S3::Bucket"}\n  }\n}\n',
    "unbalanced/main.tf": 'resource "aws_db_instance" "orders" {\n  engine   = "postgres"\n  multi_az = false\n',
    "extra_brace/main.tf": 'resource "aws_db_instance" "orders" {\n  engine = "postgres"\n}\n}\n',
    "dup_attr/main.tf": 'resource "aws_db_instance" "orders" {\n  engine   = "postgres"\n  multi_az = true\n'
                        '  multi_az = false\n}\n',
    "heredoc/main.tf": 'resource "aws_iam_policy" "p" {\n  policy = <<POLICY\n{"Version": "2012-10-17"}\n}\n',
    "half_expr/main.tf": 'locals {\n  azs = 1 +\n',
    "paren/main.tf": 'resource "aws_db_instance" "orders" {\n  engine = lower("POSTGRES"\n}\n',
    "stray/main.tf": 'resource "aws_db_instance" "orders" {\n  engine = @postgres\n}\n',
}

MALFORMED_ERRORS = {
    ("truncated.yaml", 8, "not valid YAML: the file ends before the '[' list that starts at line 7 is closed "
                          "(truncated?)"),
    ("indent.yaml", 6, "not valid YAML: bad indentation at line 6, column 4: it does not line up with the keys of "
                       "the mapping that starts at line 4"),
    ("tabs.yaml", 5, "not valid YAML: a tab character at line 5, column 1; YAML indentation must use spaces, not tabs"),
    ("dup_key.yaml", 8, "not valid YAML: key 'MultiAZ' appears twice in the same mapping (lines 7 and 8); "
                        "keep one of them"),
    ("two_docs.yaml", 4, "not valid YAML: a second document starts at line 4 ('---'); a template is one document"),
    ("colon.yaml", 7, "not valid YAML: unexpected ':' at line 7, column 21 (a value holding ': ' must be quoted, "
                      "or the indentation is wrong)"),
    ("truncated.json", 8, "not valid JSON: the file ends before the '{' mapping that starts at line 3 is closed "
                          "(truncated?)"),
    ("dup_key.json", 5, "not valid JSON: key 'Logs' appears twice in the same mapping (lines 4 and 5); "
                        "keep one of them"),
    ("unbalanced/main.tf", 1, "not valid HCL: the file ends before the '{' at line 1 is closed (a missing '}'?)"),
    ("extra_brace/main.tf", 4, "not valid HCL: unexpected '}' at line 4, column 1: it closes nothing (one too many?)"),
    ("dup_attr/main.tf", 4, "not valid HCL: the attribute 'multi_az' is set more than once in the same block "
                            "(lines 3 and 4); Terraform refuses this (\"Attribute redefined\"): keep one"),
    ("heredoc/main.tf", 2, "not valid HCL: the heredoc <<POLICY that starts at line 2, column 12 is never closed: "
                           "it needs a line holding only POLICY"),
    ("half_expr/main.tf", 1, "not valid HCL: the file ends before the '{' at line 1 is closed (a missing '}'?)"),
    ("paren/main.tf", 3, "not valid HCL: '}' at line 3, column 1 comes before ')': a '(' is not closed"),
    ("stray/main.tf", 2, "not valid HCL: unexpected '@postgres' at line 2, column 12"),
}


def test_malformed_yaml_json_and_hcl_are_one_error_each(tmp_path: Path) -> None:
    root = make_repo(tmp_path / "repo", MALFORMED)
    check_both(root, MALFORMED_ERRORS)
    run = cli(".", "--select", "HA101", "--no-cache", "--no-config", "--no-color", cwd=root)
    assert "Files that could not be loaded" in run.stdout
    assert "  dup_attr/main.tf:4: not valid HCL: the attribute 'multi_az' is set more than once" in run.stdout
    assert "Traceback" not in run.stdout + run.stderr and "Token(" not in run.stdout


def test_heredoc_closed_with_trailing_blanks_loads_as_terraform_reads_it(tmp_path: Path) -> None:
    # Terraform ends a heredoc at "POLICY  " (trailing blanks); python-hcl2 alone would not.
    root = make_repo(tmp_path / "repo", {"policy/main.tf": (
        'resource "aws_kms_key" "orders" {\n  description = "orders"\n  policy      = <<POLICY\n'
        '{"Version": "2012-10-17", "Statement": []}\nPOLICY  \n}\n\n'
        'resource "aws_db_instance" "orders" {\n  engine         = "postgres"\n  instance_class = "db.m6g.large"\n'
        '  multi_az       = false\n}\n')})
    result = scan_api(root)
    assert errors_of(result, root) == set()
    assert ("policy/main.tf", 11) in {(os.path.relpath(f.file, root), f.line) for f in result.findings}
    assert good_findings(result, root) == GOOD


# -- templates of the wrong shape --------------------------------------------------------------

SHAPES = {
    "resources_list.yaml": CFN_HEAD + "Resources:\n  - Db:\n      Type: AWS::RDS::DBInstance\n",
    "no_type.yaml": CFN_HEAD + "Resources:\n  Logs:\n    Type: AWS::S3::Bucket\n  Db:\n    Properties:\n"
                               "      MultiAZ: false\n",
    "type_number.yaml": CFN_HEAD + "Resources:\n  Db:\n    Type: 42\n",
    "props_list.yaml": CFN_HEAD + "Resources:\n  Db:\n    Type: AWS::RDS::DBInstance\n    Properties:\n      - MultiAZ\n",
    "props_text.json": '{"AWSTemplateFormatVersion": "2010-09-09",\n "Resources": {\n  "Db": {\n'
                       '   "Type": "AWS::RDS::DBInstance",\n   "Properties": "MultiAZ"\n  }\n }\n}\n',
    "props_ref.yaml": CFN_HEAD + "Resources:\n  Db:\n    Type: AWS::RDS::DBInstance\n    Properties: !Ref DbSettings\n",
    "two_problems.yaml": CFN_HEAD + "Resources:\n  A:\n    Properties: {}\n  B: just text\n",
    "parameters_list.yaml": CFN_HEAD + "Parameters:\n  - Env\nResources:\n  Logs:\n    Type: AWS::S3::Bucket\n",
    # Terraform blocks with missing or extra labels (Terraform: "Missing name for resource").
    "one_label/main.tf": 'resource "aws_db_instance" {\n  engine   = "postgres"\n  multi_az = false\n}\n',
    "no_label/main.tf": 'variable {\n  default = "x"\n}\n',
    "three_labels/main.tf": 'resource "aws_db_instance" "orders" "extra" {\n  engine = "postgres"\n}\n',
    "labelled_locals/main.tf": 'locals "names" {\n  env = "prod"\n}\n',
}

SHAPE_ERRORS = {
    ("resources_list.yaml", 3, "not a valid CloudFormation template: Resources must be a mapping of names to "
                               "declarations, not a list"),
    ("no_type.yaml", 6, "not a valid CloudFormation template: resource Db has no Type (such as AWS::S3::Bucket)"),
    ("type_number.yaml", 5, "not a valid CloudFormation template: resource Db has a Type that is the number 42, "
                            "not a resource type name (such as AWS::S3::Bucket)"),
    ("props_list.yaml", 6, "not a valid CloudFormation template: resource Db has Properties that are a list, "
                           "not a mapping of property names to values"),
    ("props_text.json", 5, "not a valid CloudFormation template: resource Db has Properties that are the text "
                           "'MultiAZ', not a mapping of property names to values"),
    ("props_ref.yaml", 6, "not a valid CloudFormation template: resource Db has Properties given by Ref; they must "
                          "be a mapping of property names to values (or an Fn::If choosing between such mappings)"),
    ("two_problems.yaml", 4, "not a valid CloudFormation template: resource A has no Type (such as AWS::S3::Bucket) "
                             "(and 1 more problem like it)"),
    ("parameters_list.yaml", 3, "not a valid CloudFormation template: Parameters must be a mapping of names to "
                                "declarations, not a list"),
    ("one_label/main.tf", 1, "not valid Terraform: the resource block at line 1 has 1 label ('aws_db_instance'); a "
                             "resource block needs 2 labels: its type and its name, as in "
                             'resource "aws_db_instance" "main" { ... }'),
    ("no_label/main.tf", 1, "not valid Terraform: the variable block at line 1 has 0 labels; a variable block needs "
                            '1 label: its name, as in variable "main" { ... }'),
    ("three_labels/main.tf", 1, "not valid Terraform: the resource block at line 1 has 3 labels ('aws_db_instance' "
                                "'orders' 'extra'); a resource block needs 2 labels: its type and its name, as in "
                                'resource "aws_db_instance" "main" { ... }'),
    ("labelled_locals/main.tf", 1, "not valid Terraform: the locals block at line 1 has 1 label ('names'); a locals "
                                   "block takes no labels, as in locals { ... }"),
}


def test_templates_of_the_wrong_shape_are_one_error_each(tmp_path: Path) -> None:
    root = make_repo(tmp_path / "repo", SHAPES)
    check_both(root, SHAPE_ERRORS)


def test_valid_shapes_that_look_odd_load_without_error(tmp_path: Path) -> None:
    """Fn::ForEach (LanguageExtensions), a pre-processor's Type tag (Rain), Properties chosen by
    Fn::If (valid CloudFormation), a JSON that only embeds a template (a Lambda test event), an
    empty Resources: no error; the Fn::If properties are checked per branch."""
    root = make_repo(tmp_path / "repo", {
        "foreach.yaml": CFN_HEAD + "Transform: AWS::LanguageExtensions\nResources:\n  Fn::ForEach::Buckets:\n"
                                   "    - Name\n    - [Logs, Assets]\n    - ${Name}Bucket:\n"
                                   "        Type: AWS::S3::Bucket\n",
        "rain.yaml": CFN_HEAD + "Resources:\n  Site:\n    Type: !Rain::Module ./site.yaml\n",
        "event.json": '{"requestId": 1, "fragment": {"Resources": {"B": {"Type": "AWS::S3::Bucket"}}}}\n',
        "empty.yaml": CFN_HEAD + "Resources:\n",
        "props_if.yaml": CFN_HEAD + "Parameters:\n  Env:\n    Type: String\n    AllowedValues: [prod, dev]\n"
                                    "Conditions:\n  IsProd: !Equals [!Ref Env, prod]\nResources:\n  Db:\n"
                                    "    Type: AWS::RDS::DBInstance\n    Properties: !If\n      - IsProd\n"
                                    "      - Engine: postgres\n        DBInstanceClass: db.m6g.large\n"
                                    "        MultiAZ: true\n      - Engine: postgres\n"
                                    "        DBInstanceClass: db.t3.medium\n        MultiAZ: false\n",
    })
    result = scan_api(root)
    assert errors_of(result, root) == set()
    assert result.rule_failures == []
    found = {(os.path.relpath(f.file, root), f.line): f for f in result.findings}
    assert set(found) == GOOD | {("props_if.yaml", 19)}  # the dev branch's MultiAZ: false
    assert "when condition IsProd false" in found[("props_if.yaml", 19)].message


def test_property_values_of_the_wrong_type_are_unknown_never_findings_nor_crashes(tmp_path: Path) -> None:
    root = make_repo(tmp_path / "repo", {
        "odd_values.yaml": CFN_HEAD + "Resources:\n  Db:\n    Type: AWS::RDS::DBInstance\n    Properties:\n"
                                      "      Engine: [postgres]\n      MultiAZ: {Enabled: false}\n"
                                      "      BackupRetentionPeriod: [7]\n      DeletionProtection: maybe\n"
                                      "  Sg:\n    Type: AWS::EC2::SecurityGroup\n    Properties:\n"
                                      "      GroupDescription: odd\n      SecurityGroupIngress: all\n",
        "odd_values/main.tf": 'resource "aws_db_instance" "orders" {\n  engine   = ["postgres"]\n'
                              '  multi_az = { enabled = false }\n  backup_retention_period = "seven"\n}\n'
                              'resource "aws_security_group" "web" {\n  ingress = "all"\n}\n',
    })
    result = scan(ScanSettings(paths=[str(root)], jobs=1), [cls() for cls in all_rules()])
    assert errors_of(result, root) == set() and result.rule_failures == []
    ha101 = {(os.path.relpath(f.file, root), f.line) for f in result.findings if f.rule_id == "HA101"}
    assert ha101 == GOOD  # MultiAZ {Enabled: false} and multi_az = {...} are not "false"
    assert not [f for f in result.findings if f.rule_id == "BK202" and "odd_values" in f.file]


# -- unsafe and explosive YAML ------------------------------------------------------------------

def billion_laughs(levels: int = 9) -> str:
    text = CFN_HEAD + "Resources:\n  Logs:\n    Type: AWS::S3::Bucket\n    Metadata:\n"
    text += '      l0: &l0 ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]\n'
    for i in range(1, levels):
        text += f"      l{i}: &l{i} [" + ", ".join([f"*l{i - 1}"] * 9) + "]\n"
    return text


def test_unsafe_and_explosive_yaml_is_refused_quickly(tmp_path: Path) -> None:
    marker = tmp_path / "PWNED"
    deep_yaml = CFN_HEAD + "Resources:\n  Logs:\n    Type: AWS::S3::Bucket\n    Metadata:\n      x: " \
        + "[" * 5000 + "]" * 5000 + "\n"
    deep_json = '{"AWSTemplateFormatVersion": "2010-09-09",\n"Resources": {"Logs": {"Type": "AWS::S3::Bucket",\n' \
        '"Metadata": ' + "[" * 300 + "]" * 300 + "}}}\n"
    root = make_repo(tmp_path / "repo", {
        "python_tag.yaml": CFN_HEAD + f'Resources:\n  X: !!python/object/apply:os.system ["touch {marker}"]\n',
        "python_name.yaml": CFN_HEAD + "Resources:\n  Logs:\n    Type: AWS::S3::Bucket\n"
                                       "    Metadata: !!python/name:os.system\n",
        "laughs.yaml": billion_laughs(),
        # An anchor that contains its own alias expands for ever.
        "recursive.yaml": CFN_HEAD + "Resources:\n  Logs:\n    Type: AWS::S3::Bucket\n    Metadata: &m [1, *m]\n",
        "deep.yaml": deep_yaml,
        "deep.json": deep_json,
        "deep_tf/main.tf": "locals {\n  x = " + "[" * 3000 + "]" * 3000 + "\n}\n",
    })
    started = time.monotonic()
    check_both(root, {
        ("python_tag.yaml", 4, "not valid YAML: the tag !!python/object/apply:os.system at line 4 is refused: a "
                               "template is plain data, and ha-lint never builds objects from it (CloudFormation's "
                               "own tags are !Ref, !Sub, !GetAtt ...)"),
        ("python_name.yaml", 6, "not valid YAML: the tag !!python/name:os.system at line 6 is refused: a template is "
                                "plain data, and ha-lint never builds objects from it (CloudFormation's own tags are "
                                "!Ref, !Sub, !GetAtt ...)"),
        ("laughs.yaml", 8, "not valid YAML: its aliases (*name, first at line 8) expand to more than 250,000 values "
                           "(an alias bomb?); not loaded"),
        ("recursive.yaml", 6, "not valid YAML: its aliases (*name, first at line 6) expand to more than 250,000 "
                              "values (an alias bomb?); not loaded"),
        ("deep.yaml", 7, "nests deeper than 200 levels (at line 7); a template is never this deep, not loaded"),
        ("deep.json", 3, "nests deeper than 200 levels (at line 3); a template is never this deep, not loaded"),
        ("deep_tf/main.tf", 2, "nests too deeply to parse (brackets inside brackets, deepest at line 2); a Terraform "
                               "file is never this deep, not loaded"),
    })
    assert not marker.exists()  # nothing from a template ever runs
    assert time.monotonic() - started < 90


# -- large, binary and oddly encoded files ------------------------------------------------------

def test_large_binary_and_badly_encoded_files(tmp_path: Path) -> None:
    good = (FIXTURES / "HA101" / "cfn_bad.yaml").read_bytes()
    padding = "".join(f"  Logs{i}:\n    Type: AWS::S3::Bucket\n" for i in range(400))
    root = make_repo(tmp_path / "repo", {
        "huge.yaml": CFN_HEAD + "Resources:\n" + padding,
        "huge/main.tf": "".join(f'resource "aws_s3_bucket" "b{i}" {{\n  bucket = "b{i}"\n}}\n' for i in range(400)),
        "logo.yaml": b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x10",
        "binary/main.tf": b"\x7fELF\x02\x01\x01\x00\x00\x00",
        "stack.template": b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\x03",
        "latin1.yaml": (CFN_HEAD + "Resources:\n  Logs:\n    Type: AWS::S3::Bucket\n    Metadata: {owner: José}\n")
        .encode("latin-1"),
        "utf16.yaml": (CFN_HEAD + "Resources: {}\n").encode("utf-16"),
        "utf16_nobom.json": '{"AWSTemplateFormatVersion": "2010-09-09", "Resources": {}}'.encode("utf-16-le"),
        # A BOM and CRLF line endings must load, with the same lines as the plain file.
        "bom.yaml": b"\xef\xbb\xbf" + good,
        "crlf.yaml": good.replace(b"\n", b"\r\n"),
        "bom_crlf/main.tf": b"\xef\xbb\xbf" + (FIXTURES / "HA101" / "tf_bad" / "main.tf").read_bytes().replace(b"\n", b"\r\n"),
    })
    size_of = {name: (root / name).stat().st_size for name in ("huge.yaml", "huge/main.tf")}
    expected = {
        ("huge.yaml", None, f"is {size_of['huge.yaml']:,} bytes, over the 8,000-byte limit (--max-file-size); "
                            "not scanned"),
        ("huge/main.tf", None, f"is {size_of['huge/main.tf']:,} bytes, over the 8,000-byte limit (--max-file-size); "
                               "not scanned"),
        ("logo.yaml", None, "is a binary file (it contains NUL bytes), not a template"),
        ("binary/main.tf", None, "is a binary file (it contains NUL bytes), not a template"),
        ("stack.template", None, "is a binary file (it contains NUL bytes), not a template"),
        ("latin1.yaml", 6, "is not valid UTF-8: byte 0xe9 at line 6, column 26 (saved in another encoding, such as "
                           "Latin-1?); save it as UTF-8"),
        ("utf16.yaml", 1, "is encoded as UTF-16; CloudFormation and Terraform templates are read as UTF-8: save it "
                          "as UTF-8"),
        ("utf16_nobom.json", 1, "is encoded as UTF-16 (every other byte is zero); save it as UTF-8"),
    }
    result = scan_api(root, max_file_size=8000)
    assert errors_of(result, root) == expected
    found = {(os.path.relpath(f.file, root), f.line) for f in result.findings}
    plain = {line for file, line in GOOD if file == "good.yaml"}
    assert {line for file, line in found if file == "bom.yaml"} == plain
    assert {line for file, line in found if file == "crlf.yaml"} == plain
    assert {line for file, line in found if file == "bom_crlf/main.tf"} == {line for f, line in GOOD if f != "good.yaml"}
    assert good_findings(result, root) == GOOD
    code, report, _ = cli_json(root, "--max-file-size", "8000")
    assert cli_errors(report) == expected and cli_good(report) == GOOD and code == 1


def test_limits_are_checked_as_usage_errors(tmp_path: Path) -> None:
    root = make_repo(tmp_path / "repo")
    for option, value, message in (("--max-file-size", "0", "--max-file-size must be at least 1 byte"),
                                   ("--file-timeout", "-1", "--file-timeout must be 0 (no limit) or more seconds")):
        run = cli(".", option, value, cwd=root)
        assert run.returncode == 2 and f"ha-lint: error: {message}" in run.stderr


# -- file-system trouble ------------------------------------------------------------------------

def test_pipes_sockets_and_symbolic_links_never_hang_the_scan(tmp_path: Path) -> None:
    root = make_repo(tmp_path / "repo", {"templates.yaml/stack.yaml": (FIXTURES / "HA101" / "cfn_bad.yaml").read_text()})
    os.mkfifo(root / "pipe.yaml")  # opening it for reading would wait for a writer for ever
    os.mkfifo(root / "pipe_tf.tf")
    server = socket.socket(socket.AF_UNIX)
    server.bind(str(root / "socket.json"))
    (root / "broken.yaml").symlink_to("deleted.yaml")
    (root / "loop_a.yaml").symlink_to("loop_b.yaml")
    (root / "loop_b.yaml").symlink_to("loop_a.yaml")
    (root / "linked_dir").symlink_to(root, target_is_directory=True)  # a directory loop: never followed
    expected = {
        ("pipe.yaml", None, "is a named pipe (FIFO), not a regular file; not scanned"),
        ("pipe_tf.tf", None, "is a named pipe (FIFO), not a regular file; not scanned"),
        ("socket.json", None, "is a socket, not a regular file; not scanned"),
        ("broken.yaml", None, "is a broken symbolic link (its target deleted.yaml does not exist); not scanned"),
        ("loop_a.yaml", None, "is a symbolic link that loops (it leads back to itself); not scanned"),
        ("loop_b.yaml", None, "is a symbolic link that loops (it leads back to itself); not scanned"),
    }
    try:
        result = check_both(root, expected)
        # A directory named like a template is a directory: scanned inside, not an error.
        assert {f.line for f in result.findings if f.file.endswith("templates.yaml/stack.yaml")} == \
               {line for file, line in GOOD if file == "good.yaml"}
        # Named on the command line, a pipe is the same clear error, not a hang.
        code, report, _ = cli_json(root, paths=("pipe.yaml", "good.yaml"))
        assert ("pipe.yaml", None, "is a named pipe (FIFO), not a regular file; not scanned") in cli_errors(report)
        # In a repository, one Terraform file (pre-commit) makes ha-lint look through every .tf
        # file for the module's callers: the pipe among them is passed over, not waited on.
        (root / ".git").mkdir()
        code, report, _ = cli_json(root, paths=("good_tf/main.tf",))
        assert cli_errors(report) == set() and cli_good(report) == {g for g in GOOD if g[0] == "good_tf/main.tf"}
    finally:
        server.close()


def test_a_path_that_does_not_exist_is_a_usage_error(tmp_path: Path) -> None:
    root = make_repo(tmp_path / "repo")
    (root / "dangling.yaml").symlink_to("nowhere.yaml")
    for missing in ("no/such/dir", "dangling.yaml"):
        run = cli(missing, "good.yaml", cwd=root)
        assert run.returncode == 2
        assert run.stderr == f"ha-lint: error: path does not exist: {missing}\n" and run.stdout == ""


UNREADABLE_SCRIPT = """
import json, sys
from ha_lint.engine import all_rules
from ha_lint.scan import ScanSettings, scan
result = scan(ScanSettings(paths=[sys.argv[1]], jobs=1), [c() for c in all_rules() if c.id == "HA101"])
print(json.dumps({"errors": [[e.file, e.line, e.message] for e in result.errors],
                  "findings": [[f.file, f.line] for f in result.findings]}))
"""


def _without_root_powers() -> list[str]:
    """A command prefix under which chmod 000 really denies reading: none for a normal user;
    for root (CI), the same uid without the capabilities that bypass file permissions."""
    if os.geteuid() != 0:
        return []
    setpriv = shutil.which("setpriv")
    if setpriv is None:
        pytest.skip("running as root without setpriv: no way to make a file unreadable to ourselves")
    drop = "-dac_override,-dac_read_search"
    return [setpriv, f"--bounding-set={drop}", f"--inh-caps={drop}", "--"]


def test_unreadable_files_and_directories_are_one_error_each(tmp_path: Path) -> None:
    root = make_repo(tmp_path / "repo", {"secret.yaml": (FIXTURES / "HA101" / "cfn_bad.yaml").read_text(),
                                         "locked/main.tf": 'resource "aws_s3_bucket" "b" {}\n',
                                         "secret_tf/main.tf": 'resource "aws_s3_bucket" "b" {}\n'})
    prefix = _without_root_powers()
    (root / "secret.yaml").chmod(0)
    (root / "secret_tf" / "main.tf").chmod(0)
    (root / "locked").chmod(0)
    try:
        expected = {
            ("secret.yaml", None, "cannot be read: Permission denied"),
            ("secret_tf/main.tf", None, "cannot be read: Permission denied"),
            ("locked", None, "directory cannot be read: Permission denied; not scanned"),
        }
        code, report, _ = cli_json(root, prefix=prefix)
        assert cli_errors(report) == expected and cli_good(report) == GOOD
        api = subprocess.run([*prefix, sys.executable, "-c", UNREADABLE_SCRIPT, str(root)], capture_output=True,
                             text=True, timeout=120)
        assert api.returncode == 0, api.stderr
        outcome = json.loads(api.stdout)
        assert {(os.path.relpath(f, root), line, m) for f, line, m in outcome["errors"]} == expected
        assert {(os.path.relpath(f, root), line) for f, line in outcome["findings"]} == GOOD
    finally:
        (root / "locked").chmod(0o755)


# -- reference trouble ------------------------------------------------------------------------

REFERENCES_CFN = CFN_HEAD + """\
Conditions:
  IsPrimary: !Condition IsSecondary
  IsSecondary: !Condition IsPrimary
Resources:
  OrdersDb:
    Type: AWS::RDS::DBInstance
    DependsOn: [OrdersCache, NoSuchResource]
    Condition: IsPrimary
    Properties:
      Engine: postgres
      DBInstanceClass: db.m6g.large
      MultiAZ: !Ref NoSuchParameter
      DBSubnetGroupName: !Ref NoSuchGroup
      VPCSecurityGroups: [!GetAtt NoSuchSg.GroupId]
  OrdersCache:
    Type: AWS::ElastiCache::ReplicationGroup
    DependsOn: OrdersDb
    Properties:
      ReplicationGroupDescription: orders cache
      NumCacheClusters: 2
  AppSg:
    Type: AWS::EC2::SecurityGroup
    Properties:
      GroupDescription: app servers
      VpcId: vpc-0abc1234
      SecurityGroupIngress:
        - {IpProtocol: tcp, FromPort: 22, ToPort: 22, CidrIp: 0.0.0.0/0}
  AppSgFromItself:
    Type: AWS::EC2::SecurityGroupIngress
    Properties:
      GroupId: !Ref AppSg
      SourceSecurityGroupId: !GetAtt AppSg.GroupId
      IpProtocol: tcp
      FromPort: 3389
      ToPort: 3389
  Nested:
    Type: AWS::CloudFormation::Stack
    Properties:
      TemplateURL: ./stacks/missing.yaml
"""

REFERENCES_TF = """\
locals {
  multi_az = local.fallback
  fallback = local.multi_az
  vpc_id   = aws_vpc.undeclared.id
}

module "db" {
  source = "./modules/missing"
}

resource "aws_security_group" "app" {
  name   = "app"
  vpc_id = local.vpc_id

  ingress {
    from_port = 3389
    to_port   = 3389
    protocol  = "tcp"
    self      = true
  }

  ingress {
    from_port   = 22
    to_port     = 22
    protocol    = "tcp"
    cidr_blocks = ["0.0.0.0/0"]
  }
}

resource "aws_security_group_rule" "rdp_from_itself" {
  type                     = "ingress"
  from_port                = 3389
  to_port                  = 3389
  protocol                 = "tcp"
  security_group_id        = aws_security_group.app.id
  source_security_group_id = aws_security_group.app.id
  depends_on               = [aws_security_group_rule.rdp_from_itself]
}

resource "aws_db_instance" "orders" {
  engine            = "postgres"
  instance_class    = "db.m6g.large"
  multi_az          = local.multi_az
  allocated_storage = var.undeclared
  depends_on        = [aws_db_instance.replica]
}

resource "aws_db_instance" "replica" {
  engine         = "postgres"
  instance_class = "db.m6g.large"
  multi_az       = false
  depends_on     = [aws_db_instance.orders]
}
"""


def test_reference_trouble_is_no_error_and_self_referencing_groups_work(tmp_path: Path) -> None:
    """Missing targets, DependsOn and condition loops, locals naming each other: values through
    them are unknown (never findings), nothing loops for ever; a missing module or nested
    template is a warning naming the file and line. Decision: these are not load errors;
    ``cfn-lint`` and ``terraform validate`` report them, and the rest of the file is checked."""
    root = make_repo(tmp_path / "repo", {"refs.yaml": REFERENCES_CFN, "refs_tf/main.tf": REFERENCES_TF})
    rules = [cls() for cls in all_rules() if cls.id in ("HA101", "NS401")]
    with hard_limit(120):
        result = scan(ScanSettings(paths=[str(root)], jobs=1), rules)
    assert result.errors == [] and result.rule_failures == []
    found = {(os.path.relpath(f.file, root), f.line, f.rule_id) for f in result.findings}
    assert found == {(file, line, "HA101") for file, line in GOOD} | {
        ("refs.yaml", 29, "NS401"),  # SSH from the world; RDP from the group itself is fine
        ("refs_tf/main.tf", 22, "NS401"),
        ("refs_tf/main.tf", 51, "HA101"),  # the replica; orders' multi_az is a cycle: unknown
    }
    assert f"{root}/refs.yaml:41: nested stack Nested: template './stacks/missing.yaml' not found" in map(str, result.warnings)
    assert any(str(w).startswith(f"{root}/refs_tf/main.tf:7: module.db: source './modules/missing' not found")
               for w in result.warnings)
    code, report, stderr = cli_json(root, "--select", "NS401")
    assert report["errors"] == [] and {("refs.yaml", 29), ("refs_tf/main.tf", 22)} <= \
        {(f["file"], f["line"]) for f in report["findings"]}
    assert cli_good(report) == GOOD


# -- timeouts and dying workers -----------------------------------------------------------------

def slow_terraform(resources: int = 12000) -> str:
    """A real (if absurd) module, about 0.6 MB, that takes python-hcl2 seconds to parse."""
    return "".join(f'resource "aws_s3_bucket" "logs_{i}" {{\n  bucket = "orders-logs-{i}"\n'
                   f'  tags   = {{ Team = "orders", Index = "{i}" }}\n}}\n' for i in range(resources))


# An alarm can land in a gc callback (hypothesis installs one), which swallows the exception
# and reports it as "unraisable": the timer fires again 0.1 s later, and that is what is tested.
@pytest.mark.slow  # waits out a file deadline
@pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning")
def test_a_file_that_takes_too_long_is_skipped_with_an_error(tmp_path: Path) -> None:
    root = make_repo(tmp_path / "repo", {"slow/main.tf": slow_terraform()})
    expected = {("slow/main.tf", None, "took longer than 1 s to load; skipped (--file-timeout)")}
    started = time.monotonic()
    result = scan_api(root, file_timeout=1)
    assert time.monotonic() - started < 30
    assert errors_of(result, root) == expected and good_findings(result, root) == GOOD
    code, report, _ = cli_json(root, "--file-timeout", "1")
    assert cli_errors(report) == expected and cli_good(report) == GOOD
    # The per-file timer leaves a caller's own alarm running (here: this test's guard).
    with hard_limit(100):
        scan(ScanSettings(paths=[str(root / "good.yaml")], jobs=1, file_timeout=5), HA101)
        assert 0 < signal.getitimer(signal.ITIMER_REAL)[0] <= 100


# An alarm can land in a gc callback (hypothesis installs one), which swallows the exception
# and reports it as "unraisable": the timer fires again 0.1 s later, and that is what is tested.
@pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning")
def test_a_module_that_takes_too_long_to_resolve_is_skipped_and_timeouts_are_never_cached(tmp_path: Path) -> None:
    root = make_repo(tmp_path / "repo", {f"slow/part{i}.tf": slow_terraform(150) for i in range(8)})
    cache = tmp_path / "cache"
    # Parses every file into the cache; the resolution it caches is for other variables.
    warm = scan_api(root, cache_dir=cache, file_timeout=60, variables={"unused": "1"})
    assert errors_of(warm, root) == set()
    # Parsing is now a cache hit; resolving 1,200 buckets cannot fit in a millisecond.
    cold = scan_api(root, cache_dir=cache, file_timeout=0.001)
    slow = [e for e in cold.errors if os.path.relpath(e.file, root) == "slow"]
    assert [(e.line, e.message) for e in slow] == [(None, "module took longer than 0.001 s to resolve; skipped "
                                                          "(--file-timeout)")]
    again = scan_api(root, cache_dir=cache, file_timeout=60)  # no stale timeout from the cache
    assert errors_of(again, root) == set() and good_findings(again, root) == GOOD
    # That resolution is now cached, so even a millisecond budget is enough for it.
    cached = scan_api(root, cache_dir=cache, file_timeout=0.001)
    assert not [e for e in cached.errors if os.path.relpath(e.file, root) == "slow"]


@pytest.mark.slow  # kills worker processes and waits for the pool
def test_a_worker_that_dies_loses_no_file(tmp_path: Path) -> None:
    """The kernel kills a worker (as the OOM killer would) in the middle of a parallel scan:
    its unfinished files are loaded again, each in a process of its own, and nothing is lost."""
    import multiprocessing
    import threading

    good = (FIXTURES / "HA101" / "cfn_bad.yaml").read_text()
    root = make_repo(tmp_path / "repo", {**{f"stacks/s{i}.yaml": good for i in range(24)},
                                         "slow/main.tf": slow_terraform(5000)})
    killed: list[int] = []

    def kill_a_worker() -> None:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and not killed:
            workers = multiprocessing.active_children()
            if workers:
                time.sleep(0.3)
                workers = multiprocessing.active_children()
                if workers:
                    os.kill(workers[0].pid, signal.SIGKILL)
                    killed.append(workers[0].pid)
            time.sleep(0.01)

    thread = threading.Thread(target=kill_a_worker, daemon=True)
    thread.start()
    result = scan_api(root, jobs=2, file_timeout=60)
    thread.join(5)
    assert killed, "no worker was running to be killed"
    assert errors_of(result, root) == set() and result.files == 27
    per_stack = {line for file, line in GOOD if file == "good.yaml"}
    for i in range(24):
        assert {f.line for f in result.findings if f.file.endswith(f"stacks/s{i}.yaml")} == per_stack
    assert good_findings(result, root) == GOOD
