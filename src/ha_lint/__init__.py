"""ha-lint: find where an AWS architecture will fall over, before it is merged."""

__version__ = "0.1.0"
# Also [project.urls] in pyproject.toml; rule pages are linked at the tag v<__version__>.
PROJECT_URL = "https://github.com/ha-lint/ha-lint"
