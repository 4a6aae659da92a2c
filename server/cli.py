"""The ``palabre`` command: serve, db upgrade, admin create-mediator."""

from __future__ import annotations

import argparse
import asyncio
import getpass
import logging
import os
import ssl
import sys
from collections.abc import Sequence
from typing import TextIO

from aiohttp import web

from records.accounts import AccountStore
from records.db import Database
from records.errors import Conflict
from records.migrate import upgrade
from server.app import create_app, new_setup_code
from server.config import Config, ConfigError, load_config
from server.passwords import check_policy, hash_password

logger = logging.getLogger("palabre")

ACCESS_LOG_FORMAT = '"%r" %s %b %Tf'  # no client address, no user agent, no referrer


def _config() -> Config:
    return load_config(os.environ)


async def _count_mediators(config: Config) -> int:
    db = Database(config.database_url)
    try:
        return await AccountStore(db).count_mediators()
    finally:
        await db.close()


def cmd_serve(args: argparse.Namespace) -> int:
    config = _config()
    config.var_dir.mkdir(parents=True, exist_ok=True)
    if not args.no_migrate:
        upgrade(config.database_url)
    setup_code = None
    if asyncio.run(_count_mediators(config)) == 0:
        setup_code = new_setup_code()
    ssl_context = None
    if config.http.tls_cert and config.http.tls_key:
        ssl_context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        ssl_context.load_cert_chain(config.http.tls_cert, config.http.tls_key)
    url = config.http.public_url
    banner = [f"Palabre is running: {url}"]
    if setup_code:
        banner.append(f"First run: open {url}/setup and enter the one-time code {setup_code}")
    print("\n".join(banner), flush=True)
    web.run_app(
        create_app(config, setup_code=setup_code),
        host=config.http.host,
        port=config.http.port,
        ssl_context=ssl_context,
        access_log_format=ACCESS_LOG_FORMAT,
        print=None,
    )
    return 0


def cmd_db_upgrade(args: argparse.Namespace) -> int:
    config = _config()
    config.var_dir.mkdir(parents=True, exist_ok=True)
    upgrade(config.database_url)
    print("database is at the latest version")
    return 0


def _read_password(stdin: TextIO) -> str:
    if stdin.isatty():
        first = getpass.getpass("Password: ")
        if getpass.getpass("Repeat password: ") != first:
            raise ValueError("the passwords differ")
        return first
    return stdin.readline().rstrip("\r\n")


async def _create_mediator(config: Config, email: str, name: str, password_hash: str) -> str:
    db = Database(config.database_url)
    try:
        mediator = await AccountStore(db).create_mediator(email, name, password_hash)
        return mediator.id
    finally:
        await db.close()


def cmd_create_mediator(args: argparse.Namespace) -> int:
    config = _config()
    if "@" not in args.email or len(args.email) > 254:
        print("error: --email must be an email address", file=sys.stderr)
        return 2
    if not 1 <= len(args.name.strip()) <= 120:
        print("error: --name must have 1 to 120 characters", file=sys.stderr)
        return 2
    try:
        password = _read_password(sys.stdin)
    except ValueError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    reason = check_policy(password)
    if reason:
        print(f"error: {reason}", file=sys.stderr)
        return 2
    config.var_dir.mkdir(parents=True, exist_ok=True)
    upgrade(config.database_url)
    try:
        mediator_id = asyncio.run(
            _create_mediator(config, args.email, args.name.strip(), hash_password(password))
        )
    except Conflict as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    print(f"mediator account created ({mediator_id})")
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="palabre", description="Palabre e-mediation server")
    sub = parser.add_subparsers(dest="command", required=True)
    serve = sub.add_parser("serve", help="start the server (migrates the database first)")
    serve.add_argument("--no-migrate", action="store_true", help="do not upgrade the database")
    serve.set_defaults(func=cmd_serve)
    db = sub.add_parser("db", help="database maintenance").add_subparsers(dest="db", required=True)
    db.add_parser("upgrade", help="apply every migration").set_defaults(func=cmd_db_upgrade)
    admin = sub.add_parser("admin", help="accounts").add_subparsers(dest="admin", required=True)
    create = admin.add_parser(
        "create-mediator", help="create a mediator account (password on stdin or prompted)"
    )
    create.add_argument("--email", required=True)
    create.add_argument("--name", required=True)
    create.set_defaults(func=cmd_create_mediator)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    args = build_parser().parse_args(argv)
    try:
        code: int = args.func(args)
    except ConfigError as exc:
        print(f"configuration error: {exc}", file=sys.stderr)
        return 2
    return code


if __name__ == "__main__":
    raise SystemExit(main())
