"""Run summaries: plain dicts of counts for the CLI, the `runs` table and Prefect artifacts.

The Prefect artifact is what an official sees in the UI: it is dated, and names kinds in Chinese.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from typing import Any

from fundrisk.sources.spec import KINDS
from scoring.config import tier_scale


def kind_label(kind: str) -> str:
    """工商登记 for registrations; an unknown kind stays as it is."""
    spec = KINDS.get(kind)
    return spec.label if spec is not None else kind


def summarise_ingest(run_id: str, reports: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    """Totals over per-file ingest reports (counts only; no personal data)."""
    done = [r for r in reports if "error" not in r]
    per_kind: dict[str, dict[str, int]] = {}
    for r in done:
        bucket = per_kind.setdefault(str(r["kind"]), {"read": 0, "loaded": 0, "quarantined": 0, "skipped": 0})
        bucket["read"] += int(r["rows_read"])
        bucket["loaded"] += int(r["rows_loaded"])
        bucket["quarantined"] += int(r["rows_quarantined"])
        bucket["skipped"] += int(bool(r["skipped"]))
    return {
        "run_id": run_id,
        "files": len(reports),
        "files_skipped": sum(1 for r in done if r["skipped"]),
        "rows_read": sum(int(r["rows_read"]) for r in done),
        "rows_loaded": sum(int(r["rows_loaded"]) for r in done),
        "rows_quarantined": sum(int(r["rows_quarantined"]) for r in done),
        "per_kind": per_kind,
        "input_hashes": [str(r["sha256"]) for r in done],
        "rejected_files": [
            {"file": r["source_file"], "kind": r["kind"], "error": r["error"]}
            for r in reports
            if "error" in r
        ],
    }


def run_summary_markdown(summary: Mapping[str, Any], when: dt.datetime | None = None) -> str:
    """The Prefect artifact an analyst sees in the UI after each run, titled by when it was written."""
    lines = [
        f"# 运行摘要 {when or dt.datetime.now():%Y-%m-%d %H:%M}",
        "",
        f"运行编号 {summary['run_id']}。",
        "",
        f"文件 {summary['files']} 个（跳过已导入 {summary['files_skipped']} 个），"
        f"读取 {summary['rows_read']} 行，入库 {summary['rows_loaded']} 行，隔离 {summary['rows_quarantined']} 行。",
        "",
        "| 数据类型 | 读取 | 入库 | 隔离 | 跳过文件 |",
        "|---|---:|---:|---:|---:|",
    ]
    for kind, c in sorted(summary["per_kind"].items()):
        lines.append(
            f"| {kind_label(kind)} | {c['read']} | {c['loaded']} | {c['quarantined']} | {c['skipped']} |"
        )
    keywords = summary.get("keywords")
    if keywords:
        lines.append(
            f"\n敏感词筛查：命中 {keywords['keyword_hits']} 处，需关注主体 {keywords['subjects_flagged']} 个"
            f"（词库版本 {keywords['lexicon_version']}）。"
        )
    resolution = summary.get("resolution")
    if resolution:
        lines.append(
            f"\n主体关联：关联 {resolution['links']} 条记录，待人工复核 {resolution['review']} 条，"
            f"未匹配登记主体 {resolution['unmatched']} 条。"
        )
    registry = summary.get("registry")
    if registry:
        lines.append(f"\n工商信息查询：{registry['summary']}")
    scoring = summary.get("scoring")
    if scoring:
        lines += ["", "| 风险等级 | 主体数 |", "|---|---:|"]
        lines += [f"| {tier} | {count} |" for tier, count in scoring["tiers"].items()]
        if scoring["new_high_risk"]:
            new = tier_scale().floor_of("new_in_summary")  # tiers.toml [lists]
            lines.append(f"\n新增{new}主体：{'、'.join(scoring['new_high_risk'][:20])}")
        lines.append(f"\n模型校准：{scoring['calibration'].get('note', '')}")
    for bad in summary["rejected_files"]:
        lines.append(f"\n- 无法导入：{kind_label(bad['kind'])}/{bad['file']} — {bad['error']}")
    return "\n".join(lines)
