{#
    Fails for every combination of the given columns that occurs more than once, e.g. the
    grain of a mart or the composite key of a source entity.
#}
{% test unique_combination_of_columns(model, combination_of_columns) %}

{%- set column_list = combination_of_columns | join(', ') %}

select
    {{ column_list }},
    count(*) as occurrences
from {{ model }}
group by {{ column_list }}
having count(*) > 1

{% endtest %}
