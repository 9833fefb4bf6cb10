"""``python -m gateway``: the ``fedgw`` command line."""

from __future__ import annotations

import sys

from gateway.cli import main

sys.exit(main())
