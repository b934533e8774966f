"""Throughput of the vectorised keyword matcher against a jieba segment-then-lookup baseline.

1,000,000 company names plus 1,000,000 business scopes (~250 characters) are matched with
``match_frame`` (normalisation included). The jieba baseline (segment each text, look each token up in a
set of lexicon terms) is timed in the same process on a sample and extrapolated linearly to the full size.
Synthetic rows are built from generic name and scope fragments written here (no real data is read):
every scope has lexicon words ("以自有资金从事投资活动", "财务咨询") or the standard disclaimer in places,
about 1 name in 10 and 1 scope in 20 carries a prohibited or promotional word.

Run: ``python benchmarks/bench_keywords.py [N]``.
"""

from __future__ import annotations

import re
import sys
import time
from pathlib import Path

import numpy as np
import polars as pl

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from enrichers.keywords import load_lexicon, match_frame  # noqa: E402
from enrichers.keywords_lexicon import NEGATION_WINDOW  # noqa: E402
from enrichers.normalize import normalize_one  # noqa: E402

FIELDS = {"name": "name", "scope": "business_scope"}

PREFIX = ["淄博", "张店", "临淄", "博山", "周村", "桓台", "高青", "沂源", "齐鲁", "鲁中"]
CORE = ["鑫源", "恒泰", "华信", "博远", "金盛", "瑞丰", "嘉禾", "中诚", "汇通", "宏达", "德润", "安康"]
TRADE = [
    "科技",
    "商贸",
    "餐饮管理",
    "建材",
    "物流",
    "文化传媒",
    "机械",
    "电子",
    "服装",
    "农业",
    "装饰工程",
    "汽车维修",
    "医疗器械",
    "教育咨询",
    "食品",
    "化工",
    "贸易",
    "信息技术",
    "家政服务",
    "投资管理",
    "理财咨询",
]
FORM = ["有限公司", "有限责任公司", "股份有限公司", "(有限合伙)"]
SCOPE = [
    "技术开发、技术咨询、技术交流、技术转让、技术推广",
    "软件开发",
    "信息咨询服务(不含许可类信息咨询服务)",
    "企业管理咨询",
    "市场营销策划",
    "会议及展览服务",
    "日用百货销售",
    "广告设计、代理",
    "计算机系统服务",
    "以自有资金从事投资活动",
    "财务咨询",
    "食品销售(仅销售预包装食品)",
    "健康咨询服务(不含诊疗服务)",
    "住房租赁",
    "物业管理",
    "国内贸易代理",
    "供应链管理服务",
    "五金产品批发",
    "汽车零配件零售",
    "家用电器销售",
    "建筑材料销售",
    "普通机械设备安装服务",
    "专业保洁、清洗、消毒服务",
    "办公用品销售",
    "未经金融监管部门批准，不得从事吸收存款、融资担保、代客理财、向社会公众集（融）资等金融业务",
]


def synthetic(n: int, seed: int = 7) -> pl.DataFrame:
    """n rows of id, name (~15 chars) and business_scope (~250 chars)."""
    rng = np.random.default_rng(seed)
    pick = [rng.integers(0, len(x), n) for x in (PREFIX, CORE, TRADE, FORM)]
    names = [
        PREFIX[a] + CORE[b] + TRADE[c] + FORM[d]
        for a, b, c, d in zip(*(p.tolist() for p in pick), strict=True)
    ]
    order = rng.integers(0, len(SCOPE), (n, 16)).tolist()
    scopes = ["；".join(SCOPE[j] for j in row)[:250] for row in order]
    risky = rng.random(n) < 0.05  # about one scope in twenty carries a promotional promise
    scopes = [
        s[:230] + "；承诺保本保息年化18%" if r else s for s, r in zip(scopes, risky.tolist(), strict=True)
    ]
    return pl.DataFrame({"id": np.arange(n), "name": names, "business_scope": scopes})


def jieba_baseline(df: pl.DataFrame) -> tuple[float, int]:
    """Segment every name and scope with jieba and look tokens up in the lexicon; seconds and hits."""
    import jieba

    jieba.setLogLevel(60)
    terms = set(load_lexicon().terms["term"].to_list())
    for t in terms:
        jieba.add_word(t)
    jieba.lcut("预热")
    t0 = time.perf_counter()
    hits = 0
    for col in ("name", "business_scope"):
        for text in df[col].to_list():
            hits += sum(1 for tok in jieba.lcut(text) if tok in terms)
    return time.perf_counter() - t0, hits


