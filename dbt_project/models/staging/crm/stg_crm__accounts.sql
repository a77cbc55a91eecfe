-- Customer accounts created or changed during the month.
-- Delta entity: a key appears once per month in which it changed; only its latest
-- version is kept (latest LastModifiedDate, then latest extract month).

with

source as (

    select * from {{ source('crm', 'accounts') }} as raw_rows
    where {{ exclude_quarantined('crm_accounts') }}
      and {{ exclude_deleted('crm_accounts', ['Id'], 'LastModifiedDate') }}

),

renamed as (

    select
        {{ cast_csv_field('"Id"', 'varchar') }} as account_id,
        {{ cast_csv_field('"Name"', 'varchar') }} as account_name,
        {{ cast_csv_field('"Industry"', 'varchar') }} as industry,
        {{ cast_csv_field('"Segment__c"', 'varchar') }} as segment,
        {{ cast_csv_field('"BillingCountry"', 'varchar') }} as billing_country_code,
        {{ cast_csv_field('"Territory__c"', 'varchar') }} as territory_id,
        {{ cast_csv_field('"OwnerId"', 'varchar') }} as owner_id,
        {{ cast_csv_field('"ERP_Customer_Number__c"', 'varchar') }} as erp_customer_number,
        {{ cast_csv_field('"CreatedDate"', 'timestamp') }} as created_at,
        {{ cast_csv_field('"LastModifiedDate"', 'timestamp') }} as last_modified_at,
        _partition_month as extract_month,
        _source_file as source_file,
        _source_row as source_row,
        _load_id as load_id

    from source

),

latest_version as (

    select * from renamed
    qualify row_number() over (
        partition by account_id
        order by last_modified_at desc, extract_month desc, source_row desc
    ) = 1

)

select * from latest_version
