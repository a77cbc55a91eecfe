"""Market data over HTTP, against a real server on 127.0.0.1 serving the demo's market series.

The expected rows are the demo's own landing files, read with pandas; the connector's files
must hold the same rows, load the same raw rows, and survive retries, failures and re-runs.
"""

from __future__ import annotations

import logging
from datetime import timedelta
from pathlib import Path

import duckdb
import pandas as pd
import pytest

from orchestration.connectors.errors import ConnectorError
from orchestration.connectors.extract import MANIFEST_FILE, extract_month, read_manifest
from orchestration.connectors.market_http import HttpSourceConnection, MarketHttpConnector
from orchestration.demo import generate_company
from orchestration.demo.market_api_server import MarketApiServer, rows_from_landing
from orchestration.ingestion import LandingFolderReader, load_month
from orchestration.sources import CATALOG

MARKET = [e for e in CATALOG if e.system == "market"]
MONTHS = ["2021-01", "2021-02", "2021-03"]
LAG = timedelta(hours=6)
TOKEN = "mkt-token-7f3a9c"


@pytest.fixture(scope="module")
def demo_landing(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("market_demo") / "landing"
    generate_company(root, seed=11, scale=0.05, through=MONTHS[-1])
    return root


def _connector(server: MarketApiServer, **options) -> MarketHttpConnector:
    return MarketHttpConnector(HttpSourceConnection(server.url, token=TOKEN, backoff_seconds=0.01, **options))


def _folder_bytes(root: Path, entity, month: str) -> dict[str, bytes]:
    folder = entity.landing_dir(root, month)
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir())}


def _sorted(frame: pd.DataFrame, entity) -> pd.DataFrame:
    return frame.sort_values(list(entity.key)).reset_index(drop=True)


def test_every_market_month_equals_the_demo_files_and_loads_the_same_raw_rows(demo_landing, tmp_path):
    with MarketApiServer(rows_from_landing(demo_landing), token=TOKEN) as server:
        connector = _connector(server)
        for entity in MARKET:
            for month in MONTHS:
                result = extract_month(connector, entity, month, tmp_path, LAG)
                demo_file = next(entity.landing_dir(demo_landing, month).glob("*.csv"))
                ours = tmp_path / result.files[0]
                expected = pd.read_csv(demo_file, dtype=str, keep_default_na=False)
                got = pd.read_csv(ours, dtype=str, keep_default_na=False)
                pd.testing.assert_frame_equal(_sorted(got, entity), _sorted(expected, entity))
                assert result.rows == len(expected) > 0

                demo_raw, our_raw = duckdb.connect(), duckdb.connect()
                load_month(demo_raw, entity, month, LandingFolderReader(demo_landing), "demo")
                load_month(our_raw, entity, month, LandingFolderReader(tmp_path), "connector")
                columns = ", ".join(f'"{c}"' for c in entity.column_names)
                query = f"select {columns} from {entity.raw_table} order by all"
                assert our_raw.execute(query).fetchall() == demo_raw.execute(query).fetchall()


def test_the_manifest_records_the_source_window_and_publication_cursor(demo_landing, tmp_path):
    fx = next(e for e in MARKET if e.entity == "fx_rates")
    with MarketApiServer(rows_from_landing(demo_landing), token=TOKEN) as server:
        connector = _connector(server)
        extract_month(connector, fx, "2021-01", tmp_path, LAG)
        extract_month(connector, fx, "2021-02", tmp_path, LAG)
        url = server.url
    manifest = read_manifest(fx, tmp_path, "2021-02")
    assert manifest["source"] == f"http {url}/fx_rates.csv"
    # the window: from the month's first instant minus the lag, to the next month's first instant
    assert (manifest["since"], manifest["until"]) == ("2021-01-31T18:00:00", "2021-03-01T00:00:00")
    demo = pd.read_csv(next(fx.landing_dir(demo_landing, "2021-02").glob("*.csv")), dtype=str)
    assert manifest["cursor"] == pd.Timestamp(demo["published_at"].max()).tz_convert(None).isoformat()


