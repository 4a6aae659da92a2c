"""The app factory: builds every service from the configuration and wires the routes."""

from __future__ import annotations

import hashlib
import hmac
import logging
from collections.abc import Awaitable, Callable
from dataclasses import replace
from datetime import timedelta

from aiohttp import web
from sqlalchemy.engine import make_url

from records.agreements.seal import load_or_create_seal
from records.anonymise import pipelines
from records.db import Database
from records.rights.retention import load_policies
from records.service import Records, open_records
from records.stores.accounts import AccountStore
from records.stores.scheduling import ScheduleStore
from server import web as pages
from server.background import background_task
from server.config import Config
from server.context import SERVICES, Services, SetupState
from server.errors import error_middleware
from server.health import NodeState, Readiness
from server.health import register_routes as register_health
from server.invites.links import LinkService, LinkSigner
from server.invites.request_withdrawal import WithdrawalTokens
from server.invites.signing import load_or_create_signing_key
from server.invites.survey_links import SurveyLinks
from server.mail.notify import Notifier
from server.mail.reminders import Reminders, reminders_task
from server.mail.transport import SmtpTransport
from server.mail.worker import MailWorker, RetryPolicy, mail_task
from server.metrics import METRICS, Metrics, metrics_server
from server.node_registry import join_deployment, secret_fingerprints
from server.passwords import PasswordHashing
from server.purge import purge_task
from server.realtime import (
    AUTHENTICATOR_KEY,
    NAMESPACE_KEY,
    ConnectionAuthenticator,
    aiortc_relay,
    attach_realtime,
    placement_for,
)
from server.request_limits import REQUEST_LIMITS, request_limits
from server.rest import register_routes
from server.rest.agenda import register_feed
from server.rest.api import Api
from server.room_signing import CaseRoomSigning
from server.security import csrf_middleware, forwarded_middleware, headers_middleware
from server.session_host import case_file_ports
from server.survey_mail import SurveyMail
from server.throttle_redis import login_throttle
from server.uploading import UPLOAD_DESK_KEY, UploadDesk
from signaling.namespace import RelayFactory
from signaling.placement import Placement

logger = logging.getLogger(__name__)

VERSION = "0.1.0"


def build_api() -> Api:
    api = Api("Palabre", VERSION)
    register_routes(api)
    return api


SETUP_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"


def setup_code_for(signing_key: bytes) -> str:
    """The one-time code that guards the first account, derived from the signing key: every
    node of a deployment prints the same one (the setup page may reach any of them), and
    it says nothing of the key. It stops working once an account exists."""
    digest = hmac.new(signing_key, b"palabre first-run setup code", hashlib.sha256).digest()
    return "".join(SETUP_ALPHABET[b % len(SETUP_ALPHABET)] for b in digest[:10])


def _log_key_store(in_main_database: bool, url: str) -> None:
    """Says at start where the wrapped data keys are, and what erasing one guarantees."""
    if in_main_database:
        logger.warning(
            "wrapped data keys are kept in the main database (PALABRE_KEYS_IN_MAIN_DATABASE): "
            "on PostgreSQL an erased key survives in dead rows and the WAL until VACUUM, "
            "and in backups until they expire"
        )
    else:
        where = make_url(url).render_as_string(hide_password=True)
        logger.info("wrapped data keys kept apart from the main database, in %s", where)


async def _join_deployment(
    config: Config, signing_key: bytes, records: Records
) -> Callable[[], Awaitable[None]]:
    """With Redis, this node joins the running ones (or refuses to start if its secrets
    differ from theirs); returns how it leaves at shutdown."""
    if config.redis_url is None:
        return _nothing
    cluster = config.cluster
    fingerprints = secret_fingerprints(signing_key, records.keys.log_hmac_key)
    try:
        return await join_deployment(
            config.redis_url, cluster.redis_prefix, cluster.node_id, fingerprints
        )
    except BaseException:
        await records.close()
        await records.db.close()
        raise


def _mail_worker(config: Config, records: Records, policy: RetryPolicy | None) -> MailWorker | None:
    """The outbox's sender, if an SMTP server is configured (else mail waits there)."""
    if not config.smtp.configured:
        logger.info("no SMTP server configured (PALABRE_SMTP_HOST): e-mail stays in the outbox")
        return None
    return MailWorker(records.outbox, SmtpTransport(config.smtp), config.smtp.sender, policy=policy)


def _survey_mail(svc: Services) -> SurveyMail:
    """What follows a session's end: the parties' questionnaire by e-mail."""
    assert svc.surveys is not None
    wake = svc.mail.wake if svc.mail is not None else None
    return SurveyMail(svc.schedule, svc.cases, svc.records.outbox, svc.surveys,
                      svc.config.smtp, wake)  # fmt: skip


async def _nothing() -> None:
    return None


