"""The summary of a monthly S&OP cycle: one page that says what changed, as Markdown and as an e-mail.

The pack (``charts``, ``findings``) is for the meeting; the summary is for the people who will not open
it: how many KPIs are red, which changed colour, what the meeting must decide, what moved in the plan,
which inputs were refused, and which actions are new, due or overdue. It is written to
``reports/<YYYY-MM>/summary.md`` and ``summary.eml`` (multipart text + HTML) and can be sent with ``mail``.

Everything is derived from a ``CycleSummary`` and nothing else (no clock, no locale, no randomness), so
the same cycle gives the same bytes: the .eml's Date comes from ``sent_at``, its Message-ID from the
cycle and the company, its MIME boundary from its content.

Order of every list, so that two runs compare line by line:

- KPIs follow ``kpis.SCORECARD_KPIS`` (KPIs not in it after them, by id); within a KPI the ``total``
  scope comes first, then the regions by code;
- new actions and actions due before the next meeting by due date (undated last), then action id;
- overdue actions by days overdue (most first), then due date, then action id. An overdue action is
  listed under *Overdue* only, not also under *Due before the next meeting*;
- action ids compare with their numbers as numbers (A-2 before A-10).

In the Markdown, ``<`` in the data is written ``\\<`` (and ``|`` in table cells ``\\|``), so that a Markdown
renderer shows the text as written; the HTML escapes all text (jinja2 autoescape).
"""

from __future__ import annotations

import hashlib
import os
import re
import tempfile
from dataclasses import dataclass, field
from datetime import datetime, timezone
from email.message import EmailMessage
from email.policy import SMTP as SMTP_POLICY
from email.utils import format_datetime, getaddresses
from pathlib import Path

import jinja2
import pandas as pd

from orchestration.sop_cycle.kpis import BY_ID, SCORECARD_KPIS, TOTAL

RED, AMBER, GREEN = "red", "amber", "green"
STATUSES = (RED, AMBER, GREEN)
_MONTHS = (
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
)
_KPI_RANK = {k.kpi: i for i, k in enumerate(SCORECARD_KPIS)}
_MINUS = "−"
#: the right-hand side of the Message-ID when the sender's address has no domain
MESSAGE_ID_DOMAIN = "sop-platform.invalid"


@dataclass(frozen=True, eq=False)
class CycleSummary:
    """What the summary of one cycle says (compared by identity: it holds data frames).

    ``scorecard``: the cycle month's rows, columns kpi, label, scope ('total' or a region code), unit
    ('USD', 'ratio', 'days'), actual, target (NaN when none), variance (actual − target), status
    ('green', 'amber', 'red' or None without a target) and previous_status (last month's status or None).

    ``actions``: the action register's history rows of the cycle, columns action_id, title, owner,
    status, due_date, is_new, is_overdue, days_overdue, is_due_next and link.
    """

    cycle_month: pd.Timestamp
    scorecard: pd.DataFrame
    actions: pd.DataFrame
    company: str = "Demo company"
    pack_path: str | None = None
    decisions: list[str] = field(default_factory=list)
    plan_changes: list[str] = field(default_factory=list)
    issues: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        month = pd.Timestamp(self.cycle_month)
        object.__setattr__(self, "cycle_month", pd.Timestamp(year=month.year, month=month.month, day=1))

    @property
    def cycle(self) -> str:
        """The cycle as YYYY-MM."""
        return f"{self.cycle_month.year:04d}-{self.cycle_month.month:02d}"

    @property
    def month_label(self) -> str:
        """The cycle as 'October 2026' (English whatever the locale)."""
        return f"{_MONTHS[self.cycle_month.month - 1]} {self.cycle_month.year}"


@dataclass(frozen=True)
class SummaryFiles:
    """The files ``write_summary`` wrote."""

    markdown: Path
    eml: Path


# --- formatting ----------------------------------------------------------------------------------------------------


def _missing(value) -> bool:
    return value is None or (not isinstance(value, str) and bool(pd.isna(value)))


def _status(value) -> str | None:
    """'red', 'amber', 'green' or None (None, NaN and empty text are no status)."""
    if _missing(value):
        return None
    text = str(value).strip().lower()
    return text or None


def format_value(value, unit: str) -> str:
    """$1,234,567 for USD, 87.5% for ratios, 12.3 days for days; 'n/a' when missing."""
    if _missing(value):
        return "n/a"
    value = float(value)
    if unit == "USD":
        text = f"${abs(value):,.0f}"
        return (_MINUS if round(value) < 0 else "") + text
    if unit == "ratio":
        text = f"{abs(value) * 100:.1f}%"
        return (_MINUS if round(value * 100, 1) < 0 else "") + text
    text = f"{abs(value):,.1f}"
    sign = _MINUS if round(value, 1) < 0 else ""
    return f"{sign}{text} days" if unit == "days" else sign + text


