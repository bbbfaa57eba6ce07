"""Fuzzing: fixture templates mutated (bytes cut, inserted, repeated; values replaced by odd
types, intrinsics and expressions; lines moved) and scanned beside two good files.

Every case must end (under an alarm), let no exception escape, give no internal error, no
rule failure and no parser jargon, and leave the good files' findings exactly as they are.
Bounded for CI: ``FUZZ_CASES`` examples (about 20 s on one core); set ``HA_LINT_FUZZ_CASES``
to run more.
"""

from __future__ import annotations

import copy
import json
import os
import shutil
from pathlib import Path

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conftest import FIXTURES
from ha_lint.engine import all_rules
from ha_lint.pool import INTERNAL_ERROR
from ha_lint.scan import ScanSettings, scan
from test_hostile import hard_limit

pytestmark = pytest.mark.slow  # hundreds of mutated templates

FUZZ_CASES = int(os.environ.get("HA_LINT_FUZZ_CASES", "400"))
RULES = [cls() for cls in all_rules()]
SOURCES = sorted(p for p in FIXTURES.rglob("*") if p.is_file() and p.suffix in (".yaml", ".json", ".tf", ".template"))
JARGON = ("Traceback", "Token(", "Error trying to process rule", "tag:yaml.org", "<unicode string>")

ODD_VALUES = [
    None, [], {}, "x", 0, -1, 10**30, 1.5, True, [None], [[]], [{}], "0.0.0.0/0", "::/0", "-1", "*", 65536,
    {"Ref": "Nope"}, {"Ref": "AWS::NoValue"}, {"Fn::GetAtt": ["Nope", "Arn"]}, {"Fn::GetAtt": "A.B.C"},
    {"Fn::If": ["Nope", 1, [2]]}, {"Fn::If": ["IsProd", {"Ref": "AWS::NoValue"}, {"X": 1}]},
    {"Fn::Sub": ["${X}", {"X": []}]}, {"Fn::Sub": "${Nope.Arn}"}, {"Fn::Select": [9, []]}, {"Fn::Split": [1, 2]},
    {"Fn::FindInMap": ["A", "B", "C"]}, {"Fn::GetAZs": ""}, {"Fn::Cidr": ["10.0.0.0/16", 999, 8]},
    {"Fn::Join": [",", {"Ref": "AWS::NotificationARNs"}]}, {"Fn::Base64": []}, {"Condition": "Nope"},
    {"Fn::ImportValue": "x"}, {"Fn::Transform": {}}, [{"Key": None}], {"a": {"b": {"c": []}}},
    [{"IpProtocol": -1, "CidrIp": "0.0.0.0/0", "FromPort": {"Ref": "Nope"}}],
]
ODD_EXPRESSIONS = [
    "null", "[]", "{}", '"x"', "var.nope", "local.nope", "1e400", "-1", "true", "[for x in range(5): x]",
    "aws_x.y.z", "module.m.out", "each.value", "count.index", "{ a = [1, { b = null }] }", "data.aws_x.y.z[*].id",
    'cidrsubnet("10.0.0.0/16", 99, 1)', "tolist(7)", "jsonencode(null)", "[null, null]", "length(null)",
    'lookup({}, "a")', "1/0", "element([], 3)", '"0.0.0.0/0"', "[\"::/0\"]", "range(100000)",
]
BYTES = [b"\x00", b"\t", b"{", b"}", b"[", b"]", b'"', b"'", b":", b"&a ", b"*a", b"!!python/object:os.system ",
         b"\xff\xfe", b"\xc3", b"\r", b"<<EOF\n", b"${", b"- ", b"\n  ", b"---\n", b"%YAML 1.1\n", b"!Ref ",
         b"!GetAtt ", b"#", b"/*", b"\\", b"\xef\xbb\xbf"]

COUNT = {"cases": 0, "load_errors": 0, "with_findings": 0}


def _paths(node, path=()):  # noqa: ANN001, ANN202
    yield path
    if isinstance(node, dict):
        for key, value in node.items():
            yield from _paths(value, path + (key,))
    elif isinstance(node, list):
        for index, value in enumerate(node):
            yield from _paths(value, path + (index,))


