"""Resolution: turn loaded templates into resources whose values are what the deployment sees.

Shared by the CloudFormation and Terraform resolvers: how the origins of a value are put
together into one ``Origin`` a finding can show.
"""

from __future__ import annotations

from typing import Any, Iterable

from ha_lint.english import plural
from ha_lint.values import UNKNOWN, Choice, Origin

MAX_VIA = 12  # steps after the source kept in an origin chain (a finding's trace): the last ones


def chain(origins: Iterable[Origin | None]) -> Origin | None:
    """One origin from several, source first: ``A (f:1) -> B (g:2)``. Repeats are dropped."""
    flat: list[Origin] = []
    for origin in origins:
        if origin is None:
            continue
        for step in origin.steps():
            if step not in flat:
                flat.append(step)
    if not flat:
        return None
    first, rest = flat[0], flat[1:]
    if len(rest) > MAX_VIA:
        # The first module input kept even so: a finding is reported at the input that decided it.
        # The steps left out are said, not passed over: a trace shows where its chain was cut.
        cut = next(([step] for step in rest[:-MAX_VIA] if step.input is not None), [])
        left_out = len(rest) - len(cut) - MAX_VIA
        rest = [*cut, Origin(f"({plural(left_out, 'more step')} not kept)"), *rest[-MAX_VIA:]]
    return Origin(first.description, first.file, first.line, tuple(rest), first.input)


def show(value: Any) -> str:
    """A resolved value as a message shows it."""
    if value is UNKNOWN:
        return "unknown"
    if isinstance(value, Choice):
        return "one of several values"
    text = repr(value)
    return text if len(text) <= 80 else text[:77] + "..."
