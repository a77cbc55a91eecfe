"""The one error a connector raises, and the redaction that keeps secrets out of it."""

from __future__ import annotations

from collections.abc import Iterable

#: what a secret is replaced with in every message, manifest and metadata value
REDACTED = "***"


def redact(text: str, secrets: Iterable[str]) -> str:
    """``text`` with every non-empty secret replaced by ``***`` (longest first, so a secret that
    contains another is not left half visible)."""
    for secret in sorted((s for s in secrets if s), key=len, reverse=True):
        text = text.replace(secret, REDACTED)
    return text


class ConnectorError(Exception):
    """An extract failed; nothing was written to the landing zone.

    The message is one line, ``<entity> <YYYY-MM>: <where>: <detail>``, where ``where`` names
    the page or chunk that failed (``page 3``, ``chunk 2 (rows 100001-150000)``, ``token``).
    The parts are attributes too. Callers pass every secret the connector holds, and they are
    redacted from the message before it exists.
    """

    def __init__(self, entity: str, month: str, where: str, detail: str, secrets: Iterable[str] = ()) -> None:
        self.entity, self.month = entity, month
        self.where = redact(where, secrets)
        self.detail = redact(detail, secrets)
        super().__init__(f"{entity} {month}: {self.where}: {self.detail}")
