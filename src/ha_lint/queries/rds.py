"""Questions about RDS, Aurora, DocumentDB and Neptune."""

from __future__ import annotations

from ha_lint.model import Resource


def is_aurora_instance(db: Resource) -> bool:
    """A DB instance whose engine is Aurora: it belongs to a cluster (even when the template
    forgot ``DBClusterIdentifier``), and the cluster holds its availability and backups."""
    engine = db.get("engine").value
    return db.kind == "rds_instance" and isinstance(engine, str) and engine.lower().startswith("aurora")
