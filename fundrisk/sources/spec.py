"""Input contracts loaded from kinds.toml: columns, Chinese headers, types, keys and the kinds' names.

A kind is named by its canonical name or by what offices call it (工商登记, 资金预警, 线索 …): the CLI's
KIND argument and the inbox folders resolve names here, from the one list in kinds.toml.
"""

from __future__ import annotations

import re
import tomllib
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path

from rapidfuzz import fuzz, process

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
    kind_names: tuple[str, ...] = ()  # every name the kind answers to: canonical, label, aliases

    @property
    def required(self) -> list[ColumnSpec]:
        return [c for c in self.columns if c.required]

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


def kind_key(name: str) -> str:
    """Canonical form of a kind name or folder name: NFKC, no surrounding blanks, lower case."""
    return unicodedata.normalize("NFKC", name).strip().lower()


def _load() -> tuple[str, dict[str, KindSpec], dict[str, list[str]]]:
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
            kind_names=tuple(dict.fromkeys((kind, body["label"], *body.get("aliases", ())))),
        )
    return raw["version"], kinds, raw.get("inbox", {})


SCHEMA_VERSION, KINDS, _INBOX = _load()
# kind_key(name) → canonical kind, for every name of every kind.
KIND_NAMES = {kind_key(name): spec.kind for spec in KINDS.values() for name in spec.kind_names}
NOT_INPUT_FOLDERS = tuple(_INBOX.get("not_inputs", ()))  # inbox folders that are no kind and no mistake
# The ingest order, [inbox] order (reference data first); kinds it does not list are ingested after these.
KIND_ORDER: tuple[str, ...] = tuple(_INBOX.get("order", ()))
if set(KIND_ORDER) - set(KINDS):
    raise ValueError(f"kinds.toml [inbox] order names unknown kinds: {sorted(set(KIND_ORDER) - set(KINDS))}")


def kinds_help() -> str:
    """One line listing each kind with its Chinese name, for help texts and error messages."""
    return " | ".join(f"{spec.kind} {spec.label}" for spec in KINDS.values())


def nearest_kind_name(name: str) -> str | None:
    """The known kind name closest to a misspelled one (工商登记表 → 工商登记), or None when nothing is close."""
    key = kind_key(name)
    cutoff = 50 if len(key) <= 2 else 60  # one wrong character of a two-character name (线素) is 50
    match = process.extractOne(key, list(KIND_NAMES), scorer=fuzz.ratio, score_cutoff=cutoff)
    if match is None:
        return None
    key = match[0]
    spec = KINDS[KIND_NAMES[key]]
    return next(n for n in spec.kind_names if kind_key(n) == key)


def resolve_kind(name: str) -> str | None:
    """The canonical kind for any of its names (registrations, 工商登记 …), or None."""
    return KIND_NAMES.get(kind_key(name))


def get_kind(kind: str) -> KindSpec:
    """The spec of one kind by any of its names, or BadInput naming the kinds that exist."""
    canonical = resolve_kind(kind)
    if canonical is not None:
        return KINDS[canonical]
    nearest = nearest_kind_name(kind)
    hint = f"，是否要输入「{nearest}」？" if nearest else "，"
    raise BadInput(f"未知的数据类型「{kind}」{hint}可选：{kinds_help()}")
