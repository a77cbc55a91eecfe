"""The bad-input matrix: every fault the demo generator can inject stops its month with an
error that names file, row (where there is one) and rule, loses nothing, leaves the landing
file as delivered, and a corrected re-delivery of the month loads and passes.

Each case runs only the affected raw asset(s) and their checks, in process, on a tiny company.
The whole job with dbt and publishing is the last test of this module: the month after the
shared company's last, faulty then fixed, closed from the command line (``next_month``).
"""

from __future__ import annotations

import pyarrow.parquet as pq
import pytest
from dagster import DagsterEventType, DagsterInstance

from orchestration.demo import extract_path
from orchestration.ingestion import INGEST_RULES
from orchestration.publishing import current_publication
from orchestration.runner import run_failures
from orchestration.sources import BY_NAME
from tests.integration.bad_input_support import (
    MONTH,
    copy_company,
    csv_records,
    delivered_rows,
    file_digest,
    inject,
    make_clean_landing,
    materialize_raw,
    month_in_raw,
    preload,
    problems,
    quarantined,
    relative_file,
    restore,
)

pytestmark = [pytest.mark.slow]


@pytest.fixture(scope="module")
def clean_landing(tmp_path_factory):
    return make_clean_landing(tmp_path_factory.mktemp("bad-input-clean"))


@pytest.fixture
def company(clean_landing, tmp_path):
    return copy_company(clean_landing, tmp_path / "data")


def landing_file(root, entity, month=MONTH):
    return extract_path(root / "landing", BY_NAME[entity], month)


def the_failure(run, instance, asset, check=None):
    failures, _ = run_failures(instance, run.run_id)
    mine = [f for f in failures if f.asset == asset and f.check == check]
    assert mine, f"no failure of {asset} {check or '(step)'} among {failures}"
    return mine[0]


# ---------------------------------------------------------------- faults ingestion refuses
#: kind, entity, rule, whether the error names a row
FILE_LEVEL = [
    ("missing_file", "market_fx_rates", "extract.present", False),
    ("empty_file", "erp_invoices", "extract.not_empty", False),
    ("empty_file", "crm_territories", "extract.not_empty", False),
    ("wrong_encoding", "crm_users", "file.encoding_utf8", True),
    ("missing_column", "erp_scheduled_receipts", "schema.required_columns", False),
    ("renamed_column", "crm_opportunities", "schema.required_columns", False),
    ("extra_column", "erp_items", "schema.no_unexpected_columns", False),
    ("wrong_type", "erp_invoice_lines", "schema.types", True),  # Parquet: a text value in a number column
]


@pytest.mark.parametrize("kind, entity, rule, has_row", FILE_LEVEL, ids=[f"{k}-{e}" for k, e, *_ in FILE_LEVEL])
def test_a_file_ingestion_refuses_fails_its_asset_and_keeps_the_month(
    company, clean_landing, kind, entity, rule, has_row
):
    instance = DagsterInstance.ephemeral()
    asset = BY_NAME[entity].asset_name
    warehouse = company / "warehouse" / "sop.duckdb"
    assert materialize_raw(company, [entity], MONTH, instance).success
    before = month_in_raw(warehouse, entity)
    assert before.rows == delivered_rows(landing_file(company, entity)) > 0

    path = inject(company, kind, entity)
    delivered = file_digest(path)
    run = materialize_raw(company, [entity], MONTH, instance)

    assert not run.success
    failure = the_failure(run, instance, asset)
    assert failure.message.startswith(f"{entity}: ")  # the error itself, not Dagster's wrapper
    found = problems(failure.message)
    assert len(found) == 1, failure.message
    expected_file = (
        relative_file(entity) if kind != "missing_file" else f"{relative_file(entity).rsplit('/', 1)[0]}/*.csv"
    )
    assert found[0]["file"] == expected_file and found[0]["rule"] == rule, failure.message
    assert rule in INGEST_RULES  # a documented rule
    assert (found[0]["row"] is not None) == has_row, failure.message
    if kind == "renamed_column":
        assert "looks like" in failure.message and "renamed" in failure.message
    if kind == "extra_column":
        assert "legacy_code" in failure.message
    if has_row and kind == "wrong_type":
        reported = int(found[0]["row"])
        values = pq.read_table(path).column("quantity").to_pylist()
        with pytest.raises(ValueError):
            float(values[reported - 1])  # the named row holds the text
    # nothing changed: raw keeps the month's last good load, the file is as delivered
    assert month_in_raw(warehouse, entity) == before
    assert file_digest(path) == delivered

    fixed = restore(clean_landing, company, entity)
    rerun = materialize_raw(company, [entity], MONTH, instance)
    assert rerun.success, run_failures(instance, rerun.run_id)
    after = month_in_raw(warehouse, entity)
    assert after.rows == delivered_rows(fixed) and after.load_ids == {f"{rerun.run_id}:{entity}"}


