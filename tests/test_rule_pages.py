"""The rule pages (docs/rules.md, docs/rules/<ID>.md) are generated from the rules' own docs,
committed current, and what SARIF helpUri and the markdown report link to, at the tag of the
version that ran."""

from __future__ import annotations

import importlib.util
import json
import tomllib
from pathlib import Path

from conftest import FIXTURES, ROOT, load_script, run_cli
from ha_lint import PROJECT_URL, __version__, ruledocs
from ha_lint.engine import builtin_rules

GENERATOR = load_script("gen_rule_docs")


def test_the_committed_rule_pages_are_current() -> None:
    changed, orphans = GENERATOR.stale_files(ROOT)
    assert not changed and not orphans, (
        f"stale rule pages {sorted(changed)} {[str(o) for o in orphans]}: run `python scripts/gen_rule_docs.py`")


def check_page(rule, repository: Path) -> None:
    """``rule``'s page in ``repository`` holds its explain text and metadata, and the index
    links it; a preview rule (as scripts/new_rule.py writes one) says so in both."""
    index = (repository / ruledocs.INDEX_PATH).read_text(encoding="utf-8")
    page = (repository / ruledocs.PAGES_DIR / f"{rule.id}.md").read_text(encoding="utf-8")
    assert page.startswith(f"# {rule.id} {rule.name}\n\n{rule.summary}\n")
    assert ruledocs.text(rule) in page  # the sections `ha-lint explain` prints, word for word
    preview = getattr(rule, "preview", False)
    status = "preview" if preview else "stable"
    assert f"| {rule.severity} | {ruledocs.family(rule.id)} | {rule.since} | {status} |" in page
    assert ("runs only with `--preview`" in page) == preview
    shown = f"`{rule.name}` (preview)" if preview else f"`{rule.name}`"
    assert f"| [{rule.id}](rules/{rule.id}.md) | {shown} | {rule.severity} |" in index


def test_every_rule_has_a_page_with_its_explain_text_and_an_index_entry() -> None:
    for rule in GENERATOR.documented_rules():
        check_page(rule, ROOT)


def test_the_generator_writes_changed_pages_and_removes_pages_of_retired_rules(tmp_path: Path) -> None:
    assert GENERATOR.main(["--repository", str(tmp_path)]) == 0
    assert (tmp_path / "docs" / "rules" / "HA101.md").read_text() == (ROOT / "docs" / "rules" / "HA101.md").read_text()
    (tmp_path / "docs" / "rules" / "HA999.md").write_text("retired")
    (tmp_path / "docs" / "rules" / "HA101.md").write_text("edited by hand")
    assert GENERATOR.main(["--repository", str(tmp_path), "--check"]) == 1
    assert GENERATOR.main(["--repository", str(tmp_path)]) == 0
    assert not (tmp_path / "docs" / "rules" / "HA999.md").exists()
    assert GENERATOR.main(["--repository", str(tmp_path), "--check"]) == 0


def test_a_preview_rule_page_says_so() -> None:
    class Trial(builtin_rules()[0]):
        id, preview, since = "HA199", True, "0.2.0"

    page = ruledocs.page(Trial)
    assert "| 0.2.0 | preview |" in page and "runs only with `--preview`" in page
    assert "`db-backups-disabled` (preview)" in ruledocs.index([Trial])


def test_page_links_point_at_the_version_tag_and_the_project_metadata_agrees() -> None:
    assert ruledocs.page_url("HA101") == f"https://github.com/ha-lint/ha-lint/blob/v{__version__}/docs/rules/HA101.md"
    urls = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["urls"]
    assert urls["Homepage"] == PROJECT_URL
    assert urls["Documentation"].startswith(PROJECT_URL + "/")


def test_readme_links_the_rule_index() -> None:
    assert "(docs/rules.md)" in (ROOT / "README.md").read_text(encoding="utf-8")


def _scan(*args: str) -> str:
    run = run_cli(str(FIXTURES / "HA101" / "cfn_bad.yaml"), "--select", "HA101", "--no-cache", "--no-config", *args)
    assert run.returncode == 1, run.stderr
    return run.stdout


def test_sarif_help_uri_and_markdown_links_are_the_rule_pages_at_the_tag() -> None:
    page = f"{PROJECT_URL}/blob/v{__version__}/docs/rules/HA101.md"
    sarif = json.loads(_scan("--format", "sarif"))
    descriptors = {r["id"]: r for r in sarif["runs"][0]["tool"]["driver"]["rules"]}
    assert descriptors["HA101"]["helpUri"] == page
    assert all(d["helpUri"] == ruledocs.page_url(i) for i, d in descriptors.items())
    assert all((ROOT / ruledocs.PAGES_DIR / f"{i}.md").is_file() for i in descriptors)  # a link to a real page
    markdown = _scan("--format", "markdown")
    assert f"[HA101]({page})" in markdown
    assert "/blob/main/" not in markdown and "/blob/main/" not in json.dumps(sarif)
