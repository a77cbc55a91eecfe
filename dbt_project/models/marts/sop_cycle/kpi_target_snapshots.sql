-- The planners' KPI targets file as each cycle read it, row by row.

select * from {{ ref('stg_sop_cycle__kpi_targets') }}
