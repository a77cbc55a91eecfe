"""The Data Docs site: GX's static HTML pages of each validation, under ``reports/<YYYY-MM>/data_docs``.

Each check adds the pages of its validations and refreshes the index (incremental build).
The site's views are ``orchestration.quality.gx_page_view.CachedJinjaPageView``: GX's own
page view with its templates compiled once per process instead of once per build.
"""

from __future__ import annotations

from pathlib import Path

_VIEW = {"module_name": "orchestration.quality.gx_page_view", "class_name": "CachedJinjaPageView"}


def site_config(site_dir: Path) -> dict:
    """A GX site writing to ``site_dir`` with validation pages and the index (no profiling pages)."""
    return {
        "class_name": "SiteBuilder",
        "show_how_to_buttons": False,
        "store_backend": {"class_name": "TupleFilesystemStoreBackend", "base_directory": str(site_dir)},
        "site_index_builder": {"class_name": "DefaultSiteIndexBuilder", "view": _VIEW},
        "site_section_builders": {
            "expectations": {"class_name": "DefaultSiteSectionBuilder", "source_store_name": "expectations_store",
                             "renderer": {"class_name": "ExpectationSuitePageRenderer"}, "view": _VIEW},
            "validations": {"class_name": "DefaultSiteSectionBuilder",
                            "source_store_name": "validation_results_store",
                            "renderer": {"class_name": "ValidationResultsPageRenderer"}, "view": _VIEW},
            "profiling": "0",
        },
    }


def site_dir_for(reports_root: Path, month: str) -> Path:
    """``<reports>/<YYYY-MM>/data_docs``: the site of the month a run closes."""
    return Path(reports_root) / month / "data_docs"


INDEX_DATA = "sop_checks.json"


def update_index(site_dir: Path, entry: dict) -> Path:
    """Record one check's validation in the site and rewrite ``index.html``; returns the index.

    ``entry``: ``suite``, ``months``, ``passed``, ``severity``, ``failures`` (count),
    ``page`` (path of the validation page) and ``validated_at``. The latest entry of each
    suite is shown, failures first, with a link to its GX page. (GX's own index re-reads every
    stored validation on each build; this one costs the same at the first and the last check.)
    """
    import html
    import json

    site_dir = Path(site_dir)
    site_dir.mkdir(parents=True, exist_ok=True)
    data_path = site_dir / INDEX_DATA
    entries = json.loads(data_path.read_text()) if data_path.exists() else {}
    entries[entry["suite"]] = entry
    tmp = data_path.with_suffix(".tmp")
    tmp.write_text(json.dumps(entries, indent=1, sort_keys=True))
    tmp.replace(data_path)

    def row(e: dict) -> str:
        page = Path(e["page"]).relative_to(site_dir).as_posix() if e.get("page") else ""
        status = "passed" if e["passed"] else f"failed ({e['severity']})"
        link = f'<a href="{html.escape(page)}">{html.escape(e["suite"])}</a>' if page else html.escape(e["suite"])
        return (f'<tr class="{"ok" if e["passed"] else e["severity"]}"><td>{link}</td>'
                f'<td>{html.escape(", ".join(e["months"]))}</td><td>{status}</td>'
                f'<td>{e["failures"]}</td><td>{html.escape(e["validated_at"])}</td></tr>')

    ordered = sorted(entries.values(), key=lambda e: (e["passed"], e["severity"] != "error", e["suite"]))
    failed = sum(1 for e in ordered if not e["passed"])
    page = f"""<!doctype html>
<html><head><meta charset="utf-8"><title>Data quality: {html.escape(site_dir.parent.name)}</title>
<link rel="stylesheet" href="static/styles/data_docs_default_styles.css">
<style>body{{font-family:sans-serif;margin:2em}} td,th{{padding:.3em .8em;text-align:left}}
tr.error td{{background:#fde2e1}} tr.warn td{{background:#fff3cd}}</style></head>
<body><h1>Data quality checks, {html.escape(site_dir.parent.name)}</h1>
<p>{len(ordered)} suites, {failed} failing. Each link opens the Great Expectations validation page.</p>
<table><tr><th>suite</th><th>months</th><th>result</th><th>failed expectations</th><th>validated at (UTC)</th></tr>
{''.join(row(e) for e in ordered)}
</table></body></html>
"""
    index = site_dir / "index.html"
    tmp = index.with_suffix(".tmp")
    tmp.write_text(page)
    tmp.replace(index)
    return index
