"""alarmvault camera set --detect, alarmvault recordings redetect."""

from __future__ import annotations

import argparse

from cli import CommandError, CommandLine, Context, print_json
from core.catalog import NotFound
from core.catalog.cameras import get_camera
from core.catalog.detections import (
    get_detection_switches,
    set_detection_switches,
    store_detection_results,
)
from core.catalog.recordings import get_recording
from core.detection.availability import unavailable_models
from core.detection.results import DetectionSwitches
from pipeline.detection.errors import DetectionError


def register(cli: CommandLine) -> None:
    parser = cli.subcommand(
        "camera",
        "set",
        camera_set,
        "change a camera's settings",
        "manage cameras and their upload accounts",
    )
    parser.add_argument("camera_id", type=int, metavar="ID")
    parser.add_argument(
        "--detect",
        required=True,
        metavar="LIST",
        help="detection switched on for this camera: a comma list of "
        f"{','.join(DetectionSwitches.NAMES)}, or 'none' (switches all off)",
    )
    parser.add_argument("--json", action="store_true", help="print JSON")
    parser = cli.subcommand(
        "recordings",
        "redetect",
        recordings_redetect,
        "run detection on a recording again, replacing its results",
        "inspect recordings",
    )
    parser.add_argument("recording_id", type=int, metavar="ID")
    parser.add_argument("--json", action="store_true", help="print JSON")


def parse_switches(value: str) -> DetectionSwitches:
    names = {part.strip() for part in value.split(",") if part.strip()}
    if names == {"none"}:
        return DetectionSwitches()
    try:
        return DetectionSwitches.from_names(names)
    except ValueError as error:
        choices = ", ".join(DetectionSwitches.NAMES)
        raise CommandError(f"{error} (choose from {choices} or none)") from None


def camera_set(args: argparse.Namespace, context: Context) -> int:
    switches = parse_switches(args.detect)
    settings = context.settings
    missing = unavailable_models(settings.detection, settings.storage.data_dir, switches)
    if missing:
        paths = ", ".join(str(path) for path in missing)
        raise CommandError(
            f"detection needs a model that is missing or unreadable: {paths} "
            "(scripts/get-models fetches them; [detection] models_dir says where)"
        )
    try:
        set_detection_switches(context.db, args.camera_id, switches)
    except NotFound:
        raise CommandError(f"no camera {args.camera_id}") from None
    names = get_detection_switches(context.db, args.camera_id).names()
    if args.json:
        print_json({"camera_id": args.camera_id, "detect": names})
    else:
        print(f"camera {args.camera_id}: detection {', '.join(names) or 'off'}")
    return 0


def recordings_redetect(args: argparse.Namespace, context: Context) -> int:
    from core.clipstore import ClipStore
    from pipeline.detection.service import detect_stored_recording

    try:
        recording = get_recording(context.db, args.recording_id)
    except NotFound:
        raise CommandError(f"no recording {args.recording_id}") from None
    camera = get_camera(context.db, recording["camera_id"])
    switches = get_detection_switches(context.db, camera["id"])
    try:
        # None, with nothing run, unless the owner agreed to analysis of this camera's clips.
        result = detect_stored_recording(context.settings, recording["path"], switches)
    except DetectionError as error:
        raise CommandError(str(error)) from None
    if result is None:
        raise CommandError(f"camera {camera['id']} has no detection switched on")
    clips = ClipStore(context.settings.storage)
    clips.publish(recording["path"])  # frames and crops into a shared store before their rows
    store_detection_results(context.db, recording["id"], result, files_root=clips.thumbs_root)
    clips.drop_local(recording["path"])
    summary = {
        "recording_id": recording["id"],
        "labels": result.label_names(),
        "false_alarm_cause": result.false_alarm_cause,
        "rain_score": result.rain_score,
        "plates": len(result.plates),
        "elapsed_ms": result.elapsed_ms,
    }
    if args.json:
        print_json(summary)
    else:
        print(f"recording {recording['id']}: {', '.join(summary['labels']) or 'nothing found'}")
    return 0
