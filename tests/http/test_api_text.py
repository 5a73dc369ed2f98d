"""The API refuses the characters every surface refuses, naming them, and changes nothing."""

from __future__ import annotations

import pytest

from tests.http.conftest import Stack


@pytest.mark.parametrize(
    ("title", "named"),
    [("API \x07down", "U+0007 BELL at position 5"), ("ok\ufffe", "U+FFFE")],
)
def test_a_control_character_or_noncharacter_in_a_title_is_refused(
    stack: Stack, title: str, named: str
) -> None:
    before = stack.counts()

    response = stack.client.post(
        "/api/v1/incidents", json={"title": title}, headers=stack.auth("writer")
    )

    assert response.status_code == 400
    body = response.json()
    assert body["error"]["code"] == "invalid_input"
    assert named in body["error"]["message"]
    assert stack.counts() == before


def test_text_of_only_invisible_characters_is_refused(stack: Stack) -> None:
    response = stack.client.post(
        "/api/v1/incidents", json={"title": "\u200b\u2060"}, headers=stack.auth("writer")
    )

    assert response.status_code == 400
    assert "only invisible characters" in response.json()["error"]["message"]
