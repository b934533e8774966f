"""Campaign progress (百日清零): per campaign, town and grid, and per phase and week, as polars frames.

Stock, as of a date: premises found (latest run at 高/中, or an inspection found a problem), inspected,
整改中, 逾期未整改, 已移送, 已销号 (case_store's states), still open (found − 已销号) and 清零进度 =
已销号 / found; grid coverage = registered premises surveyed / live registrations in the grid, with the
unregistered doors the sweeps found. Flow, per phase or ISO week: surveys, premises found, inspections,
disposals, referrals, closures. Column names are English; LABELS gives the Chinese headers.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

import polars as pl

from fundrisk.campaign.config import AFTER, BEFORE, Campaign, load_campaign
from fundrisk.warehouse.campaign_store import activity, campaign_year, found_premises, grid_coverage
from fundrisk.warehouse.db import Connection

COVERAGE = ["registrations", "surveyed", "coverage", "unregistered_doors", "survey_records"]
STOCK = ["found", "inspected", "rectifying", "overdue", "referred", "cleared", "open", "clearance"]
FLOW = ["surveys", "found", "inspections", "disposals", "referrals", "closures"]
LABELS = {
    "town": "镇街",
    "grid": "网格",
    "registrations": "在册主体",
    "surveyed": "已排查主体",
    "coverage": "排查覆盖率",
    "unregistered_doors": "无照门店",
    "survey_records": "排查记录",
    "unswept_grids": "未排查网格",
    "found": "发现风险",
    "inspected": "已核查",
    "rectifying": "整改中",
    "overdue": "逾期未整改",
    "referred": "已移送公安",
    "cleared": "已销号",
    "open": "未清零",
    "clearance": "清零进度",
    "period": "时段",
    "start": "起",
    "end": "止",
    "surveys": "排查记录",
    "inspections": "现场核查",
    "disposals": "处置措施",
    "referrals": "移送公安",
    "closures": "销号",
}
_KINDS = {
    "排查": "surveys",
    "核查": "inspections",
    "处置": "disposals",
    "移送公安": "referrals",
    "销号": "closures",
}
_STATUS = {"rectifying": "整改中", "overdue": "逾期未整改", "referred": "已移送", "cleared": "已销号"}


@dataclass(frozen=True)
class Progress:
    campaign: Campaign
    as_of: dt.date
    premises: pl.DataFrame  # one row per found premise, with town, grid, found_on and case state
    grids: pl.DataFrame  # per grid: coverage and stock
    towns: pl.DataFrame  # per town: coverage and stock (and unswept grids)
    total: dict[str, object]  # the campaign row
    by_phase: pl.DataFrame
    by_week: pl.DataFrame
    unswept: list[str]  # grids with live registrations and no survey record
    work: pl.DataFrame  # dated work and findings: day, town, kind (a FLOW column)

    @property
    def clearance(self) -> float:
        return float(self.total["clearance"] or 0.0)  # type: ignore[arg-type]

    @property
    def time_share(self) -> float:
        return self.campaign.time_share(self.as_of)


def _stock(premises: pl.DataFrame, by: list[str]) -> pl.DataFrame:
    counts = [
        pl.len().cast(pl.Int64).alias("found"),
        pl.col("last_inspected_on").is_not_null().sum().cast(pl.Int64).alias("inspected"),
        *[(pl.col("status") == s).sum().cast(pl.Int64).alias(k) for k, s in _STATUS.items()],
    ]
    frame = premises.group_by(by).agg(counts) if by else premises.select(counts)
    return frame.with_columns(
        (pl.col("found") - pl.col("cleared")).alias("open"),
        _share(pl.col("cleared"), pl.col("found")).alias("clearance"),
    )


def _share(part: pl.Expr, whole: pl.Expr) -> pl.Expr:
    return pl.when(whole > 0).then((part / whole).round(4))


def _coverage(grids: pl.DataFrame, by: list[str]) -> pl.DataFrame:
    sums = [pl.col(c).sum().cast(pl.Int64) for c in ("registrations", "surveyed", "unregistered_doors")]
    sums.append(pl.col("survey_records").sum().cast(pl.Int64))
    unswept = ((pl.col("registrations") > 0) & (pl.col("survey_records") == 0)).sum().cast(pl.Int64)
    aggs = [*sums, unswept.alias("unswept_grids")]
    frame = grids.group_by(by).agg(aggs) if by else grids.select(aggs)
    return frame.with_columns(_share(pl.col("surveyed"), pl.col("registrations")).alias("coverage"))


def _combine(coverage: pl.DataFrame, stock: pl.DataFrame, by: list[str]) -> pl.DataFrame:
    joined = coverage.join(stock, on=by, how="full", coalesce=True)
    counts = [c for c in [*COVERAGE, "unswept_grids", *STOCK] if c not in ("coverage", "clearance")]
    present = [c for c in counts if c in joined.columns]
    return joined.with_columns(pl.col(present).fill_null(0)).sort(by)


def _work(events: pl.DataFrame, premises: pl.DataFrame) -> pl.DataFrame:
    """day, town, kind: the store's dated work plus each premise's finding (kind 'found')."""
    found = premises.filter(pl.col("found_on").is_not_null()).select(
        pl.col("found_on").alias("day"), "town", pl.lit("found").alias("kind")
    )
    work = events.select("day", "town", pl.col("kind").replace_strict(_KINDS, return_dtype=pl.String))
    return pl.concat([work, found])


def _flows(long: pl.DataFrame, campaign: Campaign, as_of: dt.date, period: str) -> pl.DataFrame:
    """Counts of each kind of work per phase (in phase order) or per ISO week of the campaign."""
    rows: list[tuple[str, dt.date | None, dt.date | None]]
    if period == "phase":
        rows = [(BEFORE, None, campaign.start - dt.timedelta(days=1))]
        rows += [(p.name, p.start, p.end) for p in campaign.phases]
        rows.append((AFTER, campaign.end + dt.timedelta(days=1), None))
        phases = pl.DataFrame(
            [(p.start, p.end, p.name) for p in campaign.phases],
            schema={"p_start": pl.Date, "p_end": pl.Date, "phase": pl.String},
            orient="row",
        )
        long = (
            long.sort("day")
            .join_asof(phases, left_on="day", right_on="p_start", strategy="backward")
            .with_columns(
                pl.when(pl.col("day") <= pl.col("p_end"))
                .then(pl.col("phase"))
                .when(pl.col("day") < campaign.start)
                .then(pl.lit(BEFORE))
                .when(pl.col("day") > campaign.end)
                .then(pl.lit(AFTER))
                .alias("period")
            )
        )
    else:
        last = min(as_of, campaign.end)
        monday = campaign.start - dt.timedelta(days=campaign.start.weekday())
        rows = []
        while monday <= last:  # a campaign has about fifteen weeks
            iso = monday.isocalendar()
            rows.append((f"{iso.year}-W{iso.week:02d}", monday, monday + dt.timedelta(days=6)))
            monday += dt.timedelta(days=7)
        week = pl.col("day").dt.week().cast(pl.String).str.zfill(2)
        long = long.with_columns(pl.format("{}-W{}", pl.col("day").dt.iso_year(), week).alias("period"))
    frame = pl.DataFrame(rows, schema={"period": pl.String, "start": pl.Date, "end": pl.Date}, orient="row")
    counts = long.group_by("period", "kind").len().pivot("kind", index="period", values="len")
    out = frame.join(counts, on="period", how="left", maintain_order="left")
    for col in FLOW:
        out = out.with_columns(
            (pl.col(col) if col in out.columns else pl.lit(0)).fill_null(0).cast(pl.Int64).alias(col)
        )
    if period == "phase":  # the buckets outside the campaign only when something happened there
        busy = pl.sum_horizontal(FLOW) > 0
        out = out.filter(~pl.col("period").is_in([BEFORE, AFTER]) | busy)
    return out.select("period", "start", "end", *FLOW)


def campaign_progress(
    con: Connection,
    as_of: dt.date | None = None,
    campaign_file: Path | None = None,
    town: str | None = None,
) -> Progress:
    """Progress of the campaign as of a date (default today), of the whole district or of one town.

    The campaign's year comes from the data (the newest 排查日期), else from the date."""
    day = as_of or dt.date.today()
    campaign = load_campaign(campaign_year(con) or day.year, campaign_file)
    premises, grid_rows, events = found_premises(con, day), grid_coverage(con, day), activity(con, day)
    if town is not None:
        premises, grid_rows, events = (
            f.filter(pl.col("town") == town) for f in (premises, grid_rows, events)
        )
    place = ["town", "grid"]
    grids = _combine(_coverage(grid_rows, place), _stock(premises, place), place)
    towns = _combine(_coverage(grid_rows, ["town"]), _stock(premises, ["town"]), ["town"])
    total = pl.concat([_coverage(grid_rows, []), _stock(premises, [])], how="horizontal")
    unswept = grid_rows.filter((pl.col("registrations") > 0) & (pl.col("survey_records") == 0))
    work = _work(events, premises)
    return Progress(
        campaign=campaign,
        as_of=day,
        premises=premises,
        grids=grids,
        towns=towns,
        total=total.row(0, named=True),
        by_phase=_flows(work, campaign, day, "phase"),
        by_week=_flows(work, campaign, day, "week"),
        unswept=unswept["grid"].to_list(),
        work=work,
    )


