"""Durations as the configuration writes them (``15m``, ``1h30m``) and as reports show them:
minutes, a leaf that the configuration and the resilience model both read."""

from __future__ import annotations

import re
from typing import Any

INFINITE = float("inf")  # data that cannot be recovered at all, a recovery that never ends

_DURATION = re.compile(r"(\d+(?:\.\d+)?)\s*(d|h|m|min|s)?", re.IGNORECASE)
_UNIT_MINUTES = {"d": 1440.0, "h": 60.0, "m": 1.0, "min": 1.0, "s": 1 / 60, None: 1.0}


def parse_duration(value: Any) -> float | None:
    """Minutes in ``15m``, ``1h30m``, ``90s``, ``2d`` or a bare number (minutes); None if not one."""
    if isinstance(value, bool):
        return None
    if isinstance(value, (int, float)):
        return float(value) if value >= 0 else None
    if not isinstance(value, str) or not value.strip():
        return None
    text = value.strip().lower().replace(" ", "")
    total, pos = 0.0, 0
    while pos < len(text):
        match = _DURATION.match(text, pos)
        if not match or match.end() == pos:
            return None
        total += float(match.group(1)) * _UNIT_MINUTES[match.group(2)]
        pos = match.end()
    return total


def minutes(value: float) -> str:
    """15s, 2m, 1h30m, 1d, or "unbounded"."""
    if value == INFINITE:
        return "unbounded"
    if value <= 0:
        return "0"
    if value < 1:
        return f"{round(value * 60)}s"
    if value < 60:
        return f"{value:g}m"
    hours, rest = divmod(round(value), 60)
    if hours >= 24 and rest == 0 and hours % 24 == 0:
        return f"{hours // 24}d"
    return f"{hours}h" + (f"{rest}m" if rest else "")
