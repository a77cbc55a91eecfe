"""The cycle summary (``sop_cycle.summary``) and its sending (``sop_cycle.mail``).

A hand-made scorecard and action register whose right answer is known: which KPIs changed colour, which
actions are new, due or overdue. The e-mail is parsed back and must be the same bytes on every build; it
is sent to a real SMTP server (aiosmtpd) on a free local port, and a closed port must fail without the
credentials in the error.
"""

from __future__ import annotations

import email
import email.policy
import html
import re
import socket
from datetime import datetime, timedelta, timezone
from email.utils import format_datetime, getaddresses

import numpy as np
import pandas as pd
import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

from orchestration.sop_cycle.mail import MailError, SmtpSettings, send_message
from orchestration.sop_cycle.summary import (
    CycleSummary,
    build_message,
    format_value,
    format_variance,
    render_html,
    render_markdown,
    write_summary,
)

SENDER = "S&OP cycle <sop@example.com>"
RECIPIENTS = ["planning@example.com", "Jane Doe <jane.doe@example.com>"]
SENT_AT = datetime(2026, 11, 3, 7, 30, tzinfo=timezone(timedelta(hours=1)))
PASSWORD = "s3cr3t-pw"
USERNAME = "planner@example.com"


def _kpi(kpi, label, scope, unit, actual, target, status, previous):
    variance = np.nan if target is None else actual - target
    return dict(
        kpi=kpi,
        label=label,
        scope=scope,
        unit=unit,
        actual=actual,
        target=np.nan if target is None else target,
        variance=variance,
        status=status,
        previous_status=previous,
    )


def _scorecard() -> pd.DataFrame:
    rows = [
        _kpi("fill_rate", "Fill rate", "EMEA", "ratio", 0.97, 0.95, "green", "green"),  # unchanged
        _kpi("bookings_usd", "Bookings", "EMEA", "USD", 410_000.0, 450_000.0, "amber", "green"),  # worse
        _kpi("days_of_supply", "Days of supply", "total", "days", 41.26, None, None, None),  # no target
        _kpi("otif", "OTIF", "total", "ratio", 0.91, 0.93, "amber", "amber"),  # unchanged
        _kpi("bookings_usd", "Bookings", "total", "USD", 1_234_567.4, 1_500_000.0, "red", "amber"),  # worse
        _kpi("fill_rate", "Fill rate", "total", "ratio", 0.96, 0.95, "green", "red"),  # better
        _kpi("revenue_usd", "Revenue (billings)", "total", "USD", 2_000_000.0, 2_600_000.0, "red", "red"),
        _kpi("quota_attainment", "Quota attainment", "total", "ratio", 0.875, 0.95, "red", "red"),
        # a target removed: NaN status, not a colour, and NaN previous status: no change to list
        _kpi("win_rate", "Win rate", "APAC", "ratio", 0.31, None, np.nan, np.nan),
    ]
    return pd.DataFrame(rows)


def _action(action_id, title, owner, status, due, *, new=False, overdue=0, due_next=False, link=None):
    return dict(
        action_id=action_id,
        title=title,
        owner=owner,
        status=status,
        due_date=pd.Timestamp(due) if due else pd.NaT,
        is_new=new,
        is_overdue=overdue > 0,
        days_overdue=overdue,
        is_due_next=due_next,
        link=link,
    )


def _actions() -> pd.DataFrame:
    rows = [
        _action("A-7", "Expedite PO 4411", "Ben Okafor", "in_progress", "2026-10-20", overdue=12, due_next=True),
        _action("A-12", "Review EMEA pipeline", "Dee Park", "open", "2026-11-05", due_next=True),
        _action("A-5", "Close the Q3 gap", "Eve Stone", "done", "2026-09-30"),
        _action(
            "A-1",
            "Fix <script>alert('x')</script> feed",
            "Ana Lima",
            "open",
            "2026-09-15",
            overdue=47,
            due_next=True,
            link="kpi:bookings_usd",
        ),
        _action("A-3", "Rebalance stock to APAC", "Chen Wei", "open", "2026-11-20", new=True, due_next=True),
    ]
    return pd.DataFrame(rows)


