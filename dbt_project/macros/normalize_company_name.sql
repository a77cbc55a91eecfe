{#
    Normalize a company name for matching CRM accounts to ERP customers.

    Steps: ß becomes ss, accents are stripped, the name is lower-cased, `&` becomes `and`,
    dots are dropped (so `S.A.`, `K.K.` and `Co.` read `sa`, `kk`, `co`), every other
    punctuation mark becomes a blank, trailing legal-form words (gmbh, inc, ltd, sa, ag,
    llc, plc, co, corp, kk, pty, ... and the `and`/`de` joining them, as in
    `GmbH & Co. KG` or `S.A. de C.V.`) are removed, and whitespace is collapsed.

    With `strip_legal_form=false` the legal form is kept: the tie-break key when several
    companies share a normalized name in one region (`Lusitana Energia SAS` and
    `Lusitana Energia S.r.l.`).

    `normalize_company_name_compact` is a weaker key for a second matching rule: the
    normalized name without blanks and with German umlaut spellings folded (ae/oe/ue -> a/o/u),
    so that `Sued Lebensmittel` meets `Süd Lebensmittel` and `Tri-State` meets `TriState`.

    Usage: {{ normalize_company_name('accounts.account_name') }}
#}

{% macro legal_form_words() -%}
    {{ return(['gmbh', 'mbh', 'inc', 'incorporated', 'ltd', 'limited', 'ltda', 'sa', 'sas',
               'sarl', 'sl', 'srl', 'spa', 'ag', 'kg', 'llc', 'plc', 'co', 'corp',
               'corporation', 'company', 'kk', 'pty', 'bv', 'nv', 'ab', 'oy', 'cv', 'de',
               'and']) }}
{%- endmacro %}

{% macro normalize_company_name(column_name, strip_legal_form=true) -%}
    trim(regexp_replace(
        {% if strip_legal_form -%}
        regexp_replace(
        {%- endif %}
            regexp_replace(
                replace(
                    replace(lower(strip_accents(replace(replace({{ column_name }}, 'ß', 'ss'), 'ẞ', 'SS'))), '&', ' and '),
                    '.', ''
                ),
                '[^a-z0-9]+', ' ', 'g'
            )
        {%- if strip_legal_form %},
            '(\s+({{ legal_form_words() | join("|") }}))+\s*$', '', 'g'
        )
        {%- endif %},
        '\s+', ' ', 'g'
    ))
{%- endmacro %}

{% macro normalize_company_name_compact(column_name) -%}
    regexp_replace(
        regexp_replace(
            {{ normalize_company_name(column_name) }},
            '(a|o|u)e', '\1', 'g'
        ),
        '\s+', '', 'g'
    )
{%- endmacro %}

{#
    The conformed customer key: `erp:<customer number>` for every customer the ERP knows
    (matched or not), `crm:<account id>` for CRM accounts with no ERP customer. It depends
    only on the ERP number, so facts keyed on it never change when a match is found later
    for an account (the account then joins its ERP customer's key).
#}
{% macro customer_key(erp_customer_number, crm_account_id) -%}
    case
        when {{ erp_customer_number }} is not null then 'erp:' || {{ erp_customer_number }}
        else 'crm:' || {{ crm_account_id }}
    end
{%- endmacro %}
