"""``python -m cli`` runs the `alarmvault` command where the venv is not on PATH."""

import sys

from cli import main

sys.exit(main())
