"""Loading a month into raw: idempotent, lossless, and clear about bad files."""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from orchestration.ingestion import IngestionError, LandingFolderReader, load_month, raw_table
from orchestration.quality.quarantine import quarantined_rows
from orchestration.sources import BY_NAME, CATALOG, LINEAGE_COLUMNS

FX = BY_NAME["market_fx_rates"]
SHIPMENTS = BY_NAME["erp_shipments"]
TERRITORIES = BY_NAME["crm_territories"]
TERRITORY_HEADER = "Id,Name,Region__c,CurrencyIsoCode,LastModifiedDate"


def write_fx(landing: Path, month: str, rows: list[tuple[str, str]], header: str | None = None) -> Path:
    folder = FX.landing_dir(landing, month)
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"fx_rates_{month.replace('-', '')}.csv"
    header = header or "rate_month,currency_code,usd_per_unit,published_at"
    body = "".join(f"{month}-01,{cur},{rate},{month}-28T06:00:00Z\n" for cur, rate in rows)
    path.write_text(header + "\n" + body)
    return path


def write_shipments(landing: Path, month: str, n: int) -> Path:
    folder = SHIPMENTS.landing_dir(landing, month)
    folder.mkdir(parents=True, exist_ok=True)
    d = datetime.strptime(month, "%Y-%m").date()
    table = pa.table(
        {
            "shipment_number": [f"S{month}-{i}" for i in range(n)],
            "order_number": [f"O{i}" for i in range(n)],
            "line_number": pa.array(range(1, n + 1), pa.int64()),
            "ship_date": pa.array([d] * n, pa.date32()),
            "site_code": ["US01"] * n,
            "quantity_shipped": pa.array([float(i) for i in range(n)], pa.float64()),
            "updated_at": pa.array([datetime(d.year, d.month, 27)] * n, pa.timestamp("us")),
        }
    )
    path = folder / f"shipments_{month.replace('-', '')}.parquet"
    pq.write_table(table, path)
    return path


def data_rows(con, entity, month):
    cols = ", ".join(f'"{c}"' for c in entity.column_names) + ", _partition_month, _source_file, _source_row"
    return con.execute(
        f"SELECT {cols} FROM {raw_table(entity)} WHERE _partition_month = ? ORDER BY _source_row",
        [date.fromisoformat(month + "-01")],
    ).fetchall()


def test_reloading_a_month_replaces_exactly_that_month(tmp_path):
    landing = tmp_path / "landing"
    write_fx(landing, "2024-01", [("EUR", "1.08"), ("GBP", "1.27")])
    write_fx(landing, "2024-02", [("EUR", "1.09"), ("GBP", "1.26"), ("JPY", "0.0068")])
    reader = LandingFolderReader(landing)
    con = duckdb.connect()
    load_month(con, FX, "2024-01", reader, "load-1")
    load_month(con, FX, "2024-02", reader, "load-1")
    before_jan, before_feb = data_rows(con, FX, "2024-01"), data_rows(con, FX, "2024-02")

    result = load_month(con, FX, "2024-02", reader, "load-2")

    assert result.rows == 3
    assert data_rows(con, FX, "2024-01") == before_jan
    assert data_rows(con, FX, "2024-02") == before_feb
    assert con.execute(f"SELECT count(*) FROM {raw_table(FX)}").fetchone()[0] == 5
    loads = con.execute(
        f"SELECT DISTINCT _load_id FROM {raw_table(FX)} WHERE _partition_month = '2024-02-01'"
    ).fetchall()
    assert loads == [("load-2",)]


def test_csv_values_are_kept_as_delivered_text(tmp_path):
    landing = tmp_path / "landing"
    write_fx(landing, "2024-01", [("EUR", "1.0800"), ("GBP", "not-a-number")])
    con = duckdb.connect()
    load_month(con, FX, "2024-01", LandingFolderReader(landing), "l")
    rows = con.execute(
        f"SELECT usd_per_unit, _source_file, _source_row FROM {raw_table(FX)} ORDER BY _source_row"
    ).fetchall()
    assert rows == [
        ("1.0800", "market/fx_rates/2024-01/fx_rates_202401.csv", 1),
        ("not-a-number", "market/fx_rates/2024-01/fx_rates_202401.csv", 2),
    ]