def format_variance(value, unit: str) -> str:
    """A signed difference: +$12,000, −2.5 points (ratios), +1.5 days."""
    if _missing(value):
        return "n/a"
    value = float(value)
    if unit == "ratio":
        shown = round(value * 100, 1)
        sign = "+" if shown > 0 else (_MINUS if shown < 0 else "")
        return f"{sign}{abs(shown):.1f} points"
    text = format_value(abs(value), unit)
    shown = round(value) if unit == "USD" else round(value, 1)
    return ("+" if shown > 0 else (_MINUS if shown < 0 else "")) + text


def _natural(text) -> tuple:
    """Sort key of an id with its numbers compared as numbers."""
    parts = re.split(r"(\d+)", "" if _missing(text) else str(text))
    return tuple((0, int(p), "") if p.isdigit() else (1, 0, p) for p in parts if p)


def _one_line(value) -> str:
    """Text on one line: None/NaN as empty, whitespace runs (newlines too) as one space."""
    return "" if _missing(value) else " ".join(str(value).split())


def _date(value) -> str:
    if _missing(value):
        return "no date"
    stamp = _timestamp(value)
    return stamp.strftime("%Y-%m-%d") if stamp is not None else _one_line(value)


def _kpi_key(kpi: str, scope: str) -> tuple:
    rank = _KPI_RANK.get(kpi, len(_KPI_RANK))
    return (rank, kpi if rank == len(_KPI_RANK) else "", 0 if scope == TOTAL else 1, scope)


def _label(row: dict) -> str:
    label = _one_line(row.get("label")) or (BY_ID[row["kpi"]].label if row.get("kpi") in BY_ID else str(row["kpi"]))
    return f"{label} ({row['scope']})"


def _link(value) -> str:
    """kpi:<id> as the KPI's label, exception:<text> as the text, anything else as written."""
    text = _one_line(value)
    if text.startswith("kpi:"):
        kpi = text[4:]
        return BY_ID[kpi].label if kpi in BY_ID else kpi
    if text.startswith("exception:"):
        return text[len("exception:") :].strip()
    return text


# --- content -------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Table:
    """A table of text cells: the Markdown and the HTML show the same."""

    headers: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]


@dataclass(frozen=True)
class RagChange:
    label: str  # "Bookings (EMEA)"
    before: str | None
    after: str | None


@dataclass(frozen=True)
class Content:
    """What the summary says, in display text, in display order."""

    title: str
    company: str
    month_label: str
    cycle: str
    pack_path: str | None
    counts: dict[str, int]  # red, amber, green and 'none' (no target) at total scope
    headline: str
    red_lines: tuple[str, ...]
    rag_changes: tuple[RagChange, ...]
    decisions: tuple[str, ...]
    plan_changes: tuple[str, ...]
    issues: tuple[str, ...]
    actions: tuple[tuple[str, Table], ...]  # (heading, table), tables with no rows say "none"
    overdue_count: int


def _scorecard_rows(scorecard: pd.DataFrame) -> list[dict]:
    if scorecard is None or scorecard.empty:
        return []
    rows = []
    for raw in scorecard.to_dict("records"):
        row = dict(raw)
        row["kpi"] = str(row.get("kpi"))
        row["scope"] = TOTAL if _missing(row.get("scope")) else str(row["scope"])
        row["unit"] = "" if _missing(row.get("unit")) else str(row["unit"])
        row["status"] = _status(row.get("status"))
        row["previous_status"] = _status(row.get("previous_status"))
        if _missing(row.get("target")):
            row["status"] = None  # no target, no status: nothing is made up
        rows.append(row)
    return sorted(rows, key=lambda r: _kpi_key(r["kpi"], r["scope"]))


def _red_line(row: dict) -> str:
    unit = row["unit"]
    variance = row.get("variance")
    if _missing(variance) and not _missing(row.get("actual")) and not _missing(row.get("target")):
        variance = float(row["actual"]) - float(row["target"])
    label = _label(row).removesuffix(f" ({TOTAL})")
    text = (
        f"{label} is red: {format_value(row.get('actual'), unit)} against a target of "
        f"{format_value(row.get('target'), unit)} ({format_variance(variance, unit)})"
    )
    before = row["previous_status"]
    return text + (f", was {before}." if before and before != RED else ".")