def test_rate_limits_and_outages_are_retried_and_the_files_are_the_same(demo_landing, tmp_path):
    fx = next(e for e in MARKET if e.entity == "fx_rates")
    with MarketApiServer(rows_from_landing(demo_landing), token=TOKEN) as server:
        extract_month(_connector(server), fx, "2021-01", tmp_path / "calm", LAG)
        server.fail_with(429, times=1, retry_after="0")
        server.fail_with(503, times=2)
        extract_month(_connector(server), fx, "2021-01", tmp_path / "stormy", LAG)
        assert [s for _, _, s in server.requests] == [200, 429, 503, 503, 200]
    assert _folder_bytes(tmp_path / "calm", fx, "2021-01") == _folder_bytes(tmp_path / "stormy", fx, "2021-01")


def test_a_failed_extract_leaves_the_month_as_it_was_and_names_the_entity_and_step(demo_landing, tmp_path):
    fx = next(e for e in MARKET if e.entity == "fx_rates")
    with MarketApiServer(rows_from_landing(demo_landing), token=TOKEN) as server:
        extract_month(_connector(server), fx, "2021-01", tmp_path, LAG)
        before = _folder_bytes(tmp_path, fx, "2021-01")
        server.fail_with(500, times=1)
        with pytest.raises(ConnectorError) as failure:
            extract_month(_connector(server), fx, "2021-01", tmp_path, LAG)
        assert (failure.value.entity, failure.value.month, failure.value.where) == (
            "market_fx_rates",
            "2021-01",
            "request",
        )
        assert "HTTP 500" in str(failure.value)
        assert _folder_bytes(tmp_path, fx, "2021-01") == before
        assert sorted(p.name for p in fx.landing_dir(tmp_path, "x").parent.iterdir()) == ["2021-01"]
        # and again after the outage: the same bytes
        extract_month(_connector(server), fx, "2021-01", tmp_path, LAG)
        assert _folder_bytes(tmp_path, fx, "2021-01") == before


def test_the_token_never_shows_in_errors_logs_or_the_manifest(demo_landing, tmp_path, caplog):
    fx = next(e for e in MARKET if e.entity == "fx_rates")
    caplog.set_level(logging.DEBUG)
    with MarketApiServer(rows_from_landing(demo_landing), token=TOKEN) as server:
        extract_month(_connector(server), fx, "2021-01", tmp_path, LAG)
        server.fail_with(503, times=1)
        wrong = MarketHttpConnector(HttpSourceConnection(server.url, token="wrong-" + TOKEN, backoff_seconds=0.01))
        with pytest.raises(ConnectorError) as failure:
            extract_month(wrong, fx, "2021-02", tmp_path, LAG)
        assert "HTTP 401" in str(failure.value)
        described = _connector(server).describe(fx)
    seen = [str(failure.value), caplog.text, (fx.landing_dir(tmp_path, "2021-01") / MANIFEST_FILE).read_text()]
    seen.append(described)
    assert not [text for text in seen if TOKEN in text]


def test_json_answers_give_the_same_file_as_csv(demo_landing, tmp_path):
    size = next(e for e in MARKET if e.entity == "market_size")
    with MarketApiServer(rows_from_landing(demo_landing), token=TOKEN) as server:
        as_csv = extract_month(_connector(server), size, "2021-02", tmp_path / "csv", LAG)
        json_connector = MarketHttpConnector(
            HttpSourceConnection(server.url, token=TOKEN), paths={size.name: "/market_size.json"}
        )
        as_json = extract_month(json_connector, size, "2021-02", tmp_path / "json", LAG)
    assert as_csv.rows == as_json.rows > 0
    csv_folder, json_folder = (_folder_bytes(tmp_path / k, size, "2021-02") for k in ("csv", "json"))
    assert csv_folder[Path(as_csv.files[0]).name] == json_folder[Path(as_json.files[0]).name]
