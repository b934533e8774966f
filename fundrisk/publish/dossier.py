"""`fundrisk dossier CODE --out FILE.html|.xlsx`: the case file (风险机构档案) of one subject.

Everything the warehouse knows about one registration or unregistered-operator lead, section by section
(SECTIONS): who it is, who answers for it, registry facts, the alerts, clues and grid-sweep records linked
to it, inspections, disposals with their deadlines, its tier over the runs (with run dates), the ledger,
and its evidence files by SHA-256 (images shown in the HTML). Personal numbers and reporters' names are
masked unless `unmask`; an unmasked case file is recorded in ledger_events (who, when, which file).
The .xlsx has one sheet per section, written by the export writers (typed cells, no formulas).
"""

from __future__ import annotations

import datetime as dt
import getpass
import socket
from dataclasses import dataclass, field
from pathlib import Path

import polars as pl

from fundrisk.atomic import atomic_path
from fundrisk.errors import BadInput
from fundrisk.explain import explain
from fundrisk.publish.dossier_html import render_html
from fundrisk.publish.dossier_sections import SECTIONS, Section, evidence_images, shape
from fundrisk.publish.safety import mask_embedded, protect, safe_sheet_name
from fundrisk.publish.writers import Sheet, write_xlsx
from fundrisk.warehouse.case_store import case_states
from fundrisk.warehouse.db import Connection
from fundrisk.warehouse.dossier_store import dossier_frames, subject_kind
from fundrisk.warehouse.publish_store import record_events

FORMATS = {".html": "html", ".htm": "html", ".xlsx": "xlsx"}
UNMASK_EVENT = "导出未脱敏"  # the event an unmasked export records (publish/ledger.py record_unmasked_export)


@dataclass
class Dossier:
    """One subject's case file, sections already masked and headed in Chinese."""

    subject_kind: str
    subject_id: str
    name: str
    summary: list[tuple[str, str]]
    sections: list[tuple[Section, pl.DataFrame]]
    images: list[tuple[str, str, str, str]] = field(default_factory=list)  # name, sha256, data: URI, problem
    unmasked: bool = False
    generated_at: dt.datetime = field(default_factory=dt.datetime.now)

    def records(self, key: str) -> pl.DataFrame:
        return next(frame for section, frame in self.sections if section.key == key)


@dataclass(frozen=True)
class DossierReport:
    path: Path
    subject_kind: str
    subject_id: str
    name: str
    evidence: int
    images: int
    records: dict[str, int]


def dossier_format(path: Path) -> str:
    suffix = Path(path).suffix.lower()
    if suffix not in FORMATS:
        raise BadInput(f"风险机构档案须保存为 .html 或 .xlsx 文件，当前为「{suffix or '无后缀'}」")
    return FORMATS[suffix]


def find_subject(con: Connection, code: str) -> tuple[str, str]:
    """('registration', uscc) or ('lead', WZ-id); an unknown code is the user's mistake (exit 2)."""
    text = (code or "").strip()
    found = subject_kind(con, text) if text else None
    if found is None:
        raise BadInput(
            f"数据库中没有代码为「{text}」的主体，请核对统一社会信用代码（18 位）或无照经营线索编号（WZ-…）"
        )
    return found


def build_dossier(con: Connection, code: str, unmask: bool = False) -> Dossier:
    """Gather, mask and name every section of one subject's case file."""
    kind, subject_id = find_subject(con, code)
    frames = dossier_frames(con, kind, subject_id)
    explained = explain(con, subject_id)
    summary = _summary(con, kind, subject_id, explained, unmask)
    sections = [
        (section, shape(section, frames.get(section.key, pl.DataFrame()), unmask))
        for section in SECTIONS
        if section.kinds is None or kind in section.kinds
    ]
    return Dossier(
        subject_kind=kind,
        subject_id=subject_id,
        name=str(explained["name"] or subject_id),
        summary=summary,
        sections=sections,
        images=evidence_images(frames["evidence"]),
        unmasked=unmask,
    )


