"""The CRM connector against the local Salesforce-shaped API serving a tiny demo company's CRM.

Each test starts its own server (``orchestration.demo.crm_api_server``) on 127.0.0.1, bounded by
a request budget, a socket timeout and the client's timeout. The expected rows are the demo's
CRM landing files read with pandas (or rows changed by hand in the test), never the code under
test: month by month, the CRM extracted through the API must be the landing zone the demo wrote.
"""

from __future__ import annotations

import json
import logging
import math
import time
from datetime import datetime, timedelta
from pathlib import Path

import duckdb
import pandas as pd
import pytest

from orchestration.connectors.errors import ConnectorError
from orchestration.connectors.extract import ExtractWindow, extract_month
from orchestration.connectors.landing_files import extract_path
from orchestration.connectors.salesforce import (
    SalesforceApiError,
    SalesforceClient,
    SalesforceConnection,
    SalesforceConnector,
    soql_for,
)
from orchestration.demo import generate_company
from orchestration.demo.crm_api_server import CrmApiServer, records_from_landing
from orchestration.ingestion import LandingFolderReader, load_month
from orchestration.sources import CRM, entity

MONTHS = ["2023-01", "2023-02", "2023-03"]
LAG = timedelta(hours=3)
CLIENT_ID = "3MVG9-demo-connected-app"
CLIENT_SECRET = "F7C2E8A1B9D04F6E8C3A-demo-client-secret"
#: the Salesforce object of each CRM entity, written out by hand
OBJECTS = {
    "crm_territories": "Territory2",
    "crm_users": "User",
    "crm_accounts": "Account",
    "crm_opportunities": "Opportunity",
    "crm_opportunity_history": "OpportunityHistory",
    "crm_opportunity_line_items": "OpportunityLineItem",
    "crm_quotas": "ForecastingQuota",
}
OPPORTUNITIES, HISTORY, USERS = entity("crm_opportunities"), entity("crm_opportunity_history"), entity("crm_users")


@pytest.fixture(scope="module")
def demo(tmp_path_factory) -> Path:
    """Three months of a tiny demo company's landing zone."""
    root = tmp_path_factory.mktemp("crm-demo") / "landing"
    generate_company(root, seed=5, scale=0.05, start=MONTHS[0], through=MONTHS[-1])
    return root


def serve(demo: Path, months: int) -> CrmApiServer:
    """A server holding the CRM as of the end of ``MONTHS[months - 1]``, bounded for a test."""
    records = records_from_landing(demo, MONTHS[:months])
    return CrmApiServer(records, CLIENT_ID, CLIENT_SECRET, max_requests=600, request_timeout=5)


def connector(server: CrmApiServer, **options) -> SalesforceConnector:
    settings = {"max_requests_per_second": 0, "max_retries": 3, "backoff_seconds": 0.01, "timeout_seconds": 5}
    return SalesforceConnector(SalesforceConnection(server.url, CLIENT_ID, CLIENT_SECRET, **{**settings, **options}))


def landing_frame(root: Path, source, month: str) -> pd.DataFrame:
    """A month's landing file read as text, sorted by key."""
    frame = pd.read_csv(extract_path(root, source, month), dtype=str, keep_default_na=False)
    return frame.sort_values(list(source.key)).reset_index(drop=True)


def tree(root: Path) -> dict[str, bytes]:
    """Every file under ``root`` (hidden folders too) and its bytes."""
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def salesforce_text(stamp: str) -> str:
    """``2023-02-10T10:00:00Z`` (landing) as Salesforce writes it."""
    return stamp.removesuffix("Z") + ".000+0000"


def query_gets(server: CrmApiServer, since: int = 0) -> list[tuple[str, str, int]]:
    return [r for r in server.requests[since:] if r[0] == "GET"]


def token_posts(server: CrmApiServer) -> list[tuple[str, str, int]]:
    return [r for r in server.requests if r[0] == "POST" and r[1] == "/services/oauth2/token"]


def extract_months_in_order(demo: Path, out: Path, server: CrmApiServer, crm: SalesforceConnector, months: int):
    """The CRM month by month, the server holding the CRM as of each month's end."""
    results = {}
    for i, month in enumerate(MONTHS[:months]):
        server.load(records_from_landing(demo, MONTHS[: i + 1]))
        for source in CRM:
            results[source.name, month] = extract_month(crm, source, month, out, LAG)
    return results


