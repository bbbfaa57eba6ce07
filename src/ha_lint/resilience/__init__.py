"""Resilience model: simulate the loss of an AZ or a Region, estimate RTO/RPO, draw the
architecture (``ha-lint resilience``, ``ha-lint graph``); ``resilience.model.analyse`` builds it.

This file imports nothing: importing any module of the package runs it first, and the modules
sit at different stages (``assumptions`` is plain data the configuration reads, ``command`` a
command)."""
