"""The planners' sales compensation plans (``inputs/comp_plans.yaml``): read, validated, never rewritten.

One file per fiscal year, one plan per CRM role, optional assignments of single reps to another plan::

    fiscal_year: 2027
    plans:
      - id: AE-2027
        role: Sales Rep                 # the CRM role the plan applies to
        ote_usd: 160000                 # on-target earnings for a full year
        pay_mix: {base: 0.6, variable: 0.4}
        measure: bookings
        earnings_cap_usd: 320000        # base + commission for the year never above this (>= OTE)
        tiers:                          # on year-to-date attainment of the annual quota
          - {from: 0.0, to: 0.5, rate: 0.5}
          - {from: 0.5, to: 1.0, rate: 1.0}
          - {from: 1.0, to: 1.5, rate: 1.6}
          - {from: 1.5, rate: 2.0}      # the last tier is open-ended
        spifs:
          - {name: New logo push, from: 2027-01, to: 2027-03, opportunity_type: New Business, amount_per_deal_usd: 1000}
        clawback: {window_months: 6}
    assignments:
      - {rep_id: "005000000000007AAA", plan: AE-2027}

- ``ote_usd``: on-target earnings of a full year; ``pay_mix``: its base and variable shares (each in [0, 1],
  adding up to 1). The payout engine (``payouts``) turns them into the base pay and the target variable.
- ``measure``: what the plan pays on; only ``bookings`` (credited bookings, net of cancellations clawed back).
- ``tiers``: bands of year-to-date attainment (bookings / annual quota) from 0 upward, contiguous, each with
  a ``rate`` that multiplies the base commission rate (below 1: a decelerator, above 1: an accelerator); every
  tier but the last has a ``to``, the last is open-ended.
- ``earnings_cap_usd`` (optional, none: uncapped): base + commission of the year never exceed it; a cap below
  OTE would make the plan unable to pay its own target, so it is refused.
- ``spifs`` (optional): a fixed amount per deal of an opportunity type (New Business, Expansion, Renewal) booked
  in the months ``from`` .. ``to`` (``YYYY-MM``, inside the fiscal year), paid on top of commission.
- ``clawback`` (optional, none: a cancelled deal is never clawed back): a deal cancelled at most
  ``window_months`` months after the month it was booked is taken back out of the bookings.
- ``assignments`` (optional): reps paid under a plan other than their role's (the assignment wins).

The fiscal year is named by the calendar year it ends in and starts in ``fiscal_year_start_month``
(1 = January: fiscal = calendar year), as in ``marts.dim_month``.

Amounts and rates are kept as ``Decimal`` (read from the YAML number as written) so payouts are exact to the
cent. Every problem of a file is collected and raised once as a ``PlannerFileError``, each naming the YAML key
path (e.g. ``plans[0].tiers[2].from``) and the rule.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from pathlib import Path

import yaml

from orchestration.sales_planning.errors import PlannerFileError

COMP_PLANS_FILE = "comp_plans.yaml"
MEASURES = ("bookings",)
OPPORTUNITY_TYPES = ("New Business", "Expansion", "Renewal")

_TOP_KEYS = ("fiscal_year", "plans", "assignments")
_PLAN_REQUIRED = ("id", "role", "ote_usd", "pay_mix", "measure", "tiers")
_PLAN_KEYS = _PLAN_REQUIRED + ("earnings_cap_usd", "spifs", "clawback")
_PAY_MIX_KEYS = ("base", "variable")
_TIER_KEYS = ("from", "to", "rate")
_SPIF_KEYS = ("name", "from", "to", "opportunity_type", "amount_per_deal_usd")
_CLAWBACK_KEYS = ("window_months",)
_ASSIGNMENT_KEYS = ("rep_id", "plan")
#: how far the pay-mix shares may miss 1 (a float written as 0.333333333 and 0.666666667)
_PAY_MIX_TOLERANCE = Decimal("1e-9")


@dataclass(frozen=True)
class Tier:
    """A band of year-to-date attainment [``from_attainment``, ``to_attainment``) (None: open-ended) and the
    multiple of the base commission rate paid on the bookings that fall in it."""

    from_attainment: Decimal
    to_attainment: Decimal | None
    rate: Decimal


@dataclass(frozen=True)
class Spif:
    """A fixed amount per deal of ``opportunity_type`` booked in the months ``from_month`` .. ``to_month``."""

    name: str
    from_month: date
    to_month: date
    opportunity_type: str
    amount_per_deal_usd: Decimal

    def covers(self, month: date) -> bool:
        """The SPIF runs in ``month`` (a first-of-month date)."""
        return self.from_month <= month <= self.to_month


@dataclass(frozen=True)
class CompPlan:
    """One compensation plan (see the module docstring for what each field means)."""

    id: str
    role: str
    ote_usd: Decimal
    base_share: Decimal
    variable_share: Decimal
    measure: str
    earnings_cap_usd: Decimal | None
    tiers: tuple[Tier, ...]
    spifs: tuple[Spif, ...] = ()
    #: None: no clawback (a cancelled deal is never taken back)
    clawback_window_months: int | None = None


@dataclass(frozen=True)
class CompPlanBook:
    """The plans of a fiscal year and the reps assigned to a plan other than their role's."""

    fiscal_year: int
    plans: tuple[CompPlan, ...]
    #: (rep_id, plan id) pairs
    assignments: tuple[tuple[str, str], ...] = ()
    fiscal_year_start_month: int = 1

    @property
    def months(self) -> list[date]:
        """The twelve fiscal months (first days), in order."""
        return fiscal_months(self.fiscal_year, self.fiscal_year_start_month)

    def plan(self, plan_id: str) -> CompPlan | None:
        """The plan with id ``plan_id``, or None."""
        return next((p for p in self.plans if p.id == plan_id), None)

    def plan_for(self, rep_id: str, role: str | None) -> CompPlan | None:
        """The plan a rep is paid under: the plan of their assignment, else their role's plan, else None."""
        assigned = dict(self.assignments).get(str(rep_id))
        if assigned is not None:
            return self.plan(assigned)
        return next((p for p in self.plans if p.role == role), None)


