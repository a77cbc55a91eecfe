"""The planners' supply policy: service targets, classification thresholds and the costs the plan trades off.

The planners own ``<data>/inputs/supply_policy.yaml``; the pipeline only reads it (never writes
or creates it). A missing file, or a key left out, means the documented default below, so a
file need only hold what the planners changed. ``EXAMPLE_POLICY`` is a complete file with every
default and what each key means.

Keys
    ``service_levels``: target cycle service level (probability of not running out in a
    replenishment cycle) per ABC × XYZ class, e.g. ``AX: 0.98``. High-value, steady items get
    the highest targets: their stock is worth protecting and cheap to protect (low variation);
    erratic C items get the lowest.
    ``abc_thresholds``: cumulative share of annual demand value that closes class A and B
    (``A: 0.80, B: 0.95``): the items making the first 80% of value are A, the next 15% B, the
    rest C.
    ``xyz_thresholds``: coefficient of variation of monthly demand that closes class X and Y
    (``X: 0.5, Y: 1.0``): CV ≤ 0.5 is X (steady), ≤ 1.0 Y, above Z (erratic).
    ``backlog_cost``: what a unit short costs per month it waits (the plan backlogs shortage,
    ``lp``). Exactly one of ``margin_multiple`` (× the unit margin, list price − standard cost)
    or ``per_unit`` ($). Default 0.25 × margin: a unit waiting four months costs its margin.
    ``holding_cost_rate``: cost of holding stock per year as a share of its standard cost
    (capital, storage, obsolescence); default 0.24.
    ``overtime``: ``premium_per_hour`` ($ on top of the regular rate; default 35, half the demo
    company's $70 hourly rate) and ``cap_share``, overtime allowed as a share of a month's
    regular hours (default 0.15).
    ``excess_months``: months of supply above which stock is flagged as excess (default 6).

Every error (``PolicyError``) names the file, the key and the rule, e.g.
``<path>/supply_policy.yaml: service_levels.AX: 1.2 is out of range (rule: 0 < level < 1)``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

POLICY_FILE = "supply_policy.yaml"
ABC = ("A", "B", "C")
XYZ = ("X", "Y", "Z")
CLASSES = tuple(a + x for a in ABC for x in XYZ)

DEFAULT_SERVICE_LEVELS: dict[str, float] = {
    "AX": 0.98,
    "AY": 0.97,
    "AZ": 0.95,
    "BX": 0.97,
    "BY": 0.95,
    "BZ": 0.93,
    "CX": 0.95,
    "CY": 0.92,
    "CZ": 0.90,
}

EXAMPLE_POLICY = """\
# Supply policy, owned by the planners; the pipeline reads it and never writes it.
# Any key left out takes the value shown here.

# target cycle service level per ABC (value) x XYZ (variability) class
service_levels:
  AX: 0.98
  AY: 0.97
  AZ: 0.95
  BX: 0.97
  BY: 0.95
  BZ: 0.93
  CX: 0.95
  CY: 0.92
  CZ: 0.90

# cumulative share of annual demand value closing class A and class B
abc_thresholds:
  A: 0.80
  B: 0.95

# coefficient of variation of monthly demand closing class X and class Y
xyz_thresholds:
  X: 0.5
  Y: 1.0

# cost of one unit short for one month (backlog); exactly one of margin_multiple or per_unit
backlog_cost:
  margin_multiple: 0.25

# yearly cost of holding stock, as a share of its standard cost
holding_cost_rate: 0.24

overtime:
  premium_per_hour: 35.0   # $ per overtime hour on top of the regular rate
  cap_share: 0.15          # overtime allowed, as a share of the month's regular hours

# stock above this many months of supply is flagged as excess
excess_months: 6

