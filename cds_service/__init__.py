"""igsub-cds: a CDS Hooks 2.0 service advising on immunoglobulin substitution after CAR-T or bispecifics."""

from importlib.metadata import PackageNotFoundError, version

DISTRIBUTION = "igsub-cds"


def package_version() -> str:
    """The installed distribution's version: pyproject.toml is the one place it is written."""
    try:
        return version(DISTRIBUTION)
    except PackageNotFoundError:  # a source tree that was never installed
        return "0+unknown"
