"""A connector replaces the landing files for one entity; the others keep reading landing."""

from __future__ import annotations

import duckdb

from orchestration.defs.resources import SopDataResource
from orchestration.ingestion import LandingFolderReader, load_month
from orchestration.sources import BY_NAME
from tests.unit.connector_example import ExportFolderReader

FX = BY_NAME["market_fx_rates"]


def test_connector_serves_its_entity_and_landing_serves_the_rest(tmp_path):
    resource = SopDataResource(data_dir=str(tmp_path), connectors={FX.name: "tests.unit.connector_example:reader"})
    fx_reader = resource.reader_for(FX)
    assert isinstance(fx_reader, ExportFolderReader)
    assert isinstance(resource.reader_for(BY_NAME["erp_items"]), LandingFolderReader)

    exports = tmp_path / "vendor_exports"
    exports.mkdir()
    (exports / "fx_rates-2024-05.csv").write_text(
        "rate_month,currency_code,usd_per_unit,published_at\n2024-05-01,EUR,1.0712,2024-06-01T06:00:00Z\n"
    )
    con = duckdb.connect()
    result = load_month(con, FX, "2024-05", fx_reader, "connector-load")
    assert result.rows == 1 and result.files == ["fx_rates-2024-05.csv"]
    assert con.execute("SELECT currency_code, usd_per_unit FROM raw.market_fx_rates").fetchall() == [("EUR", "1.0712")]
