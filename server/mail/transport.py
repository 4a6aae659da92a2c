"""Handing one message to the SMTP server: a small Protocol, and aiosmtplib behind it.

A transport answers with the server's acceptance (:class:`Accepted`) or raises
:class:`MailNotSent`: ``permanent`` when the server refused this recipient or this
message for good (a 5xx reply to RCPT or DATA), else a refusal for now (4xx), a
refused sign-in or a server that cannot be reached, all worth another try later.
"""

from __future__ import annotations

from dataclasses import dataclass
from email.message import EmailMessage
from typing import Protocol

import aiosmtplib

from server.config import SmtpConfig

TIMEOUT_SECONDS = 60.0


@dataclass(frozen=True)
class Accepted:
    code: int
    reply: str


class MailNotSent(Exception):
    def __init__(self, code: int | None, reply: str, *, permanent: bool = False) -> None:
        super().__init__(f"{code} {reply}")
        self.code = code
        self.reply = reply
        self.permanent = permanent


class Transport(Protocol):
    async def send(self, message: EmailMessage, sender: str, recipient: str) -> Accepted: ...


class SmtpTransport:
    """One connection per message (a small practice sends a few a day)."""

    def __init__(self, config: SmtpConfig, *, timeout: float = TIMEOUT_SECONDS) -> None:
        assert config.host is not None
        self._config = config
        self._timeout = timeout

    async def send(self, message: EmailMessage, sender: str, recipient: str) -> Accepted:
        c = self._config
        try:
            errors, reply = await aiosmtplib.send(
                message, sender=sender, recipients=[recipient], hostname=c.host, port=c.port,
                username=c.user, password=c.password, use_tls=c.security == "tls",
                start_tls=c.security == "starttls", timeout=self._timeout,
            )  # fmt: skip
        except aiosmtplib.SMTPRecipientsRefused as exc:
            refused = exc.recipients[0] if exc.recipients else None
            code = refused.code if refused is not None else None
            text = refused.message if refused is not None else str(exc)
            raise MailNotSent(code, text, permanent=code is not None and code >= 500) from None
        except aiosmtplib.SMTPDataError as exc:
            raise MailNotSent(exc.code, exc.message, permanent=exc.code >= 500) from None
        except aiosmtplib.SMTPResponseException as exc:  # sign-in, sender, greeting...
            raise MailNotSent(exc.code, exc.message) from None
        except (aiosmtplib.SMTPException, OSError, TimeoutError) as exc:
            raise MailNotSent(None, _reason(exc)) from None
        if errors:
            response = next(iter(errors.values()))
            raise MailNotSent(response.code, response.message, permanent=response.code >= 500)
        first, _, rest = reply.partition(" ")
        if first.isdigit():
            return Accepted(int(first), rest)
        return Accepted(250, reply)


def _reason(exc: BaseException) -> str:
    """Why the server could not be reached, without anything from the message."""
    if isinstance(exc, aiosmtplib.SMTPException) and exc.message:
        return f"{type(exc).__name__}: {exc.message}"
    return type(exc).__name__ + (f": {exc.strerror}" if isinstance(exc, OSError) else "")
