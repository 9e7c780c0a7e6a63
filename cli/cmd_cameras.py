"""alarmvault camera add / list."""

from __future__ import annotations

import argparse

from cli import CommandError, CommandLine, Context, print_json
from core.camera_models import UnknownModel, get_model, load_model_table
from core.catalog.cameras import add_camera, list_cameras
from core.catalog.users import find_user_by_email

GROUP_HELP = "manage cameras and their upload accounts"


def register(cli: CommandLine) -> None:
    parser = cli.subcommand(
        "camera", "add", camera_add, "add a camera and create its upload account", GROUP_HELP
    )
    parser.add_argument("--owner", required=True, metavar="EMAIL", help="the owner's e-mail")
    parser.add_argument("--name", required=True, help="a name for the camera")
    parser.add_argument("--model", required=True, help="model, e.g. IN-8015 (camera_models.toml)")
    parser.add_argument("--json", action="store_true", help="print JSON")
    parser = cli.subcommand("camera", "list", camera_list, "list cameras", GROUP_HELP)
    parser.add_argument("--json", action="store_true", help="print JSON")


def public_camera(camera: dict) -> dict:
    """A camera row without its secrets."""
    return {k: v for k, v in camera.items() if k not in ("password_hash",) and "secret" not in k}


def camera_add(args: argparse.Namespace, context: Context) -> int:
    table = load_model_table(context.settings.validation.extra_camera_models)
    try:
        model = get_model(table, args.model)
    except UnknownModel as error:
        raise CommandError(str(error)) from None
    owner = find_user_by_email(context.db, args.owner)
    if owner is None:
        raise CommandError(f"no user with e-mail {args.owner}")
    camera, password = add_camera(context.db, owner["id"], args.name, model.name)
    ftp_host, ftp_port = context.settings.ftp.listen.rsplit(":", 1)
    sftp_port = context.settings.sftp.listen.rsplit(":", 1)[1]
    if args.json:
        print_json({**public_camera(camera), "password": password})
        return 0
    print(f"camera {camera['id']} added ({model.name}, {model.series} series)")
    print("Enter in the camera (Alarm > FTP upload):")
    print(f"  server:   {ftp_host}   port: {ftp_port} (FTP/FTPS)", end="")
    print(f", {sftp_port} (sFTP)" if model.sftp else "")
    print(f"  username: {camera['username']}")
    print(f"  password: {password}")
    print("This password is shown once; `alarmvault camera rotate-password ID` makes a new one.")
    return 0


def camera_list(args: argparse.Namespace, context: Context) -> int:
    cameras = [public_camera(camera) for camera in list_cameras(context.db)]
    if args.json:
        print_json(cameras)
    else:
        for camera in cameras:
            print(
                f"{camera['id']:>5}  {camera['name']}  {camera['model']}  "
                f"user={camera['username']}  owner={camera['owner_id']}  {camera['fairuse_state']}"
            )
    return 0
