"""The text a property is written as, line by line, for rules that judge what is written
(a script in EC2 user data) and want to point at the exact line inside a multi-line value."""

from __future__ import annotations

import re
from functools import lru_cache

MAX_REGION_LINES = 2000  # a user-data script longer than this is judged on its first lines only
_HEREDOC = re.compile(r"<<-?\s*\"?([A-Za-z_][A-Za-z0-9_]*)\"?")


@lru_cache(maxsize=64)
def _file_lines(path: str) -> tuple[str, ...]:
    try:
        with open(path, "rb") as handle:
            return tuple(handle.read().decode("utf-8", "replace").splitlines())
    except OSError:
        return ()


def region_lines(path: str, line: int) -> list[tuple[int, str]]:
    """(line number, text) of the property written at ``line`` of ``path``: that line, then
    a Terraform heredoc up to its end marker, or (YAML, JSON, HCL) every following line
    indented deeper than the property's own. Empty when the file cannot be read."""
    lines = _file_lines(path)
    if not 0 < line <= len(lines):
        return []
    first = lines[line - 1]
    region = [(line, first)]
    heredoc = _HEREDOC.search(first)
    indent = len(first) - len(first.lstrip())
    for number in range(line + 1, min(len(lines), line + MAX_REGION_LINES) + 1):
        text = lines[number - 1]
        if heredoc is not None:
            if text.strip() == heredoc.group(1):
                break
        elif text.strip() and len(text) - len(text.lstrip()) <= indent:
            break
        region.append((number, text))
    return region
