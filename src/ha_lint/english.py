"""Counts in proper English, for every stage: ``plural(1, "day")`` is ``1 day``. A leaf (it
imports nothing of ha-lint), so origins and traces (``values``, ``resolve``) count their steps
with the helper the messages use (``wording`` gives it to rules and reporters)."""

from __future__ import annotations


def plural(count: int, singular: str, plural_form: str | None = None) -> str:
    """``1 day``, ``2 days``; ``plural_form`` for the irregular ones."""
    return f"{count} {singular if count == 1 else plural_form or singular + 's'}"
