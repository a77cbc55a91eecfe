"""`sop dev` parses the dbt project on load only when a dbt file is newer than the prepared manifest."""

from __future__ import annotations

import os

from orchestration.defs.dbt_assets import manifest_is_current


def _project(tmp_path):
    project = tmp_path / "dbt"
    (project / "models").mkdir(parents=True)
    (project / "target").mkdir()
    model = project / "models" / "m.sql"
    model.write_text("select 1")
    manifest = project / "target" / "manifest.json"
    manifest.write_text("{}")
    os.utime(model, (1_000, 1_000))
    os.utime(manifest, (2_000, 2_000))
    return project, model, manifest


def test_a_manifest_newer_than_every_dbt_file_is_current(tmp_path):
    project, _, manifest = _project(tmp_path)
    assert manifest_is_current(project, manifest)


def test_an_edited_model_or_yaml_makes_it_stale(tmp_path):
    project, model, manifest = _project(tmp_path)
    os.utime(model, (3_000, 3_000))
    assert not manifest_is_current(project, manifest)
    os.utime(model, (1_000, 1_000))
    schema = project / "models" / "_models.yml"
    schema.write_text("version: 2")
    os.utime(schema, (3_000, 3_000))
    assert not manifest_is_current(project, manifest)


def test_what_dbt_writes_and_other_files_do_not_count_and_a_missing_manifest_is_stale(tmp_path):
    project, _, manifest = _project(tmp_path)
    for written in (project / "target" / "run" / "x.sql", project / "logs" / "dbt.log", project / "notes.txt"):
        written.parent.mkdir(parents=True, exist_ok=True)
        written.write_text("x")
        os.utime(written, (3_000, 3_000))
    assert manifest_is_current(project, manifest)
    manifest.unlink()
    assert not manifest_is_current(project, manifest)
