"""The dbt files of the supply area, generated from ``orchestration.supply.tables``.

The supply step writes its tables from Python; dbt declares them as the source ``supply``, reads
each through a staging model (ephemeral, inlined) and publishes it as a mart with an enforced contract. All three
layers repeat the table's columns, types and descriptions, so they are written from the one
definition in ``tables``:

    .venv/bin/python -m orchestration.supply.dbt_yaml --write   # regenerate
    .venv/bin/python -m orchestration.supply.dbt_yaml --check   # exit 1 when out of date

``tests/unit/test_supply_tables.py`` fails while the committed files are out of date.
"""

from __future__ import annotations

import argparse
import sys
import textwrap
from pathlib import Path

from orchestration.settings import DBT_PROJECT_DIR
from orchestration.supply import tables

STAGING_DIR = DBT_PROJECT_DIR / "models" / "staging" / "supply"
MARTS_DIR = DBT_PROJECT_DIR / "models" / "marts" / "supply"

#: table -> (mart name, what the mart is for BI)
MARTS: dict[str, tuple[str, str]] = {
    "supply_plan": (
        "supply_plan",
        (
            "The capacity-constrained supply plan per SKU x stocking site x month, one row set per S&OP cycle: the "
            "inventory balance (opening + scheduled receipts + production - shipped = closing), the backlog, the "
            "safety stock and the stock's value and months of supply. Solved as an LP on HiGHS "
            "(docs/supply_planning.md)."
        ),
    ),
    "inventory_projection": (
        "inventory_projection",
        (
            "Projected available balance per SKU x site x month of the unconstrained MRP plan, per cycle: on hand from "
            "the cycle's inventory snapshot + scheduled receipts + planned receipts - consensus demand."
        ),
    ),
    "planned_orders": (
        "planned_orders",
        (
            "Planned orders of the unconstrained MRP netting per cycle, after each SKU x site's lot-sizing rule, "
            "minimum order quantity and multiple; release month offset by the lead time."
        ),
    ),
    "capacity": (
        "capacity_utilization",
        (
            "Capacity utilization per work center x month per cycle: the constrained plan's load, overtime and "
            "utilization next to the unconstrained (MRP) load, and what one more hour is worth where capacity binds."
        ),
    ),
    "exceptions": (
        "supply_exceptions",
        (
            "Supply exceptions per cycle with a plain-language reason and lever: stock-outs (with the binding work "
            "center, its shadow price and the cost of overtime or pre-building), below safety stock, excess, capacity "
            "overload, late and past-due supply, end-of-life stock."
        ),
    ),
    "safety_stock": (
        "safety_stock_policy",
        (
            "Safety-stock policy per SKU x site per cycle: ABC x XYZ class and service target, sigma of the forecast "
            "error, safety stock and reorder point, and the service level the policy achieved when replayed over the "
            "last 12 months."
        ),
    ),
    "scenarios": (
        "supply_scenario_comparison",
        (
            "Supply scenarios of the planners' file next to the base plan, same KPIs side by side (fill rate, revenue "
            "at risk, inventory value, overtime cost, utilization), per cycle."
        ),
    ),
    "plan_diff": (
        "supply_plan_diff",
        (
            "What moved between the previous cycle's supply plan and this cycle's, by family x site, with the main "
            "cause (demand change, capacity change, new or moved receipts)."
        ),
    ),
    "solves": (
        "supply_plan_solves",
        (
            "One row per cycle: how the supply LP was solved (status, objective and its parts, HiGHS seconds, model "
            "size, policy file)."
        ),
    ),
}