def reference_hits(df: pl.DataFrame, fields: dict[str, str]) -> list[tuple[int, str, str, int]]:
    """Slow, row-by-row Python re-statement of ``match_frame``: sorted (subject_id, field, term, position).

    Normalisation with ``str.translate``; the literal automaton as an ordered ``re`` alternation (Python's
    alternation is leftmost-first, like the Aho-Corasick automaton, and ``re.ASCII | re.IGNORECASE`` folds
    ASCII case only); each regex pattern's first match; the negation window; literal hits inside a
    matched pattern dropped.
    """
    lex = load_lexicon()
    negation = re.compile(lex.negation_regex())
    all_keys = set(lex.terms["key"].to_list())
    out: list[tuple[int, str, str, int]] = []
    for kind, col in fields.items():
        keys = dict(zip(*lex.terms_for(kind).select("key", "term").get_columns(), strict=True))
        literal = re.compile("|".join(map(re.escape, lex.automaton(kind))), re.ASCII | re.IGNORECASE)
        patterns = [re.compile(p) for p in lex.patterns_for(kind)["pattern"].to_list()]
        for sid, raw in zip(df["id"].to_list(), df[col].to_list(), strict=True):
            text = normalize_one(raw or "")
            found = [(k.group(0).lower(), k.start()) for k in literal.finditer(text)]
            hits = [(keys[key], pos) for key, pos in found if key in keys]
            hits += [(m.group(0), m.start()) for m in map(lambda p: p.search(text), patterns) if m]
            hits = [(t, p) for t, p in hits if not negation.search(text[:p][-NEGATION_WINDOW:])]
            spans = [(p, p + len(t)) for t, p in hits if t.lower() not in all_keys]
            out += [
                (sid, kind, t, p)
                for t, p in hits
                if t.lower() not in all_keys or not any(a <= p and p + len(t) <= b for a, b in spans)
            ]
    return sorted(out)


def run(n: int = 1_000_000, sample: int = 20_000) -> list[dict]:
    """Time match_frame on n names + n scopes and the jieba baseline on a sample (extrapolated)."""
    df = synthetic(n)
    mb = (df["name"].str.len_bytes().sum() + df["business_scope"].str.len_bytes().sum()) / 1e6
    load_lexicon()
    match_frame(df.head(1000), "id", FIELDS)  # warm caches
    t0 = time.perf_counter()
    hits = match_frame(df, "id", FIELDS)
    vec = time.perf_counter() - t0
    # Equivalence: the hits of a sample (taken from the full run) against the slow row-by-row reference.
    check = df.sample(min(sample, n), seed=11)
    got = sorted(
        hits.filter(pl.col("subject_id").is_in(check["id"].implode()))
        .select("subject_id", "field", "term", "position")
        .iter_rows()
    )
    want = reference_hits(check, FIELDS)
    base_s, base_hits = jieba_baseline(df.head(sample))
    base_full = base_s * n / sample
    return [
        {
            "method": "match_frame (polars Aho-Corasick)",
            "rows": n,
            "MB": round(mb),
            "seconds": round(vec, 2),
            "hits": hits.height,
            "note": "measured",
        },
        {
            "method": "jieba segment + set lookup",
            "rows": n,
            "MB": round(mb),
            "seconds": round(base_full, 1),
            "hits": base_hits,
            "note": f"measured on {sample:,} rows ({base_s:.1f}s), extrapolated x{n // sample}",
        },
        {
            "method": "speed-up",
            "rows": n,
            "MB": round(mb),
            "seconds": round(base_full / vec, 1),
            "hits": 0,
            "note": "baseline seconds / match_frame seconds",
        },
        {
            "method": "equivalence vs reference",
            "rows": check.height,
            "MB": 0,
            "seconds": 0,
            "hits": len(want),
            "note": "identical (subject_id, field, term, position)"
            if got == want
            else f"MISMATCH: {len(set(got) ^ set(want))} differing hits",
        },
    ]


if __name__ == "__main__":
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 1_000_000
    print(f"{'method':36} {'rows':>9} {'MB':>5} {'seconds':>9} {'hits':>9}  note")
    for r in run(n):
        print(f"{r['method']:36} {r['rows']:>9,} {r['MB']:>5} {r['seconds']:>9} {r['hits']:>9,}  {r['note']}")
