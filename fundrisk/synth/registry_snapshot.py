"""Offline registry snapshot for the generated registrations, consistent with the ground truth.

Every registration gets a record in the normalised shape of ``enrichers.registry.model`` (base info from its
registration row); only the few percent with facts get non-empty lists. Facts follow the truth: planted
entities get red flags at realistic rates (abnormal listings, 民间借贷/非吸/集资诈骗 lawsuits, branches and
investments in other provinces, frequent changes within a year); priors found risky get more; repeat
offenders carry their prior's legal rep or name in change records; ordinary entities are mostly clean with
distractors (年报未公示 listings, 买卖合同纠纷/劳动争议 suits, single changes); licensed financial institutions
and public institutions are clean. Built chunk by chunk with whole-column operations and written as JSON
Lines by polars (no per-record Python).
"""

from __future__ import annotations

from pathlib import Path
from typing import IO, Any

import numpy as np
import polars as pl

from enrichers.registry.model import snapshot_line
from fundrisk.atomic import atomic_path
from fundrisk.synth import ids
from fundrisk.synth.names import gather, person_names
from fundrisk.synth.plan import COMPANY, COOP, FIN, GROUNDS, Plan
from fundrisk.synth.snapshot_changes import _changes
from fundrisk.synth.snapshot_util import _S, NOW, _between, _counts, _expand, _iso

__all__ = ["SNAPSHOT_NAME", "build_records", "write_records", "write_snapshot"]

SNAPSHOT_NAME = "registry_snapshot.jsonl"
_AUTHORITY = "淄博市市场监督管理局文昌湖省级旅游度假区分局"
_COURTS = ["淄博市周村区人民法院", "淄博市中级人民法院"]
_COURT_CODES = ["鲁0306", "鲁03"]

# Abnormal-operation listing reasons and the matching removal reasons.
_ABN = [
    "未依照《企业信息公示暂行条例》第八条规定的期限公示年度报告",
    "通过登记的住所或者经营场所无法联系",
    "公示企业信息隐瞒真实情况、弄虚作假",
]
_ABN_REMOVED = [
    "依法补报了未报年份的年度报告并公示",
    "依法办理住所或者经营场所变更登记，或者提出通过登记的住所或者经营场所可以重新取得联系",
    "更正其公示的信息",
]
_ABN_PLANTED = [0.3, 0.65, 0.05]
_ABN_ORDINARY = [0.85, 0.15, 0.0]

# Case reasons: (reason, criminal?); planted and ordinary draw from different mixes.
_CASES = [
    ("民间借贷纠纷", False),
    ("非法吸收公众存款", True),
    ("集资诈骗", True),
    ("委托理财合同纠纷", False),
    ("合同纠纷", False),
    ("劳动争议", False),
    ("买卖合同纠纷", False),
    ("房屋租赁合同纠纷", False),
    ("金融借款合同纠纷", False),
    ("服务合同纠纷", False),
]
_CASE_PLANTED = [0.5, 0.15, 0.05, 0.12, 0.1, 0.08, 0.0, 0.0, 0.0, 0.0]
_CASE_ORDINARY = [0.1, 0.0, 0.0, 0.0, 0.0, 0.2, 0.35, 0.15, 0.1, 0.1]
_DOC_CIVIL = ["民事判决书", "民事裁定书", "民事调解书"]

# Other places for branches and investees: (province, city, division code).
_PLACES = [
    ("江苏省", "徐州市", "320300"),
    ("河南省", "郑州市", "410100"),
    ("河北省", "石家庄市", "130100"),
    ("安徽省", "合肥市", "340100"),
    ("浙江省", "温州市", "330300"),
    ("广东省", "深圳市", "440300"),
    ("四川省", "成都市", "510100"),
    ("辽宁省", "沈阳市", "210100"),
    ("湖北省", "武汉市", "420100"),
    ("陕西省", "西安市", "610100"),
    ("北京市", "北京市", "110105"),
    ("上海市", "上海市", "310115"),
    ("天津市", "天津市", "120116"),
    ("山东省", "济南市", "370102"),
    ("山东省", "青岛市", "370212"),
    ("山东省", "潍坊市", "370702"),
    ("山东省", "淄博市", "370303"),
]
_N_AWAY = 13  # the first 13 places are outside 山东省
_INVESTEE = [
    "投资管理",
    "企业管理咨询",
    "商务信息咨询",
    "电子商务",
    "科技",
    "供应链管理",
    "农业科技",
    "健康科技",
]
_SHARES = ["100%", "70%", "60%", "51%", "40%", "30%"]


