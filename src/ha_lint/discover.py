"""Find the files to scan and say what each one is.

CloudFormation: YAML/JSON (``.yaml .yml .json .template``, CDK's ``*.template.json``) with
``AWSTemplateFormatVersion`` or a ``Resources`` map of ``AWS::``/``Custom::`` types.
Terraform: ``.tf`` and ``.tf.json`` files, grouped per directory as one module; Terragrunt's
``terragrunt.hcl``. Terraform plans:
``terraform show -json`` output. Anything else is not ours and is skipped silently.
A file with a template's name that cannot be one (a named pipe, a socket, a broken or looping
symbolic link, an unreadable directory, a file over ``--max-file-size``) is one problem naming
it; binary content (NUL bytes) is handed to the loader, which says what it is.

File names are bytes: one that is not UTF-8 is carried as a ``str`` with surrogate escapes
(``os.fsdecode``), opened by that name, and never encoded strictly; the reports show its bad
bytes as ``\\xff`` (``ha_lint.escape``).
"""

from __future__ import annotations

import errno
import fnmatch
import os
import re
import stat
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

from ha_lint.model import ScanWarning
from ha_lint.root import RepositoryRoot, is_within

SKIP_DIRS = frozenset({
    ".git", ".hg", ".svn", ".terraform", "node_modules", ".venv", "venv", "__pycache__",
    ".tox", ".nox", ".mypy_cache", ".pytest_cache", ".ruff_cache", ".aws-sam", ".serverless",
    ".idea", ".vscode", "site-packages", ".ha-lint-cache",
    ".terragrunt-cache",  # Terragrunt's copies of each unit's module and configuration
})
TEMPLATE_SUFFIXES = (".yaml", ".yml", ".json", ".template")
TF_SUFFIXES = (".tf", ".tf.json")  # a module's files: native syntax, and JSON syntax (CDK for Terraform's cdk.tf.json)
TERRAGRUNT_FILE = "terragrunt.hcl"  # a Terragrunt unit (or a parent only included: resolve.terragrunt decides)
# Boilerplate's template folders (``terragrunt scaffold`` and catalogs): Go templates that
# write configuration (``{{ .Name }} = ...``), not configuration; noted, never parsed.
TEMPLATE_DIR = ".boilerplate"
DEFAULT_MAX_BYTES = 10 * 1024 * 1024

CFN = "cloudformation"
TF = "terraform"
PLAN = "tfplan"
TERRAGRUNT = "terragrunt"

_CFN_TYPE = re.compile(r"""["']?Type["']?\s*:\s*["']?(AWS|Custom|Alexa)::""")
_PLAN_KEYS = re.compile(r'"(planned_values|resource_changes|prior_state)"\s*:')


@dataclass(frozen=True)
class Candidate:
    path: Path  # on disk
    shown: str  # as the user named it (relative to the path given on the command line)
    language: str  # CFN, TF, PLAN or TERRAGRUNT


@dataclass
class Discovery:
    files: list[Candidate] = field(default_factory=list)  # CFN and PLAN documents, TF files
    problems: list[tuple[str, str]] = field(default_factory=list)  # (shown, message)
    warnings: list[ScanWarning] = field(default_factory=list)  # links leading outside the repository root

    def terraform_dirs(self) -> dict[Path, list[Candidate]]:
        groups: dict[Path, list[Candidate]] = {}
        for c in self.files:
            if c.language == TF:
                groups.setdefault(c.path.parent, []).append(c)
        return groups


def discover(paths: list[str], exclude: list[str] | None = None, max_bytes: int = DEFAULT_MAX_BYTES,
             boundary: RepositoryRoot | None = None) -> Discovery:
    """Every candidate under ``paths``. With ``boundary``, a symbolic link met in a directory that
    leads outside both the root and the path being walked is a warning, and is not read (a
    path named in ``paths`` is always read)."""
    found = Discovery()
    seen: set[tuple[int, ...]] = set()
    exclude = exclude or []
    for given in paths:
        root = Path(given)
        if TEMPLATE_DIR in Path(os.path.abspath(given)).parts:
            found.warnings.append(_template_note(given))
            continue
        if not root.is_dir():  # a file, or something that is not one (a pipe, a broken link): say so
            _consider(root, given, found, seen, exclude, max_bytes, explicit=True)
            continue

        def unreadable(exc: OSError, given: str = given, root: Path = root) -> None:
            shown = _join(given, os.path.dirname(exc.filename), root, os.path.basename(exc.filename)) \
                if exc.filename else given
            found.problems.append((shown, f"directory cannot be read: {exc.strerror or exc}; not scanned"))

        allowed = _link_check(boundary, given)
        for dirpath, dirnames, filenames in os.walk(root, onerror=unreadable, followlinks=False):
            dirnames[:] = sorted(d for d in dirnames if d not in SKIP_DIRS and not _excluded(_join(given, dirpath, root, d), exclude))
            if TEMPLATE_DIR in dirnames:
                dirnames.remove(TEMPLATE_DIR)
                found.warnings.append(_template_note(_join(given, dirpath, root, TEMPLATE_DIR)))
            for name in sorted(filenames):
                full = Path(dirpath) / name
                _consider(full, _join(given, dirpath, root, name), found, seen, exclude, max_bytes, explicit=False,
                          allowed=allowed, boundary=boundary)
    return found