def fiscal_months(fiscal_year: int, start_month: int = 1) -> list[date]:
    """The twelve months (first days) of ``fiscal_year``, named by the calendar year it ends in."""
    year = fiscal_year if start_month == 1 else fiscal_year - 1
    out, month = [], start_month
    for _ in range(12):
        out.append(date(year, month, 1))
        month += 1
        if month == 13:
            year, month = year + 1, 1
    return out


def load_comp_plans(
    path: Path | str,
    *,
    fiscal_years: set[int],
    known_reps: set[str],
    display_name: str = f"inputs/{COMP_PLANS_FILE}",
    fiscal_year_start_month: int = 1,
) -> CompPlanBook:
    """The comp plans of the file at ``path``, validated (``parse_comp_plans``); errors name ``display_name``."""
    text = Path(path).read_text(encoding="utf-8")
    return parse_comp_plans(
        text,
        fiscal_years=fiscal_years,
        known_reps=known_reps,
        display_name=display_name,
        fiscal_year_start_month=fiscal_year_start_month,
    )


def parse_comp_plans(
    text: str,
    *,
    fiscal_years: set[int],
    known_reps: set[str],
    display_name: str = f"inputs/{COMP_PLANS_FILE}",
    fiscal_year_start_month: int = 1,
) -> CompPlanBook:
    """The comp plans written in ``text`` (the YAML of the module docstring).

    ``fiscal_years``: the years the calendar knows (the file's ``fiscal_year`` must be one); ``known_reps``: the
    CRM rep ids an assignment may name. Raises ``PlannerFileError`` listing every problem, each with its key path
    and rule."""
    return _Parser(display_name, fiscal_years, {str(r) for r in known_reps}, fiscal_year_start_month).parse(text)


def _is_number(value) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


def _decimal(value) -> Decimal:
    """The YAML number as written (a float through its shortest repr: 0.6 is 0.6, not 0.59999…)."""
    return Decimal(value) if isinstance(value, int) else Decimal(repr(float(value)))


