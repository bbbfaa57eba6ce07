"""Resilience model: simulate the loss of an AZ or a Region, estimate RTO/RPO, draw the
architecture (``ha-lint resilience``, ``ha-lint graph``)."""

from ha_lint.resilience.model import analyse

__all__ = ["analyse"]