# Change categories: item text per category (individual shops say 经营场所).


def _foreign_uscc(area: list[str], serial: np.ndarray) -> pl.Series:
    """Valid-looking USCCs ('91' + a division code outside the district + organisation code)."""
    n = serial.size
    chars = np.empty((n, 18), dtype=np.uint8)
    chars[:, :2] = np.frombuffer(b"91", dtype=np.uint8)
    chars[:, 2:8] = np.frombuffer("".join(area).encode(), dtype=np.uint8).reshape(n, 6) if n else 0
    chars[:, 8:17] = ids.org_code_chars(serial)
    chars[:, 17] = ids._ASCII[ids.uscc_check_values(ids._LOOKUP[chars[:, :17]])]
    return ids.rows_to_strings(chars)


def _nest(base: pl.DataFrame, long: pl.DataFrame, key: str, fields: list[str]) -> pl.DataFrame:
    """Attach long rows (one per fact, column _r = row number) as a list-of-struct column."""
    dtype = pl.List(pl.Struct({f: long.schema[f] for f in fields}))
    nested = long.sort("_r", "_seq").group_by("_r", maintain_order=True).agg(pl.struct(fields).alias(key))
    out = base.join(nested, on="_r", how="left", maintain_order="left")
    return out.with_columns(pl.col(key).fill_null(pl.lit([], dtype=dtype)))


def _basic(df: pl.DataFrame) -> pl.Expr:
    capital = pl.col("registered_capital").str.replace("万元$", "")
    return pl.struct(
        pl.col("uscc"),
        pl.col("name"),
        pl.col("legal_rep"),
        pl.col("status"),
        pl.when(capital.is_null()).then(None).otherwise(capital + "万人民币").alias("registered_capital"),
        pl.col("_est").cast(pl.Date).dt.strftime("%Y-%m-%d").alias("established_on"),
        pl.col("address"),
        pl.lit("山东省").alias("province"),
        pl.lit("淄博市").alias("city"),
        pl.lit("周村区").alias("district"),
        pl.col("business_scope").alias("scope"),
        pl.col("entity_type"),
    ).alias("basic")