def _summary(**overrides) -> CycleSummary:
    values = dict(
        cycle_month=pd.Timestamp("2026-10-01"),
        scorecard=_scorecard(),
        actions=_actions(),
        pack_path="reports/2026-10/pack.html",
        decisions=["Confirm the EMEA bookings plan."],
        plan_changes=[],
        issues=["inputs/kpi_targets.csv row 7 refused: unknown KPI."],
    )
    values.update(overrides)
    return CycleSummary(**values)


def _sections(markdown: str) -> dict[str, list[str]]:
    """Heading → its non-empty lines (## and ### headings alike)."""
    out: dict[str, list[str]] = {}
    current = None
    for line in markdown.splitlines():
        if line.startswith("## ") or line.startswith("### "):
            current = line.lstrip("#").strip()
            out[current] = []
        elif current is not None and line.strip():
            out[current].append(line)
    return out


def _table(lines: list[str]) -> list[list[str]]:
    """The body rows of a Markdown table, cells stripped."""
    assert lines[0].startswith("| ") and set(lines[1]) <= {"|", "-"}, lines
    return [[c.strip() for c in re.split(r"(?<!\\)\|", row)[1:-1]] for row in lines[2:]]


# --- Markdown ------------------------------------------------------------------------------------------------------


def test_title_and_section_order():
    md = render_markdown(_summary())
    assert md.splitlines()[0] == "# S&OP summary — October 2026"
    headings = [line for line in md.splitlines() if line.startswith("#")]
    assert headings[1:] == [
        "## Headline",
        "## RAG changes",
        "## Decisions needed",
        "## Plan changes",
        "## Data issues",
        "## Actions",
        "### New this cycle",
        "### Due before the next meeting",
        "### Overdue",
    ]
    assert "Pack: reports/2026-10/pack.html" in md
    sections = _sections(md)
    assert sections["Decisions needed"] == ["- Confirm the EMEA bookings plan."]
    assert sections["Plan changes"] == ["none"]
    assert sections["Data issues"] == ["- inputs/kpi_targets.csv row 7 refused: unknown KPI."]


def test_rag_changes_both_directions_and_only_changes():
    changes = _sections(render_markdown(_summary()))["RAG changes"]
    assert changes == [
        "- Bookings (total): amber → red",
        "- Bookings (EMEA): green → amber",
        "- Fill rate (total): red → green",
    ]


def test_kpi_without_target_gets_no_status():
    card = _scorecard()
    # a status next to a missing target is not believed
    card.loc[card["kpi"] == "days_of_supply", "status"] = "green"
    md = render_markdown(_summary(scorecard=card))
    assert "Days of supply" not in "\n".join(_sections(md)["RAG changes"])
    headline = _sections(md)["Headline"]
    assert headline[0] == "KPIs at total scope: 3 red, 1 amber, 1 green (1 without a target)."


def test_no_changes_says_none():
    card = _scorecard()
    card["previous_status"] = card["status"]
    assert _sections(render_markdown(_summary(scorecard=card)))["RAG changes"] == ["none"]


def test_headline_red_kpis_with_formatted_numbers():
    headline = _sections(render_markdown(_summary()))["Headline"]
    assert headline[1:] == [
        "- Revenue (billings) is red: $2,000,000 against a target of $2,600,000 (−$600,000).",
        "- Bookings is red: $1,234,567 against a target of $1,500,000 (−$265,433), was amber.",
        "- Quota attainment is red: 87.5% against a target of 95.0% (−7.5 points).",
    ]


