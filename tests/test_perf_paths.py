"""The fast paths give the same answers as the slow ones they stand in for.

CloudFormation templates are decoded by PyYAML's C loader (``load_fast``) instead of cfn-lint
(``load_cfnlint``), to spare a one-file scan cfn-lint's half second of imports. The fast path
must give exactly cfn-lint's data and line map, and give up (return None, so cfn-lint decides)
on anything it does not handle the same way.
"""

from __future__ import annotations

import pytest

from conftest import CORPUS, FIXTURES
from ha_lint import discover as disc
from ha_lint.loaders import LoadFailure
from ha_lint.loaders.cloudformation import load_cfnlint, load_fast


def _templates() -> list[disc.Candidate]:
    paths = [str(FIXTURES)] + ([str(CORPUS)] if CORPUS.is_dir() else [])
    return [c for c in disc.discover(paths).files if c.language == disc.CFN]


@pytest.mark.slow  # every CloudFormation template of the fixtures, decoded twice
def test_fast_path_decodes_exactly_as_cfn_lint_on_every_template_it_accepts() -> None:
    candidates = _templates()
    accepted = 0
    differ: list[str] = []
    for cand in candidates:
        try:
            text = cand.path.read_bytes().decode("utf-8-sig")
        except (OSError, UnicodeDecodeError):
            continue
        fast = load_fast(text, cand.shown)
        if fast is None:
            continue
        accepted += 1
        try:
            slow = load_cfnlint(text, cand.shown)
        except LoadFailure as exc:  # the fast path accepted what cfn-lint refuses
            differ.append(f"{cand.shown}: cfn-lint refuses it ({exc.message})")
            continue
        if fast.template != slow.template:
            differ.append(f"{cand.shown}: template differs")
        elif fast.lines != slow.lines:
            wrong = sorted(k for k in fast.lines.keys() | slow.lines.keys() if fast.lines.get(k) != slow.lines.get(k))
            differ.append(f"{cand.shown}: lines differ at {wrong[:3]}")
    assert differ == []
    # The fast path is the common path: it must take nearly every real template, or the
    # pre-commit case pays for cfn-lint's imports after all.
    assert accepted >= 0.9 * len(candidates), (accepted, len(candidates))


@pytest.mark.parametrize("text", [
    # an anchor and an alias
    "Resources:\n  A: &a\n    Type: AWS::SNS::Topic\n  B: *a\n",
    # a duplicated key (cfn-lint refuses it, naming both lines)
    "Resources:\n  A:\n    Type: AWS::SNS::Topic\n  A:\n    Type: AWS::SQS::Queue\n",
    # a merge key
    "Resources:\n  A:\n    <<: {Type: AWS::SNS::Topic}\n",
    # a Python tag
    "Resources:\n  A: !!python/object/apply:os.system ['true']\n",
    # not a mapping at the top, and a syntax error
    "- Resources\n",
    "Resources:\n  A: [\n",
])
def test_fast_path_gives_up_where_cfn_lint_must_decide(text: str) -> None:
    assert load_fast(text, "t.yaml") is None
