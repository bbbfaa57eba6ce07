"""Files as text: the one way ha-lint reads a file it was given or found. Never waiting on a
pipe or swallowing an enormous file (``read_regular_file``); a template or module decoded as
UTF-8 (a BOM dropped, CRLF normalised), another encoding or a binary file a LoadFailure that
says what it is (``read_text``); a small data file (a configuration, a parameter file) as
UTF-8 with a BOM dropped (``read_small_text``)."""

from __future__ import annotations

from pathlib import Path

from ha_lint import discover as disc
from ha_lint.loaders import LoadFailure


class FileRefused(Exception):
    """A file that is not read: ``reason`` says why in words that follow the file's name
    ("is a named pipe (FIFO), not a regular file"); ``scanned`` says it as discovery does for
    a file it scans ("...; not scanned", the size against --max-file-size)."""

    def __init__(self, reason: str, scanned: str | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.scanned = scanned or reason


def read_regular_file(path: Path, max_bytes: int) -> bytes:
    """The bytes of a regular file of at most ``max_bytes`` (no limit when 0), or FileRefused:
    a pipe, a broken link or an enormous file is refused, never waited on or read whole."""
    problem = disc.not_a_regular_file(path)
    if problem:
        raise FileRefused(problem.removesuffix("; not scanned"), problem)
    try:
        with open(path, "rb") as handle:
            data = handle.read(max_bytes + 1) if max_bytes > 0 else handle.read()
    except OSError as exc:
        raise FileRefused(f"cannot be read: {exc.strerror or exc}") from None
    if max_bytes > 0 and len(data) > max_bytes:
        raise FileRefused(f"is larger than {max_bytes:,} bytes", disc.too_large(path.stat().st_size, max_bytes))
    return data


def read_small_text(path: Path, max_bytes: int) -> str:
    """A small data file's text, as UTF-8 (a BOM dropped): FileRefused when it is not read
    (``read_regular_file``), UnicodeDecodeError when it is not UTF-8."""
    return read_regular_file(path, max_bytes).decode("utf-8-sig")


def read_text(path: Path, shown: str = "", max_bytes: int = disc.DEFAULT_MAX_BYTES) -> str:
    """File text as UTF-8 (a BOM is dropped, CRLF is normalised), or a LoadFailure. For the
    files read beside the scanned ones (nested templates, modules, tfvars): a pipe, a broken
    link or an enormous file is refused, never waited on."""
    return decode_text(read_bytes(path, max_bytes))


def read_bytes(path: Path, max_bytes: int = disc.DEFAULT_MAX_BYTES) -> bytes:
    """A scanned file's bytes, or a LoadFailure in discovery's words."""
    try:
        return read_regular_file(path, max_bytes)
    except FileRefused as exc:
        raise LoadFailure(exc.scanned) from None


_WIDE_BOMS = ((b"\xff\xfe\x00\x00", "UTF-32"), (b"\x00\x00\xfe\xff", "UTF-32"),
              (b"\xff\xfe", "UTF-16"), (b"\xfe\xff", "UTF-16"))


def _looks_utf16(head: bytes) -> bool:
    """Text saved as UTF-16 without a BOM: one byte lane all zeros, the other printable ASCII."""
    if len(head) < 16:
        return False
    for zeros, text in ((head[1::2], head[0::2]), (head[0::2], head[1::2])):
        if zeros.count(0) >= 0.9 * len(zeros) and all(32 <= b < 127 or b in (9, 10, 13) for b in text):
            return True
    return False


def decode_text(data: bytes) -> str:
    for bom, encoding in _WIDE_BOMS:
        if data.startswith(bom):
            raise LoadFailure(f"is encoded as {encoding}; CloudFormation and Terraform templates are read as UTF-8: "
                              "save it as UTF-8", 1)
    head = data[:8192]
    if b"\x00" in head:
        if _looks_utf16(head):
            raise LoadFailure("is encoded as UTF-16 (every other byte is zero); save it as UTF-8", 1)
        raise LoadFailure("is a binary file (it contains NUL bytes), not a template")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        column = exc.start - (data.rfind(b"\n", 0, exc.start) + 1) + 1
        raise LoadFailure(f"is not valid UTF-8: byte 0x{data[exc.start]:02x} at line {line}, column {column} "
                          "(saved in another encoding, such as Latin-1?); save it as UTF-8", line) from None
    return text.replace("\r\n", "\n")
