"""The demo company's CRM as a Salesforce-shaped REST API on 127.0.0.1, with fault injection.

The CRM connector (``orchestration.connectors.salesforce``) is tested and benchmarked against
this server instead of a real org: it answers what the connector asks in the shape Salesforce
answers it, and can be told to misbehave the way Salesforce does.

- ``POST /services/oauth2/token``: the client-credentials flow; a wrong id or secret is
  ``400 invalid_client``; tokens are random; an unknown or expired token is ``401 INVALID_SESSION_ID``.
- ``GET /services/data/<v>/query`` and ``/queryAll`` (``?q=<SOQL>``): exactly the SOQL shape the
  connector sends (``SELECT <fields> FROM <object> [WHERE SystemModstamp >= <t> AND SystemModstamp
  < <t>] ORDER BY SystemModstamp, Id``), anything else is ``400 MALFORMED_QUERY``. ``query`` hides
  deleted records, ``queryAll`` returns them with ``IsDeleted`` true. The page size comes from
  ``Sforce-Query-Options: batchSize=<n>`` (default 2000).
- ``GET /services/data/<v>/query/<locator>-<offset>``: the next page. As with Salesforce's query
  locator, the result (which records, in which order) is fixed when the query runs; a record's
  fields are read when its page is served, so a change between pages shows on the later pages.

Faults, settable while the server runs (thread-safe): ``expire_tokens_after``, ``fail_with``
(429/503, optionally with ``Retry-After``), ``fail_page`` (a page that always fails),
``change_between_pages``, and the data changes ``insert``, ``update``, ``delete``. Every request
is logged as ``(method, path, status)`` in ``requests`` for assertions; ``max_requests`` and a
per-request socket timeout keep a runaway client from hanging a test.

``records_from_landing`` builds the store from the demo's CRM landing files.
"""

from __future__ import annotations

import bisect
import json
import re
import secrets
import socket
import threading
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pandas as pd

from orchestration.connectors.landing_files import extract_path
from orchestration.connectors.salesforce import IS_DELETED, SALESFORCE_OBJECTS, SYSTEM_MODSTAMP
from orchestration.sources import CRM, SourceEntity

DEFAULT_API_VERSION = "v60.0"
DEFAULT_BATCH_SIZE = 2000
MAX_BATCH_SIZE = 2000
#: what an error status says, as Salesforce says it
ERROR_CODES = {
    400: ("MALFORMED_QUERY", "unexpected token"),
    401: ("INVALID_SESSION_ID", "Session expired or invalid"),
    403: ("REQUEST_LIMIT_EXCEEDED", "TotalRequests Limit exceeded."),
    404: ("NOT_FOUND", "The requested resource does not exist"),
    429: ("REQUEST_LIMIT_EXCEEDED", "ConcurrentPerOrgLongTxn Limit exceeded."),
    500: ("UNKNOWN_EXCEPTION", "An unexpected error occurred. Please include this ErrorId if you contact support."),
    503: ("SERVER_UNAVAILABLE", "Server temporarily unavailable."),
}

_IDENTIFIER = r"[A-Za-z_][A-Za-z0-9_]*"
_SOQL = re.compile(
    rf"^\s*SELECT\s+(?P<fields>{_IDENTIFIER}(?:\s*,\s*{_IDENTIFIER})*)\s+FROM\s+(?P<object>{_IDENTIFIER})"
    r"(?:\s+WHERE\s+(?P<where>.+?))?\s+ORDER\s+BY\s+SystemModstamp\s*,\s*Id\s*$",
    re.IGNORECASE | re.DOTALL,
)
_BOUND = re.compile(
    r"^SystemModstamp\s*(?P<op>>=|<)\s*"
    r"(?P<at>\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d{1,3})?(?:Z|[+-]\d{2}:?\d{2}))$",
    re.IGNORECASE,
)
_BATCH_SIZE = re.compile(r"batchSize\s*=\s*(\d+)", re.IGNORECASE)
_NEXT_PAGE = re.compile(r"^/services/data/(?P<v>v\d+\.\d+)/query(?:All)?/(?P<locator>[A-Za-z0-9]+)-(?P<offset>\d+)$")
_QUERY = re.compile(r"^/services/data/(?P<v>v\d+\.\d+)/(?P<resource>query|queryAll)$")


