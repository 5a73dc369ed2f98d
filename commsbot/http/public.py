"""Serving the public status page from memory: a plain ASGI layer in front of FastAPI.

A GET for a public path is answered from the current :class:`PublicSnapshot` without routing,
dependency injection or the database: ``ETag``/``If-None-Match`` (304), ``Cache-Control``,
gzip when the client takes it. Everything else goes on to the application behind.
"""

from __future__ import annotations

from starlette.types import ASGIApp, Receive, Scope, Send

from commsbot.engines.statuspage import PublicPages
from commsbot.statuspage.snapshot import Document

#: No scripts, no frames, no forms, styles only inline: the page needs nothing else.
_HTML_POLICY = (
    b"default-src 'none'; style-src 'unsafe-inline'; img-src 'self' data:; "
    b"base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
)
_PUBLIC_PREFIXES = ("/api/v2/", "/incidents/")
PUBLIC_EXACT = frozenset({"/", "/index.html", "/history", "/history.atom", "/history.rss"})


def is_public(path: str) -> bool:
    """Whether ``path`` belongs to the public page (and never to the API behind)."""
    return path in PUBLIC_EXACT or path.startswith(_PUBLIC_PREFIXES) or path == "/history/"


def _header(scope: Scope, name: bytes) -> bytes:
    for key, value in scope.get("headers", ()):
        if key == name:
            return bytes(value)
    return b""


def etag_matches(if_none_match: bytes, etag: str) -> bool:
    """RFC 9110 weak comparison of an ``If-None-Match`` list against ``etag``."""
    if not if_none_match:
        return False
    wanted = etag.encode()
    for candidate in if_none_match.split(b","):
        tag = candidate.strip()
        if tag == b"*" or tag.removeprefix(b"W/") == wanted:
            return True
    return False


def _accepts_gzip(scope: Scope) -> bool:
    for part in _header(scope, b"accept-encoding").lower().split(b","):
        coding, _, params = part.strip().partition(b";")
        if coding.strip() in (b"gzip", b"*") and params.replace(b" ", b"") not in (
            b"q=0",
            b"q=0.0",
            b"q=0.00",
            b"q=0.000",
        ):
            return True
    return False


class PublicPagesMiddleware:
    """Answers public paths from ``pages``; passes every other request to ``app``.

    Args:
        app: the application behind (FastAPI).
        pages: the rendered status page.
        max_age: seconds for ``Cache-Control: public, max-age=…``.
    """

    def __init__(self, app: ASGIApp, *, pages: PublicPages, max_age: int) -> None:
        self.app = app
        self.pages = pages
        self.cache_control = f"public, max-age={max_age}".encode()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path = scope.get("path", "")
        if scope["type"] != "http" or not is_public(path):
            await self.app(scope, receive, send)
            return
        method = scope["method"]
        if method not in ("GET", "HEAD"):
            await self._plain(send, 405, b"only GET and HEAD here\n", [(b"allow", b"GET, HEAD")])
            return
        snapshot = self.pages.current
        if snapshot is None:
            await self._plain(send, 503, b"starting; try again\n", [(b"retry-after", b"1")])
            return
        document = snapshot.get(path)
        status = 200
        if document is None:
            document, status = snapshot.not_found, 404
        await self._send(scope, send, document, status, head=method == "HEAD")

    async def _send(
        self, scope: Scope, send: Send, document: Document, status: int, *, head: bool
    ) -> None:
        body, etag = document.body, document.etag
        headers = [
            (b"content-type", document.media_type.encode()),
            (b"cache-control", self.cache_control if status == 200 else b"no-store"),
            (b"x-content-type-options", b"nosniff"),
            (b"access-control-allow-origin", b"*"),  # public JSON, read by dashboards
        ]
        if document.media_type.startswith("text/html"):
            headers.append((b"content-security-policy", _HTML_POLICY))
        if document.gzipped is not None:
            headers.append((b"vary", b"Accept-Encoding"))
            if _accepts_gzip(scope):
                body, etag = document.gzipped, document.gzip_etag
                headers.append((b"content-encoding", b"gzip"))
        if status == 200:
            headers.append((b"etag", etag.encode()))
            if etag_matches(_header(scope, b"if-none-match"), etag):
                status, body = 304, b""
                headers = [h for h in headers if h[0] != b"content-type"]
        if status != 304:
            headers.append((b"content-length", str(len(body)).encode()))
        await send({"type": "http.response.start", "status": status, "headers": headers})
        await send({"type": "http.response.body", "body": b"" if head else body})

    async def _plain(
        self, send: Send, status: int, body: bytes, extra: list[tuple[bytes, bytes]]
    ) -> None:
        headers = [
            (b"content-type", b"text/plain; charset=utf-8"),
            (b"content-length", str(len(body)).encode()),
            (b"cache-control", b"no-store"),
            *extra,
        ]
        await send({"type": "http.response.start", "status": status, "headers": headers})
        await send({"type": "http.response.body", "body": body})