# ---------------------------------------------------------------- the whole CRM
def test_the_crm_extracted_month_by_month_is_the_demo_landing_zone_and_loads_the_same_raw_rows(demo, tmp_path):
    out = tmp_path / "landing"
    with serve(demo, 1) as server:
        crm = connector(server)
        results = extract_months_in_order(demo, out, server, crm, len(MONTHS))
        paths = {path for method, path, _ in server.requests if method == "GET"}
        assert {"/services/data/v60.0/query", "/services/data/v60.0/queryAll"} <= paths
        assert len(token_posts(server)) == 1
    for source in CRM:
        for month in MONTHS:
            pd.testing.assert_frame_equal(landing_frame(out, source, month), landing_frame(demo, source, month))
            manifest = json.loads((source.landing_dir(out, month) / "_extract.json").read_text())
            assert manifest["connector"] == "salesforce"
            assert manifest["source"] == f"salesforce {server.url} {OBJECTS[source.name]}"
            assert results[source.name, month].rows == len(landing_frame(demo, source, month))

    def raw_rows(root: Path) -> dict[str, list[tuple]]:
        rows = {}
        with duckdb.connect() as con:
            for source in CRM:
                for month in MONTHS:
                    load_month(con, source, month, LandingFolderReader(root), "test", datetime(2024, 1, 1))
                rows[source.name] = con.execute(
                    f"SELECT * EXCLUDE (_load_id, _loaded_at, _source_row) FROM {source.raw_table} "
                    "ORDER BY _partition_month, Id"
                ).fetchall()
        return rows

    expected, extracted = raw_rows(demo), raw_rows(out)
    assert sum(len(v) for v in expected.values()) > 1000
    assert extracted == expected


def test_small_pages_give_many_pages_and_the_same_rows(demo, tmp_path):
    out = tmp_path / "landing"
    with serve(demo, 1) as server:
        crm = connector(server, page_size=50)
        for source in CRM:
            before = len(server.requests)
            result = extract_month(crm, source, MONTHS[0], out, LAG)
            expected = landing_frame(demo, source, MONTHS[0])
            pd.testing.assert_frame_equal(landing_frame(out, source, MONTHS[0]), expected)
            pages = max(1, math.ceil(len(expected) / 50))  # the first month reads everything before its end
            assert result.chunks == pages == len(query_gets(server, before)), source.name
        assert max(len(landing_frame(demo, s, MONTHS[0])) for s in CRM) > 200  # some entity had 5+ pages
        server.load(records_from_landing(demo, MONTHS[:2]))
        for source in (OPPORTUNITIES, HISTORY):
            result = extract_month(crm, source, MONTHS[1], out, LAG)
            pd.testing.assert_frame_equal(landing_frame(out, source, MONTHS[1]), landing_frame(demo, source, MONTHS[1]))
            assert result.chunks >= 2


def test_the_soql_is_the_documented_shape_and_the_server_refuses_any_other(demo):
    window = ExtractWindow("2024-03", datetime(2024, 2, 29, 21), datetime(2024, 4, 1))
    assert soql_for(HISTORY, "OpportunityHistory", window) == (
        "SELECT Id, OpportunityId, StageName, Amount, Probability, ForecastCategory, CloseDate, CreatedDate, "
        "SystemModstamp, IsDeleted FROM OpportunityHistory "
        "WHERE SystemModstamp >= 2024-02-29T21:00:00Z AND SystemModstamp < 2024-04-01T00:00:00Z "
        "ORDER BY SystemModstamp, Id"
    )
    assert soql_for(USERS, "User", ExtractWindow("2024-03", None, None)) == (
        "SELECT Id, Name, Email, UserRoleName, ManagerId, Territory__c, IsActive, HireDate__c, LastModifiedDate, "
        "SystemModstamp FROM User ORDER BY SystemModstamp, Id"
    )
    with serve(demo, 1) as server:
        client = SalesforceClient(SalesforceConnection(server.url, CLIENT_ID, CLIENT_SECRET, timeout_seconds=5))
        with pytest.raises(SalesforceApiError, match="HTTP 400 MALFORMED_QUERY") as refused:
            list(client.query_pages("SELECT Id FROM Opportunity WHERE Name = 'x' ORDER BY SystemModstamp, Id"))
        assert refused.value.where == "page 1"
        with pytest.raises(SalesforceApiError, match="HTTP 400 INVALID_FIELD"):
            list(client.query_pages("SELECT Id, Nope__c FROM Opportunity ORDER BY SystemModstamp, Id"))


