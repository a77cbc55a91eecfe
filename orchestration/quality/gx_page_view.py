"""GX page views for the Data Docs site that reuse their compiled Jinja templates.

GX renders every page through a Jinja environment it creates anew for each build, so each
build recompiled all templates (about 0.6 s, most of a page's cost), and copied the site's
static assets (CSS, fonts, scripts) again. ``CachedJinjaPageView`` keeps one compiled
environment per process; importing this module makes the asset copy happen once per site
folder and process. The pages are the same. Imported by GX itself (the site config names the
view) and by the runner, so the rest of the platform does not load GX.
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


