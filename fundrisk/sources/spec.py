"""Input contracts loaded from kinds.toml: columns, Chinese headers, types and keys."""

from __future__ import annotations

import re
import tomllib
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path

from fundrisk.errors import BadInput

SPEC_FILE = Path(__file__).with_name("kinds.toml")

ColumnType = str  # text | uscc | date | amount | amount_wan | count | share | enum


@dataclass(frozen=True)
class ColumnSpec:
    name: str
    zh: tuple[str, ...]
    type: ColumnType
    required: bool = False
    personal: bool = False
    values: tuple[str, ...] = ()

    @property
    def label(self) -> str:
        """Chinese header used in messages (first alias), e.g. 统一社会信用代码."""
        return self.zh[0] if self.zh else self.name


@dataclass(frozen=True)
class KindSpec:
    kind: str
    table: str
    label: str
    key: tuple[str, ...]
    columns: tuple[ColumnSpec, ...]
    one_of: tuple[str, ...] = ()
    aliases: dict[str, str] = field(default_factory=dict, compare=False)

    @property
    def names(self) -> list[str]:
        return [c.name for c in self.columns]

    def column(self, name: str) -> ColumnSpec:
        return next(c for c in self.columns if c.name == name)

    @property
    def personal(self) -> list[str]:
        return [c.name for c in self.columns if c.personal]


def header_key(header: str) -> str:
    """Canonical form of a header for matching: NFKC, no spaces/BOM, lower case, no unit suffix."""
    text = unicodedata.normalize("NFKC", header).replace("\ufeff", "").strip().lower()
    text = re.sub(r"\s+", "", text)
    return re.sub(r"\((元|万元|人|%)\)$", "", text)


def _load() -> tuple[str, dict[str, KindSpec]]:
    raw = tomllib.loads(SPEC_FILE.read_text(encoding="utf-8"))
    kinds: dict[str, KindSpec] = {}
    for kind, body in raw["kinds"].items():
        cols = tuple(
            ColumnSpec(
                name=c["name"],
                zh=tuple(c.get("zh", ())),
                type=c["type"],
                required=c.get("required", False),
                personal=c.get("personal", False),
                values=tuple(c.get("values", ())),
            )
            for c in body["columns"]
        )
        aliases: dict[str, str] = {}
        for c in cols:
            for alias in (c.name, *c.zh):
                aliases.setdefault(header_key(alias), c.name)
        kinds[kind] = KindSpec(
            kind=kind,
            table=body["table"],
            label=body["label"],
            key=tuple(body["key"]),
            columns=cols,
            one_of=tuple(body.get("one_of", ())),
            aliases=aliases,
        )
    return raw["version"], kinds


SCHEMA_VERSION, KINDS = _load()


def get_kind(kind: str) -> KindSpec:
    """The spec of one kind, or BadInput naming the kinds that exist."""
    try:
        return KINDS[kind]
    except KeyError:
        raise BadInput(f"未知的数据类型「{kind}」，可选：{' | '.join(KINDS)}") from None
