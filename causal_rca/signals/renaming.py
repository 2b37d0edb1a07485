"""Renamed categories: unseen category names that are the reference's categories written anew.

A new market or segment adds categories of its own, with shares of its own. An upstream
re-encoding (``'no'`` → ``'LIM-00'``, ``'strong_dem'`` → ``'Strong Dem '``) writes the *same*
categories under new names: every new name stands for one reference category, so either the
names match once case, spacing and punctuation are ignored (one such name is enough: ``'no'``
→ ``'No'``), or they match once one tag that several new names share is stripped (``'south'`` →
``'SEG_SOUTH'``, ``'north'`` → ``'SEG_NORTH'``), or the new names' shares reproduce the
reference's share profile one for one. The profile only counts as evidence when it has a shape
to reproduce: the new names' counts must be unlike an even split (chi-square at 1%) and like the reference profile paired by rank (a
two-sample chi-square that does not reject at 1%), both at the windows' own counts.
"""

from __future__ import annotations

import os
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
    by: str  # "names", "tag" (names under one added prefix or suffix) or "shares"
    p_profile: float  # two-sample chi-square of the rank-paired profiles (1.0 when matched by names)


def normalised_name(category: str) -> str:
    """A category's name without case, spacing or punctuation: what a re-formatting keeps."""
    return re.sub(r"[\W_]+", "", str(category).casefold())


def names_under_one_tag(by_name: Mapping[str, str], new_names: list[str]) -> list[tuple[str, str]] | None:
    """The new names as the reference's names under one added prefix or suffix (``'south'`` →
    ``'SEG_SOUTH'``, ``'north'`` → ``'SEG_NORTH'``), or None.

    Several new names must share the tag and each, stripped of it, must be a different reference
    category: a new market may borrow one known name (``'south_east'``), not every name under
    one tag, and a tag that is itself a known name (``'south'`` and ``'north'`` joined with ``'east'``)
    is a new combination, not a renaming."""
    normal = [normalised_name(k) for k in new_names]
    if len(normal) < 2:
        return None
    prefix = os.path.commonprefix(normal)
    suffix = os.path.commonprefix([n[::-1] for n in normal])[::-1]
    for head in range(len(prefix) + 1):
        for tail in range(len(suffix) + 1):
            tag = normal[0][:head] + normal[0][len(normal[0]) - tail:]
            if len(tag) < 2 or tag in by_name:  # 'south' + 'east' → 'south_east' joins two known names
                continue
            stripped = [n[head:len(n) - tail] for n in normal]
            if all(stripped) and len(set(stripped)) == len(stripped) and all(k in by_name for k in stripped):
                return [(by_name[k], name) for k, name in zip(stripped, new_names)]
    return None


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
        tagged = names_under_one_tag(by_name, list(new_counts))
        if tagged is not None:
            return Renaming(tagged, "tag", 1.0)
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
