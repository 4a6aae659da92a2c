"""A Palabre server inside the test's own event loop, for browser tests that need to reach
the running app (the relay, the live hub) through its Python API.

``palabre serve`` in a subprocess (:func:`tests.e2e.conftest.serving`) is the usual way;
this builds the same app with :func:`server.app.create_app`, on a free 127.0.0.1 port, with
the settings the subprocess gets in tests. Playwright's async API runs in the same loop,
so the pages, the server and the test share one thread.

The relay's offers go through an :class:`OfferRouter`: offers for a participant id
registered with :meth:`OfferRouter.route` (a test's own peer, e.g. a relay tap) go to it,
every other offer to the Socket.IO namespace as in production.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from aiohttp import web

from records.migrate import upgrade_async
from records.stores.accounts import AccountStore
from server.app import create_app, setup_code_for
from server.config import load_config
from server.context import SERVICES
from server.invites.signing import load_or_create_signing_key
from server.realtime import NAMESPACE_KEY, aiortc_relay
from tests.e2e.conftest import LiveServer, free_port, server_env

OfferHandler = Callable[[str, str], Awaitable[None]]


class OfferRouter:
    """The relay's ``on_offer``: a routed participant's offers go to its handler."""

    def __init__(self) -> None:
        self._default: OfferHandler | None = None
        self._routes: dict[str, OfferHandler] = {}

    def bind(self, default: OfferHandler) -> OfferHandler:
        self._default = default
        return self.deliver

    def route(self, participant_id: str, handler: OfferHandler) -> None:
        self._routes[participant_id] = handler

    def unroute(self, participant_id: str) -> None:
        self._routes.pop(participant_id, None)

    async def deliver(self, participant_id: str, sdp: str) -> None:
        handler = self._routes.get(participant_id, self._default)
        if handler is not None:
            await handler(participant_id, sdp)


@dataclass
class InProcessServer(LiveServer):
    """A :class:`LiveServer` (``seed_session`` and the flows work on it) with no process:
    the app itself instead."""

    app: web.Application | None = None
    offers: OfferRouter = field(default_factory=OfferRouter)

    @property
    def namespace(self) -> Any:
        assert self.app is not None
        return self.app[NAMESPACE_KEY]

    @property
    def relay(self) -> Any:
        """The running :class:`signaling.relay.Relay`."""
        return self.namespace.relay

    @property
    def hub(self) -> Any:
        """The live sessions (:class:`signaling.hub.LiveHub`)."""
        return self.namespace.hub


@contextlib.asynccontextmanager
async def in_process_server(tmp_path: Path, **extra: str) -> AsyncIterator[InProcessServer]:
    """The app on a free port of 127.0.0.1 in the running loop, with the subprocess
    server's settings (:func:`~tests.e2e.conftest.server_env`) and more PALABRE_* ones
    (``extra``); shut down (peer connections closed) when the block ends."""
    port = free_port()
    var = tmp_path / "var"
    config = load_config(server_env(var, port, extra))
    config.var_dir.mkdir(parents=True, exist_ok=True)
    await upgrade_async(config.database_url)
    offers = OfferRouter()
    relay_factory = aiortc_relay(config)
    app = await create_app(
        config, relay_factory=lambda on_offer: relay_factory(offers.bind(on_offer))
    )
    setup_code = None
    if await AccountStore(app[SERVICES].db).count_mediators() == 0:
        setup_code = setup_code_for(load_or_create_signing_key(config.signing_key_path))
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    try:
        await web.TCPSite(runner, "127.0.0.1", port).start()
        yield InProcessServer(
            url=f"http://localhost:{port}",
            var_dir=var,
            setup_code=setup_code,
            process=None,  # type: ignore[arg-type]
            env=extra,
            app=app,
            offers=offers,
        )
    finally:
        await runner.cleanup()
