"""The status page's subscriber pages through the real HTTP stack: sign up, confirm, manage,
unsubscribe (RFC 8058 one-click), with their refusals."""

from __future__ import annotations

import pytest

from commsbot.subscriptions.model import SubscriberKind, SubscriberState
from commsbot.subscriptions.tokens import TokenPurpose
from tests.subscriptions.conftest import Site

SAME = {"Sec-Fetch-Site": "same-origin"}


def test_the_front_page_offers_the_form_and_allows_posting_it_here(site: Site) -> None:
    page = site.client.get("/")
    assert '<form class="subscribe" method="post" action="/subscriptions">' in page.text
    assert "form-action 'self'" in page.headers["content-security-policy"]
    # The front page's form has no token (the page is the same for everyone): the
    # browser's same-origin signal lets it through.
    answer = site.client.post("/subscriptions", data={"email": "ada@example.com"}, headers=SAME)
    assert answer.status_code == 200
    assert "Check your inbox" in answer.text
    assert site.rows() == [("ada@example.com", "pending")]


def test_signing_up_never_reveals_whether_an_address_is_subscribed(site: Site) -> None:
    def sign_up(email: str) -> str:
        token = site.form()
        answer = site.client.post(
            "/subscriptions",
            data={"email": email, "csrf": token, "components": ["API"]},
            headers=SAME,
        )
        assert answer.status_code == 200, answer.text
        return str(answer.text)

    first = sign_up("grace@example.com")
    again = sign_up("grace@example.com")
    confirmed = site.client.get(
        "/subscriptions/confirm",
        params={"token": site.token(TokenPurpose.CONFIRM, "grace@example.com")},
    )
    assert "You are subscribed" in confirmed.text
    assert site.rows() == [("grace@example.com", "confirmed")]
    after = sign_up("grace@example.com")
    assert first == again == after


def test_cross_site_and_forged_posts_change_nothing(site: Site) -> None:
    token = site.form()
    cross = site.client.post(
        "/subscriptions",
        data={"email": "eve@example.com", "csrf": token},
        headers={"Sec-Fetch-Site": "cross-site"},
    )
    assert cross.status_code == 403
    other_origin = site.client.post(
        "/subscriptions",
        data={"email": "eve@example.com"},
        headers={"Origin": "https://evil.example"},
    )
    assert other_origin.status_code == 403
    forged = site.client.post(
        "/subscriptions",
        data={"email": "eve@example.com", "csrf": "abc.def"},
        headers=SAME,
    )
    assert forged.status_code == 403
    assert "from another site" in forged.text
    assert site.rows() == []


@pytest.mark.parametrize(
    ("email", "complaint"),
    [
        ("not an address", "email"),
        ("ada@example.com\r\nBcc: everyone@example.com", "email"),
        ("", "email"),
    ],
)
def test_bad_addresses_are_shown_next_to_the_field(site: Site, email: str, complaint: str) -> None:
    token = site.form()
    answer = site.client.post("/subscriptions", data={"email": email, "csrf": token}, headers=SAME)
    assert answer.status_code == 400
    assert f'id="{complaint}-error"' in answer.text
    assert 'aria-describedby="email-error"' in answer.text
    assert site.rows() == []


def test_a_flood_of_sign_ups_is_rate_limited(site: Site) -> None:
    codes = []
    for n in range(8):
        token = site.form()
        codes.append(
            site.client.post(
                "/subscriptions",
                data={"email": f"user{n}@example.com", "csrf": token},
                headers=SAME,
            ).status_code
        )
    assert codes[:5] == [200] * 5
    assert set(codes[5:]) == {429}
    assert len(site.rows()) == 5


def test_manage_and_one_click_unsubscribe(site: Site) -> None:
    token = site.form()
    site.client.post(
        "/subscriptions", data={"email": "ken@example.com", "csrf": token}, headers=SAME
    )
    site.client.get(
        "/subscriptions/confirm",
        params={"token": site.token(TokenPurpose.CONFIRM, "ken@example.com")},
    )
    manage = site.token(TokenPurpose.MANAGE, "ken@example.com")
    page = site.client.get("/subscriptions/manage", params={"token": manage})
    assert 'name="components" value="Sora"' in page.text
    saved = site.client.post(
        f"/subscriptions/manage?token={manage}", data={"components": ["Sora"]}, headers=SAME
    )
    assert "Saved." in saved.text
    with site.deps.read() as uow:
        sub = uow.subscribers.find(SubscriberKind.EMAIL, "ken@example.com")
        assert sub is not None
        assert sub.components == frozenset({"Sora"})
        assert sub.state is SubscriberState.CONFIRMED

    # Forged, wrong-purpose and garbage links are refused with a page that says so.
    for bad in [manage, manage[:-3] + "xyz", "nonsense"]:
        refused = site.client.get("/subscriptions/confirm", params={"token": bad})
        assert refused.status_code == 400
        assert "This link does not work" in refused.text

    unsubscribe = site.token(TokenPurpose.UNSUBSCRIBE, "ken@example.com")
    # A GET (a mail scanner following the link) changes nothing.
    assert (
        "Stop emailing"
        in site.client.get("/subscriptions/unsubscribe", params={"token": unsubscribe}).text
    )
    assert site.rows() == [("ken@example.com", "confirmed")]
    # RFC 8058: the mail provider POSTs List-Unsubscribe=One-Click, from no page of ours.
    one_click = site.client.post(
        f"/subscriptions/unsubscribe?token={unsubscribe}",
        content=b"List-Unsubscribe=One-Click",
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    assert one_click.status_code == 200
    assert "Unsubscribed" in one_click.text
    assert site.rows() == []
    # The old link cannot be replayed against anything.
    replay = site.client.post(f"/subscriptions/unsubscribe?token={unsubscribe}")
    assert replay.status_code == 200
    assert site.rows() == []
