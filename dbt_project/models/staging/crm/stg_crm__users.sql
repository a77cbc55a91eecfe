-- Sales reps, managers and directors with their manager and territory as of month end.
-- Snapshot entity: every month delivers a full copy; all snapshots are kept, told apart
-- by snapshot_month.

with

source as (

    select * from {{ source('crm', 'users') }} as raw_rows
    where {{ exclude_quarantined('crm_users') }}

),

renamed as (

    select
        {{ cast_csv_field('"Id"', 'varchar') }} as user_id,
        {{ cast_csv_field('"Name"', 'varchar') }} as user_name,
        {{ cast_csv_field('"Email"', 'varchar') }} as email,
        {{ cast_csv_field('"UserRoleName"', 'varchar') }} as user_role_name,
        {{ cast_csv_field('"ManagerId"', 'varchar') }} as manager_id,
        {{ cast_csv_field('"Territory__c"', 'varchar') }} as territory_id,
        {{ cast_csv_field('"IsActive"', 'boolean') }} as is_active,
        {{ cast_csv_field('"HireDate__c"', 'date') }} as hire_date,
        {{ cast_csv_field('"LastModifiedDate"', 'timestamp') }} as last_modified_at,
        _partition_month as snapshot_month,
        _source_file as source_file,
        _source_row as source_row,
        _load_id as load_id

    from source

)

select * from renamed
