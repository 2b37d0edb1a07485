"""A form reader's digit classifier, on real handwriting (scikit-learn's bundled ``load_digits``).

The 1,797 scanned 8×8 digits that ship with scikit-learn are split once: a
training set and a pool the production windows are drawn from. Each served
form is one digit of the pool with fresh scanner noise, so rows differ and the
windows can be larger than the pool. As a text classifier turns documents into
TF-IDF + SVD components, the pipeline turns pixels into ten SVD components
fitted on the training scans; a multinomial logistic regression reads them and
logs its predicted digit and the probability of every digit. No text corpus
ships offline, so handwriting stands in for documents.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, replace

import numpy as np
import pandas as pd
from sklearn.datasets import load_digits
from sklearn.decomposition import PCA
from sklearn.linear_model import LogisticRegression

from causal_rca.scenarios import worlds_common as common

COMPONENTS = 10
DIGITS = tuple(range(10))
SCANNERS = ("scanner-north", "scanner-south", "scanner-mailroom")
TRAINING_ROWS = 1100  # of the 1,797 originals; the rest is the pool the windows are drawn from
NOISE = 1.0  # scanner noise, in pixel intensity units (0-16)
TRAINING_START = pd.Timestamp("2026-01-05")
REFERENCE_START = pd.Timestamp("2026-03-02")
CURRENT_START = pd.Timestamp("2026-04-06")
VERSION = "digits-lr-2026.02"


@dataclass(frozen=True)
class DigitWorld:
    seed: int
    images: np.ndarray  # the 1,797 originals, 64 pixels each
    digits: np.ndarray
    pool: np.ndarray  # indices of the originals the windows are drawn from
    train: np.ndarray  # indices of the originals the model learned from
    svd: PCA
    model: LogisticRegression
    model_version: str = VERSION


def _scans(world_images: np.ndarray, digits: np.ndarray, index: np.ndarray, n: int,
           rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """``n`` scans of originals drawn from ``index``, each with fresh scanner noise."""
    pick = rng.choice(index, n)
    return np.clip(world_images[pick] + rng.normal(0.0, NOISE, (n, world_images.shape[1])), 0.0, 16.0), digits[pick]


def build_digit_world(seed: int) -> DigitWorld:
    """Split the originals, fit the SVD and the model on noisy scans of the training part."""
    images, digits = load_digits(return_X_y=True)
    order = common.stream_rng(seed, "split").permutation(len(digits))
    train, pool = order[:TRAINING_ROWS], order[TRAINING_ROWS:]
    X, y = _scans(images, digits, train, 4000, common.stream_rng(seed, "training"))
    with common.single_thread():
        svd = PCA(COMPONENTS, random_state=0).fit(X)
        model = LogisticRegression(max_iter=2000).fit(svd.transform(X), y)
    return DigitWorld(seed, images, digits, pool, train, svd, model)


def draw_scans(world: DigitWorld, stream: str, n: int) -> tuple[np.ndarray, np.ndarray]:
    return _scans(world.images, world.digits, world.pool, n, common.stream_rng(world.seed, stream))


def training_log(world: DigitWorld, n: int = 6000) -> pd.DataFrame:
    """The model's own training scans, as served by it before release."""
    pixels, digits = _scans(world.images, world.digits, world.train, n, common.stream_rng(world.seed, "training-log"))
    return serve(world, pixels, digits, "training", TRAINING_START)


def serve(world: DigitWorld, pixels: np.ndarray, digits: np.ndarray, stream: str, start: pd.Timestamp) -> pd.DataFrame:
    """The prediction log of one window: form, scanner, ink, SVD components, the model's output, the label."""
    rng = common.stream_rng(world.seed, stream + "-log")
    n = len(digits)
    features = world.svd.transform(pixels)
    with common.single_thread():
        proba = world.model.predict_proba(features)
    times, _hour = common.event_times(rng, n, start, days=28)
    frame = pd.DataFrame({
        "form_id": common.ids(stream[:3], n), "scanned_at": times.to_numpy(),
        "scanner": common.choice(rng, list(SCANNERS), [0.5, 0.3, 0.2], n),
        "ink_density": pixels.mean(axis=1),
        **{f"svd_{i}": features[:, i] for i in range(COMPONENTS)},
        "predicted_digit": world.model.classes_[proba.argmax(axis=1)],
        **{f"p_{d}": proba[:, i] for i, d in enumerate(world.model.classes_)},
        "model_version": world.model_version,
        "true_digit": digits,
    })
    return frame.sort_values("scanned_at", kind="stable").reset_index(drop=True)


def fine_tune(world: DigitWorld, rows: int, keep_digit: dict[int, float], version: str) -> DigitWorld:
    """Warm-start the model on ``rows`` recent scans, of which digit d is kept with probability
    ``keep_digit[d]`` (a batch the annotators under-sampled), with little regularisation."""
    pixels, digits = draw_scans(world, "finetune-sample", rows)
    keep_rng = common.stream_rng(world.seed, "finetune-keep")
    keep = keep_rng.random(rows) < np.array([keep_digit.get(int(d), 1.0) for d in digits])
    model = copy.deepcopy(world.model)
    model.set_params(warm_start=True, C=50.0, max_iter=3000)
    with common.single_thread():
        model.fit(world.svd.transform(pixels[keep]), digits[keep])
    return replace(world, model=model, model_version=version)
