"""Loaders turn file text into documents: one module per source language."""

from __future__ import annotations


class LoadFailure(Exception):
    """A file that cannot be loaded; becomes one ``LoadError`` naming the file and line."""

    def __init__(self, message: str, line: int | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.line = line
