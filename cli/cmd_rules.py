"""alarmvault rejections list, fairuse status|evaluate, camera suspend|resume: what the
signature and fair-use rules did, and the admin's part of the fair-use ladder."""

from __future__ import annotations

import argparse
from datetime import UTC, datetime

from cli import CommandError, CommandLine, Context, print_json
from core.catalog import NotFound
from core.catalog.cameras import get_camera, list_cameras
from core.catalog.delayed import count_delayed
from core.catalog.fairuse import fairuse_events
from core.catalog.rejections import list_rejections
from pipeline.fairuse import CameraStateChanged, evaluate_fair_use, resume_camera, suspend_camera


def register(cli: CommandLine) -> None:
    parser = cli.subcommand(
        "rejections",
        "list",
        rejections_list,
        "uploads refused, newest first",
        "inspect refused uploads",
    )
    parser.add_argument("--camera", type=int, metavar="ID", help="only this camera's")
    parser.add_argument("--limit", type=int, default=1000, help="at most this many (1000)")
    parser.add_argument("--json", action="store_true", help="print JSON")
    group_help = "fair use: constant alarms and false-alarm rates"
    parser = cli.subcommand(
        "fairuse",
        "status",
        fairuse_status,
        "each camera's fair-use state and evidence",
        group_help,
    )
    parser.add_argument("--camera", type=int, metavar="ID", help="only this camera")
    parser.add_argument("--json", action="store_true", help="print JSON")
    cli.subcommand(
        "fairuse",
        "evaluate",
        fairuse_evaluate,
        "apply the fair-use rules to every camera now",
        group_help,
    )
    parser = cli.subcommand(
        "camera", "suspend", camera_suspend, "suspend a camera's uploads (fair use, admin only)"
    )
    parser.add_argument("id", type=int, metavar="ID", help="camera id")
    parser = cli.subcommand(
        "camera", "resume", camera_resume, "lift a camera's suspension; back to ok"
    )
    parser.add_argument("id", type=int, metavar="ID", help="camera id")


def rejection_summary(row: dict) -> dict:
    return {
        "id": row["id"],
        "job_id": row["job_id"],
        "camera_id": row["camera_id"],
        "reason": row["reason"],
        "detail": row["detail"],
        "protocol": row["protocol"],
        "original_name": row["original_name"],
        "size_bytes": row["size_bytes"],
        "received_at": row["received_at"],
        "rejected_at": row["rejected_at"],
    }


def rejections_list(args: argparse.Namespace, context: Context) -> int:
    rows = [
        rejection_summary(row)
        for row in list_rejections(context.db, camera_id=args.camera, limit=args.limit)
    ]
    if args.json:
        print_json(rows)
        return 0
    for row in rows:
        print(
            f"{row['received_at']}  camera {row['camera_id'] or '-':>4}  {row['reason']:<20}"
            f"  {row['original_name'] or '-'}  {row['detail'] or ''}"
        )
    return 0


def camera_fairuse(context: Context, camera: dict) -> dict:
    events = fairuse_events(context.db, camera["id"], limit=10)
    latest = events[0] if events else None
    return {
        "camera_id": camera["id"],
        "owner_id": camera["owner_id"],
        "state": camera["fairuse_state"],
        "since": latest["created_at"] if latest else None,
        "rules": latest["rules"] if latest else [],
        "evidence": latest["evidence"] if latest else {},
        "delayed_clips": count_delayed(context.db, camera["id"]),
        "history": [
            {
                "id": event["id"],
                "from": event["from_state"],
                "to": event["to_state"],
                "actor": event["actor"],
                "rules": event["rules"],
                "at": event["created_at"],
            }
            for event in events
        ],
    }


def fairuse_status(args: argparse.Namespace, context: Context) -> int:
    if args.camera is not None:
        cameras = [_camera(context, args.camera)]
    else:
        cameras = list_cameras(context.db)
    rows = [camera_fairuse(context, camera) for camera in cameras]
    if args.json:
        print_json(rows)
        return 0
    for row in rows:
        print(
            f"camera {row['camera_id']:>4}  {row['state']:<9}  since {row['since'] or '-'}"
            f"  delayed {row['delayed_clips']}"
        )
        for rule, evidence in row["evidence"].items():
            jobs = evidence.get("job_ids") or evidence.get("recording_ids") or []
            print(f"      {rule}: {evidence.get('summary', '')} ({len(jobs)} clips as evidence)")
    return 0


def fairuse_evaluate(args: argparse.Namespace, context: Context) -> int:
    transitions = evaluate_fair_use(context.db, context.settings, datetime.now(UTC))
    for step in transitions:
        print(f"camera {step.camera_id}: {step.from_state} -> {step.to_state}")
    print(f"{len(transitions)} camera(s) changed state")
    return 0


def camera_suspend(args: argparse.Namespace, context: Context) -> int:
    _camera(context, args.id)
    try:
        step = suspend_camera(context.db, context.settings, args.id, datetime.now(UTC))
    except CameraStateChanged as error:
        raise CommandError(str(error)) from None
    print(f"camera {args.id}: {step.from_state} -> suspended; its uploads are refused")
    return 0


def camera_resume(args: argparse.Namespace, context: Context) -> int:
    _camera(context, args.id)
    try:
        resume_camera(context.db, context.settings, args.id, datetime.now(UTC))
    except CameraStateChanged as error:
        raise CommandError(str(error)) from None
    print(f"camera {args.id}: suspended -> ok")
    return 0


def _camera(context: Context, camera_id: int) -> dict:
    try:
        return get_camera(context.db, camera_id)
    except NotFound:
        raise CommandError(f"no camera {camera_id}") from None