def week_by_town(progress: Progress, start: dt.date, end: dt.date) -> pl.DataFrame:
    """Per town and a 合计 row: the work of [start, end] (FLOW columns) beside the stock and coverage."""
    week = progress.work.filter(pl.col("day").is_between(start, end))
    counts = week.group_by("town", "kind").len().pivot("kind", index="town", values="len")
    towns = progress.towns.select("town").join(counts, on="town", how="full", coalesce=True)
    towns = towns.with_columns(
        (pl.col(c) if c in towns.columns else pl.lit(0)).fill_null(0).cast(pl.Int64).alias(c) for c in FLOW
    ).select("town", *FLOW)
    stock = ["found", "cleared", "open", "clearance", "coverage"]
    joined = towns.join(
        progress.towns.select("town", *[pl.col(c).alias(f"total_{c}") for c in stock]), on="town", how="left"
    ).sort("town")
    total = {"town": "合计", **{c: int(joined[c].sum()) for c in FLOW}}
    total.update({f"total_{c}": progress.total.get(c) for c in stock})
    return pl.concat([joined, pl.DataFrame([total], schema=joined.schema)])


def percent(value: object) -> str:
    """0.4567 → 45.7%; empty when there is nothing to divide."""
    return "—" if value is None else f"{float(value) * 100:.1f}%"  # type: ignore[arg-type]