# ---------------------------------------------------------------- malformed lines: quarantined, month blocked
@pytest.mark.parametrize("entity", ["crm_opportunities", "erp_inventory_snapshots"])
def test_malformed_lines_are_quarantined_and_block_the_month(company, clean_landing, entity):
    instance = DagsterInstance.ephemeral()
    warehouse = company / "warehouse" / "sop.duckdb"
    path = inject(company, "malformed_row", entity)
    delivered = file_digest(path)
    lines = path.read_bytes().decode("utf-8").split("\n")[1:]

    run = materialize_raw(company, [entity], MONTH, instance)

    raw = month_in_raw(warehouse, entity)
    held = quarantined(warehouse, entity, stage="ingest")
    assert held and raw.rows > 0
    assert raw.rows + len(held) == delivered_rows(path)  # every delivered line is in raw or in quarantine
    for row in held:
        assert row["rule"] == "csv.well_formed" and row["severity"] == "error"
        assert row["source_file"] == relative_file(entity)
        assert row["row_json"] == lines[row["source_row"] - 1].rstrip("\r")  # the line as delivered
    assert file_digest(path) == delivered
    # the month is blocked: the raw asset's check fails and names file, row and rule of each line
    assert not run.success
    failure = the_failure(run, instance, BY_NAME[entity].asset_name, "gx_suite")
    named = {(p["file"], p["row"], p["rule"]) for p in problems(failure.message)}
    assert (relative_file(entity), str(held[0]["source_row"]), "csv.well_formed") in named, failure.message

    restore(clean_landing, company, entity)
    rerun = materialize_raw(company, [entity], MONTH, instance)
    assert rerun.success, run_failures(instance, rerun.run_id)
    assert quarantined(warehouse, entity, stage="ingest") == []
    assert month_in_raw(warehouse, entity).rows == delivered_rows(landing_file(company, entity))


# ---------------------------------------------------------------- faults the data-quality checks catch
#: kind, entity, check, rule, whether the check names rows (then each named row must be a damaged one)
CHECK_LEVEL = [
    ("wrong_type", "crm_quotas", "gx_suite", "schema.types", True),
    ("negative_amounts", "crm_opportunity_line_items", "gx_suite", "values.non_negative", True),
    ("unknown_currency", "crm_opportunities", "gx_suite", "values.allowed_currency", True),
    ("duplicate_keys", "erp_work_center_capacity", "gx_suite", "keys.unique", True),
    ("negative_amounts", "erp_item_sites", "gx_suite", "values.non_negative", True),
    ("stale_extract", "market_fx_rates", "gx_suite", "freshness.updated_within", False),
    (
        "crm_erp_mismatch",
        "crm_opportunities",
        "gx_bookings_vs_order_intake",
        "accuracy.bookings_vs_order_intake",
        False,
    ),
]
#: the company for the CRM/ERP comparison: enough won deals, and the months in which the ERP enters them
MISMATCH_COMPANY = {"scale": 0.1, "first": "2021-01", "through": "2021-05", "month": "2021-04"}


def check_inputs(check: str, entity: str) -> tuple[str, list[str]]:
    """The asset a check is on, and the raw entities it reads (its asset and additional inputs)."""
    from orchestration.defs.quality_checks import quality_checks

    asset = BY_NAME[entity].asset_name
    for checks_def in quality_checks:
        for spec in checks_def.check_specs:
            keys = [spec.asset_key.to_user_string()] + [d.asset_key.to_user_string() for d in spec.additional_deps]
            if spec.name == check and asset in keys:
                return keys[0], [k.removeprefix("raw_") for k in dict.fromkeys(keys)]
    pytest.fail(f"no check {check} on or reading {asset}")


def is_damaged(entity: str, clean: list[list[str]], faulty: list[list[str]], row: int) -> bool:
    """Row ``row`` (1-based) of the faulty file differs from the clean file, or repeats another row's key."""
    if row <= len(clean) and faulty[row - 1] != clean[row - 1]:
        return True
    positions = [list(BY_NAME[entity].column_names).index(k) for k in BY_NAME[entity].key]
    key = tuple(faulty[row - 1][i] for i in positions)
    return sum(1 for r in faulty if tuple(r[i] for i in positions) == key) > 1


@pytest.fixture(scope="module")
def mismatch_landing(tmp_path_factory):
    c = MISMATCH_COMPANY
    return make_clean_landing(tmp_path_factory.mktemp("bad-input-mismatch"), c["first"], c["through"], c["scale"])


