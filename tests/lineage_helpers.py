"""Graphs and checks shared by the lineage tests: a base graph with dotted-path changes, the error a graph raises."""

from __future__ import annotations

import copy
from pathlib import Path

import pytest

from causal_rca.errors import InputError
from causal_rca.lineage import graph_from_dict, graph_from_yaml


ROOT = Path(__file__).resolve().parents[1]
FRAUD = ROOT / "graphs" / "fraud.yaml"

BASE = {
    "version": 1,
    "name": "t",
    "nodes": {
        "amount": {"kind": "source", "column": "amount"},
        "amount_z": {"kind": "feature", "parents": ["amount"], "column": "amount_z"},
        "model": {"kind": "model", "parents": ["amount_z"], "column": "score"},
        "y": {"kind": "label", "parents": ["amount"], "column": "y"},
        "acc": {"kind": "metric", "parents": ["model", "y"], "metric": "accuracy"},
    },
}


DROP = object()


def graph(**changes: object) -> dict:
    """BASE with dotted-path overrides: graph(**{"nodes.model.parents": []}); DROP deletes the key."""
    return _changed(BASE, changes)


def _changed(base: dict, changes: dict[str, object]) -> dict:
    data = copy.deepcopy(base)
    for dotted, value in changes.items():
        *head, last = dotted.split(".")
        target = data
        for part in head:
            target = target[part]
        if value is DROP:
            del target[last]
        else:
            target[last] = value
    return data


def error(data: object, path: str = "g.yaml") -> str:
    with pytest.raises(InputError) as info:
        graph_from_dict(data, path)  # type: ignore[arg-type]
    return str(info.value)


def yaml_error(text: str, path: str = "g.yaml") -> str:
    with pytest.raises(InputError) as info:
        graph_from_yaml(text, path)
    return str(info.value)
