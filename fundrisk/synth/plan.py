"""Global plan: who is what (kinds, planted schemes, repeat offenders, distractors) before any row is built."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from fundrisk.synth.industries import FINANCIAL_INSTITUTIONS, INDUSTRY_INDEX, PUBLIC_INSTITUTIONS
from fundrisk.synth.names import SHOP_TYPES
from fundrisk.synth.schemes import COOP_SCHEMES, SCHEME_WEIGHTS, SCHEMES, SHOP_SCHEMES

COMPANY, INDIVIDUAL, COOP, FIN, PUBLIC = 0, 1, 2, 3, 4
KIND_NAMES = ["company", "individual", "cooperative", "licensed_fi", "public_institution"]
SHARED = ["id", "phone", "address", "brand"]
GROUNDS = ["listed", "confirmed", "revoked"]
_SHOP_INDEX = {s[0]: i for i, s in enumerate(SHOP_TYPES)}


@dataclass
class Plan:
    """Per-entity arrays (length N) and the index sets of special roles."""

    n: int
    kind: np.ndarray  # int8
    scheme: np.ndarray  # int8, -1 = not planted
    override: np.ndarray  # int16: industry / shop / coop type for planted rows, -1 = none
    special: np.ndarray  # bool: rows kept in memory for the event generators
    fixed_name: np.ndarray  # int16: index into FINANCIAL_INSTITUTIONS + PUBLIC_INSTITUTIONS, -1 = none
    priors: np.ndarray  # planted entities with a prior risk finding
    prior_ground: np.ndarray  # index into GROUNDS
    repeaters: np.ndarray  # new registrations tied to priors (same order as rep_prior)
    rep_prior: np.ndarray
    rep_shared: np.ndarray  # index into SHARED
    single_transfer: np.ndarray  # ordinary entities with one large transfer alert
    retail_alert: np.ndarray  # ordinary individual shops with many small payers
    noise: np.ndarray  # ordinary entities with non-financial complaints
    inspected: np.ndarray  # ordinary entities inspected in the campaign
    listed_other: np.ndarray  # ordinary entities on the provincial list


def _pick(rng: np.random.Generator, pool: np.ndarray, k: int) -> np.ndarray:
    k = min(k, pool.size)
    return np.sort(rng.choice(pool, size=k, replace=False)) if k else np.empty(0, dtype=np.int64)


def make_plan(rng: np.random.Generator, n: int) -> Plan:
    """Decide every entity's role; cheap (a few numpy passes over N)."""
    kind = rng.choice(3, size=n, p=[0.5, 0.42, 0.08]).astype(np.int8)
    fixed_name = np.full(n, -1, dtype=np.int16)
    k_fi = min(len(FINANCIAL_INSTITUTIONS), n // 50)
    k_pub = min(len(PUBLIC_INSTITUTIONS), n // 500)
    fixed = rng.choice(n, size=k_fi + k_pub, replace=False)
    kind[fixed[:k_fi]] = FIN
    kind[fixed[k_fi:]] = PUBLIC
    fixed_name[fixed] = np.arange(k_fi + k_pub)
    taken = np.zeros(n, dtype=bool)
    taken[fixed] = True

    scheme = np.full(n, -1, dtype=np.int8)
    override = np.full(n, -1, dtype=np.int16)
    n_planted = max(1, round(n * 0.03)) if n >= 30 else 0
    # Mostly companies; some shops and cooperatives.
    quotas = {COMPANY: 0.75, INDIVIDUAL: 0.15, COOP: 0.10}
    planted_parts = []
    for k, share in quotas.items():
        planted_parts.append(_pick(rng, np.flatnonzero((kind == k) & ~taken), round(n_planted * share)))
    planted = np.sort(np.concatenate(planted_parts))
    taken[planted] = True
    _assign_schemes(rng, planted, kind, scheme, override)

    # Priors: planted companies with a risk finding; repeaters: later, ordinary-looking companies.
    p_companies = planted[kind[planted] == COMPANY]
    priors = _pick(rng, p_companies, max(1, round(planted.size * 0.12)) if p_companies.size >= 5 else 0)
    candidates = np.flatnonzero((kind == COMPANY) & ~taken)
    pos = np.searchsorted(candidates, priors, side="right")
    room = candidates.size - pos
    ok = room > 0
    reps = (
        candidates[
            np.minimum(
                pos + (rng.random(priors.size) * np.maximum(room, 1)).astype(np.int64),
                max(candidates.size - 1, 0),
            )
        ]
        if candidates.size
        else priors[:0]
    )
    reps, first = np.unique(np.where(ok, reps, -1), return_index=True)
    keep = reps >= 0
    repeaters, rep_prior = reps[keep], priors[first[keep]]
    rep_shared = rng.integers(0, len(SHARED), repeaters.size)
    prior_ground = rng.integers(0, len(GROUNDS), priors.size)
    taken[repeaters] = True
    # Half of the repeaters are back at it: planted with the prior's scheme and cover.
    again = repeaters[rng.random(repeaters.size) < 0.5]
    prior_of = dict(zip(repeaters.tolist(), rep_prior.tolist(), strict=True))
    for r in again.tolist():
        scheme[r] = scheme[prior_of[r]]
        override[r] = override[prior_of[r]]

    ordinary = np.flatnonzero(~taken & (kind <= COOP))
    single = _pick(rng, ordinary[kind[ordinary] == COMPANY], max(1, round(n * 0.003)))
    retail = _pick(rng, ordinary[kind[ordinary] == INDIVIDUAL], round(n * 0.001))
    noise = _pick(rng, ordinary, max(1, round(n * 0.005)))
    inspected = _pick(rng, ordinary, round(n * 0.035))
    listed_other = _pick(rng, ordinary, max(1, round(planted.size * 0.02)) if n >= 30 else 0)
    special = taken.copy()
    for arr in (single, retail, noise, inspected, listed_other):
        special[arr] = True
    return Plan(
        n,
        kind,
        scheme,
        override,
        special,
        fixed_name,
        priors,
        prior_ground,
        repeaters,
        rep_prior,
        rep_shared,
        single,
        retail,
        noise,
        inspected,
        listed_other,
    )


def _assign_schemes(
    rng: np.random.Generator, planted: np.ndarray, kind: np.ndarray, scheme: np.ndarray, override: np.ndarray
) -> None:
    """Scheme and cover (industry, shop type or cooperative type) for each planted entity."""
    w = np.array(SCHEME_WEIGHTS) / sum(SCHEME_WEIGHTS)
    draws = rng.random((planted.size, 3))
    for row, i in enumerate(planted.tolist()):
        u = draws[row]
        if kind[i] == COOP:
            s = COOP_SCHEMES[int(u[0] * len(COOP_SCHEMES))]
            override[i] = int(u[1] * 3)
        elif kind[i] == INDIVIDUAL:
            s = SHOP_SCHEMES[int(u[0] * len(SHOP_SCHEMES))]
            shops = SCHEMES[s].shops or ("保健品店",)
            override[i] = _SHOP_INDEX[shops[int(u[1] * len(shops))]]
        else:
            s = int(np.searchsorted(np.cumsum(w), u[0] * 0.999999))
            sch = SCHEMES[s]
            names = sch.telling if sch.telling and u[2] < 0.35 else sch.covers
            override[i] = INDUSTRY_INDEX[names[int(u[1] * len(names))]]
        scheme[i] = s
