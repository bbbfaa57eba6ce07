#!/usr/bin/env python3
"""Start a new rule: its file with the doc sections to fill, four fixtures, the next steps.

    python scripts/new_rule.py HA116 "MSK cluster single AZ" --severity high \\
        --cfn-type AWS::MSK::Cluster --tf-type aws_msk_cluster --prop multi_az

writes
    rules/ha116_msk_cluster_single_az.py   the rule: metadata, docs sections, a check
    fixtures/HA116/cfn_bad.yaml            CloudFormation that must fire (``# expect: HA116``)
    fixtures/HA116/cfn_good.yaml           a CloudFormation near-miss (no marker)
    fixtures/HA116/tf_bad/main.tf          Terraform that must fire
    fixtures/HA116/tf_good/main.tf         a Terraform near-miss

The check it writes reads one property, ``--prop``, the neutral name
(``src/ha_lint/kinds.py`` maps it to each language; add it there first when it is missing),
and flags its bad value. By default that is a boolean setting that is off: the fixtures set
it to false (flagged) and true (near-miss). For another value give both, ``--bad`` and
``--good``; their type (bool, number, string) is read from them, or given with ``--type``:

    --prop cluster_type --bad single-node --good multi-node   # string: flags the bad value
    --prop number_of_nodes --bad 1 --good 2                   # number: flags below 2
    --prop publicly_accessible --bad true --good false        # bool: flags it on

The new rule runs and its fixture test passes from the first minute; then make the check,
the docs and the fixtures say what the rule is really about. The rule starts in preview
(it runs only with --preview) and ``since`` the current version.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import textwrap
from pathlib import Path

REPOSITORY = Path(__file__).resolve().parent.parent
SEVERITIES = ("high", "medium", "low", "info")


def kebab(words: str) -> str:
    return "-".join(re.findall(r"[a-z0-9]+", words.lower()))


def class_name(name: str) -> str:
    return "".join(part.capitalize() for part in name.split("-"))


def _yaml_value(path: str, value: str, indent: int, marker: str = "") -> list[str]:
    """``A.B: value`` as nested YAML mappings, the marker on the value's line."""
    parts = path.split(".")
    lines = [" " * (indent + 2 * i) + f"{part}:" for i, part in enumerate(parts[:-1])]
    lines.append(" " * (indent + 2 * (len(parts) - 1)) + f"{parts[-1]}: {value}{marker}")
    return lines


def _hcl_value(path: str, value: str, indent: int, marker: str = "") -> list[str]:
    """``a.b = value`` as nested Terraform blocks, the marker on the value's line."""
    parts = path.split(".")
    lines = [" " * (indent + 2 * i) + f"{part} {{" for i, part in enumerate(parts[:-1])]
    lines.append(" " * (indent + 2 * (len(parts) - 1)) + f"{parts[-1]} = {value}{marker}")
    lines += [" " * (indent + 2 * i) + "}" for i in reversed(range(len(parts) - 1))]
    return lines


def cfn_fixture(rule_id: str, cfn_type: str, path: str, value: str, flagged: bool) -> str:
    marker = f"  # expect: {rule_id}" if flagged else ""
    what = "must fire" if flagged else "a near-miss: must not fire"
    lines = [
        'AWSTemplateFormatVersion: "2010-09-09"',
        f"# {rule_id} fixture, {what}. TODO: make it a realistic template, as a team writes it,",
        "# with the near-misses the rule's docs name beside it.",
        "Resources:",
        "  Example:",
        f"    Type: {cfn_type}",
        "    Properties:",
        *_yaml_value(path, value, 6, marker),
    ]
    return "\n".join(lines) + "\n"


def tf_fixture(rule_id: str, tf_type: str, path: str, value: str, flagged: bool) -> str:
    marker = f"  # expect: {rule_id}" if flagged else ""
    what = "must fire" if flagged else "a near-miss: must not fire"
    lines = [
        f"# {rule_id} fixture, {what}. TODO: make it a realistic module, as a team writes it.",
        f'resource "{tf_type}" "example" {{',
        *_hcl_value(path, value, 2, marker),
        "}",
    ]
    return "\n".join(lines) + "\n"


