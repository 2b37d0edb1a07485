"""Real tabular data sets shipped inside installed packages (scikit-learn's
bundled loaders and statsmodels' bundled datasets: nothing is downloaded),
each with its real label and a declared dependency structure among its
columns (which column was measured from / depends on which), so that
correlated columns are connected in the lineage graph.

Each loader returns (frame, spec).  Column kinds: "numeric" (continuous,
jittered when resampled), "discrete" (counts, ratings, banded ages: never
jittered), "categorical" (text levels).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache

import numpy as np
import pandas as pd


@dataclass(frozen=True)
class DataSpec:
    name: str
    task: str
    label: str
    columns: dict                 # column -> kind
    parents: dict                 # column -> list of columns it depends on
    label_parents: tuple
    description: str
    nonneg: tuple = ()
    classes: tuple = ()           # multi-class label classes (when available)
    extra: dict = field(default_factory=dict)


def _sk(name):
    from sklearn import datasets
    if name == "diabetes":
        return datasets.load_diabetes(as_frame=True, scaled=False)
    return getattr(datasets, f"load_{name}")(as_frame=True)


def _sm(name):
    import statsmodels.api as sm
    return getattr(sm.datasets, name).load_pandas().data.copy()


def _breast_cancer():
    b = _sk("breast_cancer")
    f = b.frame
    cols = {"mean radius": "radius_mean", "mean perimeter": "perimeter_mean",
            "mean area": "area_mean", "mean texture": "texture_mean",
            "mean smoothness": "smoothness_mean", "mean concavity": "concavity_mean",
            "mean concave points": "concave_points_mean", "mean compactness": "compactness_mean",
            "mean symmetry": "symmetry_mean", "worst radius": "radius_worst",
            "worst texture": "texture_worst"}
    df = f[list(cols)].rename(columns=cols)
    df["malignant"] = (f["target"] == 0).astype(int)
    kinds = {c: "numeric" for c in cols.values()}
    parents = {"perimeter_mean": ["radius_mean"], "area_mean": ["radius_mean"],
               "radius_worst": ["radius_mean"], "concave_points_mean": ["concavity_mean"],
               "compactness_mean": ["concavity_mean"], "texture_worst": ["texture_mean"]}
    return df, DataSpec("breast_cancer", "binary", "malignant", kinds, parents,
                        ("radius_mean", "texture_mean", "concavity_mean", "smoothness_mean"),
                        "cell-nucleus measurements from biopsy images; label: malignant",
                        tuple(cols.values()))


def _wine():
    b = _sk("wine")
    f = b.frame
    cols = {"alcohol": "alcohol", "malic_acid": "malic_acid", "ash": "ash",
            "magnesium": "magnesium", "total_phenols": "total_phenols",
            "flavanoids": "flavanoids", "proanthocyanins": "proanthocyanins",
            "color_intensity": "color_intensity", "hue": "hue",
            "od280/od315_of_diluted_wines": "od280_od315", "proline": "proline"}
    df = f[list(cols)].rename(columns=cols)
    df["cultivar_a"] = (f["target"] == 0).astype(int)
    df["cultivar"] = np.array(["barolo", "grignolino", "barbera"], dtype=object)[f["target"].to_numpy()]
    kinds = {c: "numeric" for c in cols.values()}
    kinds["magnesium"] = "discrete"
    parents = {"flavanoids": ["total_phenols"], "proanthocyanins": ["total_phenols"],
               "od280_od315": ["flavanoids"], "proline": ["alcohol"], "hue": ["color_intensity"]}
    return df, DataSpec("wine", "binary", "cultivar_a", kinds, parents,
                        ("alcohol", "total_phenols", "color_intensity", "malic_acid"),
                        "chemical analysis of wines; label: first cultivar",
                        tuple(cols.values()), ("barolo", "grignolino", "barbera"),
                        {"multiclass_label": "cultivar"})


def _diabetes():
    b = _sk("diabetes")
    f = b.frame.rename(columns={"s1": "tc", "s2": "ldl", "s3": "hdl", "s4": "tch", "s5": "ltg",
                                "s6": "glu", "target": "progression"})
    df = f[["age", "sex", "bmi", "bp", "tc", "ldl", "hdl", "tch", "ltg", "glu", "progression"]].copy()
    df["sex"] = np.where(df["sex"] > 1.5, "sex_2", "sex_1").astype(object)
    kinds = {"age": "discrete", "sex": "categorical", "bmi": "numeric", "bp": "numeric",
             "tc": "numeric", "ldl": "numeric", "hdl": "numeric", "tch": "numeric",
             "ltg": "numeric", "glu": "numeric"}
    parents = {"bp": ["age"], "ldl": ["tc"], "tch": ["hdl"], "ltg": ["tch"], "glu": ["bmi"]}
    return df, DataSpec("diabetes", "regression", "progression", kinds, parents,
                        ("bmi", "bp", "ltg", "hdl", "age", "sex"),
                        "baseline patient measurements; label: disease progression after one year",
                        ("age", "bmi", "bp", "tc", "ldl", "hdl", "tch", "ltg", "glu"))


def _fair():
    f = _sm("fair")
    occ = {1: "student", 2: "farm_semiskilled", 3: "white_collar", 4: "teacher_nurse",
           5: "managerial", 6: "professional"}
    df = pd.DataFrame({
        "rate_marriage": f["rate_marriage"].astype(float), "age": f["age"].astype(float),
        "yrs_married": f["yrs_married"].astype(float), "children": f["children"].astype(float),
        "religious": f["religious"].astype(float), "educ": f["educ"].astype(float),
        "occupation": f["occupation"].astype(int).map(occ).astype(object),
        "occupation_husb": f["occupation_husb"].astype(int).map(occ).astype(object),
    })
    df["had_affair"] = (f["affairs"] > 0).astype(int)
    kinds = {"rate_marriage": "discrete", "age": "discrete", "yrs_married": "discrete",
             "children": "discrete", "religious": "discrete", "educ": "discrete",
             "occupation": "categorical", "occupation_husb": "categorical"}
    parents = {"yrs_married": ["age"], "children": ["yrs_married"], "occupation": ["educ"]}
    return df, DataSpec("fair", "binary", "had_affair", kinds, parents,
                        ("rate_marriage", "age", "yrs_married", "children", "religious", "occupation"),
                        "1974 survey of married women (Fair); label: any extramarital affair",
                        ("age", "yrs_married", "children", "educ"))


def _anes96():
    f = _sm("anes96")
    pid = {0: "strong_dem", 1: "weak_dem", 2: "lean_dem", 3: "independent", 4: "lean_rep",
           5: "weak_rep", 6: "strong_rep"}
    df = pd.DataFrame({
        "popul": f["popul"].astype(float), "tv_news": f["TVnews"].astype(float),
        "self_lr": f["selfLR"].astype(float), "clinton_lr": f["ClinLR"].astype(float),
        "dole_lr": f["DoleLR"].astype(float), "party_id": f["PID"].astype(int).map(pid).astype(object),
        "age": f["age"].astype(float), "educ": f["educ"].astype(float), "income": f["income"].astype(float),
    })
    df["vote_dole"] = f["vote"].astype(int)
    kinds = {"popul": "numeric", "tv_news": "discrete", "self_lr": "discrete",
             "clinton_lr": "discrete", "dole_lr": "discrete", "party_id": "categorical",
             "age": "discrete", "educ": "discrete", "income": "discrete"}
    parents = {"clinton_lr": ["self_lr"], "dole_lr": ["self_lr"], "income": ["educ"],
               "party_id": ["self_lr"]}
    return df, DataSpec("anes96", "binary", "vote_dole", kinds, parents,
                        ("party_id", "self_lr", "clinton_lr", "dole_lr", "age", "income"),
                        "1996 American National Election Study; label: voted Dole",
                        ("popul", "tv_news", "age", "educ", "income"))


def _randhie():
    f = _sm("randhie")
    health = np.where(f["hlthp"] > 0, "poor", np.where(f["hlthf"] > 0, "fair",
                      np.where(f["hlthg"] > 0, "good", "excellent"))).astype(object)
    df = pd.DataFrame({
        "lncoins": f["lncoins"].astype(float), "deductible": np.where(f["idp"] > 0, "yes", "no").astype(object),
        "lpi": f["lpi"].astype(float), "fmde": f["fmde"].astype(float),
        "limitation": np.where(f["physlm"] > 0, "yes", "no").astype(object),
        "chronic_diseases": f["disea"].astype(float), "health": health,
    })
    df["doctor_visits"] = f["mdvis"].astype(float)
    kinds = {"lncoins": "numeric", "deductible": "categorical", "lpi": "numeric", "fmde": "numeric",
             "limitation": "categorical", "chronic_diseases": "discrete", "health": "categorical"}
    parents = {"fmde": ["lncoins"], "lpi": ["lncoins"], "health": ["chronic_diseases"],
               "limitation": ["chronic_diseases"]}
    return df, DataSpec("randhie", "regression", "doctor_visits", kinds, parents,
                        ("chronic_diseases", "health", "limitation", "lncoins", "deductible"),
                        "RAND health insurance experiment; label: outpatient doctor visits",
                        ("lncoins", "lpi", "fmde", "chronic_diseases"))


def _star98():
    f = _sm("star98")
    cols = ["LOWINC", "PERASIAN", "PERBLACK", "PERHISP", "PERMINTE", "AVYRSEXP", "AVSALK",
            "PERSPENK", "PTRATIO", "PCTAF", "PCTCHRT", "PCTYRRND"]
    df = f[cols].astype(float).copy()
    df.columns = [c.lower() for c in cols]
    df["pass_share"] = (f["NABOVE"] / (f["NABOVE"] + f["NBELOW"])).astype(float)
    kinds = {c.lower(): "numeric" for c in cols}
    parents = {"perhisp": ["lowinc"], "pctaf": ["lowinc"], "avsalk": ["avyrsexp"],
               "perminte": ["avyrsexp"], "pctyrrnd": ["perhisp"]}
    return df, DataSpec("star98", "regression", "pass_share", kinds, parents,
                        ("lowinc", "perhisp", "pctaf", "perasian", "ptratio", "perblack"),
                        "California school districts 1998; label: share of pupils above the national median",
                        tuple(c.lower() for c in cols))


LOADERS = {"breast_cancer": _breast_cancer, "wine": _wine, "diabetes": _diabetes,
           "fair": _fair, "anes96": _anes96, "randhie": _randhie, "star98": _star98}


@lru_cache(maxsize=None)
def load(name: str):
    df, spec = LOADERS[name]()
    return df.reset_index(drop=True), spec
