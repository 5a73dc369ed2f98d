"""The status page's subscriber pages: sign up, confirm, manage, unsubscribe (plain HTML).

No JavaScript: each page is a form that works with a keyboard and on a phone, labels on every
field, and errors printed next to the field they are about. The public status page itself stays
served from memory; only these routes do work.

Cross-site posting is refused two ways: a browser's ``Sec-Fetch-Site`` (or, without it,
``Origin``) must say the form came from this site, and the sign-up form carries a token signed
with the subscriptions secret that must equal the one in its cookie (double submit). The front
page's short form cannot carry a token (the page is the same for everyone), so a POST without
one is accepted only with a same-origin signal. The one-click unsubscribe POST of RFC 8058
comes from mail providers, not browsers: its signed link is its authority.

Every sign-up answers "check your inbox", whether the address was new, pending or confirmed.
"""

from __future__ import annotations

import asyncio
import html
import secrets
from collections.abc import Iterable, Mapping, Sequence
from typing import Annotated
from urllib.parse import parse_qs, urlsplit

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse

from commsbot.domain.errors import CommsbotError
from commsbot.http.context import HttpContext, context
from commsbot.services import subscriptions as service
from commsbot.subscriptions.model import SubscriberKind
from commsbot.subscriptions.ratelimit import RateLimited
from commsbot.subscriptions.tokens import TokenPurpose

router = APIRouter(include_in_schema=False)
Ctx = Annotated[HttpContext, Depends(context)]

CSRF_COOKIE = "commsbot_csrf"
#: Forms are small; anything larger is not ours.
MAX_FORM_BYTES = 16_384
_POLICY = (
    "default-src 'none'; style-src 'unsafe-inline'; base-uri 'none'; "
    "form-action 'self'; frame-ancestors 'none'"
)
_STYLE = """
body { font: 16px/1.5 system-ui, sans-serif; margin: 0; color: #1d2327; background: #fff; }
main { max-width: 36rem; margin: 0 auto; padding: 1rem; }
label { display: block; font-weight: 600; margin-top: 1rem; }
input[type=email], input[type=url] { width: 100%; box-sizing: border-box; font-size: 1rem;
  padding: .6rem; border: 1px solid #8c8f94; border-radius: 4px; }
fieldset { border: 1px solid #c3c4c7; border-radius: 4px; margin-top: 1rem; }
fieldset label { font-weight: normal; margin: .3rem 0; }
button { margin-top: 1rem; font-size: 1rem; padding: .6rem 1.2rem; border-radius: 4px;
  border: 0; background: #2271b1; color: #fff; cursor: pointer; }
button.secondary { background: #50575e; }
button:focus, input:focus { outline: 3px solid #72aee6; outline-offset: 2px; }
.error { color: #b32d2e; font-weight: 600; }
@media (prefers-color-scheme: dark) {
  body { background: #101517; color: #f0f0f1; } fieldset { border-color: #50575e; } }
"""


def _e(text: object) -> str:
    return html.escape(str(text), quote=True)


def _page(ctx: HttpContext, title: str, body: str, *, status: int = 200) -> HTMLResponse:
    name = ctx.deps.settings.page.name
    document = (
        '<!doctype html>\n<html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{_e(title)} · {_e(name)}</title><style>{_STYLE}</style></head><body><main>"
        f'<p><a href="/">{_e(name)}</a></p><h1>{_e(title)}</h1>{body}</main></body></html>\n'
    )
    return HTMLResponse(
        document,
        status_code=status,
        headers={
            "Cache-Control": "no-store",
            "Content-Security-Policy": _POLICY,
            "X-Content-Type-Options": "nosniff",
            "Referrer-Policy": "no-referrer",  # links carry tokens
        },
    )


def _error(message: str | None, field: str) -> str:
    if not message:
        return ""
    return f'<p class="error" id="{field}-error" role="alert">{_e(message)}</p>'


def _checkboxes(components: Sequence[str], chosen: Iterable[str]) -> str:
    if not components:
        return ""
    picked = set(chosen)
    boxes = "".join(
        f'<label><input type="checkbox" name="components" value="{_e(name)}"'
        f"{' checked' if name in picked else ''}> {_e(name)}</label>"
        for name in components
    )
    return f"<fieldset><legend>Components (none ticked: all of them)</legend>{boxes}</fieldset>"


