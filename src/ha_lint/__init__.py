"""ha-lint: find where an AWS architecture will fall over, before it is merged."""

__version__ = "0.1.0"
