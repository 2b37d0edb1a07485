"""A marketplace's product categoriser: five categories from price, weight and a title embedding.

Each listing is drawn from its category: a log-normal price and shipping
weight, and four title-embedding components (TF-IDF + SVD of the title) around
the category's centroid. A multinomial logistic regression on log price, log
weight and the embedding files the listing and logs its probability of every
category. The scenarios change one thing: a new kind of product arrives (its
inputs outside anything the model saw), or the taxonomy is redefined.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from sklearn.linear_model import LogisticRegression

from causal_rca.scenarios import worlds_common as common

CATEGORIES = ("apparel", "electronics", "furniture", "garden", "toys")
SHARES = (0.3, 0.25, 0.15, 0.12, 0.18)
PRICE = {"apparel": 35.0, "electronics": 180.0, "furniture": 260.0, "garden": 60.0, "toys": 25.0}  # medians
WEIGHT = {"apparel": 0.6, "electronics": 1.8, "furniture": 14.0, "garden": 4.0, "toys": 0.9}  # kg, medians
CENTROIDS = {"apparel": (1.2, 0.0, 0.3, 0.0), "electronics": (-0.8, 1.1, 0.0, 0.2),
             "furniture": (0.0, -0.9, 1.0, 0.0), "garden": (0.2, -0.6, -0.2, 1.1), "toys": (0.6, 0.4, -0.9, -0.6)}
EMBEDDING = 4
SELLERS = ("marketplace", "retail", "refurbished")
TRAINING_START = pd.Timestamp("2026-03-02")
REFERENCE_START = pd.Timestamp("2026-05-04")
CURRENT_START = pd.Timestamp("2026-06-01")
VERSION = "catalog-lr-2026.04"


@dataclass(frozen=True)
class ProductWorld:
    seed: int
    model: LogisticRegression
    training: pd.DataFrame  # the listings the model learned from


def draw_listings(seed: int, stream: str, n: int, categories: np.ndarray | None = None) -> pd.DataFrame:
    """``n`` listings (their true category in ``category``), of the given categories or drawn by share."""
    rng = common.stream_rng(seed, stream)
    cat = categories if categories is not None else common.choice(rng, list(CATEGORIES), SHARES, n)
    price = np.array([PRICE[c] for c in cat]) * np.exp(rng.normal(0.0, 0.5, n))
    weight = np.array([WEIGHT[c] for c in cat]) * np.exp(rng.normal(0.0, 0.45, n))
    title = np.array([CENTROIDS[c] for c in cat]) + rng.normal(0.0, 0.8, (n, EMBEDDING))
    return pd.DataFrame({"seller_type": common.choice(rng, list(SELLERS), [0.6, 0.3, 0.1], n),
                         "price": np.round(price, 2), "weight_kg": np.round(weight, 3),
                         **{f"title_svd_{i}": title[:, i] for i in range(EMBEDDING)}, "category": cat})


def _inputs(listings: pd.DataFrame) -> np.ndarray:
    return np.c_[np.log(listings["price"]), np.log(listings["weight_kg"]),
                 listings[[f"title_svd_{i}" for i in range(EMBEDDING)]].to_numpy()]


def build_product_world(seed: int) -> ProductWorld:
    training = draw_listings(seed, "training", 8000)
    with common.single_thread():
        model = LogisticRegression(max_iter=2000).fit(_inputs(training), training["category"])
    return ProductWorld(seed, model, training)


def training_log(world: ProductWorld) -> pd.DataFrame:
    """The model's training listings, as served by it before release."""
    return serve(world, world.training, world.training["category"], "training", TRAINING_START)


def serve(world: ProductWorld, listings: pd.DataFrame, labels: pd.Series, stream: str,
          start: pd.Timestamp) -> pd.DataFrame:
    """The categoriser's log: the listing, the model's category and probabilities, the category the
    catalogue team assigned (``labels``)."""
    rng = common.stream_rng(world.seed, stream + "-log")
    n = len(listings)
    with common.single_thread():
        proba = world.model.predict_proba(_inputs(listings))
    times, _hour = common.event_times(rng, n, start, days=28)
    frame = pd.DataFrame({
        "listing_id": common.ids(stream[:3], n), "listed_at": times.to_numpy(),
        **{c: listings[c].to_numpy() for c in ("seller_type", "price", "weight_kg")},
        **{f"title_svd_{i}": listings[f"title_svd_{i}"].to_numpy() for i in range(EMBEDDING)},
        "predicted_category": world.model.classes_[proba.argmax(axis=1)],
        **{f"p_{c}": proba[:, i] for i, c in enumerate(world.model.classes_)},
        "model_version": VERSION, "assigned_category": np.asarray(labels),
    })
    return frame.sort_values("listed_at", kind="stable").reset_index(drop=True)
