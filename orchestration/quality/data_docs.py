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
