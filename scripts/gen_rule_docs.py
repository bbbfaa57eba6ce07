#!/usr/bin/env python3
"""Write docs/rules.md and docs/rules/<ID>.md from the rules' own documentation.

    python scripts/gen_rule_docs.py          # regenerate (removes pages of rules that are gone)
    python scripts/gen_rule_docs.py --check  # exit 1 and name the stale files, write nothing

Run it after changing a rule's docs, summary, severity, ``since`` or ``preview``;
tests/test_rule_pages.py fails while the committed pages differ from the rules.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from ha_lint import ruledocs

REPOSITORY = Path(__file__).resolve().parent.parent


def documented_rules() -> list:
    """The rules the pages cover: the built-in pack and the suppression checks (HL001-HL003)."""
    from ha_lint.engine import builtin_rules
    from ha_lint.suppress import META_RULES

    return sorted([*builtin_rules(), *META_RULES], key=lambda rule: rule.id)


def stale_files(repository: Path) -> tuple[dict[str, str], list[Path]]:
    """The generated files that differ from what is on disk, and pages of rules that are gone."""
    wanted = ruledocs.generated(documented_rules())
    changed = {path: text for path, text in wanted.items()
               if not (repository / path).is_file() or (repository / path).read_text(encoding="utf-8") != text}
    pages = repository / ruledocs.PAGES_DIR
    orphans = [p for p in sorted(pages.glob("*.md")) if f"{ruledocs.PAGES_DIR}/{p.name}" not in wanted]
    return changed, orphans


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n", 1)[0])
    parser.add_argument("--check", action="store_true", help="only report stale files (exit 1 if any)")
    parser.add_argument("--repository", type=Path, default=REPOSITORY, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    changed, orphans = stale_files(args.repository)
    if args.check:
        for path in [*changed, *(str(p.relative_to(args.repository)) for p in orphans)]:
            print(f"stale: {path}")
        return 1 if changed or orphans else 0
    for path, text in changed.items():
        target = args.repository / path
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text, encoding="utf-8")
        print(f"wrote {path}")
    for orphan in orphans:
        orphan.unlink()
        print(f"removed {orphan.relative_to(args.repository)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
