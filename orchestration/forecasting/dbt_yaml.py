"""The dbt source of the forecast tables, generated from ``orchestration.forecasting.warehouse``.

The forecast assets write their tables straight into schema ``marts`` (they are published with
the marts, see ``docs/forecasting.md``). dbt declares them as the source ``forecasting`` so that
they appear in dbt's lineage and docs, column by column, from the one definition in
``warehouse``:

    .venv/bin/python -m orchestration.forecasting.dbt_yaml --write   # regenerate
    .venv/bin/python -m orchestration.forecasting.dbt_yaml --check   # exit 1 when out of date

``tests/unit/test_forecast_snapshots.py`` fails while the committed file is out of date.
"""

from __future__ import annotations

import sys
from pathlib import Path

from orchestration.forecasting.warehouse import published_specs
from orchestration.settings import DBT_PROJECT_DIR

SOURCES_FILE = DBT_PROJECT_DIR / "models" / "staging" / "forecasting" / "_forecasting__sources.yml"


def _q(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def sources_yaml() -> str:
    lines = [
        "version: 2",
        "",
        "sources:",
        "  - name: forecasting",
        "    description: >",
        "      The forecast tables the forecast assets (orchestration/defs/forecast_assets.py) write into",
        "      schema forecast, one row set per S&OP cycle, published with the marts under their own names.",
        "      Generated from orchestration/forecasting/warehouse.py (python -m orchestration.forecasting.dbt_yaml",
        "      --write).",
        "    schema: forecast",
        "    tables:",
    ]
    for spec in published_specs():
        lines += [
            f"      - name: {spec.name.split('.', 1)[1]}",
            f"        description: {_q(spec.description)}",
            "        columns:",
        ]
        for name, (sql, text) in spec.columns.items():
            lines += [
                f"          - name: {name}",
                f"            description: {_q(text)}",
                f"            data_type: {sql.lower()}",
            ]
    return "\n".join(lines) + "\n"


def out_of_date(path: Path = SOURCES_FILE) -> bool:
    return not path.exists() or path.read_text() != sources_yaml()


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if args == ["--write"]:
        SOURCES_FILE.parent.mkdir(parents=True, exist_ok=True)
        SOURCES_FILE.write_text(sources_yaml())
        print(f"wrote {SOURCES_FILE}")
        return 0
    if args == ["--check"]:
        stale = out_of_date()
        if stale:
            print(f"out of date: {SOURCES_FILE}")
        return 1 if stale else 0
    print("usage: python -m orchestration.forecasting.dbt_yaml --write | --check", file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main())
