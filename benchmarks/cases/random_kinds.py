"""The random family's other model kinds: multi-class classifiers and regressions with their own metrics.

``random_family.draw_case(seed)`` draws the family as it always was (binary
classifiers, and some regressions scored by mae or rmse); its cases must stay
byte-identical so that measurements on its seeds stay comparable. This module
adds two kinds drawn from separate seeded streams (world streams 1000+ and
2000+, a ``plan/<kind>`` stream for the fault), behind ``kinds``:

* **multiclass**: a label of 3–8 classes from a softmax concept over the label's
  parents, a real multinomial model (LogisticRegression or
  HistGradientBoostingClassifier) logging its predicted class and one
  probability per class (``scores``), and a metric from spec/lineage.md's
  multi-class names with ``average`` or ``class`` (``k`` for top_k_accuracy);
* **regression**: a continuous label (with a floor: durations and costs are
  positive) and a metric among mae, rmse, mape and r2.

Every failure mode applies to both kinds. A multi-class ``label_shift`` is a
class re-weighted, a new class split from an existing one, or part of one class
now annotated as another (a merge or a re-annotation); ``concept_drift`` changes
how the parents map to classes with the class mix held; a bad fine-tune
(``model_change``) learnt from labels that file part of one class elsewhere.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any, Sequence

import numpy as np

from benchmarks.cases.random_family import (
    CONTROL_SHARE,
    FAILURE_MODES,
    RandomCase,
    checked_seed,
    draw_case,
    draw_world_case,
)
from benchmarks.cases.random_pieces import Concept, Source, Term, pick_one
from benchmarks.cases.random_world import make_concept
from causal_rca.scenarios.simulate import stream_rng

__all__ = ["KINDS", "ClassConcept", "draw_kind_case", "kind_of_seed", "planned_kind_mode"]

KINDS = ("binary", "multiclass", "regression")
MIN_CLASSES, MAX_CLASSES = 3, 8
MIN_CLASS_SHARE = 0.04
FIRST_ATTEMPT = {"multiclass": 1000, "regression": 2000}

#: label name -> class vocabulary (more names than classes: a new class takes an unused one)
CLASS_VOCABULARIES: dict[str, tuple[str, ...]] = {
    "ticket_topic": ("account", "billing", "delivery", "fraud", "other", "product", "refund", "technical",
                     "warranty", "login"),
    "product_category": ("apparel", "beauty", "books", "electronics", "garden", "grocery", "home", "toys",
                         "games", "furniture"),
    "risk_tier": ("critical", "elevated", "guarded", "high", "low", "medium", "minimal", "severe", "watch"),
    "customer_segment": ("bargain", "business", "casual", "dormant", "family", "loyal", "new", "premium",
                         "student", "senior"),
    "document_type": ("contract", "invoice", "letter", "receipt", "report", "statement", "form", "memo",
                      "claim", "notice"),
    "intent": ("browse", "buy", "cancel", "compare", "complain", "renew", "return", "upgrade", "downgrade"),
}
REGRESSION_TARGETS = ("delivery_minutes", "claim_cost", "spend_next_30d", "resolution_hours", "demand_units",
                      "eta_minutes", "energy_kwh", "repair_cost")
REGRESSION_FLOOR = 0.5  # the least label value, in units of the concept's scale (a few sd below its mean)

#: (metric, keys beyond the metric's name, weight); "class" is filled in with a drawn class.
MULTICLASS_METRICS: tuple[tuple[str, dict[str, Any], float], ...] = (
    ("accuracy", {}, 2.0), ("balanced_accuracy", {}, 1.0),
    ("f1", {"average": "macro"}, 1.5), ("f1", {"average": "weighted"}, 0.7), ("f1", {"class": None}, 0.6),
    ("recall", {"average": "macro"}, 0.7), ("recall", {"class": None}, 1.2),
    ("precision", {"average": "macro"}, 0.5), ("precision", {"class": None}, 0.8),
    ("roc_auc", {"average": "macro"}, 0.8), ("roc_auc", {"class": None}, 0.3),
    ("log_loss", {}, 1.0), ("top_k_accuracy", {"k": 2}, 0.6),
)


def _softmax(logits: np.ndarray) -> np.ndarray:
    z = logits - logits.max(axis=1, keepdims=True)
    e = np.exp(z)
    return e / e.sum(axis=1, keepdims=True)


@dataclass(frozen=True)
class ClassConcept(Concept):
    """The true class given the label's parents: a softmax over per-class sums of terms.

    ``terms`` holds every class's terms (so code that asks which sources the label
    reads works unchanged) and ``class_of`` the class each term adds to. The
    label-definition changes act on drawn labels: a share of ``new_from``'s rows
    become the new class ``new_class``; a share of ``move_from``'s rows are
    annotated as ``move_to``.
    """

    classes: tuple[str, ...] = ()
    class_of: tuple[int, ...] = ()
    intercepts: tuple[float, ...] = ()
    new_class: str | None = None
    new_from: int = -1
    new_share: float = 0.0
    move_from: int = -1
    move_to: int = -1
    move_share: float = 0.0
    spare_names: tuple[str, ...] = ()

    def signal(self, U: dict[str, np.ndarray]) -> np.ndarray:
        """Per-row logits (rows × classes)."""
        n = len(next(iter(U.values())))
        out = np.zeros((n, len(self.classes)))
        for t, k in zip(self.terms, self.class_of):
            out[:, k] += t.value(U)
        return out + np.asarray(self.intercepts)

    def draw(self, rng: np.random.Generator, U: dict[str, np.ndarray]) -> np.ndarray:
        p = _softmax(self.signal(U))
        n, k = p.shape
        r1, r2, r3, r4 = rng.random(n), rng.random(n), rng.random(n), rng.random(n)
        idx = np.minimum((p.cumsum(axis=1) < r1[:, None]).sum(axis=1), k - 1)
        idx = np.where(r2 < self.noise, np.minimum((r3 * k).astype(np.int64), k - 1), idx)
        y = np.array(self.classes, dtype=object)[idx]
        if self.new_class is not None:
            y = np.where((idx == self.new_from) & (r4 < self.new_share), self.new_class, y)
        if self.move_from >= 0:
            y = np.where((idx == self.move_from) & (r4 < self.move_share), self.classes[self.move_to], y)
        return y

    def with_mix(self, U: dict[str, np.ndarray], shares: np.ndarray) -> "ClassConcept":
        """The same relation with intercepts that give the class ``shares`` on these rows."""
        b = np.asarray(self.intercepts, dtype=float) if self.intercepts else np.zeros(len(self.classes))
        base = replace(self, intercepts=tuple(np.zeros(len(self.classes)))).signal(U)
        for _ in range(60):
            mean = _softmax(base + b).mean(axis=0)
            b = b + np.log(np.maximum(shares, 1e-9) / np.maximum(mean, 1e-12))
        return replace(self, intercepts=tuple(float(v) for v in b - b.mean()))

    def settled(self, rng: np.random.Generator, U: dict[str, np.ndarray]) -> "ClassConcept":
        """Scale each class's terms to a drawn strength and set a drawn class mix (training split)."""
        target_sd = float(rng.uniform(1.2, 2.3))
        terms = list(self.terms)
        for k in range(len(self.classes)):
            mine = [i for i, c in enumerate(self.class_of) if c == k]
            sd = float(np.std(sum(terms[i].value(U) for i in mine))) if mine else 0.0
            for i in mine:
                terms[i] = replace(terms[i], w=terms[i].w * target_sd / (sd or 1.0))
        shares = rng.dirichlet(np.full(len(self.classes), 2.5))
        shares = np.maximum(shares, MIN_CLASS_SHARE)
        return replace(self, terms=tuple(terms)).with_mix(U, shares / shares.sum())

    def mix(self, U: dict[str, np.ndarray]) -> np.ndarray:
        return _softmax(self.signal(U)).mean(axis=0)

    def drifted(self, p: dict[str, Any], U: dict[str, np.ndarray]) -> "ClassConcept":
        """A new relation between the parents and the classes, the class mix held (spec: concept_drift)."""
        old_mix = self.mix(U)
        terms, class_of = list(self.terms), list(self.class_of)
        lam = p["lambda"]
        if p["kind"] == "reverse":
            contrib = [float(np.std(t.value(U))) for t in terms]
            for i in np.argsort(contrib)[::-1][: p["k"]]:
                terms[i] = replace(terms[i], w=terms[i].w * (1 - 2 * lam))
        elif p["kind"] == "permute":
            i = next(j for j, t in enumerate(terms) if t.kind == "cat")
            eff = np.asarray(terms[i].effects)
            terms[i] = replace(terms[i], effects=tuple((1 - lam) * eff + lam * eff[p["perm"][: len(eff)]]))
        else:  # a new pattern: one class now claims rows by a new shape on one parent
            sd = float(np.std(self.signal(U)[:, p["class"]] - self.intercepts[p["class"]])) or 1.0
            terms = [replace(t, w=t.w * (1 - 0.5 * lam)) for t in terms]
            new = Term(p["shape"], (p["source"],), 1.0, p["c"])
            nsd = float(np.std(new.value(U))) or 1.0
            terms.append(replace(new, w=p["sign"] * lam * 2.0 * sd / nsd))
            class_of.append(p["class"])
        return replace(self, terms=tuple(terms), class_of=tuple(class_of)).with_mix(U, old_mix)

    def shift_params(self, rng: np.random.Generator) -> dict[str, Any]:
        """A label-definition change by class (spec: a new or re-weighted class is label_shift)."""
        k = len(self.classes)
        kind = pick_one(rng, ["prior", "new_class", "move"])
        a, b = (int(i) for i in rng.choice(k, size=2, replace=False))
        if kind == "prior":
            return {"kind": kind, "class": a, "shift": float(rng.choice([-1, 1]) * rng.uniform(0.6, 1.5))}
        if kind == "new_class":
            return {"kind": kind, "class": a, "share": float(rng.uniform(0.25, 0.7)),
                    "name": str(pick_one(rng, list(self.spare_names))) if self.spare_names else f"{self.classes[a]}_2"}
        return {"kind": kind, "class": a, "to": b, "share": float(rng.uniform(0.25, 1.0))}

    def shifted(self, p: dict[str, Any], U: dict[str, np.ndarray]) -> "ClassConcept":
        if p["kind"] == "prior":
            b = list(self.intercepts)
            b[p["class"]] += p["shift"]
            return replace(self, intercepts=tuple(b))
        if p["kind"] == "new_class":
            return replace(self, new_class=p["name"], new_from=p["class"], new_share=p["share"])
        return replace(self, move_from=p["class"], move_to=p["to"], move_share=p["share"])

    def mislabelled(self, y: np.ndarray, rng: np.random.Generator, share: float) -> np.ndarray:
        """Fine-tuning labels where ``share`` of one class's rows are filed under another class."""
        a, b = (int(i) for i in rng.choice(len(self.classes), size=2, replace=False))
        hit = (y == self.classes[a]) & (rng.random(len(y)) < min(share, 0.95))
        return np.where(hit, self.classes[b], y)