def test_formats():
    assert format_value(1_234_567.4, "USD") == "$1,234,567"
    assert format_value(-1_500.0, "USD") == "−$1,500"
    assert format_value(0.875, "ratio") == "87.5%"
    assert format_value(41.26, "days") == "41.3 days"
    assert format_value(np.nan, "USD") == "n/a"
    assert format_variance(0.021, "ratio") == "+2.1 points"
    assert format_variance(-3.04, "days") == "−3.0 days"


def test_actions_in_their_sections_with_owners():
    sections = _sections(render_markdown(_summary()))
    new = _table(sections["New this cycle"])
    due = _table(sections["Due before the next meeting"])
    overdue = _table(sections["Overdue"])
    assert [r[:4] for r in new] == [["A-3", "Rebalance stock to APAC", "Chen Wei", "2026-11-20"]]
    # by due date; the overdue ones are listed under Overdue only
    assert [(r[0], r[2], r[3]) for r in due] == [("A-12", "Dee Park", "2026-11-05"), ("A-3", "Chen Wei", "2026-11-20")]
    # most days overdue first, with owner, due date and days overdue
    assert [(r[0], r[2], r[3], r[4]) for r in overdue] == [
        ("A-1", "Ana Lima", "2026-09-15", "47"),
        ("A-7", "Ben Okafor", "2026-10-20", "12"),
    ]
    assert overdue[0][-1] == "Bookings"  # link kpi:bookings_usd shown as the KPI
    assert "A-5" not in render_markdown(_summary())  # done, not new, not due: not listed


def test_no_actions_says_none():
    sections = _sections(render_markdown(_summary(actions=_actions().iloc[0:0])))
    for heading in ("New this cycle", "Due before the next meeting", "Overdue"):
        assert sections[heading] == ["none"]


def test_markdown_is_deterministic_whatever_the_row_order():
    shuffled = _summary(
        scorecard=_scorecard().sample(frac=1, random_state=3).reset_index(drop=True),
        actions=_actions().sample(frac=1, random_state=5).reset_index(drop=True),
    )
    assert render_markdown(shuffled) == render_markdown(_summary())


def test_markdown_keeps_data_as_text():
    md = render_markdown(_summary())
    assert not re.search(r"(?<!\\)<", md)  # every < escaped
    assert "Fix \\<script>alert('x')\\</script> feed" in md


# --- HTML ----------------------------------------------------------------------------------------------------------


def _visible_text(page: str) -> str:
    return html.unescape(re.sub(r"<[^>]+>", "", page))


def test_html_escapes_text():
    page = render_html(_summary())
    assert "<script" not in page.lower()
    assert "&lt;script&gt;" in page
    text = _visible_text(page)
    assert "Fix <script>alert('x')</script> feed" in text
    assert "Bookings (EMEA): green → amber" in text
    for name in ("Ana Lima", "Ben Okafor", "Chen Wei", "Dee Park"):
        assert name in text


def test_html_is_self_contained():
    page = render_html(_summary())
    assert "http://" not in page and "https://" not in page
    assert not re.search(r"\b(src|href|srcset|action)\s*=", page, re.I)
    assert "<link" not in page.lower() and "url(" not in page.lower() and "@import" not in page.lower()
    # a URL in the data stays text, never a reference
    actions = _actions()
    actions.loc[0, "title"] = 'See https://evil.example/x.js" src="https://evil.example/y.png'
    page = render_html(_summary(actions=actions))
    tags = re.findall(r"<[^>]*>", page)
    assert tags and not [tag for tag in tags if re.search(r"\b(src|href)\s*=", tag, re.I)]
    assert "See https://evil.example/x.js" in _visible_text(page)


# --- e-mail --------------------------------------------------------------------------------------------------------


def _parse(data: bytes):
    return email.message_from_bytes(data, policy=email.policy.default)


