"""Downloading Terraform module sources for ``--download-modules`` (what ``terraform init``
would fetch): registry addresses through the module registry protocol, git sources and
archives over HTTPS, honouring the Terraform CLI configuration, into a cache of plain files.

``fetcher.ModuleFetcher.locate(source, version, file, line)`` is the one entry point; the
other modules are its parts: ``addresses`` (source address forms), ``versions`` (constraints),
``cliconfig`` (credentials, host blocks), ``http`` (bounded, careful GET), ``registry`` (the
protocol), ``git`` (a hardened git), ``archive`` (safe unpacking).
"""
