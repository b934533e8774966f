"""The sections of a case file (dossier_sections.toml): title, Chinese headers, personal columns, display.

`shape(section, frame, unmask)` turns a warehouse frame (English names, fundrisk/warehouse/dossier_store.py)
into what the analyst reads: personal numbers masked (ID 370303********1234, phone 138****5678, account
************5678, reporters' names 王**) unless `unmask`, numbers inside free text masked too, shares as
percentages, yes/no in Chinese, columns renamed. Whole-column polars expressions only.
"""

from __future__ import annotations

import base64
import hashlib
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

import polars as pl

from fundrisk.publish.safety import mask, mask_embedded

EMBEDDABLE = ("image/png", "image/jpeg", "image/gif", "image/webp")
EMBED_MAX_BYTES = 8 * 1024 * 1024  # larger photos are listed with their hash, not inlined


@dataclass(frozen=True)
class Section:
    key: str  # the frame of dossier_store.QUERIES
    title: str
    sheet: str
    columns: dict[str, str]  # English → Chinese, display order
    masks: dict[str, str] = field(default_factory=dict)  # column → id | phone | account | name
    free_text: tuple[str, ...] = ()
    percent: tuple[str, ...] = ()
    fields: bool = False  # one record, shown as 项目 / 内容
    kinds: tuple[str, ...] | None = None  # subject kinds that have this section (None: every kind)


CONFIG = tomllib.loads(Path(__file__).with_name("dossier_sections.toml").read_text(encoding="utf-8"))
METHOD_ZH: dict[str, str] = CONFIG["methods"]


def _section(raw: dict) -> Section:
    kinds = raw.get("kinds")
    return Section(
        key=raw["key"],
        title=raw["title"],
        sheet=raw["sheet"],
        columns=dict(raw["columns"]),
        masks=dict(raw.get("masks", {})),
        free_text=tuple(raw.get("free_text", ())),
        percent=tuple(raw.get("percent", ())),
        fields=bool(raw.get("fields", False)),
        kinds=tuple(kinds) if kinds else None,
    )


SECTIONS: tuple[Section, ...] = tuple(_section(raw) for raw in CONFIG["section"])


def shape(section: Section, frame: pl.DataFrame, unmask: bool) -> pl.DataFrame:
    """Mask, format and rename one section's frame (a missing table gives an empty frame with the headers)."""
    if not frame.columns:
        return pl.DataFrame(schema={zh: pl.String for zh in section.columns.values()})
    edits: list[pl.Expr] = []
    if not unmask:
        for column, kind in section.masks.items():
            if column in frame.columns:
                expr = pl.col(column).cast(pl.String)
                masked = mask(expr, kind)  # type: ignore[arg-type]
                edits.append(masked.alias(column))
        edits += [mask_embedded(pl.col(c)).alias(c) for c in section.free_text if c in frame.columns]
    edits += [
        pl.format("{}%", (pl.col(c) * 100).round(0).cast(pl.Int64)).alias(c)
        for c in section.percent
        if c in frame.columns
    ]
    if "method" in frame.columns:
        edits.append(pl.col("method").replace(METHOD_ZH))
    edits += [
        pl.when(pl.col(c)).then(pl.lit("是")).otherwise(pl.lit("否")).alias(c)
        for c, dtype in frame.schema.items()
        if dtype == pl.Boolean
    ]
    shaped = frame.with_columns(edits) if edits else frame
    present = [c for c in section.columns if c in shaped.columns]
    return shaped.select([pl.col(c).alias(section.columns[c]) for c in present])


def evidence_images(files: pl.DataFrame) -> list[tuple[str, str, str, str]]:
    """(file name, sha256, data: URI, problem) per image file; the URI is empty when it cannot be shown.

    An image is inlined only when it is small enough, still at its registered path and still has the
    registered hash (a file changed after registration is not shown as if it were the evidence).
    """
    if not files.columns:
        return []
    images = files.filter(pl.col("media_type").is_in(EMBEDDABLE))
    out: list[tuple[str, str, str, str]] = []
    for name, digest, size, kind, path in images.select(
        "file_name", "sha256", "size_bytes", "media_type", "path"
    ).iter_rows():
        file = Path(path) if path else None
        if size > EMBED_MAX_BYTES:
            out.append((name, digest, "", "文件较大，未嵌入，请按存放位置调阅"))
        elif file is None or not file.is_file():
            out.append((name, digest, "", "原文件已不在登记位置"))
        else:
            data = file.read_bytes()
            if hashlib.sha256(data).hexdigest() != digest:
                out.append((name, digest, "", "原文件在登记后已被修改，未显示"))
            else:
                out.append((name, digest, f"data:{kind};base64,{base64.b64encode(data).decode('ascii')}", ""))
    return out
