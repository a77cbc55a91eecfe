-- Every action's status history across the cycles.

select * from {{ ref('stg_sop_cycle__action_history') }}
