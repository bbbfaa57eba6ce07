"""The tree at the merge base of a ref and HEAD, written from git objects into a temporary
directory (the working tree, the index and the refs are never touched).

The ref comes from the command line or a CI variable: it is refused when it starts with
``-`` and verified to name a commit before anything else uses it (``ha_lint.scope`` runs git
the same way for ``--diff``). Regular files and links that stay inside the tree are written;
submodules are not (their commits are not in this repository)."""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from dataclasses import dataclass, field

from ha_lint import scope
from ha_lint.root import run_git
from ha_lint.scope import ScopeError, _git

MAX_BLOB_BYTES = 64 * 1024 * 1024  # larger than any template ha-lint reads (discovery's limit is lower)


@dataclass
class BaseTree:
    commit: str  # the merge base
    top: str  # the working tree's top directory (real path)
    directory: str  # where the base tree was written
    skipped: list[str] = field(default_factory=list)  # what was not written, and why

    def to_base(self, path: str) -> str:
        """A path of the working tree as the same path in the base tree (unchanged outside it)."""
        real = os.path.realpath(path)
        rel = os.path.relpath(real, self.top)
        return path if rel == ".." or rel.startswith(".." + os.sep) else os.path.join(self.directory, rel)

    def cleanup(self) -> None:
        shutil.rmtree(os.path.dirname(self.directory), ignore_errors=True)


def merge_base(ref: str, paths: list[str]) -> tuple[str, str]:
    """(the merge base's commit id, the repository's top directory)."""
    commit, top = scope.merge_base("--compare", ref, paths)
    return commit, os.path.realpath(top)


def write_tree(commit: str, top: str) -> BaseTree:
    """The tree of ``commit`` written into a new temporary directory."""
    listing = _git(["ls-tree", "-r", "-z", "-l", "--full-tree", "--end-of-options", commit], top,
                   f"cannot list the files of {commit}")
    holder = os.path.realpath(tempfile.mkdtemp(prefix="ha-lint-base-"))  # paths are compared as real paths
    tree = BaseTree(commit, top, os.path.join(holder, "tree"))
    os.mkdir(tree.directory)
    try:
        blobs: list[tuple[str, str, str]] = []  # (object id, mode, relative path)
        for entry in listing.split(b"\0"):
            if not entry:
                continue
            meta, _, raw_path = entry.partition(b"\t")
            mode, kind, oid, size = meta.decode("ascii", "replace").split()
            name = os.fsdecode(raw_path)
            if kind != "blob":
                tree.skipped.append(f"{name}: a submodule (not in this repository)")
            elif size != "-" and int(size) > MAX_BLOB_BYTES:
                tree.skipped.append(f"{name}: larger than {MAX_BLOB_BYTES // (1024 * 1024)} MiB")
            elif _safe(name):
                blobs.append((oid, mode, name))
        _write_blobs(tree, blobs)
    except BaseException:
        tree.cleanup()
        raise
    return tree


def _safe(name: str) -> bool:
    parts = name.split("/")
    return not name.startswith("/") and ".." not in parts and "" not in parts and ".git" not in parts


def _write_blobs(tree: BaseTree, blobs: list[tuple[str, str, str]]) -> None:
    """Every blob through one ``git cat-file --batch`` (read back in the order asked)."""
    if not blobs:
        return
    request = "".join(f"{oid}\n" for oid, _, _ in blobs).encode("ascii")
    try:
        run = run_git(["cat-file", "--batch"], tree.top, input=request, timeout=300)
    except (OSError, subprocess.SubprocessError) as exc:
        raise ScopeError(f"cannot read the files of {tree.commit}: {exc}") from None
    if run.returncode != 0:
        raise ScopeError(f"cannot read the files of {tree.commit}")
    data, at = run.stdout, 0
    for oid, mode, name in blobs:
        end = data.index(b"\n", at)
        header = data[at:end].split()
        if len(header) < 3 or header[1] != b"blob":
            raise ScopeError(f"cannot read {name} at {tree.commit}")
        size = int(header[2])
        content = data[end + 1: end + 1 + size]
        at = end + 1 + size + 1
        target = os.path.join(tree.directory, name)
        os.makedirs(os.path.dirname(target), exist_ok=True)
        if mode == "120000":  # a symbolic link: kept only when it stays inside the tree
            link = os.fsdecode(content)
            resolved = os.path.normpath(os.path.join(os.path.dirname(target), link))
            if os.path.isabs(link) or not resolved.startswith(tree.directory + os.sep):
                tree.skipped.append(f"{name}: a link out of the repository")
                continue
            os.symlink(link, target)
            continue
        with open(target, "wb") as out:
            out.write(content)


def overlay(tree: BaseTree, directory: str) -> None:
    """``--base-path DIR``: the base's generated inputs (laid out as the repository) copied
    over the base tree. Links are not followed and not copied."""
    for dirpath, dirnames, filenames in os.walk(directory):
        rel = os.path.relpath(dirpath, directory)
        target_dir = os.path.normpath(os.path.join(tree.directory, rel))
        os.makedirs(target_dir, exist_ok=True)
        for name in filenames:
            source = os.path.join(dirpath, name)
            if os.path.islink(source) or not os.path.isfile(source):
                tree.skipped.append(f"{os.path.join(rel, name)} (--base-path): not a regular file")
                continue
            shutil.copyfile(source, os.path.join(target_dir, name))
        dirnames[:] = [d for d in dirnames if not os.path.islink(os.path.join(dirpath, d))]


def ignored(top: str, paths: list[str]) -> set[str]:
    """The paths (real paths inside ``top``) git ignores there."""
    rels = {}
    for path in paths:
        rel = os.path.relpath(os.path.realpath(path), top)
        if rel != ".." and not rel.startswith(".." + os.sep):
            rels[rel] = path
    if not rels:
        return set()
    try:
        run = run_git(["check-ignore", "-z", "--stdin"], top, input=b"".join(os.fsencode(r) + b"\0" for r in rels))
    except (OSError, subprocess.SubprocessError):
        return set()
    return {rels[os.fsdecode(r)] for r in run.stdout.split(b"\0") if r and os.fsdecode(r) in rels}
