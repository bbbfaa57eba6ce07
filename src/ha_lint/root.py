"""The repository root: how far the files ha-lint follows may reach.

A scan reads the paths named on the command line, always. What those files point at
(a nested stack's ``TemplateURL``, a Terraform module's ``source`` or its
``.terraform/modules`` directory, a symbolic link met while walking a directory) is read
only when it lies inside the repository root, so that a template in a pull request cannot
make ha-lint read ``/etc/passwd`` or a neighbour's checkout and show bits of it in a
message. A reference beyond the root is a ``reference-outside-root`` warning and is not
read.

The root of a scanned path is, in order: ``--root DIR`` (or ``root:`` in the configuration
file); the git top level of the path; outside git, the current directory when the path is
below it, else the path itself (a file's directory). Directories ha-lint itself fills (the
module download cache) are trusted as if inside.
"""

from __future__ import annotations

import functools
import os
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable

from ha_lint.model import ScanWarning

OUTSIDE_ROOT = "reference-outside-root"


@dataclass(frozen=True)
class RepositoryRoot:
    """The directories references may reach: the roots of the scanned paths and the trusted
    directories (real paths, symbolic links resolved)."""

    roots: tuple[str, ...]
    trusted: tuple[str, ...] = ()

    def inside_root(self, path: str | os.PathLike[str]) -> bool:
        """Whether ``path``, with every symbolic link resolved, lies in a root or a trusted directory."""
        real = os.path.realpath(path)
        return any(is_within(real, top) for top in (*self.roots, *self.trusted))

    def shown(self) -> str:
        return ", ".join(shown_path(top) for top in self.roots)

    def outside(self, what: str, file: str | None, line: int | None) -> ScanWarning:
        """The warning for a reference beyond the root: ``what`` names the reference as the
        referencing file writes it (never anything read from its target)."""
        return ScanWarning(OUTSIDE_ROOT, f"{what} is outside the repository root ({self.shown()}); not read "
                                         "(--root DIR, or root: in the configuration, widens the root)", file, line)


def shown_path(path: str | os.PathLike[str]) -> str:
    """A path as a message shows it: relative to the current directory when it lies inside it
    (as the scanned files are shown when named relatively), else under ``~`` when in the home
    directory, else as it is."""
    real, cwd = os.path.realpath(path), os.path.realpath(os.getcwd())
    if is_within(real, cwd):
        return os.path.relpath(real, cwd)
    home = os.path.realpath(os.path.expanduser("~"))
    if home != os.sep and is_within(real, home):
        below = os.path.relpath(real, home)
        return "~" if below == os.curdir else os.path.join("~", below)
    return os.fspath(path)


def is_within(real: str, top: str) -> bool:
    """Whether the real path ``real`` is ``top`` or below it (a prefix is not a parent)."""
    return real == top or real.startswith(top.rstrip(os.sep) + os.sep)


def repository_root(paths: Iterable[str], explicit: str | os.PathLike[str] | None = None,
                    trusted: Iterable[str | os.PathLike[str]] = ()) -> RepositoryRoot:
    """The root for these scanned paths: ``explicit`` when given, else each path's own root."""
    if explicit is not None:
        return RepositoryRoot((os.path.realpath(explicit),), tuple(os.path.realpath(d) for d in trusted))
    roots: list[str] = []
    for path in paths or ["."]:
        # A path inside a root already found adds nothing (pre-commit names hundreds of files
        # of one repository: one git call, not one per directory).
        if not any(is_within(os.path.realpath(path), top) for top in roots):
            roots.append(str(root_of(Path(path))))
    return RepositoryRoot(tuple(dict.fromkeys(roots)), tuple(os.path.realpath(d) for d in trusted))


def root_of(path: Path) -> Path:
    """One scanned path's root: its git top level; outside git, the current directory when the
    path is below it, else the path itself (a file's directory)."""
    start = Path(os.path.realpath(path))
    directory = start if start.is_dir() else start.parent
    top = git_toplevel(str(directory))
    if top is not None:
        return top
    cwd = Path(os.path.realpath(os.getcwd()))
    return cwd if directory == cwd or cwd in directory.parents else directory


def run_git(args: list[str], cwd: str | Path, input: bytes | None = None, timeout: float = 60,
            environ: dict[str, str] | None = None) -> subprocess.CompletedProcess[bytes]:
    """git as ha-lint runs it (every local git command goes through here): no shell, no
    terminal prompt, no pager, no optional locks, and the repository's filesystem monitor (a
    command its configuration may name) not run. ``environ``: the environment to start from
    (this process's by default). Raises what ``subprocess.run`` raises."""
    env = {**(os.environ if environ is None else environ), "GIT_TERMINAL_PROMPT": "0", "GIT_OPTIONAL_LOCKS": "0"}
    return subprocess.run(["git", "-c", "core.fsmonitor=false", "--no-pager", *args], cwd=cwd, input=input,
                          stdin=subprocess.DEVNULL if input is None else None, capture_output=True,
                          timeout=timeout, env=env)


@functools.lru_cache(maxsize=256)
def git_toplevel(directory: str) -> Path | None:
    """The top level of the git work tree holding ``directory``, or None (not in one, or git
    is not there). Git is asked without a shell or a terminal, and with the repository's own
    hooks and filesystem monitor off; when git cannot answer (not installed, a repository
    it refuses as owned by someone else) the nearest ``.git`` above is taken instead."""
    outside = {k: v for k, v in os.environ.items() if not k.startswith("GIT_")}  # (a hook's GIT_DIR: not ours)
    try:
        run = run_git(["rev-parse", "--show-toplevel"], directory, timeout=30, environ=outside)
    except (OSError, subprocess.SubprocessError):
        return _dot_git_above(Path(directory))
    if run.returncode == 0 and run.stdout.strip():
        return Path(os.path.realpath(os.fsdecode(run.stdout.rstrip(b"\r\n"))))
    if b"not a git repository" in run.stderr.lower():
        return None
    return _dot_git_above(Path(directory))


def _dot_git_above(directory: Path) -> Path | None:
    for candidate in (directory, *directory.parents):
        if (candidate / ".git").exists():
            return candidate
    return None
