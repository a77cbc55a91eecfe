"""The planner files of the small test company (14 months, 2021-01 .. 2022-02): KPI targets and actions.

``built_company`` writes them into its ``inputs/`` before the run, so the S&OP cycle's scorecard, pack and
summary are built with targets, statuses and actions (tests/integration/test_sop_cycle.py).
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


def write(inputs_dir) -> None:
    inputs_dir.mkdir(parents=True, exist_ok=True)
    (inputs_dir / "kpi_targets.csv").write_text(TARGETS)
    (inputs_dir / "sop_actions.csv").write_text(ACTIONS)
