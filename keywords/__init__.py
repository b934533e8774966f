"""The sensitive-word lexicon as data (DESIGN.md's top-level ``keywords/``): CSV/TOML files with category,
weight and citation per term, the sentiment word lists and the trained screen models.

A package only so that it ships as package data and is read with importlib.resources
(``enrichers.data.resource("keywords", …)``) from a source checkout and an installed wheel alike.
"""
