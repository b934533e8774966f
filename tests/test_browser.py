"""The report and a case file rendered in a real headless Chromium (Playwright driving Debian's chromium).

Screenshots prove what an analyst sees: the SVG charts are drawn in their colours, the evidence photo is
shown, and Chinese headings render with a CJK font rather than as tofu boxes (each character's image
differs from the others and from the box a missing glyph gets). Skips, naming what is missing, where
chromium, the CJK font or the playwright package is absent; in CI (CI set, or run under .ci/run) it fails
instead, because `make install` installs them there.
"""

from __future__ import annotations

import os
import shutil
import struct
import subprocess
import zlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import polars as pl
import psutil
import pytest

from fundrisk.evidence import register_inbox_evidence
from fundrisk.publish.dossier import write_dossier
from fundrisk.publish.report import write_report
from fundrisk.warehouse import connect
from tests.conftest import scored_district

pytestmark = pytest.mark.slow

CHROMIUM = ("chromium", "chromium-headless-shell", "/usr/lib/chromium/chromium", "/usr/bin/chromium")
TOFU = "\ue000"  # a private-use character no font maps: rendered as the missing-glyph box
HIGH_RISK_RED = (0xC0, 0x39, 0x2B)  # publish/svg.py PALETTE["高风险"]
NO_RISK_GREY = (0x95, 0xA5, 0xA6)  # publish/svg.py PALETTE["无明显风险"]


def chromium_path() -> str | None:
    for name in CHROMIUM:
        found = shutil.which(name) or (name if Path(name).is_file() and os.access(name, os.X_OK) else None)
        if found:
            return found
    return None


def has_cjk_font() -> bool:
    if shutil.which("fc-list"):
        listed = subprocess.run(
            ["fc-list", ":lang=zh", "family"], capture_output=True, text=True, check=False
        )
        return "CJK" in listed.stdout
    return any(Path("/usr/share/fonts").rglob("NotoSansCJK*"))


def in_ci() -> bool:
    """CI=true, or any parent process is .ci/run (where the browser must be there, not skipped)."""
    if os.environ.get("CI", "").lower() not in ("", "0", "false"):
        return True
    try:
        return any(".ci/run" in " ".join(p.cmdline()) for p in psutil.Process().parents())
    except psutil.Error:
        return False


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    missing = []
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        missing.append("the playwright package (pip install -e '.[dev]')")
    executable = chromium_path()
    if executable is None:
        missing.append("chromium (apt-get install chromium)")
    if not has_cjk_font():
        missing.append("a CJK font (apt-get install fonts-noto-cjk)")
    if missing:
        message = "browser test needs " + ", ".join(missing) + "; `make install` installs them as root"
        if in_ci():
            pytest.fail(message)
        pytest.skip(message)
    with sync_playwright() as play:
        launched = play.chromium.launch(executable_path=executable, args=["--no-sandbox"])
        yield launched
        launched.close()


