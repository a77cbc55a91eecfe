"""Which months a connector extracts: each month once, snapshots only for the month being closed."""

from __future__ import annotations

from datetime import timedelta

import pandas as pd
import pytest

from orchestration.connectors.deliveries import deliver_months, delivery_metadata, latest_cursor, months_to_extract
from orchestration.connectors.extract import ExtractWindow
from orchestration.connectors.landing_files import write_extract
from orchestration.sources import BY_NAME

CUSTOMERS = BY_NAME["erp_customers"]  # delta
TERRITORIES = BY_NAME["crm_territories"]  # snapshot
MONTHS = ["2024-01", "2024-02", "2024-03"]


def _customers(numbers: list[str], updated: list[str]) -> pd.DataFrame:
    n = len(numbers)
    return pd.DataFrame(
        {
            "customer_number": numbers,
            "customer_name": ["Acme"] * n,
            "country_code": ["US"] * n,
            "region_code": ["NAM"] * n,
            "currency_code": ["USD"] * n,
            "payment_terms": ["N30"] * n,
            "created_at": pd.to_datetime(["2023-12-01"] * n),
            "updated_at": pd.to_datetime(updated, format="ISO8601"),
        }
    )


class ListSource:
    """A source holding a fixed list of customer rows; records every window it was asked for."""

    kind = "list"

    def __init__(self, rows: pd.DataFrame) -> None:
        self.rows, self.windows = rows, []

    def describe(self, entity) -> str:
        return "list://customers"

    def secrets(self) -> tuple[str, ...]:
        return ()

    def fetch(self, entity, window: ExtractWindow):
        self.windows.append(window)
        rows = self.rows
        if window.since is not None:
            rows = rows[rows.updated_at >= window.since]
        if window.until is not None:
            rows = rows[rows.updated_at < window.until]
        yield rows


def test_delta_months_already_delivered_are_not_extracted_again(tmp_path):
    write_extract(tmp_path, CUSTOMERS, "2024-01", _customers(["C1"], ["2024-01-10"]))
    assert months_to_extract(CUSTOMERS, MONTHS, tmp_path) == ["2024-02", "2024-03"]
    assert months_to_extract(CUSTOMERS, MONTHS, tmp_path, reextract=True) == MONTHS


def test_a_snapshot_is_extracted_for_the_last_month_of_the_run_only_and_once(tmp_path):
    assert months_to_extract(TERRITORIES, MONTHS, tmp_path) == ["2024-03"]
    folder = TERRITORIES.landing_dir(tmp_path, "2024-03")
    folder.mkdir(parents=True)
    (folder / "territories_202403.csv").write_text("Id\n")
    assert months_to_extract(TERRITORIES, MONTHS, tmp_path) == []
    assert months_to_extract(TERRITORIES, MONTHS, tmp_path, reextract=True) == ["2024-03"]


def test_a_run_extracts_the_missing_months_in_order_and_reports_every_month(tmp_path):
    source = ListSource(_customers(["C1", "C2", "C3"], ["2024-01-10", "2024-02-10", "2024-03-31 23:00"]))
    write_extract(tmp_path, CUSTOMERS, "2024-01", _customers(["C1"], ["2024-01-10"]))
    deliveries = deliver_months(source, CUSTOMERS, MONTHS, tmp_path, timedelta(hours=2))
    assert [(d.month, d.how) for d in deliveries.values()] == [
        ("2024-01", "in landing"),
        ("2024-02", "extracted"),
        ("2024-03", "extracted"),
    ]
    # months in order: February's window starts at the lag before its first instant, since January is there
    assert [(w.since, w.until) for w in source.windows] == [
        (pd.Timestamp("2024-01-31 22:00"), pd.Timestamp("2024-03-01")),
        (pd.Timestamp("2024-02-29 22:00"), pd.Timestamp("2024-04-01")),
    ]
    assert deliveries["2024-01"].manifest is None  # files from elsewhere: no extract record
    assert [d.manifest["rows"] for d in list(deliveries.values())[1:]] == [1, 1]
    assert latest_cursor(deliveries) == "2024-03-31T23:00:00"
    meta = delivery_metadata(deliveries["2024-03"])
    assert meta == {
        "delivery": "extracted",
        "source": "list://customers",
        "extract_window": "2024-02-29T22:00:00 .. 2024-04-01T00:00:00",
        "cursor": "2024-03-31T23:00:00",
        "rows_extracted": 1,
        "deleted_extracted": 0,
    }


@pytest.mark.parametrize("lag", [timedelta(-1), timedelta(days=28)])
def test_a_lag_window_outside_the_month_before_is_refused(tmp_path, lag):
    with pytest.raises(ValueError, match="lag window"):
        deliver_months(ListSource(_customers([], [])), CUSTOMERS, MONTHS, tmp_path, lag)
