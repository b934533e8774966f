"""Vendor payload -> normalised record, driven by a declarative mapping (configuration as data).

A provider describes each section of the record (see model.py) as a ``Spec``: an ordered dict from
output field to either

* a ``Field`` -- a converter (``text``, ``to_date`` or ``raw``) applied to the first truthy value among
  vendor keys tried in order (``a or b``: if none is truthy, the last key's value). A key may reach into
  a sub-object with a dot (``"Area.City"``); a sub-object that is not a dict counts as empty; or
* a ``Derived`` -- a function called with values built from ``Field``s of the vendor item and ``Ref``s
  to fields of the output mapped earlier in the same spec (e.g. the province from uscc, code, address).

``VendorMapping.normalise`` applies one vendor's specs to its payloads; the envelope (where the basic
dict, the item list and the total sit) is the vendor's three small accessor functions.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, NamedTuple

from enrichers.registry.model import empty_record, text, to_date

if TYPE_CHECKING:
    from enrichers.registry.base import Subject

Item = dict[str, Any]
TOTALS = {"abnormal_total": "abnormal", "lawsuit_total": "lawsuits"}


class Field(NamedTuple):
    convert: Callable[[Any], Any]
    keys: tuple[str, ...]


class Ref(NamedTuple):
    """A field of the output already mapped (earlier in the same spec)."""

    name: str


class Derived(NamedTuple):
    fn: Callable[..., Any]
    args: tuple[Field | Ref, ...]


Spec = Mapping[str, Field | Derived]


def _identity(value: Any) -> Any:
    return value


def text_of(*keys: str) -> Field:
    return Field(text, keys)


def date_of(*keys: str) -> Field:
    return Field(to_date, keys)


def raw(*keys: str) -> Field:
    """The vendor's value untouched (for helpers that parse it themselves)."""
    return Field(_identity, keys)


def derived(fn: Callable[..., Any], *args: Field | Ref) -> Derived:
    return Derived(fn, args)


def _get(item: Item, key: str) -> Any:
    *parents, last = key.split(".")
    for part in parents:
        sub = item.get(part)
        item = sub if isinstance(sub, dict) else {}
    return item.get(last)


def _pick(item: Item, keys: tuple[str, ...]) -> Any:
    value = None
    for key in keys:
        value = _get(item, key)
        if value:
            return value
    return value


def _value(arg: Field | Ref, item: Item, out: Item) -> Any:
    if isinstance(arg, Ref):
        return out[arg.name]
    return arg.convert(_pick(item, arg.keys))


def apply(spec: Spec, item: Item) -> dict[str, Any]:
    """One vendor item mapped to one output dict, fields in the spec's order."""
    out: dict[str, Any] = {}
    for name, rule in spec.items():
        if isinstance(rule, Derived):
            out[name] = rule.fn(*(_value(arg, item, out) for arg in rule.args))
        else:
            out[name] = _value(rule, item, out)
    return out


@dataclass(frozen=True)
class VendorMapping:
    """One vendor: its specs plus where its envelope keeps the basic dict, the items and the total."""

    basic: Spec
    sections: Mapping[str, Spec]
    basic_of: Callable[[Any], Any]
    items_of: Callable[[Any], list[Item]]
    total_of: Callable[[Any], int | None]

    def normalise(self, subject: Subject, payloads: dict[str, Any]) -> dict[str, Any]:
        record = empty_record(subject.uscc, subject.name)
        base = self.basic_of(payloads.get("basic"))
        if isinstance(base, dict):
            basic = apply(self.basic, base)
            basic["name"] = basic["name"] or subject.name
            record["basic"] = basic
        items = {key: self.items_of(payloads.get(key)) for key in self.sections}
        for total, section in TOTALS.items():
            record[total] = self.total_of(payloads.get(section))
        for key, spec in self.sections.items():
            record[key] = [apply(spec, item) for item in items[key]]
        return record
