"""The Data Docs site: GX's static HTML pages of each validation, under ``reports/<YYYY-MM>/data_docs``.

GX renders every page through a Jinja environment it creates anew for each build, so each
build recompiled all templates (about 0.6 s, most of a page's cost), and copied the site's
static assets (CSS, fonts, scripts) again. The views here keep one compiled environment per
process and per view class, and the assets are copied once per site folder and process; the
pages are the same.
"""

from __future__ import annotations

from pathlib import Path

from great_expectations.data_context.store.html_site_store import HtmlSiteStore
from great_expectations.render.view import DefaultJinjaPageView

_ENVIRONMENTS: dict[tuple, object] = {}
_ASSETS_COPIED: set[str] = set()
_copy_static_assets = HtmlSiteStore.copy_static_assets


def _copy_static_assets_once(self, static_assets_source_dir=None):
    """HtmlSiteStore.copy_static_assets, skipped when this process already copied them to the site."""
    backend = self.store_backends.get("static_assets")
    base = str(getattr(backend, "full_base_directory", "") or "")
    if base and base in _ASSETS_COPIED and Path(base, "static").is_dir():
        return None
    result = _copy_static_assets(self, static_assets_source_dir)
    _ASSETS_COPIED.add(base)
    return result


HtmlSiteStore.copy_static_assets = _copy_static_assets_once


class CachedJinjaPageView(DefaultJinjaPageView):
    """GX's page view with its Jinja environment (and compiled templates) reused per process."""

    def __init__(self, custom_styles_directory=None, custom_views_directory=None) -> None:
        key = (type(self).__name__, custom_styles_directory, custom_views_directory)
        shared = _ENVIRONMENTS.get(key)
        if shared is None:
            super().__init__(custom_styles_directory, custom_views_directory)
            _ENVIRONMENTS[key] = self.env
        else:
            self.custom_styles_directory = custom_styles_directory
            self.custom_views_directory = custom_views_directory
            self.env = shared


_VIEW = {"module_name": __name__, "class_name": "CachedJinjaPageView"}


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