RULE = '''\
from ha_lint.engine import Rule
from ha_lint.values import {imports}
from ha_lint.wording import property_name, subject


def _is_bad(value) -> bool:
    """TODO: when a value is bad. This first one: {condition}."""
{body}


class {class_name}(Rule):
    id = "{rule_id}"
    name = "{name}"
    severity = "{severity}"
    since = "{version}"  # the version the rule first ships in
    preview = True  # runs only with --preview until it is made stable (delete this line then)
    summary = "TODO: one line: what is wrong, and what it costs in an outage."
    tags = ("{tag}",)
    docs = """
    ## What it does
    TODO: which resources it flags (`{cfn_type}` / `{tf_type}`) and when; what it
    deliberately does not flag (the near-misses), and why.

    ## Why it matters
    TODO: the failure it lets through, in HA/DR terms: which outage (instance, AZ, Region),
    what the RTO and RPO become, and what the fix buys.

    ## Example
    ```yaml
{cfn_example}
    ```
    ```hcl
{tf_example}
    ```

    ## Use instead
    ```yaml
{cfn_fix}
    ```
    ```hcl
{tf_fix}
    ```

    ## References
    - AWS Well-Architected Reliability REL TODO
    - Equivalent: TODO (Checkov, Trivy, KICS, Security Hub IDs), or none
    """

    def check(self, arch):
        for res in arch.of_kind("{kind}"):
            # Absent, the value is the kinds table's default (value.present is False) and the
            # finding is at the resource's line.
            value = res.get("{prop}")
            for branch in bad_branches(value.value, _is_bad):
                yield self.finding(
                    res,
                    f"{{subject(res)}}: {{property_name(res, '{prop}')}} {state}{{value.why()}}{{when(branch)}}. "
                    "TODO: what it costs, and what to do.",
                    prop="{prop}", branch=branch,
                )
'''

TYPES = ("bool", "number", "string")
_YAML_PLAIN = re.compile(r"[A-Za-z][A-Za-z0-9._/-]*")
_YAML_WORDS = {"true", "false", "yes", "no", "on", "off", "y", "n", "null"}  # a plain one is not a string


def value_type(bad: str, good: str) -> str:
    """The type the two values are written in: bool, number (an integer) or string."""
    if {bad.lower(), good.lower()} <= {"true", "false"}:
        return "bool"
    if all(re.fullmatch(r"-?\d+", v) for v in (bad, good)):
        return "number"
    return "string"


class Values:
    """The bad and good values of ``--prop``, as each language writes them, and the check."""

    def __init__(self, bad: str | None, good: str | None, typ: str | None) -> None:
        if (bad is None) != (good is None):
            raise ValueError("give both --bad and --good (or neither: a boolean that is false when bad)")
        bad, good = ("false", "true") if bad is None else (bad.strip(), good.strip())
        typ = typ or value_type(bad, good)
        if typ == "bool" and not {bad.lower(), good.lower()} <= {"true", "false"}:
            raise ValueError(f"--type bool takes true or false, not {bad!r} / {good!r}")
        if typ == "number" and not all(re.fullmatch(r"-?\d+", v) for v in (bad, good)):
            raise ValueError(f"--type number takes whole numbers, not {bad!r} / {good!r}")
        if not bad or (int(bad) == int(good) if typ == "number" else bad.lower() == good.lower()):
            raise ValueError(f"--bad and --good must be two different values, not {bad!r} / {good!r}")
        self.type, self.bad, self.good = typ, bad, good

    def yaml(self, which: str) -> str:
        value = getattr(self, which)
        if self.type == "bool":
            return value.lower()
        if self.type == "number" or (_YAML_PLAIN.fullmatch(value) and value.lower() not in _YAML_WORDS):
            return value
        return json.dumps(value)

    def hcl(self, which: str) -> str:
        value = getattr(self, which)
        return value.lower() if self.type == "bool" else value if self.type == "number" else json.dumps(value)

    def rule_parts(self) -> dict[str, str]:
        """The imports, the condition in words and in Python (the body of ``_is_bad``), and the
        message's words for the bad state."""
        if self.type == "bool":
            bad = self.bad.lower() == "true"
            return {"imports": "as_bool, bad_branches, when", "body": f"    return as_bool(value) is {bad}",
                    "condition": f"the setting is {'on' if bad else 'off'}",
                    "state": f"is {'on' if bad else 'off'}"}
        if self.type == "number":
            below = int(self.bad) < int(self.good)
            side, op = ("below", "<") if below else ("above", ">")
            return {"imports": "UNKNOWN, as_int, bad_branches, when",
                    "body": f"    number = as_int(value)\n    return number is not UNKNOWN and number {op} {int(self.good)}",
                    "condition": f"a number {side} {self.good}, as {self.bad} is",
                    "state": f"is {side} {self.good}"}
        return {"imports": "bad_branches, when",
                "body": f"    return isinstance(value, str) and value.strip().lower() == {json.dumps(self.bad.lower())}",
                "condition": f"the value is {json.dumps(self.bad)}, in any case",
                "state": f"is {self.bad}"}


