"""Bank fund-flow anomaly alerts (资金异动预警): planted schemes, unregistered operators and distractors."""

from __future__ import annotations

import numpy as np
import polars as pl

from fundrisk.synth import events, ids
from fundrisk.synth.industries import FINANCIAL_INSTITUTIONS

BANKS = [f[0] for f in FINANCIAL_INSTITUTIONS if f[2] == "bank"] + ["中国银行股份有限公司淄博分行"]
TYPES = ["分散转入集中转出", "快进快出", "资金异常归集", "频繁小额转入", "大额转入"]
COLUMNS = [
    "alert_id",
    "account_name",
    "alert_date",
    "inflow_amount",
    "uscc",
    "account_no",
    "holder_id",
    "bank",
    "alert_type",
    "outflow_amount",
    "txn_count",
    "payer_count",
    "elderly_payer_share",
    "out_of_region_payer_share",
]


def _profile(rng: np.random.Generator, kind: str, n: int) -> dict[str, np.ndarray]:
    """Payer counts, amounts and shares for n alerts of one profile."""
    if kind in ("planted", "unregistered"):
        payers = np.clip(rng.lognormal(np.log(220), 0.8, n), 40, 6000).astype(np.int64)
        inflow = payers * rng.uniform(8_000, 60_000, n)
        out = inflow * rng.uniform(0.85, 0.99, n)
        txn = (payers * rng.uniform(1.2, 3.5, n)).astype(np.int64)
        elderly, away = rng.uniform(0.35, 0.88, n), rng.uniform(0.05, 0.45, n)
        typ = np.asarray(rng.choice(4, n, p=[0.55, 0.2, 0.15, 0.1]))
    elif kind == "single_transfer":
        payers = np.ones(n, dtype=np.int64)
        inflow = np.round(rng.uniform(50, 2000, n)) * 10_000
        out = inflow * rng.uniform(0.1, 0.6, n)
        txn = rng.integers(1, 3, n)
        elderly, away = np.zeros(n), rng.integers(0, 2, n).astype(np.float64)
        typ = np.full(n, 4)
    else:  # retail shop with many small customers
        payers = rng.integers(300, 3000, n)
        inflow = payers * rng.uniform(50, 300, n)
        out = inflow * rng.uniform(0.5, 0.8, n)
        txn = (payers * rng.uniform(2, 6, n)).astype(np.int64)
        elderly, away = rng.uniform(0.05, 0.2, n), rng.uniform(0.02, 0.15, n)
        typ = np.full(n, 3)
    return {
        "payers": payers,
        "inflow": np.round(inflow, 2),
        "out": np.round(out, 2),
        "txn": txn,
        "elderly": elderly,
        "away": away,
        "type": typ,
    }


