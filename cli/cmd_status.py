"""alarmvault status [--json]: the queue, the last clips, fair use, disk use, detector speed."""

from __future__ import annotations

import argparse
from typing import Any

from cli import CommandLine, Context, print_json
from core.catalog.jobs import DONE_STATES, OPEN_STATES, count_jobs_by_state
from core.catalog.scheduled_runs import list_scheduled_runs
from core.catalog.service_figures import (
    analysis_backlog,
    detector_speed,
    fair_use_states,
    latest_jobs,
    recordings_total,
)
from core.storage_space import storage_spaces


def register(cli: CommandLine) -> None:
    parser = cli.command("status", status, "show the queue, last clips, fair use and disk use")
    parser.add_argument("--json", action="store_true", help="print JSON for scripts")
    parser.add_argument("--clips", type=int, default=10, metavar="N", help="last N clips")


def collect_status(context: Context, clips: int) -> dict[str, Any]:
    db = context.db
    by_state = count_jobs_by_state(db)
    storage = context.settings.storage
    areas = storage_spaces(storage)
    data = areas[0]
    return {
        "queue": {
            "open": {state: by_state.get(state, 0) for state in OPEN_STATES},
            "waiting": {
                state: count
                for state, count in sorted(by_state.items())
                if state not in OPEN_STATES and state not in DONE_STATES
            },
            "finished": {state: by_state.get(state, 0) for state in sorted(DONE_STATES)},
            "analysis": analysis_backlog(db),
        },
        "last_clips": latest_jobs(db, clips),
        "fair_use": fair_use_states(db),
        "disk": {
            # The data folder's figures where scripts read them before there were areas.
            "data_dir": str(storage.data_dir),
            "total_bytes": data.total_bytes,
            "used_bytes": data.used_bytes,
            "free_bytes": data.free_bytes,
            "areas": [area.as_dict() for area in areas],
            "recordings": recordings_total(db),
        },
        "detector": detector_speed(db),
        "scheduled_jobs": list_scheduled_runs(db),
    }


def status(args: argparse.Namespace, context: Context) -> int:
    figures = collect_status(context, args.clips)
    if args.json:
        print_json(figures)
    else:
        print(render_status(figures))
    return 0


def _pairs(counts: dict[str, int]) -> str:
    return " ".join(f"{key}={value}" for key, value in counts.items()) or "-"


def _size(count: float) -> str:
    for unit in ("B", "KiB", "MiB", "GiB", "TiB"):
        if count < 1024 or unit == "TiB":
            return f"{count:.0f} {unit}" if unit == "B" else f"{count:.1f} {unit}"
        count /= 1024
    raise AssertionError("unreachable")


def render_area(area: dict[str, Any]) -> str:
    """One storage area (`core.storage_space.AreaSpace.as_dict`): its figures, or why it has
    none (an object store, a folder that cannot be read)."""
    if area["free_bytes"] is None:
        return f"{area['area']} {area['note']} ({area['location']})"
    return (
        f"{area['area']} {_size(area['used_bytes'])} used of {_size(area['total_bytes'])}, "
        f"{_size(area['free_bytes'])} free ({area['location']})"
    )


def render_backlog(backlog: dict[str, Any]) -> str:
    """One line: how many clips wait for labels, the oldest one's wait, and the drain rate."""
    oldest = backlog["oldest_wait_s"]
    return (
        f"{backlog['waiting']} clips waiting for labels, oldest "
        f"{f'{oldest:.0f} s' if oldest is not None else '-'}, "
        f"{backlog['analysed_per_min']:.1f} analysed/min (last {backlog['window_min']} min)"
    )


def render_status(figures: dict[str, Any]) -> str:
    queue, disk, fair = figures["queue"], figures["disk"], figures["fair_use"]
    lines = [
        f"queue:     {_pairs(queue['open'])}",
        f"waiting:   {_pairs(queue['waiting'])}",
        f"finished:  {_pairs(queue['finished'])}",
        f"analysis:  {render_backlog(queue['analysis'])}",
        "last clips:",
    ]
    for job in figures["last_clips"]:
        duration = f"{job['duration_s']:.1f}s" if job["duration_s"] is not None else "-"
        lines.append(
            f"  {job['received_at']}  camera={job['camera_id']}  {job['state']:<11} "
            f"reason={job['reason'] or '-'}  duration={duration}  job={job['id']}"
        )
    if not figures["last_clips"]:
        lines.append("  (none yet)")
    flagged = " ".join(
        f"camera {camera['camera_id']}: {camera['fairuse_state']};" for camera in fair["cameras"]
    )
    lines.append(f"fair use:  {_pairs(fair['counts'])}  {flagged}".rstrip())
    recordings = disk["recordings"]
    for index, area in enumerate(disk["areas"]):
        lines.append(f"{'disk:' if index == 0 else '':<11}{render_area(area)}")
    lines.append(f"recordings: {_size(recordings['bytes'])} in {recordings['count']} clips")
    speed = figures["detector"]
    if speed is None:
        lines.append("detector:  n/a")
    else:
        per_run = speed["ms_per_detector_run"]
        lines.append(
            f"detector:  {per_run if per_run is not None else '-'} ms per detector run, "
            f"{speed['ms_per_clip']} ms per clip (last {speed['clips']} clips)"
        )
    lines.append("scheduled jobs:")
    for run in figures["scheduled_jobs"]:
        failed = (
            f"  last error {run['last_error']} at {run['last_error_at']}"
            if run["last_error"]
            else ""
        )
        lines.append(
            f"  {run['job']:<20} last run {run['last_run_at'] or 'never'}  "
            f"{run['last_summary'] or ''}{failed}".rstrip()
        )
    if not figures["scheduled_jobs"]:
        lines.append("  (none has run yet)")
    return "\n".join(lines)
