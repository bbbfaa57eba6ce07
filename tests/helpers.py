"""Shared by the tests of the team features (config, suppressions, baseline, reporters,
pre-commit, the GitHub Action): run the CLI, make real git repositories."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

from conftest import ROOT, CliRun, run_cli

GIT_ENV = {
    "GIT_AUTHOR_NAME": "ha-lint tests", "GIT_AUTHOR_EMAIL": "tests@example.com",
    "GIT_COMMITTER_NAME": "ha-lint tests", "GIT_COMMITTER_EMAIL": "tests@example.com",
    "GIT_CONFIG_NOSYSTEM": "1", "GIT_CONFIG_GLOBAL": os.devnull,
}

# A realistic stack: a single-AZ database (HA101, high) and SSH open to the world (NS401, high).
TEMPLATE = """\
AWSTemplateFormatVersion: "2010-09-09"
Description: Orders service
Resources:
  OrdersDb:
    Type: AWS::RDS::DBInstance
    Properties:
      Engine: postgres
      DBInstanceClass: db.m6g.large
      AllocatedStorage: "100"
      MultiAZ: false
      BackupRetentionPeriod: 7
  BastionSg:
    Type: AWS::EC2::SecurityGroup
    Properties:
      GroupDescription: bastion
      SecurityGroupIngress:
        - IpProtocol: tcp
          FromPort: 22
          ToPort: 22
          CidrIp: 0.0.0.0/0
"""

# The same stack, fixed: Multi-AZ, no bastion open to the world.
GOOD_TEMPLATE = TEMPLATE.split("  BastionSg:")[0].replace("MultiAZ: false", "MultiAZ: true")


def ha_lint(*args: str, cwd: Path | None = None, env: dict[str, str] | None = None) -> CliRun:
    """The CLI as users run it, in this process (conftest.run_cli), without the cache (tests
    rewrite files in place)."""
    return run_cli(*args, *(["--no-cache"] if _scans(args) else []), cwd=cwd, env=env)


def _scans(args: tuple[str, ...]) -> bool:
    return not args or args[0] not in ("rules", "explain", "init", "--version")


def report(*args: str, cwd: Path | None = None) -> tuple[int, dict]:
    """Exit code and the JSON report of a scan."""
    run = ha_lint(*args, "--format", "json", cwd=cwd)
    assert run.returncode in (0, 1), run.stderr
    return run.returncode, json.loads(run.stdout)


def git(*args: str, cwd: Path) -> str:
    run = subprocess.run(["git", *args], cwd=cwd, capture_output=True, text=True, timeout=120,
                         env={**os.environ, **GIT_ENV})
    assert run.returncode == 0, f"git {' '.join(args)}: {run.stderr}"
    return run.stdout


def new_repo(path: Path) -> Path:
    path.mkdir(parents=True, exist_ok=True)
    git("init", "--quiet", "--initial-branch=main", cwd=path)
    return path


def commit_all(repo: Path, message: str = "change") -> str:
    git("add", "--all", cwd=repo)
    git("commit", "--quiet", "--no-verify", "-m", message, cwd=repo)
    return git("rev-parse", "HEAD", cwd=repo).strip()


def snapshot_of_this_repo(dest: Path) -> tuple[Path, str]:
    """A git repository holding this working tree as it is now (committed or not, minus
    ignored files), so tools that clone a repository (pre-commit) see the current code."""
    listed = subprocess.run(["git", "ls-files", "--cached", "--others", "--exclude-standard", "-z"],
                            cwd=ROOT, capture_output=True, text=True, check=True).stdout
    for name in filter(None, listed.split("\0")):
        source = ROOT / name
        if source.is_file():
            (dest / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, dest / name)
    new_repo(dest)
    return dest, commit_all(dest, "snapshot")


def readme_blocks(section: str, language: str) -> list[str]:
    """The ```language code blocks of one ``## section`` of the README."""
    text = (ROOT / "README.md").read_text()
    body = text.split(f"\n## {section}\n", 1)[1].split("\n## ", 1)[0]
    blocks = body.split(f"```{language}\n")[1:]
    return [block.split("```", 1)[0] for block in blocks]