@pytest.fixture(scope="module")
def pages(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """The report and the case file of a planted subject with evidence photos (seed 12 district)."""
    root = tmp_path_factory.mktemp("browser")
    db = scored_district(root, entities=300, seed=12, run_id="R-web")
    evidence = pl.read_csv(root / "inbox" / "truth" / "evidence.csv", infer_schema=False)
    code = evidence.filter(pl.col("subject_kind") == "registration")["subject_id"][0]
    con = connect(db)
    try:
        register_inbox_evidence(con, root / "inbox", "R-web")
        report = write_report(con, root / "工作报告.html")
        dossier = write_dossier(con, code, root / "档案.html").path
    finally:
        con.close()
    return {"report": report, "dossier": dossier}


def decode_png(data: bytes) -> tuple[int, int, list[tuple[int, ...]]]:
    """Width, height and RGB pixels of an 8-bit RGB/RGBA non-interlaced PNG (what Chromium writes)."""
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    pos, idat, header = 8, b"", b""
    while pos < len(data):
        (length,), kind = struct.unpack(">I", data[pos : pos + 4]), data[pos + 4 : pos + 8]
        body = data[pos + 8 : pos + 8 + length]
        header, idat = (body, idat) if kind == b"IHDR" else (header, idat + body if kind == b"IDAT" else idat)
        pos += 12 + length
    width, height, depth, colour = struct.unpack(">IIBB", header[:10])
    assert depth == 8 and colour in (2, 6) and header[12] == 0
    bpp = 3 if colour == 2 else 4
    raw, stride, prev = zlib.decompress(idat), width * bpp, bytearray(width * bpp)
    pixels: list[tuple[int, ...]] = []
    for y in range(height):
        kind, line = raw[y * (stride + 1)], bytearray(raw[y * (stride + 1) + 1 : (y + 1) * (stride + 1)])
        for i in range(stride):
            a = line[i - bpp] if i >= bpp else 0
            b, c = prev[i], prev[i - bpp] if i >= bpp else 0
            if kind == 1:
                line[i] = (line[i] + a) & 255
            elif kind == 2:
                line[i] = (line[i] + b) & 255
            elif kind == 3:
                line[i] = (line[i] + (a + b) // 2) & 255
            elif kind == 4:
                p = a + b - c
                pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                line[i] = (line[i] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 255
        pixels.extend(tuple(line[x * bpp : x * bpp + 3]) for x in range(width))
        prev = line
    return width, height, pixels


def ink(png: bytes) -> float:
    """Share of dark pixels (text strokes) in a screenshot."""
    _, _, pixels = decode_png(png)
    return sum(1 for r, g, b in pixels if r + g + b < 300) / len(pixels)


def assert_cjk_renders(page: Any, selector: str) -> None:
    """The element's text is drawn with real CJK glyphs: inked, every character distinct, none a tofu box."""
    heading = page.locator(selector).first
    assert ink(heading.screenshot()) > 0.02
    text = heading.inner_text().strip()
    chars = list(dict.fromkeys(ch for ch in text if "\u4e00" <= ch <= "\u9fff"))[:6]
    assert len(chars) >= 3, text
    # Clones of the element (same font and size), one character each, appended to the same page.
    page.evaluate(
        """([sel, chars]) => { const src = document.querySelector(sel);
            chars.forEach((ch, i) => { const el = src.cloneNode(false); el.id = 'glyph-' + i;
                el.style.display = 'inline-block'; el.textContent = ch; document.body.appendChild(el); }); }""",
        [selector, [*chars, TOFU]],
    )
    shots = [page.locator(f"#glyph-{i}").screenshot() for i in range(len(chars) + 1)]
    glyphs, tofu = shots[:-1], shots[-1]
    assert len(set(glyphs)) == len(chars), "CJK characters render identically (tofu boxes?)"
    assert tofu not in glyphs, "a CJK character renders as the missing-glyph box"


def test_report_charts_and_chinese_render(browser: Any, pages: dict[str, Path]) -> None:
    page = browser.new_page(viewport={"width": 1100, "height": 900})
    page.goto(pages["report"].as_uri())
    assert page.locator("h1").inner_text() == "非法集资风险排查工作报告"
    charts = page.locator("svg")
    assert charts.count() >= 3
    box = charts.first.bounding_box()
    assert box is not None and box["width"] > 300 and box["height"] > 50
    _, _, pixels = decode_png(charts.first.screenshot())

    def count(colour: tuple[int, int, int]) -> int:
        return sum(1 for p in pixels if all(abs(v - w) <= 12 for v, w in zip(p, colour, strict=True)))

    # Bars in their tier colours: few 高风险 subjects (a short bar), most 无明显风险 (the longest one).
    assert count(HIGH_RISK_RED) > 20 and count(NO_RISK_GREY) > 3000
    assert_cjk_renders(page, "h1")
    page.close()


def test_dossier_shows_evidence_photos_and_chinese(browser: Any, pages: dict[str, Path]) -> None:
    page = browser.new_page(viewport={"width": 1200, "height": 900})
    messages: list[str] = []
    page.on("console", lambda msg: messages.append(msg.text))
    page.goto(pages["dossier"].as_uri())
    assert page.locator("h1").inner_text() == "风险机构档案"
    images = page.locator("figure img")
    assert images.count() >= 1
    widths = page.evaluate(
        "[...document.querySelectorAll('figure img')].map(i => i.complete && i.naturalWidth)"
    )
    assert all(w == 240 for w in widths), widths  # fundrisk/synth/evidence.py storefronts are 240 px wide
    assert ink(images.first.screenshot()) < 0.5  # a coloured photo, not a black or missing box
    assert page.locator("#evidence").is_visible() and page.get_by_text("SHA-256").first.is_visible()
    assert_cjk_renders(page, "h1")
    assert not [m for m in messages if "Content Security Policy" in m]  # nothing the page needs is blocked
    page.close()