def build_alerts(
    rng: np.random.Generator, specials: pl.DataFrame, plan_sets: dict[str, np.ndarray], leads: pl.DataFrame
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Alerts in canonical columns plus their ground-truth links."""
    parts = []
    planted = specials.filter(pl.col("_scheme") >= 0)
    has = rng.random(planted.height) < 0.65
    counts = has * (1 + (rng.random(planted.height) < 0.2))
    parts.append(("planted", events.repeat_rows(planted, counts)))
    for key in ("single_transfer", "retail"):
        parts.append((key, specials.filter(pl.col("_idx").is_in(pl.Series(plan_sets[key]).implode()))))
    frames = []
    for kind, rows in parts:
        n = rows.height
        if n == 0:
            continue
        prof = _profile(rng, kind, n)
        personal = (rng.random(n) < 0.15) if kind == "planted" else np.zeros(n, dtype=bool)
        show_code = (~personal) & (rng.random(n) < 0.35)
        # Banks report the holder's ID with a personal account (KYC); a few reports leave it out.
        show_id = personal & (rng.random(n) < 0.9)
        frames.append(
            rows.select(
                pl.when(pl.Series(personal))
                .then(pl.col("legal_rep"))
                .otherwise(pl.col("name"))
                .alias("account_name"),
                pl.when(pl.Series(show_code)).then(pl.col("uscc")).otherwise(None).alias("uscc"),
                pl.when(pl.Series(show_id)).then(pl.col("legal_rep_id")).otherwise(None).alias("holder_id"),
                pl.col("uscc").alias("true_uscc"),
                pl.lit(None, dtype=pl.String).alias("true_lead_id"),
                pl.lit(kind).alias("profile"),
                pl.Series(np.where(personal, "legal_rep_account", "entity_account")).alias("account"),
                pl.Series(events.event_days(rng, rows["_est"].to_numpy())).alias("_day"),
            ).with_columns(**_columns(rng, prof, personal))
        )
    alerted = leads.filter(pl.Series(rng.random(leads.height) < 0.4))
    if alerted.height:
        prof = _profile(rng, "unregistered", alerted.height)
        personal = np.ones(alerted.height, dtype=bool)
        frames.append(
            alerted.select(
                pl.col("person").alias("account_name"),
                pl.lit(None, dtype=pl.String).alias("uscc"),
                pl.lit(None, dtype=pl.String).alias("holder_id"),
                pl.lit(None, dtype=pl.String).alias("true_uscc"),
                pl.col("lead_id").alias("true_lead_id"),
                pl.lit("unregistered").alias("profile"),
                pl.lit("operator_personal_account").alias("account"),
                pl.Series(events.event_days(rng, np.full(alerted.height, events.EVENT_LO))).alias("_day"),
            ).with_columns(**_columns(rng, prof, personal))
        )
    if not frames:
        empty = pl.DataFrame(schema={c: pl.String for c in COLUMNS})
        return empty, pl.DataFrame(schema={c: pl.String for c in ["alert_id", "true_uscc", "true_lead_id"]})
    alerts = events.assign_ids(pl.concat(frames, how="vertical_relaxed"), "_day", "YJ", "alert_id")
    day = alerts["_day"].to_numpy()
    alerts = alerts.with_columns(alert_date=events.date_text(rng, day, (0.7, 0.2, 0.05, 0.05)))
    links = alerts.select(
        "alert_id",
        "true_uscc",
        "true_lead_id",
        "profile",
        "account",
        pl.col("payer_count").alias("payer_count"),
    )
    return alerts.select(COLUMNS), links


def _columns(
    rng: np.random.Generator, prof: dict[str, np.ndarray], personal: np.ndarray
) -> dict[str, pl.Series]:
    """Text columns for one batch of alerts."""
    n = personal.shape[0]
    corp = ids.make_digits(rng, n, "3760", 20)
    pers = ids.make_digits(rng, n, "62", 19)
    acct = pl.select(pl.when(pl.Series(personal)).then(pers).otherwise(corp)).to_series()
    return {
        "inflow_amount": pl.Series(
            events.amount_text(rng, prof["inflow"], (0.5, 0.15, 0.35)), dtype=pl.String
        ),
        "outflow_amount": pl.Series(events.amount_text(rng, prof["out"], (0.5, 0.0, 0.5)), dtype=pl.String),
        "account_no": acct,
        "bank": pl.Series(
            [BANKS[i] for i in np.asarray(rng.integers(0, len(BANKS), n)).tolist()], dtype=pl.String
        ),
        "alert_type": pl.Series([TYPES[i] for i in prof["type"].tolist()], dtype=pl.String),
        "txn_count": pl.Series(prof["txn"]).cast(pl.String),
        "payer_count": pl.Series(prof["payers"]).cast(pl.String),
        "elderly_payer_share": pl.Series(events.share_text(rng, prof["elderly"]), dtype=pl.String),
        "out_of_region_payer_share": pl.Series(events.share_text(rng, prof["away"]), dtype=pl.String),
    }
