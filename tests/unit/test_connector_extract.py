"""The extract framework with a source held in memory: window, exactly once, merge, tombstones, atomicity.

The real systems (PostgreSQL, the CRM and market APIs) are tested in ``tests/integration``; here
every expectation is a hand-written row, so each rule of ``orchestration.connectors.extract``
is pinned on its own.
"""

from __future__ import annotations

import json
from datetime import timedelta

import pandas as pd
import pytest

from orchestration.connectors.errors import ConnectorError, redact
from orchestration.connectors.extract import MANIFEST_FILE, ExtractWindow, extract_month, tombstones
from orchestration.sources import BY_NAME

CUSTOMERS = BY_NAME["erp_customers"]
LAG = timedelta(hours=3)


def _row(number: str, updated: str, name: str = "Acme", deleted: bool = False) -> dict:
    return {
        "customer_number": number,
        "customer_name": name,
        "country_code": "US",
        "region_code": "NAM",
        "currency_code": "USD",
        "payment_terms": "N30",
        "created_at": "2023-12-01T00:00:00Z",
        "updated_at": updated,
        "_deleted": deleted,
    }


class PagedSource:
    """Serves its rows in pages of ``page_size``, filtered by the window; can fail on a page."""

    kind = "memory"

    def __init__(self, rows: list[dict], page_size: int = 100, fail_on_page: int | None = None) -> None:
        self.rows, self.page_size, self.fail_on_page = rows, page_size, fail_on_page

    def describe(self, entity) -> str:
        return "memory://erp password=hunter2"

    def secrets(self) -> tuple[str, ...]:
        return ("hunter2",)

    def fetch(self, entity, window: ExtractWindow):
        stamps = [pd.Timestamp(r["updated_at"]).tz_localize(None) for r in self.rows]
        rows = [
            r
            for r, t in zip(self.rows, stamps)
            if (window.since is None or t >= window.since) and (window.until is None or t < window.until)
        ]
        for page, start in enumerate(range(0, max(len(rows), 1), self.page_size), start=1):
            if page == self.fail_on_page:
                raise ConnectorError(entity.name, window.month, f"page {page}", "HTTP 500 (hunter2)", self.secrets())
            yield pd.DataFrame(rows[start : start + self.page_size] or [], columns=list(_row("x", "2024-01-01")))


def _file_rows(root, month: str) -> list[tuple[str, str, str]]:
    path = CUSTOMERS.landing_dir(root, month) / f"customers_{month.replace('-', '')}.csv"
    frame = pd.read_csv(path, dtype=str)
    return list(frame[["customer_number", "customer_name", "updated_at"]].itertuples(index=False, name=None))


def _folder(root, month: str) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(CUSTOMERS.landing_dir(root, month).iterdir())}


def test_the_first_month_is_the_initial_load_and_later_months_read_from_the_lag_before_them(tmp_path):
    source = PagedSource([_row("C0", "2023-06-01T00:00:00Z"), _row("C1", "2024-01-31T23:00:00Z")])
    first = extract_month(source, CUSTOMERS, "2024-01", tmp_path, LAG)
    assert (first.since, first.until, first.rows) == (None, "2024-02-01T00:00:00", 2)
    second = extract_month(source, CUSTOMERS, "2024-02", tmp_path, LAG)
    # C1 is inside February's lag window but January delivered it: not again
    assert (second.since, second.rows, second.already_delivered) == ("2024-01-31T21:00:00", 0, 1)


def test_a_row_committed_late_is_delivered_by_the_next_month_exactly_once(tmp_path):
    rows = [_row("C1", "2024-01-15T10:00:00Z")]
    source = PagedSource(rows)
    extract_month(source, CUSTOMERS, "2024-01", tmp_path, LAG)
    # committed after January's extract, stamped in January's last hour
    rows.append(_row("C2", "2024-01-31T22:30:00Z"))
    extract_month(source, CUSTOMERS, "2024-02", tmp_path, LAG)
    extract_month(source, CUSTOMERS, "2024-03", tmp_path, LAG)
    assert _file_rows(tmp_path, "2024-01") == [("C1", "Acme", "2024-01-15T10:00:00Z")]
    assert _file_rows(tmp_path, "2024-02") == [("C2", "Acme", "2024-01-31T22:30:00Z")]
    assert _file_rows(tmp_path, "2024-03") == []


def test_a_key_read_twice_keeps_its_latest_version_and_changes_after_the_window_wait(tmp_path):
    rows = [
        _row("C1", "2024-02-03T00:00:00Z", "Acme"),
        _row("C2", "2024-02-04T00:00:00Z"),
        # C1 again on a later page: changed while the extract ran
        _row("C1", "2024-02-20T00:00:00Z", "Acme Corp"),
        # changed after the month ended (a source that ignores the upper bound): next month's
        _row("C3", "2024-03-01T00:00:00Z"),
    ]

    class IgnoresUntil(PagedSource):
        def fetch(self, entity, window):
            return super().fetch(entity, ExtractWindow(window.month, window.since, None))

    result = extract_month(IgnoresUntil(rows, page_size=2), CUSTOMERS, "2024-02", tmp_path, LAG)
    assert (result.chunks, result.rows, result.merged_versions, result.after_window) == (2, 2, 1, 1)
    assert _file_rows(tmp_path, "2024-02") == [
        ("C1", "Acme Corp", "2024-02-20T00:00:00Z"),
        ("C2", "Acme", "2024-02-04T00:00:00Z"),
    ]
    assert result.cursor == "2024-02-20T00:00:00"


