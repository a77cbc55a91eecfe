"""The demo company's market-data provider as an HTTP endpoint on 127.0.0.1.

Serves each market entity of the demo's landing zone (FX rates, macro indicators, market size)
at ``/<entity>.csv`` and ``/<entity>.json``, filtered by publication date
(``published_from`` inclusive, ``published_to`` exclusive), the way a data vendor's download
API does. It lets the market connector, its tests and the benchmark run against a real HTTP
server; faults (rate limiting, an outage, a failing series) can be injected while it runs.
"""

from __future__ import annotations

import csv
import io
import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlparse

import pandas as pd

from orchestration.sources import CATALOG

MARKET = [e for e in CATALOG if e.system == "market"]


def rows_from_landing(landing_root: Path, months: list[str] | None = None) -> dict[str, pd.DataFrame]:
    """Every market entity's rows from the demo's landing files, as text (``months``: only those)."""
    out = {}
    for entity in MARKET:
        frames = []
        folder = Path(landing_root) / entity.system / entity.entity
        for path in sorted(folder.glob(f"*/*{entity.file_suffix}")):
            if months is None or path.parent.name in months:
                frames.append(pd.read_csv(path, dtype=str, keep_default_na=False))
        out[entity.entity] = (
            pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=entity.column_names)
        )
    return out


class MarketApiServer:
    """A market-data endpoint serving ``rows`` (entity -> text DataFrame); use as a context manager."""

    def __init__(self, rows: dict[str, pd.DataFrame], token: str = "", max_requests: int = 10_000) -> None:
        self.rows = rows
        self.token = token
        self.max_requests = max_requests
        self.requests: list[tuple[str, str, int]] = []
        self._failures: list[tuple[int, str | None]] = []
        self._lock = threading.Lock()
        self._server: ThreadingHTTPServer | None = None

    # -------------------------------------------------------------- faults
    def fail_with(self, status: int, times: int = 1, retry_after: str | None = None) -> None:
        """Answer the next ``times`` requests with ``status`` (e.g. 429 with ``Retry-After``, 503)."""
        with self._lock:
            self._failures.extend([(status, retry_after)] * times)

    # -------------------------------------------------------------- server
    @property
    def url(self) -> str:
        assert self._server is not None, "the server is not started"
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def start(self) -> MarketApiServer:
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(self))
        self._server.daemon_threads = True
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def __enter__(self) -> MarketApiServer:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()

    # -------------------------------------------------------------- answers
    def answer(self, path: str, query: dict[str, list[str]], authorization: str) -> tuple[int, dict, bytes]:
        with self._lock:
            if len(self.requests) >= self.max_requests:
                return 503, {}, b"request budget of the test server exhausted"
            if self._failures:
                status, retry_after = self._failures.pop(0)
                return status, ({"Retry-After": retry_after} if retry_after else {}), b"injected failure"
        if self.token and authorization != f"Bearer {self.token}":
            return 401, {}, b"missing or wrong bearer token"
        name, _, suffix = path.strip("/").rpartition(".")
        if name not in self.rows or suffix not in ("csv", "json"):
            return 404, {}, f"no series {path}".encode()
        frame = self.rows[name]
        published = pd.to_datetime(frame["published_at"], utc=True).dt.tz_convert(None)
        keep = pd.Series(True, index=frame.index)
        for param, compare in (("published_from", published.__ge__), ("published_to", published.__lt__)):
            if param in query:
                try:
                    bound = pd.Timestamp(query[param][0]).tz_convert(None)
                except (ValueError, TypeError):
                    return 400, {}, f"{param} is not an ISO timestamp".encode()
                keep &= compare(bound)
        selected = frame[keep]
        if suffix == "json":
            records = selected.replace("", None).to_dict(orient="records")
            return 200, {"Content-Type": "application/json"}, json.dumps({"data": records}).encode()
        buffer = io.StringIO()
        selected.to_csv(buffer, index=False, lineterminator="\n", quoting=csv.QUOTE_MINIMAL)
        return 200, {"Content-Type": "text/csv; charset=utf-8"}, buffer.getvalue().encode()


def _handler(server: MarketApiServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        timeout = 10

        def do_GET(self) -> None:  # noqa: N802 (http.server's name)
            parsed = urlparse(self.path)
            status, headers, body = server.answer(
                parsed.path, parse_qs(parsed.query), self.headers.get("Authorization", "")
            )
            with server._lock:
                server.requests.append(("GET", parsed.path, status))
            self.send_response(status)
            for key, value in headers.items():
                self.send_header(key, value)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args) -> None:  # noqa: A002 (http.server's signature)
            return

    return Handler
