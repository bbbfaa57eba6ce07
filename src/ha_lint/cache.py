"""A content-hash cache of loaded files, so a re-scan of an unchanged repository is fast.

What is cached is the work of loading: parsing and resolving a CloudFormation template, and
parsing a Terraform file, keyed by the file's bytes and the settings that change resolution
(parameters, region); and resolving a Terraform root module, kept with the digest of every
directory it read (its own, each child module's; ``directory_digest``) and served only while
all of them are unchanged. Every key includes a fingerprint of ha-lint's own code. Findings
are never cached: rules and configuration always run fresh, so changing either can never
serve a stale result.
The cache lives in the user's cache directory, never in the scanned repository.
"""

from __future__ import annotations

import hashlib
import os
import pickle
import tempfile
from pathlib import Path
from typing import Any

import ha_lint

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
            stat = path.stat()
            digest.update(f"{path.relative_to(package)}:{stat.st_size}:{stat.st_mtime_ns}".encode())
        _CODE_FINGERPRINT = digest.hexdigest()[:16]
    return _CODE_FINGERPRINT


class Cache:
    def __init__(self, directory: Path) -> None:
        self.directory = directory / code_fingerprint()

    def key(self, data: bytes, *parts: str) -> str:
        digest = hashlib.sha256(data)
        for part in parts:
            digest.update(b"\0" + part.encode())
        return digest.hexdigest()

    def get(self, key: str) -> Any:
        path = self.directory / key[:2] / key[2:]
        try:
            with open(path, "rb") as handle:
                return pickle.load(handle)
        except (OSError, EOFError, pickle.UnpicklingError, AttributeError, ImportError, ValueError, TypeError):
            return None

    def put(self, key: str, value: Any) -> None:
        folder = self.directory / key[:2]
        try:
            folder.mkdir(parents=True, exist_ok=True)
            # Write then rename: parallel workers and interrupted runs never leave half a file.
            fd, tmp = tempfile.mkstemp(dir=folder)
            with os.fdopen(fd, "wb") as handle:
                pickle.dump(value, handle, protocol=pickle.HIGHEST_PROTOCOL)
            os.replace(tmp, folder / key[2:])
        except (OSError, pickle.PicklingError, RecursionError, TypeError, AttributeError):
            pass  # a cache that cannot be written only costs speed


# Files of a Terraform module directory that its resolution reads.
_MODULE_FILES = ("*.tf", "*.tfvars", "*.tfvars.json")


def directory_digest(path: Path) -> str:
    """The content of a Terraform module directory as resolution sees it: its ``.tf`` and
    ``.tfvars`` files and ``.terraform/modules/modules.json`` (names and bytes); "missing"
    for a directory that is not there."""
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
