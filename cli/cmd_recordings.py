"""alarmvault recordings list."""

from __future__ import annotations

import argparse

from cli import CommandLine, Context, print_json
from core.catalog.detections import labels_by_recording
from core.catalog.recordings import list_recordings, public_recording
from core.catalog.stills import attach_stills

GROUP_HELP = "inspect recordings"


def register(cli: CommandLine) -> None:
    parser = cli.subcommand(
        "recordings", "list", recordings_list, "list recordings, newest first", GROUP_HELP
    )
    parser.add_argument("--camera", type=int, metavar="ID", help="only this camera's")
    parser.add_argument("--limit", type=int, default=1000, help="at most this many (1000)")
    parser.add_argument("--json", action="store_true", help="print JSON")


def recordings_list(args: argparse.Namespace, context: Context) -> int:
    rows = list_recordings(context.db, camera_id=args.camera, limit=args.limit)
    labels = labels_by_recording(context.db, [row["id"] for row in rows])
    for row in rows:
        row["labels"] = labels[row["id"]]
    attach_stills(context.db, rows)
    summaries = [public_recording(row) for row in rows]
    if args.json:
        print_json(summaries)
    else:
        for item in summaries:
            print(
                f"{item['id']:>7}  camera {item['camera_id']:>4}  {item['started_at']}  "
                f"{item['duration_s']:5.1f}s  {item['width']}x{item['height']}"
            )
    return 0