_SALESFORCE_FORM = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}\+0000$")


def salesforce_timestamp(value) -> str:
    """A datetime (naive is UTC), pandas Timestamp or ISO text in Salesforce's form,
    ``2024-03-01T07:36:34.000+0000``."""
    if isinstance(value, str) and _SALESFORCE_FORM.match(value):
        return value
    stamp = pd.Timestamp(value)
    stamp = stamp.tz_convert("UTC").tz_localize(None) if stamp.tzinfo is not None else stamp
    return stamp.strftime("%Y-%m-%dT%H:%M:%S.") + f"{stamp.microsecond // 1000:03d}+0000"


class SoqlError(ValueError):
    """A query the server does not answer: ``(status, errorCode, message)``."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code, self.message = code, message


@dataclass(frozen=True)
class Soql:
    """The parsed query: fields, object and the ``SystemModstamp`` bounds (Salesforce form)."""

    fields: tuple[str, ...]
    object_name: str
    since: str | None
    until: str | None


def parse_soql(text: str) -> Soql:
    """Parse the one SOQL shape the connector sends; ``SoqlError`` (MALFORMED_QUERY) otherwise."""
    match = _SOQL.match(text or "")
    if not match:
        raise SoqlError(
            "MALFORMED_QUERY",
            "only SELECT <fields> FROM <object> [WHERE SystemModstamp bounds] ORDER BY SystemModstamp, Id is supported",
        )
    fields = tuple(f.strip() for f in match["fields"].split(","))
    since = until = None
    if match["where"]:
        for condition in re.split(r"\s+AND\s+", match["where"].strip(), flags=re.IGNORECASE):
            bound = _BOUND.match(condition.strip())
            if not bound:
                raise SoqlError("MALFORMED_QUERY", f"unexpected condition: {condition.strip()[:80]}")
            at = salesforce_timestamp(datetime.fromisoformat(bound["at"]).astimezone(timezone.utc))
            if bound["op"] == ">=":
                if since is not None:
                    raise SoqlError("MALFORMED_QUERY", "two lower bounds on SystemModstamp")
                since = at
            else:
                if until is not None:
                    raise SoqlError("MALFORMED_QUERY", "two upper bounds on SystemModstamp")
                until = at
    return Soql(fields, match["object"], since, until)


@dataclass
class _Locator:
    """A query's result, fixed when it ran: the record ids in order (fields are read per page)."""

    object_name: str
    fields: tuple[str, ...]
    ids: list[str]
    include_deleted: bool
    batch_size: int


class _ObjectStore:
    """One object's records by id, with an index on ``(SystemModstamp, Id)`` rebuilt when changed."""

    def __init__(self, records: Iterable[dict]) -> None:
        self.records: dict[str, dict] = {}
        self.fields: set[str] = {"Id", SYSTEM_MODSTAMP, IS_DELETED}
        self._index: list[tuple[str, str]] | None = None
        self._stamps: list[str] = []
        for record in records:
            self.put(record)

    def put(self, record: dict) -> None:
        record = dict(record)
        record[SYSTEM_MODSTAMP] = salesforce_timestamp(record[SYSTEM_MODSTAMP])
        record.setdefault(IS_DELETED, False)
        self.records[str(record["Id"])] = record
        self.fields.update(record)
        self._index = None

    def touched(self) -> None:
        self._index = None

    def select(self, since: str | None, until: str | None, include_deleted: bool) -> list[str]:
        if self._index is None:
            self._index = sorted((r[SYSTEM_MODSTAMP], i) for i, r in self.records.items())
            self._stamps = [s for s, _ in self._index]
        lo = 0 if since is None else bisect.bisect_left(self._stamps, since)
        hi = len(self._index) if until is None else bisect.bisect_left(self._stamps, until)
        ids = [i for _, i in self._index[lo:hi]]
        return ids if include_deleted else [i for i in ids if not self.records[i][IS_DELETED]]


