"""How often brands (字号) and addresses collide: real registrations against the demo generator.

A repeat-offender tie by brand or address is only evidence when such collisions are rare, so the
generator must collide about as often as real registrations do at the same size. Real: the elevencats
1978-2004 national sample (50,000 registrations) and Beijing 2023 registrations (8,376, one district);
the brand is enrichers.names.name_parts' 字号 after national place names are removed, without licensed
financial institutions, national networks (电信, 邮政, 石化…) and branches. "clean" keeps names whose
字号 parsed to 2-4 characters with the industry words removed, and drops brands that are themselves
industry words (a suffix of at least three other cores): a sample of real 字号, not of parse failures.
Per sample size it prints the share of registrations whose brand another shares, registrations per
brand, and the 95th percentile and maximum of the brand group a registration sits in; a Zipf-Mandelbrot
law p(r) ~ (r + q)^-s over V ranks is fitted to the clean curve and extrapolated to 100,000 and
1,000,000 (the generator's law, fundrisk.synth.names, is printed beside it). Then the generator's
output at the given sizes, with address and phone sharing.

Real data has no street addresses except the office addresses of problem P2P platforms: they give the
share of specific addresses (a room, floor or shop number) the relation rule relies on. Address sharing
in the generator is an assumption, stated in fundrisk/synth/district.py: business-centre (agent)
addresses shared by hundreds, rooms and shop numbers shared by chance rarely, plain village addresses
shared by families.

Usage: python -m benchmarks.eval_collisions [SIZE ...]   (default 100000 1000000; skips without realdata)
"""

from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import polars as pl

from benchmarks.common import print_table
from benchmarks.eval_keywords import REALDATA, place_names
from enrichers.names import address_key, name_parts
from enrichers.offenders import FI_NAME, flagged_entities, repeat_offenders, tie_rules
from fundrisk.synth import generate
from fundrisk.synth.names import BRAND_VOCAB, BRAND_ZIPF_Q, BRAND_ZIPF_S, P, zipf_ranks
from fundrisk.synth.writer import REGISTRATION_ZH

NETWORKS = r"电信|邮政|移动通信|联合网络通信|石油|石化|烟草|供销|电力|供电|铁路|新华书店"
REAL_SIZES = (2_000, 5_000, 10_000, 20_000, 50_000)
DRAWS = 5
DEFAULT_SIZES = (100_000, 1_000_000)
FIT_S = np.arange(0.5, 1.0, 0.05)
FIT_Q = (1.0, 10.0, 100.0, 1000.0)
FIT_V = (1e5, 2e5, 5e5, 1e6, 2e6)


def brands(names: pl.Series, places: str) -> pl.DataFrame:
    """name, core, brand of registrations whose brand is comparable (no FI, network or branch)."""
    df = (
        pl.DataFrame({"name": names})
        .drop_nulls()
        .filter(~pl.col("name").str.contains(f"{FI_NAME}|{NETWORKS}"))
    )
    bare = pl.col("name").str.replace_all(r"\([^()]*\)|（[^（）]*）", "").str.replace(places, "")
    df = df.with_columns(bare.alias("bare"))
    parts = name_parts(df["bare"])
    df = df.with_columns(parts["core"], parts["brand"], parts["is_branch"])
    return df.filter(~pl.col("is_branch") & (pl.col("brand").str.len_chars() >= 2)).select(
        "name", "core", "brand"
    )


def clean(df: pl.DataFrame) -> pl.DataFrame:
    """Rows whose 字号 parsed cleanly: 2-4 characters, industry words removed, not an industry word itself."""
    cores = df["core"]
    tails = pl.concat([cores.filter(cores.str.len_chars() >= k + 2).str.slice(-k) for k in (2, 3, 4)])
    generic = tails.value_counts().filter(pl.col("count") >= 3)["core"].implode()
    return df.filter(
        pl.col("brand").str.len_chars().is_between(2, 4)
        & (pl.col("brand") != pl.col("core"))
        & ~pl.col("brand").is_in(generic)
    )


