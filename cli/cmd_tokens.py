"""alarmvault token create / list / revoke: personal API tokens."""

from __future__ import annotations

import argparse

from cli import CommandError, CommandLine, Context, print_json
from core.catalog.tokens import SCOPES, TooManyTokens, create_token, list_tokens, revoke_token
from core.catalog.users import find_user_by_email

GROUP_HELP = "manage personal API tokens"


def register(cli: CommandLine) -> None:
    parser = cli.subcommand(
        "token", "create", token_create, "create an API token for a user (shown once)", GROUP_HELP
    )
    parser.add_argument("email", help="the account the token acts for")
    parser.add_argument("--scope", choices=SCOPES, default="read", help="default: read")
    parser.add_argument("--name", default="CLI token", help="a name to recognise it by")
    parser.add_argument("--json", action="store_true", help="print JSON")
    parser = cli.subcommand("token", "list", token_list, "list API tokens", GROUP_HELP)
    parser.add_argument("email", nargs="?", help="only this account's tokens")
    parser.add_argument("--json", action="store_true", help="print JSON")
    parser = cli.subcommand("token", "revoke", token_revoke, "revoke an API token", GROUP_HELP)
    parser.add_argument("token_id", type=int, metavar="ID")


def _user_id(context: Context, email: str) -> int:
    user = find_user_by_email(context.db, email)
    if user is None:
        raise CommandError("no user with that e-mail address")
    return user["id"]


def token_create(args: argparse.Namespace, context: Context) -> int:
    user_id = _user_id(context, args.email)
    try:
        row, token = create_token(
            context.db,
            user_id,
            args.name,
            args.scope,
            max_active=context.settings.api.max_tokens_per_user,
        )
    except TooManyTokens as error:
        raise CommandError(str(error)) from None
    if args.json:
        print_json({"id": row["id"], "token": token, "scope": row["scope"], "name": row["name"]})
    else:
        print(f"token {row['id']} ({row['scope']}) created; it is shown only this once:")
        print(token)
    return 0


def token_list(args: argparse.Namespace, context: Context) -> int:
    user_id = _user_id(context, args.email) if args.email else None
    tokens = list_tokens(context.db, user_id)
    if args.json:
        print_json(tokens)
        return 0
    for token in tokens:
        state = f"revoked {token['revoked_at']}" if token["revoked_at"] else "active"
        print(
            f"{token['id']:>5}  user={token['user_id']}  {token['scope']:<7}  {token['hint']}…"
            f"  {token['name']}  {state}"
        )
    return 0


def token_revoke(args: argparse.Namespace, context: Context) -> int:
    if not revoke_token(context.db, args.token_id):
        raise CommandError(f"no active token {args.token_id}")
    print(f"token {args.token_id} revoked")
    return 0