def _tag(rule_id: str) -> str:
    return {"HA": "availability", "BK": "backup", "DR": "disaster-recovery", "NS": "network",
            "SC": "security", "OP": "operations"}.get(rule_id[:2], "custom")


def scaffold(repository: Path, rule_id: str, title: str, severity: str, cfn_type: str, tf_type: str,
             prop: str, bad: str | None = None, good: str | None = None, typ: str | None = None) -> list[Path]:
    """Write the rule and its fixtures under ``repository``; the paths written. Raises
    ValueError for what cannot make a rule (bad ID, taken ID, unmapped type or property,
    values that do not make a check)."""
    from ha_lint import __version__, kinds, ruledocs

    values = Values(bad, good, typ)

    if not ruledocs.ID_PATTERN.fullmatch(rule_id):
        raise ValueError(f"{rule_id}: an ID is two or three capital letters and three digits (HA116)")
    name = kebab(title)
    if "-" not in name:
        raise ValueError(f"{title!r}: a name needs at least two words (msk-cluster-single-az)")
    rules_dir, fixtures = repository / "rules", repository / "fixtures" / rule_id
    taken = sorted(rules_dir.glob(f"{rule_id.lower()}_*.py"))
    if taken or fixtures.exists():
        raise ValueError(f"{rule_id} is taken: {', '.join(str(p) for p in [*taken, fixtures] if p.exists())}")
    kind = kinds.kind_of(cfn_type)
    if kind == cfn_type:
        raise ValueError(f"{cfn_type} is not in src/ha_lint/kinds.py: add a kind(...) entry for it first")
    if kinds.kind_of(tf_type) != kind:
        raise ValueError(f"{tf_type} is not the same kind as {cfn_type} ({kind}) in src/ha_lint/kinds.py")
    cfn_path, tf_path = kinds.native_path(cfn_type, prop), kinds.native_path(tf_type, prop)
    if not cfn_path or not tf_path:
        raise ValueError(f"property {prop!r} of {kind} is not mapped for "
                         f"{' and '.join(t for t, p in ((cfn_type, cfn_path), (tf_type, tf_path)) if not p)} "
                         "in src/ha_lint/kinds.py: add it there first")

    def block(lines: list[str]) -> str:
        return "\n".join("    " + line for line in lines)

    cfn_bad, cfn_good, tf_bad, tf_good = values.yaml("bad"), values.yaml("good"), values.hcl("bad"), values.hcl("good")
    cfn_example = ["Example:", f"  Type: {cfn_type}", "  Properties:", *_yaml_value(cfn_path, cfn_bad, 4)]
    tf_example = [f'resource "{tf_type}" "example" {{', *_hcl_value(tf_path, tf_bad, 2), "}"]
    rule_file = rules_dir / f"{rule_id.lower()}_{name.replace('-', '_')}.py"
    files = {
        rule_file: RULE.format(
            class_name=class_name(name), rule_id=rule_id, name=name, severity=severity, version=__version__,
            tag=_tag(rule_id), cfn_type=cfn_type, tf_type=tf_type, kind=kind, prop=prop,
            cfn_example=block(cfn_example), tf_example=block(tf_example), **values.rule_parts(),
            cfn_fix=block(_yaml_value(cfn_path, cfn_good, 4)), tf_fix=block(_hcl_value(tf_path, tf_good, 2))),
        fixtures / "cfn_bad.yaml": cfn_fixture(rule_id, cfn_type, cfn_path, cfn_bad, flagged=True),
        fixtures / "cfn_good.yaml": cfn_fixture(rule_id, cfn_type, cfn_path, cfn_good, flagged=False),
        fixtures / "tf_bad" / "main.tf": tf_fixture(rule_id, tf_type, tf_path, tf_bad, flagged=True),
        fixtures / "tf_good" / "main.tf": tf_fixture(rule_id, tf_type, tf_path, tf_good, flagged=False),
    }
    for path, text in files.items():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return list(files)


