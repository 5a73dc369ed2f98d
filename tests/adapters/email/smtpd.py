"""A real SMTP server in the test process (aiosmtpd on 127.0.0.1) that records what it gets and
can be told to refuse, defer, hang or hang up."""

from __future__ import annotations

import asyncio
import email
import email.policy
import socket
import ssl
import subprocess
import threading
from dataclasses import dataclass, field
from email.message import EmailMessage
from pathlib import Path
from typing import Any

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class Received:
    mail_from: str
    rcpt_tos: list[str]
    mail_options: list[str]
    data: bytes

    def parsed(self) -> EmailMessage:
        message = email.message_from_bytes(self.data, policy=email.policy.default)
        assert isinstance(message, EmailMessage)
        return message


@dataclass
class Recorder:
    """The server's handler. Set the reply attributes to make it misbehave.

    Attributes:
        rcpt_replies: address → the reply to RCPT TO for it (e.g. ``550 5.1.1 no such user``).
        mail_replies: replies to the next MAIL FROM commands, used up one by one.
        data_reply: the reply to DATA instead of accepting.
        hang_seconds: wait this long before answering DATA.
        drop_in_data: close the connection instead of answering DATA.
    """

    received: list[Received] = field(default_factory=list)
    rcpt_replies: dict[str, str] = field(default_factory=dict)
    mail_replies: list[str] = field(default_factory=list)
    data_reply: str | None = None
    hang_seconds: float = 0.0
    drop_in_data: bool = False
    sessions: list[Any] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    async def handle_MAIL(
        self, server: Any, session: Any, envelope: Any, address: str, mail_options: list[str]
    ) -> str:
        with self._lock:
            if server not in self.sessions:
                self.sessions.append(server)
            if self.mail_replies:
                return self.mail_replies.pop(0)
        envelope.mail_from = address
        envelope.mail_options.extend(mail_options)
        return "250 OK"

    async def handle_RCPT(
        self, server: Any, session: Any, envelope: Any, address: str, rcpt_options: list[str]
    ) -> str:
        reply = self.rcpt_replies.get(address)
        if reply is not None:
            return reply
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        if self.hang_seconds:
            await asyncio.sleep(self.hang_seconds)
        if self.drop_in_data:
            server.transport.close()
            return "250 never seen"
        if self.data_reply is not None:
            return self.data_reply
        with self._lock:
            self.received.append(
                Received(
                    mail_from=envelope.mail_from,
                    rcpt_tos=list(envelope.rcpt_tos),
                    mail_options=list(envelope.mail_options),
                    data=bytes(envelope.original_content),
                )
            )
            number = len(self.received)
        return f"250 2.0.0 Ok: queued as Q{number}"


class Authenticator:
    """Accepts one user name and password."""

    def __init__(self, user: str, password: str) -> None:
        self.user = user.encode()
        self.password = password.encode()

    def __call__(
        self, server: Any, session: Any, envelope: Any, mechanism: str, auth_data: Any
    ) -> AuthResult:
        ok = (
            isinstance(auth_data, LoginPassword)
            and auth_data.login == self.user
            and auth_data.password == self.password
        )
        return AuthResult(success=ok, handled=False)


class SmtpServer:
    """aiosmtpd's Controller on 127.0.0.1 and a free port, with a :class:`Recorder`."""

    def __init__(self, **smtp_options: Any) -> None:
        self.recorder = Recorder()
        self.port = free_port()
        smtp_options.setdefault("enable_SMTPUTF8", True)
        self.controller = Controller(
            self.recorder, hostname="127.0.0.1", port=self.port, **smtp_options
        )

    def __enter__(self) -> SmtpServer:
        self.controller.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.controller.stop()

    def hang_up_all(self) -> None:
        """Close every connection from the server's side (as an idle timeout would)."""

        done = threading.Event()

        def close() -> None:
            for server in self.recorder.sessions:
                if server.transport is not None:
                    server.transport.close()
            done.set()

        self.controller.loop.call_soon_threadsafe(close)
        done.wait(5)


def self_signed(folder: Path) -> tuple[Path, Path] | None:
    """A certificate and key for 127.0.0.1 made with the openssl command (None without it)."""
    cert, key = folder / "cert.pem", folder / "key.pem"
    try:
        subprocess.run(
            [
                "openssl",
                "req",
                "-x509",
                "-newkey",
                "rsa:2048",
                "-nodes",
                "-days",
                "2",
                "-subj",
                "/CN=127.0.0.1",
                "-addext",
                "subjectAltName=IP:127.0.0.1",
                "-keyout",
                str(key),
                "-out",
                str(cert),
            ],
            check=True,
            capture_output=True,
            timeout=60,
        )
    except (OSError, subprocess.SubprocessError):
        return None
    return cert, key


def server_tls(cert: Path, key: Path) -> ssl.SSLContext:
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert, key)
    return context


def client_tls(cert: Path) -> ssl.SSLContext:
    return ssl.create_default_context(cafile=str(cert))
