"""igsub-cds: a CDS Hooks 2.0 service advising on immunoglobulin substitution after CAR-T or bispecifics."""

import sys
from importlib.metadata import PackageNotFoundError, version

DISTRIBUTION = "igsub-cds"

# httpx imports its command-line client whenever click, rich and pygments are installed (other
# tools bring them): about 100 modules and 2 MB in every server process, which never runs that
# client. Marked absent before httpx is first imported, httpx defines a stub `main` instead.
sys.modules.setdefault("httpx._main", None)  # type: ignore[arg-type]


def package_version() -> str:
    """The installed distribution's version: pyproject.toml is the one place it is written."""
    try:
        return version(DISTRIBUTION)
    except PackageNotFoundError:  # a source tree that was never installed
        return "0+unknown"
