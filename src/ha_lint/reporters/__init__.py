"""Reporters turn a ``ScanResult`` into text for people or machines. One module per format."""

from __future__ import annotations

from typing import Callable

from ha_lint.scan import ScanResult

Reporter = Callable[[ScanResult, dict], str]


def get(name: str) -> Reporter:
    if name == "text":
        from ha_lint.reporters.text import render
    elif name == "json":
        from ha_lint.reporters.json import render
    else:
        raise KeyError(name)
    return render


FORMATS = ("text", "json")
