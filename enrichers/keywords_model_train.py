"""Train the name model (enrichers/keywords_model.py) on real names, the tuning half only.

Run as ``python -m enrichers.keywords_model_train [--realdata DIR]``. Names are split by CRC32 of the
UTF-8 name (even = tuning half, odd = report half, the split benchmarks/eval_keywords.py and
benchmarks/eval_names.py report on), so no reported name was trained on.

Positives: operating companies of collapsed P2P platforms, subjects of CCKS 涉嫌非法集资 news (the short
and brand names that warnings and cases use, not only P2P operators) and the companies named in 非吸 /
集资诈骗 case facts. Negatives: ordinary registrations of two eras, listed companies, an
abnormal-operations list and the subjects of other CCKS financial news. The licensed lists are
evaluation only: they are cleared by name at screen time, and a model taught that 银行 or 投资管理 is
harmless would wave fakes through. Only the artifact and the data digest are kept, never rows.
"""

from __future__ import annotations

import argparse
import hashlib
import re
import sys
import zlib
from pathlib import Path

import polars as pl

from enrichers.data import source_path
from enrichers.keywords_model import MODEL_FILE, load_model, save_model, train

REALDATA = Path(__file__).resolve().parents[2] / "shared" / "realdata"
VERSION_PREFIX = "name-ngram-lr-2"
ORG = r"[\u4e00-\u9fa5()（）]{4,40}?(?:股份有限公司|有限责任公司|有限公司|专业合作社|合作社|集团)"
# What precedes a company name in a case fact: the verb or preposition that introduces it.
LEAD = r"^.*(?:成立了?|注册了?|设立了?|担任|经营的|控制的|名义|以|在|为|系|与|向|将|通过|由|即|及|和|的|后|、|被告人)"
ROLE = r"^[\u4e00-\u9fa5]{1,3}[（(][^()（）]{0,6}[)）]?"  # 乙方（债务人）, 股东（
NOT_A_SUBJECT = r"某|×|X|银行|事务所|局|院|简称|上述|该|其"
LICENSED = "licensed_institutions/"
SOURCES = [  # file, column, source label, group (positive | ordinary | licensed)
    ("p2p_problem_platforms/problemPlatDetail.csv", "companyName", "P2P出险平台运营主体", "positive"),
    ("company_names/beijing_new_registrations_2023.csv", "企业名称", "北京2023新设登记", "ordinary"),
    ("company_names/elevencats_registrations_1978_2004_sample50k.csv", "name", "1978-2004全国登记抽样", "ordinary"),
    ("company_names/a_share_companies_2022.csv", "fullname", "A股上市公司", "ordinary"),
    ("company_names/beijing_miyun_abnormal_operations.csv", "企业（机构）名称", "密云经营异常名录", "ordinary"),
    (LICENSED + "nfra_bank_legal_entities_2025h1_partial.csv", "name", "银行业金融机构法人", "licensed"),
    (LICENSED + "nfra_insurance_legal_entities_2025h1.csv", "name", "保险机构法人", "licensed"),
    (LICENSED + "pbc_payment_institutions_2026.csv", "name", "支付机构", "licensed"),
    (LICENSED + "csrc_futures_companies_2026.csv", "name", "期货公司", "licensed"),
    (LICENSED + "laosheng_regional_financial_institutions.csv", "name", "地方持牌机构简称", "licensed"),
    (LICENSED + "amac_private_fund_managers_sample.csv", "name", "AMAC私募基金管理人", "licensed"),
]  # fmt: skip
EVENT_FILES = [
    "financial_events/ccks2019_event_entity.csv",
    "financial_events/ccks2020_event_entity_subset.csv",
]
CASES = "criminal_cases/fundraising_case_facts.csv"


def case_names(facts: pl.Series) -> set[str]:
    """Company names written in case facts (by their legal form, with the words before them cut)."""
    out = set()
    for fact in facts.drop_nulls().to_list():  # 87 case facts: a regex per fact, not a scoring path
        for found in re.findall(ORG, fact):
            name = re.sub(ROLE, "", re.sub(LEAD, "", found))
            if len(name) >= 6 and not re.search(NOT_A_SUBJECT, name):
                out.add(name)
    return out