def build_records(
    df: pl.DataFrame, plan: Plan, known: pl.DataFrame, seed: int, chunk: int, start: int, stop: int
) -> pl.DataFrame:
    """Snapshot records (one row per registration in [start, stop)) as a frame ready for write_records.

    df is the finished chunk (after priors and repeaters are applied); known holds the prior offenders of
    earlier chunks (columns _idx, name, legal_rep at least).
    """
    rng = np.random.Generator(np.random.PCG64([seed, 9, chunk]))
    n = stop - start
    rows = np.arange(n, dtype=np.int64)
    kind = plan.kind[start:stop].astype(np.int64)
    planted = plan.scheme[start:stop] >= 0
    est = df["_est"].to_numpy().astype(np.int64)
    ordinary = ~planted & (kind < FIN)
    ground = np.full(n, -1, dtype=np.int64)
    in_prior = (plan.priors >= start) & (plan.priors < stop)
    ground[plan.priors[in_prior] - start] = plan.prior_ground[in_prior]
    base = df.select(pl.Series("_r", rows), "uscc", "name", _basic(df))

    # Abnormal-operation listings.
    p_abn = np.select(
        [ground >= 0, planted, ordinary & (kind == COMPANY), ordinary], [0.75, 0.4, 0.035, 0.02], 0.0
    )
    n_abn = _counts(rng, p_abn, [1, 2], [0.78, 0.22])
    r, seq = _expand(rows, n_abn)
    reason = np.where(
        planted[r],
        rng.choice(3, r.size, p=_ABN_PLANTED),
        rng.choice(3, r.size, p=_ABN_ORDINARY),
    )
    reason = np.where((ground[r] == GROUNDS.index("revoked")) & (seq == 0), 1, reason)
    listed = _between(rng, est[r] + 180, NOW)
    removed_on = listed + rng.integers(30, 400, r.size)
    removed = (rng.random(r.size) < np.where(planted[r], 0.2, 0.6)) & (removed_on <= NOW)
    abnormal = pl.DataFrame(
        {
            "_r": r,
            "_seq": seq,
            "listed_on": _iso(listed),
            "listed_reason": gather(_ABN, reason),
            "listed_by": pl.Series([_AUTHORITY] * r.size, dtype=_S),
            "removed_on": _iso(removed_on),
            "removed_reason": gather(_ABN_REMOVED, reason),
            "removed_by": pl.Series([_AUTHORITY] * r.size, dtype=_S),
        }
    ).with_columns(
        pl.when(pl.Series(removed)).then(pl.col(c)).otherwise(None).alias(c)
        for c in ("removed_on", "removed_reason", "removed_by")
    )

    # Lawsuits; priors confirmed or revoked always have a criminal fundraising case.
    p_law = np.select(
        [ground >= 0, planted, ordinary & (kind == COMPANY), ordinary], [0.6, 0.28, 0.02, 0.01], 0.0
    )
    n_law = _counts(rng, p_law, [1, 2, 3], [0.55, 0.3, 0.15])
    forced = (ground >= GROUNDS.index("confirmed")) & (n_law == 0)
    n_law = np.where(forced, 1, n_law)
    r, seq = _expand(rows, n_law)
    case = np.where(
        planted[r],
        rng.choice(len(_CASES), r.size, p=_CASE_PLANTED),
        rng.choice(len(_CASES), r.size, p=_CASE_ORDINARY),
    )
    confirmed = (ground[r] >= GROUNDS.index("confirmed")) & (seq == 0)
    case = np.where(confirmed, np.where(rng.random(r.size) < 0.8, 1, 2), case)
    criminal = np.array([c[1] for c in _CASES])[case]
    higher = (case == 2) | (rng.random(r.size) < 0.1)
    judged = _between(rng, est[r] + 200, NOW)
    year = judged // 365 + 1970  # close enough for a case number's year
    number = rng.integers(1, 9000, r.size)
    civil_doc = rng.choice(3, r.size, p=[0.6, 0.25, 0.15])
    law = pl.DataFrame(
        {
            "_r": r,
            "_seq": seq,
            "_year": year,
            "_court_code": gather(_COURT_CODES, higher.astype(np.int64)),
            "_kind": gather(["民初", "刑初"], criminal.astype(np.int64)),
            "_no": number,
            "_reason": gather([c[0] for c in _CASES], case),
            "_party": person_names(rng, r.size),
            "_name": df["name"].gather(r),
            "_rep": df["legal_rep"].gather(r),
            "court": gather(_COURTS, higher.astype(np.int64)),
            "judged_on": _iso(judged),
            "_civil_doc": gather(_DOC_CIVIL, civil_doc),
            "_criminal": criminal,
        }
    )
    lawsuits = law.select(
        "_r",
        "_seq",
        pl.format("（{}）{}{}{}号", "_year", "_court_code", "_kind", "_no").alias("case_no"),
        pl.when("_criminal")
        .then(pl.format("{}、{}{}罪一审刑事判决书", "_rep", "_party", "_reason"))
        .otherwise(pl.format("{}与{}{}一审{}", "_party", "_name", "_reason", "_civil_doc"))
        .alias("title"),
        pl.col("_reason").alias("case_reason"),
        "court",
        "judged_on",
        pl.when("_criminal").then(pl.lit("刑事判决书")).otherwise("_civil_doc").alias("doc_type"),
    )

    # Branches and investments, mostly in other provinces for planted companies.
    p_rel = np.select(
        [planted & (kind == COMPANY), planted & (kind == COOP), ordinary & (kind == COMPANY)],
        [0.3, 0.05, 0.03],
        0.0,
    )
    n_rel = _counts(rng, p_rel, [1, 2, 3, 4], [0.4, 0.3, 0.2, 0.1])
    r, seq = _expand(rows, n_rel)
    away = rng.random(r.size) < np.where(planted[r], 0.75, 0.15)
    place = np.where(away, rng.integers(0, _N_AWAY, r.size), rng.integers(_N_AWAY, len(_PLACES), r.size))
    is_branch = rng.random(r.size) < 0.5
    rel_uscc = _foreign_uscc([_PLACES[p][2] for p in place.tolist()], rng.integers(0, ids.ORG_SPACE, r.size))
    rel = pl.DataFrame(
        {
            "_r": r,
            "_seq": seq,
            "_branch": is_branch,
            "_city": gather([p[1] for p in _PLACES], place),
            "_phrase": gather(_INVESTEE, rng.integers(0, len(_INVESTEE), r.size)),
            "_brand": df["_brand"].gather(r),
            "_parent": df["name"].gather(r),
            "uscc": rel_uscc,
            "legal_rep": person_names(rng, r.size),
            "status": gather(["存续", "注销", "吊销"], rng.choice(3, r.size, p=[0.8, 0.15, 0.05])),
            "province": gather([p[0] for p in _PLACES], place),
            "share": gather(_SHARES, rng.integers(0, len(_SHARES), r.size)),
            "amount": pl.Series(rng.choice([50, 100, 200, 500, 1000], r.size)).cast(_S) + "万",
        }
    )
    branches = rel.filter("_branch").select(
        "_r",
        "_seq",
        pl.format("{}{}分公司", "_parent", "_city").alias("name"),
        "uscc",
        "legal_rep",
        "status",
        "province",
        pl.col("_city").alias("city"),
    )
    investments = rel.filter(~pl.col("_branch")).select(
        "_r",
        "_seq",
        pl.format("{}{}{}有限公司", "_city", "_brand", "_phrase").alias("name"),
        "uscc",
        "legal_rep",
        "status",
        "province",
        "share",
        "amount",
    )

    changes = _changes(rng, df, plan, known, rows, kind, planted, ordinary, ground, est, start, stop)

    out = base
    out = _nest(out, abnormal, "abnormal", list(abnormal.columns[2:]))
    out = _nest(out, lawsuits, "lawsuits", list(lawsuits.columns[2:]))
    out = _nest(out, branches, "branches", list(branches.columns[2:]))
    out = _nest(out, investments, "investments", list(investments.columns[2:]))
    out = _nest(out, changes, "changes", ["changed_on", "item", "before", "after"])
    return out.drop("_r").with_columns(
        pl.lit(None, dtype=pl.Int64).alias("abnormal_total"),
        pl.lit(None, dtype=pl.Int64).alias("lawsuit_total"),
    )


def write_snapshot(path: Path | str, records: list[dict[str, Any]]) -> Path:
    """Hand-made records (normalised shape) as a snapshot file, atomically (never half a snapshot)."""
    target = Path(path)
    with atomic_path(target) as temp, temp.open("w", encoding="utf-8") as out:
        out.writelines(snapshot_line(record) for record in records)
    return target


def write_records(records: pl.DataFrame, handle: IO[bytes]) -> int:
    """Append records as JSON Lines to an open binary file; returns the number written."""
    records.select(
        "uscc",
        "name",
        "basic",
        "abnormal",
        "abnormal_total",
        "lawsuits",
        "lawsuit_total",
        "branches",
        "investments",
        "changes",
    ).write_ndjson(handle)
    return records.height
