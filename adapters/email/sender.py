"""Sends subscriber email through one SMTP server with aiosmtplib, over one reused connection.

One connection carries message after message (reconnecting when it is lost), at most
``max_per_second`` messages per second (a token bucket). Each message is one SMTP transaction
(MAIL, RCPT per recipient, DATA) run step by step here, so that a failure is known by the step
it happened at, and classified (:class:`commsbot.subscriptions.ports.FailureScope`):

============================================  ==========================================
what happened                                  raised
============================================  ==========================================
cannot connect, connection lost, timeout,      ``MailTemporaryFailure`` (after DATA went
any 4xx, 421, 552 / 5.2.2 (mailbox full)       out: ``maybe_sent``)
5xx to RCPT TO (user unknown, 5.1.x …)         ``MailAddressRefused``: mark it undeliverable
5xx after DATA (content, size)                 ``MailMessageRefused``: this message only
login refused, TLS failure or unsupported,     ``MailServerRefused``: fix the configuration;
5xx to MAIL FROM, 5.7.x to RCPT TO (relay      no address is marked
denied, blocked), 5xx greeting
============================================  ==========================================

A connection that was idle may have been closed by the server: when a reused connection fails
before anything was accepted, the sender reconnects and tries once more at once.
"""

from __future__ import annotations

import asyncio
import functools
import logging
import re
import ssl
from collections.abc import Mapping
from email.message import EmailMessage
from typing import Literal, NoReturn

import aiosmtplib
import certifi
from aiosmtplib.email import extract_recipients, extract_sender, flatten_message

from commsbot.subscriptions.config import SmtpConfig, smtp_password
from commsbot.subscriptions.ports import (
    MailAddressRefused,
    MailMessageRefused,
    MailServerRefused,
    MailTemporaryFailure,
    SendResult,
)
from commsbot.timing import Clock, Rate, Sleep, SystemClock, TokenBucket

log = logging.getLogger("commsbot.email")

Security = Literal["starttls", "tls", "none"]
Phase = Literal["mail", "rcpt", "data"]
_ENHANCED = re.compile(r"^\s*([245])\.(\d{1,3})\.(\d{1,3})\b")
_CONNECTION_LOST = (aiosmtplib.SMTPServerDisconnected, ConnectionError, TimeoutError)


@functools.cache
def _tls() -> ssl.SSLContext:
    """Verified TLS with certifi's roots, loaded once (as the webhook adapter does)."""
    return ssl.create_default_context(cafile=certifi.where())


class _Stale(Exception):
    """The connection was lost, or is closing (421), before anything was accepted."""


def _enhanced(message: str) -> tuple[int, int, int] | None:
    match = _ENHANCED.match(message)
    return None if match is None else (int(match[1]), int(match[2]), int(match[3]))


def _reply(code: int, message: str) -> str:
    return f"{code} {' '.join(message.split())}"[:300]