def _class_concept(rng: np.random.Generator, sources: list[Source], parents: list[str], classes: tuple[str, ...],
                   spare: tuple[str, ...], monotone: frozenset[str]) -> ClassConcept:
    """One binary-style concept per class (its terms and shapes), joined into a softmax."""
    terms: list[Term] = []
    class_of: list[int] = []
    for k in range(len(classes)):
        one = make_concept(rng, "classification", sources, parents, monotone)
        terms += one.terms
        class_of += [k] * len(one.terms)
    noise = float(rng.uniform(0.0, 0.03))
    return ClassConcept("multiclass", tuple(terms), noise=noise, classes=classes, class_of=tuple(class_of),
                        intercepts=tuple(0.0 for _ in classes), spare_names=spare)


@dataclass(frozen=True)
class Kind:
    """How ``random_world.build_world`` draws one kind's concept, label and metric."""

    name: str
    task: str

    def parts(self, rng: np.random.Generator, sources: list[Source], parents: list[str],
              monotone: frozenset[str]) -> tuple[Concept, str, str, dict[str, Any]]:
        """(concept, label name, metric node id, extra World fields)."""
        if self.task == "regression":
            metric = str(pick_one(rng, ["mae", "rmse", "mape", "r2"]))
            concept = replace(make_concept(rng, "regression", sources, parents, monotone), floor=REGRESSION_FLOOR)
            return concept, str(pick_one(rng, list(REGRESSION_TARGETS))), metric, {"metric_keys": {"metric": metric}}
        label = str(pick_one(rng, list(CLASS_VOCABULARIES)))
        vocabulary = CLASS_VOCABULARIES[label]
        n = int(rng.integers(MIN_CLASSES, MAX_CLASSES + 1))
        chosen = set(rng.choice(len(vocabulary), size=n, replace=False).tolist())
        classes = tuple(sorted(vocabulary[i] for i in chosen))
        spare = tuple(v for i, v in enumerate(vocabulary) if i not in chosen)
        concept = _class_concept(rng, sources, parents, classes, spare, monotone)
        name, keys, _ = MULTICLASS_METRICS[int(rng.choice(len(MULTICLASS_METRICS), p=_metric_weights()))]
        keys = {"metric": name, **keys}
        if "class" in keys:
            keys["class"] = str(pick_one(rng, list(classes)))
        return concept, label, _metric_id(keys), {"classes": classes, "metric_keys": keys}


