#!/usr/bin/env python3
"""Write fixtures/<ID>/expected.json: every finding of a rule's fixture directory, whole.

    python scripts/update_snapshots.py              # every rule directory
    python scripts/update_snapshots.py HA101 NS4    # those IDs, or ID prefixes
    python scripts/update_snapshots.py --check      # exit 1 and name the stale ones, write nothing

The ``# expect:`` markers pin where a finding is; a snapshot pins what it says: rule, file,
line, resource, detail (the finding's identity in a baseline) and message. A change to any of
them shows in review as a diff of expected.json instead of in users' baselines.
tests/test_snapshots.py fails, with that diff, while a snapshot differs from the scan.

A directory is scanned as tests/test_fixtures.py scans it: the rule of the directory and the
rules its markers name, with one finding per place where one rule states another's.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

REPOSITORY = Path(__file__).resolve().parent.parent
FIXTURES = REPOSITORY / "fixtures"
SNAPSHOT = "expected.json"
sys.path.insert(0, str(REPOSITORY / "tests"))  # the fixture markers' reader (conftest.expected_findings)


def rule_directories(fixtures: Path = FIXTURES) -> list[Path]:
    """fixtures/<ID>/: one per rule."""
    return sorted(p for p in fixtures.iterdir() if p.is_dir() and p.name[:2].isalpha() and p.name[2:].isdigit())


def findings_of(rule_dir: Path) -> list[dict]:
    """The findings of a rule's fixture directory, as the snapshot records them, in a stable order."""
    from conftest import expected_findings
    from ha_lint.engine import all_rules, merge_stated, select
    from ha_lint.scan import ScanSettings, scan

    ids = sorted({rule for _, _, rule in expected_findings(rule_dir)} | {rule_dir.name})
    rules = [cls() for cls in select(all_rules(plugins=False), ids, None)]
    result = scan(ScanSettings(paths=[str(rule_dir)], exclude=[SNAPSHOT], jobs=1, cache_dir=None), rules)
    if result.errors:
        raise RuntimeError(f"{rule_dir}: files not loaded: {[(e.file, e.message) for e in result.errors]}")
    rows = [{"rule": f.rule_id, "file": os.path.relpath(f.file, rule_dir), "line": f.line, "resource": f.resource,
             "detail": f.detail, "message": _relative(f.message, rule_dir)}
            for f in merge_stated(result.findings, rules)]
    return sorted(rows, key=lambda r: (r["file"], r["line"], r["rule"], r["resource"], r["detail"], r["message"]))


def _relative(message: str, rule_dir: Path) -> str:
    """A message with the fixture directory's own path made relative (a workload is named by
    its path): the snapshot is the same in every checkout."""
    return message.replace(f"{rule_dir}{os.sep}", "").replace(str(rule_dir), ".")


def render(rows: list[dict]) -> str:
    """The snapshot's text: one finding per object, keys in a fixed order.

    A scan of the directory must not take the snapshot for a CloudFormation template (ha-lint
    sniffs JSON files for ``AWSTemplateFormatVersion`` and ``Type: AWS::``): where a message
    quotes those, their colons and a letter are written as JSON escapes, which read back the same.
    """
    from ha_lint.discover import sniff

    text = json.dumps(rows, indent=2, ensure_ascii=False) + "\n"
    if sniff(text.encode(), SNAPSHOT) is not None:
        text = text.replace("::", "\\u003a\\u003a").replace("AWSTemplateFormatVersion", "AWSTemplateFormat\\u0056ersion")
    return text


def stale(rule_dir: Path) -> tuple[str, str]:
    """(what is on disk, what the scan gives); the first is "" when there is no snapshot."""
    path = rule_dir / SNAPSHOT
    return (path.read_text(encoding="utf-8") if path.is_file() else ""), render(findings_of(rule_dir))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n", 1)[0])
    parser.add_argument("ids", nargs="*", metavar="ID", help="rule IDs or ID prefixes (default: every rule directory)")
    parser.add_argument("--check", action="store_true", help="only name the stale snapshots (exit 1 if any)")
    args = parser.parse_args(argv)
    chosen = [d for d in rule_directories() if not args.ids or any(d.name.startswith(i.upper()) for i in args.ids)]
    if not chosen:
        parser.error(f"no fixture directory matches {' '.join(args.ids)}")
    changed = 0
    for rule_dir in chosen:
        current, wanted = stale(rule_dir)
        if current == wanted:
            continue
        changed += 1
        if args.check:
            print(f"stale: {(rule_dir / SNAPSHOT).relative_to(REPOSITORY)}")
        else:
            (rule_dir / SNAPSHOT).write_text(wanted, encoding="utf-8")
            print(f"wrote {(rule_dir / SNAPSHOT).relative_to(REPOSITORY)}")
    return 1 if args.check and changed else 0


if __name__ == "__main__":
    sys.exit(main())