def test_parquet_keeps_types_and_lineage(tmp_path):
    landing = tmp_path / "landing"
    write_shipments(landing, "2024-03", 4)
    con = duckdb.connect()
    result = load_month(con, SHIPMENTS, "2024-03", LandingFolderReader(landing), "l")
    assert result.rows == 4
    types = dict(
        con.execute(
            "SELECT column_name, data_type FROM information_schema.columns WHERE table_name = 'erp_shipments'"
        ).fetchall()
    )
    assert types["quantity_shipped"] == "DOUBLE" and types["ship_date"] == "DATE"
    assert types["_source_row"] == "BIGINT" and types["_loaded_at"] == "TIMESTAMP"
    assert con.execute(f"SELECT sum(quantity_shipped) FROM {raw_table(SHIPMENTS)}").fetchone()[0] == 6.0


def test_missing_month_names_the_folder_and_leaves_raw_untouched(tmp_path):
    landing = tmp_path / "landing"
    write_fx(landing, "2024-01", [("EUR", "1.08")])
    con = duckdb.connect()
    reader = LandingFolderReader(landing)
    load_month(con, FX, "2024-01", reader, "l")
    with pytest.raises(IngestionError) as err:
        load_month(con, FX, "2024-02", reader, "l")
    assert str(err.value).startswith("market_fx_rates: market/fx_rates/2024-02/*.csv: rule extract.present — ")
    assert err.value.rule == "extract.present" and "no csv extract for 2024-02" in str(err.value)
    assert con.execute(f"SELECT count(*) FROM {raw_table(FX)}").fetchone()[0] == 1


def test_missing_column_names_file_column_and_rule_and_keeps_last_load(tmp_path):
    landing = tmp_path / "landing"
    write_fx(landing, "2024-01", [("EUR", "1.08")])
    con = duckdb.connect()
    reader = LandingFolderReader(landing)
    load_month(con, FX, "2024-01", reader, "good")
    # the next delivery of the same month lost a column
    path = write_fx(landing, "2024-01", [], header="rate_month,currency_code,published_at")
    path.write_text("rate_month,currency_code,published_at\n2024-01-01,EUR,2024-01-28T06:00:00Z\n")
    with pytest.raises(IngestionError) as err:
        load_month(con, FX, "2024-01", reader, "bad")
    message = str(err.value)
    assert "fx_rates_202401.csv" in message and "usd_per_unit" in message and "schema.required_columns" in message
    assert con.execute(f"SELECT _load_id, usd_per_unit FROM {raw_table(FX)}").fetchall() == [("good", "1.08")]


def test_header_only_file_loads_zero_rows(tmp_path):
    landing = tmp_path / "landing"
    write_fx(landing, "2024-01", [])
    con = duckdb.connect()
    assert load_month(con, FX, "2024-01", LandingFolderReader(landing), "l").rows == 0


def test_every_catalog_entity_gets_its_columns_plus_lineage():
    con = duckdb.connect()
    from orchestration.ingestion import ensure_raw_table

    for entity in CATALOG:
        ensure_raw_table(con, entity)
        cols = [
            r[0]
            for r in con.execute(
                "SELECT column_name FROM information_schema.columns WHERE table_schema='raw' AND table_name=? "
                "ORDER BY ordinal_position",
                [entity.name],
            ).fetchall()
        ]
        assert cols == list(entity.column_names) + [c.name for c in LINEAGE_COLUMNS]
    assert len({e.name for e in CATALOG}) == len(CATALOG) == 22


# ---------------------------------------------------------------- bad files
def write_territories(landing: Path, month: str, body: bytes, header: str = TERRITORY_HEADER) -> Path:
    folder = TERRITORIES.landing_dir(landing, month)
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"territories_{month.replace('-', '')}.csv"
    path.write_bytes(header.encode() + b"\n" + body)
    return path


