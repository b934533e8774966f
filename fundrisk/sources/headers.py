"""Find the header row of a sheet and explain a header that does not fit its kind.

Offices export with a title block above the header (a merged "文昌湖区工商登记 2026年11月" and a blank
row), workbooks carry a notes sheet before the data, and headers are renamed by hand. The header row is
the one among the first rows that names the most known columns; when a required column is still missing,
the message lists the headers found, the nearest expected name of each unknown one and what is missing.
Only the first SCAN_ROWS rows are looked at, so this costs nothing on a large file.
"""

from __future__ import annotations

from collections.abc import Sequence

from rapidfuzz import fuzz, process

from fundrisk.sources.spec import KINDS, KindSpec, header_key

SCAN_ROWS = 20  # rows searched for the header below a title block
SHOWN_HEADERS = 30  # headers listed in a mismatch message before "等N列"
NEAR = 60  # rapidfuzz ratio from which an unknown header is said to mean an expected one

# header_key → canonical column, over every kind: used when the reader is not told the kind.
ANY_KIND = {key: name for spec in KINDS.values() for key, name in spec.aliases.items()}


def known_headers(spec: KindSpec | None) -> dict[str, str]:
    """header_key → canonical column name of one kind, or of all kinds when the kind is not known."""
    return spec.aliases if spec is not None else ANY_KIND


def header_score(cells: Sequence[object], known: dict[str, str]) -> int:
    """How many distinct known columns a row names."""
    return len({known[k] for c in cells if c is not None and (k := header_key(str(c))) in known})


def best_header_row(rows: Sequence[Sequence[object]], known: dict[str, str]) -> tuple[int, int]:
    """(index, score) of the row naming most known columns; the first row wins ties and when none scores."""
    best, best_score = 0, 0
    for index, cells in enumerate(rows[:SCAN_ROWS]):
        score = header_score(cells, known)
        if score > best_score:
            best, best_score = index, score
    return best, best_score


def fits(headers: Sequence[str], spec: KindSpec) -> bool:
    """True when the headers hold every required column (and one of `one_of`) of the kind."""
    present = {spec.aliases[k] for h in headers if (k := header_key(h)) in spec.aliases}
    required = all(c.name in present for c in spec.required)
    return required and (not spec.one_of or any(n in present for n in spec.one_of))


def _nearest(header: str, spec: KindSpec, unmatched: set[str]) -> str | None:
    """The label of the not-yet-matched column whose name is closest to an unknown header."""
    choices = {key: name for key, name in spec.aliases.items() if name in unmatched}
    match = process.extractOne(header_key(header), list(choices), scorer=fuzz.ratio, score_cutoff=NEAR)
    return spec.column(choices[match[0]]).label if match else None


def mismatch_message(headers: Sequence[str], spec: KindSpec, where: str) -> str | None:
    """One Chinese line when the headers lack a required column of the kind, else None.

    It names the missing columns (as validation does), then every header found, an unknown one followed
    by its nearest expected name: "缺少工商登记的必填列：统一社会信用代码（uscc）；文件中的表头：
    信用代码号（→统一社会信用代码？）、…".
    """
    if fits(headers, spec):
        return None
    present = {spec.aliases[k] for h in headers if (k := header_key(h)) in spec.aliases}
    unmatched = {c.name for c in spec.columns} - present
    missing = [f"{c.label}（{c.name}）" for c in spec.required if c.name not in present]
    if spec.one_of and not any(n in present for n in spec.one_of):
        missing.append("或".join(spec.column(n).label for n in spec.one_of))
    shown = []
    for header in [h for h in headers if h.strip()][:SHOWN_HEADERS]:
        near = None if header_key(header) in spec.aliases else _nearest(header, spec, unmatched)
        shown.append(f"{header}（→{near}？）" if near else header)
    more = len([h for h in headers if h.strip()]) - SHOWN_HEADERS
    found = "、".join(shown) + (f" 等{len(headers)}列" if more > 0 else "") if shown else "（无）"
    return (
        f"{where}缺少{spec.label}的必填列：{'、'.join(missing)}；文件中的表头：{found}。"
        f"请把表头改为标准列名（如 {'、'.join(c.label for c in spec.required) or spec.columns[0].label}）后重新导入"
    )
