"""What a scan loads and what it reports on: it may load more than it reports.

- Terraform files named one by one (pre-commit passes the changed files): a ``.tf`` file
  means nothing without its module, so every ``.tf`` file beside it is loaded, and so are
  the modules in the same repository that call its directory as a local module (so a child
  module is evaluated through its call, with the caller's inputs). Findings are reported
  only for the files named. A ``.tfvars`` file named stands for its module's files.
- ``--diff REF``: everything under the scanned paths is loaded; findings are reported only
  for files changed since the merge base of REF and HEAD: committed, staged, unstaged and
  untracked changes.
"""

from __future__ import annotations

import os
import re
import subprocess
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterable

from ha_lint.discover import SKIP_DIRS
from ha_lint.root import is_within, run_git

_TF = ".tf"
_TFVARS = (".tfvars", ".tfvars.json")
_MODULE_SOURCE = re.compile(r'^\s*source\s*=\s*"(\.{1,2}/[^"]*)"', re.MULTILINE)


def common_directory(paths: Iterable[str]) -> Path:
    """The deepest directory holding every path (the current directory when there is none)."""
    start = Path(os.path.commonpath([os.path.abspath(p) for p in paths] or [os.getcwd()]))
    return start if start.is_dir() else start.parent


class ScopeError(Exception):
    """``--diff`` cannot be answered (not a git repository, unknown ref)."""


@dataclass
class Scope:
    load: list[str]  # paths to scan
    named: bool = False  # Terraform files were named one by one: report on `files` and `dirs` only
    files: set[str] = field(default_factory=set)  # real paths named
    dirs: list[str] = field(default_factory=list)  # real directories named
    changed: set[str] | None = None  # --diff: real paths changed since the ref

    @property
    def restricted(self) -> bool:
        """Whether some loaded files are context only, not reported on."""
        return self.named or self.changed is not None

    def includes(self, file: str) -> bool:
        if not self.restricted:
            return True
        real = os.path.realpath(file)
        if self.changed is not None and real not in self.changed:
            return False
        return not self.named or real in self.files or any(real.startswith(d + os.sep) for d in self.dirs)


def expand(paths: list[str], project_root: Path | None) -> Scope:
    """Load Terraform files named one by one with their module and, when ``project_root`` is
    known (a repository, or the configuration file's directory), the modules in it that call
    their directory."""
    named_tf = [p for p in paths if os.path.isfile(p) and (p.endswith(_TF) or p.endswith(_TFVARS))]
    if not named_tf:
        return Scope(load=list(paths))
    scope = Scope(load=list(paths), named=True)
    for path in paths:
        real = os.path.realpath(path)
        if os.path.isdir(path):
            scope.dirs.append(real)
        elif path.endswith(_TFVARS):
            scope.files.update(os.path.realpath(f) for f in _module_files(os.path.dirname(path)))
        else:
            scope.files.add(real)
    seen = {os.path.realpath(p) for p in paths}
    callers = _Callers(project_root) if project_root is not None else None
    pending = sorted({os.path.dirname(p) or "." for p in named_tf})
    done: set[str] = set()
    while pending:
        directory = pending.pop()
        if os.path.realpath(directory) in done:
            continue
        done.add(os.path.realpath(directory))
        for file in _module_files(directory):
            if os.path.realpath(file) not in seen:
                seen.add(os.path.realpath(file))
                scope.load.append(file)
        if callers is not None:
            pending.extend(callers.of(directory))
    return scope


def _module_files(directory: str) -> list[str]:
    try:
        names = sorted(os.listdir(directory or "."))
    except OSError:
        return []
    return [os.path.join(directory, n) for n in names if n.endswith(_TF) and os.path.isfile(os.path.join(directory, n))]


