"""Budgets that really bound (issue 16, defects 2, 8 and 9): input a few kilobytes long that
asks for millions of resources, characters or items is refused before it is built, said in a
warning or error naming the file, and every other file of the scan keeps its findings.

Each test would run for minutes, or exhaust memory, without its bound: the time limits below
are what makes them fail if a bound stops working. They are CPU seconds of the scanning process
(this machine's 2 cores are shared), and the scans not about the deadline give it a minute, so
that what stops them is the budget under test.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from ha_lint.loaders.cloudformation import load
from ha_lint.model import ScanWarning
from ha_lint.resolve.cloudformation import (MAX_DEPLOYMENT_RESOURCES, MAX_DEPLOYMENT_VALUES, MAX_FOREACH_RESOURCES,
                                            CfnSettings, resolve, take_warnings)
from ha_lint.pool import INTERNAL_ERROR
from ha_lint.scan import ScanResult
from ha_lint.values import UNKNOWN
from test_hostile import GOOD, cli_good, errors_of, good_findings, make_repo, scan_api

pytestmark = pytest.mark.slow  # each test drives a scan into a limit on time, memory or size

CFN_HEAD = 'AWSTemplateFormatVersion: "2010-09-09"\n'


def warnings_of(result: ScanResult, root: Path, code: str) -> list[tuple[str, int | None, str]]:
    return [(os.path.relpath(w.file, root) if w.file else "", w.line, w.message)
            for w in result.warnings if isinstance(w, ScanWarning) and w.code == code]


def clean(result: ScanResult) -> bool:
    return result.rule_failures == [] and not any(INTERNAL_ERROR in e.message for e in result.errors)


# -- nested stacks ------------------------------------------------------------------------------


def stacks_of(count: int, child: str) -> str:
    return CFN_HEAD + "Resources:\n" + "".join(
        f"  Stack{i}:\n    Type: AWS::CloudFormation::Stack\n    Properties:\n      TemplateURL: ./{child}\n"
        for i in range(count))


def foreach_of(*sizes: int) -> str:
    """A template whose only resources come from nested Fn::ForEach loops of these sizes (the
    outermost loop's key on line 4)."""
    text = CFN_HEAD + "Transform: AWS::LanguageExtensions\nResources:\n"
    column, lead, names = 2, "  ", "ABCDEFGH"
    for depth, size in enumerate(sizes):
        items = ", ".join(f"{names[depth].lower()}{i}" for i in range(size))
        item = " " * (column + 2)
        text += f"{lead}Fn::ForEach::Loop{names[depth]}:\n{item}- {names[depth]}\n{item}- [{items}]\n{item}- "
        column, lead = column + 4, ""  # the next key follows the body's "- "
    ids = "".join("${" + names[d] + "}" for d in range(len(sizes)))
    return text + f"Queue{ids}:\n{' ' * (column + 2)}Type: AWS::SQS::Queue\n"


def fan_out(root: Path, leaf: str, shape: tuple[int, ...] = (8, 8, 7)) -> None:
    """parent.yaml nests shape[0] stacks of child1.yaml, which nests shape[1] of child2.yaml
    ...; the last level nests ``leaf``."""
    names = ["parent.yaml"] + [f"child{i}.yaml" for i in range(1, len(shape))] + ["leaf.yaml"]
    for i, count in enumerate(shape):
        (root / names[i]).write_text(stacks_of(count, names[i + 1]), encoding="utf-8")
    (root / "leaf.yaml").write_text(leaf, encoding="utf-8")


def test_foreach_of_builds_the_loops_it_says() -> None:
    """The generator above, checked once: 3 x 4 loops make 12 queues."""
    _, found = resolve(load(foreach_of(3, 4), "leaf.yaml"), CfnSettings())
    assert sorted(r.address for r in found) == sorted(f"Queuea{i}b{j}" for i in range(3) for j in range(4))


def test_nested_stack_fan_out_stops_at_one_budget_for_the_whole_deployment(tmp_path: Path) -> None:
    """8 x 8 x 7 stacks around a 44 x 44 loop would be 448 x 1,936 = 867,328 resources (96 s
    and 2.9 GB before the budget); the deployment stops at 50,000, says so once, and keeps the
    stacks it expanded whole."""
    root = make_repo(tmp_path / "repo")
    fan_out(root, foreach_of(44, 44))
    started = time.process_time()
    result = scan_api(root, file_timeout=60)
    assert time.process_time() - started < 20
    assert errors_of(result, root) == set() and clean(result)
    assert good_findings(result, root) == GOOD
    [(file, line, message)] = warnings_of(result, root, "resource-limit")
    assert (file, line) == ("parent.yaml", None)
    assert message.startswith(f"the stacks this template nests make more than {MAX_DEPLOYMENT_RESOURCES} resources "
                              f"or {MAX_DEPLOYMENT_VALUES} property values in all (each instantiation counted); "
                              "ha-lint stopped at nested stack Stack")
    assert message.endswith("the stacks expanded before it are checked, it and the rest are not")
    # Whole leaves only: 25 of them (25 x 1,936 = 48,400) plus the stacks nesting them.
    assert MAX_DEPLOYMENT_RESOURCES - 1936 < result.resources <= MAX_DEPLOYMENT_RESOURCES + 20


def one_big_bucket(tags: int) -> str:
    """One resource holding 3 x ``tags`` + 4 property values."""
    return CFN_HEAD + "Resources:\n  Bucket:\n    Type: AWS::S3::Bucket\n    Properties:\n      Tags:\n" + "".join(
        f"        - Key: k{i}\n          Value: v{i}\n" for i in range(tags))


@pytest.mark.parametrize("leaf, timeout", [(foreach_of(44, 44), "60"), (one_big_bucket(5000), "0")],
                         ids=["many-resources", "one-big-resource-no-deadline"])
def test_nested_stack_fan_out_keeps_memory_bounded(tmp_path: Path, leaf: str, timeout: str) -> None:
    """The fan-out through the command line, in one process (-j 1): its peak memory. 448
    copies of one bucket with 15,000 values would be 6.7 million values: the deployment
    budget counts values too, so even with no deadline at all it stops at 500,000."""
    root = make_repo(tmp_path / "repo")
    fan_out(root, leaf)
    measure = ("import resource, runpy, sys\n"
               "sys.argv = ['ha-lint'] + sys.argv[1:]\n"
               "try:\n    runpy.run_module('ha_lint', run_name='__main__')\n"
               "except SystemExit as exc:\n    code = exc.code\n"
               "usage = resource.getrusage(resource.RUSAGE_SELF)\n"
               "sys.stderr.write(f'cpu={usage.ru_utime + usage.ru_stime} peak-kb={usage.ru_maxrss}')\n"
               "raise SystemExit(code)\n")
    run = subprocess.run([sys.executable, "-c", measure, ".", "--format", "json", "--select", "HA101", "--no-cache",
                          "--no-config", "-j", "1", "--file-timeout", timeout],
                         capture_output=True, text=True, cwd=root, timeout=120)
    assert "Traceback" not in run.stderr and run.returncode == 1, run.stderr
    report = json.loads(run.stdout)
    assert report["errors"] == [] and cli_good(report) == GOOD
    assert [w["code"] for w in report["warnings"]] == ["resource-limit"]
    peak_mb = int(run.stderr.rsplit("peak-kb=", 1)[1]) / 1024
    cpu = float(run.stderr.rsplit("cpu=", 1)[1].split()[0])
    assert peak_mb < 500 and cpu < 30, f"peak memory {peak_mb:.0f} MB, {cpu:.1f} CPU seconds"


def test_a_loop_over_budget_inside_a_nested_stack_is_said_once(tmp_path: Path) -> None:
    """The fan-out of the issue (8 x 8 x 7 around 45 x 45 = 2,025 > 2,000 per template): the
    leaf's loop makes nothing, one warning for the leaf (not one per instantiation)."""
    root = make_repo(tmp_path / "repo")
    fan_out(root, foreach_of(45, 45))
    started = time.process_time()
    result = scan_api(root, file_timeout=60)
    assert time.process_time() - started < 20
    assert errors_of(result, root) == set() and clean(result) and good_findings(result, root) == GOOD
    assert warnings_of(result, root, "resource-limit") == [
        ("leaf.yaml", 4, f"Fn::ForEach::LoopA makes more than ha-lint expands from one template "
                         f"({MAX_FOREACH_RESOURCES} resources, 250000 values, 20000 loop items); its resources are not checked")]


# An alarm can land in a gc callback, which swallows the exception and reports it as
# "unraisable": the timer fires again 0.1 s later, and that is what is tested.
@pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning")
def test_nested_stack_expansion_runs_under_the_file_deadline(tmp_path: Path) -> None:
    """Every file is a cache hit, so only the expansion (64 x 400 resources) runs against a
    millisecond: it is cut short, one error names the parent, the nested templates are judged
    on their own defaults, and the other files are intact."""
    root = make_repo(tmp_path / "repo")
    fan_out(root, foreach_of(20, 20), shape=(8, 8))
    cache = tmp_path / "cache"
    warm = scan_api(root, cache_dir=cache, file_timeout=60)
    assert errors_of(warm, root) == set() and warm.resources > 25_000
    started = time.process_time()
    cold = scan_api(root, cache_dir=cache, file_timeout=0.001)
    assert time.process_time() - started < 20
    assert errors_of(cold, root) == {
        ("parent.yaml", None, "its nested stacks took longer than 0.001 s to expand; skipped (--file-timeout)")}
    assert good_findings(cold, root) == GOOD and clean(cold)
    # parent (8 stacks) + child1 (8) + leaf (400), each on its own: nothing half-expanded is kept.
    assert cold.resources == 8 + 8 + 400 + (warm.resources - 8 - 8 * 8 - 64 * 400)


# -- Fn::ForEach --------------------------------------------------------------------------------


def test_foreach_budget_stops_the_walk_before_building_anything(tmp_path: Path) -> None:
    """3 nested loops of 300 items: 27,000,000 combinations. The count stops at the budget,
    so this returns at once, with the warning, and the template's other resources."""
    text = foreach_of(300, 300, 300) + "  Db:\n    Type: AWS::RDS::DBInstance\n    Properties:\n" \
                                       "      Engine: postgres\n      MultiAZ: false\n"
    started = time.process_time()
    workload, found = resolve(load(text, "loops.yaml"), CfnSettings())
    assert time.process_time() - started < 2
    assert [r.address for r in found] == ["Db"]
    assert take_warnings(workload) == [ScanWarning(
        "resource-limit", f"Fn::ForEach::LoopA makes more than ha-lint expands from one template "
                          f"({MAX_FOREACH_RESOURCES} resources, 250000 values, 20000 loop items); its resources are not checked",
        "loops.yaml", 4)]
    # The same through a whole scan: the warning, and the other files' findings.
    root = make_repo(tmp_path / "repo", {"loops.yaml": text})
    started = time.process_time()
    result = scan_api(root)
    assert time.process_time() - started < 10
    assert [(f, line) for f, line, _ in warnings_of(result, root, "resource-limit")] == [("loops.yaml", 4)]
    assert good_findings(result, root) == GOOD and errors_of(result, root) == set() and clean(result)


def test_foreach_loops_that_make_nothing_are_bounded_by_the_items_they_walk() -> None:
    """Loops whose innermost collection is empty make no resource, yet 300^4 walks would take
    hours: the items walked are counted too."""
    text = CFN_HEAD + textwrap.dedent("""\
        Transform: AWS::LanguageExtensions
        Resources:
          Fn::ForEach::A:
            - A
            - [%s]
            - Fn::ForEach::B:
                - B
                - [%s]
                - Fn::ForEach::C:
                    - C
                    - [%s]
                    - Fn::ForEach::D:
                        - D
                        - []
                        - Queue${A}${B}${C}${D}:
                            Type: AWS::SQS::Queue
        """) % tuple(", ".join(f"{n}{i}" for i in range(300)) for n in "abc")
    started = time.process_time()
    workload, found = resolve(load(text, "empty.yaml"), CfnSettings())
    assert time.process_time() - started < 2
    assert found == [] and [w.line for w in take_warnings(workload)] == [4]


def test_foreach_budget_counts_the_values_each_copy_holds() -> None:
    """100 copies of a body of 5,000 tags (1,500,000 values) from a 100 KB template: over the
    250,000 values a template's loops may make, so the loop makes nothing."""
    tags = "".join(f"              - {{Key: k{i}, Value: v{i}}}\n" for i in range(5000))
    text = CFN_HEAD + "Transform: AWS::LanguageExtensions\nResources:\n  Fn::ForEach::Buckets:\n    - X\n" \
        f"    - [{', '.join(f'b{i}' for i in range(100))}]\n    - Bucket${{X}}:\n        Type: AWS::S3::Bucket\n" \
        "        Properties:\n          Tags:\n" + tags
    started = time.process_time()
    workload, found = resolve(load(text, "buckets.yaml"), CfnSettings())
    assert time.process_time() - started < 5
    assert found == [] and [(w.code, w.line) for w in take_warnings(workload)] == [("resource-limit", 4)]


def test_foreach_budget_is_shared_by_a_templates_loops_each_kept_whole_or_not_at_all() -> None:
    text = CFN_HEAD + "Transform: AWS::LanguageExtensions\nResources:\n" + "".join(
        f"  Fn::ForEach::{name}:\n    - X\n    - [{', '.join(f'i{i}' for i in range(size))}]\n"
        f"    - {name}${{X}}:\n        Type: AWS::SQS::Queue\n"
        for name, size in (("First", 1500), ("Second", 600), ("Third", 400)))
    workload, found = resolve(load(text, "loops.yaml"), CfnSettings())
    names = {r.address.rstrip("0123456789i") for r in found}
    assert names == {"First", "Third"} and len(found) == 1900
    assert [(w.line, w.message.split()[0]) for w in take_warnings(workload)] == [(9, "Fn::ForEach::Second")]


def test_a_loop_over_a_collection_not_known_says_so() -> None:
    """Not a budget, but the same silence: a loop (or a loop inside one) whose collection is a
    parameter with no value makes nothing, and a warning names it at its line."""
    text = CFN_HEAD + textwrap.dedent("""\
        Transform: AWS::LanguageExtensions
        Parameters:
          Names: {Type: CommaDelimitedList, Default: "a-1,b-2"}
          Unknown: {Type: CommaDelimitedList}
        Resources:
          Fn::ForEach::Queues:
            - Name
            - !Ref Names
            - Fn::ForEach::Kinds:
                - Kind
                - !Ref Unknown
                - Queue&{Name}${Kind}:
                    Type: AWS::SQS::Queue
          Fn::ForEach::Topics:
            - Name
            - !Ref Unknown
            - Topic${Name}:
                Type: AWS::SNS::Topic
        """)
    workload, found = resolve(load(text, "loops.yaml"), CfnSettings())
    assert found == []
    assert [(w.code, w.line, w.message) for w in take_warnings(workload)] == [
        ("foreach-unknown", 10, "Fn::ForEach::Kinds loops over a collection ha-lint cannot know; the resources it "
                                "makes are not checked"),
        ("foreach-unknown", 15, "Fn::ForEach::Topics loops over a collection ha-lint cannot know; the resources it "
                                "makes are not checked")]


# -- CloudFormation intrinsic functions ---------------------------------------------------------


def test_cloudformation_functions_refuse_a_text_too_large_before_building_it(tmp_path: Path) -> None:
    """Fn::Join of a 100,000-item split with a 200,000-character separator (a 400 KB template)
    asked for 20 GB; Fn::Sub putting a 100,000-character parameter in 20 times, 2 MB; a loop
    putting its 100,000-character items into an Fn::Sub 20 times. Each is counted before it is
    built: the value is unknown, said at the resource (the loop: at the loop)."""
    big = ",".join(["a"] * 100_000)
    item = "i" * 100_000
    files = {
        "join.yaml": CFN_HEAD + f"Resources:\n  Topic:\n    Type: AWS::SNS::Topic\n    Properties:\n"
                     f"      TopicName: !Join [\"{'x' * 200_000}\", !Split [\",\", \"{big}\"]]\n",
        "sub.yaml": CFN_HEAD + f"Parameters:\n  Big:\n    Type: String\n    Default: {item}\nResources:\n"
                    f"  Topic:\n    Type: AWS::SNS::Topic\n    Properties:\n      TopicName: !Sub \"{'${Big}' * 20}\"\n",
        "loop.yaml": CFN_HEAD + "Transform: AWS::LanguageExtensions\nResources:\n  Fn::ForEach::Topics:\n    - X\n"
                     f"    - [{item}]\n    - Topic:\n        Type: AWS::SNS::Topic\n        Properties:\n"
                     f"          TopicName: !Sub \"{'${X}' * 20}\"\n",
    }
    root = make_repo(tmp_path / "repo", files)
    started = time.process_time()
    result = scan_api(root)
    assert time.process_time() - started < 20
    assert errors_of(result, root) == set() and clean(result) and good_findings(result, root) == GOOD
    assert set(warnings_of(result, root, "value-too-large")) == {
        ("join.yaml", 3, "Fn::Join would make 19,999,900,000 characters, more than the 1,000,000 ha-lint builds; "
                         "the value is unknown"),
        ("sub.yaml", 7, "Fn::Sub would make 2,000,120 characters, more than the 1,000,000 ha-lint builds; "
                        "the value is unknown"),
        ("loop.yaml", 4, "Fn::ForEach::Topics puts its items into a text of 2,000,080 characters, more than "
                         "ha-lint builds (1,000,000, 20,000,000 in all); its resources are not checked"),
    }


def test_cloudformation_functions_share_one_text_budget_per_template() -> None:
    """30 joins of 900,000 characters each (one 450 KB anchor): the first 22 fit the 20,000,000
    characters a template's functions may build, the rest are unknown, said once (at Topic22)."""
    text = CFN_HEAD + f"Parameters:\n  Big:\n    Type: String\n    Default: &big {'b' * 450_000}\nResources:\n" + "".join(
        f"  Topic{i}:\n    Type: AWS::SNS::Topic\n    Properties:\n      TopicName: !Join ['', [*big, *big]]\n"
        for i in range(30))
    started = time.process_time()
    workload, found = resolve(load(text, "joins.yaml"), CfnSettings())
    assert time.process_time() - started < 10
    names = [r.props["TopicName"] for r in sorted(found, key=lambda r: int(r.address[5:]))]
    assert [len(n) for n in names[:22]] == [900_000] * 22 and names[22:] == [UNKNOWN] * 8
    assert [(w.code, w.line, w.message) for w in take_warnings(workload)] == [
        ("value-too-large", 95, "Fn::Join: the template's functions have built 20,000,000 characters, all that "
                                "ha-lint builds for one template (and the stacks it nests); the value is unknown")]


# -- HCL functions ------------------------------------------------------------------------------

# Each tag asks for more than 1,000,000 characters or items from a few bytes. local.half: a
# string of 600,003 characters (allowed); local.items: a list of 500,003 one-character strings;
# local.n1 ... n7 square 2^128 until it passes 4096 bits (squaring on would take hours).
BIG_TF = """\
locals {
  half  = indent(600000, "a\\nb")
  items = split("", indent(500000, "a\\nb"))
  n1    = 340282366920938463463374607431768211456
  n2    = local.n1 * local.n1
  n3    = local.n2 * local.n2
  n4    = local.n3 * local.n3
  n5    = local.n4 * local.n4
  n6    = local.n5 * local.n5
  n7    = local.n6 * local.n6
}

resource "aws_s3_bucket" "big" {
  bucket = "orders-big"
  tags = {
    Indent     = indent(2000000000, "x\\ny")
    Join       = join(format("%999s%999s", "", ""), range(1000))
    Concat     = length(concat(local.items, local.items))
    Flatten    = length(flatten([local.items, local.items]))
    Replace    = replace(local.half, " ", "xx")
    ReplaceRe  = replace(local.half, "/ /", "xx")
    Format     = format("%s%s", local.half, local.half)
    FormatList = length(formatlist("%999s", range(1024)))
    Json       = jsonencode([local.half, local.half])
    Template   = "${local.half}${local.half}"
    Number     = local.n7
    Fine       = indent(2, "a\\nb")
  }
}
"""

BIG_WARNINGS = {
    ("big/main.tf", 9, "a number of more than 4096 bits, more than ha-lint works with"),  # n6 = 2^4096
    ("big/main.tf", 16, "indent() would make 2,000,000,003 characters, more than the 1,000,000 ha-lint builds"),
    ("big/main.tf", 17, "join() would make 1,998,892 characters, more than the 1,000,000 ha-lint builds"),
    ("big/main.tf", 18, "concat() would make 1,000,006 items, more than the 1,000,000 ha-lint builds"),
    ("big/main.tf", 19, "flatten() would make 1,000,006 items, more than the 1,000,000 ha-lint builds"),
    ("big/main.tf", 20, "replace() would make 1,200,003 characters, more than the 1,000,000 ha-lint builds"),
    # a regular expression's replacements are counted as they are made: it stops at the first one too many
    ("big/main.tf", 21, "replace() would make 1,000,001 characters, more than the 1,000,000 ha-lint builds"),
    ("big/main.tf", 22, "format() would make more than the 1,000,000 characters ha-lint builds"),
    ("big/main.tf", 23, "formatlist() would make more than the 1,000,000 characters ha-lint builds"),
    ("big/main.tf", 24, "jsonencode() would make more than the 1,000,000 characters ha-lint builds"),
    ("big/main.tf", 25, "a string template would make 1,200,006 characters, more than the 1,000,000 ha-lint builds"),
}


def test_hcl_functions_refuse_a_result_too_large_before_building_it(tmp_path: Path) -> None:
    root = make_repo(tmp_path / "repo", {"big/main.tf": BIG_TF})
    started = time.process_time()
    result = scan_api(root)
    assert time.process_time() - started < 20
    assert errors_of(result, root) == set() and clean(result)
    assert good_findings(result, root) == GOOD
    said = {(file, line, message.removesuffix("; the value is unknown"))
            for file, line, message in warnings_of(result, root, "value-too-large")}
    assert said == BIG_WARNINGS


def test_a_modules_expressions_share_one_build_budget(tmp_path: Path) -> None:
    """Each value stays under 1,000,000 characters, but 30 of 900,003 are 27 MB: the module's
    functions build 20,000,000 characters in all; the values past that are unknown, said once,
    at the local that ran out (the 23rd)."""
    local_lines = "".join(f'  l{i} = indent(900000 + {i}, "a\\nb")\n' for i in range(30))
    tags = "".join(f"    T{i} = length(local.l{i})\n" for i in range(30))
    module = f'locals {{\n{local_lines}}}\n\nresource "aws_s3_bucket" "many" {{\n  bucket = "orders-many"\n' \
             f'  tags = {{\n{tags}  }}\n}}\n'
    root = make_repo(tmp_path / "repo", {"many/main.tf": module})
    started = time.process_time()
    result = scan_api(root)
    assert time.process_time() - started < 20
    assert errors_of(result, root) == set() and clean(result) and good_findings(result, root) == GOOD
    assert warnings_of(result, root, "value-too-large") == [
        ("many/main.tf", 24, "this module's functions and templates have built 20,000,000 characters or items, all "
                             "that ha-lint builds for one module; the value is unknown")]
