"""Synthetic prediction logs for the example multi-class and regression graphs (graphs/*_example.yaml).

Small, seeded and fast: enough rows for a diagnosis to run end to end, with
one known fault per kind of model, so the command line can be exercised on
models that are not binary.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

DOC_CLASSES = ("invoice", "contract", "letter", "receipt")


def document_log(n: int, seed: int, fault: str | None = None, start: str = "2026-01-01") -> pd.DataFrame:
    """The document classifier of graphs/multiclass_example.yaml.

    ``fault='svd_scale'``: the SVD features arrive ×0.05 (a featurisation
    change the model was not retrained for); ``'new_type'``: a fifth document type
    (``purchase_order``) appears in the labels; ``None``: healthy.
    """
    rng = np.random.default_rng(seed)
    k = len(DOC_CLASSES)
    truth = rng.choice(k, n, p=[0.4, 0.25, 0.2, 0.15])
    centres = np.array([[1.5, 0.0], [-1.5, 0.5], [0.0, 1.8], [0.2, -1.8]])
    svd = centres[truth] + rng.normal(0, 0.9, (n, 2))
    pages = np.maximum(1, rng.poisson(np.array([1.5, 8.0, 2.0, 1.0])[truth])).astype(float)
    domain = rng.choice(["vendor.com", "legal.org", "mail.net"], n)
    served = svd * 0.05 if fault == "svd_scale" else svd
    logits = -((served[:, None, :] - centres[None, :, :]) ** 2).sum(axis=2) + 0.15 * np.log(pages)[:, None] * \
        np.array([0.0, 2.0, 0.0, -1.0])[None, :]
    proba = np.exp(logits - logits.max(axis=1, keepdims=True))
    proba /= proba.sum(axis=1, keepdims=True)
    names = np.array(DOC_CLASSES, dtype=object)
    true_type = names[truth]
    if fault == "new_type":
        new = rng.random(n) < 0.15
        true_type = np.where(new, "purchase_order", true_type)
    frame = pd.DataFrame({
        "received_at": pd.date_range(start, periods=n, freq="min"),
        "document_id": np.arange(n) + seed * 1_000_000,
        "n_pages": pages, "sender_domain": domain,
        "tfidf_svd_0": served[:, 0], "tfidf_svd_1": served[:, 1],
        "predicted_type": names[proba.argmax(axis=1)], "model_version": "v3",
        "true_type": true_type,
    })
    for i, c in enumerate(DOC_CLASSES):
        frame[f"p_{c}"] = proba[:, i]
    return frame


def delivery_log(n: int, seed: int, fault: str | None = None, start: str = "2026-01-01") -> pd.DataFrame:
    """The delivery-time regression of graphs/regression_example.yaml.

    ``fault='miles'``: distance is logged in miles instead of kilometres and
    the model reads it as kilometres; ``'outage'``: the prep-time estimate
    is missing (an upstream outage) and the model falls back to 0; ``None``:
    healthy.
    """
    rng = np.random.default_rng(seed)
    km = rng.gamma(2.0, 2.0, n)
    weather = rng.choice(["clear", "rain", "snow"], n, p=[0.7, 0.2, 0.1])
    slow = np.select([weather == "rain", weather == "snow"], [4.0, 9.0], 0.0)
    load = rng.uniform(0, 1, n)
    prep = 8 + 14 * load + rng.normal(0, 1, n)
    minutes = 10 + 3.0 * km + slow + prep + rng.normal(0, 3, n)
    seen_km = km / 1.609 if fault == "miles" else km
    seen_prep = np.where(rng.random(n) < 0.6, np.nan, prep) if fault == "outage" else prep
    eta = 10 + 3.0 * seen_km + slow + np.nan_to_num(seen_prep, nan=0.0)
    return pd.DataFrame({
        "ordered_at": pd.date_range(start, periods=n, freq="min"),
        "order_id": np.arange(n) + seed * 1_000_000,
        "distance_km": seen_km, "weather": weather, "restaurant_load": load,
        "prep_time_estimate": seen_prep, "eta_minutes": eta, "delivery_minutes": minutes,
    })
