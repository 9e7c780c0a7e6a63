"""alarmvault quarantine list|accept ID|discard ID|expire: clips held because they did not
match their camera's learned fingerprint."""

from __future__ import annotations

import argparse
from datetime import UTC, datetime

from cli import CommandError, CommandLine, Context, print_json
from core.catalog import NotFound
from core.catalog.quarantine import list_quarantined
from core.clipstore import ClipStore
from pipeline.quarantine import accept_quarantined, discard_quarantined, expire_quarantine

GROUP_HELP = "clips held for their owner after a fingerprint mismatch"


def register(cli: CommandLine) -> None:
    parser = cli.subcommand("quarantine", "list", quarantine_list, "list held clips", GROUP_HELP)
    parser.add_argument("--camera", type=int, metavar="ID", help="only this camera's")
    parser.add_argument("--json", action="store_true", help="print JSON")
    parser = cli.subcommand(
        "quarantine",
        "accept",
        quarantine_accept,
        "accept a held clip: learn its encoder settings and index it",
        GROUP_HELP,
    )
    parser.add_argument("id", type=int, metavar="ID", help="quarantine id (from list)")
    parser = cli.subcommand(
        "quarantine", "discard", quarantine_discard, "delete a held clip", GROUP_HELP
    )
    parser.add_argument("id", type=int, metavar="ID", help="quarantine id (from list)")
    cli.subcommand(
        "quarantine",
        "expire",
        quarantine_expire,
        "delete held clips whose time ran out",
        GROUP_HELP,
    )


def quarantine_list(args: argparse.Namespace, context: Context) -> int:
    rows = [
        {
            "id": row["id"],
            "job_id": row["job_id"],
            "camera_id": row["camera_id"],
            "reason": "fingerprint_mismatch",
            "mismatches": row["mismatches"],
            "original_name": row["original_name"],
            "received_at": row["received_at"],
            "quarantined_at": row["quarantined_at"],
            "expires_at": row["expires_at"],
        }
        for row in list_quarantined(context.db, camera_id=args.camera)
    ]
    if args.json:
        print_json(rows)
        return 0
    for row in rows:
        print(
            f"{row['id']:>6}  camera {row['camera_id']:>4}  {row['received_at']}"
            f"  expires {row['expires_at']}  {'; '.join(row['mismatches'])}"
        )
    return 0


def quarantine_accept(args: argparse.Namespace, context: Context) -> int:
    try:
        recording_id = accept_quarantined(context.db, context.settings, args.id)
    except NotFound as missing:
        # The message says whether the clip is unknown or another node is accepting it now.
        raise CommandError(f"no {missing.args[0]}") from None
    print(
        f"quarantined clip {args.id} accepted as recording {recording_id}; "
        "the camera's fingerprint now includes its settings"
    )
    return 0


def quarantine_discard(args: argparse.Namespace, context: Context) -> int:
    try:
        discard_quarantined(context.db, ClipStore(context.settings.storage), args.id)
    except NotFound:
        raise CommandError(f"no quarantined clip {args.id}") from None
    print(f"quarantined clip {args.id} discarded")
    return 0


def quarantine_expire(args: argparse.Namespace, context: Context) -> int:
    expired = expire_quarantine(context.db, ClipStore(context.settings.storage), datetime.now(UTC))
    print(f"{len(expired)} quarantined clip(s) expired")
    return 0