@pytest.mark.parametrize("kind, entity, check, rule, row_level", CHECK_LEVEL, ids=[c[0] for c in CHECK_LEVEL])
def test_a_fault_the_checks_catch_blocks_the_month_and_raw_keeps_every_row(
    request, tmp_path, clean_landing, kind, entity, check, rule, row_level
):
    check_asset, entities = check_inputs(check, entity)
    month, clean = MONTH, clean_landing
    if kind == "crm_erp_mismatch":
        month, clean = MISMATCH_COMPANY["month"], request.getfixturevalue("mismatch_landing")
    root = copy_company(clean, tmp_path / "data")
    # the other months of what the check reads are in the warehouse already, as earlier runs left them
    months = sorted(p.name for p in (clean / BY_NAME[entity].system / BY_NAME[entity].entity).iterdir())
    preload(root, entities, [m for m in months if m != month])
    if kind == "crm_erp_mismatch":  # the comparison allocates deal amounts over their CRM line items
        preload(root, [e for e in ["crm_opportunity_line_items"] if e not in entities], months)
    selected = [(check_asset, check), (BY_NAME[entity].asset_name, "gx_suite")]
    instance = DagsterInstance.ephemeral()
    warehouse = root / "warehouse" / "sop.duckdb"
    path = inject(root, kind, entity, month)
    delivered = file_digest(path)

    run = materialize_raw(root, entities, month, instance, checks=selected)

    assert not run.success
    failure = the_failure(run, instance, check_asset, check)
    assert failure.severity == "ERROR"
    found = [p for p in problems(failure.message) if p["rule"] == rule]
    assert found, failure.message
    if row_level:  # the named file and rows are the damaged ones
        assert {p["file"] for p in found} == {relative_file(entity, month)}, failure.message
        clean_rows, faulty_rows = csv_records(landing_file(clean.parent, entity, month)), csv_records(path)
        for p in found:
            assert p["row"] is not None and is_damaged(entity, clean_rows, faulty_rows, int(p["row"])), (
                p,
                failure.message,
            )
    # raw keeps every delivered row; the landing file is as delivered
    assert month_in_raw(warehouse, entity, month).rows == delivered_rows(path)
    assert file_digest(path) == delivered

    restore(clean, root, entity, month)
    rerun = materialize_raw(root, entities, month, instance, checks=selected)
    assert rerun.success, run_failures(instance, rerun.run_id)
    assert month_in_raw(warehouse, entity, month).rows == delivered_rows(landing_file(root, entity, month))


def test_the_matrix_covers_every_fault_kind_of_the_demo_generator():
    from orchestration.demo import FAULT_KINDS

    covered = {c[0] for c in FILE_LEVEL} | {c[0] for c in CHECK_LEVEL} | {"malformed_row"}
    assert covered == set(FAULT_KINDS)


# ---------------------------------------------------------------- the whole monthly job
def test_a_faulty_month_blocks_the_cycle_keeps_the_publication_and_publishes_once_fixed(next_month):
    """The month after the shared company's last arrives with faults (``next_month``: a copy of
    the company, closed from the command line), is blocked, then is delivered again and closed."""
    from tests.conftest import NEXT, NEXT_MONTH_FAULTS

    assert "BLOCKED" in next_month.blocked.stderr, next_month.blocked.stderr[-3000:]
    blocked_run, fixed_run = next_month.runs()
    with DagsterInstance.from_config(str(next_month.dagster_home)) as instance:
        failures, _ = run_failures(instance, blocked_run)
        materialized = {
            e.dagster_event.asset_key.to_user_string()
            for e in instance.all_logs(blocked_run, of_type=DagsterEventType.ASSET_MATERIALIZATION)
        }
    for kind, entity, asset, check, rule in NEXT_MONTH_FAULTS:
        reported = [f for f in failures if f.asset == asset and f.check == check]
        assert reported, f"{kind} in {entity} not reported: {failures}"
        named = problems(reported[0].message)
        assert any(
            p["rule"] == rule and p["file"].startswith(relative_file(entity, NEXT).rsplit("/", 1)[0]) for p in named
        ), reported[0].message
    # nothing downstream of the raw layer materialized in the blocked run, and the publication stayed
    assert materialized and all(key.startswith("raw_") for key in materialized), materialized
    assert "serving_marts" not in materialized
    assert next_month.published_after_blocked["version"] == next_month.published_before["version"]
    assert next_month.digests_after_blocked == next_month.digests_delivered  # the faulty files as delivered

    now = current_publication(next_month.root / "serve" / "sop.duckdb")
    assert now["version"] != next_month.published_before["version"] and now["run_id"] == fixed_run
    assert f"{now['last_month']:%Y-%m}" == NEXT