def territory(i: int, name: str = "Territory") -> str:
    return f'0MI{i:03d},"{name} {i}, North",NAM,USD,2024-01-31T10:00:00Z'


def raw_count(con, entity=TERRITORIES) -> int:
    return con.execute(f"SELECT count(*) FROM {raw_table(entity)}").fetchone()[0]


def test_malformed_lines_go_to_quarantine_and_the_good_lines_load(tmp_path):
    landing = tmp_path / "landing"
    lines = [
        territory(1),
        territory(2) + ",unexpected",  # one field too many
        territory(3).rsplit(",", 1)[0],  # one too few
        '"' + territory(4),  # a quote that never closes
        territory(5),
    ]
    path = write_territories(landing, "2024-01", ("\n".join(lines) + "\n").encode())
    con = duckdb.connect()
    logged = []

    result = load_month(con, TERRITORIES, "2024-01", LandingFolderReader(landing), "load-1", log=logged.append)

    assert result.rows == 2
    raw = con.execute(f"SELECT Id, Name, _source_row FROM {raw_table(TERRITORIES)} ORDER BY _source_row").fetchall()
    assert raw == [("0MI001", "Territory 1, North", 1), ("0MI005", "Territory 5, North", 5)]
    q = quarantined_rows(con, "crm_territories", "2024-01")
    assert q["source_row"].tolist() == [2, 3, 4]
    assert q["row_json"].tolist() == lines[1:4]
    assert set(q["rule"]) == {"csv.well_formed"} and set(q["severity"]) == {"error"} and set(q["stage"]) == {"ingest"}
    assert set(q["source_file"]) == {"crm/territories/2024-01/territories_202401.csv"} and set(q["load_id"]) == {
        "load-1"
    }
    assert "6 fields, the header has 5" in q["reason"][0] and "4 fields" in q["reason"][1]
    assert "does not close" in q["reason"][2]
    # nothing lost: every data line of the file is in raw or in quarantine
    data_lines = path.read_bytes().decode().count("\n") - 1
    assert raw_count(con) + len(q) == data_lines == 5
    assert [r.source_row for r in result.rejected] == [2, 3, 4]
    assert (
        len(logged) == 3 and "crm/territories/2024-01/territories_202401.csv row 2: rule csv.well_formed" in logged[0]
    )


def test_a_fixed_file_clears_its_months_quarantine(tmp_path):
    landing = tmp_path / "landing"
    write_territories(landing, "2024-01", (territory(1) + "\n" + territory(2) + ",x\n").encode())
    write_territories(landing, "2024-02", (territory(1) + ",x\n").encode())
    con = duckdb.connect()
    reader = LandingFolderReader(landing)
    load_month(con, TERRITORIES, "2024-01", reader, "l1")
    load_month(con, TERRITORIES, "2024-02", reader, "l1")
    write_territories(landing, "2024-01", (territory(1) + "\n" + territory(2) + "\n").encode())

    load_month(con, TERRITORIES, "2024-01", reader, "l2")

    assert len(quarantined_rows(con, "crm_territories", "2024-01")) == 0
    assert len(quarantined_rows(con, "crm_territories", "2024-02")) == 1
    assert (
        con.execute(f"SELECT count(*) FROM {raw_table(TERRITORIES)} WHERE _partition_month = '2024-01-01'").fetchone()[
            0
        ]
        == 2
    )


def test_crlf_line_ends_a_utf8_bom_and_blank_lines_are_read_as_records(tmp_path):
    landing = tmp_path / "landing"
    body = (territory(1, "Zürich") + "\r\n\r\n" + territory(2) + "\r\n").encode()
    path = write_territories(landing, "2024-01", body)
    path.write_bytes(b"\xef\xbb\xbf" + path.read_bytes().replace(b"LastModifiedDate\n", b"LastModifiedDate\r\n"))
    con = duckdb.connect()
    result = load_month(con, TERRITORIES, "2024-01", LandingFolderReader(landing), "l")
    assert result.rows == 2 and not result.rejected
    rows = con.execute(
        f"SELECT Name, LastModifiedDate, _source_row FROM {raw_table(TERRITORIES)} ORDER BY 3"
    ).fetchall()
    assert rows == [("Zürich 1, North", "2024-01-31T10:00:00Z", 1), ("Territory 2, North", "2024-01-31T10:00:00Z", 3)]


