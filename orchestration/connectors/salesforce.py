"""The CRM connector: reads the catalog's CRM entities from Salesforce's REST API.

A thin client of our own on ``requests`` (no Salesforce SDK): an OAuth2 client-credentials token,
then SOQL through ``query`` (a snapshot: the object as it is now) or ``queryAll`` (a delta or event
window: deleted records too, so they become tombstones), page by page along ``nextRecordsUrl``.
Salesforce's cursor is ``SystemModstamp`` (bumped by every change, including system changes and
deletes), so a window is ``SystemModstamp >= since AND SystemModstamp < until``, ordered by
``SystemModstamp, Id`` so that pages come in a stable order.

What the client handles, so the framework (``extract``) only sees pages or one ``ConnectorError``:

- a token that expires mid-extract (401): a new token is fetched once and the request repeated;
- throttling and outages (429, 503, connection errors): retried with exponential backoff,
  honouring ``Retry-After``, up to ``max_retries``; anything else fails at once;
- a rate limit of its own: a minimum interval between requests, so one extract cannot use the
  org's API allowance up in a burst.

Each page becomes one DataFrame with the catalog's columns, ``SystemModstamp`` as ``_cursor`` and
``IsDeleted`` as ``_deleted``; merging, exactly-once and the landing files are the framework's.
The client secret and the access token are secrets: they are never logged, and every message
that could carry them is redacted.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timezone
from urllib.parse import urljoin, urlsplit

import pandas as pd
import requests

from orchestration.connectors.errors import ConnectorError, redact
from orchestration.connectors.extract import CURSOR, DELETED, ExtractWindow, secrets_of
from orchestration.connectors.retry import retry_delay
from orchestration.sources import SourceEntity

_LOG = logging.getLogger(__name__)

#: the Salesforce object each CRM entity of the catalog is read from
SALESFORCE_OBJECTS: dict[str, str] = {
    "crm_territories": "Territory2",
    "crm_users": "User",
    "crm_accounts": "Account",
    "crm_opportunities": "Opportunity",
    "crm_opportunity_history": "OpportunityHistory",
    "crm_opportunity_line_items": "OpportunityLineItem",
    "crm_quotas": "ForecastingQuota",
}
#: Salesforce's change cursor and deleted flag
SYSTEM_MODSTAMP = "SystemModstamp"
IS_DELETED = "IsDeleted"
#: statuses worth another try: throttled or briefly unavailable
RETRYABLE_STATUSES = frozenset({429, 503})
TOKEN_PATH = "/services/oauth2/token"


@dataclass(frozen=True)
class SalesforceConnection:
    """Where and how to reach a Salesforce org (a connected app with the client-credentials flow)."""

    login_url: str
    client_id: str
    client_secret: str = field(repr=False)
    api_version: str = "v60.0"
    #: records per page, asked for with ``Sforce-Query-Options: batchSize=<n>`` (Salesforce: 200..2000)
    page_size: int = 2000
    #: at most this many requests per second (a minimum interval between requests); 0 or less: no limit
    max_requests_per_second: float = 25.0
    #: tries after the first on 429, 503 or a connection error
    max_retries: int = 5
    #: first wait before a retry, doubled each time (``Retry-After`` wins when the server sends it)
    backoff_seconds: float = 0.5
    timeout_seconds: float = 30.0


class SalesforceApiError(Exception):
    """A request failed for good; ``where`` is ``token`` or ``page <n>``, ``detail`` the HTTP status
    and Salesforce's error code and message (no secret: the client redacts its own)."""

    def __init__(self, where: str, detail: str, status: int | None = None) -> None:
        super().__init__(f"{where}: {detail}")
        self.where, self.detail, self.status = where, detail, status


def salesforce_datetime(value: datetime) -> str:
    """A SOQL datetime literal (``2024-03-01T00:00:00Z``, unquoted) of a naive-UTC or aware datetime."""
    if value.tzinfo is not None:
        value = value.astimezone(timezone.utc).replace(tzinfo=None)
    return value.strftime("%Y-%m-%dT%H:%M:%SZ")


def error_detail(response: requests.Response) -> str:
    """``HTTP <status> <errorCode>: <message>`` from a Salesforce error response (REST errors are a
    list of ``{errorCode, message}``, OAuth errors ``{error, error_description}``)."""
    code, message = "", ""
    try:
        body = response.json()
    except ValueError:
        body = None
    if isinstance(body, list) and body and isinstance(body[0], dict):
        code, message = str(body[0].get("errorCode", "")), str(body[0].get("message", ""))
    elif isinstance(body, dict):
        code = str(body.get("error") or body.get("errorCode") or "")
        message = str(body.get("error_description") or body.get("message") or "")
    else:
        message = response.text[:200].strip()
    text = f"HTTP {response.status_code}" + (f" {code}" if code else "")
    return text + (f": {message}" if message else "")