def _flag(actions: pd.DataFrame, column: str) -> pd.Series:
    if column not in actions.columns:
        return pd.Series(False, index=actions.index)
    return actions[column].map(lambda v: False if _missing(v) else bool(v)).astype(bool)


def _timestamp(value) -> pd.Timestamp | None:
    if _missing(value):
        return None
    try:
        stamp = pd.Timestamp(value)
    except (TypeError, ValueError):
        return None
    return None if pd.isna(stamp) else stamp


def _action_key(row: dict) -> tuple:
    due = _timestamp(row.get("due_date"))
    return (due is None, due if due is not None else pd.Timestamp.min, _natural(row.get("action_id")))


def _overdue_days(row: dict) -> int:
    value = row.get("days_overdue")
    return 0 if _missing(value) else int(value)


_ACTION_HEADERS = ("Action", "Title", "Owner", "Due", "Status", "For")


def _action_cells(row: dict, overdue: bool) -> tuple[str, ...]:
    cells = [
        _one_line(row.get("action_id")),
        _one_line(row.get("title")),
        _one_line(row.get("owner")) or "unassigned",
        _date(row.get("due_date")),
    ]
    if overdue:
        cells.append(str(_overdue_days(row)))
    cells += [_one_line(row.get("status")).replace("_", " "), _link(row.get("link"))]
    return tuple(cells)


def _action_tables(actions: pd.DataFrame) -> tuple[tuple[tuple[str, Table], ...], int]:
    if actions is None:
        actions = pd.DataFrame()
    overdue_flag = _flag(actions, "is_overdue")
    new = actions[_flag(actions, "is_new")].to_dict("records")
    due = actions[_flag(actions, "is_due_next") & ~overdue_flag].to_dict("records")
    overdue = actions[overdue_flag].to_dict("records")
    new.sort(key=_action_key)
    due.sort(key=_action_key)
    overdue.sort(key=lambda r: (-_overdue_days(r), _action_key(r)))
    overdue_headers = _ACTION_HEADERS[:4] + ("Days overdue",) + _ACTION_HEADERS[4:]
    tables = (
        ("New this cycle", Table(_ACTION_HEADERS, tuple(_action_cells(r, False) for r in new))),
        ("Due before the next meeting", Table(_ACTION_HEADERS, tuple(_action_cells(r, False) for r in due))),
        ("Overdue", Table(overdue_headers, tuple(_action_cells(r, True) for r in overdue))),
    )
    return tables, len(overdue)


def summary_content(s: CycleSummary) -> Content:
    """The summary's text, shared by the Markdown, the HTML and the subject line."""
    rows = _scorecard_rows(s.scorecard)
    total = [r for r in rows if r["scope"] == TOTAL]
    counts = {status: sum(r["status"] == status for r in total) for status in STATUSES}
    counts["none"] = sum(r["status"] is None for r in total)
    headline = f"KPIs at total scope: {counts[RED]} red, {counts[AMBER]} amber, {counts[GREEN]} green"
    headline += f" ({counts['none']} without a target)." if counts["none"] else "."
    changes = tuple(
        RagChange(_label(r), r["previous_status"], r["status"]) for r in rows if r["status"] != r["previous_status"]
    )
    actions, overdue = _action_tables(s.actions)
    return Content(
        title=f"S&OP summary — {s.month_label}",
        company=_one_line(s.company),
        month_label=s.month_label,
        cycle=s.cycle,
        pack_path=_one_line(s.pack_path) or None,
        counts=counts,
        headline=headline,
        red_lines=tuple(_red_line(r) for r in total if r["status"] == RED),
        rag_changes=changes,
        decisions=tuple(t for t in map(_one_line, s.decisions or ()) if t),
        plan_changes=tuple(t for t in map(_one_line, s.plan_changes or ()) if t),
        issues=tuple(t for t in map(_one_line, s.issues or ()) if t),
        actions=actions,
        overdue_count=overdue,
    )


# --- Markdown ------------------------------------------------------------------------------------------------------


def _status_text(status: str | None) -> str:
    return status or "no status"


def _md_text(text: str) -> str:
    """``<`` as ``\\<``: a Markdown renderer shows a tag or an autolink in the data as text."""
    return text.replace("<", "\\<")


def _md_cell(text: str) -> str:
    return _md_text(text.replace("\\", "\\\\").replace("|", "\\|"))


