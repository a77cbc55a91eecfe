"""The demo company generator: determinism, the catalog contract, consistency, faults."""

from __future__ import annotations

import csv
import filecmp
import io
import re
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow.parquet as pq
import pytest

from orchestration.demo import FAULT_KINDS, Fault, apply_fault, extract_path, generate_company
from orchestration.sources import BY_NAME, CATALOG

SCALE = 0.02
START, THROUGH = "2021-01", "2021-05"
MONTHS = ["2021-01", "2021-02", "2021-03", "2021-04", "2021-05"]

ARROW_TYPE_NAMES = {
    "string": "string",
    "integer": "int64",
    "decimal": "double",
    "date": "date32[day]",
    "timestamp": "timestamp[us]",
    "boolean": "bool",
}
TIMESTAMP = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$")
DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


@pytest.fixture(scope="module")
def landing(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("demo") / "landing"
    summary = generate_company(root, seed=7, scale=SCALE, start=START, through=THROUGH)
    assert summary.months == MONTHS
    assert summary.files == len(CATALOG) * len(MONTHS)
    assert set(summary.rows) == set(BY_NAME)
    return root


def read(root: Path, name: str, month: str) -> pd.DataFrame:
    entity = BY_NAME[name]
    path = extract_path(root, entity, month)
    if entity.file_format == "csv":
        return pd.read_csv(path, dtype=str, keep_default_na=False)
    return pq.read_table(path).to_pandas()


def read_all(root: Path, name: str) -> pd.DataFrame:
    return pd.concat([read(root, name, m).assign(_month=m) for m in MONTHS], ignore_index=True)


def all_files(root: Path) -> list[Path]:
    return sorted(p.relative_to(root) for p in root.rglob("*") if p.is_file())


def cents(values) -> np.ndarray:
    return np.rint(pd.to_numeric(pd.Series(values)).to_numpy(dtype=float) * 100).astype(np.int64)


# ---------------------------------------------------------------- determinism
def test_same_seed_gives_byte_identical_files(landing, tmp_path):
    again = tmp_path / "again"
    generate_company(again, seed=7, scale=SCALE, start=START, through=THROUGH)
    files = all_files(landing)
    assert files == all_files(again)
    match, mismatch, errors = filecmp.cmpfiles(landing, again, [str(f) for f in files], shallow=False)
    assert mismatch == [] and errors == []


def test_another_seed_gives_other_data(landing, tmp_path):
    other = tmp_path / "other"
    generate_company(other, seed=8, scale=SCALE, start=START, through="2021-02")
    for name in ("crm_accounts", "crm_opportunities", "erp_sales_order_lines", "market_fx_rates"):
        path = extract_path(landing, BY_NAME[name], "2021-01")
        assert path.read_bytes() != extract_path(other, BY_NAME[name], "2021-01").read_bytes(), name


def test_month_files_do_not_depend_on_through(landing, tmp_path):
    shorter = tmp_path / "shorter"
    generate_company(shorter, seed=7, scale=SCALE, start=START, through="2021-03")
    files = all_files(shorter)
    assert files and all(str(f).split("/")[2] <= "2021-03" for f in files)
    _, mismatch, errors = filecmp.cmpfiles(landing, shorter, [str(f) for f in files], shallow=False)
    assert mismatch == [] and errors == []


def test_progress_lines_and_summary(tmp_path):
    lines: list[str] = []
    summary = generate_company(
        tmp_path / "p", seed=3, scale=SCALE, start="2021-01", through="2021-02", progress=lines.append
    )
    assert lines == ["generated 2021-01 (1/2)", "generated 2021-02 (2/2)"]
    assert summary.total_rows == sum(summary.rows.values()) > 0
    assert summary.seconds > 0


@pytest.mark.parametrize(
    "kwargs",
    [
        dict(through="2020-12"),
        dict(start="2021-05", through="2021-04"),
        dict(through="2036-01"),
        dict(through="2021-1"),
        dict(through="2021-02", scale=0),
        dict(through="2021-02", seed=-1),
    ],
)
def test_invalid_arguments_are_rejected(tmp_path, kwargs):
    with pytest.raises(ValueError):
        generate_company(tmp_path, **kwargs)


# ---------------------------------------------------------------- the catalog contract
def test_every_entity_has_a_file_per_month_with_the_catalog_columns(landing):
    for entity in CATALOG:
        for month in MONTHS:
            path = extract_path(landing, entity, month)
            assert (
                path
                == landing
                / entity.system
                / entity.entity
                / month
                / f"{entity.entity}_{month.replace('-', '')}{entity.file_suffix}"
            )
            assert path.exists(), path
            if entity.file_format == "csv":
                header = path.read_text(encoding="utf-8").split("\n", 1)[0]
                assert header.split(",") == list(entity.column_names), path
            else:
                schema = pq.read_schema(path)
                assert schema.names == list(entity.column_names), path
                assert [str(t) for t in schema.types] == [ARROW_TYPE_NAMES[c.type] for c in entity.columns], path


def test_csv_format(landing):
    for entity in (e for e in CATALOG if e.file_format == "csv"):
        for month in MONTHS:
            raw = extract_path(landing, entity, month).read_bytes()
            text = raw.decode("utf-8")
            assert "\r" not in text and text.endswith("\n") and not raw.startswith(b"\xef\xbb\xbf")
            rows = list(csv.reader(io.StringIO(text)))
            assert all(len(r) == len(entity.columns) for r in rows), entity.name
            for j, column in enumerate(entity.columns):
                values = [r[j] for r in rows[1:]]
                if not column.nullable:
                    assert all(values), f"{entity.name}.{column.name} has empty values"
                present = [v for v in values if v]
                if column.type == "timestamp":
                    assert all(TIMESTAMP.match(v) for v in present), f"{entity.name}.{column.name}"
                elif column.type == "date":
                    assert all(DATE.match(v) for v in present), f"{entity.name}.{column.name}"
                elif column.type == "boolean":
                    assert set(present) <= {"true", "false"}, f"{entity.name}.{column.name}"
                elif column.type == "integer":
                    assert all(re.match(r"^-?\d+$", v) for v in present), f"{entity.name}.{column.name}"
                elif column.type == "decimal":
                    assert all(re.match(rf"^-?\d+(\.\d{{1,{column.scale}}})?$", v) for v in present), (
                        f"{entity.name}.{column.name}"
                    )


def test_updated_timestamps_lie_in_the_extract_month(landing):
    for entity in CATALOG:
        for month in MONTHS:
            stamps = pd.to_datetime(read(landing, entity.name, month)[entity.updated_at].astype(str).str.rstrip("Z"))
            start = pd.Timestamp(f"{month}-01")
            assert ((stamps >= start) & (stamps < start + pd.offsets.MonthBegin(1))).all(), (entity.name, month)


def test_keys_are_unique(landing):
    for entity in CATALOG:
        frame = read_all(landing, entity.name)
        scope = list(entity.key) if entity.extract == "event" else list(entity.key) + ["_month"]
        assert not frame.duplicated(scope).any(), entity.name


# ---------------------------------------------------------------- consistency
def test_company_shape(landing):
    territories = read(landing, "crm_territories", "2021-05")
    assert sorted(territories.Name) == sorted(
        ["NAM-E", "NAM-W", "LAT", "EUR-DACH", "EUR-SOUTH", "UKI", "APAC-ANZ", "APAC-JP"]
    )
    assert set(territories.Region__c) == {"NAM", "LAT", "EUR", "UKI", "APAC"}
    assert set(territories.CurrencyIsoCode) == {"USD", "EUR", "GBP", "AUD", "JPY"}
    users = read(landing, "crm_users", "2021-05")
    roles = users.UserRoleName.value_counts()
    assert roles["Sales Director"] == 2 and roles["Sales Manager"] == 8
    reps = users[users.UserRoleName == "Sales Rep"]
    assert set(reps.Territory__c) == set(territories.Id)
    assert set(users.ManagerId[users.ManagerId != ""]) <= set(users.Id)
    items = read(landing, "erp_items", "2021-05")
    assert len(items) >= 12 and items.groupby("product_family").size().min() >= 1
    assert items.product_family.nunique() == 12
    assert set(items.lifecycle_status) <= {"planned", "active", "phase-out", "obsolete"}


def test_order_lines_reference_customers_and_skus(landing):
    customers = set(read_all(landing, "erp_customers").customer_number)
    skus = set(read_all(landing, "erp_items").sku)
    lines = read_all(landing, "erp_sales_order_lines")
    assert len(lines) > 0
    assert set(lines.customer_number) <= customers
    assert set(lines.sku) <= skus
    assert (lines.quantity > 0).all() and (lines.unit_price > 0).all()
    assert lines.crm_opportunity_id.isna().mean() > 0.5  # mostly run-rate replenishment


def test_shipments_and_invoices_are_consistent(landing):
    lines = read_all(landing, "erp_sales_order_lines")
    shipments = read_all(landing, "erp_shipments")
    invoices = read_all(landing, "erp_invoices")
    invoice_lines = read_all(landing, "erp_invoice_lines")
    ordered = lines.set_index(["order_number", "line_number"]).quantity
    shipped = shipments.groupby(["order_number", "line_number"]).quantity_shipped.sum()
    assert shipped.index.isin(ordered.index).all()
    assert (shipped <= ordered.reindex(shipped.index)).all()
    assert set(invoice_lines.shipment_number) == set(shipments.shipment_number)
    assert (invoice_lines.groupby("shipment_number").size() == 1).all()
    assert set(invoice_lines.invoice_number) == set(invoices.invoice_number)
    merged = invoice_lines.merge(shipments, on="shipment_number", suffixes=("", "_shipment"))
    assert (merged.quantity == merged.quantity_shipped).all()
    headers = invoices.set_index("invoice_number")
    dates = pd.to_datetime(merged.ship_date).dt.date
    assert (
        dates.to_numpy() == pd.to_datetime(headers.loc[merged.invoice_number].invoice_date).dt.date.to_numpy()
    ).all()
    totals = invoice_lines.assign(c=cents(invoice_lines.net_amount)).groupby("invoice_number").c.sum()
    assert (totals.reindex(headers.index).to_numpy() == cents(headers.total_amount)).all()
    assert (invoice_lines.groupby("invoice_number").order_number.nunique() == 1).all()


def test_opportunity_amount_is_the_sum_of_its_line_items(landing):
    opps = read_all(landing, "crm_opportunities")
    items = read_all(landing, "crm_opportunity_line_items")
    assert len(opps) > 0 and set(items.OpportunityId) == set(opps.Id)
    item_cents = cents(items.TotalPrice)
    assert (item_cents == np.rint(cents(items.Quantity) / 100 * cents(items.UnitPrice)).astype(np.int64)).all()
    by_opp = items.assign(c=item_cents).groupby("OpportunityId").c.sum()
    assert (cents(opps.Amount) == by_opp.loc[opps.Id].to_numpy()).all()
    history = read_all(landing, "crm_opportunity_history")
    assert set(history.OpportunityId) == set(opps.Id)
    probability = {
        "Prospecting": "10",
        "Qualification": "20",
        "Needs Analysis": "30",
        "Proposal": "50",
        "Negotiation": "75",
        "Closed Won": "100",
        "Closed Lost": "0",
    }
    assert (opps.Probability == opps.StageName.map(probability)).all()
    assert ((opps.IsWon == "true") == (opps.StageName == "Closed Won")).all()


def test_deal_orders_reference_won_opportunities(tmp_path):
    root = tmp_path / "deals"
    generate_company(root, seed=7, scale=0.05, start="2021-01", through="2021-08")
    opps = pd.concat([pd.read_csv(p, dtype=str, keep_default_na=False) for p in root.glob("crm/opportunities/*/*.csv")])
    won = set(opps.Id[opps.StageName == "Closed Won"])
    lines = pd.concat([pd.read_parquet(p) for p in root.glob("erp/sales_order_lines/*/*.parquet")])
    from_deals = lines.crm_opportunity_id.dropna()
    assert len(from_deals) > 0 and set(from_deals) <= won


def test_every_currency_used_has_a_rate_every_month(landing):
    for month in MONTHS:
        rates = read(landing, "market_fx_rates", month)
        assert (rates.rate_month == f"{month}-01").all()
        known = set(rates.currency_code)
        assert known == {"USD", "EUR", "GBP", "AUD", "JPY"}
        assert rates.set_index("currency_code").usd_per_unit.loc["USD"] == "1.00000000"
        for name, column in (
            ("crm_opportunities", "CurrencyIsoCode"),
            ("crm_opportunity_line_items", "CurrencyIsoCode"),
            ("crm_quotas", "CurrencyIsoCode"),
            ("erp_customers", "currency_code"),
            ("erp_sales_order_lines", "currency_code"),
            ("erp_invoices", "currency_code"),
            ("erp_invoice_lines", "currency_code"),
        ):
            assert set(read(landing, name, month)[column]) <= known, (name, month)


def test_quotas_cover_every_active_rep(landing):
    for month in MONTHS:
        users = read(landing, "crm_users", month)
        quotas = read(landing, "crm_quotas", month)
        active_reps = set(users.Id[(users.UserRoleName == "Sales Rep") & (users.IsActive == "true")])
        assert active_reps <= set(quotas.QuotaOwnerId)
        assert (quotas.QuotaAmount.astype(float) > 0).all()


def test_inventory_is_never_negative_and_receipts_are_open(landing):
    for month in MONTHS:
        stock = read(landing, "erp_inventory_snapshots", month)
        assert (stock.on_hand_qty.astype(float) >= 0).all()
        receipts = read(landing, "erp_scheduled_receipts", month)
        assert (receipts.due_date > receipts.snapshot_date).all()
        assert set(receipts.receipt_type) <= {"PO", "WO"}


def test_about_one_in_eight_accounts_lacks_the_erp_number(tmp_path):
    root = tmp_path / "wide"
    generate_company(root, seed=7, scale=0.3, start="2021-01", through="2021-01")
    accounts = pd.read_csv(extract_path(root, BY_NAME["crm_accounts"], "2021-01"), dtype=str, keep_default_na=False)
    assert len(accounts) > 400
    missing = (accounts.ERP_Customer_Number__c == "").mean()
    assert 0.09 <= missing <= 0.18
    customers = pd.read_csv(extract_path(root, BY_NAME["erp_customers"], "2021-01"), dtype=str, keep_default_na=False)
    linked = accounts[accounts.ERP_Customer_Number__c != ""].merge(
        customers, left_on="ERP_Customer_Number__c", right_on="customer_number"
    )
    assert len(linked) == (accounts.ERP_Customer_Number__c != "").sum()
    respelled = (linked.Name != linked.customer_name).mean()
    assert 0.2 <= respelled <= 0.5


# ---------------------------------------------------------------- faults
@pytest.fixture()
def damaged(landing, tmp_path):
    """A private copy of the clean landing folder and a function that damages it."""
    copy = tmp_path / "landing"
    shutil.copytree(landing, copy)

    def damage(kind: str, entity: str, month: str = "2021-03", rows: int = 3) -> Path:
        return apply_fault(copy, Fault(kind, entity, month, rows), seed=7)

    return copy, damage


def test_fault_kinds_are_documented():
    assert set(FAULT_KINDS) == {
        "malformed_row",
        "missing_column",
        "renamed_column",
        "extra_column",
        "wrong_type",
        "duplicate_keys",
        "negative_amounts",
        "unknown_currency",
        "empty_file",
        "missing_file",
        "stale_extract",
        "wrong_encoding",
        "crm_erp_mismatch",
    }
    assert all(FAULT_KINDS.values())


def test_malformed_row(damaged):
    _, damage = damaged
    path = damage("malformed_row", "erp_inventory_snapshots")
    text = path.read_text(encoding="utf-8")
    lines = text.split("\n")
    widths = [len(next(csv.reader([line]))) for line in lines[1:] if line]
    assert any(w != len(BY_NAME["erp_inventory_snapshots"].columns) for w in widths)
    assert any(line.startswith('"') and line.count('"') % 2 == 1 for line in lines)
    with pytest.raises(Exception):
        pd.read_csv(io.StringIO(text), engine="python", on_bad_lines="error")


@pytest.mark.parametrize("name", ["crm_opportunities", "erp_invoice_lines"])
def test_missing_renamed_and_extra_column(damaged, name):
    root, damage = damaged
    entity = BY_NAME[name]
    expected = list(entity.column_names)
    path = damage("missing_column", name)
    got = list(read(root, name, "2021-03").columns)
    assert len(got) == len(expected) - 1 and set(got) < set(expected)
    assert not next(c for c in entity.columns if c.name not in got).nullable

    damage("renamed_column", name, month="2021-04")
    got = list(read(root, name, "2021-04").columns)
    assert len(got) == len(expected) and len(set(got) - set(expected)) == 1

    damage("extra_column", name, month="2021-05")
    got = list(read(root, name, "2021-05").columns)
    assert got[:-1] == expected and got[-1] not in expected
    assert path.exists()


@pytest.mark.parametrize("name,column", [("crm_opportunities", "Amount"), ("erp_sales_order_lines", "quantity")])
def test_wrong_type(damaged, name, column):
    root, damage = damaged
    damage("wrong_type", name)
    values = read(root, name, "2021-03")[column].astype(str)
    assert pd.to_numeric(values, errors="coerce").isna().sum() == 3


@pytest.mark.parametrize("name,month", [("crm_accounts", "2021-01"), ("erp_invoices", "2021-03")])
def test_duplicate_keys(damaged, name, month):
    root, damage = damaged
    entity = BY_NAME[name]
    before = len(read(root, name, month))
    damage("duplicate_keys", name, month=month)
    frame = read(root, name, month)
    assert len(frame) == before + min(3, before)
    assert frame.duplicated(list(entity.key)).sum() == min(3, before)


@pytest.mark.parametrize("name,column", [("crm_opportunity_line_items", "UnitPrice"), ("erp_invoices", "total_amount")])
def test_negative_amounts(damaged, name, column):
    root, damage = damaged
    damage("negative_amounts", name)
    assert (pd.to_numeric(read(root, name, "2021-03")[column]) < 0).sum() == 3


@pytest.mark.parametrize("name,column", [("crm_quotas", "CurrencyIsoCode"), ("erp_sales_order_lines", "currency_code")])
def test_unknown_currency(damaged, name, column):
    root, damage = damaged
    damage("unknown_currency", name)
    assert (read(root, name, "2021-03")[column] == "XXX").sum() == 3


def test_empty_and_missing_file(damaged):
    _, damage = damaged
    assert damage("empty_file", "erp_shipments").stat().st_size == 0
    path = damage("missing_file", "crm_users")
    assert not path.exists() and path.parent.is_dir()


@pytest.mark.parametrize("name", ["crm_opportunity_history", "erp_shipments"])
def test_stale_extract(damaged, landing, name):
    root, damage = damaged
    column = BY_NAME[name].updated_at
    clean = pd.to_datetime(read(landing, name, "2021-03")[column].astype(str).str.rstrip("Z"))
    damage("stale_extract", name)
    stale = pd.to_datetime(read(root, name, "2021-03")[column].astype(str).str.rstrip("Z"))
    assert ((clean - stale) == pd.Timedelta(days=45)).all()


@pytest.mark.parametrize("name", ["crm_accounts", "market_fx_rates"])
def test_wrong_encoding(damaged, landing, name):
    _, damage = damaged
    clean_text = extract_path(landing, BY_NAME[name], "2021-01").read_text(encoding="utf-8")
    path = damage("wrong_encoding", name, month="2021-01")
    raw = path.read_bytes()
    with pytest.raises(UnicodeDecodeError):
        raw.decode("utf-8")
    encoding = "utf-16" if clean_text.isascii() else "cp1252"
    assert raw.decode(encoding) == clean_text


def test_crm_erp_mismatch(damaged, landing):
    root, damage = damaged
    month = next(m for m in reversed(MONTHS) if (read(landing, "crm_opportunities", m).IsWon == "true").any())
    clean = read(landing, "crm_opportunities", month)
    damage("crm_erp_mismatch", "crm_opportunities", month=month)
    dirty = read(root, "crm_opportunities", month)
    won = clean.IsWon == "true"
    assert (cents(dirty.Amount[won]) == np.rint(cents(clean.Amount[won]) * 1.4)).all()
    assert (dirty.Amount[~won] == clean.Amount[~won]).all()


def test_faults_are_deterministic(landing, tmp_path):
    copies = []
    for name in ("a", "b"):
        copy = tmp_path / name
        shutil.copytree(landing, copy)
        copies.append(
            apply_fault(copy, Fault("duplicate_keys", "erp_sales_order_lines", "2021-02", rows=5)).read_bytes()
        )
    assert copies[0] == copies[1]


@pytest.mark.parametrize(
    "kind,entity",
    [
        ("malformed_row", "erp_invoices"),
        ("wrong_encoding", "erp_items"),
        ("unknown_currency", "erp_shipments"),
        ("crm_erp_mismatch", "erp_invoices"),
        ("negative_amounts", "crm_accounts"),
        ("no_such_fault", "crm_users"),
    ],
)
def test_faults_that_make_no_sense_are_rejected(kind, entity):
    with pytest.raises(ValueError):
        Fault(kind, entity, "2021-03")


def test_generate_company_injects_faults_into_their_month(tmp_path):
    root = tmp_path / "faulty"
    faults = [
        Fault("empty_file", "erp_invoices", "2021-02"),
        Fault("unknown_currency", "crm_quotas", "2021-01", rows=1),
    ]
    summary = generate_company(root, seed=7, scale=SCALE, start="2021-01", through="2021-02", faults=faults)
    assert extract_path(root, BY_NAME["erp_invoices"], "2021-02").stat().st_size == 0
    assert extract_path(root, BY_NAME["erp_invoices"], "2021-01").stat().st_size > 0
    quotas = pd.read_csv(extract_path(root, BY_NAME["crm_quotas"], "2021-01"), dtype=str)
    assert (quotas.CurrencyIsoCode == "XXX").sum() == 1
    assert summary.rows["erp_invoices"] > 0
    with pytest.raises(ValueError):
        generate_company(
            tmp_path / "x", scale=SCALE, through="2021-02", faults=[Fault("empty_file", "erp_items", "2021-05")]
        )
