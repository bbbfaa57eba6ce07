"""Shared questions about the architecture, written once and used by many rules.

One module per domain: ``sg`` (security-group rules), and, as rules need them, ``az``
(which AZs a resource spans), ``network`` (routes, NAT, internet reachability),
``backup``, ``dns``, ``events`` ...
"""
