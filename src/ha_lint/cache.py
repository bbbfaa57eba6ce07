"""A content-hash cache of loaded files, so a re-scan of an unchanged repository is fast.

What is cached is the work of loading: parsing and resolving a CloudFormation template, and
parsing a Terraform file, keyed by the file's bytes and the settings that change resolution
(parameters, region); and resolving a Terraform root module, kept with the digest of every
directory it read (its own, each child module's; ``directory_digest``) and served only while
all of them are unchanged. Every key includes a fingerprint of ha-lint's own code. Findings
are never cached: rules and configuration always run fresh, so changing either can never
serve a stale result.

The cache lives in the user's cache directory, never in the scanned repository. It is not
trusted: a CI cache restored from another job, or a directory others can write to, may hold
anything. So:

- entries are plain JSON data (``ha_lint.cachecodec``), never code, and each is checked for
  shape when read; an entry that is unreadable, too large, or of the wrong shape is a miss and
  is removed;
- on POSIX, ``Cache.open`` refuses a cache directory (and the generation directory under it)
  that is not owned by the current user or that group or others may write to: the scan goes on
  without the cache and says so. Directories are created with mode 0700. On Windows there is no
  such check (no owner and mode bits to compare): the shape check is the protection;
- temporary files of interrupted writes, generations of other ha-lint versions, and the oldest
  entries beyond ``DEFAULT_MAX_BYTES`` are removed by a pruning pass that runs when the cache is
  opened, at most once every ``PRUNE_EVERY_SECONDS``.
"""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import stat
import tempfile
import time
from pathlib import Path
from typing import Any, Callable

import ha_lint
from ha_lint import cachecodec
from ha_lint.model import ScanWarning
from ha_lint.root import shown_path

DEFAULT_MAX_BYTES = 512 * 1024 * 1024  # the whole cache; the oldest entries go first
MAX_ENTRY_BYTES = 64 * 1024 * 1024  # one entry, read or written (the corpus's largest is 0.35 MB)
PRUNE_EVERY_SECONDS = 10 * 60
STALE_TEMP_SECONDS = 15 * 60  # a write in progress takes milliseconds; older ones were interrupted
TEMP_PREFIX = ".tmp-"
MAGIC = b"ha-lint cache 1\n"  # first line of every entry: not ours (an old pickle) is a miss
_PRUNED_STAMP = "last-pruned"
_GENERATION = re.compile(r"[0-9a-f]{16}")
_ENTRY = re.compile(r"[0-9a-f]{62}")

_CODE_FINGERPRINT: str | None = None


def default_dir() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "ha-lint"


def code_fingerprint() -> str:
    """Changes whenever any of ha-lint's own source files changes (or its version)."""
    global _CODE_FINGERPRINT
    if _CODE_FINGERPRINT is None:
        digest = hashlib.sha256(ha_lint.__version__.encode())
        package = Path(ha_lint.__file__).parent
        for path in sorted(package.rglob("*.py")):
            info = path.stat()
            digest.update(f"{path.relative_to(package)}:{info.st_size}:{info.st_mtime_ns}".encode())
        _CODE_FINGERPRINT = digest.hexdigest()[:16]
    return _CODE_FINGERPRINT


