-- The S&OP KPI scorecard.

select * from {{ ref('stg_sop_cycle__kpi_scorecard') }}
