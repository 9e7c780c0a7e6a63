"""``python -m pipeline.cli`` runs the `alarmvault` command where the venv is not on PATH."""

import sys

from pipeline.cli import main

sys.exit(main())
