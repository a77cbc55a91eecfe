"""The analyst notebooks run top to bottom against the published serving file and draw charts.

Each notebook is executed with nbclient in a fresh kernel of this virtualenv's Python, with
``SOP_DATA_DIR`` pointing at the session's small demo company, so the notebooks read exactly
what an analyst would read: ``<SOP_DATA_DIR>/serve/sop.duckdb``, opened read-only.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

nbformat = pytest.importorskip("nbformat")
nbclient = pytest.importorskip("nbclient")

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("pipeline")]

NOTEBOOKS_DIR = Path(__file__).resolve().parents[2] / "notebooks"
NOTEBOOKS = [
    "revenue_and_growth.ipynb",
    "sales_performance_and_pipeline.ipynb",
    "demand_history.ipynb",
    "sop_analyst.ipynb",
]


def _execute(path: Path, data_dir: Path, tmp_path: Path):
    notebook = nbformat.read(path, as_version=4)
    env = {**os.environ, "SOP_DATA_DIR": str(data_dir), "MPLBACKEND": "Agg", "MPLCONFIGDIR": str(tmp_path / "mpl")}
    # "python3" is ipykernel's spec, installed into the virtualenv; jupyter_client runs its
    # "python" as sys.executable, so the kernel is this interpreter
    client = nbclient.NotebookClient(
        notebook,
        kernel_name="python3",
        timeout=180,
        allow_errors=False,
        resources={"metadata": {"path": str(path.parent)}},
    )
    client.execute(env=env)
    return notebook


@pytest.mark.parametrize("name", NOTEBOOKS)
def test_notebook_runs_without_errors_and_draws_charts(built_company, tmp_path, name):
    path = NOTEBOOKS_DIR / name
    stored = nbformat.read(path, as_version=4)
    assert all(not c.get("outputs") for c in stored.cells if c.cell_type == "code"), "save notebooks without outputs"
    assert any(c.cell_type == "markdown" for c in stored.cells)

    executed = _execute(path, built_company.root, tmp_path)

    code_cells = [c for c in executed.cells if c.cell_type == "code"]
    errors = [o for c in code_cells for o in c.outputs if o.output_type == "error"]
    assert errors == []
    images = [
        o
        for c in code_cells
        for o in c.outputs
        if o.output_type in ("display_data", "execute_result") and "image/png" in o.get("data", {})
    ]
    assert len(images) >= 1, f"{name} drew no chart"