async def create_app(
    config: Config,
    *,
    setup_code: str | None = None,
    relay_factory: RelayFactory | None = None,
    placement: Placement | None = None,
    mail_policy: RetryPolicy | None = None,
) -> web.Application:
    """Builds the application.

    ``setup_code`` opens the first-run page on an empty database;
    ``relay_factory`` replaces the aiortc relay (tests use an in-memory one);
    ``placement`` says which node runs each live session (by default: leases in Redis with
    PALABRE_REDIS_URL, else this one runs them
    all: :class:`~signaling.placement.LocalPlacement`);
    ``mail_policy`` the outbox's back-off (tests shorten it).
    """
    config.var_dir.mkdir(parents=True, exist_ok=True)
    db = Database(config.database_url)
    try:
        records = await open_records(
            db,
            config.records.key_file,
            keys_url=config.records.keys_database_url,
            organisation_id=config.records.organisation_id,
        )
    except BaseException:
        await db.close()
        raise
    _log_key_store(records.keys_db is db, config.records.keys_database_url)
    policies = load_policies(config.records.retention_file)
    if config.records.warm_up_entities:
        pipelines.warm_up()
    accounts = AccountStore(db)
    schedule = ScheduleStore(db)
    signing_key = load_or_create_signing_key(config.signing_key_path)
    seal = load_or_create_seal(
        config.seal.organisation_name, config.var_dir, cert=config.seal.cert,
        key=config.seal.key, password_file=config.seal.key_password_file,
    )  # fmt: skip
    signer = LinkSigner(signing_key)
    leave = await _join_deployment(config, signing_key, records)
    throttle, close_throttle = login_throttle(config)
    if setup_code is not None and await accounts.count_mediators() > 0:
        setup_code = None
    links = LinkService(
        signer, schedule, config.http.public_url, timedelta(hours=config.auth.link_grace_hours)
    )
    mail = _mail_worker(config, records, mail_policy)
    # session notices: what participants invited by e-mail are told (moves, cancellations,
    # reminders), queued in the outbox
    notifier = Notifier(
        schedule, records.cases, links, records.outbox, config.smtp,
        mail.wake if mail is not None else None,
    )  # fmt: skip
    svc = Services(
        config=config,
        db=db,
        accounts=accounts,
        cases=records.cases,
        schedule=schedule,
        links=links,
        throttle=throttle,
        hashing=PasswordHashing(
            config.auth.login_max_concurrent, max_waiting=16 * config.auth.login_max_concurrent
        ),
        setup=SetupState(setup_code),
        records=records,
        surveys=SurveyLinks(signing_key, schedule, config.http.public_url),
        withdrawals=WithdrawalTokens(signing_key),
        mail=mail,
        notifier=notifier,
        seal=seal,
    )
    node = NodeState(config.cluster.node_id)
    metrics = Metrics(node, VERSION, config.records.purge_interval_hours)
    app = web.Application(
        client_max_size=config.http.max_body_bytes,
        middlewares=[
            metrics.middleware,
            forwarded_middleware(config.http.trust_forwarded, config.http.trusted_proxy_hops),
            headers_middleware(
                config.secure_cookies, config.http.public_url, pages.inline_script_hashes()
            ),
            error_middleware,
            csrf_middleware(config.http.public_url, config.secure_cookies),
        ],
    )
    app[SERVICES] = svc
    authenticator = ConnectionAuthenticator(svc.links, accounts, schedule)
    survey_mail = _survey_mail(svc)
    ports = replace(
        case_file_ports(schedule, records), follow_up=survey_mail, signing=CaseRoomSigning(svc)
    )
    _, namespace = attach_realtime(
        app, config, authenticator, ports, relay_factory or aiortc_relay(config),
        placement or placement_for(config), signing_key, metrics,
    )  # fmt: skip
    app[NAMESPACE_KEY] = namespace
    app[AUTHENTICATOR_KEY] = authenticator
    app[UPLOAD_DESK_KEY] = UploadDesk()
    limits, close_limits = request_limits(config)  # public requests (server/rest/requests.py)
    app[REQUEST_LIMITS] = limits
    build_api().register(app)
    register_feed(app)
    pages.register_routes(app)
    register_health(
        app, Readiness(node, db, records.keys_db, config.redis_url, namespace.relay, namespace.hub)
    )
    metrics.watch(namespace)
    app[METRICS] = metrics
    if config.ops.metrics_host is not None:
        app.cleanup_ctx.append(
            metrics_server(metrics, config.ops.metrics_host, config.ops.metrics_port)
        )

    app.cleanup_ctx.append(
        purge_task(records, policies, config.records.purge_interval_hours, metrics.purged)
    )

    if svc.mail is not None:
        app.cleanup_ctx.append(mail_task(svc.mail))
    # reminders before sessions: every node runs the loop; the outbox's unique dedup key
    # makes each reminder queued once
    app.cleanup_ctx.append(reminders_task(Reminders(schedule, notifier)))
    # questionnaires of sessions whose end was stored but not followed up (a node stopped)
    app.cleanup_ctx.append(background_task("survey-catch-up", survey_mail.run))

    async def close_db(_app: web.Application) -> None:
        await leave()
        await records.close()
        await db.close()
        await close_throttle()
        await close_limits()

    app.on_cleanup.append(close_db)
    return app
