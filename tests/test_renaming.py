"""Renamed categories: the reference's categories under new names, or a new segment of their own."""

from hypothesis import given, settings, strategies as hst

from causal_rca.diagnosis.classify import classify
from causal_rca.lineage import graph_from_dict
from causal_rca.signals.detect import Signal
from causal_rca.signals.renaming import normalised_name, renamed_categories

REFERENCE = {"no": 1680, "yes": 320}


def test_new_names_with_the_reference_profile_are_a_renaming():
    r = renamed_categories(REFERENCE, {"LIM-00": 1510, "LIM-01": 290})
    assert r is not None and r.by == "shares"
    assert r.pairs == [("no", "LIM-00"), ("yes", "LIM-01")]


def test_reformatted_names_are_a_renaming_whatever_their_shares():
    r = renamed_categories({"strong_dem": 500, "weak_dem": 400, "indep": 300},
                           {"Strong Dem ": 50, "Weak-Dem": 400, "INDEP": 10})
    assert r is not None and r.by == "names"


def test_names_under_one_added_tag_are_a_renaming_whatever_their_shares():
    ref = {"south": 1844, "north": 1558, "east": 1243, "west": 730, "cross_border": 300}
    new = {"SEG_SOUTH": 4893, "SEG_NORTH": 3623, "SEG_EAST": 2680, "SEG_WEST": 1729, "SEG_CROSS_BORDER": 657}
    r = renamed_categories(ref, new)
    assert r is not None and r.by == "tag" and ("cross_border", "SEG_CROSS_BORDER") in r.pairs
    r = renamed_categories(ref, {"south-v2": 900, "North V2": 100})
    assert r is not None and sorted(r.pairs) == [("north", "North V2"), ("south", "south-v2")]


def test_known_names_joined_are_new_segments_not_a_renaming():
    ref = {"south": 1844, "north": 1558, "east": 1243}
    assert renamed_categories(ref, {"south_east": 400, "north_east": 300}) is None  # the tag is a known name
    assert renamed_categories(ref, {"south_x": 400}) is None  # one name: no tag shared
    assert renamed_categories(ref, {"southx": 400, "northx": 300}) is None  # a one-letter tag


def test_one_new_category_is_a_new_segment():
    assert renamed_categories(REFERENCE, {"island_c": 400}) is None


def test_one_category_written_anew_is_a_renaming():
    r = renamed_categories({"no": 800, "yes": 200}, {"No": 790})
    assert r is not None and r.by == "names" and r.pairs == [("no", "No")]


def test_an_even_split_has_no_profile_to_recognise():
    assert renamed_categories({"a": 500, "b": 500}, {"x": 260, "y": 240}) is None


def test_a_different_profile_is_not_a_renaming():
    assert renamed_categories(REFERENCE, {"x": 300, "y": 1500, "z": 10}) is None  # more names than categories
    assert renamed_categories(REFERENCE, {"x": 1100, "y": 700}) is None  # 61/39 against 84/16


def test_rare_reference_categories_may_be_missing_among_few_new_rows():
    ref = {"a": 6000, "b": 3000, "c": 10}
    assert renamed_categories(ref, {"A1": 60, "B1": 30}) is not None


@settings(max_examples=40, deadline=None)
@given(hst.lists(hst.from_regex(r"[a-z][a-z0-9 _-]{0,7}", fullmatch=True), min_size=2, max_size=6,
                 unique_by=normalised_name))
def test_any_reformatting_of_the_names_is_recognised(names):
    ref = {n: 100 + 7 * i for i, n in enumerate(names)}
    new = {f" {n.upper()}_": v for n, v in ref.items()}
    r = renamed_categories(ref, new)
    assert r is not None and sorted(r.pairs) == sorted((n, f" {n.upper()}_") for n in names)


def test_renamed_categories_are_a_schema_change_and_a_new_one_out_of_distribution():
    g = graph_from_dict({"version": 1, "name": "c", "nodes": {
        "a": {"kind": "source", "column": "a"},
        "m": {"kind": "model", "parents": ["a"], "column": "s"},
        "y": {"kind": "label", "parents": ["a"], "column": "y"},
        "r": {"kind": "metric", "parents": ["m", "y"], "metric": "recall"}}})
    new = Signal("a", "new_categories", 0.0, 0.9, 1e-12, 0.9, "", p_adjusted=1e-12)
    renamed = Signal("a", "renamed_categories", 2, 2, 1e-12, 0.9, "", p_adjusted=1e-12)
    assert classify(g, "a", [new], None)[0] == "out_of_distribution"
    mode, decided_by, _ = classify(g, "a", [new, renamed], None)
    assert mode == "schema_change" and "renamed_categories" in decided_by
