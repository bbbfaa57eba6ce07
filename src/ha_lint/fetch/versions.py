"""Module version constraints as Terraform reads them (``version = "~> 5.0, != 5.1.2"``).

Operators ``=`` (or none), ``!=``, ``>``, ``>=``, ``<``, ``<=`` and ``~>`` (only the rightmost
written component may grow: ``~> 1.2`` is ``>= 1.2, < 2.0``; ``~> 1.2.3`` is ``>= 1.2.3,
< 1.3.0``), comma-separated, all must hold. A pre-release (``2.0.0-beta1``) is chosen only
when a constraint names it exactly with ``=``, as Terraform does for modules.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_VERSION = re.compile(r"^v?(\d+)(?:\.(\d+))?(?:\.(\d+))?(?:-([0-9A-Za-z.-]+))?(?:\+[0-9A-Za-z.-]+)?$")
_CONSTRAINT = re.compile(r"^\s*(=|!=|>=|<=|>|<|~>)?\s*(\S+)\s*$")


class ConstraintError(ValueError):
    """A ``version`` argument that is not a Terraform version constraint."""


@dataclass(frozen=True)
class Version:
    """A semantic version; ``_key`` orders it (a pre-release before its release)."""

    major: int
    minor: int
    patch: int
    release: tuple[int, tuple[tuple[int, int | str], ...]]  # (1, ()) for a release, (0, parts) for a pre-release
    written: int = 3  # how many numeric components were written (for ~>)
    text: str = ""

    @property
    def prerelease(self) -> bool:
        return self.release[0] == 0

    def __str__(self) -> str:
        return self.text


def parse_version(text: str) -> Version | None:
    match = _VERSION.match(text.strip())
    if not match:
        return None
    major, minor, patch, pre = match.groups()
    written = 1 + (minor is not None) + (patch is not None)
    if pre:
        parts = tuple((0, int(p)) if p.isdigit() else (1, p) for p in pre.split("."))
        release: tuple[int, tuple[tuple[int, int | str], ...]] = (0, parts)  # type: ignore[assignment]
    else:
        release = (1, ())
    return Version(int(major), int(minor or 0), int(patch or 0), release, written, text.strip())


@dataclass(frozen=True)
class Constraint:
    operator: str
    version: Version

    def allows(self, candidate: Version) -> bool:
        key, bound = _key(candidate), _key(self.version)
        if self.operator == "=":
            return key == bound
        if self.operator == "!=":
            return key != bound
        if self.operator == ">":
            return key > bound
        if self.operator == ">=":
            return key >= bound
        if self.operator == "<":
            return key < bound
        if self.operator == "<=":
            return key <= bound
        # "~>": at least the bound, and every written component but the last unchanged
        # (a single written component keeps the major version).
        if key < bound:
            return False
        fixed = max(self.version.written - 1, 1)
        return (candidate.major, candidate.minor, candidate.patch)[:fixed] == \
            (self.version.major, self.version.minor, self.version.patch)[:fixed]


def _key(version: Version) -> tuple:
    return (version.major, version.minor, version.patch, version.release)


def parse_constraints(text: str | None) -> list[Constraint]:
    """The constraints of a ``version`` argument (none for an empty or missing one)."""
    out: list[Constraint] = []
    for part in (text or "").split(","):
        if not part.strip():
            continue
        match = _CONSTRAINT.match(part)
        version = parse_version(match.group(2)) if match else None
        if match is None or version is None:
            raise ConstraintError(f"{part.strip()!r} is not a version constraint (e.g. \"~> 5.0\", \">= 1.2, < 2.0\")")
        out.append(Constraint(match.group(1) or "=", version))
    if (text or "").strip() and not out:
        raise ConstraintError(f"{text!r} is not a version constraint")
    return out


def choose(available: list[str], constraint: str | None) -> str | None:
    """The highest of ``available`` that every constraint allows; a pre-release only when
    an ``=`` constraint names it exactly. None when none does."""
    constraints = parse_constraints(constraint)
    exact = {_key(c.version) for c in constraints if c.operator == "=" and c.version.prerelease}
    best: Version | None = None
    for text in available:
        version = parse_version(text)
        if version is None or (version.prerelease and _key(version) not in exact):
            continue
        if all(c.allows(version) for c in constraints) and (best is None or _key(version) > _key(best)):
            best = version
    return best.text if best else None
