"""alarmvault run: start ingestd, the pipeline and the web UI as three supervised processes."""

from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from cli import CommandLine, Context

SERVICES = ("ingestd", "pipeline", "webui")
STOP_GRACE_S = 10.0


def register(cli: CommandLine) -> None:
    parser = cli.command(
        "run", run, "start ingestd, pipeline and webui; stop all on Ctrl-C or SIGTERM"
    )
    parser.add_argument(
        "--demo",
        action="store_true",
        help="if the catalog has no users, create a demo user and camera and print their logins",
    )


def run(args: argparse.Namespace, context: Context) -> int:
    settings = context.settings
    if args.demo:
        from cli.demo import ensure_demo_account

        ensure_demo_account(context.db, settings)
    context.close()
    env = dict(os.environ)
    if settings.config_path:
        env["ALARMVAULT_CONFIG"] = str(settings.config_path)
    processes: dict[str, subprocess.Popen] = {}
    stopping = False

    def request_stop(signum, frame):
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGTERM, request_stop)
    signal.signal(signal.SIGINT, request_stop)
    for name in SERVICES:
        processes[name] = subprocess.Popen([sys.executable, "-m", name], env=env)
    _print_addresses(settings)
    failed = None
    while not stopping and failed is None:
        for name, process in processes.items():
            if process.poll() is not None:
                failed = name
                break
        time.sleep(0.2)
    for process in processes.values():
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
    deadline = time.monotonic() + STOP_GRACE_S
    for process in processes.values():
        try:
            process.wait(timeout=max(0.1, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
    if failed is not None:
        code = processes[failed].returncode
        print(
            f"alarmvault: {failed} exited with status {code}; stopped the others",
            file=sys.stderr,
        )
        return 1
    return 0


def _print_addresses(settings) -> None:
    data_dir = Path(settings.storage.data_dir)
    print("AlarmVault is starting:", flush=True)
    print(f"  camera upload (FTP/FTPS): {settings.ftp.listen}", flush=True)
    if settings.sftp.enabled:
        print(f"  camera upload (sFTP):     {settings.sftp.listen}", flush=True)
    print(f"  browser:                  http://{settings.web.listen}/", flush=True)
    print(f"  data:                     {data_dir}", flush=True)
