"""Market data (FX rates, indicators, market size) from a provider's HTTP endpoint, CSV or JSON.

Providers publish market series as files behind a URL: one endpoint per series, filtered by
publication date. The connector asks for the rows published in the extract's window
(``published_from`` inclusive, ``published_to`` exclusive, ISO timestamps in UTC) and reads the
answer as CSV (a header row with the catalog's columns) or JSON (a list of records, or an
object whose ``data`` is that list), by the response's content type. The publication date
stays a column of every row (``published_at``): it is the freshness signal the data-quality
checks already use, whichever way the file arrived.

Transient failures (HTTP 429, 502, 503, 504, a dropped connection) are retried with
exponential backoff, honouring ``Retry-After``; anything else fails the extract with the
status and the provider's message. An optional bearer token is the only secret.
"""

from __future__ import annotations

import io
import logging
import time
from collections.abc import Iterator
from dataclasses import dataclass, field

import pandas as pd
import requests

from orchestration.connectors.errors import ConnectorError
from orchestration.connectors.extract import ExtractWindow, secrets_of
from orchestration.connectors.retry import retry_delay
from orchestration.sources import SourceEntity

_LOG = logging.getLogger(__name__)
#: statuses worth another try: the provider is busy or a proxy hiccupped
TRANSIENT = (429, 502, 503, 504)


@dataclass(frozen=True)
class HttpSourceConnection:
    """Where the provider is and how patient to be with it."""

    base_url: str
    #: a bearer token, when the provider wants one (a secret)
    token: str = field(default="", repr=False)
    timeout_seconds: float = 30.0
    max_retries: int = 3
    backoff_seconds: float = 0.5


class MarketHttpConnector:
    """Reads each market entity from ``<base_url>/<entity>.csv`` (or the path given per entity)."""

    kind = "http"

    def __init__(self, connection: HttpSourceConnection, paths: dict[str, str] | None = None) -> None:
        self.connection = connection
        self.paths = dict(paths or {})
        self._session = requests.Session()

    def url(self, entity: SourceEntity) -> str:
        path = self.paths.get(entity.name, f"/{entity.entity}.csv")
        return self.connection.base_url.rstrip("/") + "/" + path.lstrip("/")

    def describe(self, entity: SourceEntity) -> str:
        return f"http {self.url(entity)}"

    def secrets(self) -> tuple[str, ...]:
        return secrets_of([self.connection.token])

    def fetch(self, entity: SourceEntity, window: ExtractWindow) -> Iterator[pd.DataFrame]:
        params = {}
        if window.since is not None:
            params["published_from"] = window.since.strftime("%Y-%m-%dT%H:%M:%SZ")
        if window.until is not None:
            params["published_to"] = window.until.strftime("%Y-%m-%dT%H:%M:%SZ")
        response = self._get(entity, window, params)
        yield self._rows(entity, window, response)

    def _get(self, entity: SourceEntity, window: ExtractWindow, params: dict) -> requests.Response:
        headers = {"Accept": "text/csv, application/json"}
        if self.connection.token:
            headers["Authorization"] = f"Bearer {self.connection.token}"
        url = self.url(entity)
        for attempt in range(self.connection.max_retries + 1):
            try:
                response = self._session.get(
                    url, params=params, headers=headers, timeout=self.connection.timeout_seconds
                )
            except requests.RequestException as exc:
                if attempt == self.connection.max_retries:
                    raise ConnectorError(
                        entity.name, window.month, "request", f"{type(exc).__name__}: {exc}", self.secrets()
                    ) from None
                self._wait(attempt, None, f"{type(exc).__name__}")
                continue
            if response.status_code in TRANSIENT and attempt < self.connection.max_retries:
                self._wait(attempt, response.headers.get("Retry-After"), f"HTTP {response.status_code}")
                continue
            if response.status_code != 200:
                raise ConnectorError(
                    entity.name,
                    window.month,
                    "request",
                    f"HTTP {response.status_code} from {url}: {response.text[:300].strip()}",
                    self.secrets(),
                )
            return response
        raise AssertionError("unreachable")  # pragma: no cover

    def _wait(self, attempt: int, retry_after: str | None, reason: str) -> None:
        delay = retry_delay(attempt, self.connection.backoff_seconds, retry_after)
        _LOG.info("market provider answered %s; retrying in %.1f s", reason, delay)
        time.sleep(delay)

    def _rows(self, entity: SourceEntity, window: ExtractWindow, response: requests.Response) -> pd.DataFrame:
        kind = response.headers.get("Content-Type", "").split(";")[0].strip()
        try:
            if kind == "application/json":
                payload = response.json()
                records = payload["data"] if isinstance(payload, dict) else payload
                frame = pd.DataFrame.from_records(records, columns=list(entity.column_names))
            else:
                frame = pd.read_csv(io.StringIO(response.text), dtype=str, keep_default_na=False)
                frame = frame.replace("", None)
        except (ValueError, KeyError, TypeError) as exc:
            raise ConnectorError(
                entity.name, window.month, "response", f"not a {kind or 'CSV'} table: {exc}", self.secrets()
            ) from None
        missing = [c for c in entity.column_names if c not in frame.columns]
        if missing:
            raise ConnectorError(
                entity.name,
                window.month,
                "response",
                f"the provider's file has no column {', '.join(missing)} (it has {', '.join(frame.columns)})",
                self.secrets(),
            )
        return frame[list(entity.column_names)]
