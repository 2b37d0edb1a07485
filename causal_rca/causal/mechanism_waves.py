"""The order the parallel mechanism tests are finished in: speculative answers, then the reruns in waves.

``mechanism.assess_mechanisms`` tests nodes in topological order because a node
below a broken one is judged only on the rows its broken ancestors still explain.
With worker processes the tests first run as if no parent broke; the nodes whose
parents did break are rerun here, as many at a time as their parents allow,
each with the very arguments the sequential pass gives it, so the answer is the
sequential one.
"""

from __future__ import annotations

from typing import Any, Callable

from causal_rca.causal.workers import run_calls


def nodes_below(order: list[str], parents_of: dict[str, tuple[str, ...]], nodes: set[str]) -> set[str]:
    """The nodes of ``order`` (topological) with one of ``nodes`` among their ancestors."""
    below: set[str] = set()
    for node_id in order:
        if any(p in nodes or p in below for p in parents_of[node_id]):
            below.add(node_id)
    return below


def in_waves(order: list[str], parents_of: dict[str, tuple[str, ...]], ahead: dict[str, Any],
             upstream: Callable, test_call: Callable, finish: Callable, workers: int, test: Callable) -> None:
    """Finish every node of ``order``, running the tests the speculative pass could not answer in waves.

    ``upstream(node)``: (inherited masks, rows its finished parents still explain, or None);
    ``test_call(node, rows)``: the (args, kwargs) of its ``test``; ``finish(node, result)`` records it.

    A node is ready once its parents are finished; a ready node whose parents all behaved (no rows
    to leave out) takes its speculative answer, the others are tested together on ``workers``
    processes, then finished in order. Each test is the call the sequential pass makes, so the
    results are the same; the reruns below a broken node no longer run one at a time.
    """
    position = {node_id: i for i, node_id in enumerate(order)}
    remaining = list(order)
    done: set[str] = set()
    while remaining:
        wave, later = [], []
        for node_id in remaining:
            # the parents the sequential pass has finished before this node (those earlier in ``order``)
            if any(position.get(p, len(order)) < position[node_id] and p not in done for p in parents_of[node_id]):
                later.append(node_id)
                continue
            upstream_ok = upstream(node_id)[1]
            if not parents_of[node_id] or (upstream_ok is None and node_id in ahead):
                finish(node_id, ahead.get(node_id))
                done.add(node_id)
            else:
                wave.append((node_id, upstream_ok))
        for (node_id, _ok), result in zip(wave, run_calls(test, (test_call(n, ok) for n, ok in wave),
                                                           workers if len(wave) > 1 else 1)):
            finish(node_id, result)
            done.add(node_id)
        remaining = later
