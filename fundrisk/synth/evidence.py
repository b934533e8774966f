"""Evidence files for a few planted schemes: a 门脸 photo (PNG) and a promotional leaflet (PDF) per subject.

Made with the standard library and numpy only (zlib + struct for the PNG, a hand-written PDF whose
Chinese text uses the viewer's STSong-Light, so nothing is embedded), byte-identical for a seed. They
land in INBOX/evidence/<code or WZ-id>/ as an analyst's folder would; truth/evidence.csv lists them.
"""

from __future__ import annotations

import hashlib
import struct
import zlib
from pathlib import Path

import numpy as np
import polars as pl

from fundrisk import atomic
from fundrisk.synth.schemes import SCHEME_NAMES

REGISTERED = 6  # planted registrations with a folder
LEADS = 1  # unregistered operators with a folder (named by the WZ- id the pipeline will give them)
PHOTO, LEAFLET, SECOND = "门脸照片.png", "宣传单.pdf", "现场照片2.png"
PITCH = {
    "投资理财": "稳健理财 年化收益12% 保本保息 推荐好友再返佣金",
    "养老": "养老服务 预存会员费享高额回报 免费旅游 保健品赠送",
    "消费返利": "消费全额返还 购物即返利 月月分红",
    "虚拟货币": "数字资产 区块链项目 稳赚不赔 静态收益每日结算",
    "代种植/代养殖": "认养果树 代养黄牛 年回报15% 到期回购",
    "售后包租": "商铺售后包租 年租金回报10% 十年返本",
    "私募股权": "原始股内部认购 上市后翻倍 名额有限",
    "资金互助": "社员互助金 存款利息高于银行 随存随取",
}


def png(width: int, height: int, pixels: np.ndarray) -> bytes:
    """An 8-bit RGB PNG (filter 0 on every row) from a (height, width, 3) uint8 array."""
    rows = np.concatenate([np.zeros((height, 1), np.uint8), pixels.reshape(height, width * 3)], axis=1)

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    body = zlib.compress(rows.tobytes(), 9)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", body) + chunk(b"IEND", b"")