def _md_table(table: Table) -> list[str]:
    if not table.rows:
        return ["none"]
    lines = ["| " + " | ".join(table.headers) + " |", "|" + "|".join("---" for _ in table.headers) + "|"]
    lines += ["| " + " | ".join(_md_cell(c) for c in row) + " |" for row in table.rows]
    return lines


def _md_list(items) -> list[str]:
    return [f"- {_md_text(item)}" for item in items] if items else ["none"]


def render_markdown(s: CycleSummary) -> str:
    """The summary as Markdown (also the text/plain part of the e-mail)."""
    c = summary_content(s)
    lines = [f"# {c.title}", "", f"{_md_text(c.company)} · cycle {c.cycle}"]
    if c.pack_path:
        lines += ["", f"Pack: {_md_text(c.pack_path)}"]
    lines += ["", "## Headline", "", c.headline]
    if c.red_lines:
        lines += [""] + _md_list(c.red_lines)
    changes = [f"{ch.label}: {_status_text(ch.before)} → {_status_text(ch.after)}" for ch in c.rag_changes]
    lines += ["", "## RAG changes", ""] + _md_list(changes)
    lines += ["", "## Decisions needed", ""] + _md_list(c.decisions)
    lines += ["", "## Plan changes", ""] + _md_list(c.plan_changes)
    lines += ["", "## Data issues", ""] + _md_list(c.issues)
    lines += ["", "## Actions"]
    for heading, table in c.actions:
        lines += ["", f"### {heading}", ""] + _md_table(table)
    return "\n".join(lines) + "\n"


# --- HTML ----------------------------------------------------------------------------------------------------------

#: colours of the statuses in the HTML (inline styles: mail clients drop style sheets and links)
STATUS_COLOURS = {RED: "#c62828", AMBER: "#b26a00", GREEN: "#2e7d32", None: "#616161"}

HTML_TEMPLATE = """\
<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{ c.title }}</title>
</head>
<body style="margin:0;padding:16px;font-family:Arial,Helvetica,sans-serif;font-size:14px;color:#212121;\
background:#ffffff;">
{%- macro status(value) -%}
<span style="font-weight:bold;color:{{ colours.get(value, colours[None]) }};">{{ value or "no status" }}</span>
{%- endmacro %}
{%- macro items(values) -%}
{%- if values %}
<ul style="margin:4px 0 12px 0;padding-left:20px;">
{%- for v in values %}
<li style="margin:2px 0;">{{ v }}</li>
{%- endfor %}
</ul>
{%- else %}
<p style="margin:4px 0 12px 0;color:#616161;">none</p>
{%- endif %}
{%- endmacro %}
<h1 style="font-size:20px;margin:0 0 4px 0;">{{ c.title }}</h1>
<p style="margin:0 0 4px 0;color:#616161;">{{ c.company }} · cycle {{ c.cycle }}</p>
{%- if c.pack_path %}
<p style="margin:0 0 4px 0;color:#616161;">Pack: <code>{{ c.pack_path }}</code></p>
{%- endif %}
<h2 style="{{ h2 }}">Headline</h2>
<p style="margin:4px 0;">KPIs at total scope:
{% for name in statuses %}<span style="font-weight:bold;color:{{ colours[name] }};">{{ c.counts[name] }} {{ name }}\
</span>{{ ", " if not loop.last }}{% endfor %}
{%- if c.counts["none"] %} ({{ c.counts["none"] }} without a target){% endif %}.</p>
{%- if c.red_lines %}{{ items(c.red_lines) }}{% endif %}
<h2 style="{{ h2 }}">RAG changes</h2>
{%- if c.rag_changes %}
<ul style="margin:4px 0 12px 0;padding-left:20px;">
{%- for ch in c.rag_changes %}
<li style="margin:2px 0;">{{ ch.label }}: {{ status(ch.before) }} → {{ status(ch.after) }}</li>
{%- endfor %}
</ul>
{%- else %}
<p style="margin:4px 0 12px 0;color:#616161;">none</p>
{%- endif %}
<h2 style="{{ h2 }}">Decisions needed</h2>
{{- items(c.decisions) }}
<h2 style="{{ h2 }}">Plan changes</h2>
{{- items(c.plan_changes) }}
<h2 style="{{ h2 }}">Data issues</h2>
{{- items(c.issues) }}
<h2 style="{{ h2 }}">Actions</h2>
{%- for heading, table in c.actions %}
<h3 style="font-size:14px;margin:12px 0 4px 0;">{{ heading }}</h3>
{%- if table.rows %}
<table style="border-collapse:collapse;margin:4px 0 12px 0;">
<tr>
{%- for h in table.headers %}<th style="{{ cell }}background:#f5f5f5;text-align:left;">{{ h }}</th>{% endfor -%}
</tr>
{%- for row in table.rows %}
<tr>{% for v in row %}<td style="{{ cell }}">{{ v }}</td>{% endfor %}</tr>
{%- endfor %}
</table>
{%- else %}
<p style="margin:4px 0 12px 0;color:#616161;">none</p>
{%- endif %}
{%- endfor %}
</body>
</html>
"""