class SalesforceClient:
    """OAuth2 client-credentials token and SOQL queries page by page (module docstring)."""

    def __init__(self, connection: SalesforceConnection, session: requests.Session | None = None) -> None:
        self.connection = connection
        self._session = session or requests.Session()
        self._lock = threading.Lock()
        self._access_token: str | None = None
        self._instance_url: str | None = None
        self._next_request_at = 0.0

    @property
    def access_token(self) -> str | None:
        """The current access token (a secret), ``None`` before the first request."""
        return self._access_token

    def secrets(self) -> tuple[str, ...]:
        """The client secret and the current access token."""
        return secrets_of([self.connection.client_secret, self._access_token])

    def close(self) -> None:
        """Close the HTTP connections."""
        self._session.close()

    def authenticate(self) -> None:
        """Fetch a new access token (``POST /services/oauth2/token``, grant ``client_credentials``)."""
        c = self.connection
        url = c.login_url.rstrip("/") + TOKEN_PATH
        form = {"grant_type": "client_credentials", "client_id": c.client_id, "client_secret": c.client_secret}
        response = self._send("POST", url, "token", data=form, headers={"Accept": "application/json"})
        try:
            body = response.json()
            token, instance_url = str(body["access_token"]), str(body.get("instance_url") or c.login_url)
        except (ValueError, KeyError, TypeError) as exc:
            raise SalesforceApiError("token", f"HTTP {response.status_code}: no access_token in the response") from exc
        with self._lock:
            self._access_token, self._instance_url = token, instance_url.rstrip("/")
        _LOG.debug("salesforce: new access token for %s", c.login_url)

    def query_pages(self, soql: str, include_deleted: bool = False) -> Iterator[list[dict]]:
        """The records of ``soql`` page by page (``queryAll`` with ``include_deleted``), following
        ``nextRecordsUrl`` until ``done``; raises ``SalesforceApiError`` naming the page."""
        if self._access_token is None:
            self.authenticate()
        resource = "queryAll" if include_deleted else "query"
        url = f"{self._instance_url}/services/data/{self.connection.api_version}/{resource}"
        params: dict | None = {"q": soql}
        page = 1
        while True:
            body = self._authorized_get(url, params, f"page {page}")
            records = body.get("records")
            if not isinstance(records, list):
                raise SalesforceApiError(f"page {page}", "the response has no records list")
            _LOG.debug("salesforce: %s page %d: %d records", resource, page, len(records))
            yield records
            next_url = body.get("nextRecordsUrl")
            if body.get("done", True) or not next_url:
                return
            if not str(next_url).startswith("/") or urlsplit(str(next_url)).netloc:
                # the token goes with the request: never to another host than the instance
                raise SalesforceApiError(f"page {page}", "nextRecordsUrl is not a path on the instance")
            url, params, page = urljoin(self._instance_url + "/", next_url), None, page + 1

    def _authorized_get(self, url: str, params: dict | None, where: str) -> dict:
        """GET with the access token; on 401 a new token once, and the request again."""
        for attempt in (1, 2):
            headers = {
                "Authorization": f"Bearer {self._access_token}",
                "Accept": "application/json",
                "Sforce-Query-Options": f"batchSize={self.connection.page_size}",
            }
            response = self._send("GET", url, where, params=params, headers=headers, allow_401=attempt == 1)
            if response.status_code == 401:
                _LOG.info("salesforce: %s: the access token expired or was revoked; fetching a new one", where)
                self.authenticate()
                continue
            try:
                return response.json()
            except ValueError as exc:
                raise SalesforceApiError(where, f"HTTP {response.status_code}: the response is not JSON") from exc
        raise AssertionError("unreachable")  # pragma: no cover

    def _wait_for_rate_limit(self) -> None:
        rate = self.connection.max_requests_per_second
        interval = 1.0 / rate if rate and rate > 0 else 0.0
        with self._lock:
            now = time.monotonic()
            wait = self._next_request_at - now
            self._next_request_at = max(now, self._next_request_at) + interval
        if wait > 0:
            time.sleep(wait)

    def _send(self, method: str, url: str, where: str, *, allow_401: bool = False, **kwargs) -> requests.Response:
        """One request with the rate limit and the retries; returns a 2xx response (or a 401 one
        with ``allow_401``: the caller fetches a new token); raises ``SalesforceApiError`` otherwise."""
        c = self.connection
        host = "{0.scheme}://{0.netloc}".format(urlsplit(url))
        for attempt in range(c.max_retries + 1):
            self._wait_for_rate_limit()
            retry_after = None
            try:
                response = self._session.request(method, url, timeout=c.timeout_seconds, **kwargs)
            except (requests.ConnectionError, requests.Timeout) as exc:
                problem = f"no response from {host}: {type(exc).__name__}"
            else:
                status = response.status_code
                if status < 300 or (status == 401 and allow_401):
                    return response
                problem = error_detail(response)
                if status not in RETRYABLE_STATUSES:
                    raise SalesforceApiError(where, redact(problem, self.secrets()), status)
                retry_after = response.headers.get("Retry-After")
            if attempt == c.max_retries:
                break
            delay = retry_delay(attempt, c.backoff_seconds, retry_after)
            _LOG.warning(
                "salesforce: %s: %s; retry %d of %d in %.2f s",
                where,
                redact(problem, self.secrets()),
                attempt + 1,
                c.max_retries,
                delay,
            )
            time.sleep(delay)
        detail = f"{problem} (gave up after {c.max_retries} retries)"
        raise SalesforceApiError(where, redact(detail, self.secrets()))