def test_eml_parses_back(tmp_path):
    s = _summary()
    files = write_summary(s, tmp_path / "reports" / "2026-10", sender=SENDER, recipients=RECIPIENTS, sent_at=SENT_AT)
    assert sorted(p.name for p in files.eml.parent.iterdir()) == ["summary.eml", "summary.md"]  # no temp left
    assert files.markdown.read_text(encoding="utf-8") == render_markdown(s)
    msg = _parse(files.eml.read_bytes())
    assert msg.get_content_type() == "multipart/alternative"
    parts = list(msg.iter_parts())
    assert [p.get_content_type() for p in parts] == ["text/plain", "text/html"]
    # the .eml has CRLF line ends, as sent; the parts are the Markdown and the HTML
    assert files.eml.read_bytes().count(b"\r\n") == files.eml.read_bytes().count(b"\n")
    assert parts[0].get_content().replace("\r\n", "\n") == render_markdown(s)
    assert parts[1].get_content().replace("\r\n", "\n") == render_html(s)
    assert msg["Subject"] == "S&OP 2026-10: 3 red, 1 amber KPIs; 2 overdue actions"
    assert [a for _, a in getaddresses([str(msg["To"])])] == ["planning@example.com", "jane.doe@example.com"]
    assert msg["From"].addresses[0].addr_spec == "sop@example.com"
    assert msg["Date"] == format_datetime(SENT_AT)


def test_eml_is_reproducible(tmp_path):
    first = write_summary(_summary(), tmp_path / "a", sender=SENDER, recipients=RECIPIENTS, sent_at=SENT_AT)
    second = write_summary(_summary(), tmp_path / "b", sender=SENDER, recipients=RECIPIENTS, sent_at=SENT_AT)
    assert first.eml.read_bytes() == second.eml.read_bytes()
    assert first.markdown.read_bytes() == second.markdown.read_bytes()
    # written again over itself: same bytes
    again = write_summary(_summary(), tmp_path / "a", sender=SENDER, recipients=RECIPIENTS, sent_at=SENT_AT)
    assert again.eml.read_bytes() == second.eml.read_bytes()


def test_message_id_from_cycle_and_company():
    def mid(**overrides):
        return build_message(_summary(**overrides), sender=SENDER, recipients=RECIPIENTS, sent_at=SENT_AT)["Message-ID"]

    assert mid() == mid(decisions=[])
    assert mid() != mid(company="Other company")
    assert mid() != mid(cycle_month=pd.Timestamp("2026-11-01"))
    assert re.fullmatch(r"<[^<>@\s]+@example\.com>", mid())


def test_subject_counts_follow_the_data():
    card = _scorecard()
    card.loc[(card["kpi"] == "otif"), "status"] = "red"
    actions = _actions()
    actions.loc[actions["action_id"] == "A-7", ["is_overdue", "days_overdue"]] = [False, 0]
    msg = build_message(
        _summary(scorecard=card, actions=actions), sender=SENDER, recipients=RECIPIENTS, sent_at=SENT_AT
    )
    assert msg["Subject"] == "S&OP 2026-10: 4 red, 0 amber KPIs; 1 overdue actions"


# --- SMTP ----------------------------------------------------------------------------------------------------------


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class _Collect:
    """Keeps what the server received; refuses recipients whose address starts with 'nobody'."""

    def __init__(self):
        self.envelopes = []

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address.startswith("nobody"):
            return "550 5.1.1 no such user"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        self.envelopes.append(envelope)
        return "250 Message accepted for delivery"


@pytest.fixture
def smtp_server():
    def start(**kwargs):
        handler = _Collect()
        controller = Controller(handler, hostname="127.0.0.1", port=_free_port(), **kwargs)
        controller.start()
        started.append(controller)
        return handler, controller.port

    started: list[Controller] = []
    yield start
    for controller in started:
        controller.stop()


