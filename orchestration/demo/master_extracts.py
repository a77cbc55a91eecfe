"""What the master data looks like in a month's extracts.

Snapshots (territories, users, items) show the state at month end; a row's last-modified time
is the time of its latest change when that change happened in the month, otherwise the
extract time (month end), so every snapshot reads as fresh. Deltas (accounts, customers) have a
row for every record created or changed in the month, in its state at month end. The first
generated month is the initial load: it carries every account and customer that existed
before it, stamped with the load time.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from . import calendar as cal
from .company import Company
from .customers import SEGMENTS
from .geography import TERRITORIES
from .products import FAMILIES


def _latest_in_month(keys: np.ndarray, times: np.ndarray, month: int, size: int) -> np.ndarray:
    """[size] latest timestamp per key within ``month`` (NaT where none)."""
    out = np.full(size, np.datetime64("NaT"), dtype="datetime64[s]")
    inside = cal.month_of(times) == month if len(times) else np.zeros(0, dtype=bool)
    if inside.any():
        k, t = keys[inside], times[inside]
        order = np.lexsort((t, k))
        k, t = k[order], t[order]
        last = np.r_[k[1:] != k[:-1], True]
        out[k[last]] = t[last]
    return out


def territories(month: int) -> pd.DataFrame:
    n = len(TERRITORIES)
    return pd.DataFrame(
        {
            "Id": np.array([t.id for t in TERRITORIES], dtype=object),
            "Name": np.array([t.name for t in TERRITORIES], dtype=object),
            "Region__c": np.array([t.region for t in TERRITORIES], dtype=object),
            "CurrencyIsoCode": np.array([t.currency for t in TERRITORIES], dtype=object),
            "LastModifiedDate": np.full(n, cal.month_end_time(month, 22)),
        }
    )


def users(company: Company, month: int) -> pd.DataFrame:
    w = company.workforce
    r = cal.horizon_position(month)
    end = cal.last_day(month)
    hired = np.flatnonzero(w.hire_date <= end)
    active = np.isnat(w.leave_date) | (w.leave_date > end)
    changed = _latest_in_month(w.change_times[0], w.change_times[1], month, w.count)
    modified = np.where(np.isnat(changed), cal.month_end_time(month, 22), changed)
    territory_ids = np.array([t.id for t in TERRITORIES], dtype=object)
    return pd.DataFrame(
        {
            "Id": w.user_id[hired],
            "Name": w.name[hired],
            "Email": w.email[hired],
            "UserRoleName": w.role[hired],
            "ManagerId": w.manager_id_at(r)[hired],
            "Territory__c": territory_ids[w.territory_at[hired, r]],
            "IsActive": active[hired],
            "HireDate__c": w.hire_date[hired],
            "LastModifiedDate": modified[hired],
        }
    )


def accounts(company: Company, month: int, initial_load: bool) -> pd.DataFrame:
    b = company.accounts
    r = cal.horizon_position(month)
    end = (cal.last_day(month) + np.timedelta64(1, "D")).astype("datetime64[s]")
    idx = np.arange(b.count)
    keys = [idx, b.owner_change_times[0], idx]
    times = [b.created_at, b.owner_change_times[1], b.erp_number_filled_at]
    keys_all = np.concatenate(keys)
    times_all = np.concatenate(times)
    valid = ~np.isnat(times_all)
    changed = _latest_in_month(keys_all[valid], times_all[valid], month, b.count)
    include = b.in_crm & (
        ~np.isnat(changed) | (initial_load & (b.created_at < cal.first_day(month).astype("datetime64[s]")))
    )
    rows = np.flatnonzero(include)
    modified = np.where(np.isnat(changed), cal.month_end_time(month, 20), changed)[rows]
    filled = ~np.isnat(b.erp_number_filled_at[rows]) & (b.erp_number_filled_at[rows] < end)
    territory_ids = np.array([t.id for t in TERRITORIES], dtype=object)
    return pd.DataFrame(
        {
            "Id": b.account_id[rows],
            "Name": b.account_name[rows],
            "Industry": b.industry[rows],
            "Segment__c": np.array(SEGMENTS, dtype=object)[b.segment[rows]],
            "BillingCountry": b.country[rows],
            "Territory__c": territory_ids[b.territory[rows]],
            "OwnerId": company.workforce.user_id[b.owner[rows, r]],
            "ERP_Customer_Number__c": np.where(filled, b.customer_number[rows], None),
            "CreatedDate": b.created_at[rows],
            "LastModifiedDate": modified,
        }
    )


def customers(company: Company, month: int, initial_load: bool) -> pd.DataFrame:
    b = company.accounts
    idx = np.arange(b.count)
    keys = np.concatenate([idx, idx])
    times = np.concatenate([b.customer_created_at, b.terms_change_at])
    valid = ~np.isnat(times)
    changed = _latest_in_month(keys[valid], times[valid], month, b.count)
    existed = b.customer_created_at < cal.first_day(month).astype("datetime64[s]")
    rows = np.flatnonzero(~np.isnat(changed) | (initial_load & existed))
    modified = np.where(np.isnat(changed), cal.month_end_time(month, 20), changed)[rows]
    end = (cal.last_day(month) + np.timedelta64(1, "D")).astype("datetime64[s]")
    return pd.DataFrame(
        {
            "customer_number": b.customer_number[rows],
            "customer_name": b.erp_name[rows],
            "country_code": b.country[rows],
            "region_code": np.array([TERRITORIES[t].region for t in b.territory[rows]], dtype=object),
            "currency_code": np.array([TERRITORIES[t].currency for t in b.territory[rows]], dtype=object),
            "payment_terms": b.payment_terms_at(end)[rows],
            "created_at": b.customer_created_at[rows],
            "updated_at": modified,
        }
    ).sort_values("customer_number", kind="stable", ignore_index=True)


def items(company: Company, month: int) -> pd.DataFrame:
    p = company.products
    rows = np.flatnonzero(p.visible(month))
    first = cal.first_day(month)
    stamps = []
    created = cal.at_hour(p.item_created, 9)
    stamps.append(np.where(cal.month_of(created) == month, created, np.datetime64("NaT")))
    price_changed = (p.family_price_step(month) > 0)[p.family] | (
        cal.month_of_year(month) == 1 and month > cal.EPOCH_INDEX
    )
    stamps.append(np.where(price_changed, cal.at_hour(np.full(p.count, first), 6), np.datetime64("NaT")))
    for date in (p.launch_date, p.eol_date, p.eol_date - np.timedelta64(180, "D")):
        stamp = cal.at_hour(date, 5)
        stamps.append(np.where(~np.isnat(date) & (cal.month_of(stamp) == month), stamp, np.datetime64("NaT")))
    stacked = np.stack(stamps).astype("datetime64[s]")
    latest = np.where(np.isnat(stacked), np.datetime64("1970-01-01T00:00:00"), stacked).max(axis=0)
    latest = np.where(latest == np.datetime64("1970-01-01T00:00:00"), cal.month_end_time(month, 23), latest)
    return pd.DataFrame(
        {
            "sku": p.sku[rows],
            "description": p.description[rows],
            "product_family": np.array([f.name for f in FAMILIES], dtype=object)[p.family[rows]],
            "uom": p.uom[rows],
            "standard_cost_usd": p.standard_cost_usd(month)[rows],
            "list_price_usd": p.list_price_usd(month)[rows],
            "launch_date": p.launch_date[rows],
            "eol_date": p.eol_date[rows],
            "lifecycle_status": p.lifecycle_status(month)[rows],
            "updated_at": latest[rows],
        }
    )