# how hard the constrained plan holds the safety stock: a unit-month below it costs
# holding + weight x (backlog - holding); 0 ignores it, 1 makes it as bad as a unit short
safety_stock_weight: 0.25
"""


class PolicyError(ValueError):
    """A policy file that cannot be used; the message names the file, the key and the rule."""


@dataclass(frozen=True)
class Policy:
    service_levels: dict[str, float] = field(default_factory=lambda: dict(DEFAULT_SERVICE_LEVELS))
    abc_a: float = 0.80
    abc_b: float = 0.95
    xyz_x: float = 0.5
    xyz_y: float = 1.0
    backlog_margin_multiple: float | None = 0.25
    backlog_per_unit: float | None = None
    holding_cost_rate: float = 0.24
    overtime_premium_per_hour: float = 35.0
    overtime_cap_share: float = 0.15
    excess_months: float = 6.0
    safety_stock_weight: float = 0.25
    source: str = "defaults"  # the file read, for messages

    def service_level(self, cls: str) -> float:
        """Target cycle service level of an ABC × XYZ class such as ``"BY"``."""
        return self.service_levels[cls]

    def backlog_cost_per_unit_month(self, unit_margin) -> np.ndarray:
        """$ per unit short per month: ``per_unit``, or ``margin_multiple`` × unit margin (≥ 0)."""
        margin = np.maximum(0.0, np.asarray(unit_margin, dtype=float))
        if self.backlog_per_unit is not None:
            return np.full(margin.shape, float(self.backlog_per_unit))
        return self.backlog_margin_multiple * margin


_TOP_KEYS = (
    "service_levels",
    "abc_thresholds",
    "xyz_thresholds",
    "backlog_cost",
    "holding_cost_rate",
    "overtime",
    "excess_months",
    "safety_stock_weight",
)


def _number(where: str, key: str, value, rule: str, ok) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise PolicyError(f"{where}: {key}: {value!r} is not a number (rule: {rule})")
    v = float(value)
    if not np.isfinite(v) or not ok(v):
        raise PolicyError(f"{where}: {key}: {value!r} is out of range (rule: {rule})")
    return v


def _mapping(where: str, key: str, value, allowed: tuple[str, ...]) -> dict:
    if not isinstance(value, dict):
        raise PolicyError(f"{where}: {key}: expected a mapping of {', '.join(allowed)} (rule: {key} is a mapping)")
    unknown = [k for k in value if k not in allowed]
    if unknown:
        raise PolicyError(f"{where}: {key}.{unknown[0]}: unknown key (rule: one of {', '.join(allowed)})")
    return value


def policy_from_mapping(data: dict | None, where: str = "policy") -> Policy:
    """Validate a parsed policy (the YAML as a dict) over the defaults; ``where`` names it in errors."""
    data = data or {}
    if not isinstance(data, dict):
        raise PolicyError(f"{where}: the file must be a mapping of keys (rule: top level is key: value)")
    unknown = [k for k in data if k not in _TOP_KEYS]
    if unknown:
        raise PolicyError(f"{where}: {unknown[0]}: unknown key (rule: one of {', '.join(_TOP_KEYS)})")
    base = Policy()
    kw: dict = {"source": where}

    levels = dict(base.service_levels)
    for cls, v in _mapping(where, "service_levels", data.get("service_levels", {}), CLASSES).items():
        levels[cls] = _number(where, f"service_levels.{cls}", v, "0 < level < 1", lambda x: 0 < x < 1)
    kw["service_levels"] = levels

    abc = _mapping(where, "abc_thresholds", data.get("abc_thresholds", {}), ("A", "B"))
    a = _number(where, "abc_thresholds.A", abc.get("A", base.abc_a), "0 < A < B ≤ 1", lambda x: 0 < x <= 1)
    b = _number(where, "abc_thresholds.B", abc.get("B", base.abc_b), "0 < A < B ≤ 1", lambda x: a < x <= 1)
    kw.update(abc_a=a, abc_b=b)

    xyz = _mapping(where, "xyz_thresholds", data.get("xyz_thresholds", {}), ("X", "Y"))
    x = _number(where, "xyz_thresholds.X", xyz.get("X", base.xyz_x), "0 < X < Y", lambda v: v > 0)
    y = _number(where, "xyz_thresholds.Y", xyz.get("Y", base.xyz_y), "0 < X < Y", lambda v: v > x)
    kw.update(xyz_x=x, xyz_y=y)

    if "backlog_cost" in data:
        bc = _mapping(where, "backlog_cost", data["backlog_cost"], ("margin_multiple", "per_unit"))
        if len(bc) != 1:
            raise PolicyError(
                f"{where}: backlog_cost: give exactly one of margin_multiple or per_unit "
                "(rule: one way to price a unit short)"
            )
        if "margin_multiple" in bc:
            kw["backlog_margin_multiple"] = _number(
                where, "backlog_cost.margin_multiple", bc["margin_multiple"], "> 0", lambda v: v > 0
            )
            kw["backlog_per_unit"] = None
        else:
            kw["backlog_per_unit"] = _number(where, "backlog_cost.per_unit", bc["per_unit"], "> 0", lambda v: v > 0)
            kw["backlog_margin_multiple"] = None

    if "holding_cost_rate" in data:
        kw["holding_cost_rate"] = _number(
            where, "holding_cost_rate", data["holding_cost_rate"], "0 ≤ rate ≤ 1 per year", lambda v: 0 <= v <= 1
        )
    ot = _mapping(where, "overtime", data.get("overtime", {}), ("premium_per_hour", "cap_share"))
    if "premium_per_hour" in ot:
        kw["overtime_premium_per_hour"] = _number(
            where, "overtime.premium_per_hour", ot["premium_per_hour"], "≥ 0", lambda v: v >= 0
        )
    if "cap_share" in ot:
        kw["overtime_cap_share"] = _number(
            where, "overtime.cap_share", ot["cap_share"], "0 ≤ share ≤ 1 of regular hours", lambda v: 0 <= v <= 1
        )
    if "excess_months" in data:
        kw["excess_months"] = _number(where, "excess_months", data["excess_months"], "> 0", lambda v: v > 0)
    if "safety_stock_weight" in data:
        kw["safety_stock_weight"] = _number(
            where, "safety_stock_weight", data["safety_stock_weight"], "0 ≤ weight ≤ 1", lambda v: 0 <= v <= 1
        )
    return Policy(**kw)


def read_policy(path: Path) -> Policy:
    """Read and validate the policy file; a missing file gives the defaults. Opened read-only."""
    import yaml

    path = Path(path)
    if not path.exists():
        return Policy(source=f"{path} (missing: defaults)")
    with path.open("r", encoding="utf-8") as fh:
        try:
            data = yaml.safe_load(fh)
        except yaml.YAMLError as exc:
            raise PolicyError(f"{path}: not valid YAML: {exc} (rule: the file is YAML)") from exc
    return policy_from_mapping(data, str(path))
