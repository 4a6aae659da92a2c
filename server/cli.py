"""The ``palabre`` command: serve, db upgrade, admin create-mediator."""

from __future__ import annotations

import argparse
import asyncio
import getpass
import json
import logging
import os
import ssl
import sys
from collections.abc import Awaitable, Callable, Sequence
from typing import Any, TextIO

import uvloop
from aiohttp import web

from records.crypto.vault import rewrap_all
from records.db import Database
from records.errors import Conflict, RecordsError
from records.migrate import upgrade
from records.models import utcnow
from records.rights.retention import load_policies, purge, register, register_markdown
from records.rights.subjects import erase_subject, export_html, export_subject
from records.service import Records, open_records
from records.stores.accounts import AccountStore
from server.accesslog import AccessLogger
from server.app import create_app, setup_code_for
from server.cluster.checks import check_cluster
from server.config import Config, ConfigError, load_config
from server.heap import keep_heap
from server.invites.signing import load_or_create_signing_key
from server.logs import configure_logging
from server.passwords import check_policy, hash_password

logger = logging.getLogger("palabre")


def _config() -> Config:
    return load_config(os.environ)


async def _count_mediators(config: Config) -> int:
    db = Database(config.database_url)
    try:
        return await AccountStore(db).count_mediators()
    finally:
        await db.close()


async def _serving_app(config: Config, setup_code: str | None) -> web.Application:
    app = await create_app(config, setup_code=setup_code)
    app.cleanup_ctx.append(keep_heap())  # the serving process only: it lives long
    return app


def cmd_serve(args: argparse.Namespace) -> int:
    config = _config()
    configure_logging(config.ops.log_format, config.cluster.node_id)
    check_cluster(config)
    config.var_dir.mkdir(parents=True, exist_ok=True)
    if not args.no_migrate:
        upgrade(config.database_url)
    setup_code = None
    if asyncio.run(_count_mediators(config)) == 0:
        setup_code = setup_code_for(load_or_create_signing_key(config.signing_key_path))
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
        _serving_app(config, setup_code),
        host=config.http.host,
        port=config.http.port,
        ssl_context=ssl_context,
        access_log_class=AccessLogger,
        print=None,
        # libuv's loop: the same coroutines for about a quarter less CPU per board operation
        # and per relayed packet (bench/whiteboard.py), on the serving process only
        loop=uvloop.new_event_loop(),
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


async def _create_mediator(
    config: Config, email: str, name: str, password_hash: str, admin: bool
) -> tuple[str, bool]:
    db = Database(config.database_url)
    try:
        mediator = await AccountStore(db).create_mediator(email, name, password_hash, admin=admin)
        return mediator.id, mediator.is_admin
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
        mediator_id, admin = asyncio.run(
            _create_mediator(
                config, args.email, args.name.strip(), hash_password(password), args.admin
            )
        )
    except Conflict as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    role = ", organisation administrator" if admin else ""
    print(f"mediator account created ({mediator_id}){role}")
    return 0


async def _open(config: Config) -> tuple[Database, Records]:
    db = Database(config.database_url)
    try:
        records = await open_records(
            db, config.records.key_file, keys_url=config.records.keys_database_url,
            organisation_id=config.records.organisation_id,
        )  # fmt: skip
    except BaseException:
        await db.close()
        raise
    return db, records


def _run_records(config: Config, work: Callable[[Records], Awaitable[int]]) -> int:
    config.var_dir.mkdir(parents=True, exist_ok=True)
    upgrade(config.database_url)

    async def go() -> int:
        db, records = await _open(config)
        try:
            return await work(records)
        finally:
            await records.close()
            await db.close()

    try:
        return asyncio.run(go())
    except RecordsError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1


def cmd_keys_rotate(args: argparse.Namespace) -> int:
    async def work(r: Records) -> int:
        new = r.keys.rotate()
        count = await rewrap_all(r.keys, r.keystore)
        print(f"new key-encryption key {new}; re-wrapped {count} data key(s)")
        return 0

    return _run_records(_config(), work)


def cmd_keys_retire(args: argparse.Namespace) -> int:
    async def work(r: Records) -> int:
        r.keys.retire(args.kek_id, await r.keystore.get_kek_ids_in_use())
        print(f"key-encryption key {args.kek_id} retired and destroyed")
        return 0

    return _run_records(_config(), work)


def cmd_keys_list(args: argparse.Namespace) -> int:
    async def work(r: Records) -> int:
        used = await r.keystore.get_kek_ids_in_use()
        for kek_id in r.keys.kek_ids():
            flags = ["current"] if kek_id == r.keys.current_kek_id else []
            flags += ["in use"] if kek_id in used else []
            print(f"{kek_id}  {' '.join(flags)}")
        return 0

    return _run_records(_config(), work)