def _template_note(shown: str) -> ScanWarning:
    return ScanWarning("template-skipped", "Boilerplate templates (Go templates that scaffolding turns into "
                       "configuration), not configuration; not scanned", shown)


def _join(given: str, dirpath: str, root: Path, name: str) -> str:
    rel = os.path.relpath(os.path.join(dirpath, name), root)
    return rel if given in (".", "./") else os.path.join(given, rel)


def _excluded(shown: str, patterns: list[str]) -> bool:
    parts = Path(shown).parts
    return any(fnmatch.fnmatch(shown, p) or any(fnmatch.fnmatch(part, p) for part in parts) for p in patterns)


def _consider(path: Path, shown: str, found: Discovery, seen: set[tuple[int, ...]], exclude: list[str],
              max_bytes: int, explicit: bool, allowed: Callable[[Path], bool] | None = None,
              boundary: RepositoryRoot | None = None) -> None:
    name = path.name.lower()
    terraform = name.endswith(TF_SUFFIXES)
    terragrunt = name == TERRAGRUNT_FILE
    if not (terraform or terragrunt or name.endswith(TEMPLATE_SUFFIXES)):
        return
    if _excluded(shown, exclude):
        return
    if allowed is not None and boundary is not None and os.path.islink(path) and not allowed(path):  # before any read
        found.warnings.append(boundary.outside("the target of this symbolic link", shown, None))
        return
    problem = not_a_regular_file(path)
    if problem:
        found.problems.append((shown, problem))
        return
    try:
        status = path.stat()
        # The same file by two paths (given twice, or through a link) is scanned once; a .tf file
        # belongs to the module of the directory it is found in (a shared versions.tf linked into
        # several modules is part of each).
        real = (status.st_dev, status.st_ino, *(_directory_identity(path) if terraform else ()))
        if real in seen:
            return
        seen.add(real)
        size = status.st_size
        if terraform or terragrunt:
            head = b""
        else:
            with open(path, "rb") as handle:
                head = handle.read(min(size, 256 * 1024))
    except OSError as exc:
        found.problems.append((shown, f"cannot be read: {exc.strerror or exc}"))
        return
    language = TF if terraform else TERRAGRUNT if terragrunt else sniff(head, name)
    if language is None:
        return
    if size > max_bytes:
        found.problems.append((shown, too_large(size, max_bytes)))
        return
    found.files.append(Candidate(path, shown, language))


def _link_check(boundary: RepositoryRoot | None, given: str) -> Callable[[Path], bool] | None:
    """Whether a link met while walking ``given`` may be followed: its target is inside the
    repository root or inside ``given`` itself."""
    if boundary is None:
        return None
    walked = os.path.realpath(given)

    def allowed(path: Path) -> bool:
        real = os.path.realpath(path)
        return boundary.inside_root(real) or is_within(real, walked)
    return allowed


def _directory_identity(path: Path) -> tuple[int, int]:
    status = os.stat(path.parent)
    return status.st_dev, status.st_ino


def too_large(size: int, max_bytes: int) -> str:
    return f"is {size:,} bytes, over the {max_bytes:,}-byte limit (--max-file-size); not scanned"


_NOT_REGULAR = ((stat.S_ISFIFO, "a named pipe (FIFO)"), (stat.S_ISSOCK, "a socket"), (stat.S_ISCHR, "a character device"),
                (stat.S_ISBLK, "a block device"), (stat.S_ISDIR, "a directory"))


def not_a_regular_file(path: Path) -> str | None:
    """Why ``path`` cannot be read as a template, or None: a broken or looping symbolic link,
    or something that is not a regular file (reading a named pipe would wait for ever)."""
    try:
        mode = os.stat(path).st_mode
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            return "is a symbolic link that loops (it leads back to itself); not scanned"
        if exc.errno == errno.ENOENT and os.path.islink(path):
            return f"is a broken symbolic link (its target {os.readlink(path)} does not exist); not scanned"
        return f"cannot be read: {exc.strerror or exc}"
    if stat.S_ISREG(mode):
        return None
    what = next((label for test, label in _NOT_REGULAR if test(mode)), "not a regular file")
    return f"is {what}, not a regular file; not scanned"


def sniff(head: bytes, name: str) -> str | None:
    """CFN, PLAN or None, from the first bytes of a YAML/JSON file."""
    if b"\x00" in head[:8192]:
        return CFN  # binary (or UTF-16) with a template's name: the loader says what it is
    text = head.decode("utf-8", errors="replace")
    if name.endswith(".json") and _PLAN_KEYS.search(text) and '"format_version"' in text:
        return PLAN
    if "AWSTemplateFormatVersion" in text:
        return CFN
    if "Resources" in text and _CFN_TYPE.search(text):
        return CFN
    return None