_ENV = jinja2.Environment(autoescape=True, undefined=jinja2.StrictUndefined, keep_trailing_newline=True)
_HTML = _ENV.from_string(HTML_TEMPLATE)


def render_html(s: CycleSummary) -> str:
    """The summary as one self-contained HTML page: inline styles, no external resource, all text escaped."""
    return _HTML.render(
        c=summary_content(s),
        statuses=STATUSES,
        colours=STATUS_COLOURS,
        h2="font-size:16px;margin:16px 0 4px 0;border-bottom:1px solid #e0e0e0;",
        cell="border:1px solid #e0e0e0;padding:4px 8px;vertical-align:top;",
    )


# --- e-mail --------------------------------------------------------------------------------------------------------


def subject(s: CycleSummary) -> str:
    """S&OP 2026-10: 2 red, 1 amber KPIs; 3 overdue actions (KPIs at total scope)."""
    c = summary_content(s)
    return f"S&OP {c.cycle}: {c.counts[RED]} red, {c.counts[AMBER]} amber KPIs; {c.overdue_count} overdue actions"


def message_id(s: CycleSummary, sender: str = "") -> str:
    """The same id for the same cycle and company (the right-hand side is the sender's domain)."""
    company = _one_line(s.company)
    digest = hashlib.sha256(f"{s.cycle}|{company}".encode()).hexdigest()[:16]
    slug = re.sub(r"[^a-z0-9]+", "-", company.lower()).strip("-")[:40] or "company"
    addresses = getaddresses([sender]) if sender else []
    domain = addresses[0][1].rpartition("@")[2] if addresses and "@" in addresses[0][1] else ""
    domain = domain if re.fullmatch(r"[A-Za-z0-9.-]+", domain or "") else MESSAGE_ID_DOMAIN
    return f"<sop-summary.{s.cycle}.{slug}.{digest}@{domain}>"


def build_message(s: CycleSummary, *, sender: str, recipients: list[str], sent_at: datetime) -> EmailMessage:
    """The summary as an e-mail: multipart/alternative, the Markdown as text/plain and the HTML as text/html.

    ``sent_at`` is the Date header (a naive datetime is taken as UTC). The MIME boundary is derived from
    the content, so the same input gives the same bytes.
    """
    if not recipients:
        raise ValueError("the summary needs at least one recipient")
    if sent_at.tzinfo is None:
        sent_at = sent_at.replace(tzinfo=timezone.utc)
    text, html = render_markdown(s), render_html(s)
    msg = EmailMessage()
    msg["Subject"] = subject(s)
    msg["From"] = sender
    msg["To"] = ", ".join(recipients)
    msg["Date"] = format_datetime(sent_at)
    msg["Message-ID"] = message_id(s, sender)
    msg["Auto-Submitted"] = "auto-generated"  # RFC 3834: no out-of-office replies to the summary
    msg.set_content(text, subtype="plain", charset="utf-8", cte="quoted-printable")
    msg.add_alternative(html, subtype="html", charset="utf-8", cte="quoted-printable")
    # "=_" cannot occur in quoted-printable text, so the boundary cannot collide with the parts
    msg.set_boundary("=_sop_" + hashlib.sha256((text + "\0" + html).encode()).hexdigest()[:32])
    return msg


def _write_atomic(path: Path, data: bytes) -> None:
    """Write to a temporary file in the same folder, then rename it over ``path``: readers never see half a file."""
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def write_summary(
    s: CycleSummary, out_dir: Path, *, sender: str, recipients: list[str], sent_at: datetime
) -> SummaryFiles:
    """Write ``summary.md`` and ``summary.eml`` (CRLF line ends, as sent) into ``out_dir``, e.g. reports/2026-10/."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    files = SummaryFiles(out_dir / "summary.md", out_dir / "summary.eml")
    msg = build_message(s, sender=sender, recipients=recipients, sent_at=sent_at)
    _write_atomic(files.markdown, render_markdown(s).encode("utf-8"))
    _write_atomic(files.eml, msg.as_bytes(policy=SMTP_POLICY))
    return files
