"""alarmvault camera rotate-password / camera key add|list|remove: a camera's upload logins."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from cli import CommandError, CommandLine, Context, print_json
from core.catalog import AlreadyExists, NotFound
from core.catalog.camera_keys import add_camera_key, list_camera_keys, remove_camera_key
from core.catalog.cameras import get_camera, rotate_camera_password

GROUP_HELP = "manage cameras and their upload accounts"


def register(cli: CommandLine) -> None:
    parser = cli.subcommand(
        "camera", "rotate-password", rotate_password,
        "give the camera's upload account a new password (shown once)", GROUP_HELP,
    )  # fmt: skip
    parser.add_argument("camera_id", type=int, metavar="ID")
    parser.add_argument("--json", action="store_true", help="print JSON")
    parser = cli.subcommand(
        "camera", "key-add", key_add,
        "let the camera log in over SFTP with an SSH public key", GROUP_HELP,
    )  # fmt: skip
    parser.add_argument("camera_id", type=int, metavar="ID")
    parser.add_argument("public_key", metavar="FILE", help="an OpenSSH .pub file, or - for stdin")
    parser = cli.subcommand("camera", "key-list", key_list, "list a camera's SSH keys", GROUP_HELP)
    parser.add_argument("camera_id", type=int, metavar="ID")
    parser.add_argument("--json", action="store_true", help="print JSON")
    parser = cli.subcommand(
        "camera", "key-remove", key_remove, "remove one of a camera's SSH keys", GROUP_HELP
    )
    parser.add_argument("camera_id", type=int, metavar="ID")
    parser.add_argument("key_id", type=int, metavar="KEY_ID")


def _camera(context: Context, camera_id: int) -> dict:
    try:
        return get_camera(context.db, camera_id)
    except NotFound:
        raise CommandError(f"no camera {camera_id}") from None


def rotate_password(args: argparse.Namespace, context: Context) -> int:
    camera = _camera(context, args.camera_id)
    password = rotate_camera_password(context.db, camera["id"])
    if args.json:
        print_json({"id": camera["id"], "username": camera["username"], "password": password})
    else:
        print(f"camera {camera['id']}: new upload password for {camera['username']}: {password}")
        print("Enter it in the camera; the old one no longer works.")
    return 0


def key_add(args: argparse.Namespace, context: Context) -> int:
    camera = _camera(context, args.camera_id)
    try:
        line = sys.stdin.read() if args.public_key == "-" else Path(args.public_key).read_text()
    except OSError as error:
        raise CommandError(f"cannot read {args.public_key}: {error.strerror}") from None
    try:
        key = add_camera_key(context.db, camera["id"], line.strip())
    except (ValueError, AlreadyExists) as error:
        raise CommandError(str(error)) from None
    print(f"camera {camera['id']}: key {key['id']} ({key['key_type']}) added")
    return 0


def key_list(args: argparse.Namespace, context: Context) -> int:
    camera = _camera(context, args.camera_id)
    keys = [
        {k: key[k] for k in ("id", "key_type", "comment", "created_at")}
        for key in list_camera_keys(context.db, camera["id"])
    ]
    if args.json:
        print_json(keys)
    else:
        for key in keys:
            print(f"{key['id']:>5}  {key['key_type']}  {key['comment'] or ''}  {key['created_at']}")
    return 0


def key_remove(args: argparse.Namespace, context: Context) -> int:
    camera = _camera(context, args.camera_id)
    if not any(key["id"] == args.key_id for key in list_camera_keys(context.db, camera["id"])):
        raise CommandError(f"camera {camera['id']} has no key {args.key_id}")
    remove_camera_key(context.db, camera["id"], args.key_id)
    print(f"camera {camera['id']}: key {args.key_id} removed")
    return 0
