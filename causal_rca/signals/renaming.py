"""Renamed categories: unseen category names that are the reference's categories written anew.

A new market or segment adds categories of its own, with shares of its own. An upstream
re-encoding (``'no'`` → ``'LIM-00'``, ``'strong_dem'`` → ``'Strong Dem '``) writes the *same*
categories under new names: every new name stands for one reference category, so either the
names match once case, spacing and punctuation are ignored (one such name is enough: ``'no'``
→ ``'No'``), or the new names' shares reproduce the reference's share profile one for one. The
profile only counts as evidence when it has a shape to reproduce: the new names' counts must be
unlike an even split (chi-square at 1%) and like the reference profile paired by rank (a
two-sample chi-square that does not reject at 1%), both at the windows' own counts.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Mapping

from scipy import stats

from causal_rca.signals.statistics import chi_square_counts

SIGNIFICANCE = 0.01


@dataclass(frozen=True)
class Renaming:
    """How the unseen names were matched to the reference's categories."""

    pairs: list[tuple[str, str]]  # (reference category, new name)
    by: str  # "names" or "shares"
    p_profile: float  # two-sample chi-square of the rank-paired profiles (1.0 when matched by names)


def normalised_name(category: str) -> str:
    """A category's name without case, spacing or punctuation: what a re-formatting keeps."""
    return re.sub(r"[\W_]+", "", str(category).casefold())


def renamed_categories(ref_counts: Mapping[str, int], new_counts: Mapping[str, int]) -> Renaming | None:
    """The unseen names as the reference's categories renamed, or None when they are not."""
    if not ref_counts or not new_counts:
        return None
    by_name = {normalised_name(k): k for k in ref_counts}
    if len(by_name) == len(ref_counts):
        matched = [(by_name.get(normalised_name(k)), k) for k in new_counts]
        # One name is enough here: a new market is not spelt like a category the log already has.
        if all(ref for ref, _ in matched):
            return Renaming(matched, "names", 1.0)
    if len(ref_counts) < 2 or len(new_counts) < 2:
        return None  # one share has no profile to reproduce
    n_ref, n_new = sum(ref_counts.values()), sum(new_counts.values())
    ref_sorted = sorted(ref_counts.items(), key=lambda kv: -kv[1])
    # Reference categories too rare to show among the new rows may be missing from them.
    expected_present = [k for k, v in ref_sorted if v / n_ref * n_new >= 1.0]
    if not len(expected_present) <= len(new_counts) <= len(ref_sorted):
        return None
    new_sorted = sorted(new_counts.items(), key=lambda kv: -kv[1])
    k = len(new_sorted)
    if stats.chisquare([v for _, v in new_sorted]).pvalue >= SIGNIFICANCE:
        return None  # an even split: no profile to recognise
    _, p_profile = chi_square_counts({str(i): v for i, (_, v) in enumerate(ref_sorted[:k])},
                                     {str(i): v for i, (_, v) in enumerate(new_sorted)})
    if p_profile < SIGNIFICANCE:
        return None
    return Renaming([(r, n) for (r, _), (n, _) in zip(ref_sorted, new_sorted)], "shares", p_profile)