NEXT_STEPS = """
Next steps (docs/CONTRIBUTING-RULES.md says more):
  1. Write the check in {rule}: the condition, and a message that says what is wrong,
     where the value came from (value.why()) and what to do.
  2. Fill the docs sections (What it does, Why it matters, Example, Use instead, References).
  3. Make the fixtures realistic: {fixtures}/ (# expect: {rule_id} on the exact line).
  4. Run its tests:  python -m pytest tests/test_fixtures.py tests/test_rule_docs.py tests/test_rule_examples.py -k {rule_id}
                     (test_rule_docs fails until no TODO is left in the docs and the fixtures)
  5. Regenerate:     python scripts/gen_rule_docs.py && python scripts/update_snapshots.py {rule_id}
                     python -m pytest tests/test_snapshots.py tests/test_rule_pages.py
  6. Try it:         ha-lint --preview --select {rule_id} {fixtures}
  7. When it is ready to fail builds, delete `preview = True`.
"""


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n", 1)[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter,
                                     epilog=textwrap.dedent(__doc__.split("\n\n", 1)[1]))
    parser.add_argument("id", metavar="ID", help="the new rule's ID: HA116")
    parser.add_argument("title", metavar="NAME", help='its name in words: "MSK cluster single AZ" (made kebab-case)')
    parser.add_argument("--severity", choices=SEVERITIES, required=True)
    parser.add_argument("--cfn-type", required=True, metavar="TYPE", help="the CloudFormation type: AWS::MSK::Cluster")
    parser.add_argument("--tf-type", required=True, metavar="TYPE", help="the Terraform type: aws_msk_cluster")
    parser.add_argument("--prop", required=True, metavar="NAME",
                        help="the neutral property the first check reads (src/ha_lint/kinds.py): multi_az")
    parser.add_argument("--bad", metavar="VALUE", help="the value the check flags (default: false)")
    parser.add_argument("--good", metavar="VALUE", help="the near-miss's value, the fix (default: true)")
    parser.add_argument("--type", choices=TYPES, dest="typ",
                        help="the values' type (default: read from them; a number flags the side of --good "
                             "that --bad is on)")
    parser.add_argument("--repository", type=Path, default=REPOSITORY, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    try:
        written = scaffold(args.repository, args.id, args.title, args.severity, args.cfn_type, args.tf_type,
                           args.prop, args.bad, args.good, args.typ)
    except ValueError as exc:
        print(f"new_rule: {exc}", file=sys.stderr)
        return 2
    for path in written:
        print(f"wrote {path.relative_to(args.repository)}")
    rule = written[0].relative_to(args.repository)
    print(NEXT_STEPS.format(rule=rule, rule_id=args.id, fixtures=f"fixtures/{args.id}"))
    return 0


if __name__ == "__main__":
    sys.exit(main())