def storefront(rng: np.random.Generator, width: int = 240, height: int = 160) -> bytes:
    """A shop front: wall, a red or blue signboard with light 'lettering' blocks, a glass door, windows."""
    img = np.empty((height, width, 3), np.uint8)
    img[:] = rng.integers(170, 230, size=3, dtype=np.uint8)  # wall
    board = (180, 30, 40) if rng.random() < 0.6 else (30, 70, 160)
    img[12:52, 10 : width - 10] = board
    letters = int(rng.integers(4, 8))
    step = (width - 40) // letters
    for i in range(letters):
        x = 20 + i * step
        img[20:44, x + 4 : x + step - 6] = (250, 235, 120)
    img[70:height, width // 2 - 30 : width // 2 + 30] = (90, 140, 170)  # door
    img[70:120, 20:80] = (150, 190, 210)
    img[70:120, width - 80 : width - 20] = (150, 190, 210)
    img[height - 6 : height] = (110, 110, 110)  # pavement
    return png(width, height, img)


def leaflet(title: str, lines: list[str]) -> bytes:
    """A one-page PDF; Chinese text as UCS-2 with the Adobe-GB1 font STSong-Light (not embedded)."""

    def hexed(text: str) -> str:
        return "<" + text.encode("utf-16-be").hex().upper() + ">"

    text = [f"BT /F1 20 Tf 50 780 Td {hexed(title)} Tj ET"]
    text += [f"BT /F1 14 Tf 50 {740 - 28 * i} Td {hexed(line)} Tj ET" for i, line in enumerate(lines)]
    stream = "\n".join(text).encode("ascii")
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Resources << /Font << /F1 5 0 R >> >> "
        b"/Contents 4 0 R >>",
        b"<< /Length " + str(len(stream)).encode() + b" >>\nstream\n" + stream + b"\nendstream",
        b"<< /Type /Font /Subtype /Type0 /BaseFont /STSong-Light /Encoding /UniGB-UCS2-H "
        b"/DescendantFonts [6 0 R] >>",
        b"<< /Type /Font /Subtype /CIDFontType0 /BaseFont /STSong-Light "
        b"/CIDSystemInfo << /Registry (Adobe) /Ordering (GB1) /Supplement 2 >> /FontDescriptor 7 0 R >>",
        b"<< /Type /FontDescriptor /FontName /STSong-Light /Flags 6 /FontBBox [-25 -254 1000 880] "
        b"/ItalicAngle 0 /Ascent 880 /Descent -120 /CapHeight 880 /StemV 93 >>",
    ]
    out = bytearray(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += f"{number} 0 obj\n".encode() + body + b"\nendobj\n"
    xref = len(out)
    out += f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode()
    out += b"".join(f"{o:010d} 00000 n \n".encode() for o in offsets)
    out += f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n".encode()
    return bytes(out)


def lead_ids(clue_links: pl.DataFrame, alert_links: pl.DataFrame) -> pl.DataFrame:
    """true_lead_id → the WZ- id enrichers/leads.py derives (its smallest member key, 'alert-…' < 'clue-…')."""
    members = pl.concat(
        [
            clue_links.select("true_lead_id", pl.concat_str(pl.lit("clue-"), "clue_id").alias("key")),
            alert_links.select("true_lead_id", pl.concat_str(pl.lit("alert-"), "alert_id").alias("key")),
        ]
    ).drop_nulls("true_lead_id")
    first = members.group_by("true_lead_id").agg(pl.col("key").min())
    return first.select("true_lead_id", (pl.lit("WZ-") + pl.col("key")).alias("subject_id")).sort(
        "true_lead_id"
    )


def write_evidence(
    out: Path, specials: pl.DataFrame, clue_links: pl.DataFrame, alert_links: pl.DataFrame, seed: int
) -> pl.DataFrame:
    """Write the folders under out/evidence/ and return the truth table (one row per file)."""
    rng = np.random.Generator(np.random.PCG64([seed, 13]))
    planted = specials.filter(pl.col("_scheme") >= 0).sort("uscc")
    picked = (
        planted[np.sort(rng.permutation(planted.height)[:REGISTERED]).tolist()] if planted.height else planted
    )
    subjects = [
        ("registration", row["uscc"], row["name"], SCHEME_NAMES[row["_scheme"]])
        for row in picked.iter_rows(named=True)
    ]
    leads = lead_ids(clue_links, alert_links)
    named = clue_links.drop_nulls("true_lead_id").sort("clue_id").group_by("true_lead_id")
    leads = leads.join(named.agg(pl.col("scheme", "subject_name").first()), on="true_lead_id", how="left")
    if leads.height:
        chosen = np.sort(rng.permutation(leads.height)[:LEADS]).tolist()
        for row in leads[chosen].iter_rows(named=True):
            name = row["subject_name"] or row["true_lead_id"]
            subjects.append(("lead", row["subject_id"], name, row["scheme"] or "投资理财"))
    rows = []
    for kind, subject_id, name, scheme in subjects:
        files = {
            PHOTO: storefront(rng),
            LEAFLET: leaflet(str(name), PITCH.get(scheme, PITCH["投资理财"]).split()),
        }
        if rng.random() < 0.5:
            files[SECOND] = storefront(rng)
        folder = out / "evidence" / subject_id
        folder.mkdir(parents=True, exist_ok=True)
        for file_name, data in files.items():
            atomic.write_bytes(folder / file_name, data)
            media = "image/png" if file_name.endswith(".png") else "application/pdf"
            digest = hashlib.sha256(data).hexdigest()
            rows.append((kind, subject_id, scheme, file_name, digest, len(data), media))
    text = ["subject_kind", "subject_id", "scheme", "file_name", "sha256"]
    schema = {**dict.fromkeys(text, pl.String), "size_bytes": pl.Int64, "media_type": pl.String}
    return pl.DataFrame(rows, schema=schema, orient="row")
