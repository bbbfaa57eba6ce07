#!/usr/bin/env python3
"""Write expected.json: every finding of a fixture directory the tests scan, whole.

    python scripts/update_snapshots.py              # every snapshot directory
    python scripts/update_snapshots.py HA101 NS4    # those rule IDs, or ID prefixes
    python scripts/update_snapshots.py resolve/tf_ workloads examples
                                                    # or paths under fixtures/ (or examples/), or their prefixes
    python scripts/update_snapshots.py --check      # exit 1 and name the stale ones, write nothing

The ``# expect:`` markers pin where a finding is; a snapshot pins what it says: rule, file,
line, resource, detail (the finding's identity in a baseline) and message. A change to any of
them shows in review as a diff of expected.json instead of in users' baselines.
tests/test_snapshots.py fails, with that diff, while a snapshot differs from the scan.

Each directory is scanned once, in this process, the way the tests that assert its findings
scan it; its expected.json lies in the directory scanned (file paths relative to it):

- ``fixtures/<ID>/`` (tests/test_fixtures.py): the rule of the directory and the rules its
  markers name, with one finding per place where one rule states another's.
- ``fixtures/resolve/<case>/`` (tests/test_resolve_fixtures.py): each case is its own root,
  scanned with the settings and the environment its ``case.json`` gives (``parameters``,
  ``parameter_files``, ``region``, ``variables``, ``var_files``, ``environ`` with no other
  ``TF_VAR_``) and its ``rules`` (default HA101, BK201, NS401).
- ``fixtures/stacks/<app>/`` (tests/test_stacks.py): each application on its own, with the
  ``stacks:`` of its ``.ha-lint.yml`` when it has one (per-az), every rule.
- ``fixtures/workloads/<workload>/<cfn|tf>/`` (tests/test_resilience.py, test_graph_cmd.py):
  each language's copy on its own, every rule. Scanned together, the two copies of one
  architecture would pair with each other (warm_standby's CloudFormation PRIMARY record finds
  the Terraform SECONDARY of the same name).
- ``fixtures/modules/`` (tests/test_call_site.py): as one, as the baseline test scans it: both
  example roots and their modules, every rule.
- ``examples/quickstart/`` (tests/test_first_contact.py, test_resilience.py): as one, every rule.

"Every rule" is every built-in rule (no plugins), with one finding per place where one rule
states another's, as the command line reports them without a configuration file.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import sys
from pathlib import Path
from typing import Iterator, NamedTuple

REPOSITORY = Path(__file__).resolve().parent.parent
FIXTURES = REPOSITORY / "fixtures"
EXAMPLES = REPOSITORY / "examples"
SNAPSHOT = "expected.json"
RESOLVE_RULES = ["HA101", "BK201", "NS401"]  # tests/test_resolve_fixtures.py's default
sys.path.insert(0, str(REPOSITORY / "tests"))  # the fixture markers' reader (conftest.expected_findings)


class Target(NamedTuple):
    """A directory with a snapshot, and how it is scanned: ``rule`` (fixtures/<ID>),
    ``resolve`` (a case of fixtures/resolve), ``whole`` (every rule, a ``.ha-lint.yml``'s stacks)."""
    directory: Path
    kind: str

    @property
    def label(self) -> str:
        """How the command line and the test name it: the rule ID, else the path under
        fixtures/ (``resolve/tf_locals``), else under the repository (``examples/quickstart``)."""
        if self.kind == "rule":
            return self.directory.name
        base = FIXTURES if self.directory.is_relative_to(FIXTURES) else REPOSITORY
        return self.directory.relative_to(base).as_posix()

    @property
    def snapshot(self) -> Path:
        return self.directory / SNAPSHOT


def _subdirectories(directory: Path) -> list[Path]:
    return sorted(p for p in directory.iterdir() if p.is_dir())


def rule_directories(fixtures: Path = FIXTURES) -> list[Path]:
    """fixtures/<ID>/: one per rule."""
    return sorted(p for p in fixtures.iterdir() if p.is_dir() and p.name[:2].isalpha() and p.name[2:].isdigit())


def targets(fixtures: Path = FIXTURES, examples: Path = EXAMPLES) -> list[Target]:
    """Every directory with a snapshot, as the module docstring lists them."""
    out = [Target(d, "rule") for d in rule_directories(fixtures)]
    out += [Target(d, "resolve") for d in _subdirectories(fixtures / "resolve")]
    out += [Target(d, "whole") for d in _subdirectories(fixtures / "stacks")]
    out += [Target(lang, "whole") for w in _subdirectories(fixtures / "workloads") for lang in _subdirectories(w)]
    out += [Target(fixtures / "modules", "whole"), Target(examples / "quickstart", "whole")]
    known = {t.directory for t in out} | {fixtures / n for n in ("resolve", "stacks", "workloads")}
    unknown = [d for d in _subdirectories(fixtures) if d not in known]
    if unknown:  # a new kind of fixture directory: say here how its tests scan it
        raise RuntimeError(f"fixture directories update_snapshots.py does not know how to scan: {unknown}")
    return out


@contextlib.contextmanager
def _environment(values: dict[str, str]) -> Iterator[None]:
    """No ``TF_VAR_`` but these variables set, for the scan; os.environ as it was afterwards."""
    saved = dict(os.environ)
    for name in [n for n in os.environ if n.startswith("TF_VAR_")]:
        del os.environ[name]
    os.environ.update(values)
    try:
        yield
    finally:
        os.environ.clear()
        os.environ.update(saved)


def _scan(target: Target):
    """(rules, scan result) of the target, scanned as the module docstring says."""
    from ha_lint.engine import all_rules, select
    from ha_lint.scan import ScanSettings, scan

    directory = target.directory
    settings = {"paths": [str(directory)], "exclude": [SNAPSHOT], "jobs": 1, "cache_dir": None}
    environ: dict[str, str] = {}
    if target.kind == "rule":
        from conftest import expected_findings

        ids: list[str] | None = sorted({rule for _, _, rule in expected_findings(directory)} | {directory.name})
    elif target.kind == "resolve":
        spec = json.loads((directory / "case.json").read_text(encoding="utf-8"))
        ids, environ = spec.get("rules", RESOLVE_RULES), spec.get("environ", {})
        settings.update(parameters=spec.get("parameters", {}), region=spec.get("region"),
                        parameter_files=[str(directory / f) for f in spec.get("parameter_files", [])],
                        variables=spec.get("variables", {}),
                        var_files=[str(directory / f) for f in spec.get("var_files", [])])
    else:
        ids = None
        if (directory / ".ha-lint.yml").is_file():
            from ha_lint.config import load

            settings["stacks"] = list(load(directory / ".ha-lint.yml").stacks)
    every = all_rules(plugins=False)
    rules = [cls() for cls in (select(every, ids, None) if ids is not None else every)]
    with _environment(environ):
        return rules, scan(ScanSettings(**settings), rules)


def findings_of(target: Target) -> list[dict]:
    """The findings of a snapshot directory, as the snapshot records them, in a stable order."""
    from ha_lint.engine import merge_stated

    directory = target.directory
    rules, result = _scan(target)
    if result.errors:
        raise RuntimeError(f"{directory}: files not loaded: {[(e.file, e.message) for e in result.errors]}")
    rows = [{"rule": f.rule_id, "file": os.path.relpath(f.file, directory), "line": f.line, "resource": f.resource,
             "detail": f.detail, "message": _relative(f.message, directory)}
            for f in merge_stated(result.findings, rules)]
    return sorted(rows, key=lambda r: (r["file"], r["line"], r["rule"], r["resource"], r["detail"], r["message"]))


def _relative(message: str, directory: Path) -> str:
    """A message with the fixture directory's own path made relative (a workload is named by
    its path): the snapshot is the same in every checkout."""
    return message.replace(f"{directory}{os.sep}", "").replace(str(directory), ".")


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


def stale(target: Target) -> tuple[str, str]:
    """(what is on disk, what the scan gives); the first is "" when there is no snapshot."""
    path = target.snapshot
    return (path.read_text(encoding="utf-8") if path.is_file() else ""), render(findings_of(target))


def chosen(names: list[str], every: list[Target]) -> list[Target]:
    """The targets whose label starts with one of the names (any case), every one for none."""
    return [t for t in every if not names or any(t.label.upper().startswith(n.upper().rstrip("/")) for n in names)]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n", 1)[0])
    parser.add_argument("names", nargs="*", metavar="NAME",
                        help="rule IDs, paths under fixtures/ or examples/..., or prefixes of them (default: every one)")
    parser.add_argument("--check", action="store_true", help="only name the stale snapshots (exit 1 if any)")
    args = parser.parse_args(argv)
    picked = chosen(args.names, targets())
    if not picked:
        parser.error(f"no snapshot directory matches {' '.join(args.names)}")
    changed = 0
    for target in picked:
        current, wanted = stale(target)
        if current == wanted:
            continue
        changed += 1
        if args.check:
            print(f"stale: {target.snapshot.relative_to(REPOSITORY)}")
        else:
            target.snapshot.write_text(wanted, encoding="utf-8")
            print(f"wrote {target.snapshot.relative_to(REPOSITORY)}")
    return 1 if args.check and changed else 0


if __name__ == "__main__":
    sys.exit(main())