class _ApiError(Exception):
    def __init__(self, status: int, code: str | None = None, message: str | None = None, headers=None) -> None:
        default_code, default_message = ERROR_CODES.get(status, ("UNKNOWN_EXCEPTION", "error"))
        super().__init__(message or default_message)
        self.status, self.code, self.message = status, code or default_code, message or default_message
        self.headers = headers or {}


class CrmApiServer:
    """The Salesforce-shaped API over ``records_by_object`` (object -> records), on 127.0.0.1.

    Use as a context manager (``with CrmApiServer(...) as server: server.url``) or ``start``/``stop``.
    """

    def __init__(
        self,
        records_by_object: Mapping[str, Iterable[dict]],
        client_id: str,
        client_secret: str,
        *,
        port: int = 0,
        max_requests: int = 100_000,
        request_timeout: float = 10.0,
    ) -> None:
        self.client_id, self._client_secret = client_id, client_secret
        self.port, self.max_requests, self.request_timeout = port, max_requests, request_timeout
        self._lock = threading.RLock()
        self._objects: dict[str, _ObjectStore] = {}
        self._tokens: set[str] = set()
        self._issued: list[str] = []
        self._locators: dict[str, _Locator] = {}
        self._log: list[tuple[str, str, int]] = []
        self._expire_after: int | None = None
        self._failures: list[tuple[int, float | None]] = []
        self._failing_pages: dict[int, int] = {}
        self._changes: list[tuple[str, str, dict, str]] = []
        self._httpd: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None
        self._connections: set[socket.socket] = set()
        self._url: str | None = None
        self.load(records_by_object)

    # ------------------------------------------------------------ life cycle
    @property
    def url(self) -> str:
        """``http://127.0.0.1:<port>``: the login URL and the instance URL (kept after ``stop``)."""
        if self._url is None:
            raise RuntimeError("the server was never started")
        return self._url

    def start(self) -> CrmApiServer:
        """Listen on 127.0.0.1 in a daemon thread."""
        if self._httpd is not None:
            return self
        server = self

        class Handler(_Handler):
            api = server
            timeout = self.request_timeout

        class Http(ThreadingHTTPServer):
            daemon_threads = True
            block_on_close = False

            def process_request(self, request, client_address):
                with server._lock:
                    server._connections.add(request)
                super().process_request(request, client_address)

            def shutdown_request(self, request):
                with server._lock:
                    server._connections.discard(request)
                super().shutdown_request(request)

        self._httpd = Http(("127.0.0.1", self.port), Handler)
        self._url = f"http://127.0.0.1:{self._httpd.server_address[1]}"
        self._thread = threading.Thread(target=self._httpd.serve_forever, name="crm-api-server", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop listening and close open connections."""
        if self._httpd is None:
            return
        self._httpd.shutdown()
        self._httpd.server_close()
        with self._lock:
            connections = list(self._connections)
        for connection in connections:
            try:
                connection.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
        if self._thread is not None:
            self._thread.join(timeout=5)
        self._httpd = self._thread = None

    def __enter__(self) -> CrmApiServer:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()

    # ------------------------------------------------------------ what happened
    @property
    def requests(self) -> list[tuple[str, str, int]]:
        """Every request so far: ``(method, path without the query string, status)``."""
        with self._lock:
            return list(self._log)

    @property
    def issued_tokens(self) -> tuple[str, ...]:
        """Every access token the server issued (for tests that check nothing leaks them)."""
        with self._lock:
            return tuple(self._issued)

    def records(self, object_name: str) -> dict[str, dict]:
        """A copy of ``object_name``'s records by id, as stored now."""
        with self._lock:
            return {i: dict(r) for i, r in self._objects[object_name].records.items()}

    # ------------------------------------------------------------ data
    def load(self, records_by_object: Mapping[str, Iterable[dict]]) -> None:
        """Replace the objects in ``records_by_object`` with those records (others are kept)."""
        with self._lock:
            for name, records in records_by_object.items():
                self._objects[name] = _ObjectStore(records)

    def insert(self, object_name: str, records: Iterable[dict]) -> None:
        """Add (or replace) records; each needs ``Id`` and ``SystemModstamp``."""
        with self._lock:
            store = self._objects.setdefault(object_name, _ObjectStore(()))
            for record in records:
                record = dict(record)
                record.setdefault("attributes", _attributes(object_name, str(record["Id"])))
                store.put(record)

    def update(self, object_name: str, record_id: str, changes: Mapping[str, object], at) -> None:
        """Change fields of a record; its ``SystemModstamp`` becomes ``at``."""
        with self._lock:
            self._change(object_name, record_id, changes, salesforce_timestamp(at))

    def delete(self, object_name: str, record_id: str, at) -> None:
        """Delete a record (to the recycle bin): ``IsDeleted`` true, ``SystemModstamp`` ``at``."""
        with self._lock:
            self._change(object_name, record_id, {IS_DELETED: True}, salesforce_timestamp(at))

    def _change(self, object_name: str, record_id: str, changes: Mapping[str, object], at: str) -> None:
        store = self._objects[object_name]
        record = store.records[record_id]
        record.update(changes)
        record[SYSTEM_MODSTAMP] = at
        store.touched()

    # ------------------------------------------------------------ faults
    def expire_tokens_after(self, n_requests: int) -> None:
        """Every token issued so far stops working after ``n_requests`` more query requests."""
        with self._lock:
            self._expire_after = int(n_requests)

    def fail_with(self, status: int, times: int, retry_after: float | None = None) -> None:
        """The next ``times`` query requests fail with ``status`` (429 ``REQUEST_LIMIT_EXCEEDED``,
        503 ``SERVER_UNAVAILABLE``, ...), with a ``Retry-After`` header when given."""
        with self._lock:
            self._failures.extend([(int(status), retry_after)] * int(times))

    def fail_page(self, page_number: int, status: int = 500) -> None:
        """Page ``page_number`` (1: the query itself) of every query fails, until ``clear_faults``."""
        with self._lock:
            self._failing_pages[int(page_number)] = int(status)

    def change_between_pages(self, object_name: str, record_id: str, changes: Mapping[str, object], at) -> None:
        """Once the next query of ``object_name`` has served its page 1, change the record's
        fields (``changes``) and set its ``SystemModstamp`` to ``at``."""
        with self._lock:
            self._changes.append((object_name, record_id, dict(changes), salesforce_timestamp(at)))

    def clear_faults(self) -> None:
        """No more injected faults (data changes already made stay)."""
        with self._lock:
            self._expire_after, self._failures, self._failing_pages, self._changes = None, [], {}, []

    # ------------------------------------------------------------ requests
    def _record(self, method: str, path: str, status: int) -> None:
        with self._lock:
            self._log.append((method, path, status))

    def _over_budget(self) -> bool:
        with self._lock:
            return len(self._log) >= self.max_requests

    def token(self, form: Mapping[str, str]) -> dict:
        """The OAuth2 token endpoint (client credentials)."""
        if form.get("grant_type") != "client_credentials":
            raise _ApiError(400, "unsupported_grant_type", "grant type not supported")
        if form.get("client_id") != self.client_id or form.get("client_secret") != self._client_secret:
            raise _ApiError(400, "invalid_client", "invalid client credentials")
        token = f"00D000000000001!{secrets.token_urlsafe(36)}"
        with self._lock:
            self._tokens.add(token)
            self._issued.append(token)
        return {
            "access_token": token,
            "instance_url": self.url,
            "id": f"{self.url}/id/00D000000000001/005000000000001",
            "token_type": "Bearer",
            "issued_at": "0",
        }

    def _authorize(self, authorization: str | None) -> None:
        with self._lock:
            if self._expire_after is not None:
                if self._expire_after <= 0:
                    self._tokens.clear()
                    self._expire_after = None
                else:
                    self._expire_after -= 1
            token = (authorization or "").removeprefix("Bearer ").strip()
            if token not in self._tokens:
                raise _ApiError(401)
            if self._failures:
                status, retry_after = self._failures.pop(0)
                headers = {} if retry_after is None else {"Retry-After": f"{retry_after:g}"}
                raise _ApiError(status, headers=headers)

    def query(self, soql_text: str, include_deleted: bool, batch_size: int, version: str) -> dict:
        """Run a query: the result is fixed now; the first page is served."""
        try:
            soql = parse_soql(soql_text)
        except SoqlError as exc:
            raise _ApiError(400, exc.code, exc.message) from None
        with self._lock:
            store = self._objects.get(soql.object_name)
            if store is None:
                raise _ApiError(400, "INVALID_TYPE", f"sObject type '{soql.object_name}' is not supported.")
            unknown = [f for f in soql.fields if f not in store.fields or f == "attributes"]
            if unknown:
                raise _ApiError(400, "INVALID_FIELD", f"No such column '{unknown[0]}' on entity '{soql.object_name}'.")
            ids = store.select(soql.since, soql.until, include_deleted)
            locator = _Locator(soql.object_name, soql.fields, ids, include_deleted, batch_size)
            name = f"01g{secrets.token_hex(8)}"
            self._locators[name] = locator
        return self._page(name, locator, 0, version)

    def next_page(self, name: str, offset: int, version: str) -> dict:
        """A later page of a query locator."""
        with self._lock:
            locator = self._locators.get(name)
        if locator is None or offset <= 0 or offset >= max(len(locator.ids), 1):
            raise _ApiError(400, "INVALID_QUERY_LOCATOR", "invalid query locator")
        return self._page(name, locator, offset, version)

    def _page(self, name: str, locator: _Locator, offset: int, version: str) -> dict:
        page_number = offset // locator.batch_size + 1
        with self._lock:
            status = self._failing_pages.get(page_number)
            if status is not None:
                raise _ApiError(status)
            store = self._objects[locator.object_name]
            records = []
            for record_id in locator.ids[offset : offset + locator.batch_size]:
                record = store.records.get(record_id)
                if record is None or (record[IS_DELETED] and not locator.include_deleted):
                    continue
                attributes = record.get("attributes") or _attributes(locator.object_name, record_id, version)
                records.append({"attributes": attributes, **{f: record.get(f) for f in locator.fields}})
            end = offset + locator.batch_size
            body = {"totalSize": len(locator.ids), "done": end >= len(locator.ids), "records": records}
            if end < len(locator.ids):
                body["nextRecordsUrl"] = f"/services/data/{version}/query/{name}-{end}"
            if page_number == 1:
                due = [c for c in self._changes if c[0] == locator.object_name]
                self._changes = [c for c in self._changes if c[0] != locator.object_name]
                for object_name, record_id, changes, at in due:
                    self._change(object_name, record_id, changes, at)
        return body


class _Handler(BaseHTTPRequestHandler):
    """HTTP/1.1 with keep-alive; every answer is JSON."""

    protocol_version = "HTTP/1.1"
    api: CrmApiServer

    def setup(self) -> None:
        super().setup()
        # headers and body go out in two writes: without this, Nagle's algorithm holds the body
        # until the client's delayed ACK (40 ms a response)
        self.request.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def log_message(self, format, *args) -> None:
        """Silent: the server's log is ``CrmApiServer.requests``."""

    def _answer(self, status: int, body, headers: Mapping[str, str] | None = None) -> None:
        data = json.dumps(body, separators=(",", ":")).encode("utf-8")
        self.send_response(status)
        self.send_header("Content-Type", "application/json;charset=UTF-8")
        self.send_header("Content-Length", str(len(data)))
        for key, value in (headers or {}).items():
            self.send_header(key, value)
        self.end_headers()
        self.wfile.write(data)
        self.api._record(self.command, urlsplit(self.path).path, status)

    def _error(self, exc: _ApiError, oauth: bool = False) -> None:
        if oauth:
            body = {"error": exc.code, "error_description": exc.message}
        else:
            body = [{"message": exc.message, "errorCode": exc.code}]
        self._answer(exc.status, body, exc.headers)

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        form = {k: v[0] for k, v in parse_qs(self.rfile.read(length).decode("utf-8", "replace")).items()}
        if self.api._over_budget():
            return self._error(_ApiError(403), oauth=True)
        if urlsplit(self.path).path != "/services/oauth2/token":
            return self._error(_ApiError(404))
        try:
            self._answer(200, self.api.token(form))
        except _ApiError as exc:
            self._error(exc, oauth=True)

    def do_GET(self) -> None:
        parts = urlsplit(self.path)
        try:
            if self.api._over_budget():
                raise _ApiError(403)
            query, next_page = _QUERY.match(parts.path), _NEXT_PAGE.match(parts.path)
            if not query and not next_page:
                raise _ApiError(404)
            self.api._authorize(self.headers.get("Authorization"))
            if query:
                options = _BATCH_SIZE.search(self.headers.get("Sforce-Query-Options") or "")
                batch = min(max(int(options[1]), 1), MAX_BATCH_SIZE) if options else DEFAULT_BATCH_SIZE
                soql = parse_qs(parts.query).get("q", [""])[0]
                body = self.api.query(soql, query["resource"] == "queryAll", batch, query["v"])
            else:
                body = self.api.next_page(next_page["locator"], int(next_page["offset"]), next_page["v"])
        except _ApiError as exc:
            return self._error(exc)
        self._answer(200, body)


def _attributes(object_name: str, record_id: str, version: str = DEFAULT_API_VERSION) -> dict:
    return {"type": object_name, "url": f"/services/data/{version}/sobjects/{object_name}/{record_id}"}


# ---------------------------------------------------------------- the store from the landing files
def _json_values(entity: SourceEntity, frame: pd.DataFrame) -> dict[str, list]:
    """Each catalog column of a CSV read as text, as the JSON values Salesforce would send."""
    out: dict[str, list] = {}
    for c in entity.columns:
        text = frame[c.name]
        blank = (text == "").to_numpy()
        if c.type == "string":
            values = text.tolist()
        elif c.type == "integer":
            values = [int(v) if v else None for v in text]
        elif c.type == "decimal":
            values = [float(v) if v else None for v in text]
        elif c.type == "boolean":
            values = [v.lower() in ("true", "1", "t") for v in text]
        elif c.type == "date":
            values = pd.to_datetime(text.where(~blank), format="ISO8601").dt.strftime("%Y-%m-%d").tolist()
        else:
            stamps = pd.to_datetime(text.where(~blank), utc=True, format="ISO8601").dt.tz_convert(None)
            values = stamps.dt.strftime("%Y-%m-%dT%H:%M:%S.000+0000").tolist()
        out[c.name] = [None if b else v for v, b in zip(values, blank)]
    return out


def records_from_landing(
    landing_root, months: Sequence[str], entities: Iterable[SourceEntity] = CRM
) -> dict[str, list[dict]]:
    """The CRM as of the end of the last of ``months``, from the demo's CRM landing files: per
    Salesforce object, its records (``attributes``, the catalog's columns as JSON values,
    ``SystemModstamp`` = the entity's ``updated_at``, ``IsDeleted`` false). A snapshot entity is the
    last month's snapshot; a delta or event entity the latest version of every record delivered."""
    out: dict[str, list[dict]] = {}
    for entity in entities:
        object_name = SALESFORCE_OBJECTS[entity.name]
        chosen = list(months)[-1:] if entity.extract == "snapshot" else list(months)
        by_id: dict[str, dict] = {}
        for month in chosen:
            path = extract_path(landing_root, entity, month)
            if not Path(path).exists():
                raise FileNotFoundError(f"{entity.name}: no landing file {path}")
            frame = pd.read_csv(path, dtype=str, keep_default_na=False)
            columns = _json_values(entity, frame)
            names = list(columns)
            for row in zip(*columns.values()):
                record = dict(zip(names, row))
                record_id = record["Id"]
                record[SYSTEM_MODSTAMP] = record[entity.updated_at]
                record[IS_DELETED] = False
                by_id[record_id] = {"attributes": _attributes(object_name, record_id), **record}
        out[object_name] = list(by_id.values())
    return out
