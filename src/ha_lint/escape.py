"""Names from templates and file systems, made safe for the output they land in.

Everything a report shows that came from the input (file names, logical IDs, Terraform
addresses, AZs, tags, messages that quote values) may hold anything: bytes that are not
UTF-8 (a file name is bytes; Python carries the bad ones as surrogate escapes), newlines,
ANSI escapes, backtick fences, HTML. Each output format escapes with one function here, so
a name can never end a line of a CI log, start a workflow command, close a Markdown fence,
or render as live HTML.

- ``readable``: a valid Unicode string (bytes that were not UTF-8 shown as ``\\xff``), for
  JSON and SARIF, whose own escaping handles the rest.
- ``printable``: ``readable`` plus every control character shown as an escape (``\\n``,
  ``\\x1b``): one line of plain text, for text, GitHub workflow commands, JUnit XML.
- ``markdown_text``, ``code_span``, ``mermaid_label``, ``dot_string``, ``html_text``,
  ``uri_path``, ``sarif_text``: one format each.
"""

from __future__ import annotations

import html
import os
import re
from typing import Any
from urllib.parse import quote

_SURROGATES = re.compile("[\ud800-\udfff]")
# C0 and C1 controls and DEL; line and paragraph separators (a line break to many viewers);
# the bidirectional overrides and isolates (they reorder what a reader sees); the two
# non-characters XML 1.0 forbids.
_UNPRINTABLE = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069\ufffe\uffff\ud800-\udfff]")
_SHORT = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}


def _escape(char: str) -> str:
    code = ord(char)
    if 0xDC80 <= code <= 0xDCFF:  # a byte that was not UTF-8, carried by surrogateescape
        return f"\\x{code - 0xDC00:02x}"
    if char in _SHORT:
        return _SHORT[char]
    return f"\\x{code:02x}" if code <= 0xFF else f"\\u{code:04x}"


def readable(text: Any) -> str:
    """``text`` as a string that encodes to UTF-8: bytes that were not UTF-8 become ``\\xff``."""
    text = str(text)
    return _SURROGATES.sub(lambda m: _escape(m.group()), text) if _SURROGATES.search(text) else text


def printable(text: Any) -> str:
    """``text`` on one line with nothing a terminal or log acts on: ``readable``, and every
    control character (newline, CR, ESC, DEL, C1) and bidirectional override as its escape."""
    text = str(text)
    return _UNPRINTABLE.sub(lambda m: _escape(m.group()), text) if _UNPRINTABLE.search(text) else text


def readable_data(value: Any) -> Any:
    """A JSON-shaped value with every string (keys too) made ``readable``."""
    if isinstance(value, str):
        return readable(value)
    if isinstance(value, dict):
        return {readable_data(k): readable_data(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [readable_data(v) for v in value]
    return value


def uri_path(path: str) -> str:
    """A relative path as a URI reference (RFC 3986): every byte but unreserved characters
    and ``/`` percent-encoded, from the file name's real bytes (``\\xff`` is ``%FF``)."""
    return quote(os.fsencode(path.replace(os.sep, "/")), safe="/")


# SARIF reads ``[text](target)`` in a plain-text message as an embedded link (to a related
# location or a URI); a literal bracket is escaped with a backslash (SARIF 2.1.0, 3.11.6).
_EMBEDDED_LINK = re.compile(r"\[([^\[\]]*)\]\(")


def sarif_text(text: Any) -> str:
    """A SARIF plain-text message: ``readable``, and ``[x](y)`` from a name is not a link."""
    return _EMBEDDED_LINK.sub(lambda m: f"\\[{m.group(1)}\\](", readable(text))


# -- Markdown (GitHub flavoured) --------------------------------------------------------------

# Characters with a meaning in inline Markdown, shown literally by a backslash escape.
_MARKDOWN_PUNCTUATION = re.compile(r"([\\`*_\[\]~|!#])")
_CODE_SPAN_SAFE = re.compile(r"[^`<>&|\\]+")


def markdown_text(text: Any) -> str:
    """``text`` as literal inline Markdown for a table cell or a list item: one line; HTML,
    links, images, emphasis and code spans shown as typed; ``|`` does not end the cell."""
    escaped = html.escape(printable(text), quote=False)  # & < > as entities: no tag, no autolink
    return _MARKDOWN_PUNCTUATION.sub(r"\\\1", escaped)


def code_span(text: Any) -> str:
    """``text`` in monospace inside a table cell: a plain code span when nothing in it needs
    escaping, else ``<code>`` around ``markdown_text`` (a code span cannot escape a backtick or
    ``|``, and the raw Markdown then never holds a backtick fence or a tag from the input)."""
    shown = printable(text)
    if _CODE_SPAN_SAFE.fullmatch(shown):
        return f"`{shown}`"
    return f"<code>{markdown_text(shown)}</code>"


# -- diagrams ---------------------------------------------------------------------------------

# Mermaid reads "#name;" and "#123;" as entity codes inside a quoted label; these are the
# characters that could end the label, open markup or start an entity of their own.
_MERMAID_SPECIAL = re.compile("[\"#<>&`\\\\%;{}|]")


def mermaid_label(text: Any) -> str:
    """``text`` for the inside of a quoted Mermaid label (``["..."]``): one line, with quotes,
    ``#``, ``<>``, ``&`` and backticks as Mermaid's ``#code;`` entities."""
    return _MERMAID_SPECIAL.sub(lambda m: f"#{ord(m.group())};", printable(text))


def dot_string(text: Any) -> str:
    """``text`` for the inside of a double-quoted Graphviz string: one line, ``\\`` and ``"``
    escaped (so ``\\n``, ``\\l`` and ``\\N`` in a name stay text)."""
    return printable(text).replace("\\", "\\\\").replace('"', '\\"')


def html_text(text: Any) -> str:
    """``text`` for HTML or SVG text and attribute values: ``printable`` and HTML-escaped."""
    return html.escape(printable(text), quote=True)
