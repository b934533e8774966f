"""The one ordered list of the pipeline's stages: key, Chinese label and plain function, in flow order.

The Prefect flow (flows/pipeline.py) runs each as its own task, named by the key (the Prefect task key and
the run summary's key) and the label (its progress line), then keeps the ledger and publishes; evaluations,
notebooks and tests run the same list without Prefect (`run_stages`). Adding a stage is one line here.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from fundrisk.campaign.survey_stage import run_survey_screen
from fundrisk.settings import Settings
from fundrisk.stages.keywords import run_keywords
from fundrisk.stages.registry import run_registry
from fundrisk.stages.resolve import run_resolution
from fundrisk.stages.scoring import run_scoring
from fundrisk.stages.sentiment import run_sentiment
from fundrisk.warehouse.db import Connection

StageRun = Callable[[Connection, str, Settings], dict[str, Any]]


@dataclass(frozen=True)
class Stage:
    key: str  # ASCII: the Prefect task's key (flows/steps.py) and the run summary's key
    label: str  # what the analyst reads: the progress line and the task's name after the key
    run: StageRun
    partitioned: bool = False  # runs per partition on a Dask cluster when one is configured
    needs: tuple[str, ...] = ()  # stages whose output this one reads (a stage not in the list is done)
    reads: tuple[str, ...] | None = None  # the input kinds it reads (None: any of them)


def _plain(run: Callable[[Connection, str], dict[str, Any]]) -> StageRun:
    def stage(con: Connection, run_id: str, settings: Settings) -> dict[str, Any]:
        return run(con, run_id)

    return stage


def _registry(con: Connection, run_id: str, settings: Settings) -> dict[str, Any]:
    """Network errors are retried inside the registry client; a task retries only on the database."""
    return run_registry(con, settings)


STAGES: tuple[Stage, ...] = (
    Stage("keywords", "敏感词筛查", _plain(run_keywords), partitioned=True, reads=("registrations", "clues")),
    Stage("sentiment", "线索舆情分析", _plain(run_sentiment), partitioned=True, reads=("clues",)),
    # After keywords, which replaces the keyword tables' rows of every kind.
    Stage("surveys", "排查登记筛查", _plain(run_survey_screen), needs=("keywords",)),
    Stage("resolution", "主体关联", _plain(run_resolution)),
    # Looks up the subjects whose keyword scores, links and relations come near its floor.
    Stage("registry", "工商信息查询", _registry, needs=("keywords", "resolution")),
    Stage("scoring", "风险评分", _plain(run_scoring), needs=("sentiment", "surveys", "registry")),
)
# Side by side only from this size on (below it a stage takes seconds and order reads better) and while
# the process fits half the budget: at 1M registrations side by side it peaked at 3.79 GB (2.62 GB in
# order) and saved 9 s of 156 (issue 11).
OVERLAP_MIN_REGISTRATIONS = 200_000
OVERLAP_BYTES_PER_REGISTRATION = 3_800


_ALL = STAGES  # the packaged list, for the needs of a stage taken out


def stage(key: str) -> Stage:
    """The stage of a key (read from STAGES when called, so a replaced list is followed)."""
    for s in STAGES:
        if s.key == key:
            return s
    raise KeyError(f"no stage {key!r}; stages: {[s.key for s in STAGES]}")


def may_overlap(registrations: int, budget_bytes: int, mode: str = "auto") -> bool:
    """Whether stages may run side by side: FUNDRISK_STAGE_OVERLAP `on`/`off`, or `auto` by size and budget."""
    if mode != "auto":
        return mode == "on"
    fits = registrations * OVERLAP_BYTES_PER_REGISTRATION <= budget_bytes // 2
    return registrations >= OVERLAP_MIN_REGISTRATIONS and fits


def needs_of(stage: Stage) -> tuple[str, ...]:
    """The stage's needs among the stages in the list now, and every earlier stage's needs in turn:
    a stage taken out of the list (a test, an evaluation) passes its own needs on."""
    keys = [s.key for s in STAGES]
    seen: list[str] = []
    todo = list(stage.needs)
    while todo:
        key = todo.pop(0)
        if key in seen:
            continue
        seen.append(key)
        if key not in keys:
            todo += [need for s in _ALL if s.key == key for need in s.needs]
    return tuple(k for k in seen if k in keys)


def ready_early(stage: Stage, left: set[str]) -> bool:
    """Whether a stage may start while the input kinds `left` are still to be ingested: it names the
    kinds it reads, none of them is left, and it needs no other stage."""
    return stage.reads is not None and not set(stage.reads) & left and not needs_of(stage)


def run_stages(con: Connection, run_id: str, settings: Settings) -> dict[str, Any]:
    """Every stage in flow order without Prefect; the summary by stage key (the ledger is not moved)."""
    return {s.key: s.run(con, run_id, settings) for s in STAGES}