class Cache:
    """Entries under ``<directory>/<code fingerprint>/<2 hex>/<62 hex>``. ``Cache(directory)``
    trusts the directory: open it with ``Cache.open``, which checks it, once per scan (workers
    are handed a directory that was checked)."""

    def __init__(self, directory: Path, max_bytes: int = DEFAULT_MAX_BYTES) -> None:
        self.root = directory
        self.directory = directory / code_fingerprint()
        self.max_bytes = max_bytes

    @classmethod
    def open(cls, directory: Path, max_bytes: int = DEFAULT_MAX_BYTES) -> tuple["Cache | None", ScanWarning | None]:
        """The cache in ``directory``, created if need be and pruned when due; or None and a
        warning saying why it is not used."""
        cache = cls(directory, max_bytes)
        for folder in (cache.root, cache.directory):
            problem = private_directory(folder)
            if problem and problem.startswith(CANNOT_CREATE):
                return None, _refused(directory, folder, problem, "choose a writable --cache-dir, or --no-cache")
            if problem:
                return None, _refused(directory, folder, problem, _fix(folder, problem))
        cache.prune_when_due()
        return cache, None

    def key(self, data: bytes, *parts: str) -> str:
        """The entry name for ``data`` loaded with the settings ``parts``."""
        digest = hashlib.sha256(data)
        for part in parts:
            # surrogatepass: a file name that is not UTF-8 (carried with surrogate escapes) is
            # still a name, and every string has exactly one encoding; length-prefixed so
            # that ("a", "bc") and ("ab", "c") differ.
            encoded = part.encode("utf-8", "surrogatepass")
            digest.update(len(encoded).to_bytes(8, "big") + encoded)
        return digest.hexdigest()

    def _path(self, key: str) -> str:
        return os.path.join(self.directory, key[:2], key[2:])  # (a str: pathlib's joins cost more, per lookup)

    def get(self, key: str, valid: Callable[[Any], bool] | None = None) -> Any:
        """The entry's value, or None: missing, or not an entry this cache writes (unreadable,
        too large, not JSON, an unknown type, of a shape ``valid`` refuses), which is removed."""
        path = self._path(key)
        data = _read_entry(path)
        if data is None:
            return None
        try:
            if not data.startswith(MAGIC):
                raise cachecodec.CodecError("not a cache entry")
            value = cachecodec.loads(str(memoryview(data)[len(MAGIC):], "ascii"))
            if valid is not None and not valid(value):
                raise cachecodec.CodecError("an entry of the wrong shape")
        except Exception:  # CodecError, or a `valid` tripping over what it was given: a miss
            self.discard(key)
            return None
        return value

    def put(self, key: str, value: Any) -> None:
        """Store ``value``, unless the codec cannot (a type it does not know: only costs speed)."""
        try:
            data = MAGIC + cachecodec.dumps(value)
        except cachecodec.CodecError:
            return
        if len(data) > MAX_ENTRY_BYTES:
            return
        folder = self.directory / key[:2]
        try:
            folder.mkdir(mode=0o700, exist_ok=True)
            # Write then rename: parallel workers and interrupted runs never leave half an entry
            # (an interrupted run leaves a temporary file, which pruning removes).
            fd, tmp = tempfile.mkstemp(prefix=TEMP_PREFIX, dir=folder)
            try:
                with os.fdopen(fd, "wb") as handle:
                    handle.write(data)
                os.replace(tmp, folder / key[2:])
            except BaseException:
                _remove(Path(tmp))
                raise
        except OSError:
            pass  # a cache that cannot be written only costs speed

    def discard(self, key: str) -> None:
        _remove(Path(self._path(key)))

    # -- pruning ---------------------------------------------------------------------------

    def prune_when_due(self) -> None:
        stamp = self.root / _PRUNED_STAMP
        try:
            if time.time() - stamp.stat().st_mtime < PRUNE_EVERY_SECONDS:
                return
        except OSError:
            pass  # never pruned
        try:
            stamp.touch(mode=0o600)
        except OSError:
            return
        self.prune()

    def prune(self) -> None:
        """Remove other ha-lint versions' generations, interrupted writes, and the oldest
        entries beyond ``max_bytes``."""
        for entry in _scandir(self.root):
            if entry.name != self.directory.name and _is_generation(entry):
                shutil.rmtree(entry.path, ignore_errors=True)
        now = time.time()
        entries: list[tuple[float, int, str]] = []  # (written, size, path)
        for folder in _scandir(self.directory):
            if len(folder.name) != 2 or not folder.is_dir(follow_symlinks=False):
                continue
            for entry in _scandir(Path(folder.path)):
                try:
                    info = entry.stat(follow_symlinks=False)
                except OSError:
                    continue
                if entry.name.startswith(TEMP_PREFIX):
                    if now - info.st_mtime > STALE_TEMP_SECONDS:
                        _remove(Path(entry.path))
                elif _ENTRY.fullmatch(entry.name):
                    entries.append((info.st_mtime, info.st_size, entry.path))
        total = sum(size for _, size, _ in entries)
        for _, size, path in sorted(entries):
            if total <= self.max_bytes:
                break
            _remove(Path(path))
            total -= size


def _is_generation(entry: os.DirEntry[str]) -> bool:
    """A directory of entries this cache writes (named by a code fingerprint, holding only
    two-hex-digit folders): only such a directory is removed, whatever else ``--cache-dir``
    holds."""
    if not (_GENERATION.fullmatch(entry.name) and entry.is_dir(follow_symlinks=False)):
        return False
    return all(len(child.name) == 2 and child.is_dir(follow_symlinks=False) for child in _scandir(Path(entry.path)))


