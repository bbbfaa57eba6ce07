"""Unpack a downloaded module archive (``.zip``, ``.tar.gz``) into a directory, refusing
anything that could reach outside it or fill the disk.

Every entry is checked before anything is written, and the archive is refused whole (the
caller makes that a load error) when one entry has an absolute path, a ``..`` component, a
link whose target leaves the tree, or is a device or FIFO; or when the archive holds more
than ``MAX_FILES`` entries or ``MAX_TOTAL_BYTES`` unpacked. Files are written as plain,
non-executable files; links that stay inside the tree are kept as links.
"""

from __future__ import annotations

import io
import os
import posixpath
import stat
import tarfile
import zipfile
from dataclasses import dataclass
from pathlib import Path

MAX_FILES = 10_000
MAX_TOTAL_BYTES = 256 * 1024 * 1024


class ArchiveError(Exception):
    """An archive that is refused or cannot be read; the message says why."""


@dataclass
class _Entry:
    name: str  # normalised, relative, POSIX
    kind: str  # "file", "dir", "symlink", "hardlink"
    size: int = 0
    target: str = ""  # for links: normalised relative path inside the tree
    member: object = None


def extract(data: bytes, kind: str, destination: Path) -> None:
    """Unpack ``data`` (``zip`` or ``tar.gz``) into ``destination`` (created, must be new)."""
    entries = _tar_entries(data) if kind == "tar.gz" else _zip_entries(data)
    if len(entries) > MAX_FILES:
        raise ArchiveError(f"holds more than {MAX_FILES} entries; refused")
    total = sum(e.size for e in entries)
    if total > MAX_TOTAL_BYTES:
        raise ArchiveError(f"unpacks to more than {MAX_TOTAL_BYTES // (1024 * 1024)} MiB; refused")
    destination.mkdir(parents=True)
    if kind == "tar.gz":
        _write_tar(data, entries, destination)
    else:
        _write_zip(data, entries, destination)


def _safe_name(name: str) -> str:
    """The entry name as a relative POSIX path inside the tree, or ArchiveError."""
    clean = name.replace("\\", "/")
    if clean.startswith("/") or (len(clean) > 1 and clean[1] == ":"):
        raise ArchiveError(f"entry {name!r} has an absolute path; refused")
    parts = [p for p in clean.split("/") if p not in ("", ".")]
    if ".." in parts:
        raise ArchiveError(f"entry {name!r} reaches outside the archive with '..'; refused")
    if any("\0" in p for p in parts):
        raise ArchiveError(f"entry {name!r} has a NUL in its name; refused")
    return "/".join(parts)


def _link_target(name: str, target: str, relative_to_entry: bool) -> str:
    """A link's target as a path inside the tree, or ArchiveError when it leaves it."""
    if target.startswith("/") or not target:
        raise ArchiveError(f"link {name!r} points to {target!r}, outside the archive; refused")
    base = posixpath.dirname(name) if relative_to_entry else ""
    joined = posixpath.normpath(posixpath.join(base, target))
    if joined == ".." or joined.startswith("../") or joined.startswith("/"):
        raise ArchiveError(f"link {name!r} points to {target!r}, outside the archive; refused")
    return joined


def _tar_entries(data: bytes) -> list[_Entry]:
    entries: list[_Entry] = []
    total = 0
    try:
        with tarfile.open(fileobj=io.BytesIO(data), mode="r:gz") as tar:
            for member in tar:
                if len(entries) >= MAX_FILES:
                    entries.append(_Entry("", "dir"))  # one more than allowed: enough to refuse
                    break
                if member.type in (tarfile.XHDTYPE, tarfile.XGLTYPE, tarfile.GNUTYPE_LONGNAME, tarfile.GNUTYPE_LONGLINK):
                    continue
                name = _safe_name(member.name)
                if member.isdir():
                    entries.append(_Entry(name, "dir", member=member))
                elif member.isreg():
                    entries.append(_Entry(name, "file", member.size, member=member))
                    total += member.size
                    if total > MAX_TOTAL_BYTES:  # stop here: the rest of the stream is not decompressed
                        raise ArchiveError(f"unpacks to more than {MAX_TOTAL_BYTES // (1024 * 1024)} MiB; refused")
                elif member.issym():
                    entries.append(_Entry(name, "symlink", target=_link_target(member.name, member.linkname, True),
                                          member=member))
                elif member.islnk():
                    entries.append(_Entry(name, "hardlink", target=_link_target(member.name, member.linkname, False),
                                          member=member))
                else:
                    raise ArchiveError(f"entry {member.name!r} is a device or FIFO; refused")
    except (tarfile.TarError, EOFError, OSError, ValueError) as exc:
        raise ArchiveError(f"is not a readable .tar.gz archive ({exc})") from None
    return entries


