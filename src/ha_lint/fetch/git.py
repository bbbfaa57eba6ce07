"""Fetch a module from git, treating the URL and the repository as hostile.

The URL always comes after ``--``; only the https, ssh, git and file transports are allowed
(``GIT_ALLOW_PROTOCOL`` and ``protocol.allow=never`` with those four allowed, so ``ext::``
and ``fd::`` never run a command); git never prompts (``GIT_TERMINAL_PROMPT=0``, ssh in batch
mode); no hooks run (``core.hooksPath=/dev/null``, no template), links are checked out as
plain files (``core.symlinks=false``), no submodules and no LFS smudging, and the checkout
keeps only the files, none executable (``.git`` is removed). The caller's ``GIT_*`` variables (set when
ha-lint runs inside a git hook) never reach these commands. Every command is bounded in time.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

ALLOWED_PROTOCOLS = ("https", "ssh", "git", "file")
TIMEOUT = 300.0  # seconds for all git commands of one source
_KEPT_GIT_VARIABLES = {"GIT_SSH", "GIT_SSH_COMMAND", "GIT_SSH_VARIANT"}
_COMMIT = re.compile(r"^[0-9a-f]{7,40}$")


class GitError(Exception):
    """A git source that could not be fetched; the message says why."""


class GitUnreachable(GitError):
    """The remote could not be reached (the caller may use a cached checkout)."""


def _config_flags() -> list[str]:
    flags = ["protocol.allow=never", *(f"protocol.{p}.allow=always" for p in ALLOWED_PROTOCOLS),
             "core.hooksPath=/dev/null", "core.symlinks=false", "core.fsmonitor=false",
             "submodule.recurse=false", "credential.interactive=false", "advice.detachedHead=false"]
    return [item for flag in flags for item in ("-c", flag)]


def _environment(environ: dict[str, str]) -> dict[str, str]:
    env = {k: v for k, v in environ.items() if not k.startswith("GIT_") or k in _KEPT_GIT_VARIABLES}
    # The user's and the system's git configuration still apply (proxies, CAs, credential
    # helpers, insteadOf rewrites), as for Terraform; the repository's own cannot run anything.
    env.update(GIT_ALLOW_PROTOCOL=":".join(ALLOWED_PROTOCOLS), GIT_TERMINAL_PROMPT="0", GIT_LFS_SKIP_SMUDGE="1")
    env.setdefault("GIT_SSH_COMMAND", "ssh -o BatchMode=yes -o ConnectTimeout=15")
    return env


def _run(args: list[str], environ: dict[str, str], deadline: float, cwd: Path | None = None) -> str:
    remaining = deadline - time.monotonic()
    if remaining <= 0:
        raise GitError(f"took longer than {TIMEOUT:.0f} s; gave up")
    try:
        done = subprocess.run(["git", *_config_flags(), *args], cwd=cwd, env=_environment(environ),
                              stdin=subprocess.DEVNULL, capture_output=True, timeout=remaining)
    except FileNotFoundError:
        raise GitError("git is not installed (it is needed for git module sources)") from None
    except subprocess.TimeoutExpired:
        raise GitError(f"took longer than {TIMEOUT:.0f} s; gave up") from None
    if done.returncode != 0:
        stderr = done.stderr.decode("utf-8", "replace").strip()
        lines = [line for line in stderr.splitlines() if line.startswith(("fatal:", "error:"))] or stderr.splitlines()
        message = lines[0] if lines else "git failed"
        if any(s in stderr for s in ("Could not resolve host", "Connection refused", "timed out",
                                     "Could not read from remote", "unable to access")):
            raise GitUnreachable(message)
        raise GitError(message)
    return done.stdout.decode("utf-8", "replace")


def resolve_ref(url: str, ref: str | None, environ: dict[str, str]) -> tuple[str, bool]:
    """(the commit ``ref`` names at ``url``, whether it is a branch or tag); HEAD when no ref.
    A ref that is no branch or tag but looks like a commit id is taken as one."""
    deadline = time.monotonic() + TIMEOUT
    listing = _run(["ls-remote", "--", url], environ, deadline)
    refs: dict[str, str] = {}
    for line in listing.splitlines():
        sha, _, name = line.partition("\t")
        refs[name.strip()] = sha.strip()
    wanted = ref or "HEAD"
    for name in (f"refs/tags/{wanted}^{{}}", f"refs/tags/{wanted}", f"refs/heads/{wanted}", wanted):
        if name in refs:
            return refs[name], True
    if ref and _COMMIT.match(ref):
        return ref, False
    raise GitError(f"{url} has no branch or tag {wanted!r}")


def checkout(url: str, ref: str | None, commit: str, named: bool, destination: Path,
             environ: dict[str, str]) -> None:
    """The files of ``commit`` at ``url`` in ``destination`` (created; no ``.git``)."""
    deadline = time.monotonic() + TIMEOUT
    work = Path(tempfile.mkdtemp(prefix="clone-", dir=destination.parent))
    try:
        repo = work / "repo"
        clone = ["clone", "--quiet", "--no-checkout", "--template="]
        if named and ref:
            clone += ["--depth", "1", "--branch", ref]
        _run([*clone, "--", url, str(repo)], environ, deadline)
        _run(["checkout", "--quiet", "--detach", commit, "--"], environ, deadline, cwd=repo)
        shutil.rmtree(repo / ".git")
        for folder, _, names in os.walk(repo):  # plain files: nothing downloaded is executable
            for name in names:
                os.chmod(os.path.join(folder, name), 0o644)
        repo.rename(destination)
    finally:
        shutil.rmtree(work, ignore_errors=True)
