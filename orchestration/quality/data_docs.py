"""The Data Docs site: one static HTML site per run, ``reports/<YYYY-MM>/data_docs`` (the run's last month).

Layout (nothing else is kept; every file is linked from the index or links it)::

    index.html                         every suite's latest result, failures first
    sop_checks.json                    the index's data (one entry per suite)
    static/styles/data_docs.css        the one stylesheet (shipped in ``data_docs_assets``)
    validations/<suite>.html           the GX validation page of the suite's latest check

A check writes its suite's page (a later check of the suite overwrites it) and refreshes the
index, so a site holds one page per suite whatever the months a run covers and however often
the month is run again. The pages are GX's, rendered by ``gx_page_view`` without anything
from the web (Bootstrap, jQuery, Font Awesome, the GX logo): the site reads the same offline.
A refresh also removes files the site no longer links (e.g. pages of a former layout).

No GX here: the engine imports this module, the runner renders the pages.
"""

from __future__ import annotations

import contextlib
import html
import json
import os
import threading
from collections.abc import Iterator
from pathlib import Path

ASSETS_DIR = Path(__file__).with_name("data_docs_assets")
STYLESHEET = "static/styles/data_docs.css"
INDEX_DATA = "sop_checks.json"
PAGES_DIR = "validations"

_thread_lock = threading.Lock()


def site_dir_for(reports_root: Path, month: str) -> Path:
    """``<reports>/<YYYY-MM>/data_docs``: the site of the month a run closes."""
    return Path(reports_root) / month / "data_docs"


def run_name(months: list[str]) -> str:
    """The name a run's validations carry: its month (``2024-03``) or first and last (``2024-01..2024-03``)."""
    first, last = min(months), max(months)
    return first if first == last else f"{first}..{last}"


def page_for(site_dir: Path, suite: str) -> Path:
    """Where the validation page of ``suite`` lives in the site (one page per suite)."""
    return Path(site_dir) / PAGES_DIR / f"{suite}.html"


#: from a page (``validations/<suite>.html``) back to the site's root
PAGE_SITE_ROOT = "../"


@contextlib.contextmanager
def site_lock(site_dir: Path) -> Iterator[None]:
    """Hold the site while a check writes its page and the index (checks may run in parallel processes).

    The lock is taken on the site's folder itself (POSIX ``flock``), so the site has no lock file.
    """
    site_dir = Path(site_dir)
    site_dir.mkdir(parents=True, exist_ok=True)
    try:
        import fcntl
    except ImportError:  # pragma: no cover - not POSIX: the threads of one process are still serialized
        fcntl = None
    with _thread_lock:
        if fcntl is None:
            yield
            return
        fd = os.open(site_dir, os.O_RDONLY)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            yield
        finally:
            os.close(fd)  # releases the lock


def _write(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` atomically (readers never see half a page)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.write_text(text, encoding="utf-8")
    tmp.replace(path)


def write_page(site_dir: Path, suite: str, page_html: str) -> Path:
    """Write the validation page of ``suite`` (replacing the previous one) and the stylesheet; returns the page."""
    site_dir = Path(site_dir)
    stylesheet = site_dir / STYLESHEET
    source = (ASSETS_DIR / "data_docs.css").read_text(encoding="utf-8")
    if not stylesheet.is_file() or stylesheet.read_text(encoding="utf-8") != source:
        _write(stylesheet, source)
    page = page_for(site_dir, suite)
    _write(page, page_html)
    return page


def update_index(site_dir: Path, entry: dict) -> Path:
    """Record one check's validation in the site, rewrite ``index.html`` and prune; returns the index.

    ``entry``: ``suite``, ``months``, ``run_name``, ``passed``, ``severity``, ``failures``
    (count), ``page`` (path of the validation page) and ``validated_at``. The latest entry of
    each suite is shown, failures first, with a link to its GX page. (GX's own index re-reads
    every stored validation on each build; this one costs the same at the first and the last
    check.) Call it under ``site_lock`` together with ``write_page``.
    """
    site_dir = Path(site_dir)
    site_dir.mkdir(parents=True, exist_ok=True)
    data_path = site_dir / INDEX_DATA
    entries = json.loads(data_path.read_text()) if data_path.exists() else {}
    entries[entry["suite"]] = dict(entry)
    # a suite's page is validations/<suite>.html; a suite without one is listed without a link
    # (an entry of an older layout names a page per run, pruned below, until the suite is checked again)
    for e in entries.values():
        page = page_for(site_dir, e["suite"])
        e["page"] = page.relative_to(site_dir).as_posix() if e.get("page") and page.is_file() else ""
    _write(data_path, json.dumps(entries, indent=1, sort_keys=True))

    def row(e: dict) -> str:
        page = e.get("page") or ""
        status = "passed" if e["passed"] else f"failed ({e['severity']})"
        link = f'<a href="{html.escape(page)}">{html.escape(e["suite"])}</a>' if page else html.escape(e["suite"])
        months = e.get("run_name") or ", ".join(e["months"])
        return (
            f'<tr class="{"ok" if e["passed"] else e["severity"]}"><td>{link}</td>'
            f"<td>{html.escape(months)}</td><td>{status}</td>"
            f"<td>{e['failures']}</td><td>{html.escape(e['validated_at'])}</td></tr>"
        )

    ordered = sorted(entries.values(), key=lambda e: (e["passed"], e["severity"] != "error", e["suite"]))
    failed = sum(1 for e in ordered if not e["passed"])
    title = html.escape(site_dir.parent.name)
    page = f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Data quality: {title}</title>
<link rel="stylesheet" href="{STYLESHEET}">
<link rel="icon" href="data:,"></head>
<body><main class="sop-index"><h1>Data quality checks, {title}</h1>
<p>{len(ordered)} suites, {failed} failing. Each link opens the Great Expectations validation page.</p>
<table class="table table-sm"><thead><tr><th>suite</th><th>months</th><th>result</th><th>failed expectations</th>
<th>validated at (UTC)</th></tr></thead><tbody>
{chr(10).join(row(e) for e in ordered)}
</tbody></table></main></body></html>
"""
    index = site_dir / "index.html"
    _write(index, page)
    prune(site_dir, entries)
    return index


def prune(site_dir: Path, entries: dict) -> list[Path]:
    """Remove every file of the site that is neither the index, its data, the stylesheet nor a listed page.

    Keeps the site's size bounded by its suites: pages of a former layout (one per month and
    run under ``validations/<suite>/<run>/<time>/``), GX's images and fonts, pages of suites no
    longer listed and files half-written by a crashed check go. Run it under ``site_lock``.
    Returns the files removed.
    """
    site_dir = Path(site_dir)
    keep = {site_dir / "index.html", site_dir / INDEX_DATA, site_dir / STYLESHEET}
    keep |= {site_dir / e["page"] for e in entries.values() if e.get("page")}
    removed = []
    for path in sorted(site_dir.rglob("*"), reverse=True):
        if path.is_dir():
            with contextlib.suppress(OSError):
                path.rmdir()  # only if empty
        elif path not in keep:
            path.unlink(missing_ok=True)
            removed.append(path)
    return removed
