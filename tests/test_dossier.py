"""Evidence files and the case file (风险机构档案): registered by hash, every linked record listed, masked."""

from __future__ import annotations

import hashlib
import re
import shutil
import struct
import zlib
from pathlib import Path

import duckdb
import openpyxl
import polars as pl
import pytest
from typer.testing import CliRunner

from fundrisk.cli import app
from fundrisk.errors import BadInput
from fundrisk.evidence import MAX_BYTES, register_inbox_evidence, subject_of
from fundrisk.publish.dossier import write_dossier
from fundrisk.synth.evidence import leaflet, storefront
from fundrisk.warehouse import connect
from fundrisk.warehouse.frames import read
from tests.conftest import scored_district

runner = CliRunner()


@pytest.fixture(scope="module")
def district(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """A scored demo district (seed 3) whose generated evidence folders are registered; (db, inbox)."""
    root = tmp_path_factory.mktemp("dossier")
    db = scored_district(root, entities=600, seed=3, run_id="R-dos")
    con = connect(db)
    register_inbox_evidence(con, root / "inbox", "R-dos")
    con.close()
    return db, root / "inbox"


def truth(inbox: Path) -> pl.DataFrame:
    return pl.read_csv(inbox / "truth" / "evidence.csv", infer_schema=False)


def planted_with_evidence(inbox: Path) -> str:
    """The registered subject with the most evidence files (ties: lowest code)."""
    files = truth(inbox).filter(pl.col("subject_kind") == "registration")
    counts = files.group_by("subject_id").len().sort(["len", "subject_id"], descending=[True, False])
    return str(counts["subject_id"][0])


@pytest.mark.slow
def test_generated_evidence_is_registered_once_with_its_truth_hash(district, tmp_path) -> None:
    db, inbox = district
    con = connect(db)
    try:
        stored = read(con, "SELECT subject_id, file_name, sha256, size_bytes, media_type FROM evidence_files")
        expected = truth(inbox).select("subject_id", "file_name", "sha256", "size_bytes", "media_type")
        key = ["subject_id", "file_name"]
        assert stored.sort(key).equals(expected.with_columns(pl.col("size_bytes").cast(pl.Int64)).sort(key))
        again = register_inbox_evidence(con, inbox, "R-dos")
        assert again["registered"] == 0 and again["hashed"] == 0 and again["files"] == expected.height
        # The same bytes under another name, in the Chinese folder named with code and name: still one row.
        code = planted_with_evidence(inbox)
        photo = inbox / "evidence" / code / "门脸照片.png"
        alias = inbox / "证据材料" / f"{code}（门店照片）"
        alias.mkdir(parents=True)
        shutil.copy(photo, alias / "copy.png")
        (alias / "说明.txt").write_text("现场拍摄", encoding="utf-8")
        added = register_inbox_evidence(con, inbox, "R-dos")
        assert added["hashed"] == 2 and added["registered"] == 1  # only the text file is new
        names = con.execute("SELECT file_name FROM evidence_files WHERE subject_id = ?", [code]).fetchall()
        assert ("说明.txt",) in names and ("copy.png",) not in names
    finally:
        con.close()


@pytest.mark.slow
def test_oversized_and_disguised_files_are_noted_not_refused(tmp_path) -> None:
    inbox = tmp_path / "inbox"
    folder = inbox / "evidence" / "WZ-clue-XS2026-000003 馨川投资"
    folder.mkdir(parents=True)
    big = folder / "现场录像.mp4"
    with big.open("wb") as handle:  # sparse: 51 MB on paper, nothing on disk
        handle.truncate(MAX_BYTES + 1024 * 1024)
    (folder / "海报.jpg").write_bytes(leaflet("假图片", ["内容是PDF"]))
    con = connect(":memory:")
    counts = register_inbox_evidence(con, inbox)
    rows = {
        r[0]: r[1:]
        for r in con.execute(
            "SELECT file_name, subject_id, media_type, note, sha256 FROM evidence_files"
        ).fetchall()
    }
    con.close()
    assert counts == {"subjects": 1, "files": 2, "hashed": 2, "registered": 2, "oversized": 1}
    subject, kind, note, digest = rows["现场录像.mp4"]
    assert subject == "WZ-clue-XS2026-000003" and kind == "video/mp4"
    assert "文件过大" in note and "50 MB" in note
    assert digest == hashlib.sha256(b"\0" * (MAX_BYTES + 1024 * 1024)).hexdigest()
    assert rows["海报.jpg"][1] == "application/pdf" and "扩展名与内容不符" in rows["海报.jpg"][2]
    assert subject_of("91370306ma0g9hf37m（某某公司）") == "91370306MA0G9HF37M"


def test_generator_files_are_valid_png_and_pdf() -> None:
    import numpy as np

    data = storefront(np.random.Generator(np.random.PCG64(3)))
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    width, height = struct.unpack(">II", data[16:24])
    length = struct.unpack(">I", data[33:37])[0]
    assert data[37:41] == b"IDAT"
    assert struct.unpack(">I", data[41 + length : 45 + length])[0] == zlib.crc32(data[37 : 41 + length])
    assert len(zlib.decompress(data[41 : 41 + length])) == height * (1 + 3 * width)
    pdf = leaflet("宣传单", ["年化收益12%"])
    offsets = [int(o) for o in re.findall(rb"(\d{10}) 00000 n", pdf)]
    assert [pdf[o:].split(b" ", 1)[0] for o in offsets] == [
        str(i).encode() for i in range(1, len(offsets) + 1)
    ]
    start = int(pdf.rsplit(b"startxref\n", 1)[1].split(b"\n")[0])
    assert pdf[start:].startswith(b"xref")


@pytest.mark.slow
def test_html_dossier_lists_every_linked_record_and_file(district, tmp_path) -> None:
    db, inbox = district
    code = planted_with_evidence(inbox)
    con = connect(db)
    try:
        con.execute(
            "UPDATE registrations SET business_scope = '<script>alert(1)</script>' WHERE uscc = ?", [code]
        )
        path = write_dossier(con, code.lower(), tmp_path / "档案.html").path
        links = con.execute(
            "SELECT source_kind, source_id FROM entity_links WHERE uscc = ?", [code]
        ).fetchall()
        person = con.execute(
            "SELECT legal_rep_id, phone FROM registrations WHERE uscc = ?", [code]
        ).fetchall()[0]
        files = con.execute(
            "SELECT sha256, file_name FROM evidence_files WHERE subject_id = ?", [code]
        ).fetchall()
    finally:
        con.close()
    html = path.read_text(encoding="utf-8")
    assert {kind for kind, _ in links} >= {"alert", "clue"}
    for _, source_id in links:
        assert source_id in html, source_id
    for digest, name in files:
        assert digest in html and name in html
    pngs = sum(1 for _, name in files if name.endswith(".png"))
    assert html.count("<img src='data:image/png;base64,") == pngs >= 1
    for heading in (
        "登记信息",
        "负责人及账户",
        "资金异动预警",
        "线索",
        "排查登记",
        "现场核查",
        "处置措施",
        "风险等级变化",
        "证据材料",
    ):
        assert heading in html
    assert "<script>" not in html and "&lt;script&gt;" in html
    id_number, phone = person
    assert id_number not in html and f"{id_number[:6]}********{id_number[-4:]}" in html
    assert phone not in html and f"{phone[:3]}****{phone[-4:]}" in html
    assert "R-dos" in html  # the tier history names the run and its date


@pytest.mark.slow
def test_unmask_is_recorded_in_the_ledger(district, tmp_path) -> None:
    db, inbox = district
    code = planted_with_evidence(inbox)
    out = tmp_path / "clear.html"
    result = runner.invoke(app, ["dossier", code, "--out", str(out), "--unmask", "--db", str(db)])
    assert result.exit_code == 0, result.output
    con = connect(db)
    try:
        id_number = con.execute("SELECT legal_rep_id FROM registrations WHERE uscc = ?", [code]).fetchall()[
            0
        ][0]
        events = con.execute(
            "SELECT event, source, detail, recorded_at FROM ledger_events WHERE subject_id = ? AND source = 'unmask'",
            [code],
        ).fetchall()
    finally:
        con.close()
    assert id_number in out.read_text(encoding="utf-8")
    assert len(events) == 1
    event, _, detail, recorded_at = events[0]
    assert (
        event == "导出未脱敏" and "clear.html" in detail and "操作人：" in detail and recorded_at is not None
    )
    masked = runner.invoke(app, ["dossier", code, "--out", str(tmp_path / "m.html"), "--db", str(db)])
    assert masked.exit_code == 0
    shown = (tmp_path / "m.html").read_text(encoding="utf-8")
    assert "导出未脱敏" in shown and id_number not in shown  # the ledger section shows the earlier unmasking


@pytest.mark.slow
def test_xlsx_dossier_one_sheet_per_section_formula_safe(district, tmp_path) -> None:
    db, inbox = district
    code = planted_with_evidence(inbox)
    con = connect(db)
    try:
        clue = con.execute(
            "SELECT source_id FROM entity_links WHERE uscc = ? AND source_kind = 'clue' LIMIT 1", [code]
        ).fetchall()[0][0]
        con.execute('UPDATE clues SET content = \'=HYPERLINK("http://x","点我")\' WHERE clue_id = ?', [clue])
        report = write_dossier(con, code, tmp_path / "档案.xlsx")
    finally:
        con.close()
    book = openpyxl.load_workbook(report.path)
    assert book.sheetnames[:4] == ["概况", "登记信息", "负责人及账户", "工商信息"]
    assert "证据材料" in book.sheetnames and "风险等级变化" in book.sheetnames
    clue_rows = list(book["线索"].iter_rows(values_only=True))
    header = clue_rows[0]
    content = next(r[header.index("线索内容")] for r in clue_rows[1:] if r[header.index("线索编号")] == clue)
    assert content.startswith("'=HYPERLINK")
    hashes = {r[1] for r in list(book["证据材料"].iter_rows(values_only=True))[1:]}
    assert hashes >= set(truth(inbox).filter(pl.col("subject_id") == code)["sha256"]) and len(hashes) >= 2


@pytest.mark.slow
def test_lead_dossier_by_wz_id(district, tmp_path) -> None:
    db, inbox = district
    lead = truth(inbox).filter(pl.col("subject_kind") == "lead")
    wz = str(lead["subject_id"][0])
    con = connect(db)
    try:
        report = write_dossier(con, wz, tmp_path / "lead.html")
        members = con.execute("SELECT source_id FROM lead_members WHERE lead_id = ?", [wz]).fetchall()
    finally:
        con.close()
    html = report.path.read_text(encoding="utf-8")
    assert report.subject_kind == "lead" and "无照经营线索" in html and "现场核查" not in html
    assert all(m[0] in html for m in members) and members
    assert report.evidence == lead.height and all(d in html for d in lead["sha256"])


@pytest.mark.slow
def test_unknown_code_and_bad_suffix_exit_2(district, tmp_path) -> None:
    db, _ = district
    for args, message in (
        (
            ["dossier", "91370306MA0000000X", "--out", str(tmp_path / "x.html")],
            "没有代码为「91370306MA0000000X」",
        ),
        (["dossier", "WZ-none", "--out", str(tmp_path / "x.html")], "没有代码为「WZ-none」"),
        (["dossier", "91370306MA0000000X", "--out", str(tmp_path / "x.pdf")], ".html 或 .xlsx"),
    ):
        result = runner.invoke(app, [*args, "--db", str(db)])
        assert result.exit_code == 2
        lines = [line for line in result.stderr.splitlines() if line.startswith("错误：")]
        assert len(lines) == 1 and message in lines[0], result.stderr
    assert not list(tmp_path.glob("x.*"))
    with pytest.raises(BadInput):
        write_dossier(duckdb.connect(":memory:"), "", tmp_path / "y.html")


@pytest.mark.slow
@pytest.mark.usefixtures("prefect_harness")
def test_pipeline_registers_inbox_evidence(tmp_path) -> None:
    from flows.pipeline import pipeline
    from tests.samples import U1, write_kind

    inbox = tmp_path / "inbox"
    write_kind(inbox / "registrations" / "r.csv", "registrations")
    folder = inbox / "evidence" / U1
    folder.mkdir(parents=True)
    (folder / "宣传单.pdf").write_bytes(leaflet("宣传单", ["保本保息"]))
    db = tmp_path / "f.duckdb"
    summary = pipeline(inbox=str(inbox), db=str(db))
    assert summary["evidence"]["registered"] == 1 and summary["files"] == 1
    again = pipeline(inbox=str(inbox), db=str(db))
    assert again["evidence"] == {"subjects": 1, "files": 1, "hashed": 0, "registered": 0, "oversized": 0}
    con = connect(db)
    try:
        rows = con.execute("SELECT subject_id, media_type, run_id FROM evidence_files").fetchall()
        run = con.execute("SELECT run_id FROM runs ORDER BY started_at LIMIT 1").fetchall()[0][0]
    finally:
        con.close()
    assert rows == [(U1, "application/pdf", run)]
