{#
    Fails (one row) when less than `at_least` (0..1) of the rows have the column filled.
    For fields that may legitimately be empty on some rows, but not on most of them.
#}
{% test not_null_proportion(model, column_name, at_least) %}

with

proportion as (

    select
        count({{ column_name }}) as filled_rows,
        count(*) as total_rows,
        count({{ column_name }}) / nullif(count(*), 0) as filled_share
    from {{ model }}

)

select *
from proportion
where filled_share < {{ at_least }}

{% endtest %}
