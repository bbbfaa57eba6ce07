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

The check it writes is the commonest shape, a boolean setting that is off: ``--prop`` names
the neutral property (``src/ha_lint/kinds.py`` maps it to each language; add it there
first when it is missing). The fixtures set it to false (flagged) and true (near-miss), so
the new rule runs and its fixture test passes from the first minute; then make the check,
the docs and the fixtures say what the rule is really about. The rule starts in preview
(it runs only with --preview) and ``since`` the current version.
"""

from __future__ import annotations

import argparse
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
        "# with the catalog's named near-misses beside it.",
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
from ha_lint.values import as_bool, bad_branches, when
from ha_lint.wording import property_name, subject


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
            value = res.get("{prop}")
            # TODO: the condition that makes a finding. This first one: the setting is off
            # (or absent, where the kinds table's default is off).
            for branch in bad_branches(value.value, lambda v: as_bool(v) is False):
                yield self.finding(
                    res,
                    f"{{subject(res)}}: {{property_name(res, '{prop}')}} is off{{value.why()}}{{when(branch)}}. "
                    "TODO: what it costs, and what to do.",
                    prop="{prop}", branch=branch,
                )
'''


def _tag(rule_id: str) -> str:
    return {"HA": "availability", "BK": "backup", "DR": "disaster-recovery", "NS": "network",
            "SC": "security", "OP": "operations"}.get(rule_id[:2], "custom")


def scaffold(repository: Path, rule_id: str, title: str, severity: str, cfn_type: str, tf_type: str,
             prop: str) -> list[Path]:
    """Write the rule and its fixtures under ``repository``; the paths written. Raises
    ValueError for what cannot make a rule (bad ID, taken ID, unmapped type or property)."""
    from ha_lint import __version__, kinds, ruledocs

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

    cfn_example = ["Example:", f"  Type: {cfn_type}", "  Properties:", *_yaml_value(cfn_path, "false", 4)]
    tf_example = [f'resource "{tf_type}" "example" {{', *_hcl_value(tf_path, "false", 2), "}"]
    rule_file = rules_dir / f"{rule_id.lower()}_{name.replace('-', '_')}.py"
    files = {
        rule_file: RULE.format(
            class_name=class_name(name), rule_id=rule_id, name=name, severity=severity, version=__version__,
            tag=_tag(rule_id), cfn_type=cfn_type, tf_type=tf_type, kind=kind, prop=prop,
            cfn_example=block(cfn_example), tf_example=block(tf_example),
            cfn_fix=block(_yaml_value(cfn_path, "true", 4)), tf_fix=block(_hcl_value(tf_path, "true", 2))),
        fixtures / "cfn_bad.yaml": cfn_fixture(rule_id, cfn_type, cfn_path, "false", flagged=True),
        fixtures / "cfn_good.yaml": cfn_fixture(rule_id, cfn_type, cfn_path, "true", flagged=False),
        fixtures / "tf_bad" / "main.tf": tf_fixture(rule_id, tf_type, tf_path, "false", flagged=True),
        fixtures / "tf_good" / "main.tf": tf_fixture(rule_id, tf_type, tf_path, "true", flagged=False),
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
  4. Run its tests:  python -m pytest tests/test_fixtures.py tests/test_rule_docs.py -k {rule_id} -q
                     python -m pytest tests/test_rule_examples.py -k {rule_id} -q
  5. Regenerate:     python scripts/gen_rule_docs.py && python scripts/update_snapshots.py {rule_id}
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
    parser.add_argument("--repository", type=Path, default=REPOSITORY, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    try:
        written = scaffold(args.repository, args.id, args.title, args.severity, args.cfn_type, args.tf_type,
                           args.prop)
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