def test_deleted_rows_become_tombstones_not_rows(tmp_path):
    rows = [_row("C1", "2024-02-03T00:00:00Z"), _row("C2", "2024-02-09T08:00:00Z", deleted=True)]
    result = extract_month(PagedSource(rows), CUSTOMERS, "2024-02", tmp_path, LAG)
    assert (result.rows, result.deleted) == (1, 1)
    assert [r[0] for r in _file_rows(tmp_path, "2024-02")] == ["C1"]
    assert tombstones(CUSTOMERS, tmp_path, "2024-02") == [
        {"customer_number": "C2", "updated_at": "2024-02-09T08:00:00Z"}
    ]


def test_the_same_extract_twice_writes_the_same_bytes(tmp_path):
    source = PagedSource([_row("C1", "2024-02-03T00:00:00Z"), _row("C2", "2024-02-04T00:00:00Z")], page_size=1)
    extract_month(source, CUSTOMERS, "2024-02", tmp_path, LAG)
    once = _folder(tmp_path, "2024-02")
    extract_month(source, CUSTOMERS, "2024-02", tmp_path, LAG)
    assert _folder(tmp_path, "2024-02") == once
    assert sorted(p.name for p in CUSTOMERS.landing_dir(tmp_path, "2024-02").parent.iterdir()) == ["2024-02"]


def test_a_failure_on_a_page_leaves_the_month_as_it_was_and_hides_the_secret(tmp_path):
    rows = [_row(f"C{i}", f"2024-02-0{i + 1}T00:00:00Z") for i in range(5)]
    extract_month(PagedSource(rows[:2]), CUSTOMERS, "2024-02", tmp_path, LAG)
    before = _folder(tmp_path, "2024-02")
    with pytest.raises(ConnectorError) as failure:
        extract_month(PagedSource(rows, page_size=2, fail_on_page=3), CUSTOMERS, "2024-02", tmp_path, LAG)
    assert str(failure.value) == "erp_customers 2024-02: page 3: HTTP 500 (***)"
    assert _folder(tmp_path, "2024-02") == before
    assert sorted(p.name for p in CUSTOMERS.landing_dir(tmp_path, "2024-02").parent.iterdir()) == ["2024-02"]
    # the rerun after the fault delivers everything, once
    extract_month(PagedSource(rows, page_size=2), CUSTOMERS, "2024-02", tmp_path, LAG)
    assert [r[0] for r in _file_rows(tmp_path, "2024-02")] == ["C0", "C1", "C2", "C3", "C4"]


def test_the_manifest_holds_no_secret_and_no_clock_time(tmp_path):
    extract_month(PagedSource([_row("C1", "2024-02-03T00:00:00Z")]), CUSTOMERS, "2024-02", tmp_path, LAG)
    manifest = json.loads((CUSTOMERS.landing_dir(tmp_path, "2024-02") / MANIFEST_FILE).read_text())
    assert manifest["source"] == "memory://erp password=***"
    assert "hunter2" not in json.dumps(manifest)
    assert set(manifest) == {
        "entity", "month", "connector", "source", "since", "until", "cursor", "rows", "deleted", "chunks",
        "merged_versions", "already_delivered", "after_window", "files",
    }  # fmt: skip


def test_a_source_without_a_catalog_column_fails_naming_the_chunk(tmp_path):
    class Short(PagedSource):
        def fetch(self, entity, window):
            for frame in super().fetch(entity, window):
                yield frame.drop(columns=["payment_terms"])

    with pytest.raises(ConnectorError, match=r"erp_customers 2024-02: chunk 1: .*payment_terms"):
        extract_month(Short([_row("C1", "2024-02-03T00:00:00Z")]), CUSTOMERS, "2024-02", tmp_path, LAG)
    assert not CUSTOMERS.landing_dir(tmp_path, "2024-02").exists()


def test_redact_replaces_the_longer_secret_first():
    assert redact("token abc123 and abc", ["abc", "abc123"]) == "token *** and ***"


def test_a_delete_that_keeps_the_rows_version_still_comes_as_a_tombstone_and_only_once(tmp_path):
    # Salesforce-style: deleting moves the cursor (SystemModstamp), not LastModifiedDate
    row = {**_row("C1", "2024-01-31T23:30:00Z"), "_cursor": "2024-01-31T23:30:00Z"}
    source = PagedSource([row])
    extract_month(source, CUSTOMERS, "2024-01", tmp_path, LAG)
    source.rows = [{**row, "_deleted": True, "_cursor": "2024-02-29T23:00:00Z"}]

    class ByCursor(PagedSource):
        def fetch(self, entity, window):
            kept = [
                r
                for r in self.rows
                if window.since is None or pd.Timestamp(r["_cursor"]).tz_localize(None) >= window.since
            ]
            yield pd.DataFrame(kept, columns=list(row))

    february = extract_month(ByCursor(source.rows), CUSTOMERS, "2024-02", tmp_path, LAG)
    assert (february.rows, february.deleted, february.already_delivered) == (0, 1, 0)
    assert tombstones(CUSTOMERS, tmp_path, "2024-02") == [
        {"customer_number": "C1", "updated_at": "2024-01-31T23:30:00Z"}
    ]
    # March's lag window reads the delete again: February delivered that tombstone already
    march = extract_month(ByCursor(source.rows), CUSTOMERS, "2024-03", tmp_path, LAG)
    assert (march.deleted, march.already_delivered) == (0, 1)
    assert tombstones(CUSTOMERS, tmp_path, "2024-03") == []
