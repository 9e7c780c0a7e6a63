"""alarmvault user add / list."""

from __future__ import annotations

import argparse
import getpass
import sys

from cli import CommandError, CommandLine, Context, print_json
from core.catalog import AlreadyExists
from core.catalog.users import add_user, list_users

GROUP_HELP = "manage user accounts"


def register(cli: CommandLine) -> None:
    parser = cli.subcommand(
        "user", "add", user_add, "add a user; the password is read from stdin", GROUP_HELP
    )
    parser.add_argument("email")
    parser.add_argument("--admin", action="store_true", help="make the user an admin")
    parser = cli.subcommand("user", "list", user_list, "list users", GROUP_HELP)
    parser.add_argument("--json", action="store_true", help="print JSON")


def read_password() -> str:
    if sys.stdin.isatty():
        password = getpass.getpass("Password: ")
        if getpass.getpass("Again: ") != password:
            raise CommandError("the passwords differ")
        return password
    return sys.stdin.readline().rstrip("\r\n")


def user_add(args: argparse.Namespace, context: Context) -> int:
    password = read_password()
    try:
        user = add_user(context.db, args.email, password, is_admin=args.admin)
    except (ValueError, AlreadyExists) as error:
        raise CommandError(str(error)) from None
    print(f"user {user['id']} added{' (admin)' if user['is_admin'] else ''}")
    return 0


def user_list(args: argparse.Namespace, context: Context) -> int:
    users = [
        {k: v for k, v in user.items() if k != "password_hash"} for user in list_users(context.db)
    ]
    if args.json:
        print_json(users)
    else:
        for user in users:
            admin = " admin" if user["is_admin"] else ""
            print(f"{user['id']:>5}  {user['email']}{admin}  {user['state']}")
    return 0
