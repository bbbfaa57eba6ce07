"""The built-in rule pack: one rule per file, named ``<id>_<name>.py``.

Installed as the package ``ha_lint.rules``. A rule reads the architecture through
``ha_lint.graph.Architecture``, ``ha_lint.model.Resource.get`` (neutral property names from
``ha_lint.kinds``) and the shared questions in ``ha_lint.queries``.
"""
