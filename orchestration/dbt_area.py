"""The dbt files of a table area that Python writes, generated from the area's ``TableSpec`` declarations.

Supply planning (schema ``supply``) and the S&OP cycle (schema ``sop_cycle``) compute their tables in
Python. dbt declares each such schema as a source, reads every table through a staging model
(ephemeral, inlined) and publishes it as a mart with an enforced contract, so the tables are in
dbt's lineage and docs like every other mart. The three layers repeat each table's columns, types
and descriptions, so they are written from the one declaration, by the area's module:

    .venv/bin/python -m orchestration.supply.dbt_yaml --write      # regenerate
    .venv/bin/python -m orchestration.sop_cycle.dbt_yaml --check   # exit 1 when out of date

A test per area fails while the committed files are out of date.
"""

from __future__ import annotations

import argparse
import textwrap
from dataclasses import dataclass
from pathlib import Path

from orchestration.forecasting.warehouse import TableSpec
from orchestration.settings import DBT_PROJECT_DIR


@dataclass(frozen=True)
class PythonTableArea:
    """One schema of tables written by Python, and how dbt publishes them."""

    source: str  # dbt source name = schema = Dagster key prefix of the tables' assets
    writer: str  # who writes the tables, e.g. "the supply-planning step (orchestration/supply)"
    source_description: str  # the source's description in dbt docs
    asset_comment: str  # which Dagster assets write the tables (a comment in the sources file)
    tables: tuple[TableSpec, ...]
    marts: dict[str, tuple[str, str]]  # table -> (mart name, what the mart is for BI)

    @property
    def staging_dir(self) -> Path:
        return DBT_PROJECT_DIR / "models" / "staging" / self.source

    @property
    def marts_dir(self) -> Path:
        return DBT_PROJECT_DIR / "models" / "marts" / self.source


def table_name(spec: TableSpec) -> str:
    """``supply.supply_plan`` -> ``supply_plan``."""
    return spec.name.split(".", 1)[1]


def _q(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _wrapped(text: str, indent: str) -> list[str]:
    return [indent + line for line in textwrap.wrap(text, 100 - len(indent))]


def _columns(spec: TableSpec, indent: str) -> list[str]:
    lines = []
    for name, (sql, text) in spec.columns.items():
        lines += [
            f"{indent}- name: {name}",
            f"{indent}  description: {_q(text)}",
            f"{indent}  data_type: {sql.lower()}",
        ]
    return lines


def sources_yaml(area: PythonTableArea) -> str:
    lines = [
        "version: 2",
        "",
        "sources:",
        f"  - name: {area.source}",
        "    description: >",
        *_wrapped(area.source_description, "      "),
        f"    schema: {area.source}",
        "    meta:",
        f"      # {area.asset_comment}",
        f"      dagster_key_prefix: {area.source}",
        "    tables:",
    ]
    for spec in area.tables:
        lines += [
            f"      - name: {table_name(spec)}",
            f"        description: {_q(spec.description)}",
            "        columns:",
            *_columns(spec, "          "),
        ]
    return "\n".join(lines) + "\n"


def staging_yaml(area: PythonTableArea) -> str:
    lines = ["version: 2", "", "models:"]
    for spec in area.tables:
        name = table_name(spec)
        lines += [
            f"  - name: stg_{area.source}__{name}",
            f"    description: {_q(f'{spec.description} Read from {area.source}.{name} as stored.')}",
            "    columns:",
            *_columns(spec, "      "),
        ]
    return "\n".join(lines) + "\n"


def marts_yaml(area: PythonTableArea) -> str:
    lines = ["version: 2", "", "models:"]
    for spec in area.tables:
        mart, text = area.marts[table_name(spec)]
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


def staging_sql(area: PythonTableArea, spec: TableSpec) -> str:
    name = table_name(spec)
    columns = ",\n".join(f"        {c}" for c in spec.columns)
    return (
        f"-- {spec.description}\n"
        f"-- Written by {area.writer}.\n\n"
        f"with\n\nsource as (\n\n    select * from {{{{ source('{area.source}', '{name}') }}}}\n\n),\n\n"
        f"renamed as (\n\n    select\n{columns}\n\n    from source\n\n)\n\nselect * from renamed\n"
    )


def mart_sql(area: PythonTableArea, spec: TableSpec) -> str:
    name = table_name(spec)
    first = area.marts[name][1].split(":")[0].split(". ")[0].rstrip(".")
    return f"-- {first}.\n\nselect * from {{{{ ref('stg_{area.source}__{name}') }}}}\n"


def files(area: PythonTableArea) -> dict[Path, str]:
    """Every generated file of the area and its content."""
    source = area.source
    out = {
        area.staging_dir / f"_{source}__sources.yml": sources_yaml(area),
        area.staging_dir / f"_{source}__models.yml": staging_yaml(area),
        area.marts_dir / f"_{source}__models.yml": marts_yaml(area),
    }
    for spec in area.tables:
        name = table_name(spec)
        out[area.staging_dir / f"stg_{source}__{name}.sql"] = staging_sql(area, spec)
        out[area.marts_dir / f"{area.marts[name][0]}.sql"] = mart_sql(area, spec)
    return out


def out_of_date(area: PythonTableArea) -> list[Path]:
    """Generated files whose committed content differs (or that are missing)."""
    return [p for p, text in files(area).items() if not p.exists() or p.read_text() != text]


def main(area: PythonTableArea, argv: list[str] | None = None) -> int:
    """``--write`` the area's files, or ``--check`` them (exit 1 when out of date)."""
    parser = argparse.ArgumentParser(description=f"Generate the dbt files of the {area.source} area")
    group = parser.add_mutually_exclusive_group(required=True)
    group.add_argument("--write", action="store_true")
    group.add_argument("--check", action="store_true")
    args = parser.parse_args(argv)
    if args.write:
        for path, text in files(area).items():
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text)
        print(f"wrote {len(files(area))} files under {DBT_PROJECT_DIR / 'models'}")
        return 0
    stale = out_of_date(area)
    for path in stale:
        print(f"out of date: {path}")
    return 1 if stale else 0
