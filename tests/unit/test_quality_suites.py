"""The committed GX suites: in sync with the catalog, the dbt contracts and checks.yml."""

from __future__ import annotations

import json
import re

import yaml

from orchestration.quality.checks_file import CHECKS_FILE, dbt_reference_lists, load_settings
from orchestration.quality.suite_builder import (
    MAPPING_FILE,
    SUITES_DIR,
    mart_contracts,
    out_of_date,
)
from orchestration.settings import DBT_PROJECT_DIR
from orchestration.sources import CATALOG


def _suites() -> dict[str, dict]:
    return {p.stem: json.loads(p.read_text()) for p in SUITES_DIR.glob("*.json")}


def test_committed_suites_are_what_the_builder_generates():
    assert out_of_date() == [], "run: python -m orchestration.quality.suite_builder --write"


def test_every_catalog_entity_and_every_contracted_mart_has_a_suite_and_a_check():
    suites = _suites()
    mapping = yaml.safe_load(MAPPING_FILE.read_text())["suites"]
    for entity in CATALOG:
        assert mapping[entity.asset_name] == {
            "asset": entity.asset_name,
            "check": "gx_suite",
            "file": f"suites/{entity.asset_name}.json",
        }
        assert suites[entity.asset_name]["meta"]["entity"] == entity.name
    contracted = set()
    for path in (DBT_PROJECT_DIR / "models" / "marts").rglob("*.yml"):
        for model in (yaml.safe_load(path.read_text()) or {}).get("models", []):
            if ((model.get("config") or {}).get("contract") or {}).get("enforced"):
                contracted.add(model["name"])
    assert contracted and {m.name for m in mart_contracts()} == contracted
    for mart in contracted:
        assert mapping[f"mart_{mart}"]["asset"] == mart and mapping[f"mart_{mart}"]["check"] == "gx_suite"
    for name in ("bookings_vs_order_intake", "invoice_headers_vs_lines", "fx_rate_coverage", "mart_totals_vs_raw"):
        assert mapping[name]["check"] == f"gx_{name}" and mapping[name]["reads"]


def test_every_expectation_names_its_rule_and_the_configured_severity():
    config = load_settings(CHECKS_FILE)
    for name, suite in _suites().items():
        for exp in suite["expectations"]:
            meta = exp["meta"]
            assert meta["severity"] == config.severities[meta["rule"]], (name, meta)
            assert isinstance(meta["row_level"], bool)


def test_suites_hold_no_dates_only_parameters():
    """Month-dependent bounds (freshness, date window) are suite parameters filled at run time."""
    for name, suite in _suites().items():
        text = json.dumps(suite["expectations"])
        assert not re.search(r"\d{4}-\d{2}-\d{2}", text), name
        [fresh] = [e for e in suite["expectations"] if e["meta"]["rule"] == "freshness.updated_within"] or [None]
        if suite["meta"]["kind"] == "raw":
            assert fresh["kwargs"]["min_value"] == {"$PARAMETER": "fresh_after"}
            assert fresh["meta"]["batch"] == "month"


def test_allowed_values_are_the_dbt_reference_lists():
    dbt_vars = yaml.safe_load((DBT_PROJECT_DIR / "dbt_project.yml").read_text())["vars"]
    assert dbt_reference_lists()["currency_codes"] == dbt_vars["currency_codes"]
    sets = {
        (e["kwargs"]["column"], e["meta"]["rule"]): e["kwargs"]["value_set"]
        for e in _suites()["raw_crm_opportunities"]["expectations"]
        if e["type"] == "expect_column_values_to_be_in_set"
    }
    assert sets[("StageName", "values.allowed_stage")] == dbt_vars["opportunity_stages"]
    assert sets[("CurrencyIsoCode", "values.allowed_currency")] == dbt_vars["currency_codes"]


def test_csv_columns_get_type_rules_parquet_columns_are_typed_by_raw():
    suites = _suites()
    csv_types = {
        e["kwargs"]["column"]: e["kwargs"]["regex"]
        for e in suites["raw_crm_opportunities"]["expectations"]
        if e["meta"]["rule"] == "schema.types"
    }
    assert re.match(csv_types["Amount"], "1200.50") and not re.match(csv_types["Amount"], "n/a")
    assert re.match(csv_types["CloseDate"], "2024-03-31") and not re.match(csv_types["CloseDate"], "TBD")
    assert re.match(csv_types["LastModifiedDate"], "2024-03-31T10:00:00Z")
    assert re.match(csv_types["IsWon"], "true") and not re.match(csv_types["IsWon"], "yes")
    # every non-text CSV column has its rule; Parquet columns are cast to their type by the load
    opportunities = next(e for e in CATALOG if e.name == "crm_opportunities")
    assert set(csv_types) == {c.name for c in opportunities.columns if c.type != "string"}
    parquet = [e for e in suites["raw_erp_sales_order_lines"]["expectations"] if e["meta"]["rule"] == "schema.types"]
    assert parquet == []