@pytest.mark.parametrize("encoding, where", [("cp1252", "cp1252"), ("utf-16", "UTF-16")])
def test_a_file_not_in_utf8_names_file_line_and_rule_and_changes_nothing(tmp_path, encoding, where):
    landing = tmp_path / "landing"
    reader = LandingFolderReader(landing)
    con = duckdb.connect()
    write_territories(landing, "2024-01", (territory(1) + "\n").encode())
    load_month(con, TERRITORIES, "2024-01", reader, "good")
    text = TERRITORY_HEADER + "\n" + territory(1) + "\n" + territory(2, "Düsseldorf") + "\n"
    path = write_territories(landing, "2024-01", b"")
    path.write_bytes(text.encode(encoding))
    delivered = path.read_bytes()

    with pytest.raises(IngestionError) as err:
        load_month(con, TERRITORIES, "2024-01", reader, "bad")

    message = str(err.value)
    assert message.startswith("crm_territories: crm/territories/2024-01/territories_202401.csv row ")
    assert "rule file.encoding_utf8" in message and where in message
    if encoding == "cp1252":  # the first non-ASCII byte is the ü of line 3 (data row 2)
        first_non_ascii = delivered.index("ü".encode("cp1252"))
        assert err.value.row == 2 and f"byte {first_non_ascii} " in message
    else:  # the byte-order mark at byte 0, in the header line
        assert err.value.row == 0 and "byte 0" in message
    assert con.execute(f"SELECT _load_id FROM {raw_table(TERRITORIES)}").fetchall() == [("good",)]
    assert path.read_bytes() == delivered


def test_a_zero_byte_file_is_an_empty_extract(tmp_path):
    landing = tmp_path / "landing"
    path = write_fx(landing, "2024-01", [])
    path.write_bytes(b"")
    with pytest.raises(IngestionError) as err:
        load_month(duckdb.connect(), FX, "2024-01", LandingFolderReader(landing), "l")
    assert err.value.rule == "extract.not_empty"
    assert "market/fx_rates/2024-01/fx_rates_202401.csv: rule extract.not_empty — the file is empty (zero bytes" in str(
        err.value
    )


def test_a_header_only_snapshot_is_an_empty_extract(tmp_path):
    landing = tmp_path / "landing"
    write_territories(landing, "2024-01", b"")
    with pytest.raises(IngestionError) as err:
        load_month(duckdb.connect(), TERRITORIES, "2024-01", LandingFolderReader(landing), "l")
    assert err.value.rule == "extract.not_empty" and "snapshot" in str(err.value)


def test_a_renamed_column_is_named_with_its_lookalike(tmp_path):
    landing = tmp_path / "landing"
    write_territories(
        landing, "2024-01", (territory(1) + "\n").encode(), header=TERRITORY_HEADER.replace("Region__c", "region_c")
    )
    with pytest.raises(IngestionError) as err:
        load_month(duckdb.connect(), TERRITORIES, "2024-01", LandingFolderReader(landing), "l")
    message = str(err.value)
    assert err.value.rule == "schema.required_columns"
    assert "missing column(s) Region__c" in message and "column 'region_c' looks like 'Region__c' renamed" in message


def test_an_extra_column_is_refused_by_name(tmp_path):
    landing = tmp_path / "landing"
    write_territories(
        landing, "2024-01", (territory(1) + ",L01\n").encode(), header=TERRITORY_HEADER + ",Legacy_Code__c"
    )
    con = duckdb.connect()
    with pytest.raises(IngestionError) as err:
        load_month(con, TERRITORIES, "2024-01", LandingFolderReader(landing), "l")
    assert err.value.rule == "schema.no_unexpected_columns" and "Legacy_Code__c" in str(err.value)
    assert not con.execute("SELECT count(*) FROM information_schema.tables WHERE table_schema = 'raw'").fetchone()[0]