def _metric_weights() -> np.ndarray:
    w = np.array([m[2] for m in MULTICLASS_METRICS])
    return w / w.sum()


def _metric_id(keys: dict[str, Any]) -> str:
    """The metric node's id: macro_f1, recall_invoice, top_2_accuracy, accuracy."""
    name = keys["metric"]
    if "class" in keys:
        return f"{name}_{keys['class']}"
    if "average" in keys:
        return f"{keys['average']}_{name}"
    if "k" in keys:
        return f"top_{keys['k']}_accuracy"
    return name


KIND_DRAWS = {"multiclass": Kind("multiclass", "multiclass"), "regression": Kind("regression", "regression")}


def kind_of_seed(seed: int, kinds: Sequence[str]) -> str:
    """Which kind ``seed`` draws among ``kinds`` (its own stream: the binary draws never move)."""
    kinds = tuple(kinds)
    unknown = [k for k in kinds if k not in KINDS]
    if not kinds or unknown:
        raise ValueError(f"kinds must be some of {', '.join(KINDS)}, got {', '.join(kinds) or 'none'}")
    if len(kinds) == 1:
        return kinds[0]
    return kinds[int(stream_rng(int(seed), "kind").integers(len(kinds)))]


def planned_kind_mode(seed: int, kind: str) -> str | None:
    """The failure mode a multiclass or regression case of ``seed`` gets (None for a control)."""
    plan = stream_rng(int(seed), f"plan/{kind}")
    if plan.random() < CONTROL_SHARE:
        return None
    return str(FAILURE_MODES[int(plan.integers(len(FAILURE_MODES)))])


def draw_kind_case(seed: int, kinds: Sequence[str] = ("binary",)) -> RandomCase:
    """The case of ``seed`` when the family draws ``kinds``: the binary kind is ``draw_case(seed)``
    itself (byte for byte); multiclass and regression cases come from their own streams.

    >>> draw_kind_case(7, ["multiclass"]).details["kind"]     # doctest: +SKIP
    'multiclass'
    """
    seed = checked_seed(seed)
    kind = kind_of_seed(seed, kinds)
    if kind == "binary":
        return draw_case(seed)
    return draw_world_case(seed, planned_kind_mode(seed, kind), KIND_DRAWS[kind], FIRST_ATTEMPT[kind])
