"""Baselines: record today's findings, then fail only on new ones.

A finding's identity is (rule, file, resource, what is wrong): ``Finding.identity`` with the
file made relative to the project root, so it survives edits that move lines and scans
from another directory, while a new violation of the same rule in another file or resource
is new. The same identity is the SARIF ``partialFingerprints`` value.

The file is JSON, sorted, one entry per finding, so a change to it reads well in review.
"""

from __future__ import annotations

import functools
import hashlib
import json
import os
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable

from ha_lint import __version__
from ha_lint.model import Finding
from ha_lint.scope import common_directory

FORMAT = 1
FINGERPRINT_KEY = "haLintIdentity/v1"


class BaselineError(Exception):
    """A baseline file that cannot be read or written."""


def project_root(paths: Iterable[str], fallback: Path | None = None) -> Path:
    """The repository holding the scanned paths (nearest ``.git``), else ``fallback``
    (the configuration file's directory), else the current directory."""
    start = common_directory(paths)
    for directory in (start, *start.parents):
        if (directory / ".git").exists():
            return directory
    return fallback or Path.cwd()


@functools.lru_cache(maxsize=4096)
def relative_path(file: str, root: Path) -> str:
    """``file`` relative to ``root`` with ``/`` separators (absolute when outside it)."""
    real = Path(os.path.realpath(file))
    try:
        return real.relative_to(os.path.realpath(root)).as_posix()
    except ValueError:
        return real.as_posix()


def identity(finding: Finding, root: Path) -> tuple[str, str, str, str]:
    rule, file, resource, detail = finding.identity
    return rule, relative_path(file, root), resource, detail


def fingerprint(finding: Finding, root: Path) -> str:
    # surrogatepass: a file name that is not UTF-8 (carried as surrogates) has a fingerprint too
    return hashlib.sha256("\x1f".join(identity(finding, root)).encode("utf-8", "surrogatepass")).hexdigest()[:32]


@dataclass
class Split:
    new: list[Finding]
    known: list[Finding]
    stale: int  # baseline entries that no longer match a finding (fixed since)


def write(path: Path, findings: Iterable[Finding], root: Path) -> int:
    entries = sorted(
        ({"rule": r, "file": f, "resource": res, "detail": d, "fingerprint": fingerprint(finding, root),
          "message": finding.message}
         for finding in findings for r, f, res, d in [identity(finding, root)]),
        key=lambda e: (e["file"], e["rule"], e["resource"], e["detail"], e["message"]),
    )
    document = {"ha-lint-baseline": FORMAT, "version": __version__, "findings": entries}
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(document, indent=2) + "\n", encoding="utf-8")
    except OSError as exc:
        raise BaselineError(f"cannot write baseline {path}: {exc.strerror or exc}") from None
    return len(entries)


def load(path: Path) -> Counter[tuple[str, str, str, str]]:
    """How many findings of each identity the baseline accepts."""
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise BaselineError(f"cannot read baseline {path}: {exc.strerror or exc}") from None
    except (ValueError, UnicodeDecodeError) as exc:
        raise BaselineError(f"baseline {path} is not valid JSON: {exc}") from None
    if not isinstance(document, dict) or document.get("ha-lint-baseline") != FORMAT \
            or not isinstance(document.get("findings"), list):
        raise BaselineError(f"{path} is not an ha-lint baseline (format {FORMAT}): write one with --write-baseline")
    accepted: Counter[tuple[str, str, str, str]] = Counter()
    for number, entry in enumerate(document["findings"]):
        keys = ("rule", "file", "resource", "detail")
        if not isinstance(entry, dict) or not all(isinstance(entry.get(k), str) for k in keys):
            raise BaselineError(f"baseline {path}: findings[{number}] needs the strings {', '.join(keys)}")
        accepted[tuple(entry[k] for k in keys)] += 1  # type: ignore[misc]
    return accepted


def split(findings: Iterable[Finding], accepted: Counter[tuple[str, str, str, str]], root: Path) -> Split:
    """New findings, and those the baseline accepts (each entry absorbs one finding)."""
    left = Counter(accepted)
    new: list[Finding] = []
    known: list[Finding] = []
    for finding in findings:
        key = identity(finding, root)
        if left[key] > 0:
            left[key] -= 1
            known.append(finding)
        else:
            new.append(finding)
    return Split(new, known, sum(left.values()))