CANNOT_CREATE = "cannot be created"


def private_directory(folder: Path) -> str | None:
    """Create ``folder`` (and its parents) for this user only, or say why it may not be used:
    it cannot be created, or it is not ours or others may write to it (``unsafe_directory``)."""
    try:
        folder.mkdir(mode=0o700, parents=True, exist_ok=True)
        return unsafe_directory(folder)
    except OSError as exc:
        return f"{CANNOT_CREATE} ({exc.strerror or exc})"


def unsafe_directory(folder: Path) -> str | None:
    """Why ``folder`` may not hold a cache (POSIX): not a directory, not owned by the current
    user, or writable by group or others; None when it may. Windows: always None."""
    try:
        info = os.stat(folder)
    except OSError as exc:
        return f"cannot be read ({exc.strerror or exc})"
    if not stat.S_ISDIR(info.st_mode):
        return "is not a directory"
    if not hasattr(os, "geteuid"):
        return None
    if info.st_uid != os.geteuid():
        return f"is owned by another user (uid {info.st_uid}; you are uid {os.geteuid()})"
    if info.st_mode & 0o022:
        who = {0o022: "group and others", 0o020: "group", 0o002: "others"}[info.st_mode & 0o022]
        return f"is writable by {who} (mode {stat.S_IMODE(info.st_mode):04o})"
    return None


def _refused(directory: Path, folder: Path, problem: str, fix: str) -> ScanWarning:
    where = "it" if folder == directory else f"its directory {shown_path(folder)}"
    return ScanWarning("cache-refused", f"the cache directory {shown_path(directory)} is not used: {where} {problem}; "
                                        f"this scan runs without the cache (only slower). To use it: {fix}")


def _fix(folder: Path, problem: str) -> str:
    if "owned by" in problem:
        return f"chown $(id -u) {shown_path(folder)} (it must be yours), or choose another --cache-dir"
    return f"chmod go-w {shown_path(folder)} (nobody else may write to it), or choose another --cache-dir"


def _read_entry(path: str) -> bytes | None:
    """The bytes of an entry (at most MAX_ENTRY_BYTES), b"" for something that is not one, or
    None when there is none. A planted pipe or device is never waited on: opened without
    blocking, then refused unless a regular file; a link is not followed."""
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOFOLLOW", 0)
                     | getattr(os, "O_BINARY", 0))
    except FileNotFoundError:
        return None
    except OSError:  # a planted symbolic link (O_NOFOLLOW), an unreadable file: removed
        return b""
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode) or info.st_size > MAX_ENTRY_BYTES:
            return b""
        return os.read(fd, info.st_size)  # (entries are renamed into place whole: the size holds)
    except OSError:
        return b""
    finally:
        os.close(fd)


def _scandir(folder: Path) -> list[os.DirEntry[str]]:
    try:
        with os.scandir(folder) as entries:
            return list(entries)
    except OSError:
        return []


def _remove(path: Path) -> None:
    try:
        path.unlink()
    except OSError:
        pass


# Files of a Terraform module directory that its resolution reads.
_MODULE_FILES = ("*.tf", "*.tf.json", "*.tfvars", "*.tfvars.json")


def directory_digest(path: Path) -> str:
    """The content of a Terraform module directory as resolution sees it: its ``.tf`` and
    ``.tfvars`` files and ``.terraform/modules/modules.json`` (names and bytes); of a single
    file (a Terragrunt configuration), its bytes; "missing" for what is not there."""
    if path.is_file():
        try:
            return "file " + hashlib.sha256(path.read_bytes()).hexdigest()
        except OSError:
            return "unreadable"
    if not path.is_dir():
        return "missing"
    digest = hashlib.sha256()
    files = sorted({f for pattern in _MODULE_FILES for f in path.glob(pattern)})
    installed = path / ".terraform" / "modules" / "modules.json"
    for file in [*files, installed]:
        try:
            if file.is_file():
                digest.update(f"\0{file.name}\0".encode())
                digest.update(file.read_bytes())
        except OSError:
            digest.update(f"\0{file.name}\0unreadable".encode())
    return digest.hexdigest()