async def _form(request: Request) -> dict[str, list[str]]:
    body = await request.body()
    if len(body) > MAX_FORM_BYTES:
        return {}
    try:
        return parse_qs(body.decode("utf-8"), keep_blank_values=True, max_num_fields=200)
    except (UnicodeDecodeError, ValueError):
        return {}


def _first(form: Mapping[str, list[str]], name: str) -> str:
    values = form.get(name) or [""]
    return values[0]


def _same_site(request: Request) -> bool:
    """Whether the browser says this request came from a page of this site."""
    fetch_site = request.headers.get("sec-fetch-site")
    if fetch_site is not None:
        return fetch_site in ("same-origin", "none")
    origin = request.headers.get("origin")
    if origin is None or origin == "null":
        return False
    return urlsplit(origin).netloc == request.headers.get("host", "")


def _cross_site(request: Request) -> bool:
    """Whether the browser says the request came from another site (refuse it)."""
    fetch_site = request.headers.get("sec-fetch-site")
    if fetch_site is not None:
        return fetch_site not in ("same-origin", "none")
    origin = request.headers.get("origin")
    return origin is not None and urlsplit(origin).netloc != request.headers.get("host", "")


def _client(request: Request) -> str | None:
    return request.client.host if request.client else None


def _signup_form(
    ctx: HttpContext,
    components: Sequence[str],
    *,
    token: str,
    email: str = "",
    url: str = "",
    chosen: Iterable[str] = (),
    errors: Mapping[str, str] | None = None,
) -> str:
    errors = errors or {}
    described = ' aria-describedby="email-error"' if "email" in errors else ""
    hooks = ctx.deps.settings.subscriptions.webhooks.enabled
    return (
        "<p>Get an email when we post an update about an incident. We send a link to confirm "
        "first; every email has a link to stop them.</p>"
        f'<form method="post" action="/subscriptions">'
        f'<input type="hidden" name="csrf" value="{_e(token)}">'
        '<label for="email">Email address</label>'
        f'<input id="email" name="email" type="email"{"" if hooks else " required"} '
        f'autocomplete="email" inputmode="email" maxlength="320" value="{_e(email)}"'
        f"{described}>"
        f"{_error(errors.get('email'), 'email')}"
        f"{_webhook_field(url, errors) if hooks else ''}"
        f"{_checkboxes(components, chosen)}{_error(errors.get('components'), 'components')}"
        f"{_error(errors.get('form'), 'form')}"
        '<button type="submit">Subscribe</button></form>'
    )


def _webhook_field(url: str, errors: Mapping[str, str]) -> str:
    """The webhook choice: a URL instead of an email (the email, if given, is its owner's)."""
    described = ' aria-describedby="url-error"' if "url" in errors else ""
    return (
        "<fieldset><legend>Or a webhook</legend>"
        '<label for="url">Webhook URL</label>'
        f'<input id="url" name="url" type="url" inputmode="url" maxlength="2000" '
        f'placeholder="https://hooks.example.com/status" value="{_e(url)}"{described}>'
        f"{_error(errors.get('url'), 'url')}"
        '<p id="url-help">With a URL, we POST it a signed confirmation request first; it must '
        'answer with the challenge (<code>{"challenge": "…"}</code>). The email address above, '
        "if you give one, is then only told if the webhook stops working.</p></fieldset>"
    )


def _with_csrf(response: HTMLResponse, token: str) -> HTMLResponse:
    response.set_cookie(CSRF_COOKIE, token, httponly=True, samesite="strict", path="/subscriptions")
    return response


def _new_csrf(ctx: HttpContext) -> str:
    keys = service.keys_of(ctx.deps)
    return keys.csrf_token(secrets.token_urlsafe(18))


def _disabled(ctx: HttpContext) -> HTMLResponse | None:
    if ctx.deps.settings.subscriptions.enabled and ctx.deps.subscription_keys is not None:
        return None
    return _page(
        ctx, "Subscriptions are off", "<p>This page does not take subscriptions.</p>", status=404
    )