def _zip_entries(data: bytes) -> list[_Entry]:
    entries: list[_Entry] = []
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            infos = archive.infolist()
            if len(infos) > MAX_FILES:
                raise ArchiveError(f"holds more than {MAX_FILES} entries; refused")
            for info in infos:
                name = _safe_name(info.filename)
                mode = info.external_attr >> 16
                if info.is_dir():
                    entries.append(_Entry(name, "dir", member=info))
                elif stat.S_ISLNK(mode):
                    target = archive.read(info)[:4096].decode("utf-8", "replace")
                    entries.append(_Entry(name, "symlink", target=_link_target(info.filename, target, True), member=info))
                elif stat.S_IFMT(mode) not in (0, stat.S_IFREG):  # no type bits: a plain file (most zip tools)
                    raise ArchiveError(f"entry {info.filename!r} is a device or FIFO; refused")
                else:
                    entries.append(_Entry(name, "file", info.file_size, member=info))
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, ValueError, EOFError) as exc:
        raise ArchiveError(f"is not a readable .zip archive ({exc})") from None
    return entries


def _target_path(root: Path, name: str) -> Path:
    """Where an entry is written; its parent must really be inside ``root`` (a link written
    earlier cannot redirect a later entry out of the tree)."""
    path = root / name
    path.parent.mkdir(parents=True, exist_ok=True)
    real_parent = Path(os.path.realpath(path.parent))
    if real_parent != root and root not in real_parent.parents:
        raise ArchiveError(f"entry {name!r} would be written outside the archive through a link; refused")
    if path.is_symlink() or path.exists() and not path.is_dir():
        path.unlink()
    return path


def _write_file(path: Path, source: io.BufferedIOBase | None, limit: int) -> None:
    written = 0
    with open(path, "wb") as out:
        while source is not None:
            chunk = source.read(64 * 1024)
            if not chunk:
                break
            written += len(chunk)
            if written > limit:  # a header that lied about the size
                raise ArchiveError(f"entry {path.name!r} is larger than its header says; refused")
            out.write(chunk)
    os.chmod(path, 0o644)


def _write_link(root: Path, name: str, target: str) -> None:
    """A symbolic link, checked again where it really lands: its directory may itself be
    reached through a link, which changes where a relative target points."""
    path = _target_path(root, name)
    lands = Path(os.path.realpath(path.parent / target))
    if lands != root and root not in lands.parents:
        raise ArchiveError(f"link {name!r} points to {target!r}, outside the archive; refused")
    os.symlink(target, path)


def _write_tar(data: bytes, entries: list[_Entry], root: Path) -> None:
    root = Path(os.path.realpath(root))
    with tarfile.open(fileobj=io.BytesIO(data), mode="r:gz") as tar:
        for entry in entries:
            if not entry.name:
                continue
            if entry.kind == "dir":
                (root / entry.name).mkdir(parents=True, exist_ok=True)
            elif entry.kind == "file":
                _write_file(_target_path(root, entry.name), tar.extractfile(entry.member), entry.size)  # type: ignore[arg-type]
            elif entry.kind == "symlink":
                _write_link(root, entry.name, entry.member.linkname)  # type: ignore[attr-defined]
            else:  # a hard link: a copy of the member it names, if that is a file already written
                source = root / entry.target
                if not source.is_file() or source.is_symlink():
                    raise ArchiveError(f"hard link {entry.name!r} names {entry.target!r}, not a file in the archive; refused")
                with open(source, "rb") as handle:
                    _write_file(_target_path(root, entry.name), handle, MAX_TOTAL_BYTES)


def _write_zip(data: bytes, entries: list[_Entry], root: Path) -> None:
    root = Path(os.path.realpath(root))
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        for entry in entries:
            if entry.kind == "dir":
                (root / entry.name).mkdir(parents=True, exist_ok=True)
            elif entry.kind == "symlink":
                _write_link(root, entry.name, archive.read(entry.member).decode("utf-8", "replace"))  # type: ignore[arg-type]
            else:
                with archive.open(entry.member) as source:  # type: ignore[arg-type]
                    _write_file(_target_path(root, entry.name), source, entry.size)
