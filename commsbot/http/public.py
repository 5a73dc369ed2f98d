"""Serving the public status page from memory: a plain ASGI layer in front of FastAPI.

A GET for a public path is answered from the current :class:`PublicSnapshot` without routing,
dependency injection or the database: ``ETag``/``If-None-Match`` (304), ``Cache-Control``,
gzip when the client takes it. Everything else goes on to the application behind.
"""

from __future__ import annotations

from collections.abc import Callable
from urllib.parse import parse_qs

from starlette.types import ASGIApp, Receive, Scope, Send

from commsbot.engines.statuspage import PublicPages
from commsbot.statuspage.snapshot import FEED_PATHS, Document, PublicSnapshot, feed_key

#: No scripts, no frames, styles only inline; forms only to this site (the subscribe form).
_HTML_POLICY = (
    b"default-src 'none'; style-src 'unsafe-inline'; img-src 'self' data:; "
    b"base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
)
_PUBLIC_PREFIXES = ("/api/v2/", "/incidents/")
PUBLIC_EXACT = frozenset(
    {"/", "/index.html", "/history", "/history.atom", "/history.rss", "/maintenance.ics"}
)


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


def _component(scope: Scope, path: str) -> str | None:
    """``component`` of a feed's query string (``/history.atom?component=API``), if any."""
    if path not in FEED_PATHS:
        return None
    query = scope.get("query_string", b"")
    if b"component=" not in query:
        return None
    values = parse_qs(query.decode("latin-1"), max_num_fields=20).get("component")
    return values[0] if values else None


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


class _Variant:
    """One way of answering a document (identity or gzip): everything precomputed."""

    __slots__ = ("body", "etag", "headers", "not_modified")

    def __init__(self, body: bytes, etag: str | None, headers: list[tuple[bytes, bytes]]) -> None:
        self.body = body
        self.etag = etag
        if etag is not None:
            headers = [*headers, (b"etag", etag.encode())]
        #: ``304``'s headers: the same but for the body's type and length.
        self.not_modified = [h for h in headers if h[0] != b"content-type"]
        self.headers = [*headers, (b"content-length", str(len(body)).encode())]


class _Answer:
    """A document's two variants and whether the client's Accept-Encoding decides."""

    __slots__ = ("gzip", "identity", "status")

    def __init__(self, document: Document, status: int, cache_control: bytes) -> None:
        headers = [
            (b"content-type", document.media_type.encode()),
            (b"cache-control", cache_control if status == 200 else b"no-store"),
            (b"x-content-type-options", b"nosniff"),
            (b"access-control-allow-origin", b"*"),  # public JSON, read by dashboards
        ]
        if document.media_type.startswith("text/html"):
            headers.append((b"content-security-policy", _HTML_POLICY))
        self.status = status
        tagged = status == 200
        if document.gzipped is None:
            self.identity = _Variant(document.body, document.etag if tagged else None, headers)
            self.gzip: _Variant | None = None
            return
        headers.append((b"vary", b"Accept-Encoding"))
        self.identity = _Variant(document.body, document.etag if tagged else None, headers)
        self.gzip = _Variant(
            document.gzipped,
            document.gzip_etag if tagged else None,
            [*headers, (b"content-encoding", b"gzip")],
        )


class PublicPagesMiddleware:
    """Answers public paths from ``pages``; passes every other request to ``app``.

    It is the outermost layer (see :func:`commsbot.http.app.create_app`): a public request
    meets no middleware, routing or dependency injection. Each document's headers, for its
    plain and gzip variants, are computed once per rendering of the page, so a request costs
    two header scans, two dictionary look-ups and two ``send`` calls.

    Args:
        app: the application behind (FastAPI's middleware stack).
        pages: the rendered status page.
        max_age: seconds for ``Cache-Control: public, max-age=…``.
        count: called with (method, path, status) for every request answered here (the
            ``/metrics`` request counter); None: not counted.
    """

    def __init__(
        self,
        app: ASGIApp,
        *,
        pages: PublicPages,
        max_age: int,
        count: Callable[[str, str, int], None] | None = None,
    ) -> None:
        self.app = app
        self.pages = pages
        self.cache_control = f"public, max-age={max_age}".encode()
        self._count = count
        self._answers: dict[str, _Answer] = {}
        self._not_found: _Answer | None = None
        self._unknown: _Answer | None = None
        self._snapshot: PublicSnapshot | None = None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path = scope.get("path", "")
        if scope["type"] != "http" or not is_public(path):
            await self.app(scope, receive, send)
            return
        method = scope["method"]
        status = await self._answer(scope, send, method, path)
        if self._count is not None:
            self._count(method, path, status)

    async def _answer(self, scope: Scope, send: Send, method: str, path: str) -> int:
        if method not in ("GET", "HEAD"):
            return await self._plain(
                send, 405, b"only GET and HEAD here\n", [(b"allow", b"GET, HEAD")]
            )
        snapshot = self.pages.current
        if snapshot is None:
            return await self._plain(send, 503, b"starting; try again\n", [(b"retry-after", b"1")])
        answer = self._prepared(snapshot, path, _component(scope, path))
        variant = answer.identity
        if answer.gzip is not None and _accepts_gzip(scope):
            variant = answer.gzip
        status, headers, body = answer.status, variant.headers, variant.body
        if variant.etag is not None and etag_matches(
            _header(scope, b"if-none-match"), variant.etag
        ):
            status, headers, body = 304, variant.not_modified, b""
        await send({"type": "http.response.start", "status": status, "headers": headers})
        await send({"type": "http.response.body", "body": b"" if method == "HEAD" else body})
        return status

    def _prepared(self, snapshot: PublicSnapshot, path: str, component: str | None) -> _Answer:
        if snapshot is not self._snapshot:  # re-rendered: the answers are computed anew
            self._snapshot, self._answers, self._not_found = snapshot, {}, None
            self._unknown = None
        # A component's feed is its own document, with its own ETag (one key per name).
        key = path if component is None else feed_key(path, component)
        answer = self._answers.get(key)
        if answer is not None:
            return answer
        document = snapshot.get(path, component=component)
        if document is None:
            if component is not None and snapshot.unknown_component is not None:
                if self._unknown is None:
                    self._unknown = _Answer(snapshot.unknown_component, 404, self.cache_control)
                return self._unknown
            if self._not_found is None:
                self._not_found = _Answer(snapshot.not_found, 404, self.cache_control)
            return self._not_found  # not remembered by path: strangers choose the paths
        answer = self._answers[key] = _Answer(document, 200, self.cache_control)
        return answer

    async def _plain(
        self, send: Send, status: int, body: bytes, extra: list[tuple[bytes, bytes]]
    ) -> int:
        headers = [
            (b"content-type", b"text/plain; charset=utf-8"),
            (b"content-length", str(len(body)).encode()),
            (b"cache-control", b"no-store"),
            *extra,
        ]
        await send({"type": "http.response.start", "status": status, "headers": headers})
        await send({"type": "http.response.body", "body": body})
        return status