class _Parser:
    """Collects every problem of one file while building its ``CompPlanBook``."""

    def __init__(self, file: str, fiscal_years: set[int], known_reps: set[str], start_month: int):
        self.file = file
        self.fiscal_years = {int(y) for y in fiscal_years}
        self.known_reps = known_reps
        self.start_month = start_month
        self.problems: list[str] = []

    def fail(self, path: str, rule: str, text: str) -> None:
        self.problems.append(f"{path}: rule {rule}: {text}")

    def keys(self, mapping: dict, path: str, allowed: tuple[str, ...], required: tuple[str, ...] = ()) -> None:
        for key in mapping:
            if key not in allowed:
                where = f"{path}.{key}" if path else str(key)
                self.fail(where, "unknown_key", f"{key!r} is not a key here (allowed: {', '.join(allowed)})")
        for key in required:
            if key not in mapping:
                where = f"{path}.{key}" if path else key
                self.fail(where, "missing_key", f"{key} is required")

    def number(self, mapping: dict, key: str, path: str) -> Decimal | None:
        """The number under ``key`` (None, with a problem, when it is there but not a number)."""
        if key not in mapping:
            return None
        value = mapping[key]
        if not _is_number(value):
            self.fail(f"{path}.{key}", "not_a_number", f"{value!r} is not a number")
            return None
        return _decimal(value)

    def month(self, mapping: dict, key: str, path: str) -> date | None:
        value = mapping.get(key)
        if isinstance(value, date):
            return date(value.year, value.month, 1)
        if isinstance(value, str) and re.fullmatch(r"\d{4}-(0[1-9]|1[0-2])", value.strip()):
            year, month = value.strip().split("-")
            return date(int(year), int(month), 1)
        self.fail(f"{path}.{key}", "bad_month", f"{value!r} is not a month (YYYY-MM)")
        return None

    def parse(self, text: str) -> CompPlanBook:
        try:
            document = yaml.safe_load(text)
        except yaml.YAMLError as exc:
            raise PlannerFileError(self.file, [f"(file): rule not_yaml: the file is not YAML ({exc})"]) from None
        if not isinstance(document, dict):
            raise PlannerFileError(
                self.file, ["(file): rule not_a_mapping: the file must be a mapping of fiscal_year, plans, assignments"]
            )
        self.keys(document, "", _TOP_KEYS, ("fiscal_year", "plans"))
        fiscal_year = document.get("fiscal_year")
        months: list[date] | None = None
        if "fiscal_year" in document:
            if (
                not isinstance(fiscal_year, int)
                or isinstance(fiscal_year, bool)
                or fiscal_year not in self.fiscal_years
            ):
                known = ", ".join(str(y) for y in sorted(self.fiscal_years))
                self.fail(
                    "fiscal_year",
                    "unknown_fiscal_year",
                    f"{fiscal_year!r} is not a fiscal year of the calendar ({known})",
                )
            else:
                months = fiscal_months(fiscal_year, self.start_month)
        plans = self.plans(document.get("plans"), months) if "plans" in document else []
        written = document.get("plans") if isinstance(document.get("plans"), list) else []
        plan_ids = {str(p["id"]) for p in written if isinstance(p, dict) and "id" in p}
        assignments = self.assignments(document.get("assignments"), plan_ids)
        if self.problems:
            raise PlannerFileError(self.file, self.problems)
        return CompPlanBook(int(fiscal_year), tuple(plans), tuple(assignments), self.start_month)

    def plans(self, value, months: list[date] | None) -> list[CompPlan]:
        if not isinstance(value, list) or not value:
            self.fail("plans", "no_plans", "plans must be a non-empty list of plans")
            return []
        out, ids, roles = [], {}, {}
        for i, item in enumerate(value):
            path = f"plans[{i}]"
            if not isinstance(item, dict):
                self.fail(path, "not_a_mapping", "a plan must be a mapping")
                continue
            plan = self.plan(item, path, months)
            plan_id, role = item.get("id"), item.get("role")
            if isinstance(plan_id, str):
                if plan_id in ids:
                    self.fail(f"{path}.id", "duplicate_plan_id", f"plan id {plan_id!r} is also plans[{ids[plan_id]}]")
                ids.setdefault(plan_id, i)
            if isinstance(role, str):
                if role in roles:
                    self.fail(
                        f"{path}.role",
                        "duplicate_role",
                        f"role {role!r} already has plans[{roles[role]}]: one plan per role",
                    )
                roles.setdefault(role, i)
            if plan is not None:
                out.append(plan)
        return out

    def plan(self, item: dict, path: str, months: list[date] | None) -> CompPlan | None:
        before = len(self.problems)
        self.keys(item, path, _PLAN_KEYS, _PLAN_REQUIRED)
        for key in ("id", "role"):
            if key in item and (not isinstance(item[key], str) or not item[key].strip()):
                self.fail(f"{path}.{key}", "bad_text", f"{key} must be a non-empty text")
        ote = self.number(item, "ote_usd", path)
        if ote is not None and ote <= 0:
            self.fail(f"{path}.ote_usd", "ote_not_positive", f"ote_usd {ote} must be > 0")
        base, variable = self.pay_mix(item.get("pay_mix"), f"{path}.pay_mix") if "pay_mix" in item else (None, None)
        if "measure" in item and item["measure"] not in MEASURES:
            self.fail(
                f"{path}.measure",
                "unknown_measure",
                f"measure {item['measure']!r} must be one of {', '.join(MEASURES)}",
            )
        cap = None
        if item.get("earnings_cap_usd") is not None:
            cap = self.number(item, "earnings_cap_usd", path)
            if cap is not None and ote is not None and cap < ote:
                self.fail(
                    f"{path}.earnings_cap_usd",
                    "cap_below_ote",
                    f"earnings_cap_usd {cap} is a cap below OTE (ote_usd {ote}): the cap must be >= OTE",
                )
        tiers = self.tiers(item.get("tiers"), f"{path}.tiers") if "tiers" in item else []
        spifs = self.spifs(item.get("spifs") or [], f"{path}.spifs", months) if "spifs" in item else []
        window = self.clawback(item.get("clawback"), f"{path}.clawback") if item.get("clawback") is not None else None
        if len(self.problems) > before:
            return None
        return CompPlan(
            id=item["id"],
            role=item["role"],
            ote_usd=ote,
            base_share=base,
            variable_share=variable,
            measure=item["measure"],
            earnings_cap_usd=cap,
            tiers=tuple(tiers),
            spifs=tuple(spifs),
            clawback_window_months=window,
        )

    def pay_mix(self, value, path: str) -> tuple[Decimal | None, Decimal | None]:
        if not isinstance(value, dict):
            self.fail(path, "not_a_mapping", "pay_mix must be a mapping {base: .., variable: ..}")
            return None, None
        self.keys(value, path, _PAY_MIX_KEYS, _PAY_MIX_KEYS)
        parts = {}
        for key in _PAY_MIX_KEYS:
            share = self.number(value, key, path)
            if share is not None and not 0 <= share <= 1:
                self.fail(f"{path}.{key}", "pay_mix_out_of_range", f"{key} share {share} must lie in [0, 1]")
            parts[key] = share
        if all(parts[k] is not None for k in _PAY_MIX_KEYS):
            if abs(parts["base"] + parts["variable"] - 1) > _PAY_MIX_TOLERANCE:
                self.fail(
                    path,
                    "pay_mix_not_one",
                    f"base {parts['base']} + variable {parts['variable']} = "
                    f"{parts['base'] + parts['variable']}, must be 1",
                )
        return parts["base"], parts["variable"]

    def tiers(self, value, path: str) -> list[Tier]:
        if not isinstance(value, list) or not value:
            self.fail(path, "no_tiers", "tiers must be a non-empty list")
            return []
        out: list[Tier] = []
        previous_to: Decimal | None = None
        for i, item in enumerate(value):
            where = f"{path}[{i}]"
            last = i == len(value) - 1
            if not isinstance(item, dict):
                self.fail(where, "not_a_mapping", "a tier must be a mapping {from: .., to: .., rate: ..}")
                previous_to = None
                continue
            self.keys(item, where, _TIER_KEYS, ("from", "rate"))
            lower = self.number(item, "from", where)
            upper = self.number(item, "to", where) if item.get("to") is not None else None
            rate = self.number(item, "rate", where)
            if lower is not None:
                if i == 0 and lower != 0:
                    self.fail(f"{where}.from", "first_tier_not_zero", f"the first tier must start at 0, not {lower}")
                if i > 0 and previous_to is not None:
                    if lower < previous_to:
                        self.fail(
                            f"{where}.from",
                            "tiers_overlap",
                            f"from {lower} is below the previous tier's to {previous_to} (tiers overlap)",
                        )
                    elif lower > previous_to:
                        self.fail(
                            f"{where}.from",
                            "tiers_gap",
                            f"from {lower} leaves a gap after the previous tier's to {previous_to}",
                        )
            if item.get("to") is None and not last:
                self.fail(f"{where}.to", "tier_without_to", "every tier but the last needs a to")
            if last and item.get("to") is not None:
                self.fail(f"{where}.to", "last_tier_not_open", "the last tier must be open-ended (no to)")
            if lower is not None and upper is not None and upper <= lower:
                self.fail(f"{where}.to", "tier_to_not_above_from", f"to {upper} must be above from {lower}")
            if rate is not None and rate < 0:
                self.fail(f"{where}.rate", "negative_rate", f"rate {rate} must be >= 0")
            previous_to = upper
            if lower is not None and rate is not None:
                out.append(Tier(lower, None if last else upper, rate))
        return out

    def spifs(self, value, path: str, months: list[date] | None) -> list[Spif]:
        if not isinstance(value, list):
            self.fail(path, "not_a_list", "spifs must be a list")
            return []
        out = []
        for i, item in enumerate(value):
            where = f"{path}[{i}]"
            if not isinstance(item, dict):
                self.fail(where, "not_a_mapping", "a SPIF must be a mapping")
                continue
            before = len(self.problems)
            self.keys(item, where, _SPIF_KEYS, _SPIF_KEYS)
            if "name" in item and (not isinstance(item["name"], str) or not item["name"].strip()):
                self.fail(f"{where}.name", "bad_text", "name must be a non-empty text")
            first = self.month(item, "from", where) if "from" in item else None
            last = self.month(item, "to", where) if "to" in item else None
            if first is not None and last is not None and last < first:
                self.fail(f"{where}.to", "spif_to_before_from", f"to {last:%Y-%m} is before from {first:%Y-%m}")
            if months is not None:
                for key, month in (("from", first), ("to", last)):
                    if month is not None and month not in months:
                        self.fail(
                            f"{where}.{key}",
                            "spif_outside_fiscal_year",
                            f"{month:%Y-%m} is outside the fiscal year ({months[0]:%Y-%m} .. {months[-1]:%Y-%m})",
                        )
            kind = item.get("opportunity_type")
            if "opportunity_type" in item and kind not in OPPORTUNITY_TYPES:
                self.fail(
                    f"{where}.opportunity_type",
                    "unknown_opportunity_type",
                    f"{kind!r} is not an opportunity type ({', '.join(OPPORTUNITY_TYPES)})",
                )
            amount = self.number(item, "amount_per_deal_usd", where)
            if amount is not None and amount <= 0:
                self.fail(f"{where}.amount_per_deal_usd", "spif_amount_not_positive", f"amount {amount} must be > 0")
            if len(self.problems) == before:
                out.append(Spif(item["name"], first, last, kind, amount))
        return out

    def clawback(self, value, path: str) -> int | None:
        if not isinstance(value, dict):
            self.fail(path, "not_a_mapping", "clawback must be a mapping {window_months: ..}")
            return None
        self.keys(value, path, _CLAWBACK_KEYS, _CLAWBACK_KEYS)
        window = value.get("window_months")
        if "window_months" not in value:
            return None
        if not isinstance(window, int) or isinstance(window, bool):
            self.fail(f"{path}.window_months", "not_whole_months", f"{window!r} must be a whole number of months")
            return None
        if window < 0:
            self.fail(f"{path}.window_months", "negative_clawback_window", f"window_months {window} must be >= 0")
            return None
        return window

    def assignments(self, value, plan_ids: set[str]) -> list[tuple[str, str]]:
        if value is None:
            return []
        if not isinstance(value, list):
            self.fail("assignments", "not_a_list", "assignments must be a list of {rep_id, plan}")
            return []
        out, seen = [], {}
        for i, item in enumerate(value):
            where = f"assignments[{i}]"
            if not isinstance(item, dict):
                self.fail(where, "not_a_mapping", "an assignment must be a mapping {rep_id: .., plan: ..}")
                continue
            self.keys(item, where, _ASSIGNMENT_KEYS, _ASSIGNMENT_KEYS)
            if "rep_id" not in item or "plan" not in item:
                continue
            rep_id, plan_id = str(item["rep_id"]), str(item["plan"])
            ok = True
            if rep_id not in self.known_reps:
                self.fail(f"{where}.rep_id", "unknown_rep", f"{rep_id!r} is not a rep of the CRM")
                ok = False
            if plan_id not in plan_ids:
                self.fail(f"{where}.plan", "unknown_plan", f"{plan_id!r} is not a plan of this file")
                ok = False
            if rep_id in seen:
                self.fail(
                    f"{where}.rep_id",
                    "duplicate_assignment",
                    f"{rep_id!r} is also assigned in assignments[{seen[rep_id]}]",
                )
                ok = False
            seen.setdefault(rep_id, i)
            if ok:
                out.append((rep_id, plan_id))
        return out
