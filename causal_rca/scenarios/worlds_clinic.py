"""A clinic's disease-progression regression, on real patients (scikit-learn's bundled diabetes data).

The 442 patients of ``load_diabetes`` (raw units: age in years, BMI, mean blood
pressure in mmHg, six blood serum measurements) are split once: a training set
and a pool the monthly windows are drawn from, each served visit a pooled
patient with fresh measurement noise (a repeat visit is not a copy). A linear
regression predicts the disease progression score one year on; the clinic
compares it with the measured score when the year is up. The lab values come
from the lab results feed; when a value is missing at serving the model is
given the training mean, as the serving code has always done.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from sklearn.datasets import load_diabetes
from sklearn.linear_model import LinearRegression

from causal_rca.scenarios import worlds_common as common

INPUTS = ("age", "sex", "bmi", "bp", "tc", "ldl", "hdl", "tch", "ltg", "glucose")
LAB = ("tc", "ldl", "hdl", "tch", "ltg", "glucose")
TRAINING_ROWS = 300
NOISE = 0.03  # relative measurement noise of a repeat visit
TRAINING_START = pd.Timestamp("2025-10-06")
REFERENCE_START = pd.Timestamp("2026-01-05")
CURRENT_START = pd.Timestamp("2026-02-02")
VERSION = "progression-lr-2025.12"


@dataclass(frozen=True)
class ClinicWorld:
    seed: int
    patients: pd.DataFrame  # raw inputs and the measured progression ``progression``
    pool: np.ndarray
    model: LinearRegression
    means: pd.Series  # training means: what serving fills a missing value with
    training: pd.DataFrame  # the visits the model learned from


def build_clinic_world(seed: int) -> ClinicWorld:
    data = load_diabetes(scaled=False, as_frame=True)
    patients = data.data.set_axis(list(INPUTS), axis=1).assign(progression=data.target.to_numpy())
    order = common.stream_rng(seed, "split").permutation(len(patients))
    train = visits(patients, order[:TRAINING_ROWS], 6000, common.stream_rng(seed, "training"))
    with common.single_thread():
        model = LinearRegression().fit(train[list(INPUTS)], train["progression"])
    return ClinicWorld(seed, patients, order[TRAINING_ROWS:], model, train[list(INPUTS)].mean(), train)


def visits(patients: pd.DataFrame, index: np.ndarray, n: int, rng: np.random.Generator) -> pd.DataFrame:
    """``n`` visits of patients drawn from ``index``, measurements with fresh noise."""
    rows = patients.iloc[rng.choice(index, n)].reset_index(drop=True)
    for column in INPUTS:
        if column != "sex":
            rows[column] = rows[column] * np.exp(rng.normal(0.0, NOISE, n))
    rows["progression"] = rows["progression"] + rng.normal(0.0, 5.0, n)
    return rows.round({"age": 0, "bmi": 1, "bp": 1, **{c: 2 for c in LAB}, "progression": 0})


def draw_visits(world: ClinicWorld, stream: str, n: int) -> pd.DataFrame:
    return visits(world.patients, world.pool, n, common.stream_rng(world.seed, stream))


def training_log(world: ClinicWorld) -> pd.DataFrame:
    """The model's training visits, as served by it before release."""
    return serve(world, world.training, world.training, "training", TRAINING_START)


def serve(world: ClinicWorld, served: pd.DataFrame, truth: pd.DataFrame, stream: str,
          start: pd.Timestamp) -> pd.DataFrame:
    """The log: the inputs as served (``served``; a missing value reaches the model as the training
    mean), the prediction, and the measured progression of ``truth``."""
    rng = common.stream_rng(world.seed, stream + "-log")
    n = len(served)
    times, _hour = common.event_times(rng, n, start, days=28)
    with common.single_thread():
        predicted = world.model.predict(served[list(INPUTS)].fillna(world.means))
    return pd.DataFrame({"visit_id": common.ids(stream[:3], n), "visited_at": times.to_numpy(),
                         **{c: served[c].to_numpy() for c in INPUTS},
                         "predicted_progression": np.round(predicted, 1), "model_version": VERSION,
                         "progression": truth["progression"].to_numpy()})
