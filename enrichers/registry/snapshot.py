"""Offline registry snapshot: a JSON Lines file of already-normalised company records.

One JSON object per line, UTF-8, in exactly the normalised record shape the HTTP providers produce
(see ``enrichers.registry.model``)::

    {"uscc": "91370300MA3C0XXXXX", "name": "淄博某某投资咨询有限公司",
     "basic": {"uscc": ..., "name": ..., "legal_rep": ..., "status": "存续", "registered_capital": "1000万人民币",
               "established_on": "2019-03-01", "address": ..., "province": "山东省", "city": "淄博市",
               "district": ..., "scope": ..., "entity_type": ...},
     "abnormal": [{"listed_on": "2023-05-01", "listed_reason": "通过登记的住所或者经营场所无法联系",
                   "listed_by": ..., "removed_on": null, "removed_reason": null, "removed_by": null}],
     "lawsuits": [{"case_no": ..., "title": ..., "case_reason": "民间借贷纠纷", "court": ..., "judged_on": ...,
                   "doc_type": "判决书"}],
     "branches": [{"name": ..., "uscc": ..., "legal_rep": ..., "status": ..., "province": ..., "city": ...}],
     "investments": [{"name": ..., "uscc": ..., "legal_rep": ..., "status": ..., "province": ...,
                      "share": "60%", "amount": "600万"}],
     "changes": [{"changed_on": "2023-02-01", "item": "法定代表人变更", "before": "张三", "after": "李四"}]}

A record is found by its uscc, else by its exact name. Missing list keys count as empty; ``basic`` may be
null for a company known only by name. Look-ups are free: no budget, no cache, no network.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, ClassVar

from enrichers.registry.base import (
    FETCHED,
    NOT_FOUND,
    NOT_QUERIED,
    CacheHooks,
    LookupResult,
    RegistryProvider,
    Subject,
)
from enrichers.registry.model import LISTS, empty_record


def write_snapshot(path: Path | str, records: list[dict[str, Any]]) -> Path:
    """Write records (normalised shape) as JSON Lines; returns the path."""
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    with target.open("w", encoding="utf-8") as out:
        for record in records:
            full = empty_record(record.get("uscc"), str(record.get("name") or "")) | record
            out.write(json.dumps(full, ensure_ascii=False, sort_keys=True) + "\n")
    return target


def read_snapshot(path: Path | str) -> list[dict[str, Any]]:
    """Every record of a snapshot file; blank lines are skipped."""
    with Path(path).open(encoding="utf-8") as src:
        return [json.loads(line) for line in src if line.strip()]


class Snapshot(RegistryProvider):
    name: ClassVar[str] = "snapshot"
    paid: ClassVar[bool] = False

    def __init__(self, path: Path | str | None, **kwargs: Any) -> None:
        super().__init__(None, **kwargs)
        # Byte offsets of each record's line, not the records: a million parsed records would hold
        # gigabytes for the ~10% a run looks up; a look-up re-reads its one line.
        self._path = Path(path) if path is not None else None
        self._by_uscc: dict[str, int] = {}
        self._by_name: dict[str, int] = {}
        if path is None or not Path(path).exists():
            self.stopped = (
                f"未找到工商信息快照文件「{path or '未配置'}」（FUNDRISK_REGISTRY_SNAPSHOT），未查询工商信息"
            )
            return
        with Path(path).open("rb") as src:
            offset = 0
            for line in src:
                if line.strip():
                    record = json.loads(line)
                    if record.get("uscc"):
                        self._by_uscc[str(record["uscc"])] = offset
                    if record.get("name"):
                        self._by_name.setdefault(str(record["name"]), offset)
                offset += len(line)

    def _record(self, offset: int | None) -> dict[str, Any] | None:
        if offset is None or self._path is None:
            return None
        with self._path.open("rb") as src:
            src.seek(offset)
            found: dict[str, Any] = json.loads(src.readline())
        return found

    async def lookup(self, subject: Subject, cache: CacheHooks | None) -> LookupResult:
        if self.stopped:
            return LookupResult(subject, NOT_QUERIED, detail=self.stopped)
        found = (self._record(self._by_uscc.get(subject.uscc)) if subject.uscc else None) or self._record(
            self._by_name.get(subject.name)
        )
        if found is None:
            return LookupResult(subject, NOT_FOUND, detail="快照中无此企业")
        return LookupResult(subject, FETCHED, self.normalise(subject, {"snapshot": found}))

    def normalise(self, subject: Subject, payloads: dict[str, Any]) -> dict[str, Any]:
        found = payloads["snapshot"]
        record = empty_record(subject.uscc or found.get("uscc"), subject.name or found.get("name", ""))
        record["basic"] = found.get("basic")
        for key in (*LISTS, "abnormal_total", "lawsuit_total"):
            if found.get(key) is not None:
                record[key] = found[key]
        return record