def collision(keys: pl.Series) -> dict[str, float]:
    """Share of rows whose key another row shares, rows per key, p95 and max group size (per row)."""
    keys = keys.drop_nulls()
    if keys.len() == 0:
        return {"shared": 0.0, "per key": 0.0, "p95 group": 0.0, "max group": 0.0}
    group = keys.to_frame("k").select(pl.len().over("k").alias("g"))["g"]
    return {
        "shared": float((group > 1).mean() or 0.0),
        "per key": keys.len() / keys.n_unique(),
        "p95 group": float(group.quantile(0.95) or 0.0),
        "max group": float(group.max() or 0.0),
    }


def real_rows(places: str) -> tuple[list[dict[str, object]], dict[int, float]]:
    root = REALDATA / "company_names"
    eleven = pl.read_csv(root / "elevencats_registrations_1978_2004_sample50k.csv", infer_schema=False)
    beijing = pl.read_csv(root / "beijing_new_registrations_2023.csv", infer_schema=False)
    sets = {
        "elevencats all": brands(eleven["name"], places),
        "beijing2023 all": brands(beijing["企业名称"], places),
    }
    sets["elevencats clean"] = clean(sets["elevencats all"])
    sets["beijing2023 clean"] = clean(sets["beijing2023 all"])
    rows, curve = [], {}
    for label, df in sets.items():
        for n in [s for s in REAL_SIZES if s < df.height] + [df.height]:
            draws = [collision(df["brand"].sample(n, seed=k)) for k in range(DRAWS if n < df.height else 1)]
            mean = {k: float(np.mean([d[k] for d in draws])) for k in draws[0]}
            rows.append({"source": label, "registrations": n, **mean})
            if label == "elevencats clean":
                curve[n] = mean["shared"]
    return rows, curve


def _shared(ranks: np.ndarray) -> float:
    _, inverse, counts = np.unique(ranks, return_inverse=True, return_counts=True)
    return float((counts[inverse] > 1).mean())


def fit_rows(curve: dict[int, float]) -> list[dict[str, object]]:
    """Zipf-Mandelbrot laws that best fit the clean curve, and the generator's, extrapolated."""
    rng = np.random.Generator(np.random.PCG64(20261130))
    fits = []
    for s in FIT_S:
        for q in FIT_Q:
            for v in FIT_V:
                err = sum((_shared(zipf_ranks(rng, n, s, q, int(v))) - y) ** 2 for n, y in curve.items())
                fits.append((err, float(s), q, int(v)))
    fits.sort()
    laws = [("fit", *f) for f in fits[:4]]
    mine = sum(
        (_shared(zipf_ranks(rng, n, BRAND_ZIPF_S, BRAND_ZIPF_Q, BRAND_VOCAB)) - y) ** 2
        for n, y in curve.items()
    )
    laws.append(("generator", mine, BRAND_ZIPF_S, BRAND_ZIPF_Q, BRAND_VOCAB))
    rows = []
    for label, err, s, q, v in laws:
        rmse = f"{(err / len(curve)) ** 0.5:.4f}"
        row: dict[str, object] = {"law": label, "s": round(s, 2), "q": q, "V": v, "rmse": rmse}
        for n in (*sorted(curve)[-1:], 100_000, 1_000_000):
            ranks = zipf_ranks(rng, n, s, q, v)
            row[f"shared@{n:,}"] = _shared(ranks)
            row[f"per brand@{n:,}"] = n / np.unique(ranks).size
        rows.append(row)
    return rows


def relation_row(folder: Path, regs: pl.DataFrame) -> dict[str, object]:
    """repeat_offenders on the generated registrations (read directly, no ingest): counts and time."""
    provincial = pl.read_excel(folder / "provincial-list" / "provincial_list.xlsx", infer_schema_length=0)
    provincial = provincial.select(pl.col("统一社会信用代码").alias("uscc"), pl.col("企业名称").alias("name"))
    inspections = pl.read_csv(folder / "inspections" / "inspections.csv", infer_schema=False)
    truth = pl.read_csv(folder / "truth" / "repeat_offenders.csv", infer_schema=False)
    start = time.perf_counter()
    flagged = flagged_entities(regs, provincial, inspections)
    relations = repeat_offenders(regs, flagged)
    seconds = time.perf_counter() - start
    pairs = truth.select("uscc", pl.col("prior_uscc").alias("related_uscc"))
    found = pairs.join(relations, on=["uscc", "related_uscc"], how="semi").height
    strength = dict(relations.group_by("strength").len().iter_rows())
    return {
        "registrations": regs.height,
        "flagged": flagged.height,
        "strong": int(strength.get("strong", 0)),
        "weak": int(strength.get("weak", 0)),
        "repeat related": found / pairs.height if pairs.height else None,
        "seconds": round(seconds, 1),
    }


