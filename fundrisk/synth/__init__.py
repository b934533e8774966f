"""Demo-district generator: a realistic 文昌湖区 inbox (every input kind) plus ground-truth labels."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import polars as pl

from fundrisk import atomic
from fundrisk.atomic import atomic_open
from fundrisk.synth import writer
from fundrisk.synth.alerts import build_alerts
from fundrisk.synth.clues import build_clues, make_leads
from fundrisk.synth.evidence import write_evidence
from fundrisk.synth.followups import build_inspections, build_provincial
from fundrisk.synth.offenders import apply_priors, apply_repeaters, repeat_table
from fundrisk.synth.plan import FIN, Plan, make_plan
from fundrisk.synth.registry import ScopePool, build_chunk, uscc_for
from fundrisk.synth.registry_snapshot import SNAPSHOT_NAME, build_records, write_records
from fundrisk.synth.schemes import SCHEME_NAMES
from fundrisk.synth.surveys import build_surveys
from fundrisk.synth.truth import README
from fundrisk.synth.unique_names import unique_names

__all__ = ["GeneratedSummary", "generate"]

CHUNK_ROWS = 500_000
CLUES_XLSX_MAX = 200_000
_SPECIAL_COLS = [
    "_idx",
    "_kind",
    "_scheme",
    "_est",
    "_brand",
    "_near",
    "_pre",
    "_mid",
    "_phrase",
    "_form",
    "_shop",
    "uscc",
    "name",
    "legal_rep",
    "legal_rep_id",
    "phone",
    "address",
    "town",
    "grid",
    "status",
    "industry",
    "business_scope",
]


@dataclass(frozen=True)
class GeneratedSummary:
    """What generate() wrote: row counts per kind (and truth file) and the paths."""

    out: Path
    seed: int
    entities: int
    rows: dict[str, int] = field(default_factory=dict)
    paths: dict[str, Path] = field(default_factory=dict)


def _truth_entities(df: pl.DataFrame, plan: Plan, start: int, stop: int) -> pl.DataFrame:
    """Per-entity labels for one chunk."""
    sel = (plan.repeaters >= start) & (plan.repeaters < stop)
    prior = pl.DataFrame(
        {
            "_idx": plan.repeaters[sel],
            "repeat_of_uscc": uscc_for(plan.kind[plan.rep_prior[sel]], plan.rep_prior[sel]),
        }
    )
    return df.join(prior, on="_idx", how="left").select(
        "uscc",
        "name",
        pl.col("_kind_name").alias("entity_kind"),
        (pl.col("_scheme") >= 0).alias("is_planted"),
        pl.col("_scheme")
        .replace_strict(list(range(len(SCHEME_NAMES))), SCHEME_NAMES, default=None, return_dtype=pl.String)
        .alias("scheme"),
        (pl.col("_kind") == FIN).alias("is_licensed_fi"),
        pl.col("repeat_of_uscc").is_not_null().alias("is_repeat_offender"),
        "repeat_of_uscc",
        pl.col("_idx").is_in(pl.Series(plan.priors).implode()).alias("is_prior_offender"),
        "status",
        "industry",
        "town",
    )


def _registrations(out: Path, plan: Plan, seed: int, scopes: ScopePool) -> tuple[pl.DataFrame, int]:
    """Write registrations.csv and truth/entities.csv chunk by chunk; return the special rows."""
    reg_path = out / "registrations" / "registrations.csv"
    ent_path = out / "truth" / "entities.csv"
    specials: list[pl.DataFrame] = []
    priors: list[pl.DataFrame] = []
    prior_set = pl.Series(plan.priors).implode()
    snap_path = out / "registry" / SNAPSHOT_NAME
    taken = pl.Series("name", [], dtype=pl.String)
    names_rng = np.random.Generator(np.random.PCG64([seed, 3]))
    with atomic_open(reg_path) as reg, atomic_open(ent_path) as ent, atomic_open(snap_path) as snap:
        reg.write("\ufeff".encode())
        for chunk, start in enumerate(range(0, plan.n, CHUNK_ROWS)):
            stop = min(plan.n, start + CHUNK_ROWS)
            df = build_chunk(plan, scopes, seed, chunk, start, stop)
            df = apply_priors(df, plan, start, stop)
            known = pl.concat(priors) if priors else df.clear()
            df = apply_repeaters(df, plan, known, start, stop)
            df, taken = unique_names(df, plan, taken, names_rng)
            writer.append_csv(writer.zh(df, writer.REGISTRATION_ZH), reg, header=chunk == 0)
            writer.append_csv(_truth_entities(df, plan, start, stop), ent, header=chunk == 0)
            write_records(build_records(df, plan, known, seed, chunk, start, stop), snap)
            special = df.filter(pl.Series(plan.special[start:stop])).select(_SPECIAL_COLS)
            specials.append(special)
            priors.append(special.filter(pl.col("_idx").is_in(prior_set)))
    return pl.concat(specials), plan.n


def generate(out: Path, entities: int = 3000, seed: int = 7) -> GeneratedSummary:
    """Write a synthetic inbox (one folder per kind) and ground truth under out; deterministic by seed."""
    out = Path(out)
    if entities < 1:
        raise ValueError("entities must be positive")
    for sub in (
        "registrations",
        "alerts",
        "clues",
        "provincial-list",
        "inspections",
        "actions",
        "survey",
        "truth",
        "registry",
    ):
        (out / sub).mkdir(parents=True, exist_ok=True)
    rng = np.random.Generator(np.random.PCG64(seed))
    plan = make_plan(rng, entities)
    scopes = ScopePool(rng)
    specials, n_reg = _registrations(out, plan, seed, scopes)

    ev = np.random.Generator(np.random.PCG64([seed, 2]))
    leads = make_leads(ev, entities)
    sets = {"single_transfer": plan.single_transfer, "retail": plan.retail_alert}
    alerts, alert_links = build_alerts(ev, specials, sets, leads)
    alerted = alert_links.filter(pl.col("profile") == "planted")["true_uscc"].unique()
    clues, clue_links = build_clues(ev, specials, plan.noise, leads, alerted)
    provincial = build_provincial(ev, plan, specials, leads)
    inspections, actions = build_inspections(ev, plan, specials)

    paths = {
        "registrations": out / "registrations" / "registrations.csv",
        "alerts": writer.write_csv(
            writer.zh(alerts, writer.ALERT_ZH), out / "alerts" / "alerts_gb18030.csv", "gb18030"
        ),
        "provincial-list": writer.write_xlsx(
            writer.zh(provincial, writer.PROVINCIAL_ZH),
            out / "provincial-list" / "provincial_list.xlsx",
            "金安工程风险清单",
        ),
        "inspections": writer.write_csv(inspections, out / "inspections" / "inspections.csv"),
        "actions": writer.write_csv(actions, out / "actions" / "actions.csv"),
    }
    clue_zh = writer.zh(clues, writer.CLUE_ZH)
    if clues.height > CLUES_XLSX_MAX:
        paths["clues"] = writer.write_csv(clue_zh, out / "clues" / "clues.csv")
    else:
        paths["clues"] = writer.write_xlsx(clue_zh, out / "clues" / "clues.xlsx", "线索")
    surveys = build_surveys(np.random.Generator(np.random.PCG64([seed, 5])), out, leads, entities)
    survey_zh = writer.zh(surveys.rows, writer.SURVEY_ZH)
    if surveys.rows.height > CLUES_XLSX_MAX:
        paths["survey"] = writer.write_csv(survey_zh, out / "survey" / "排查登记.csv")
    else:
        paths["survey"] = writer.write_xlsx(survey_zh, out / "survey" / "排查登记.xlsx", "排查登记")
    paths["registry_snapshot"] = out / "registry" / SNAPSHOT_NAME
    rows = {
        "registrations": n_reg,
        "registry_snapshot": n_reg,
        "alerts": alerts.height,
        "clues": clues.height,
        "provincial-list": provincial.height,
        "inspections": inspections.height,
        "actions": actions.height,
        "survey": surveys.rows.height,
    }

    truth = out / "truth"
    unreg = leads.drop("_scheme").join(
        _ids_by_lead(clue_links, "clue_id", "clue_ids"), on="lead_id", how="left"
    )
    unreg = unreg.join(_ids_by_lead(alert_links, "alert_id", "alert_ids"), on="lead_id", how="left")
    truth_frames = {
        "clue_links": clue_links,
        "alert_links": alert_links,
        "unregistered": unreg,
        "repeat_offenders": repeat_table(plan, specials),
        "surveys": surveys.truth,
        "survey_grids": surveys.grids,
        "evidence": write_evidence(out, specials, clue_links, alert_links, seed),  # INBOX/evidence/<id>/
    }
    for name, frame in truth_frames.items():
        paths[f"truth/{name}"] = writer.write_csv(frame, truth / f"{name}.csv")
        rows[f"truth/{name}"] = frame.height
    paths["truth/entities"] = truth / "entities.csv"
    rows["truth/entities"] = n_reg
    rows["truth/planted"] = int((plan.scheme >= 0).sum())
    atomic.write_text(truth / "README.md", README)
    paths["truth/README"] = truth / "README.md"
    return GeneratedSummary(out=out, seed=seed, entities=entities, rows=rows, paths=paths)


def _ids_by_lead(links: pl.DataFrame, id_col: str, alias: str) -> pl.DataFrame:
    """'id1;id2' per unregistered lead."""
    return (
        links.filter(pl.col("true_lead_id").is_not_null())
        .group_by("true_lead_id", maintain_order=True)
        .agg(pl.col(id_col).sort().str.join(";").alias(alias))
        .rename({"true_lead_id": "lead_id"})
    )
