"""SQL that assembles the subject features frame (scoring/FEATURES.md) from the warehouse tables.

Kept as data-like SQL text beside the store that runs it (features_store.py), splink-style: the scoring
stage asks the warehouse for frames and never holds SQL of its own.
"""

import datetime as dt

from fundrisk.settings import get_settings
from fundrisk.warehouse.inspections_sql import latest_inspections

LICENSED_FI = (
    "(银行|保险|证券|信托|期货|金融租赁|消费金融|信用合作联社|信用社|邮政储蓄)"
    "(股份有限公司|有限责任公司|有限公司|公司)?.*(分行|支行|营业部|营业所|分公司|支公司|中心支公司|$)"
)
DISCLAIMER = "不得从事吸收存款"
SURVEY_FLAG = 25  # a survey whose signboard or found-text screens at least this is flagged (需人工复核)
FEATURES_PARAMS: dict[str, object] = {
    "licensed_fi": LICENSED_FI,
    "disclaimer": DISCLAIMER,
    "survey_flag": SURVEY_FLAG,
    "parts": 1,
    "part": 0,
}


def in_part(kind: str, column: str) -> str:
    """The subjects of hash partition $part of $parts (features_store.PART spelled on a source column):
    each CTE narrows its own table first, so a partition's joins and aggregates hold only its subjects."""
    return f"hash('{kind}:' || {column}) % $parts = $part"


# Every linked source record, for registered entities and for unregistered leads alike.
SUBJECT_SOURCES = f"""
subject_sources AS (
    SELECT 'registration' AS subject_kind, uscc AS subject_id, source_kind, source_id FROM entity_links
    WHERE {in_part("registration", "uscc")}
    UNION
    SELECT 'lead', lead_id, source_kind, source_id FROM lead_members WHERE {in_part("lead", "lead_id")}
)"""  # noqa: S608

ALERT_AGG = """
alert_agg AS (
    SELECT s.subject_kind, s.subject_id,
        count(*) AS alert_count,
        count(*) FILTER (WHERE coalesce(a.payer_count, 0) <= 1) AS single_payer_alerts,
        coalesce(sum(a.payer_count), 0)::BIGINT AS payer_count,
        coalesce(sum(a.inflow_amount), 0) AS inflow_yuan,
        coalesce(sum(a.outflow_amount), 0) AS outflow_yuan,
        coalesce(sum(a.txn_count), 0)::BIGINT AS txn_count,
        max(a.elderly_payer_share) AS elderly_share,
        max(a.out_of_region_payer_share) AS out_of_region_share,
        string_agg(DISTINCT a.alert_type, '、' ORDER BY a.alert_type) AS alert_types,
        CASE WHEN count(*) > 1 THEN date_diff('day', min(a.alert_date), max(a.alert_date)) END AS alert_days,
        max(a.alert_date) AS last_alert_on
    FROM subject_sources s JOIN alerts a ON s.source_kind = 'alert' AND a.alert_id = s.source_id
    GROUP BY ALL
)"""

CLUE_AGG = """
clue_agg AS (
    SELECT s.subject_kind, s.subject_id,
        count(*) AS clue_count,
        count(*) FILTER (WHERE coalesce(g.money_related, FALSE)) AS money_clue_count,
        count(DISTINCT c.channel) FILTER (WHERE coalesce(g.money_related, FALSE)) AS channel_count,
        max(c.received_on) FILTER (WHERE coalesce(g.money_related, FALSE)) AS last_money_clue,
        max(c.claimed_participants) AS claimed_participants,
        max(c.claimed_amount) AS claimed_amount_yuan,
        avg(g.negativity) FILTER (WHERE coalesce(g.money_related, FALSE)) AS clue_negativity,
        array_to_string(list_sort(list_distinct(flatten(
            list(string_split(g.stability_terms, '、')) FILTER (WHERE nullif(g.stability_terms, '') IS NOT NULL)
        ))), '、') AS stability_terms,
        coalesce(max(g.stability), 0) AS stability_signal,
        max(c.received_on) AS last_clue_on
    FROM subject_sources s
    JOIN clues c ON s.source_kind = 'clue' AND c.clue_id = s.source_id
    LEFT JOIN clue_signals g ON g.clue_id = c.clue_id
    GROUP BY ALL
)"""

