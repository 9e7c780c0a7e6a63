"""``python -m pipeline.cli`` is the `alarmvault` command (for a venv without its scripts on PATH)."""

import sys

from pipeline.cli import main

sys.exit(main())