def test_an_extra_column_can_be_allowed_and_is_then_named_as_left_out(tmp_path):
    landing = tmp_path / "landing"
    write_territories(
        landing, "2024-01", (territory(1) + ",L01\n").encode(), header=TERRITORY_HEADER + ",Legacy_Code__c"
    )
    logged = []
    result = load_month(
        duckdb.connect(),
        TERRITORIES,
        "2024-01",
        LandingFolderReader(landing),
        "l",
        log=logged.append,
        allow_unexpected_columns=True,
    )
    assert result.rows == 1 and result.ignored_columns == ["Legacy_Code__c"]
    assert len(logged) == 1 and "Legacy_Code__c" in logged[0]


def test_parquet_values_of_the_wrong_type_name_column_row_and_rule(tmp_path):
    landing = tmp_path / "landing"
    con = duckdb.connect()
    reader = LandingFolderReader(landing)
    write_shipments(landing, "2024-03", 4)
    load_month(con, SHIPMENTS, "2024-03", reader, "good")
    path = write_shipments(landing, "2024-03", 4)
    table = pq.read_table(path)
    quantities = [str(v) for v in table.column("quantity_shipped").to_pylist()]
    quantities[2] = "n/a"
    table = table.set_column(table.schema.get_field_index("quantity_shipped"), "quantity_shipped", pa.array(quantities))
    pq.write_table(table, path)

    with pytest.raises(IngestionError) as err:
        load_month(con, SHIPMENTS, "2024-03", reader, "bad")

    message = str(err.value)
    assert message.startswith("erp_shipments: erp/shipments/2024-03/shipments_202403.parquet row 3: rule schema.types")
    assert "quantity_shipped" in message and "'n/a'" in message
    assert con.execute(f"SELECT DISTINCT _load_id FROM {raw_table(SHIPMENTS)}").fetchall() == [("good",)]


def test_a_month_delivered_twice_is_refused_naming_both_files(tmp_path):
    landing = tmp_path / "landing"
    con = duckdb.connect()
    first = write_shipments(landing, "2024-02", 3)
    load_month(con, SHIPMENTS, "2024-02", LandingFolderReader(landing), load_id="load-1")
    copy = first.with_name("shipments_202402 (1).parquet")  # what a second download is named
    copy.write_bytes(first.read_bytes())
    with pytest.raises(IngestionError) as raised:
        load_month(con, SHIPMENTS, "2024-02", LandingFolderReader(landing), load_id="load-2")
    error = raised.value
    assert error.rule == "extract.one_per_month" and error.file == "erp/shipments/2024-02"
    assert str(error) == (
        "erp_shipments: erp/shipments/2024-02: rule extract.one_per_month — 2 extracts for erp/shipments/2024-02: "
        "'shipments_202402 (1).parquet' and 'shipments_202402.parquet'; keep the one to load and move the others "
        "out (a split export names its files part-1, part-2, ...)"
    )
    # the month loaded before stays as it was, and both files are left as delivered
    assert len(data_rows(con, SHIPMENTS, "2024-02")) == 3
    assert copy.exists() and first.exists()


def test_numbered_parts_of_one_export_load_together(tmp_path):
    landing = tmp_path / "landing"
    whole = write_shipments(landing, "2024-02", 4)
    table = pq.read_table(whole)
    pq.write_table(table.slice(0, 2), whole.with_name("shipments_202402_part-1.parquet"))
    pq.write_table(table.slice(2, 2), whole.with_name("shipments_202402_part-2.parquet"))
    whole.unlink()
    con = duckdb.connect()
    load_month(con, SHIPMENTS, "2024-02", LandingFolderReader(landing), load_id="load-1")
    assert sorted(r[0] for r in data_rows(con, SHIPMENTS, "2024-02")) == [f"S2024-02-{i}" for i in range(4)]