# Grid sweep records (排查登记) linked like clues; their signboard and found-text were screened like a
# name and a text (fundrisk/campaign/survey_stage.py) and add to the subject's keyword evidence.
SURVEY_AGG = """
survey_agg AS (
    SELECT s.subject_kind, s.subject_id,
        count(*) AS survey_count,
        count(*) FILTER (WHERE k.keyword_score >= $survey_flag) AS survey_flag_count,
        max(k.keyword_score) AS survey_keyword_score,
        coalesce(sum(h.hits), 0)::BIGINT AS survey_lexicon_hits,
        coalesce(sum(h.nine), 0)::BIGINT AS survey_nine_hits,
        string_agg('排查登记' || v.survey_id || '：' || k.reason, '；' ORDER BY k.keyword_score DESC, v.survey_id)
            FILTER (WHERE k.keyword_score >= $survey_flag AND k.reason IS NOT NULL) AS survey_reason
    FROM subject_sources s
    JOIN surveys v ON s.source_kind = 'survey' AND v.survey_id = s.source_id
    LEFT JOIN keyword_scores k ON k.subject_kind = 'survey' AND k.subject_id = v.survey_id
    LEFT JOIN (
        SELECT subject_id, count(*) AS hits, count(*) FILTER (WHERE category = '条例第九条禁用字样') AS nine
        FROM keyword_hits WHERE subject_kind = 'survey' GROUP BY subject_id
    ) h ON h.subject_id = v.survey_id
    GROUP BY ALL
)"""

# The date recency is measured from: the run date, or FUNDRISK_AS_OF when history is replayed. Never
# max(date in the data): one clue dated 2100 would then move every subject's grade (issue 16).
AS_OF = """
as_of AS (SELECT $as_of::DATE AS as_of)"""


def run_as_of() -> dt.date:
    """FUNDRISK_AS_OF when set (replaying history), else today: the date a run grades as of."""
    return get_settings().as_of or dt.date.today()


def features_params() -> dict[str, object]:
    """FEATURES_SQL's parameters, with the as-of date read when the run asks for them."""
    return {**FEATURES_PARAMS, "as_of": run_as_of()}


REGISTERED = f"""
registered AS (
    SELECT 'registration' AS subject_kind, r.uscc AS subject_id, r.name, r.entity_type, r.status, r.industry,
        r.town, r.address, r.registered_capital AS registered_capital_wan, r.established_on,
        regexp_matches(r.name, $licensed_fi) AS is_licensed_fi,
        coalesce(k.keyword_score, 0) AS keyword_score,
        coalesce(h.nine, 0) AS nine_term_hits,
        coalesce(h.hits, 0) AS lexicon_hits,
        k.reason AS keyword_reason,
        (contains(coalesce(r.business_scope, ''), $disclaimer) AND coalesce(h.scope_hits, 0) = 0)
            AS scope_disclaimer_only,
        coalesce(f.abnormal_current, 0) AS registry_abnormal,
        coalesce(f.fundraising_lawsuits, 0) AS registry_fundraising_lawsuits,
        coalesce(f.lending_lawsuits, 0) AS registry_lending_lawsuits,
        coalesce(f.frequent_changes, FALSE) AS registry_frequent_changes,
        coalesce(f.out_of_province, 0) > 0 AS registry_out_of_province,
        f.reasons AS registry_reasons,
        coalesce(x.n, 0) AS relation_count,
        coalesce(x.weak_weight, 0.0) AS weak_relation_weight,
        x.reasons AS relation_reasons,
        i.conclusion AS inspection_conclusion,
        i.inspected_on AS inspected_on,
        i.confirmed_on AS confirmed_on
    FROM registrations r
    LEFT JOIN (
        SELECT * FROM keyword_scores
        WHERE subject_kind = 'registration' AND {in_part("registration", "subject_id")}
    ) k ON k.subject_id = r.uscc
    LEFT JOIN (
        SELECT subject_id,
            count(*) FILTER (WHERE category = '条例第九条禁用字样') AS nine,
            count(*) AS hits,
            count(*) FILTER (WHERE field = 'scope') AS scope_hits
        FROM keyword_hits WHERE subject_kind = 'registration' AND {in_part("registration", "subject_id")}
        GROUP BY subject_id
    ) h ON h.subject_id = r.uscc
    LEFT JOIN (SELECT * FROM registry_flags WHERE {in_part("registration", "uscc")}) f ON f.uscc = r.uscc
    LEFT JOIN (
        -- Strong ties (or rows written before strength existed) count and set the floor; weak ones
        -- combine by noisy-OR into a weight; reasons list strong ties first, weak ones marked.
        SELECT uscc,
            count(*) FILTER (WHERE coalesce(strength, 'strong') = 'strong') AS n,
            least(1.0, coalesce(1 - product(1 - least(greatest(weight, 0.0), 1.0))
                FILTER (WHERE strength = 'weak'), 0.0)) AS weak_weight,
            string_agg(CASE WHEN strength = 'weak' THEN '弱关联：' || reason ELSE reason END, '；'
                ORDER BY strength = 'weak', relation, related_uscc) AS reasons
        FROM entity_relations WHERE {in_part("registration", "uscc")} GROUP BY uscc
    ) x ON x.uscc = r.uscc
    LEFT JOIN (
        {latest_inspections(extra="min(inspected_on) FILTER (WHERE conclusion = '确认非法集资') AS confirmed_on")}
    ) i ON i.uscc = r.uscc
    WHERE {in_part("registration", "r.uscc")}
)"""  # noqa: S608 — constant SQL text (the one latest-inspection fragment); values are parameters

