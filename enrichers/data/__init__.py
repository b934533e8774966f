"""The data the enrichers read at run time, shipped inside the package (issue 15).

The top-level ``keywords/`` package (lexicon, exclusions, patterns, screen weights, licensed-list spec,
sentiment word lists, trained models), the name rules, relation rules and GB/T 4754 tables are package data: they are reached
with importlib.resources, never by walking up from ``__file__``, so an installed wheel finds them as well
as a source checkout. Declared in pyproject's ``[tool.setuptools.package-data]``; tests/test_wheel.py
checks that the wheel carries every one of them.
"""

from __future__ import annotations

from importlib.resources import files
from importlib.resources.abc import Traversable
from pathlib import Path

__all__ = ["resource", "source_path"]


def resource(*parts: str) -> Traversable:
    """A packaged data file or folder, e.g. ``resource("keywords", "lexicon.csv")``.

    ``keywords`` is the top-level package of that name (the lexicon keeps its place in DESIGN.md's
    layout); everything else lives beside this module.
    """
    if parts and parts[0] == "keywords":
        node, parts = files("keywords"), parts[1:]
    else:
        node = files(__name__)
    for part in parts:
        node = node / part
    return node


def source_path(*parts: str) -> Path:
    """The data file's place on disk, for the training scripts that rewrite an artifact in a checkout."""
    node = resource(*parts)
    if not isinstance(node, Path):
        raise RuntimeError(f"{'/'.join(parts)} is not a file on disk (zipped install?)")
    return node
