"""Putting a failed service back, and how replay draws lost values (model/replay*.py).

A small synthetic lender: a bureau service (unobserved) sends a score, a
count of delinquencies (mostly 0) and a monthly debt (null when there is no
record). On 30% of the current calls the service timed out and the decision
service filled its fallbacks (650, 0, null), values a healthy answer also
gives. The tests know which calls failed; the engine does not.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from threadpoolctl import threadpool_limits

from causal_rca.lineage.loader import graph_from_dict
from causal_rca.metrics import MetricSpec, compute_metric, metric_frame
from causal_rca.model.replay import replay
from causal_rca.model.replay_context import ReplayContext
from causal_rca.model.replay_impute import identifier_codes
from causal_rca.model.replay_mechanisms import NumericMechanism
from causal_rca.model.replay_service import one_service, replayed_nodes, service_hits

SPEC = MetricSpec(name="roc_auc", threshold=0.5, positive=1)
GRAPH = graph_from_dict({
    "version": 1, "name": "lender",
    "nodes": {
        "income": {"kind": "source", "column": "income"},
        "bureau": {"kind": "infra"},
        "score": {"kind": "source", "parents": ["bureau"], "column": "score"},
        "delinquencies": {"kind": "source", "parents": ["bureau"], "column": "delinquencies"},
        "debt": {"kind": "source", "parents": ["bureau"], "column": "debt"},
        "model": {"kind": "model", "parents": ["income", "score", "delinquencies", "debt"], "column": "pd"},
        "defaulted": {"kind": "label", "parents": ["income", "score", "delinquencies"], "column": "defaulted"},
        "roc_auc": {"kind": "metric", "parents": ["model", "defaulted"], "metric": "roc_auc"},
    },
})
DTYPES = {"income": "numeric", "score": "numeric", "delinquencies": "numeric", "debt": "numeric",
          "model": "numeric", "defaulted": "numeric"}
FIELDS = ("debt", "delinquencies", "score")


@pytest.fixture(autouse=True, scope="module")
def _one_thread():
    with threadpool_limits(limits=1, user_api="openmp"):
        yield


def _risk(frame: pd.DataFrame) -> np.ndarray:
    """The model (and, with noise, the truth): a low score and past delinquencies raise the risk."""
    return (-2.0 - 0.02 * (frame["score"].to_numpy(float) - 650) + 0.8 * frame["delinquencies"].to_numpy(float)
            + 0.3 * frame["income"].to_numpy(float))


def _applications(rng: np.random.Generator, n: int) -> pd.DataFrame:
    income = rng.normal(size=n)
    frame = pd.DataFrame({
        "income": income,
        "score": np.round(np.clip(650 + 30 * income + rng.normal(0, 50, n), 300, 850)),
        "delinquencies": rng.poisson(0.35, n).astype(float),
        "debt": np.where(rng.random(n) < 0.2, np.nan, np.round(rng.lognormal(6, 0.5, n))),
    })
    frame["defaulted"] = (rng.random(n) < 1 / (1 + np.exp(-_risk(frame)))).astype(float)
    return frame


def _score(frame: pd.DataFrame) -> np.ndarray:
    return 1 / (1 + np.exp(-_risk(frame)))


@pytest.fixture(scope="module")
def timeouts() -> tuple[ReplayContext, np.ndarray, pd.DataFrame]:
    """(context, which current calls failed, the current rows as they were before the fault)."""
    rng = np.random.default_rng(11)
    ref, healthy = _applications(rng, 10000), _applications(rng, 10000)
    failed = rng.random(len(healthy)) < 0.3
    cur = healthy.copy()
    cur.loc[failed, "score"], cur.loc[failed, "delinquencies"], cur.loc[failed, "debt"] = 650.0, 0.0, np.nan
    for frame in (ref, cur, healthy):
        frame["model"] = _score(frame)
    value = compute_metric(SPEC, metric_frame(SPEC, ref["model"], ref["defaulted"]))
    half = 0.012  # the reference AUC's 95% half-width at this size, about
    ctx = ReplayContext(GRAPH, SPEC, DTYPES, ref, cur, "model", "defaulted", ("income", "score", "delinquencies",
                        "debt"), _score, value, (value - half, value + half), 5)
    return ctx, failed, healthy


def _ctx_stub() -> ReplayContext:
    return ReplayContext(GRAPH, SPEC, DTYPES, pd.DataFrame(), pd.DataFrame(), "model", "defaulted", (), _score,
                         0.0, (0.0, 0.0), 0)


def test_a_service_stands_for_all_the_fields_it_sends() -> None:
    assert replayed_nodes(GRAPH, "bureau", DTYPES) == FIELDS
    assert replayed_nodes(GRAPH, "score", DTYPES) == ("score",)
    assert one_service(_ctx_stub(), FIELDS) and not one_service(_ctx_stub(), ("income", "score"))


def test_the_failed_calls_are_found_by_row_and_healthy_defaults_are_left_alone(timeouts) -> None:
    ctx, failed, _healthy = timeouts
    hits = service_hits(ctx, FIELDS, ctx.current)
    # Per field, a fallback 0 delinquencies or a null debt looks like most healthy answers; per row it does not.
    assert (hits == failed).mean() > 0.99, ((hits & ~failed).sum(), (~hits & failed).sum())
    cur = ctx.current
    natural = ~failed & (cur["delinquencies"].to_numpy() == 0) & cur["debt"].isna().to_numpy()
    # Only a healthy answer that also has a score of 650 or beyond the reference's range looks like a
    # failed call (0.1% of the healthy rows here); the others keep their natural zeros and nulls.
    assert natural.sum() > 500 and hits[natural].mean() < 0.01, hits[natural].mean()
    assert hits[~failed].mean() < 0.005


def test_putting_the_service_back_recovers_the_metric_and_keeps_healthy_rows(timeouts) -> None:
    ctx, failed, healthy = timeouts
    truth = compute_metric(SPEC, metric_frame(SPEC, healthy["model"], healthy["defaulted"]))
    fixed = replay(ctx, FIELDS)
    assert fixed.baseline < ctx.reference_value - 0.03  # the timeouts cost the model its ranking
    assert fixed.ci[0] <= truth <= fixed.ci[1], (truth, fixed)
    assert fixed.matches_reference and fixed.recovered_share > 0.7, fixed
    assert abs(fixed.rows_changed - failed.mean()) < 0.01
    wrong = replay(ctx, ("income",))
    assert not wrong.matches_reference and abs(wrong.recovered_share) < 0.1, wrong


def test_drawn_values_carry_the_noise_of_unseen_rows() -> None:
    """y = x0 + N(0, 1) among 30 irrelevant inputs: a flexible fit explains its own rows too well, so
    values drawn around it with in-sample residuals would be too tight (replays would beat the reference)."""
    rng = np.random.default_rng(2)
    X = rng.normal(size=(9000, 30))
    y = X[:, 0] + rng.normal(size=9000)
    mech = NumericMechanism(X[:6000], y[:6000], 0, (X[6000:], y[6000:]))
    in_sample = np.std(y[:6000] - mech.predict(X[:6000]))
    X_new = rng.normal(size=(4000, 30))
    spread = np.std(mech.draw(X_new, rng) - X_new[:, 0])
    assert in_sample < 0.9 and 0.9 < spread < 1.15, (in_sample, spread)
    # Without held-out rows, two folds of the fit rows give the same honesty.
    spread_folds = np.std(NumericMechanism(X[:6000], y[:6000], 0).draw(X_new, rng) - X_new[:, 0])
    assert 0.9 < spread_folds < 1.15, spread_folds


def test_a_drawn_count_stays_a_count_and_an_amount_stays_positive() -> None:
    rng = np.random.default_rng(4)
    X = rng.normal(size=(3000, 3))
    counts = rng.poisson(np.exp(0.5 * X[:, 0])).astype(float)
    amounts = np.exp(X[:, 0] + rng.normal(size=3000))
    for y in (counts, amounts):
        drawn = NumericMechanism(X, y, 0).draw(rng.normal(size=(2000, 3)), rng)
        assert np.isin(drawn, y).all()  # donors' values: never between the levels, never below zero


def test_codes_are_told_from_counts() -> None:
    rng = np.random.default_rng(5)
    mcc = rng.choice([4121.0, 5411, 5541, 5812, 5912, 5999, 7995], 5000)
    assert identifier_codes(mcc)
    assert not identifier_codes(rng.poisson(2.0, 5000).astype(float))  # a count
    assert not identifier_codes(rng.normal(size=5000))  # a quantity
    assert not identifier_codes(rng.choice([0.0, 10.0], 5000))  # a two-level flag
