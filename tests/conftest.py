from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "fixtures"
CORPUS = ROOT.parent / "shared" / "corpus"

_EXPECT = re.compile(r"#\s*expect:\s*([A-Z]{2}\d{3}(?:\s*,\s*[A-Z]{2}\d{3})*)")


def expected_findings(directory: Path) -> set[tuple[str, int, str]]:
    """(path relative to directory, line, rule ID) declared in a fixture directory.

    YAML and HCL (``.tf``, Terragrunt's ``.hcl``): a trailing ``# expect: ID`` on the line; JSON: a ``<file>.expect`` sidecar
    with ``line: ID`` rows.
    """
    out: set[tuple[str, int, str]] = set()
    for path in sorted(directory.rglob("*")):
        if not path.is_file():
            continue
        rel = str(path.relative_to(directory))
        if path.suffix == ".expect":
            for row in path.read_text().splitlines():
                if row.strip():
                    line, _, rule = row.partition(":")
                    out.add((rel[: -len(".expect")], int(line), rule.strip()))
        elif path.suffix in (".yaml", ".yml", ".tf", ".template", ".hcl"):
            for number, text in enumerate(path.read_text().splitlines(), start=1):
                match = _EXPECT.search(text)
                if match:
                    for rule in match.group(1).split(","):
                        out.add((rel, number, rule.strip()))
    return out


@pytest.fixture
def fixtures_dir() -> Path:
    return FIXTURES
