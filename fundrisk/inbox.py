"""Find the files waiting in an inbox: one sub-folder per input kind (DESIGN.md, Inputs).

Folders may carry the kind's canonical name or the name offices use (工商登记/, 线索/, 排查登记/ …, all
listed in fundrisk/sources/kinds.toml). Nothing is skipped silently: a folder that is no kind (with
the nearest known name when it looks misspelled), a folder nested inside a kind folder, an old .xls
workbook, any other file a kind folder cannot take, and a data file left at the top of the inbox each
get one Chinese warning line; the caller prints them and carries on (they are not errors).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from fundrisk.errors import BadInput
from fundrisk.evidence import EVIDENCE_FOLDERS
from fundrisk.sources.readers import OLD_EXCEL, SUPPORTED
from fundrisk.sources.spec import (
    KIND_ORDER,
    KINDS,
    NOT_INPUT_FOLDERS,
    kind_key,
    nearest_kind_name,
    resolve_kind,
)

OTHER_FOLDERS = {kind_key(name) for name in (*EVIDENCE_FOLDERS, *NOT_INPUT_FOLDERS)}


@dataclass(frozen=True)
class InboxFile:
    kind: str
    path: Path


@dataclass(frozen=True)
class InboxScan:
    files: list[InboxFile] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)  # one Chinese line per thing left out


def _hidden(path: Path) -> bool:
    return path.name.startswith((".", "~$"))


def _unknown_folder(name: str) -> str:
    nearest = nearest_kind_name(name)
    if nearest is not None:
        return f"子文件夹「{name}」不是已知的数据类型，已忽略；是否应命名为「{nearest}」？"
    known = "、".join(spec.label for spec in KINDS.values())
    return f"子文件夹「{name}」不是已知的数据类型，已忽略（可用的文件夹名：{known}，或对应的英文名）"


def _kind_folder(kind: str, folder: Path, scan: InboxScan) -> None:
    """Files of one kind folder into the scan; what it cannot take into the warnings."""
    for path in sorted(folder.iterdir()):
        where = f"{folder.name}/{path.name}"
        if _hidden(path):
            continue
        if path.is_dir():
            scan.warnings.append(
                f"「{where}」是嵌套的子文件夹，其中的文件未导入：请把文件直接放在「{folder.name}/」下"
            )
        elif path.suffix.lower() in SUPPORTED:
            scan.files.append(InboxFile(kind, path))
        elif path.suffix.lower() in OLD_EXCEL:
            scan.warnings.append(
                f"「{where}」是旧版 Excel 格式（{path.suffix}），未导入：请在 Excel 或 WPS 中另存为 .xlsx 或 CSV"
            )
        else:
            scan.warnings.append(f"「{where}」不是 CSV、XLSX 或 Parquet 文件，未导入")


def scan(inbox: Path) -> InboxScan:
    """Every supported file under the kind folders, in kind order, then folder and file name order."""
    if not inbox.is_dir():
        raise BadInput(
            f"收件箱文件夹「{inbox}」不存在，请用 --inbox 指定包含 工商登记/、线索/ 等子文件夹的目录"
        )
    order = (*KIND_ORDER, *(kind for kind in KINDS if kind not in KIND_ORDER))
    folders: dict[str, list[Path]] = {kind: [] for kind in order}
    result = InboxScan()
    for path in sorted(inbox.iterdir()):
        if _hidden(path):
            continue
        if path.is_file():
            if path.suffix.lower() in SUPPORTED | OLD_EXCEL:
                result.warnings.append(
                    f"文件「{path.name}」在收件箱的最上层，未导入：请放入对应类型的子文件夹（如 工商登记/、线索/）"
                )
            continue
        kind = resolve_kind(path.name)
        if kind is not None:
            folders[kind].append(path)
        elif kind_key(path.name) not in OTHER_FOLDERS:
            result.warnings.append(_unknown_folder(path.name))
    for kind in order:
        for folder in folders[kind]:
            _kind_folder(kind, folder, result)
    return result


def discover(inbox: Path) -> list[InboxFile]:
    """The files to ingest (see `scan` for what is left out, and why)."""
    return scan(inbox).files
