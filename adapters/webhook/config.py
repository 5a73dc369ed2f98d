"""Keys of ``type = "webhook"`` entries. Light on purpose: read on every CLI start."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field, model_validator


class WebhookOptions(BaseModel):
    """Where to POST, and the name of the environment variable holding the signing secret.

    Attributes:
        url: the receiver (http or https).
        url_env: instead of ``url``, the variable that holds it, when the URL itself carries
            a token.
        secret_env: the variable holding the shared secret; the body is signed with
            HMAC-SHA256 under it (``X-Commsbot-Signature-256: sha256=…``). Unset: unsigned.
        timeout_seconds: connect/read/write timeout of one request.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    url: str | None = Field(default=None, pattern=r"^https?://[^\s]+$")
    url_env: str | None = Field(default=None, pattern=r"^[A-Za-z_][A-Za-z0-9_]*$")
    secret_env: str | None = Field(default=None, pattern=r"^[A-Za-z_][A-Za-z0-9_]*$")
    timeout_seconds: float = Field(default=10.0, gt=0, le=300)

    @model_validator(mode="after")
    def _one_url(self) -> WebhookOptions:
        if (self.url is None) == (self.url_env is None):
            raise ValueError(
                'a webhook needs exactly one of url = "https://…" or url_env = "VARIABLE" '
                "(when the URL carries a token)"
            )
        return self
