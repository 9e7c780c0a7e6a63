"""alarmvault check-totals [--dry-run] [--json]: recount the running totals of recordings per
camera and account, the activity slots and label counts per camera, and repair the rows that
drifted (the upkeep job does the same daily)."""

from __future__ import annotations

import argparse

from cli import CommandLine, Context, print_json
from core.catalog.totals import check_totals


def register(cli: CommandLine) -> None:
    parser = cli.command(
        "check-totals",
        check_totals_command,
        "recount recordings and bytes per camera and account; repair drifted totals",
    )
    parser.add_argument("--dry-run", action="store_true", help="report drift, change nothing")
    parser.add_argument("--json", action="store_true", help="print JSON for scripts")


def check_totals_command(args: argparse.Namespace, context: Context) -> int:
    """Exit 0 when every total was right (or is repaired now), 1 on drift with --dry-run."""
    result = check_totals(context.db, repair=not args.dry_run)
    if args.json:
        print_json(result)
    else:
        for item in result["drift"]:
            if "rows" in item:  # the activity slots or label counts of a camera
                print(f"{item['kind']} of camera {item['id']}: {item['rows']} rows wrong")
                continue
            stored, counted = item["stored"], item["counted"]
            print(
                f"{item['kind']} {item['id']}: "
                + ", ".join(f"{key} {stored[key]} -> {counted[key]}" for key in counted)
            )
        verb = "repaired" if result["repaired"] else "found"
        print(
            f"{verb}: {result['cameras']} camera rows, {result['accounts']} account rows,"
            f" activity of {result['activity']} cameras, label counts of {result['labels']}"
            " cameras"
        )
    return 1 if args.dry_run and result["drift"] else 0