# ---------------------------------------------------------------- faults
def test_an_expired_token_is_replaced_once_and_the_extract_carries_on(demo, tmp_path):
    with serve(demo, 1) as server:
        extract_month(connector(server, page_size=50), HISTORY, MONTHS[0], tmp_path / "undisturbed", LAG)
        undisturbed_tokens = len(token_posts(server))
        before = len(server.requests)
        server.expire_tokens_after(2)  # pages 1 and 2 pass, page 3 meets 401
        result = extract_month(connector(server, page_size=50), HISTORY, MONTHS[0], tmp_path / "landing", LAG)
        statuses = [status for _, _, status in server.requests[before:]]
        disturbed_tokens = len(token_posts(server)) - undisturbed_tokens
    assert undisturbed_tokens == 1
    assert disturbed_tokens == undisturbed_tokens + 1
    assert statuses.count(401) == 1
    assert result.chunks == math.ceil(len(landing_frame(demo, HISTORY, MONTHS[0])) / 50) >= 3
    pd.testing.assert_frame_equal(
        landing_frame(tmp_path / "landing", HISTORY, MONTHS[0]), landing_frame(demo, HISTORY, MONTHS[0])
    )


def test_throttling_and_outages_are_retried_with_retry_after_honoured(demo, tmp_path):
    with serve(demo, 1) as server:
        server.fail_with(429, times=1, retry_after=1)
        server.fail_with(503, times=2)
        started = time.perf_counter()
        extract_month(connector(server, page_size=50), HISTORY, MONTHS[0], tmp_path / "landing", LAG)
        seconds = time.perf_counter() - started
        statuses = [status for _, _, status in query_gets(server)]
    assert statuses.count(429) == 1 and statuses.count(503) == 2
    assert 1.0 <= seconds < 10  # the backoff alone is 0.01 s: the wait is Retry-After's second
    pd.testing.assert_frame_equal(
        landing_frame(tmp_path / "landing", HISTORY, MONTHS[0]), landing_frame(demo, HISTORY, MONTHS[0])
    )


def test_an_outage_longer_than_the_retries_fails_naming_the_page(demo, tmp_path):
    with serve(demo, 1) as server:
        server.fail_with(503, times=10)
        with pytest.raises(ConnectorError) as failed:
            extract_month(connector(server, max_retries=2), OPPORTUNITIES, MONTHS[0], tmp_path, LAG)
        assert [s for _, _, s in query_gets(server)] == [503, 503, 503]
    assert failed.value.where == "page 1"
    assert "HTTP 503 SERVER_UNAVAILABLE" in str(failed.value) and "after 2 retries" in str(failed.value)
    assert not (tmp_path / "crm").exists()


def test_a_server_that_does_not_answer_fails_at_the_token_after_the_retries(demo, tmp_path):
    with serve(demo, 1) as server:
        pass  # stopped: nothing listens on its port any more
    with pytest.raises(ConnectorError) as failed:
        extract_month(connector(server, max_retries=2), HISTORY, MONTHS[0], tmp_path, LAG)
    assert str(failed.value) == (
        f"crm_opportunity_history 2023-01: token: no response from {server.url}: ConnectionError "
        "(gave up after 2 retries)"
    )


def test_the_rate_limit_spaces_the_requests(demo, tmp_path):
    with serve(demo, 1) as server:
        started = time.perf_counter()
        extract_month(connector(server, page_size=50, max_requests_per_second=10), HISTORY, MONTHS[0], tmp_path, LAG)
        seconds = time.perf_counter() - started
        requests_made = len(server.requests)
    assert requests_made >= 5
    assert seconds >= (requests_made - 1) / 10


