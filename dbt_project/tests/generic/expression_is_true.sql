{#
    Fails for every row where the SQL expression is not true, e.g. a business rule between
    columns (`billings_usd >= 0`, `match_confidence between 0 and 1`). Rows where the
    expression is null fail too, unless the test's `where` config excludes them.

    Usage (model level):  - expression_is_true: {arguments: {expression: "a <= b"}}
#}
{% test expression_is_true(model, expression) %}

select *
from {{ model }}
where not coalesce(({{ expression }}), false)

{% endtest %}
