"""`--diff REF` against real git repositories: the ref is never an option, a shallow clone
and unrelated histories are said for what they are, and a file name that is not UTF-8 is
one more changed file (issue 16 defects 3 and 14)."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

import pytest

from helpers import GOOD_TEMPLATE, TEMPLATE, commit_all, git, ha_lint, new_repo


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    """main: two stacks; feature (checked out): orders.yaml changed."""
    root = new_repo(tmp_path / "repo")
    (root / "orders.yaml").write_text(GOOD_TEMPLATE)
    (root / "billing.yaml").write_text(TEMPLATE)
    commit_all(root, "initial")
    git("checkout", "--quiet", "-b", "feature", cwd=root)
    (root / "orders.yaml").write_text(TEMPLATE)
    commit_all(root, "orders: single-AZ again")
    return root


def diff_report(root: Path, *args: str) -> tuple[int, dict, str]:
    run = ha_lint(".", "--select", "HA101", "--format", "json", *args, cwd=root)
    assert "internal error" not in run.stderr and "Traceback" not in run.stderr, run.stderr
    return run.returncode, json.loads(run.stdout) if run.stdout.strip() else {}, run.stderr


def test_only_files_changed_since_the_merge_base_are_reported(repo: Path) -> None:
    code, report, _ = diff_report(repo, "--diff", "main")
    assert code == 1 and [f["file"] for f in report["findings"]] == ["orders.yaml"]


@pytest.mark.parametrize("ref", ["--all", "-p", "--output=/tmp/ha-lint-pwned", "-"])
def test_a_ref_that_looks_like_an_option_is_refused(repo: Path, ref: str) -> None:
    code, _, stderr = diff_report(repo, f"--diff={ref}")
    assert code == 2
    assert f"--diff {ref!r}: not a git ref" in stderr and "cannot start with '-'" in stderr
    assert not Path("/tmp/ha-lint-pwned").exists()


def test_an_unknown_ref_is_no_such_commit(repo: Path) -> None:
    code, _, stderr = diff_report(repo, "--diff", "no-such-branch")
    assert code == 2 and "--diff no-such-branch: no such commit, branch or tag in" in stderr
    assert "shallow" not in stderr
    # A tree or a blob is not a commit either.
    tree = git("rev-parse", "HEAD^{tree}", cwd=repo).strip()
    code, _, stderr = diff_report(repo, "--diff", tree)
    assert code == 2 and "no such commit, branch or tag" in stderr


def test_a_shallow_clone_is_said_to_be_shallow(repo: Path, tmp_path: Path) -> None:
    # main moves on, so that the merge base is an older commit than either tip.
    git("checkout", "--quiet", "main", cwd=repo)
    (repo / "billing.yaml").write_text(GOOD_TEMPLATE)
    commit_all(repo, "billing: Multi-AZ")
    git("checkout", "--quiet", "feature", cwd=repo)
    clone = tmp_path / "clone"
    git("clone", "--quiet", "--depth", "1", "--no-single-branch", "--branch", "feature", f"file://{repo}", str(clone),
        cwd=tmp_path)
    assert git("rev-parse", "--is-shallow-repository", cwd=clone).strip() == "true"
    code, _, stderr = diff_report(clone, "--diff", "origin/main")
    assert code == 2
    assert "--diff origin/main: the history is shallow" in stderr and "fetch-depth: 0" in stderr
    assert "no such commit" not in stderr
    # A ref the shallow clone never fetched: not found, and the hint says why it may be.
    code, _, stderr = diff_report(clone, "--diff", "v1.0")
    assert code == 2 and "no such commit, branch or tag" in stderr and "the clone is shallow" in stderr
    # Fetched in full, the same command works.
    git("fetch", "--quiet", "--unshallow", cwd=clone)
    code, report, _ = diff_report(clone, "--diff", "origin/main")
    assert code == 1 and [f["file"] for f in report["findings"]] == ["orders.yaml"]


def test_unrelated_histories_have_no_merge_base(repo: Path) -> None:
    git("checkout", "--quiet", "--orphan", "elsewhere", cwd=repo)
    commit_all(repo, "an unrelated root commit")
    code, _, stderr = diff_report(repo, "--diff", "main")
    assert code == 2 and "--diff main: no merge base between main and HEAD" in stderr


@pytest.mark.skipif(sys.platform in ("darwin", "win32"), reason="the file system must accept non-UTF-8 names")
def test_a_file_name_that_is_not_utf8_is_one_more_changed_file(repo: Path) -> None:
    committed = os.path.join(os.fsencode(repo), b"caf\xe9.yaml")  # Latin-1, committed on the branch
    with open(committed, "w", encoding="utf-8") as handle:
        handle.write(TEMPLATE)
    commit_all(repo, "a Latin-1 name")
    untracked = os.path.join(os.fsencode(repo), b"new-\xff.yaml")  # untracked
    with open(untracked, "w", encoding="utf-8") as handle:
        handle.write(TEMPLATE)
    code, report, _ = diff_report(repo, "--diff", "main")
    assert code == 1
    files = sorted(f["file"] for f in report["findings"])
    assert len(files) == 3 and files[-1] == "orders.yaml"
    assert [f[:4] for f in files[:2]] == ["caf\\", "new-"]  # shown with the byte escaped