def cmd_records_verify(args: argparse.Namespace) -> int:
    async def work(r: Records) -> int:
        broken = False
        for name, log in (("consent", r.consent), ("audit", r.audit)):
            report = await log.verify()
            if report.ok:
                print(f"{name} log: ok ({report.count} entries)")
            else:
                broken = True
                print(
                    f"{name} log: BROKEN: {report.problem} at seq {report.seq} "
                    f"(position {report.position}): {report.detail}"
                )
        journals = (("board", r.journal, "operations"), ("text", r.texts, "updates"))
        for kind, journal, unit in journals:
            checks = await journal.verify()
            for check in checks:
                if not check.ok:
                    broken = True
                    print(
                        f"{kind} {check.case_id}/{check.session_id}/{check.room_id}: BROKEN: "
                        + "; ".join(check.problems)
                    )
            rows = sum(check.rows for check in checks)
            state = "ok" if all(c.ok for c in checks) else "BROKEN"
            print(f"{kind}s: {state} ({len(checks)} {kind}s, {rows} {unit})")
        return 1 if broken else 0

    return _run_records(_config(), work)


def cmd_records_purge(args: argparse.Namespace) -> int:
    config = _config()
    policies = load_policies(config.records.retention_file)

    async def work(r: Records) -> int:
        counts = await purge(r, policies, utcnow())
        print("purged: " + ", ".join(f"{k}={v}" for k, v in counts.items()))
        return 0

    return _run_records(config, work)


def cmd_records_export(args: argparse.Namespace) -> int:
    async def work(r: Records) -> int:
        doc = await export_subject(r, args.participant, actor="cli", via="cli")
        text = (
            export_html(doc)
            if args.format == "html"
            else json.dumps(doc, indent=2, ensure_ascii=False)
        )
        if args.output:
            fd = os.open(args.output, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            with os.fdopen(fd, "w", encoding="utf-8") as f:
                f.write(text)
        else:
            print(text)
        return 0

    return _run_records(_config(), work)


def cmd_records_erase(args: argparse.Namespace) -> int:
    async def work(r: Records) -> int:
        report = await erase_subject(r, args.participant, actor="cli", via="cli")
        print(json.dumps(report, indent=2, ensure_ascii=False))
        return 0

    return _run_records(_config(), work)


def cmd_records_register(args: argparse.Namespace) -> int:
    config = _config()
    policies = load_policies(config.records.retention_file)
    if args.format == "json":
        print(json.dumps(register(policies, config.records.organisation_id), indent=2))
    else:
        print(register_markdown(policies, config.records.organisation_id), end="")
    return 0


def cmd_records_anonymise_text(args: argparse.Namespace) -> int:
    """Offline: no configuration, database or key is read."""
    from records.anonymise.cli import main as anonymise_main

    return anonymise_main(list(args.rest))


def _add_records_commands(sub: Any) -> None:
    keys = sub.add_parser("keys", help="encryption keys").add_subparsers(dest="keys", required=True)
    keys.add_parser("rotate", help="new KEK; re-wrap every data key").set_defaults(
        func=cmd_keys_rotate
    )
    retire = keys.add_parser("retire", help="destroy a KEK no data key uses any more")
    retire.add_argument("kek_id")
    retire.set_defaults(func=cmd_keys_retire)
    keys.add_parser("list", help="KEKs and which are in use").set_defaults(func=cmd_keys_list)
    rec = sub.add_parser("records", help="logs, retention, data-subject rights")
    rs = rec.add_subparsers(dest="records", required=True)
    rs.add_parser(
        "verify", help="verify the consent and audit chains and the stored boards"
    ).set_defaults(func=cmd_records_verify)
    rs.add_parser("purge", help="apply the retention policies now").set_defaults(
        func=cmd_records_purge
    )
    export = rs.add_parser("export-subject", help="a person's data (JSON or HTML)")
    export.add_argument("--participant", required=True)
    export.add_argument("--format", choices=["json", "html"], default="json")
    export.add_argument("--output", help="file to write (mode 0600); default stdout")
    export.set_defaults(func=cmd_records_export)
    erase = rs.add_parser("erase-subject", help="erase a person's data (keeps what law requires)")
    erase.add_argument("--participant", required=True)
    erase.set_defaults(func=cmd_records_erase)
    reg = rs.add_parser("register", help="GDPR art. 30 register of processing activities")
    reg.add_argument("--format", choices=["markdown", "json"], default="markdown")
    reg.set_defaults(func=cmd_records_register)
    anon = rs.add_parser(
        "anonymise-text",
        help="anonymise stdin with a case's names (--names-file NAMES.json --lang fr|en)",
        add_help=False,
    )
    anon.add_argument("rest", nargs=argparse.REMAINDER)
    anon.set_defaults(func=cmd_records_anonymise_text)


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
    create.add_argument(
        "--admin",
        action="store_true",
        help="an organisation administrator (publishes the legal texts; the first account is one)",
    )
    create.set_defaults(func=cmd_create_mediator)
    _add_records_commands(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args_in = list(sys.argv[1:] if argv is None else argv)
    if args_in[:2] == ["records", "anonymise-text"]:
        # handed over as is: argparse would take the options for its own
        return cmd_records_anonymise_text(argparse.Namespace(rest=args_in[2:]))
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    # aioice and aiortc log ICE candidates (IP addresses) at INFO, aiosqlite SQL parameters
    # at DEBUG: personal data stays out of the logs.
    for noisy in ("aioice", "aiortc", "aiosqlite"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    args = build_parser().parse_args(args_in)
    try:
        code: int = args.func(args)
    except ConfigError as exc:
        print(f"configuration error: {exc}", file=sys.stderr)
        return 2
    return code


if __name__ == "__main__":
    raise SystemExit(main())