class SmtpSender:
    """A :class:`~commsbot.subscriptions.ports.MailSender` over one SMTP connection.

    Args:
        host / port: the server.
        security: ``starttls`` (required, not opportunistic), ``tls`` or ``none``.
        username / password: log in when both are given.
        timeout: seconds for connecting and for each command's answer.
        max_per_second: messages per second at most; None for no limit.
        tls_context: trusted roots and settings (default: certifi's roots, verified).
        local_hostname: the name given in EHLO (default: this machine's FQDN).
        clock / sleep: for the rate limit (tests move time by hand).

    Example:
        >>> sender = SmtpSender(host="smtp.example.com", port=587, security="starttls")
        >>> result = await sender.send(message)  # doctest: +SKIP
        >>> await sender.aclose()  # doctest: +SKIP
    """

    def __init__(
        self,
        *,
        host: str,
        port: int,
        security: Security = "starttls",
        username: str | None = None,
        password: str | None = None,
        timeout: float = 30.0,
        max_per_second: float | None = 10.0,
        tls_context: ssl.SSLContext | None = None,
        local_hostname: str | None = None,
        clock: Clock | None = None,
        sleep: Sleep = asyncio.sleep,
    ) -> None:
        self.host = host
        self.port = port
        self.security = security
        self._username = username
        self._password = password
        self._timeout = timeout
        self._tls_context = tls_context
        self._local_hostname = local_hostname
        self._bucket = (
            None
            if max_per_second is None
            else TokenBucket(Rate(max_per_second), clock=clock or SystemClock(), sleep=sleep)
        )
        self._smtp: aiosmtplib.SMTP | None = None
        self._sent_on_connection = 0
        self._lock = asyncio.Lock()
        #: How many connections were opened (for tests and the log).
        self.connections = 0

    @classmethod
    def from_config(cls, smtp: SmtpConfig, *, environ: Mapping[str, str]) -> SmtpSender:
        """A sender for ``[subscriptions.smtp]``; the password comes from ``environ``.

        Raises:
            MissingSecret: ``password_env`` names an unset variable.
        """
        return cls(
            host=smtp.host,
            port=smtp.effective_port,
            security=smtp.security,
            username=smtp.user,
            password=smtp_password(smtp, environ),
            timeout=smtp.timeout_seconds,
            max_per_second=smtp.max_per_second,
        )

    @property
    def _where(self) -> str:
        return f"{self.host}:{self.port}"

    async def send(self, message: EmailMessage) -> SendResult:
        """Send ``message`` to the addresses in its To/Cc/Bcc headers; raise MailFailed."""
        sender = extract_sender(message)
        recipients = extract_recipients(message)
        if not sender or not recipients:
            raise MailMessageRefused("the message has no From or no recipient; nothing sent")
        async with self._lock:
            if self._bucket is not None:
                await self._bucket.acquire()
            for attempt in (1, 2):
                smtp = await self._connection()
                reused = self._sent_on_connection > 0
                try:
                    result = await self._transaction(smtp, message, sender, recipients)
                except _Stale as stale:
                    self._drop()
                    if attempt == 1 and reused:
                        log.info("SMTP connection to %s was closed; reconnecting", self._where)
                        continue
                    raise MailTemporaryFailure(
                        f"{self._where} closed the connection before taking the message "
                        f"({stale}); nothing was sent"
                    ) from None
                self._sent_on_connection += 1
                return result
        raise AssertionError("unreachable")  # pragma: no cover

    async def aclose(self) -> None:
        """QUIT politely if connected, then close."""
        async with self._lock:
            smtp, self._smtp = self._smtp, None
            if smtp is not None and smtp.is_connected:
                try:
                    await smtp.quit(timeout=min(self._timeout, 5.0))
                except (aiosmtplib.SMTPException, OSError, TimeoutError):
                    smtp.close()

    # --- connection ------------------------------------------------------------------------

    async def _connection(self) -> aiosmtplib.SMTP:
        if self._smtp is not None and self._smtp.is_connected:
            return self._smtp
        self._drop()
        smtp = aiosmtplib.SMTP(
            hostname=self.host,
            port=self.port,
            use_tls=self.security == "tls",
            start_tls=self.security == "starttls",
            timeout=self._timeout,
            tls_context=self._tls_context or _tls(),
            local_hostname=self._local_hostname,
        )
        try:
            await smtp.connect()
            if self._username is not None and self._password is not None:
                await smtp.login(self._username, self._password)
        except BaseException as exc:
            smtp.close()
            self._connect_failed(exc)
        self.connections += 1
        self._smtp = smtp
        self._sent_on_connection = 0
        return smtp

    def _connect_failed(self, exc: BaseException) -> NoReturn:
        where = self._where
        if isinstance(exc, aiosmtplib.SMTPAuthenticationError):
            raise MailServerRefused(
                f"{where} refused the login for user {self._username!r} "
                f"({_reply(exc.code, exc.message)}); check user and password_env",
                code=exc.code,
            ) from exc
        if isinstance(exc, ssl.SSLError):
            raise MailServerRefused(
                f"TLS with {where} failed: {exc}; check host, port and security "
                "(tls for port 465, starttls for 587)"
            ) from exc
        if isinstance(exc, aiosmtplib.SMTPResponseException) and exc.code >= 500:
            raise MailServerRefused(
                f"{where} refused the connection: {_reply(exc.code, exc.message)}",
                code=exc.code,
            ) from exc
        if isinstance(exc, aiosmtplib.SMTPResponseException):
            raise MailTemporaryFailure(
                f"{where} is not taking mail now: {_reply(exc.code, exc.message)}",
                code=exc.code,
            ) from exc
        if isinstance(exc, (*_CONNECTION_LOST, aiosmtplib.SMTPConnectError, OSError)):
            raise MailTemporaryFailure(f"cannot connect to {where}: {_why(exc)}") from exc
        if isinstance(exc, aiosmtplib.SMTPException):
            # STARTTLS or AUTH asked for but not offered: retrying will not help.
            raise MailServerRefused(
                f"{where} does not support what the configuration asks: {exc.message}; "
                "check security (starttls needs a server that offers it) and user"
            ) from exc
        raise exc

    def _drop(self) -> None:
        if self._smtp is not None:
            self._smtp.close()
        self._smtp = None

    # --- one message -------------------------------------------------------------------------

    async def _transaction(
        self, smtp: aiosmtplib.SMTP, message: EmailMessage, sender: str, recipients: list[str]
    ) -> SendResult:
        try:
            # Extensions (SMTPUTF8, 8BITMIME, SIZE) are known only after EHLO.
            await self._greet(smtp)
        except _CONNECTION_LOST as exc:
            raise _Stale(_why(exc)) from exc
        utf8 = not (sender.isascii() and all(r.isascii() for r in recipients))
        options: list[str] = []
        if utf8:
            if not smtp.supports_extension("smtputf8"):
                raise MailAddressRefused(
                    f"{self._where} cannot send to addresses with non-ASCII characters "
                    "(it does not offer SMTPUTF8)",
                    recipients=tuple(r for r in recipients if not r.isascii()),
                )
            options.append("SMTPUTF8")
        eight_bit = smtp.supports_extension("8bitmime")
        if eight_bit:
            options.append("BODY=8BITMIME")
        flat = flatten_message(message, utf8=utf8, cte_type="8bit" if eight_bit else "7bit")
        if smtp.supports_extension("size"):
            options.insert(0, f"SIZE={len(flat)}")
        encoding = "utf-8" if utf8 else "ascii"
        phase: Phase = "mail"
        try:
            await smtp.mail(sender, options=options, encoding=encoding)
            phase = "rcpt"
            refused: dict[str, aiosmtplib.SMTPRecipientRefused] = {}
            for recipient in recipients:
                try:
                    await smtp.rcpt(recipient, encoding=encoding)
                except aiosmtplib.SMTPRecipientRefused as exc:
                    refused[recipient] = exc
            if len(refused) == len(recipients):
                await self._reset(smtp)
                self._all_refused(refused)
            phase = "data"
            response = await smtp.data(flat)
        except _CONNECTION_LOST as exc:
            self._drop()
            if phase != "data":
                raise _Stale(_why(exc)) from exc
            raise MailTemporaryFailure(
                f"{self._where} did not confirm the message ({_why(exc)}); it may have been "
                "queued, and will be sent again",
                maybe_sent=True,
            ) from exc
        except aiosmtplib.SMTPResponseException as exc:
            self._step_refused(exc, phase)
        return SendResult(
            message_id=_message_id(message),
            accepted=tuple(r for r in recipients if r not in refused),
            refused={r: _reply(e.code, e.message) for r, e in refused.items()},
            response=_reply(response.code, response.message),
        )

    async def _greet(self, smtp: aiosmtplib.SMTP) -> None:
        if not smtp.is_ehlo_or_helo_needed:
            return
        try:
            await smtp.ehlo()
        except aiosmtplib.SMTPHeloError:
            await smtp.helo()

    async def _reset(self, smtp: aiosmtplib.SMTP) -> None:
        try:
            await smtp.rset()
        except (aiosmtplib.SMTPException, OSError, TimeoutError):
            self._drop()

    def _all_refused(self, refused: Mapping[str, aiosmtplib.SMTPRecipientRefused]) -> NoReturn:
        where = self._where
        errors = list(refused.values())
        detail = "; ".join(f"{r}: {_reply(e.code, e.message)}" for r, e in refused.items())
        who = tuple(refused)
        if any(e.code < 500 or _mailbox_full(e) for e in errors):
            code = min(e.code for e in errors)
            raise MailTemporaryFailure(f"{where} deferred {detail}", code=code, recipients=who)
        if any((_enhanced(e.message) or (5, 0, 0))[1] == 7 for e in errors):
            # 5.7.x: relaying denied, our IP blocked, authentication required: the server
            # refuses *us*. Marking the address undeliverable would punish the subscriber.
            raise MailServerRefused(
                f"{where} refused to relay: {detail}; check the server's relay and "
                "authentication settings (user, password_env)",
                code=errors[0].code,
                recipients=who,
            )
        raise MailAddressRefused(f"{where} refused {detail}", code=errors[0].code, recipients=who)

    def _step_refused(self, exc: aiosmtplib.SMTPResponseException, phase: Phase) -> NoReturn:
        reply = _reply(exc.code, exc.message)
        where = self._where
        if exc.code == 421:
            # The server is closing the connection: nothing was accepted, try again.
            self._drop()
            if phase != "data":
                raise _Stale(reply) from exc
            raise MailTemporaryFailure(f"{where} is shutting down: {reply}", code=421) from exc
        # A refused MAIL opens no transaction, and a refused DATA ends it (RFC 5321 4.1.1.4):
        # the connection is ready for the next message as it is.
        if exc.code < 500:
            raise MailTemporaryFailure(f"{where} deferred the message: {reply}", code=exc.code)
        if phase == "mail":
            raise MailServerRefused(
                f"{where} refused our sender address: {reply}; check from (and that the "
                "server lets user send as it)",
                code=exc.code,
            ) from exc
        raise MailMessageRefused(f"{where} refused the message: {reply}", code=exc.code) from exc


def _message_id(message: EmailMessage) -> str | None:
    # raw_items, not get(): get() parses the header again for every message sent.
    for name, value in message.raw_items():
        if name.lower() == "message-id":
            return str(value)
    return None


def _mailbox_full(error: aiosmtplib.SMTPRecipientRefused) -> bool:
    # 552 at RCPT and x.2.2 mean "over quota": a soft bounce, worth trying again later.
    return error.code == 552 or (_enhanced(error.message) or (0, 0, 0))[1:] == (2, 2)


def _why(exc: BaseException) -> str:
    return str(exc) or type(exc).__name__
