"""A scoring factor is three things that must agree (docs/EXTENDING.md): its function in
scoring/factors.py FACTORS, its evidence sentence in scoring/reasons.py EVIDENCE and its points in
weights.toml. A factor missing from one of them would score silently without a reason, or never score."""

from __future__ import annotations

import tomllib
from importlib import resources

import pytest

from scoring.factors import FACTORS
from scoring.reasons import EVIDENCE


def weights_points() -> dict[str, object]:
    """The [points] table of the weights file the scoring package ships (wherever the package lives)."""
    text = (resources.files("scoring") / "weights.toml").read_text(encoding="utf-8")
    return dict(tomllib.loads(text)["points"])


def factor_mismatches(factors: set[str], evidence: set[str], points: dict[str, object]) -> list[str]:
    """Every disagreement between the three homes of a factor, one line each (empty when they agree)."""
    problems = [f"factor {n!r} has no evidence in scoring/reasons.py EVIDENCE" for n in factors - evidence]
    problems += [f"factor {n!r} has no points in weights.toml [points]" for n in factors - set(points)]
    problems += [f"EVIDENCE names unknown factor {n!r}" for n in evidence - factors]
    problems += [f"weights.toml [points] names unknown factor {n!r}" for n in set(points) - factors]
    problems += [
        f"weights.toml [points] {n} = {v!r} is not a number of points >= 0"
        for n, v in points.items()
        if isinstance(v, bool) or not isinstance(v, int | float) or v < 0
    ]
    return sorted(problems)


def test_every_factor_has_evidence_and_weight_and_nothing_else_is_named():
    assert factor_mismatches(set(FACTORS), set(EVIDENCE), weights_points()) == []


def test_every_factor_has_a_chinese_label_and_reason_in_its_docstring():
    """The docstring is the published reason (weights_table) and `label：` heads every evidence sentence."""
    for name, fn in FACTORS.items():
        doc = (fn.__doc__ or "").strip()
        label, sep, reason = doc.partition("：")
        assert sep and label and reason, f"{name}: docstring must read '标签：理由', got {doc!r}"


@pytest.mark.parametrize(
    ("factors", "evidence", "points", "expected"),
    [
        (
            {"a", "b"},
            {"a"},
            {"a": 1.0, "b": 2.0},
            ["factor 'b' has no evidence in scoring/reasons.py EVIDENCE"],
        ),
        ({"a", "b"}, {"a", "b"}, {"a": 1.0}, ["factor 'b' has no points in weights.toml [points]"]),
        ({"a"}, {"a", "z"}, {"a": 1.0}, ["EVIDENCE names unknown factor 'z'"]),
        ({"a"}, {"a"}, {"a": 1.0, "z": 3.0}, ["weights.toml [points] names unknown factor 'z'"]),
        ({"a"}, {"a"}, {"a": "ten"}, ["weights.toml [points] a = 'ten' is not a number of points >= 0"]),
        ({"a"}, {"a"}, {"a": -1}, ["weights.toml [points] a = -1 is not a number of points >= 0"]),
        ({"a"}, {"a"}, {"a": 0}, []),
    ],
)
def test_the_check_names_each_kind_of_mismatch(factors, evidence, points, expected):
    assert factor_mismatches(factors, evidence, points) == expected