def generated_rows(
    size: int, places: str, specific: str
) -> tuple[list[dict[str, object]], dict[str, object], float]:
    """Brand, address and phone collisions in the generator's registrations at one size, and relations."""
    with tempfile.TemporaryDirectory() as name:
        folder = Path(name)
        start = time.perf_counter()
        generate(folder, entities=size, seed=4242)
        seconds = time.perf_counter() - start
        raw = pl.read_csv(folder / "registrations" / "registrations.csv", infer_schema=False)
        regs = raw.select(pl.col(zh).alias(c) for c, zh in REGISTRATION_ZH.items())
        relations = relation_row(folder, regs)
    b = brands(regs["name"], places)
    companies = b.filter(pl.col("name").str.ends_with("公司"))
    keyed = regs.with_columns(address_key(regs["address"]).alias("key"))
    keyed = keyed.with_columns(pl.concat_str("town", pl.lit("|"), "key").alias("key"))
    spec = keyed.filter(pl.col("key").str.contains(specific))
    cap = tie_rules().caps["address"]
    spec_group = spec.select(pl.len().over("key").alias("g"))["g"]
    block = regs.join(b.select("name", "brand").unique("name"), on="name")
    block_key = pl.concat_str("brand", pl.lit("|"), "industry", pl.lit("|"), "town")
    label = f"generator {size:,}"
    rows: list[dict[str, object]] = [
        {"source": label, "keys": "brand, all", "rows": b.height, **collision(b["brand"])},
        {
            "source": label,
            "keys": "brand, companies",
            "rows": companies.height,
            **collision(companies["brand"]),
        },
        {
            "source": label,
            "keys": "brand+industry+town",
            "rows": block.height,
            **collision(block.select(block_key).to_series()),
        },
        {"source": label, "keys": "address, all", "rows": keyed.height, **collision(keyed["key"])},
        {"source": label, "keys": "address, specific", "rows": spec.height, **collision(spec["key"])},
        {"source": label, "keys": "phone", "rows": regs.height, **collision(regs["phone"])},
    ]
    share = spec.height / keyed.height
    rows.append(
        {
            "source": label,
            "keys": f"specific share {share:.2f}; shared by 2-{cap} (a tie)",
            "rows": spec.height,
            "shared": float(((spec_group > 1) & (spec_group <= cap)).mean() or 0.0),
        }
    )
    return rows, relations, seconds


def real_addresses(specific: str) -> dict[str, object]:
    """Specific share and duplicates of the real office addresses of problem P2P platforms."""
    detail = pl.read_csv(REALDATA / "p2p_problem_platforms" / "platDataDetail.csv", infer_schema=False)
    addresses = detail["officeAddress"].drop_nulls()
    keys = address_key(addresses).drop_nulls()
    return {
        "source": "problem P2P offices (real)",
        "keys": "address",
        "rows": keys.len(),
        "specific share": float(keys.str.contains(specific).mean() or 0.0),
        **collision(keys),
    }


def main(argv: list[str]) -> None:
    sizes = [int(a) for a in argv] or list(DEFAULT_SIZES)
    if not (REALDATA / "company_names").is_dir():
        print(f"skipped: real data not present at {REALDATA} (brand collisions need company_names/)")
        return
    places = "^(?:" + "|".join(place_names()) + ")+"
    specific = tie_rules().specific_address
    real, curve = real_rows(places)
    print("Real brand (字号) collisions by sample size (mean of 5 random draws below the full size)")
    print_table(real)
    print(f"\nZipf-Mandelbrot laws fitted to 'elevencats clean' (brand characters in the generator: {P})")
    print_table(fit_rows(curve))
    print("\nReal addresses (the only street addresses in realdata)")
    print_table([real_addresses(specific)])
    relations = []
    for size in sizes:
        rows, rel, seconds = generated_rows(size, places, specific)
        relations.append(rel)
        print(f"\nGenerator at {size:,} registrations (seed 4242, generated in {seconds:.1f} s)")
        print_table(rows)
    print("\nRepeat-offender relations on the generated registrations (enrichers.offenders, no ingest)")
    print_table(relations)


if __name__ == "__main__":
    main(sys.argv[1:])
