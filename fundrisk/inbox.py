"""Find the files waiting in an inbox: one sub-folder per input kind (DESIGN.md, Inputs)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from fundrisk.errors import BadInput
from fundrisk.sources.readers import SUPPORTED

# Reference data first, so later kinds can be linked against what is already known.
KIND_ORDER = ("registrations", "provincial-list", "alerts", "clues", "survey", "inspections", "actions")
# Folders besides INBOX/<kind>/ that hold a kind (grid workers name theirs in Chinese).
FOLDER_ALIASES = {"survey": ("surveys", "排查登记")}


@dataclass(frozen=True)
class InboxFile:
    kind: str
    path: Path


def discover(inbox: Path) -> list[InboxFile]:
    """Every supported file under INBOX/<kind>/, in kind order then name order; others are ignored."""
    if not inbox.is_dir():
        raise BadInput(
            f"收件箱文件夹「{inbox}」不存在，请用 --inbox 指定包含 registrations/、alerts/ 等子文件夹的目录"
        )
    found: list[InboxFile] = []
    for kind in KIND_ORDER:
        for folder in (inbox / name for name in (kind, *FOLDER_ALIASES.get(kind, ()))):
            if not folder.is_dir():
                continue
            for path in sorted(folder.iterdir()):
                hidden = path.name.startswith((".", "~$"))
                if path.is_file() and not hidden and path.suffix.lower() in SUPPORTED:
                    found.append(InboxFile(kind, path))
    return found
