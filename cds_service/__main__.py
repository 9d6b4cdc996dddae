"""`python -m cds_service` is `cds-service`."""

import sys

from .tools.cli import main

sys.exit(main())
