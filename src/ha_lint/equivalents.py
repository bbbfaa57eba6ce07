"""Other tools' IDs for a rule, read from its docs' ``- Equivalent:`` reference (Checkov
``CKV_AWS_157``, cfn-lint ``W3011``, Trivy ``AWS-0077``, Security Hub ``RDS.5``, AWS Config
``rds-multi-az-support``), so ``ha-lint explain CKV_AWS_157`` finds HA101.

Only what the line states as equivalent counts: text in parentheses (a description, or a
remark such as "its AWS-0176 is IAM database authentication") and anything after
``related:`` are left out.
"""

from __future__ import annotations

import re
import textwrap
from typing import Any, Iterable

_ENTRY = re.compile(r"^- Equivalent:(.*(?:\n  .*)*)", re.MULTILINE)
_PARENTHESES = re.compile(r"\([^()]*\)")
_SEPARATORS = re.compile(r"[\s,;/]+")


def of(rule: Any) -> list[str]:
    """The IDs a rule's docs name as its equivalents in other tools, in the order written."""
    docs = textwrap.dedent(getattr(rule, "docs", "") or "")
    ids: list[str] = []
    for match in _ENTRY.finditer(docs):
        text = _PARENTHESES.sub(" ", match.group(1)).split("related:", 1)[0]
        for token in _SEPARATORS.split(text):
            token = token.strip(".:")
            # An ID has a digit (CKV_AWS_157, W3011, RDS.5) or is an AWS Config rule name
            # (rds-multi-az-support); tool names and words (Checkov, cfn-lint, none) are neither.
            if (any(c.isdigit() for c in token) or token.count("-") >= 2) and token not in ids:
                ids.append(token)
    return ids


def rules_for(rules: Iterable[Any], key: str) -> list[Any]:
    """The rules whose docs name ``key`` (any case) as an equivalent."""
    key = key.strip().lower()
    return [rule for rule in rules if key in (i.lower() for i in of(rule))]