def soql_for(entity: SourceEntity, object_name: str, window: ExtractWindow) -> str:
    """The SOQL of one extract: the catalog's columns, ``SystemModstamp`` and, for a delta or event
    window, ``IsDeleted``, bounded by the window on ``SystemModstamp``, in cursor order."""
    fields = [*entity.column_names, SYSTEM_MODSTAMP]
    if entity.extract != "snapshot":
        fields.append(IS_DELETED)
    conditions = []
    if window.since is not None:
        conditions.append(f"{SYSTEM_MODSTAMP} >= {salesforce_datetime(window.since)}")
    if window.until is not None:
        conditions.append(f"{SYSTEM_MODSTAMP} < {salesforce_datetime(window.until)}")
    where = f" WHERE {' AND '.join(conditions)}" if conditions else ""
    return f"SELECT {', '.join(fields)} FROM {object_name}{where} ORDER BY {SYSTEM_MODSTAMP}, Id"


def page_frame(entity: SourceEntity, records: list[dict]) -> pd.DataFrame:
    """One page of records as a DataFrame: the catalog's columns, ``_cursor`` and ``_deleted``
    (when the page has ``IsDeleted``); ``attributes`` and any other field are left out."""
    fields = [*entity.column_names, SYSTEM_MODSTAMP]
    if entity.extract != "snapshot":
        fields.append(IS_DELETED)
    frame = pd.DataFrame.from_records(records, columns=fields) if records else pd.DataFrame(columns=fields)
    return frame.rename(columns={SYSTEM_MODSTAMP: CURSOR, IS_DELETED: DELETED})


class SalesforceConnector:
    """The ``Connector`` of the CRM entities over Salesforce's REST API (module docstring)."""

    kind = "salesforce"

    def __init__(
        self,
        connection: SalesforceConnection,
        objects: Mapping[str, str] | None = None,
        session: requests.Session | None = None,
    ) -> None:
        self.connection = connection
        #: entity name (``crm_opportunities``) -> Salesforce object; ``objects`` overrides the defaults
        self.objects = {**SALESFORCE_OBJECTS, **(objects or {})}
        self.client = SalesforceClient(connection, session)

    def object_name(self, entity: SourceEntity) -> str:
        """The Salesforce object ``entity`` is read from."""
        try:
            return self.objects[entity.name]
        except KeyError:
            raise KeyError(f"no Salesforce object for {entity.name}; known: {', '.join(self.objects)}") from None

    def describe(self, entity: SourceEntity) -> str:
        """``salesforce <login url> <object>``."""
        return redact(f"salesforce {self.connection.login_url} {self.object_name(entity)}", self.secrets())

    def secrets(self) -> tuple[str, ...]:
        """The client secret and the current access token."""
        return self.client.secrets()

    def close(self) -> None:
        """Close the HTTP connections."""
        self.client.close()

    def fetch(self, entity: SourceEntity, window: ExtractWindow) -> Iterator[pd.DataFrame]:
        """One DataFrame per page of the window's SOQL; ``ConnectorError`` names the page or the token."""
        try:
            object_name = self.object_name(entity)
        except KeyError as exc:
            raise ConnectorError(entity.name, window.month, "object", str(exc.args[0]), self.secrets()) from None
        soql = soql_for(entity, object_name, window)
        _LOG.debug("salesforce: %s %s: %s", entity.name, window.month, soql)
        pages = self.client.query_pages(soql, include_deleted=entity.extract != "snapshot")
        while True:
            try:
                records = next(pages)
            except StopIteration:
                return
            except SalesforceApiError as exc:
                raise ConnectorError(entity.name, window.month, exc.where, exc.detail, self.secrets()) from None
            yield page_frame(entity, records)
