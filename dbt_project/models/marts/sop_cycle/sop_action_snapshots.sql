-- The S&OP action register (inputs/sop_actions.csv) as each cycle read it, every row with its validity and error.

select * from {{ ref('stg_sop_cycle__action_snapshots') }}