@router.get("/subscriptions")
async def signup_page(ctx: Ctx) -> HTMLResponse:
    """The sign-up form (with its CSRF token and cookie)."""
    off = _disabled(ctx)
    if off is not None:
        return off
    components = await asyncio.to_thread(service.choosable_components, ctx.deps)
    token = _new_csrf(ctx)
    return _with_csrf(
        _page(ctx, "Subscribe to updates", _signup_form(ctx, components, token=token)), token
    )


@router.post("/subscriptions")
async def signup(request: Request, ctx: Ctx) -> HTMLResponse:
    """Take a sign-up: the same answer for a new, pending or confirmed address."""
    off = _disabled(ctx)
    if off is not None:
        return off
    form = await _form(request)
    keys = service.keys_of(ctx.deps)
    given = _first(form, "csrf")
    cookie = request.cookies.get(CSRF_COOKIE, "")
    forged = "This form was sent from another site, or is too old; send it again from here."
    email = _first(form, "email")
    url = _first(form, "url").strip() if ctx.deps.settings.subscriptions.webhooks.enabled else ""
    chosen = [c for c in form.get("components", []) if c]
    components = await asyncio.to_thread(service.choosable_components, ctx.deps)
    fresh = _new_csrf(ctx)

    def again(status: int, errors: dict[str, str]) -> HTMLResponse:
        """The form once more, as it was filled in, with the refusal next to its field."""
        body = _signup_form(
            ctx, components, token=fresh, email=email, url=url, chosen=chosen, errors=errors
        )
        return _with_csrf(_page(ctx, "Subscribe to updates", body, status=status), fresh)

    if (
        _cross_site(request)
        or ((given or cookie) and not (given == cookie and keys.check_csrf_token(given)))
        or (not given and not _same_site(request))
    ):
        return again(403, {"form": forged})
    try:
        await asyncio.to_thread(
            service.request_subscription,
            ctx.deps,
            kind=SubscriberKind.WEBHOOK if url else SubscriberKind.EMAIL,
            address=url or email,
            components=chosen,
            client=_client(request),
            owner_email=email if url else None,
        )
    except RateLimited as exc:
        response = again(429, {"form": str(exc)})
        response.headers["Retry-After"] = str(exc.retry_after_seconds)
        return response
    except CommsbotError as exc:
        where = {"owner_email": "email"}.get(exc.field or "", exc.field or "")
        if where not in ("email", "url", "components"):
            where = "url" if url else "email"
        return again(400, {where: str(exc)})
    if url:
        body = (
            f"<p>We will POST a signed confirmation request to <strong>{_e(url)}</strong>. "
            "Nothing else is sent to it until it answers 2xx with the challenge. It can "
            f"confirm for {ctx.deps.settings.subscriptions.confirmation_hours:g} hours.</p>"
        )
        return _page(ctx, "Confirmation request on its way", body)
    body = (
        f"<p>If <strong>{_e(email.strip())}</strong> can receive email, a message is on its "
        "way to it. Open the link in it to confirm; nothing is sent until you do. The link "
        f"works for {ctx.deps.settings.subscriptions.confirmation_hours:g} hours.</p>"
    )
    return _page(ctx, "Check your inbox", body)


def _token_failure(ctx: HttpContext, exc: CommsbotError) -> HTMLResponse:
    body = (
        f'<p class="error" role="alert">{_e(exc)}</p>'
        '<p><a href="/subscriptions">Subscribe again</a></p>'
    )
    return _page(ctx, "This link does not work", body, status=400)


def _manage_form(view: service.SubscriptionView, token: str, unsubscribe: str) -> str:
    sub = view.subscriber
    return (
        f"<p>Updates go to <strong>{_e(sub.address)}</strong>.</p>"
        f'<form method="post" action="/subscriptions/manage?token={_e(token)}">'
        f"{_checkboxes(view.components, sub.components)}"
        '<button type="submit">Save</button></form>'
        f'<form method="post" action="{_e(unsubscribe)}">'
        '<button type="submit" class="secondary">Unsubscribe</button></form>'
    )