def data_files(realdata: Path = REALDATA) -> list[Path]:
    return [realdata / f for f, *_ in SOURCES] + [realdata / f for f in EVENT_FILES] + [realdata / CASES]


def name_corpus(realdata: Path = REALDATA) -> pl.DataFrame:
    """name, source, group (positive | ordinary | news_other | licensed), label, half (tune | report)."""

    def read(path: str) -> pl.DataFrame:
        return pl.read_csv(realdata / path, infer_schema=False)

    cases = read(CASES)
    in_cases = case_names(cases.filter(pl.col("label") == "1")["fact"])
    in_cases -= case_names(cases.filter(pl.col("label") != "1")["fact"])
    events = pl.concat([read(f).select("event_type", "entity") for f in EVENT_FILES])
    subjects = (
        events.filter(pl.col("entity").str.len_chars() >= 2)
        .group_by("entity")
        .agg(pos=(pl.col("event_type") == "涉嫌非法集资").any())
        .sort("entity")
    )
    parts = [(read(f)[col], src, grp) for f, col, src, grp in SOURCES[:1]]
    parts += [
        (pl.Series(sorted(in_cases)), "非吸/集资诈骗案情中的公司", "positive"),
        (subjects.filter("pos")["entity"], "CCKS涉嫌非法集资新闻主体", "positive"),
    ]
    parts += [(read(f)[col], src, grp) for f, col, src, grp in SOURCES[1:]]
    parts.append((subjects.filter(~pl.col("pos"))["entity"], "CCKS其他金融新闻主体", "news_other"))
    frame = pl.concat(
        [
            pl.DataFrame({"name": col.cast(pl.String)}).select(
                pl.col("name").str.strip_chars(), source=pl.lit(src), group=pl.lit(grp)
            )
            for col, src, grp in parts
        ]
    ).filter(pl.col("name").str.len_chars() >= 2)
    # A name in several sources keeps the first (positives come first).
    frame = frame.unique("name", keep="first", maintain_order=True)
    half = [("tune", "report")[zlib.crc32(n.encode("utf-8")) % 2] for n in frame["name"].to_list()]
    return frame.with_columns(
        label=(pl.col("group") == "positive").cast(pl.Int8), half=pl.Series(half, dtype=pl.String)
    )


def train_name_model(realdata: Path = REALDATA, out: Path | None = None) -> int:
    """Fit on the tuning half (licensed lists left out) and store the artifact; returns the row count."""
    tune = name_corpus(realdata).filter((pl.col("half") == "tune") & (pl.col("group") != "licensed"))
    digest = hashlib.sha256(b"".join(f.read_bytes() for f in data_files(realdata))).hexdigest()
    meta = {
        "version": f"{VERSION_PREFIX}+{digest[:8]}",
        "data_sha256": digest,
        "trained_on": "tuning half (crc32(name)%2==0): P2P operators, CCKS 涉嫌非法集资 subjects and case "
        "names vs registrations, listed companies and other CCKS subjects",
        "n_train": tune.height,
        "n_pos": int(tune["label"].sum()),
        "by_source": dict(tune.group_by("source").len().sort("source").iter_rows()),
    }
    save_model(train(tune["name"].to_list(), tune["label"].to_numpy(), meta), out)
    load_model.cache_clear()
    return tune.height


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--realdata", type=Path, default=REALDATA)
    parser.add_argument("--out", type=Path, default=None)
    args = parser.parse_args(argv)
    args.out = args.out or source_path(*MODEL_FILE)  # the packaged artifact, rewritten in a checkout
    if not (args.realdata / "p2p_problem_platforms").is_dir():
        print(f"没有找到训练数据目录：{args.realdata}", file=sys.stderr)
        return 2
    rows = train_name_model(args.realdata, args.out)
    print(f"已写入 {args.out}（{args.out.stat().st_size / 1e6:.2f} MB），训练名称 {rows} 个（调参半集）")
    return 0


if __name__ == "__main__":
    sys.exit(main())
