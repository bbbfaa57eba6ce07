"""What ``ha-lint resilience`` (``command``) and its ``--compare`` (``compare``, on the head
and on the base) both do: scan, then build the resilience models. Here, below both, so that
neither imports the other back (``command`` calls ``compare``)."""

from __future__ import annotations


def analyse_scan(settings, rules, assumptions):
    """(the scan result, the resilience model of each workload)."""
    from ha_lint.resilience.model import analyse
    from ha_lint.scan import scan

    result = scan(settings, rules)
    arch = result.architecture
    return result, analyse(arch, assumptions, result.findings) if arch is not None else []