@router.get("/subscriptions/confirm")
async def confirm(request: Request, ctx: Ctx, token: str = "") -> HTMLResponse:
    """A confirmation link: the subscription starts."""
    off = _disabled(ctx)
    if off is not None:
        return off
    try:
        view = await asyncio.to_thread(
            service.confirm_subscription, ctx.deps, token=token, client=_client(request)
        )
        manage = service.manage_link_for(ctx.deps, view.subscriber)
    except CommsbotError as exc:
        return _token_failure(ctx, exc)
    comps = ", ".join(sorted(view.subscriber.components)) or "every component"
    body = (
        f"<p>Updates about {_e(comps)} will be emailed to "
        f"<strong>{_e(view.subscriber.address)}</strong>.</p>"
        f'<p><a href="{_e(manage)}">Choose components or unsubscribe</a></p>'
    )
    return _page(ctx, "You are subscribed", body)


@router.get("/subscriptions/manage")
async def manage_page(ctx: Ctx, token: str = "") -> HTMLResponse:
    """A manage link: the components form and an unsubscribe button."""
    off = _disabled(ctx)
    if off is not None:
        return off
    try:
        view = await asyncio.to_thread(
            service.show_subscription, ctx.deps, token=token, purpose=TokenPurpose.MANAGE
        )
        unsubscribe = service.unsubscribe_link_for(ctx.deps, view.subscriber)
    except CommsbotError as exc:
        return _token_failure(ctx, exc)
    return _page(ctx, "Your subscription", _manage_form(view, token, unsubscribe))


@router.post("/subscriptions/manage")
async def manage(request: Request, ctx: Ctx, token: str = "") -> HTMLResponse:
    """The manage form: the chosen components."""
    off = _disabled(ctx)
    if off is not None:
        return off
    if _cross_site(request):
        return _page(ctx, "Not saved", '<p class="error">Sent from another site.</p>', status=403)
    form = await _form(request)
    try:
        view = await asyncio.to_thread(
            service.change_components,
            ctx.deps,
            token=token,
            components=[c for c in form.get("components", []) if c],
        )
        unsubscribe = service.unsubscribe_link_for(ctx.deps, view.subscriber)
    except CommsbotError as exc:
        return _token_failure(ctx, exc)
    said = "Saved." if view.result == "updated" else "Nothing changed."
    return _page(
        ctx,
        "Your subscription",
        f'<p role="status">{said}</p>' + _manage_form(view, token, unsubscribe),
    )


@router.get("/subscriptions/unsubscribe")
async def unsubscribe_page(ctx: Ctx, token: str = "") -> HTMLResponse:
    """An unsubscribe link: a button (a GET changes nothing: mail scanners open links)."""
    off = _disabled(ctx)
    if off is not None:
        return off
    try:
        view = await asyncio.to_thread(
            service.show_subscription, ctx.deps, token=token, purpose=TokenPurpose.UNSUBSCRIBE
        )
    except CommsbotError as exc:
        return _token_failure(ctx, exc)
    body = (
        f"<p>Stop emailing updates to <strong>{_e(view.subscriber.address)}</strong>?</p>"
        f'<form method="post" action="/subscriptions/unsubscribe?token={_e(token)}">'
        '<button type="submit">Unsubscribe</button></form>'
    )
    return _page(ctx, "Unsubscribe", body)


@router.post("/subscriptions/unsubscribe")
async def unsubscribe(ctx: Ctx, token: str = "") -> HTMLResponse:
    """Unsubscribe: the page's button, or a mail client's RFC 8058 one-click POST
    (``List-Unsubscribe=One-Click``). The address and its history are deleted."""
    off = _disabled(ctx)
    if off is not None:
        return off
    try:
        await asyncio.to_thread(service.unsubscribe, ctx.deps, token=token)
    except CommsbotError as exc:
        return _token_failure(ctx, exc)
    body = (
        "<p>You will get no more emails from us, and we deleted your address.</p>"
        '<p><a href="/subscriptions">Subscribe again</a></p>'
    )
    return _page(ctx, "Unsubscribed", body)