LEADS = f"""
lead_rows AS (
    SELECT 'lead' AS subject_kind, l.lead_id AS subject_id,
        coalesce(l.name, '无门头场所（' || coalesce(l.address_key, l.lead_id) || '）') AS name,
        '无照经营' AS entity_type,
        NULL::VARCHAR AS status, NULL::VARCHAR AS industry, l.town, l.address_key AS address,
        NULL::DOUBLE AS registered_capital_wan, NULL::DATE AS established_on, FALSE AS is_licensed_fi,
        0::BIGINT AS keyword_score, 0::BIGINT AS nine_term_hits, 0::BIGINT AS lexicon_hits,
        NULL::VARCHAR AS keyword_reason,
        FALSE AS scope_disclaimer_only, 0::BIGINT AS registry_abnormal,
        0::BIGINT AS registry_fundraising_lawsuits, 0::BIGINT AS registry_lending_lawsuits,
        FALSE AS registry_frequent_changes, FALSE AS registry_out_of_province,
        NULL::VARCHAR AS registry_reasons, 0::BIGINT AS relation_count, 0.0::DOUBLE AS weak_relation_weight,
        NULL::VARCHAR AS relation_reasons,
        NULL::VARCHAR AS inspection_conclusion, NULL::DATE AS inspected_on, NULL::DATE AS confirmed_on
    FROM leads l WHERE {in_part("lead", "l.lead_id")}
)"""  # noqa: S608

# Composed only of the module's constant CTEs; values travel as named parameters (features_params()).
FEATURES_SQL = f"""
WITH {SUBJECT_SOURCES}, {ALERT_AGG}, {CLUE_AGG}, {SURVEY_AGG}, {AS_OF}, {REGISTERED}, {LEADS},
subjects AS (SELECT * FROM registered UNION ALL BY NAME SELECT * FROM lead_rows)
SELECT s.* REPLACE (
        greatest(s.keyword_score, coalesce(v.survey_keyword_score, 0)) AS keyword_score,
        s.lexicon_hits + coalesce(v.survey_lexicon_hits, 0) AS lexicon_hits,
        s.nine_term_hits + coalesce(v.survey_nine_hits, 0) AS nine_term_hits,
        nullif(concat_ws('；', s.keyword_reason, v.survey_reason), '') AS keyword_reason
    ),
    coalesce(a.alert_count, 0) AS alert_count,
    coalesce(a.single_payer_alerts, 0) AS single_payer_alerts,
    coalesce(a.payer_count, 0) AS payer_count,
    coalesce(a.inflow_yuan, 0)::DOUBLE AS inflow_yuan,
    coalesce(a.outflow_yuan, 0)::DOUBLE AS outflow_yuan,
    coalesce(a.txn_count, 0) AS txn_count,
    a.elderly_share, a.out_of_region_share, a.alert_types, a.alert_days,
    coalesce(c.clue_count, 0) AS clue_count,
    coalesce(c.money_clue_count, 0) AS money_clue_count,
    coalesce(c.channel_count, 0) AS channel_count,
    date_diff('day', c.last_money_clue, o.as_of) AS days_since_last_clue,
    c.claimed_participants, c.claimed_amount_yuan::DOUBLE AS claimed_amount_yuan, c.clue_negativity,
    c.stability_terms, coalesce(c.stability_signal, 0)::DOUBLE AS stability_signal,
    greatest(a.last_alert_on, c.last_clue_on) AS last_evidence_on,
    coalesce(v.survey_count, 0) AS survey_count,
    coalesce(v.survey_flag_count, 0) AS survey_flag_count,
    (s.subject_id IN (SELECT uscc FROM provincial_list WHERE uscc IS NOT NULL)) AS on_provincial_list,
    o.as_of
FROM subjects s
CROSS JOIN as_of o
LEFT JOIN alert_agg a USING (subject_kind, subject_id)
LEFT JOIN clue_agg c USING (subject_kind, subject_id)
LEFT JOIN survey_agg v USING (subject_kind, subject_id)
"""  # noqa: S608
