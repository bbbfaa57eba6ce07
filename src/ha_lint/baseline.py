"""Baselines: record today's findings, then fail only on new ones.

A finding's identity is (rule, file, resource, what is wrong): ``Finding.identity`` with the
file made relative to the project root, so it survives edits that move lines and scans
from another directory, while a new violation of the same rule in another file or resource
is new. The file is the one that defines the resource, even when the finding is reported
at a module call: a baseline keeps matching a finding that moved there. A finding on a
child module's resource also carries its root module (``root`` in the entry): one module
under dev and prod gives two findings, one per root. An entry without ``root`` (written
before roots were recorded, when such findings were reported once) accepts the finding of
every root. The same identity, root included, is the SARIF ``partialFingerprints`` value.

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


def root_of(finding: Finding, root: Path) -> str | None:
    """The finding's root module relative to the project root; None when it has none."""
    return relative_path(finding.root, root) if finding.root else None


def fingerprint(finding: Finding, root: Path) -> str:
    parts = identity(finding, root)
    module_root = root_of(finding, root)
    if module_root is not None:
        parts += (module_root,)
    # surrogatepass: a file name that is not UTF-8 (carried as surrogates) has a fingerprint too
    return hashlib.sha256("\x1f".join(parts).encode("utf-8", "surrogatepass")).hexdigest()[:32]


@dataclass
class Split:
    new: list[Finding]
    known: list[Finding]
    stale: int  # baseline entries that no longer match a finding (fixed since)


def write(path: Path, findings: Iterable[Finding], root: Path) -> int:
    entries = sorted(
        ({"rule": r, "file": f, "resource": res, "detail": d,
          **({"root": module_root} if module_root is not None else {}),
          "fingerprint": fingerprint(finding, root), "message": finding.message}
         for finding in findings for r, f, res, d in [identity(finding, root)]
         for module_root in [root_of(finding, root)]),
        key=lambda e: (e["file"], e["rule"], e["resource"], e["detail"], e.get("root", ""), e["message"]),
    )
    document = {"ha-lint-baseline": FORMAT, "version": __version__, "findings": entries}
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(document, indent=2) + "\n", encoding="utf-8")
    except OSError as exc:
        raise BaselineError(f"cannot write baseline {path}: {exc.strerror or exc}") from None
    return len(entries)


Key = tuple[str, str, str, str, "str | None"]  # identity and root (None: an entry without one)


MAX_BASELINE_BYTES = 256 * 1024 * 1024  # about a million findings: more is not a baseline


def load(path: Path) -> Counter[Key]:
    """How many findings of each identity (and root) the baseline accepts. A file that is not
    a regular file, too large, too deeply nested or not JSON is a BaselineError naming it."""
    from ha_lint.textfile import FileRefused, read_regular_file

    try:
        document = json.loads(read_regular_file(path, MAX_BASELINE_BYTES).decode("utf-8"))
    except FileRefused as exc:
        raise BaselineError(f"baseline {path} {exc.reason}; not read") from None
    except (ValueError, UnicodeDecodeError) as exc:
        raise BaselineError(f"baseline {path} is not valid JSON: {exc}") from None
    except RecursionError:
        raise BaselineError(f"baseline {path} nests too deeply to be a baseline (lists or mappings inside "
                            "thousands of others)") from None
    except MemoryError:
        raise BaselineError(f"baseline {path} needs more memory to read than this machine allows") from None
    if not isinstance(document, dict) or document.get("ha-lint-baseline") != FORMAT \
            or not isinstance(document.get("findings"), list):
        raise BaselineError(f"{path} is not an ha-lint baseline (format {FORMAT}): write one with --write-baseline")
    accepted: Counter[Key] = Counter()
    for number, entry in enumerate(document["findings"]):
        keys = ("rule", "file", "resource", "detail")
        if not isinstance(entry, dict) or not all(isinstance(entry.get(k), str) for k in keys):
            raise BaselineError(f"baseline {path}: findings[{number}] needs the strings {', '.join(keys)}")
        module_root = entry.get("root")
        if module_root is not None and not isinstance(module_root, str):
            raise BaselineError(f"baseline {path}: findings[{number}] has a root that is not a string")
        accepted[(*(entry[k] for k in keys), module_root)] += 1  # type: ignore[arg-type]
    return accepted


def split(findings: Iterable[Finding], accepted: Counter[Key], root: Path) -> Split:
    """New findings, and those the baseline accepts (each entry absorbs one finding; an entry
    without a root absorbs a child module's finding of every root)."""
    left = Counter(accepted)
    legacy_used: set[Key] = set()
    new: list[Finding] = []
    known: list[Finding] = []
    for finding in findings:
        module_root = root_of(finding, root)
        key: Key = (*identity(finding, root), module_root)
        legacy: Key = (*identity(finding, root), None)
        if left[key] > 0:
            left[key] -= 1
            known.append(finding)
        elif module_root is not None and accepted[legacy] > 0:  # written before roots were recorded
            legacy_used.add(legacy)
            known.append(finding)
        else:
            new.append(finding)
    stale = sum(count for key, count in left.items() if key not in legacy_used)
    return Split(new, known, stale)
