"""GX's validation page, rendered for a site that works offline, with templates compiled once.

GX's page templates load Bootstrap, jQuery and Font Awesome from CDNs and its logo from the
web, its header links the suite's page (which this site does not build), and GX creates a new
Jinja environment (recompiling every template, about 0.6 s) for each build. Here:

- ``CachedJinjaPageView`` is GX's page view with the templates of
  ``data_docs_assets/templates`` put first (same names as GX's: page, navbar, favicon,
  scripts, footer, filter card); links to the site's own files are relative to the site's
  root (the ``site_root`` variable), styles come from the site's one stylesheet and the few
  scripts are inline. One compiled environment per process.
- ``SiteValidationResultsPageRenderer`` is GX's validation page renderer with the suite's
  name as plain text instead of a link to a page that does not exist.

Imported by the runner only, so the rest of the platform does not load GX.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from great_expectations.render.renderer import ValidationResultsPageRenderer
from great_expectations.render.view import DefaultJinjaPageView
from jinja2 import ChoiceLoader, FileSystemLoader

TEMPLATES_DIR = Path(__file__).with_name("data_docs_assets") / "templates"

_ENVIRONMENTS: dict[tuple, object] = {}


class CachedJinjaPageView(DefaultJinjaPageView):
    """GX's page view with the site's templates first and its Jinja environment reused per process."""

    def __init__(self, custom_styles_directory=None, custom_views_directory=None) -> None:
        key = (type(self).__name__, custom_styles_directory, custom_views_directory)
        shared = _ENVIRONMENTS.get(key)
        if shared is None:
            super().__init__(custom_styles_directory, custom_views_directory)
            # GX puts custom template folders after its own; the site's must win
            self.env.loader = ChoiceLoader([FileSystemLoader(str(TEMPLATES_DIR)), self.env.loader])
            _ENVIRONMENTS[key] = self.env
        else:
            self.custom_styles_directory = custom_styles_directory
            self.custom_views_directory = custom_views_directory
            self.env = shared


class SiteValidationResultsPageRenderer(ValidationResultsPageRenderer):
    """GX's validation page without the link to the suite's page (the site has validation pages only)."""

    @classmethod
    def _render_validation_header(cls, validation_results):
        header = super()._render_validation_header(validation_results)
        header.subheader.string_template.get("styling", {}).get("params", {}).pop("expectation_suite_name", None)
        return header


@lru_cache(maxsize=1)
def _renderer() -> SiteValidationResultsPageRenderer:
    return SiteValidationResultsPageRenderer()


def render_validation_page(result, site_root: str, site_title: str) -> str:
    """The HTML page of an ``ExpectationSuiteValidationResult`` for a page ``site_root`` below the site's root.

    ``site_root`` is the relative path from the page's folder to the site's root (``"../"``
    for ``validations/<suite>.html``); ``site_title`` names the site in the page's title bar.
    """
    document = _renderer().render(result)
    return CachedJinjaPageView().render(document, site_root=site_root, site_title=site_title, show_how_to_buttons=False)
