"""Secrets recognised by their form, not by the name they are stored under.

A small, low-false-positive set of well-known formats (the shapes gitleaks and
detect-secrets document): AWS access key IDs, AWS secret access keys (only where the
context says so: a key ID nearby or a key-like name), private key blocks, GitHub, Slack,
Stripe and Google API tokens; and, in shell-like text such as EC2 user data, a literal
assigned to a secret-named variable (``export DB_PASSWORD=...``) or given to a
``--password`` option.

A secret's value is never shown: ``masked`` gives its first four characters and its length.
"""

from __future__ import annotations

import re
from dataclasses import dataclass


@dataclass(frozen=True)
class SecretMatch:
    kind: str  # "AWS access key ID", "private key", "password"
    start: int  # offset in the text it was found in
    secret: str  # the secret itself: never to be shown (see masked)
    name: str = ""  # the variable or option it is given to (DB_PASSWORD, --password), if any


def masked(secret: str) -> str:
    """What may be shown of a secret: ``AKIA… (20 characters)``."""
    return f"{secret[:4]}… ({len(secret)} characters)"


# (kind, pattern); the secret is group 0. Prefixes make them specific; boundaries keep a key
# ID inside a longer word (or an ARN's resource ID) from matching.
TOKEN_FORMATS = (
    ("AWS access key ID", re.compile(r"(?<![A-Za-z0-9])(?:AKIA|ASIA|ABIA|ACCA)[A-Z0-9]{16}(?![A-Za-z0-9])")),
    ("private key", re.compile(r"-----BEGIN (?:[A-Z0-9]+ )*PRIVATE KEY(?: BLOCK)?-----")),
    ("GitHub token", re.compile(r"(?<![A-Za-z0-9_])(?:ghp|gho|ghs|ghu|ghr)_[A-Za-z0-9]{36}(?![A-Za-z0-9])")),
    ("GitHub token", re.compile(r"(?<![A-Za-z0-9_])github_pat_[A-Za-z0-9_]{82}(?![A-Za-z0-9_])")),
    ("Slack token", re.compile(r"(?<![A-Za-z0-9])xox[baprs]-[0-9]{6,}-[A-Za-z0-9-]{6,}")),
    ("Stripe secret key", re.compile(r"(?<![A-Za-z0-9])(?:sk|rk)_live_[A-Za-z0-9]{20,}(?![A-Za-z0-9])")),
    ("Google API key", re.compile(r"(?<![A-Za-z0-9])AIza[0-9A-Za-z_\-]{35}(?![A-Za-z0-9_\-])")),
)
_KEY_ID = TOKEN_FORMATS[0][1]
# An AWS secret access key: 40 characters of base64 (without padding), standing alone.
_SECRET_ACCESS_KEY = re.compile(r"(?<![A-Za-z0-9/+])[A-Za-z0-9/+]{40}(?![A-Za-z0-9/+=])")
_PREFIX = re.compile(r"^(?:AKIA|ASIA|ABIA|ACCA|ghp_|gho_|ghs_|ghu_|ghr_|github_pat_|xox[baprs]-|sk_live_|rk_live_|AIza)")


def is_placeholder(secret: str) -> bool:
    """Example text in a secret's shape: ``AKIAXXXXXXXXXXXXXXXX``, ``ghp_xxxx...``, ``sk_live_000...``:
    after the format's prefix, fewer than six distinct characters. (AWS's documentation
    examples, ``AKIAIOSFODNN7EXAMPLE``, are real-looking keys and are reported.)"""
    body = _PREFIX.sub("", secret)
    return len(set(body.lower())) < 6


def token_secrets(text: str) -> list[SecretMatch]:
    """Every well-known token in ``text`` (placeholders aside)."""
    found = []
    for kind, pattern in TOKEN_FORMATS:
        for m in pattern.finditer(text):
            if kind == "private key" or not is_placeholder(m.group(0)):
                found.append(SecretMatch(kind, m.start(), m.group(0)))
    return found


