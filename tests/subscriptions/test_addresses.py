"""Email addresses and webhook URLs: what is accepted, and what each refusal says."""

from __future__ import annotations

import ipaddress

import pytest

from commsbot.subscriptions.addresses import (
    InvalidSubscription,
    address_key,
    client_network,
    is_public_ip,
    validate_email_address,
    validate_webhook_url,
)


@pytest.mark.parametrize(
    ("raw", "normal"),
    [
        ("ada@example.com", "ada@example.com"),
        ("  Ada.Lovelace@Example.COM \t", "Ada.Lovelace@example.com"),
        ("josé@bücher.example", "josé@bücher.example"),
        ("a+tag@sub.example.org", "a+tag@sub.example.org"),
    ],
)
def test_usable_addresses_are_normalised(raw: str, normal: str) -> None:
    assert validate_email_address(raw) == normal


@pytest.mark.parametrize(
    ("raw", "complaint"),
    [
        ("", "is empty"),
        ("ada", "not a usable email address"),
        ("ada@localhost", "not a usable email address"),
        ("ada@example.com\u2028x", "U+2028"),
        ("ada@exa\x07mple.com", "U+0007"),
    ],
)
def test_unusable_addresses_are_refused_with_a_reason(raw: str, complaint: str) -> None:
    with pytest.raises(InvalidSubscription, match=complaint.replace("+", r"\+")) as caught:
        validate_email_address(raw)
    assert caught.value.field == "email"


def test_address_key_ignores_case() -> None:
    assert address_key("Ada@Example.com") == address_key("ada@example.com")


@pytest.mark.parametrize(
    "url",
    ["https://hooks.example.com/status", "https://hooks.example.com:8443/in?token=abc"],
)
def test_public_https_webhooks_are_accepted(url: str) -> None:
    assert validate_webhook_url(f"  {url} ") == url


@pytest.mark.parametrize(
    ("url", "complaint"),
    [
        ("http://hooks.example.com/in", "must use https://"),
        ("ftp://hooks.example.com/in", "must start with https://"),
        ("https://user:pw@hooks.example.com/in", "user name or password"),
        ("https://hooks.example.com/in#frag", "#fragment"),
        ("https://hooks.example.com/a b", "a space"),
        ("https://hooks.example.com/in\r\nX: y", "carriage return"),
        ("https://127.0.0.1/in", "not a public address"),
        ("https://localhost/in", "not a public address"),
        ("https://10.1.2.3/in", "not a public address"),
        ("https://169.254.169.254/latest/meta-data", "not a public address"),
        ("https://[::1]/in", "not a public address"),
        ("https://[::ffff:10.0.0.1]/in", "not a public address"),
        ("https://db.internal/in", "not a public address"),
        ("https:///in", "has no host"),
        ("https://hooks.example.com:99999/in", "malformed"),
        ("https://hooks.example.com/" + "a" * 2000, "2026 characters long"),
        ("", "is empty"),
    ],
)
def test_unsafe_webhook_urls_are_refused_with_a_reason(url: str, complaint: str) -> None:
    with pytest.raises(InvalidSubscription, match=complaint) as caught:
        validate_webhook_url(url)
    assert caught.value.field == "url"


def test_private_addresses_and_loopback_http_only_when_allowed() -> None:
    assert validate_webhook_url("http://127.0.0.1:8080/in", allow_private=True)
    assert validate_webhook_url("https://10.1.2.3/in", allow_private=True)
    with pytest.raises(InvalidSubscription, match="must use https"):
        validate_webhook_url("http://10.1.2.3/in", allow_private=True)


def test_is_public_ip() -> None:
    assert is_public_ip(ipaddress.ip_address("93.184.215.14"))
    for private in ("10.0.0.1", "127.0.0.1", "169.254.1.1", "::1", "fe80::1", "224.0.0.1"):
        assert not is_public_ip(ipaddress.ip_address(private)), private
    assert not is_public_ip(ipaddress.ip_address("::ffff:192.168.1.1"))


def test_client_network_groups_an_ipv6_64_and_unmaps_ipv4() -> None:
    assert client_network("2001:db8:1:2:3:4:5:6") == "2001:db8:1:2::/64"
    assert client_network("::ffff:192.0.2.1") == "192.0.2.1"
    assert client_network(" 192.0.2.1 ") == "192.0.2.1"
    assert client_network("unix-socket") == "unix-socket"
