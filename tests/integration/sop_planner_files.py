"""The planner files of the small test company (14 months, 2021-01 .. 2022-02): KPI targets, actions, the
sales targets, comp plans (and a what-if) and the territory decisions.

``built_company`` writes them into its ``inputs/`` before the run, so the S&OP cycle's scorecard, pack and
summary are built with targets, statuses and actions (tests/integration/test_sop_cycle.py), and the sales plan
with a target, payouts and a what-if (tests/integration/test_sales_planning.py).
"""

TARGETS = """kpi,scope,period,target,amber_band,red_band,band_unit
bookings_usd,total,2022,900000,5,10,pct
bookings_usd,total,2022-02,5000000,5,10,pct
revenue_usd,total,2022,100,3,6,pct
fill_rate,total,2022,0.99,1,2,pct
otif,total,2022,0.5,0.02,0.05,abs
demand_bias_lag1,total,2022,0,0.03,0.08,abs
win_rate,NOWHERE,2022,0.3,5,10,pct
"""

#: A-1 overdue since 2022-02-15, A-2 due before the next meeting, A-3 done, A-4 new this cycle,
#: A-5 refused (due before its cycle was raised)
ACTIONS = """action_id,raised_cycle,title,owner,due_date,status,link,closed_on,note
A-1,2022-01,Recover the bookings gap,tom.becker,2022-02-15,open,kpi:bookings_usd,,
A-2,2022-01,Raise safety stock of valves,maria.lopez,2022-03-20,in_progress,kpi:fill_rate,,
A-3,2021-12,Expedite housings,sam.jones,2022-01-20,done,exception:stockout,2022-01-18,
A-4,2022-02,Review the forecast <model> of pumps,li.wei,2022-04-30,open,kpi:demand_wape_lag1,,
A-5,2022-02,Bad row,ana.silva,2021-06-01,open,,,
"""


#: FY2023 (the plan year of cycle 2022-02): the S&OP revenue plan + 5 %
SALES_TARGETS = """fiscal_year,target_usd,growth_rate,over_assignment,potential_weight,note
2023,,0.05,1.25,0.4,plan + 5 %
"""
SALES_GROWTH, OVER_ASSIGNMENT, POTENTIAL_WEIGHT = 0.05, 1.25, 0.4

#: FY2022 (the year cycle 2022-02 pays): a decelerator, an accelerator, a cap and a SPIF in the paid months
COMP_PLANS = """fiscal_year: 2022
plans:
  - id: AE-2022
    role: Sales Rep
    ote_usd: 120000
    pay_mix: {base: 0.5, variable: 0.5}
    measure: bookings
    earnings_cap_usd: 240000
    tiers:
      - {from: 0.0, to: 0.5, rate: 0.5}
      - {from: 0.5, to: 1.0, rate: 1.0}
      - {from: 1.0, rate: 1.5}
    spifs:
      - {name: Winter push, from: 2022-01, to: 2022-02, opportunity_type: New Business, amount_per_deal_usd: 400}
    clawback: {window_months: 3}
"""
COMP_PLAN = dict(ote=120000.0, base_share=0.5, cap=240000.0, tiers=((0.0, 0.5, 0.5), (0.5, 1.0, 1.0), (1.0, None, 1.5)))
SPIF = dict(months=("2022-01", "2022-02"), opportunity_type="New Business", amount=400.0)

COMP_WHAT_IF = """fiscal_year: 2022
plans:
  - id: AE-2022-flat
    role: Sales Rep
    ote_usd: 120000
    pay_mix: {base: 0.7, variable: 0.3}
    measure: bookings
    earnings_cap_usd: 240000
    tiers:
      - {from: 0.0, rate: 1.0}
"""

TERRITORY_DECISIONS = "proposal_month,account_id,decision,decided_by,note\n"


def write(inputs_dir) -> None:
    inputs_dir.mkdir(parents=True, exist_ok=True)
    (inputs_dir / "kpi_targets.csv").write_text(TARGETS)
    (inputs_dir / "sop_actions.csv").write_text(ACTIONS)
    (inputs_dir / "sales_targets.csv").write_text(SALES_TARGETS)
    (inputs_dir / "comp_plans.yaml").write_text(COMP_PLANS)
    (inputs_dir / "comp_plans_what_if.yaml").write_text(COMP_WHAT_IF)
    (inputs_dir / "territory_decisions.csv").write_text(TERRITORY_DECISIONS)
