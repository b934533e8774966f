"""The `fundrisk` command an analyst runs. Messages are Simplified Chinese.

Exit status: 0 success, 2 bad input or usage (one line saying what to fix), 1 anything else.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.markup import escape

import fundrisk.cli_dossier  # noqa: F401 — registers `fundrisk dossier` on the app
from fundrisk import cli_campaign  # noqa: F401 — registers `campaign` and `brief` (issue 13)
from fundrisk.cli_export import export_app
from fundrisk.cli_review import print_quarantine_notes, review_app
from fundrisk.cli_support import (
    DbOption,
    JsonOption,
    app,
    err,
    existing_folder_of,
    guarded,
    out,
    parent_of_folder_exists,
    print_json,
    resolve_db,
    say_error,
    table,
)
from fundrisk.errors import BadInput
from fundrisk.prefect_lifecycle import prepare_prefect
from fundrisk.settings import get_settings
from fundrisk.sources.spec import kinds_help

app.add_typer(export_app, name="export")
app.add_typer(review_app, name="review")


def print_ingest_table(
    reports: Sequence[dict[str, Any]], notes: dict[tuple[str, str], str] | None = None
) -> None:
    grid = table("导入结果", "类型", "文件", "读取", "入库", "更新", "隔离", "说明")
    for r in reports:
        if "error" in r:
            grid.add_row(r["kind"], r["source_file"], "-", "-", "-", "-", "无法导入")
        elif r["skipped"]:
            grid.add_row(r["kind"], r["source_file"], "-", "-", "-", "-", "已导入过，跳过")
        else:
            row = (r["rows_read"], r["rows_loaded"], r["rows_updated"], r["rows_quarantined"])
            note = (notes or {}).get((r["sha256"], r["kind"]), "")  # 隔离 3 行：…（reasons and rows）
            grid.add_row(r["kind"], r["source_file"], *map(str, row), note)
    out.print(grid)


def fail_on_rejected(reports: Sequence[dict[str, Any]]) -> None:
    rejected = [r for r in reports if "error" in r]
    for r in rejected[1:]:
        say_error(r["error"])
    if rejected:
        raise BadInput(rejected[0]["error"])


@app.command("ingest")
@guarded
def ingest_command(
    kind: Annotated[
        str,
        typer.Argument(help=f"数据类型，英文名或中文名均可：{kinds_help()}"),
    ],
    paths: Annotated[list[Path], typer.Argument(help="一个或多个 CSV / XLSX / Parquet 文件")],
    db: DbOption = None,
    as_json: JsonOption = False,
) -> None:
    """导入一个或多个文件；不合格的行进入隔离表（quarantine）并注明原因。"""
    from rich.progress import track

    from fundrisk.ingest import ingest_file
    from fundrisk.review.notes import file_notes
    from fundrisk.sources.spec import get_kind
    from fundrisk.warehouse.db import session

    kind = get_kind(kind).kind  # 工商登记 → registrations: files are recorded under the canonical kind
    reports: list[dict[str, Any]] = []
    with session(resolve_db(db)) as con:
        for path in track(paths, description="导入中…", console=err, transient=True):
            try:
                reports.append(ingest_file(con, kind, path).as_dict())
            except BadInput as exc:
                reports.append({"kind": kind, "source_file": path.name, "error": str(exc)})
        notes = file_notes(con, reports)
    if as_json:
        print_json({"files": [{**r, "note": notes.get((r.get("sha256"), r["kind"]), "")} for r in reports]})
    else:
        print_ingest_table(reports, notes)
    fail_on_rejected(reports)


def run_pipeline(
    inbox: Path, db: Path, out_dir: Path | None = None, workers: int | None = None
) -> dict[str, Any]:
    """Run the Prefect flow in-process against the local ephemeral API (Dask only when asked for)."""
    from fundrisk import prefect_lifecycle
    from fundrisk.inbox import scan
    from fundrisk.warehouse.db import run_lock, session

    for warning in scan(inbox).warnings:  # fails fast, before the flow starts, on a missing inbox
        print(f"警告：{warning}", file=sys.stderr, flush=True)
    # Issue 16: a second run, a busy or damaged database fail here, before Prefect is imported (one line,
    # no Prefect tracebacks); SIGTERM exits cleanly and no ephemeral Prefect server outlives the process
    # (the console command may have started the local API already: the exit hooks stop it).
    with run_lock(db):
        with session(db):
            pass
        prefect_lifecycle.install()
        prefect_lifecycle.sweep_orphans()
        prepare_prefect()
        api = prefect_lifecycle.start_local_api()  # (or the one already booting) while the flow imports
        from flows.pipeline import pipeline

        with err.status("正在运行流水线（首次启动 Prefect 本地服务可能需要一分钟）…"):
            prefect_lifecycle.wait_until_ready(
                api, float(os.environ["PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS"])
            )
            summary: dict[str, Any] = pipeline(
                inbox=str(inbox.resolve()),
                db=str(db.resolve()),
                out_dir=str(out_dir.resolve()) if out_dir else None,
                workers=workers,
            )
    return summary


def print_run_summary(summary: dict[str, Any], db: Path) -> None:
    grid = table(f"运行 {summary['run_id']}", "类型", "读取", "入库", "隔离", "跳过文件")
    for kind, c in sorted(summary["per_kind"].items()):
        grid.add_row(kind, str(c["read"]), str(c["loaded"]), str(c["quarantined"]), str(c["skipped"]))
    out.print(grid)
    scoring = summary.get("scoring")
    if scoring:
        from scoring.config import tier_scale

        tiers = "，".join(f"{tier} {count}" for tier, count in scoring["tiers"].items())
        new = f"新增{tier_scale().floor_of('new_in_summary')} {len(scoring['new_high_risk'])} 家"
        out.print(f"风险等级：{tiers}（{new}）", markup=False)
    resolution = summary.get("resolution")
    if resolution:
        out.print(
            f"主体关联：{resolution['links']} 条记录已关联，{resolution['review']} 条待人工复核，"
            f"无照经营线索 {resolution['leads']} 个，关联风险主体 {resolution['relations']} 条",
            markup=False,
        )
    if (evidence := summary.get("evidence")) and evidence.get("files"):
        out.print(
            f"证据材料：{evidence['files']} 个文件，本次新登记 {evidence['registered']} 个", markup=False
        )
    out.print(f"数据库：{db}", markup=False)
    if summary["rows_quarantined"]:
        print_quarantine_notes(db, summary["run_id"])  # per file: 隔离 N 行：reasons and rows


@app.command("run")
@guarded
def run_command(
    inbox: Annotated[
        Path | None,
        typer.Option("--inbox", help="收件箱目录，每类数据一个子文件夹（如 registrations/、alerts/）"),
    ] = None,
    out_dir: Annotated[
        Path | None,
        typer.Option(
            "--out",
            help="导出清单的目录（默认 data/exports；可以是新文件夹，但其上级文件夹须已存在）",
            callback=parent_of_folder_exists,
        ),
    ] = None,
    db: DbOption = None,
    as_json: JsonOption = False,
    workers: Annotated[
        int | None,
        typer.Option(
            "--workers",
            min=1,
            help="在本机启动 N 个 Dask 工作进程并行执行敏感词筛查和线索舆情分析"
            "（已设置 FUNDRISK_DASK_ADDRESS 时改用该集群）",
        ),
    ] = None,
) -> None:
    """运行完整流程：导入收件箱中的新文件、增强、评分、更新台账并导出清单。"""
    target = resolve_db(db)
    settings = get_settings()
    summary = run_pipeline(inbox or settings.inbox, target, out_dir or settings.exports_dir, workers)
    if as_json:
        print_json({**summary, "db": str(target)})
    else:
        print_run_summary(summary, target)
    for bad in summary["rejected_files"]:
        say_error(bad["error"])
    if summary["rejected_files"]:
        raise typer.Exit(2)


@app.command("screen")
@guarded
def screen_command(
    texts: Annotated[list[str], typer.Argument(help="要筛查的名称、门头牌匾或广告文字，可输入多条")],
    as_json: Annotated[bool, typer.Option("--json", help="每条文字输出一个 JSON 对象（每行一个）")] = False,
    kind: Annotated[
        str,
        typer.Option(
            "--kind",
            help="输入类型：名称（名称、门头牌匾）| 文本（广告、线索、新闻）| 自动（按长度和标点判断）",
        ),
    ] = "自动",
) -> None:
    """敏感字样筛查：给出命中词、0–100 分和处置建议（门头牌匾审批前、名称与广告核查）。"""
    import json

    from enrichers.keywords import screen_texts

    texts = [t for t in texts if t.strip()]
    if not texts:
        raise BadInput("请至少提供一条非空的文字")
    if kind not in ("名称", "文本", "自动"):
        raise BadInput(f"--kind 只能是 名称、文本 或 自动，收到「{kind}」")
    results = screen_texts(texts, kind=kind)
    if as_json:
        for result in results:
            print(json.dumps(result.to_json(), ensure_ascii=False))
        return
    grid = table("敏感字样筛查", "文字", "类型", "评分", "命中词（类别）", "结论")
    for r in results:
        hits = "；".join(f"{h[0]}（{h[1]}）" for h in r.hits) or "—"
        grid.add_row(r.text, r.kind, str(r.score), hits, r.verdict)
    out.print(grid)


@app.command("explain")
@guarded
def explain_command(
    uscc: Annotated[str, typer.Argument(help="统一社会信用代码，或无照经营线索编号（WZ-…）")],
    as_json: Annotated[bool, typer.Option("--json", help="输出 JSON 对象")] = False,
    db: DbOption = None,
) -> None:
    """说明一个主体的风险评分、等级及原因，并列出关联的预警和线索。"""
    import json

    from fundrisk.explain import explain
    from fundrisk.warehouse.db import session

    with session(resolve_db(db), read_only=True) as con:
        result = explain(con, uscc)
    if as_json:
        print(json.dumps(result, ensure_ascii=False))
        return
    out.print(f"[bold]{escape(result['name'])}[/bold]（{escape(result['uscc'])}）")
    if result["score"] is not None:
        out.print(f"风险评分 {result['score']:.0f}，{result['tier']}")
        out.print(f"评分批次：{result['run_id']}（{result['scored_at'] or '时间未知'}）", markup=False)
    for reason in result["reasons"] or ["暂无风险因素"]:
        out.print(f"• {reason}", markup=False, soft_wrap=True)
    out.print(f"关联预警：{'、'.join(result['alerts']) or '无'}", markup=False, soft_wrap=True)
    out.print(f"关联线索：{'、'.join(result['clues']) or '无'}", markup=False)
    out.print(f"处置状态：{result['status']}", markup=False)
    checks = [f"{i['inspected_on']} {i['conclusion']}" for i in result["inspections"]]
    out.print(f"现场核查（最近在前）：{'；'.join(checks) or '无'}", markup=False, soft_wrap=True)
    steps = [
        f"{a['action_on']} {a['action']}" + (f"（整改期限 {a['deadline']}）" if a["deadline"] else "")
        for a in result["actions"]
    ]
    out.print(f"处置措施：{'；'.join(steps) or '无'}", markup=False, soft_wrap=True)


@app.command("report")
@guarded
def report_command(
    out_path: Annotated[
        Path,
        typer.Option("--out", help="报告文件路径（.html，所在文件夹须已存在）", callback=existing_folder_of),
    ],
    db: DbOption = None,
) -> None:
    """生成工作报告（HTML，含图表）：风险分布、各镇街情况、历次变化、处置进展、重点对象、逾期事项。"""
    from fundrisk.publish.report import write_report
    from fundrisk.warehouse.db import session

    with session(resolve_db(db), read_only=True) as con:
        path = write_report(con, out_path)
    out.print(f"已生成报告：{path}", markup=False)


@app.command("serve")
@guarded
def serve_command(
    inbox: Annotated[Path | None, typer.Option("--inbox", help="收件箱目录")] = None,
    out_dir: Annotated[
        Path | None,
        typer.Option(
            "--out",
            help="导出文件目录（默认 data/exports；上级文件夹须已存在）",
            callback=parent_of_folder_exists,
        ),
    ] = None,
    unit: Annotated[str | None, typer.Option("--unit", help="推送单位名称")] = None,
    db: DbOption = None,
) -> None:
    """运行定时任务：每日流水线（6:30）与每周省推送（周一 8:00，北京时间），同一任务同时只运行一个。

    未设置 PREFECT_API_URL 时自动启动 Prefect 本地服务（含网页界面）；按 Ctrl-C 停止。
    """
    prepare_prefect()
    from flows.deployments import ServeConfig, build_deployments
    from flows.serving import exit_now, serve_until_interrupted

    settings = get_settings()
    config = ServeConfig(
        inbox=(inbox or settings.inbox).resolve(),
        db=resolve_db(db).resolve(),
        out_dir=(out_dir or settings.exports_dir).resolve(),
        unit=unit or settings.push_unit,
    )
    serve_until_interrupted(build_deployments(config))
    exit_now(0)  # stopped cleanly: skip the slow interpreter shutdown so Ctrl-C ends serve within seconds


@app.command("generate")
@guarded
def generate_command(
    out_dir: Annotated[
        Path,
        typer.Option(
            "--out",
            help="输出目录（将生成各类数据子文件夹与真值 truth/；可以是新文件夹，但其上级文件夹须已存在）",
            callback=parent_of_folder_exists,
        ),
    ],
    entities: Annotated[int, typer.Option("--entities", min=10, help="登记主体数量")] = 3000,
    seed: Annotated[int, typer.Option("--seed", help="随机种子；相同种子生成相同文件")] = 7,
) -> None:
    """生成一个逼真的文昌湖区模拟数据集（含真值标签），任意规模。"""
    from fundrisk.synth import generate

    with err.status(f"正在生成 {entities} 个主体的模拟数据…"):
        result = generate(out_dir, entities=entities, seed=seed)
    grid = table(f"已生成：{out_dir}", "类型", "行数", "文件")
    for kind, count in result.rows.items():
        grid.add_row(kind, str(count), str(result.paths.get(kind, "")))
    out.print(grid)


@app.command("demo")
@guarded
def demo_command(db: DbOption = None) -> None:
    """生成模拟的文昌湖区数据，运行完整流程，并显示输出位置。"""
    from fundrisk.exports import label
    from fundrisk.synth import generate
    from fundrisk.synth.events import GENERATED_AS_OF

    # The demo district's events end on a fixed day: grade it as of that day, not the machine's date,
    # so that the demo shows the same lists whenever it is run.
    os.environ.setdefault("FUNDRISK_AS_OF", GENERATED_AS_OF)
    settings = get_settings()
    target = resolve_db(db)
    with err.status("正在生成文昌湖区模拟数据…"):
        generated = generate(settings.demo_dir, entities=3000, seed=7)
    snapshot = generated.paths.get("registry_snapshot")
    if snapshot is not None and settings.registry_provider == "snapshot":
        os.environ.setdefault("FUNDRISK_REGISTRY_SNAPSHOT", str(snapshot))
    summary = run_pipeline(settings.demo_dir, target, settings.exports_dir)
    print_run_summary(summary, target)
    push = demo_push(target, settings.exports_dir / summary["run_id"])
    out.print(
        f"模拟数据（收件箱）：{settings.demo_dir}；真值标签：{settings.demo_dir / 'truth'}", markup=False
    )
    out.print("四份导出清单：", markup=False)
    for what, path in summary.get("exports", {}).items():
        out.print(f"  {label(what)}：{path}", markup=False)  # fundrisk/exports.toml
    out.print(f"  {label('province-push')}：{push}", markup=False)
    report = demo_report(target, settings.exports_dir / summary["run_id"] / "工作报告.html")
    out.print(f"工作报告：{report}", markup=False)
    out.print(
        "查看 Prefect 界面：运行 .venv/bin/prefect server start 后打开 http://127.0.0.1:4200 ；"
        "定时运行：.venv/bin/fundrisk serve",
        markup=False,
    )


def demo_report(db: Path, path: Path) -> Path:
    from fundrisk.publish.report import write_report
    from fundrisk.warehouse.db import session

    with session(db, read_only=True) as con:
        return write_report(con, path)


def demo_push(db: Path, folder: Path) -> str:
    """The demo's provincial push; a second demo run pushes nothing new (that is the point)."""
    from fundrisk.exports import EXPORTS
    from fundrisk.publish import export
    from fundrisk.warehouse.db import session

    folder.mkdir(parents=True, exist_ok=True)
    with session(db) as con:
        report = export(con, "province-push", EXPORTS["province-push"].scheduled_path(folder))
    note = "" if report.rows else "（本次无新增推送：均已推送过或已在金安工程清单内）"
    return f"{report.path}，{report.rows} 家{note}"


if __name__ == "__main__":
    app()