def has_access_key_id(text: str) -> bool:
    return any(not is_placeholder(m.group(0)) for m in _KEY_ID.finditer(text))


def secret_access_keys(text: str) -> list[SecretMatch]:
    """40-character strings shaped like an AWS secret access key: base64 with upper case,
    lower case and digits (so not a hex digest, a word, or a path). The caller decides
    whether the context makes them one (a key ID nearby, a key-like name)."""
    found = []
    for m in _SECRET_ACCESS_KEY.finditer(text):
        s = m.group(0)
        if re.search(r"[A-Z]", s) and re.search(r"[a-z]", s) and re.search(r"[0-9]", s) \
                and not is_placeholder(s) and "//" not in s:
            found.append(SecretMatch("AWS secret access key", m.start(), s))
    return found


# Names (lower case, separators removed) that make a 40-character value a secret access key.
_KEY_LIKE = ("key", "secret", "credential")


def is_key_like_name(name: str) -> bool:
    norm = re.sub(r"[^a-z0-9]", "", name.lower())
    return any(word in norm for word in _KEY_LIKE)


# Shell-like text: NAME=value (optionally export/ENV/set), NAME: value (cloud-config), and
# --...password value / --...password=value.
_ASSIGNMENT = re.compile(
    r"(?:^|[\s;&|(])(?:export\s+|declare\s+(?:-\w+\s+)?|readonly\s+|set\s+|ENV\s+)?"
    r"([A-Za-z_][A-Za-z0-9_.-]*)\s*(?:=|:[ \t])\s*(\"[^\"\n]*\"|'[^'\n]*'|[^\s;&|'\"\\]+)")
_OPTION = re.compile(r"(?:^|\s)(--[A-Za-z0-9-]*(?:password|passwd|secret|token))(?:=|[ \t]+)"
                     r"(\"[^\"\n]*\"|'[^'\n]*'|[^\s;&|'\"\\-][^\s;&|'\"\\]*)", re.I)


# Values that stand for a secret in examples and tests, or switch an option (--must-change-password false).
PLACEHOLDER_WORDS = {"foo", "bar", "baz", "xxx", "changeme", "change_me", "example", "placeholder", "dummy",
                     "redacted", "secret", "password", "test", "none", "null", "true", "false", "yes", "no"}


def is_literal_word(value: str) -> bool:
    """A shell value written out, not read at run time: no ``$``, back quotes or templating,
    not a path or ARN, not an obvious placeholder (``<password>``, ``xxxx``, ``****``,
    ``foo``, ``changeme``) or a switch (``true``), not empty."""
    text = value.strip().strip("\"'")
    if not text or any(c in text for c in "$`{}<>%") or text.startswith(("/", "arn:")):
        return False
    return len(set(text.lower())) > 1 and text.lower() not in PLACEHOLDER_WORDS


def shell_secrets(text: str, is_secret_name, with_key_id: bool | None = None) -> list[SecretMatch]:
    """Literal secrets assigned in shell-like text, plus every token and (with a key ID in
    the text, or ``with_key_id``: in the script it is a line of) every secret access key.
    ``is_secret_name`` judges variable names."""
    found = token_secrets(text)
    for m in _ASSIGNMENT.finditer(text):
        name, value = m.group(1), m.group(2)
        if is_secret_name(name) and is_literal_word(value):
            found.append(SecretMatch("password" if "pass" in name.lower() else "secret", m.start(2),
                                     value.strip("\"'"), name))
    for m in _OPTION.finditer(text):
        if is_literal_word(m.group(2)):
            found.append(SecretMatch("password" if "pass" in m.group(1).lower() else "secret", m.start(2),
                                     m.group(2).strip("\"'"), m.group(1)))
    if has_access_key_id(text) if with_key_id is None else with_key_id:
        found.extend(secret_access_keys(text))
    seen, unique = set(), []
    for match in sorted(found, key=lambda s: s.start):
        if match.secret not in seen:
            seen.add(match.secret)
            unique.append(match)
    return unique