def test_send_to_a_real_server(smtp_server):
    handler, port = smtp_server()
    msg = build_message(_summary(), sender=SENDER, recipients=RECIPIENTS, sent_at=SENT_AT)
    accepted = send_message(msg, SmtpSettings("127.0.0.1", port, starttls=False, timeout=10))
    assert accepted == ["planning@example.com", "jane.doe@example.com"]
    (envelope,) = handler.envelopes
    assert envelope.mail_from == "sop@example.com"
    assert envelope.rcpt_tos == ["planning@example.com", "jane.doe@example.com"]
    received = _parse(envelope.content)
    assert received["Subject"] == "S&OP 2026-10: 3 red, 1 amber KPIs; 2 overdue actions"
    body = received.get_body(preferencelist=("plain",)).get_content()
    overdue = "\n".join(_sections(body)["Overdue"])
    assert "A-1" in overdue and "Ana Lima" in overdue


def test_refused_recipient_is_not_returned(smtp_server):
    handler, port = smtp_server()
    recipients = ["planning@example.com", "nobody@example.com"]
    msg = build_message(_summary(), sender=SENDER, recipients=recipients, sent_at=SENT_AT)
    accepted = send_message(msg, SmtpSettings("127.0.0.1", port, starttls=False, timeout=10))
    assert accepted == ["planning@example.com"]
    assert handler.envelopes[0].rcpt_tos == ["planning@example.com"]


@pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS")
def test_login_when_a_username_is_set(smtp_server):
    seen = []

    def authenticator(server, session, envelope, mechanism, auth_data):
        seen.append(auth_data)
        ok = isinstance(auth_data, LoginPassword) and auth_data.password == PASSWORD.encode()
        return AuthResult(success=ok, handled=False)

    handler, port = smtp_server(authenticator=authenticator, auth_require_tls=False, auth_required=True)
    msg = build_message(_summary(), sender=SENDER, recipients=RECIPIENTS, sent_at=SENT_AT)
    settings = SmtpSettings("127.0.0.1", port, username=USERNAME, password=PASSWORD, starttls=False, timeout=10)
    assert send_message(msg, settings) == ["planning@example.com", "jane.doe@example.com"]
    assert [a.login for a in seen] == [USERNAME.encode()]
    assert len(handler.envelopes) == 1


@pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS")
def test_refused_login_names_no_credentials(smtp_server):
    def authenticator(server, session, envelope, mechanism, auth_data):
        return AuthResult(success=False, handled=False)  # the server answers 535

    # PLAIN only, so that the refusal is one exchange
    handler, port = smtp_server(
        authenticator=authenticator, auth_require_tls=False, auth_required=True, auth_exclude_mechanism=["LOGIN"]
    )
    msg = build_message(_summary(), sender=SENDER, recipients=RECIPIENTS, sent_at=SENT_AT)
    settings = SmtpSettings("127.0.0.1", port, username=USERNAME, password=PASSWORD, starttls=False, timeout=10)
    with pytest.raises(MailError) as caught:
        send_message(msg, settings)
    text = str(caught.value)
    assert f"127.0.0.1:{port}" in text and "535" in text
    assert PASSWORD not in text and USERNAME not in text
    assert caught.value.__cause__ is None and caught.value.__suppress_context__
    assert handler.envelopes == []


def test_unreachable_server_names_no_credentials():
    port = _free_port()  # bound and released: nothing listens there
    msg = build_message(_summary(), sender=SENDER, recipients=RECIPIENTS, sent_at=SENT_AT)
    settings = SmtpSettings("127.0.0.1", port, username=USERNAME, password=PASSWORD, starttls=False, timeout=5)
    with pytest.raises(MailError) as caught:
        send_message(msg, settings)
    text = str(caught.value)
    assert f"127.0.0.1:{port}" in text
    assert PASSWORD not in text and USERNAME not in text
    assert caught.value.__cause__ is None


def test_settings_repr_hides_the_password():
    settings = SmtpSettings("smtp.example.com", username=USERNAME, password=PASSWORD)
    assert PASSWORD not in repr(settings) and PASSWORD not in str(settings)
    assert "smtp.example.com" in repr(settings) and "***" in repr(settings)
    assert "password=None" in repr(SmtpSettings("smtp.example.com"))
