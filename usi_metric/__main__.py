"""``python -m usi_metric`` is the ``usi`` command."""

import sys

from usi_metric.cli import main

sys.exit(main())
