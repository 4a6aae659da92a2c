"""A real SMTP server for the tests (aiosmtpd), in the test's event loop.

It can be down (nothing listens on its port), refuse recipients with a given reply, and
tell when a number of messages has arrived (an event, no sleeping).
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from typing import Any

from aiosmtpd.smtp import SMTP


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


class MailServer:
    def __init__(self, port: int | None = None) -> None:
        self.port = port or free_port()
        self.received: list[EmailMessage] = []
        self.envelopes: list[tuple[str, list[str]]] = []
        self.refuse: str | None = None  # an RCPT reply such as "550 5.1.1 ..."
        self._server: asyncio.Server | None = None
        self._sessions: list[SMTP] = []
        self._changed = asyncio.Condition()

    # aiosmtpd handler hooks
    async def handle_RCPT(
        self, server: Any, session: Any, envelope: Any, address: str, options: list[str]
    ) -> str:
        if self.refuse is not None:
            return self.refuse
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        message = BytesParser(policy=policy.default).parsebytes(envelope.content)
        assert isinstance(message, EmailMessage)
        async with self._changed:
            self.received.append(message)
            self.envelopes.append((envelope.mail_from, list(envelope.rcpt_tos)))
            self._changed.notify_all()
        return "250 2.0.0 Ok: queued as TEST1"

    async def start(self) -> None:
        loop = asyncio.get_running_loop()
        self._server = await loop.create_server(self._session, "127.0.0.1", self.port)

    def _session(self) -> SMTP:
        session = SMTP(self, hostname="smtp.test")
        self._sessions.append(session)
        return session

    async def stop(self) -> None:
        """Stops listening and closes the connections still open (a client stopped mid-way):
        none is left for the garbage collector to find once the test's loop is closed."""
        if self._server is not None:
            self._server.close()
            for session in self._sessions:
                if session.transport is not None:
                    session.transport.close()
            handlers = [s._handler_coroutine for s in self._sessions if s._handler_coroutine]
            await asyncio.gather(*handlers, return_exceptions=True)
            self._sessions.clear()
            with contextlib.suppress(Exception):
                await self._server.wait_closed()
            self._server = None

    async def wait_for(self, count: int, seconds: float = 10.0) -> list[EmailMessage]:
        async with asyncio.timeout(seconds), self._changed:
            await self._changed.wait_for(lambda: len(self.received) >= count)
        return self.received


def env(server: MailServer) -> dict[str, str]:
    """The PALABRE_SMTP_* settings that point at ``server``."""
    return {
        "PALABRE_SMTP_HOST": "127.0.0.1",
        "PALABRE_SMTP_PORT": str(server.port),
        "PALABRE_SMTP_SECURITY": "none",
        "PALABRE_SMTP_SENDER": "mediation@palabre.test",
    }
