"""The case file as one self-contained HTML page: every value escaped, images inlined as data: URIs.

A Content-Security-Policy forbids scripts and every outside fetch, so the page opens the same offline,
from a USB stick or an e-mail, and a hostile string in the data can never run.
"""

from __future__ import annotations

import datetime as dt
from html import escape
from typing import TYPE_CHECKING

import polars as pl

if TYPE_CHECKING:
    from fundrisk.publish.dossier import Dossier

NUMERALS = "一二三四五六七八九十"
CSP = "default-src 'none'; img-src data:; style-src 'unsafe-inline'"
STYLE = (
    "body{font-family:'Noto Sans CJK SC','Source Han Sans SC','Microsoft YaHei','PingFang SC',sans-serif;"
    "max-width:1100px;margin:2em auto;color:#222;line-height:1.5}"
    "h1{margin-bottom:0}h2{border-bottom:2px solid #c0392b;padding-bottom:4px;margin-top:1.6em}"
    "table{border-collapse:collapse;margin:.5em 0;width:100%}"
    "td,th{border:1px solid #ccc;padding:4px 8px;font-size:13px;vertical-align:top;text-align:left}"
    "th{background:#f4f4f4;white-space:nowrap}.fields th{width:11em}.note{color:#666}"
    ".hash{font-family:monospace;word-break:break-all}.tier{font-weight:bold;color:#c0392b}"
    ".gallery{display:flex;flex-wrap:wrap;gap:12px}figure{margin:0;border:1px solid #ddd;padding:6px}"
    ".wide{overflow-x:auto}figure{flex:0 0 auto;max-width:340px}"
    "figure img{max-width:320px;max-height:240px;display:block}figcaption{font-size:12px;color:#555}"
    ".masked{background:#eef6ee;padding:4px 8px}.unmasked{background:#fdecea;padding:4px 8px}"
    "@media print{body{margin:0}h2{page-break-after:avoid}table{page-break-inside:auto}}"
)


def numeral(n: int) -> str:
    """1 → 一, 10 → 十, 13 → 十三 (section numbers up to 19)."""
    return NUMERALS[n - 1] if n <= 10 else "十" + NUMERALS[n - 11]


def cell(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        return f"{value:,.2f}".rstrip("0").rstrip(".")
    if isinstance(value, dt.datetime):
        return value.isoformat(sep=" ", timespec="seconds")
    return str(value)


def table(frame: pl.DataFrame, hash_columns: tuple[str, ...] = ("SHA-256",)) -> str:
    if frame.height == 0:
        return "<p class='note'>（无记录）</p>"
    head = "".join(f"<th>{escape(c)}</th>" for c in frame.columns)
    marks = [" class='hash'" if c in hash_columns else "" for c in frame.columns]
    rows = "".join(
        "<tr>" + "".join(f"<td{m}>{escape(cell(v))}</td>" for m, v in zip(marks, row, strict=True)) + "</tr>"
        for row in frame.iter_rows()
    )
    return f"<div class='wide'><table><tr>{head}</tr>{rows}</table></div>"


def fields(pairs: list[tuple[str, object]]) -> str:
    if not pairs:
        return "<p class='note'>（无记录）</p>"
    rows = "".join(f"<tr><th>{escape(k)}</th><td>{escape(cell(v))}</td></tr>" for k, v in pairs)
    return f"<table class='fields'>{rows}</table>"


def gallery(images: list[tuple[str, str, str, str]]) -> str:
    if not images:
        return ""
    figures = []
    for name, digest, uri, problem in images:
        shown = (
            f"<img src='{escape(uri)}' alt='{escape(name)}'>"
            if uri
            else f"<p class='note'>{escape(problem)}</p>"
        )
        caption = f"{escape(name)}<br><span class='hash'>SHA-256 {escape(digest)}</span>"
        figures.append(f"<figure>{shown}<figcaption>{caption}</figcaption></figure>")
    return f"<h3>图片</h3><div class='gallery'>{''.join(figures)}</div>"


def render_html(dossier: Dossier) -> str:
    privacy = (
        "<p class='unmasked'>本档案未脱敏，含完整证件号码、电话和账号，已记入动态管理台账；请按涉密资料管理。</p>"
        if dossier.unmasked
        else "<p class='masked'>个人信息已脱敏（证件号码、电话、账号、举报人姓名）。</p>"
    )
    parts = [
        "<h1>风险机构档案</h1>",
        f"<p class='note'>{escape(dossier.name)}（{escape(dossier.subject_id)}），"
        f"生成时间 {dossier.generated_at:%Y-%m-%d %H:%M}</p>",
        privacy,
        "<h2 id='summary'>概况</h2>",
        fields(list(dossier.summary)),
    ]
    for n, (section, frame) in enumerate(dossier.sections, start=1):
        parts.append(f"<h2 id='{escape(section.key)}'>{numeral(n)}、{escape(section.title)}</h2>")
        if section.fields and frame.height:
            parts.extend(fields(list(row.items())) for row in frame.iter_rows(named=True))
        else:
            parts.append(table(frame))
        if section.key == "evidence":
            parts.append(gallery(dossier.images))
    body = "\n".join(parts)
    title = escape(f"风险机构档案 {dossier.name}")
    return (
        "<!DOCTYPE html><html lang='zh-CN'><head><meta charset='utf-8'>"
        f"<meta http-equiv='Content-Security-Policy' content=\"{CSP}\">"
        f"<title>{title}</title><style>{STYLE}</style></head><body>{body}</body></html>"
    )