def write_dossier(
    con: Connection,
    code: str,
    path: Path,
    unmask: bool = False,
    operator: str | None = None,
) -> DossierReport:
    """Write the case file (.html or .xlsx); an unmasked one is recorded in the ledger after it is written."""
    target = Path(path)
    kind = dossier_format(target)
    dossier = build_dossier(con, code, unmask)
    if kind == "html":
        with atomic_path(target) as temp:
            temp.write_text(render_html(dossier), encoding="utf-8")
    else:
        write_xlsx(workbook(dossier), target)
    if unmask:
        record_unmasked_dossier(con, dossier, target.name, operator)
    return DossierReport(
        path=target,
        subject_kind=dossier.subject_kind,
        subject_id=dossier.subject_id,
        name=dossier.name,
        evidence=dossier.records("evidence").height,
        images=sum(1 for image in dossier.images if image[2]),
        records={s.key: f.height for s, f in dossier.sections},
    )


def workbook(dossier: Dossier) -> list[Sheet]:
    """概况 then one sheet per section; every text cell neutralised against formulas."""
    taken: set[str] = set()
    summary = pl.DataFrame(dossier.summary, schema=["项目", "内容"], orient="row")
    sheets = [Sheet.from_frame(safe_sheet_name("概况", taken), protect(summary, unmask=True))]
    for section, frame in dossier.sections:
        body = frame if frame.height else pl.DataFrame({"说明": ["（无记录）"]})
        sheets.append(Sheet.from_frame(safe_sheet_name(section.sheet, taken), protect(body, unmask=True)))
    return sheets


def record_unmasked_dossier(
    con: Connection, dossier: Dossier, file: str, operator: str | None = None
) -> None:
    """One ledger event on the subject: who wrote which unmasked case file, and when (recorded_at)."""
    who = operator or f"{getpass.getuser()}@{socket.gethostname()}"
    event = {
        "subject_kind": dossier.subject_kind,
        "subject_id": dossier.subject_id,
        "event": UNMASK_EVENT,
        "event_on": dt.date.today(),
        "unit": None,
        "deadline": None,
        "source": "unmask",
        "detail": f"风险机构档案（未脱敏）：{file}；操作人：{who}",
        "run_id": None,
    }
    record_events(con, pl.DataFrame([event], schema_overrides={"unit": pl.String, "deadline": pl.Date}))


def _summary(
    con: Connection, kind: str, subject_id: str, explained: dict, unmask: bool
) -> list[tuple[str, str]]:
    """The 概况 block: identity, grading, case state and reasons (numbers inside reasons masked)."""
    states = case_states(con, subject_id=subject_id).filter(pl.col("subject_kind") == kind)
    state = states.row(0, named=True) if states.height else {}
    score = explained["score"]
    reasons = pl.DataFrame({"r": explained["reasons"]}, schema={"r": pl.String})
    if not unmask:
        reasons = reasons.with_columns(mask_embedded(pl.col("r")))
    rows = [
        ("主体名称", explained["name"] or ""),
        ("统一社会信用代码" if kind == "registration" else "无照经营线索编号", subject_id),
        ("主体类型", "登记主体" if kind == "registration" else "无照经营线索"),
        ("风险等级", explained["tier"] or "尚未评分"),
        ("风险评分", "" if score is None else f"{score:.1f}"),
        ("评分时间", (explained["scored_at"] or "").replace("T", " ")),
        ("处置状态", explained["status"]),
        ("整改期限", _text(state.get("deadline"))),
        (
            "最近核查",
            " ".join(
                x for x in (_text(state.get("last_inspected_on")), state.get("last_conclusion") or "") if x
            ),
        ),
        ("关联预警数", str(len(explained["alerts"]))),
        ("关联线索数", str(len(explained["clues"]))),
    ]
    rows += [(f"风险因素 {i}", r) for i, r in enumerate(reasons["r"].to_list(), start=1)]
    return [(k, str(v)) for k, v in rows]


def _text(value: object) -> str:
    return value.isoformat() if isinstance(value, dt.date) else ("" if value is None else str(value))