def _q(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _wrapped(text: str, indent: str) -> list[str]:
    return [indent + line for line in textwrap.wrap(text, 100 - len(indent))]


def sources_yaml() -> str:
    lines = [
        "version: 2",
        "",
        "sources:",
        "  - name: supply",
        "    description: >",
        *_wrapped(
            "Tables the supply-planning step (Dagster multi-asset supply_plan_cycle, orchestration/supply) "
            "writes into schema supply of the build database, one row set per S&OP cycle; a cycle's run "
            "replaces only its own rows, so every cycle's plan stays stored as a version.",
            "      ",
        ),
        "    schema: supply",
        "    meta:",
        "      # the Dagster assets supply/<table> of the multi-asset supply_plan_cycle",
        "      dagster_key_prefix: supply",
        "    tables:",
    ]
    for spec in tables.ALL:
        lines += [
            f"      - name: {tables.table_name(spec)}",
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


def staging_yaml() -> str:
    lines = ["version: 2", "", "models:"]
    for spec in tables.ALL:
        name = tables.table_name(spec)
        lines += [
            f"  - name: stg_supply__{name}",
            f"    description: {_q(f'{spec.description} Read from supply.{name} as stored.')}",
            "    columns:",
        ]
        for column, (sql, text) in spec.columns.items():
            lines += [
                f"      - name: {column}",
                f"        description: {_q(text)}",
                f"        data_type: {sql.lower()}",
            ]
    return "\n".join(lines) + "\n"


def marts_yaml() -> str:
    lines = ["version: 2", "", "models:"]
    for spec in tables.ALL:
        mart, text = MARTS[tables.table_name(spec)]
        lines += [
            f"  - name: {mart}",
            "    description: >",
            *_wrapped(text, "      "),
            "    config:",
            "      contract:",
            "        enforced: true",
        ]
        if spec.primary_key:
            lines += [
                "    data_tests:",
                "      - unique_combination_of_columns:",
                "          arguments:",
                f"            combination_of_columns: [{', '.join(spec.primary_key)}]",
            ]
        lines.append("    columns:")
        for column, (sql, description) in spec.columns.items():
            lines += [
                f"      - name: {column}",
                f"        description: {_q(description)}",
                f"        data_type: {sql.lower()}",
            ]
            if column in spec.primary_key or column == "cycle_month":
                lines += ["        constraints:", "          - type: not_null"]
    return "\n".join(lines) + "\n"


def staging_sql(spec) -> str:
    name = tables.table_name(spec)
    columns = ",\n".join(f"        {c}" for c in spec.columns)
    return (
        f"-- {spec.description}\n"
        "-- Written by the supply-planning step (orchestration/supply), one row set per cycle.\n\n"
        f"with\n\nsource as (\n\n    select * from {{{{ source('supply', '{name}') }}}}\n\n),\n\n"
        f"renamed as (\n\n    select\n{columns}\n\n    from source\n\n)\n\nselect * from renamed\n"
    )


def mart_sql(spec) -> str:
    name = tables.table_name(spec)
    first = MARTS[name][1].split(":")[0].split(". ")[0].rstrip(".")
    return f"-- {first}.\n\nselect * from {{{{ ref('stg_supply__{name}') }}}}\n"


def files() -> dict[Path, str]:
    """Every generated file and its content."""
    out = {
        STAGING_DIR / "_supply__sources.yml": sources_yaml(),
        STAGING_DIR / "_supply__models.yml": staging_yaml(),
        MARTS_DIR / "_supply__models.yml": marts_yaml(),
    }
    for spec in tables.ALL:
        name = tables.table_name(spec)
        out[STAGING_DIR / f"stg_supply__{name}.sql"] = staging_sql(spec)
        out[MARTS_DIR / f"{MARTS[name][0]}.sql"] = mart_sql(spec)
    return out


def out_of_date() -> list[Path]:
    """Generated files whose committed content differs (or that are missing)."""
    return [p for p, text in files().items() if not p.exists() or p.read_text() != text]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description="Generate the dbt files of the supply area from orchestration/supply/tables.py"
    )
    group = parser.add_mutually_exclusive_group(required=True)
    group.add_argument("--write", action="store_true")
    group.add_argument("--check", action="store_true")
    args = parser.parse_args(argv)
    if args.write:
        for path, text in files().items():
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text)
        print(f"wrote {len(files())} files under {DBT_PROJECT_DIR / 'models'}")
        return 0
    stale = out_of_date()
    for path in stale:
        print(f"out of date: {path}")
    return 1 if stale else 0


if __name__ == "__main__":
    sys.exit(main())