def test_a_page_that_keeps_failing_leaves_the_landing_zone_and_the_rerun_gives_the_same_bytes(demo, tmp_path):
    out = tmp_path / "landing"
    with serve(demo, 1) as server:
        extract_month(connector(server, page_size=50), HISTORY, MONTHS[0], out, LAG)
        undisturbed = tree(out)
        server.fail_page(3)
        with pytest.raises(ConnectorError) as failed:
            extract_month(connector(server, page_size=50), HISTORY, MONTHS[0], out, LAG)
        assert tree(out) == undisturbed
        server.clear_faults()
        extract_month(connector(server, page_size=50), HISTORY, MONTHS[0], out, LAG)
    error = failed.value
    assert (error.entity, error.month, error.where) == ("crm_opportunity_history", MONTHS[0], "page 3")
    assert str(error).startswith("crm_opportunity_history 2023-01: page 3: HTTP 500 UNKNOWN_EXCEPTION")
    assert tree(out) == undisturbed
    assert len(undisturbed) == 2  # the data file and the manifest


def test_a_record_changed_between_pages_is_delivered_once_in_its_latest_version(demo, tmp_path):
    expected = landing_frame(demo, OPPORTUNITIES, MONTHS[1])
    by_cursor = expected.sort_values(["LastModifiedDate", "Id"]).reset_index(drop=True)
    changed = by_cursor.iloc[len(by_cursor) // 2]  # served on a page after the first
    at = by_cursor["LastModifiedDate"].iloc[-1]  # the month's last change: later, still inside the window
    assert changed["LastModifiedDate"] < at < "2023-03-01"
    changes = {"StageName": "Negotiation/Review", "Amount": 4321.5, "LastModifiedDate": salesforce_text(at)}
    with serve(demo, 1) as server:
        crm = connector(server, page_size=20)
        extract_month(crm, OPPORTUNITIES, MONTHS[0], tmp_path, LAG)
        server.load(records_from_landing(demo, MONTHS[:2]))
        server.change_between_pages("Opportunity", changed["Id"], changes, at)
        before = len(server.requests)
        extract_month(crm, OPPORTUNITIES, MONTHS[1], tmp_path, LAG)
        assert len(query_gets(server, before)) >= 3
        assert server.records("Opportunity")[changed["Id"]]["StageName"] == "Negotiation/Review"
    row = expected.index[expected["Id"] == changed["Id"]]
    expected.loc[row, ["StageName", "Amount", "LastModifiedDate"]] = ["Negotiation/Review", "4321.50", at]
    extracted = landing_frame(tmp_path, OPPORTUNITIES, MONTHS[1])
    assert (extracted["Id"] == changed["Id"]).sum() == 1
    pd.testing.assert_frame_equal(extracted, expected)


def test_a_record_changed_after_the_windows_end_is_left_for_the_next_months_extract(demo, tmp_path):
    february = landing_frame(demo, OPPORTUNITIES, MONTHS[1])
    changed = february.sort_values(["LastModifiedDate", "Id"]).iloc[len(february) // 2]
    at = "2023-03-02T08:15:00Z"
    changes = {"StageName": "Closed Won", "LastModifiedDate": salesforce_text(at)}
    with serve(demo, 1) as server:
        crm = connector(server, page_size=20)
        extract_month(crm, OPPORTUNITIES, MONTHS[0], tmp_path, LAG)
        server.load(records_from_landing(demo, MONTHS[:2]))
        server.change_between_pages("Opportunity", changed["Id"], changes, at)
        result = extract_month(crm, OPPORTUNITIES, MONTHS[1], tmp_path, LAG)
        march = extract_month(crm, OPPORTUNITIES, MONTHS[2], tmp_path, LAG)
    assert result.after_window == 1
    expected = february[february["Id"] != changed["Id"]].reset_index(drop=True)
    pd.testing.assert_frame_equal(landing_frame(tmp_path, OPPORTUNITIES, MONTHS[1]), expected)
    assert march.rows == 1
    delivered = landing_frame(tmp_path, OPPORTUNITIES, MONTHS[2]).iloc[0]
    assert (delivered["Id"], delivered["StageName"], delivered["LastModifiedDate"]) == (changed["Id"], "Closed Won", at)
    assert delivered["Name"] == changed["Name"]


def test_a_deleted_record_becomes_a_tombstone_and_leaves_the_data_file(demo, tmp_path):
    february = landing_frame(demo, OPPORTUNITIES, MONTHS[1])
    gone = february[february["LastModifiedDate"] < "2023-02-20"].iloc[0]
    users = landing_frame(demo, USERS, MONTHS[1])
    departed = users.iloc[3]
    with serve(demo, 1) as server:
        crm = connector(server)
        extract_month(crm, OPPORTUNITIES, MONTHS[0], tmp_path, LAG)
        server.load(records_from_landing(demo, MONTHS[:2]))
        server.delete("Opportunity", gone["Id"], "2023-02-25T10:00:00Z")
        server.delete("User", departed["Id"], "2023-02-25T10:00:00Z")
        result = extract_month(crm, OPPORTUNITIES, MONTHS[1], tmp_path, LAG)
        extract_month(crm, USERS, MONTHS[1], tmp_path, LAG)
    folder = OPPORTUNITIES.landing_dir(tmp_path, MONTHS[1])
    tombstones = json.loads((folder / "_deleted.json").read_text())
    assert tombstones["deleted"] == [{"Id": gone["Id"], "LastModifiedDate": gone["LastModifiedDate"]}]
    assert result.deleted == 1
    expected = february[february["Id"] != gone["Id"]].reset_index(drop=True)
    pd.testing.assert_frame_equal(landing_frame(tmp_path, OPPORTUNITIES, MONTHS[1]), expected)
    # a snapshot reads with query, which hides deleted records: the user is simply not there
    expected_users = users[users["Id"] != departed["Id"]].reset_index(drop=True)
    pd.testing.assert_frame_equal(landing_frame(tmp_path, USERS, MONTHS[1]), expected_users)
    assert not (USERS.landing_dir(tmp_path, MONTHS[1]) / "_deleted.json").exists()


def test_extracting_a_month_twice_gives_the_same_bytes(demo, tmp_path):
    out = tmp_path / "landing"
    with serve(demo, 1) as server:
        crm = connector(server, page_size=40)
        extract_months_in_order(demo, out, server, crm, 2)
        first = tree(out)
        for source in CRM:
            extract_month(crm, source, MONTHS[1], out, LAG)
    assert len(first) == 2 * 2 * len(CRM)
    assert tree(out) == first


# ---------------------------------------------------------------- secrets
def test_no_secret_is_logged_raised_written_or_described(demo, tmp_path, caplog):
    caplog.set_level(logging.DEBUG)
    out = tmp_path / "landing"
    with serve(demo, 1) as server:
        crm = connector(server, page_size=50)
        server.expire_tokens_after(1)
        server.fail_with(429, times=1, retry_after=0)
        extract_month(crm, HISTORY, MONTHS[0], out, LAG)
        server.fail_page(2)
        with pytest.raises(ConnectorError) as failed:
            extract_month(crm, OPPORTUNITIES, MONTHS[0], out, LAG)
        server.clear_faults()
        extract_month(crm, OPPORTUNITIES, MONTHS[0], out, LAG)
        with pytest.raises(ConnectorError) as refused:
            wrong = SalesforceConnection(server.url, CLIENT_ID, "Wrong-Secret-0123456789", timeout_seconds=5)
            extract_month(SalesforceConnector(wrong), HISTORY, MONTHS[0], tmp_path / "other", LAG)
        tokens = server.issued_tokens
        described = [crm.describe(source) for source in CRM]
    assert len(tokens) == 2
    assert crm.secrets() == (CLIENT_SECRET, tokens[-1])
    assert refused.value.where == "token"
    assert str(refused.value) == (
        "crm_opportunity_history 2023-01: token: HTTP 400 invalid_client: invalid client credentials"
    )
    assert "orchestration.connectors.salesforce" in {r.name for r in caplog.records}
    assert "urllib3.connectionpool" in {r.name for r in caplog.records}
    written = "\n".join(b.decode() for b in tree(out).values())
    shown = [caplog.text, str(failed.value), repr(failed.value), str(refused.value), written, *described]
    shown.append(repr(crm.connection))
    for secret in (CLIENT_SECRET, "Wrong-Secret-0123456789", *tokens):
        assert all(secret not in text for text in shown)
    assert described[3] == f"salesforce {server.url} Opportunity"
