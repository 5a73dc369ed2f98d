"""The API tokens' repository port: ``uow.tokens`` in every unit of work."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Protocol

from commsbot.tokens.model import ApiToken


class TokenRepository(Protocol):
    def add(self, token: ApiToken, *, token_hash: str) -> None:
        """Store a new token; only its hash is kept of the secret."""
        ...

    def active(self, name_or_id: str) -> ApiToken | None:
        """The token not revoked with this name (or id), if any."""
        ...

    def list(self, *, include_revoked: bool = False) -> Sequence[ApiToken]:
        """Tokens by name, active ones first."""
        ...

    def by_hash(self, token_hash: str) -> ApiToken | None:
        """The active token whose secret hashes to ``token_hash``, if any."""
        ...

    def revoke(self, token_id: str, *, at: datetime) -> None:
        """Mark the token revoked at ``at``."""
        ...
