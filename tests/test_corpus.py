"""The public corpus: every file loads or yields one clean error; no rule crashes."""

from __future__ import annotations

import pytest

from conftest import CORPUS
from ha_lint.engine import all_rules
from ha_lint.pool import INTERNAL_ERROR
from ha_lint.scan import ScanSettings, scan

pytestmark = pytest.mark.slow  # the 2,821 real files of ../shared/corpus


@pytest.mark.skipif(not CORPUS.is_dir(), reason="../shared/corpus is not present")
def test_corpus_scans_without_internal_errors() -> None:
    result = scan(ScanSettings(paths=[str(CORPUS)]), [cls() for cls in all_rules()])
    internal = [e for e in result.errors if INTERNAL_ERROR in e.message]
    assert internal == []
    assert result.rule_failures == []
    assert result.files > 2500
    assert result.resources > 8000
    # Every error item names a file and says what is wrong in words.
    for error in result.errors:
        assert error.file and error.message