def _mutate_data(draw, data: bytes, suffix: str) -> bytes:  # noqa: ANN001
    kind = draw(st.sampled_from(["cut", "delete", "insert", "repeat", "values"]))
    size = len(data)
    if kind == "cut" and size:
        return data[: draw(st.integers(0, size - 1))]
    if kind == "delete" and size:
        start = draw(st.integers(0, size - 1))
        return data[:start] + data[start + draw(st.integers(1, 40)):]
    if kind == "insert":
        at = draw(st.integers(0, size))
        return data[:at] + draw(st.sampled_from(BYTES)) + data[at:]
    if kind == "repeat" and size:
        start = draw(st.integers(0, size - 1))
        end = min(size, start + draw(st.integers(1, 80)))
        return data[:end] + data[start:end] + data[end:]
    if suffix == ".tf":
        lines = data.decode("utf-8", "replace").split("\n")
        if draw(st.booleans()) and lines:  # move, drop or copy a line
            i, j = draw(st.integers(0, len(lines) - 1)), draw(st.integers(0, len(lines) - 1))
            op = draw(st.sampled_from(["copy", "drop", "swap"]))
            if op == "copy":
                lines.insert(i, lines[j])
            elif op == "drop":
                del lines[i]
            else:
                lines[i], lines[j] = lines[j], lines[i]
        setters = [i for i, line in enumerate(lines) if "=" in line and "==" not in line]
        for _ in range(draw(st.integers(1, 4))):
            if setters:
                i = draw(st.sampled_from(setters))
                lines[i] = lines[i].split("=", 1)[0] + "= " + draw(st.sampled_from(ODD_EXPRESSIONS))
        return "\n".join(lines).encode()
    try:
        from ha_lint.loaders.cloudformation import load

        template = load(data.decode("utf-8"), "fuzz").template
    except Exception:
        return data
    focus = draw(st.booleans())
    for _ in range(draw(st.integers(1, 8))):
        paths = [p for p in _paths(template) if p and (not focus or {"Properties", "values"} & set(p))]
        if not paths:
            break
        where = draw(st.sampled_from(paths))
        node = template
        for part in where[:-1]:
            node = node[part]
        node[where[-1]] = copy.deepcopy(draw(st.sampled_from(ODD_VALUES)))
    return (json.dumps(template, indent=1) if suffix == ".json" else yaml.safe_dump(template)).encode()


def _good(result, root: Path) -> list[tuple[str, int, str, str]]:  # noqa: ANN001
    return sorted((os.path.relpath(f.file, root), f.line, f.rule_id, f.resource) for f in result.findings
                  if os.path.relpath(f.file, root).startswith("good"))


_EXPECTED: dict[str, list] = {}


def _expected(root: Path) -> list[tuple[str, int, str, str]]:
    """The good files' findings alone (once: they are the same in every case)."""
    if "good" not in _EXPECTED:
        _EXPECTED["good"] = _good(scan(ScanSettings(paths=[str(root)], jobs=1), RULES), root)
        assert len(_EXPECTED["good"]) >= 7
    return _EXPECTED["good"]


def _repo(root: Path) -> Path:
    root.mkdir(parents=True, exist_ok=True)
    shutil.copy(FIXTURES / "HA101" / "cfn_bad.yaml", root / "good.yaml")
    shutil.copytree(FIXTURES / "HA101" / "tf_bad", root / "good_tf", dirs_exist_ok=True)
    return root


@settings(max_examples=FUZZ_CASES, deadline=None, database=None, derandomize=True,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture, HealthCheck.data_too_large])
@given(data=st.data())
def test_mutated_templates_never_escape_hang_or_cost_other_files_findings(tmp_path_factory, data) -> None:  # noqa: ANN001
    root = _repo(tmp_path_factory.mktemp("fuzz"))
    expected = _expected(root)
    source = data.draw(st.sampled_from(SOURCES), label="source")
    content = source.read_bytes()
    for _ in range(data.draw(st.integers(1, 3), label="mutations")):
        content = _mutate_data(data.draw, content, source.suffix)
    if source.suffix == ".yaml" and b"AWSTemplateFormatVersion" not in content[:300]:
        content = b'AWSTemplateFormatVersion: "2010-09-09"\n' + content  # so that it is scanned as a template
    target = root / "mutated" / ("main.tf" if source.suffix == ".tf" else f"template{source.suffix}")
    target.parent.mkdir()
    target.write_bytes(content)
    with hard_limit(60):
        result = scan(ScanSettings(paths=[str(root)], jobs=1, file_timeout=20), RULES)
    COUNT["cases"] += 1
    COUNT["load_errors"] += bool(result.errors)
    COUNT["with_findings"] += any("mutated" in f.file for f in result.findings)
    assert result.rule_failures == []
    for error in result.errors:
        assert os.path.relpath(error.file, root).startswith("mutated")
        assert error.message and INTERNAL_ERROR not in error.message
        assert not any(word in error.message for word in JARGON), error.message
    assert _good(result, root) == expected


def test_fuzz_ran_its_cases() -> None:
    """Runs after the fuzz test (file order): it ran every case, and they reached both
    outcomes (files that load with findings, and files refused with an error item)."""
    if COUNT["cases"] == 0:
        return  # the fuzz test was deselected
    print(f"fuzz: {COUNT}")
    assert COUNT["cases"] >= FUZZ_CASES
    assert COUNT["load_errors"] > FUZZ_CASES // 10 and COUNT["with_findings"] > FUZZ_CASES // 10