class _Callers:
    """Directories of the project whose ``module`` blocks use a directory as local source."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self._calls: dict[str, set[str]] | None = None

    def of(self, directory: str) -> list[str]:
        calls = self._index()
        return sorted(shown_path(d) for d in calls.get(os.path.realpath(directory), ()))

    def _index(self) -> dict[str, set[str]]:
        if self._calls is None:
            self._calls = {}
            top = os.path.realpath(self.root)
            for dirpath, dirnames, filenames in os.walk(self.root):
                dirnames[:] = [d for d in dirnames if d not in SKIP_DIRS]
                for name in filenames:
                    if not name.endswith(_TF) or not Path(dirpath, name).is_file():  # a pipe would block
                        continue
                    if not is_within(os.path.realpath(os.path.join(dirpath, name)), top):
                        continue  # a link out of the project is not read (ha_lint.root)
                    try:
                        text = Path(dirpath, name).read_text(encoding="utf-8", errors="replace")
                    except OSError:
                        continue
                    for source in _MODULE_SOURCE.findall(text):
                        target = os.path.realpath(os.path.join(dirpath, source))
                        self._calls.setdefault(target, set()).add(os.path.realpath(dirpath))
        return self._calls


def shown_path(path: str) -> str:
    """A path as ha-lint shows it: relative to the current directory when under it."""
    rel = os.path.relpath(path)
    return path if rel.startswith("..") else rel


def changed_since(ref: str, paths: list[str]) -> set[str]:
    """Real paths of the files changed since ``ref`` (its merge base with HEAD), including
    staged, unstaged and untracked changes; a changed ``.tfvars`` stands for its module.

    ``ref`` comes from the command line (or a CI variable): it is never taken for an option
    (``--diff=--all``), it is checked to be a commit before anything else uses it, and every
    name git prints is read as bytes, so a file name that is not UTF-8 is one more changed
    file, not the end of the scan."""
    base_commit, top = merge_base("--diff", ref, paths)
    changed = _git(["diff", "--name-only", "--no-renames", "--no-ext-diff", "-z", "--end-of-options", base_commit, "--"], top, "git diff failed")
    untracked = _git(["ls-files", "--others", "--exclude-standard", "-z", "--"], top, "git ls-files failed")
    files: set[str] = set()
    for raw in (changed + b"\0" + untracked).split(b"\0"):
        if raw:
            name = os.fsdecode(raw)  # not UTF-8: carried with surrogateescape, as the file system gives it
            real = os.path.realpath(os.path.join(top, name))
            files.add(real)
            if name.endswith(_TFVARS):
                files.update(os.path.realpath(f) for f in _module_files(os.path.dirname(real)))
    return files


def merge_base(option: str, ref: str, paths: list[str]) -> tuple[str, str]:
    """(the merge base of ``ref`` and HEAD, the repository's top directory) for the scanned
    ``paths``; ``option`` (``--diff``, ``--compare``) names the flag in errors. ``ref`` comes
    from the command line or a CI variable: it is never taken for an option, and it is checked
    to be a commit before anything else uses it."""
    if not ref or ref.startswith("-"):
        raise ScopeError(f"{option} {ref!r}: not a git ref (a branch, tag or commit; it cannot start with '-')")
    start = str(common_directory(paths))
    top = os.fsdecode(_git(["rev-parse", "--show-toplevel"], start,
                           f"{option} needs the scanned paths to be in a git repository").rstrip(b"\r\n"))
    verified = _git(["rev-parse", "--verify", "--quiet", "--end-of-options", f"{ref}^{{commit}}"], top,
                    f"{option} {ref}: no such commit, branch or tag in {top}", _shallow_hint(top))
    commit = verified.decode("ascii", "replace").strip()
    base = _git(["merge-base", "--end-of-options", commit, "HEAD"], top,
                f"{option} {ref}: " + (_SHALLOW if _is_shallow(top) else f"no merge base between {ref} and HEAD "
                                       "(their histories are unrelated)"))
    return base.decode("ascii", "replace").strip(), top


_SHALLOW = "the history is shallow (a shallow clone), so the merge base is not in it: fetch the whole history " \
           "(actions/checkout with fetch-depth: 0, or git fetch --unshallow)"


def _is_shallow(top: str) -> bool:
    try:
        return _git(["rev-parse", "--is-shallow-repository"], top, "").strip() == b"true"
    except ScopeError:
        return False


def _shallow_hint(top: str) -> Callable[[], str]:
    """Said after "no such commit" in a shallow clone, where the ref may only not be fetched."""
    return lambda: " (the clone is shallow: the ref may exist but not be fetched; fetch with fetch-depth: 0)" \
        if _is_shallow(top) else ""


def _git(args: list[str], cwd: str, problem: str, hint: Callable[[], str] | None = None) -> bytes:
    """git's standard output, as bytes. No shell, no terminal prompt, no pager; the
    repository's filesystem monitor (a command its configuration may name) is not run."""
    try:
        run = run_git(args, cwd)
    except (OSError, subprocess.SubprocessError) as exc:
        raise ScopeError(f"{problem}: {exc}") from None
    if run.returncode != 0:
        detail = run.stderr.decode("utf-8", "replace").strip().splitlines()
        extra = hint() if hint is not None else ""
        raise ScopeError(f"{problem}{extra}" + (f" ({detail[-1]})" if detail else ""))
    return run.stdout
