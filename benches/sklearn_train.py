"""scikit-learn side of `cairn bench train`: the protocol of shared/datasets/REFERENCE.md.

For each case: read the CSV with pandas, split 80/20 (seed 42, stratified for classes), fit
median-impute + scale / most-frequent + one-hot (or TF-IDF for text) and the model on the
training part, score the test part. Prints one JSON object per case with the in-process
load -> fit -> score seconds (best of the case's "repeat" runs after one warm-up run) and the
test score.
"""
import json
import sys
import time

import numpy as np
import pandas as pd
from sklearn.compose import ColumnTransformer
from sklearn.ensemble import (
    HistGradientBoostingClassifier,
    HistGradientBoostingRegressor,
    RandomForestClassifier,
    RandomForestRegressor,
)
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.impute import SimpleImputer
from sklearn.linear_model import LinearRegression, LogisticRegression, Ridge
from sklearn.metrics import accuracy_score, r2_score
from sklearn.model_selection import train_test_split
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import OneHotEncoder, OrdinalEncoder, StandardScaler
from sklearn.naive_bayes import MultinomialNB
from sklearn.tree import DecisionTreeClassifier, DecisionTreeRegressor

# (model, classification?) -> estimator, as REFERENCE.md configures them.
MODELS = {
    ("linear", False): lambda: LinearRegression(),
    ("ridge", False): lambda: Ridge(alpha=1.0),
    ("tree", False): lambda: DecisionTreeRegressor(random_state=42),
    ("random_forest", False): lambda: RandomForestRegressor(n_estimators=100, n_jobs=2, random_state=42),
    ("logistic", True): lambda: LogisticRegression(max_iter=1000),
    ("naive_bayes", True): lambda: MultinomialNB(),
    ("tree", True): lambda: DecisionTreeClassifier(random_state=42),
    ("random_forest", True): lambda: RandomForestClassifier(n_estimators=100, n_jobs=2, random_state=42),
}


def boosting(df, y, text, classify, library):
    """Histogram boosting the way each library takes a table natively: numbers with their gaps,
    categories as category numbers split on sets (scikit-learn's `categorical_features`,
    LightGBM's pandas `category` columns), word weights as TF-IDF (dense for scikit-learn, which
    takes no sparse input; sparse for LightGBM). Default settings: 100 rounds, learning rate
    0.1, 31 leaves, 20 rows per leaf; scikit-learn stops early above 10 000 rows, LightGBM
    runs every round."""
    xtr, xte, ytr, yte = train_test_split(df, y, test_size=0.2, random_state=42, stratify=y if classify else None)
    if text:
        vec = TfidfVectorizer()
        xtr, xte = vec.fit_transform(xtr[text]), vec.transform(xte[text])
        if library == "sklearn":
            xtr, xte = xtr.toarray(), xte.toarray()
        cat = []
    else:
        cat = [c for c in df.columns if df[c].dtype.kind not in "if"]
        if library == "sklearn" and cat:
            enc = OrdinalEncoder(handle_unknown="use_encoded_value", unknown_value=np.nan, encoded_missing_value=np.nan)
            xtr, xte = xtr.copy(), xte.copy()
            xtr[cat] = enc.fit_transform(xtr[cat])
            xte[cat] = enc.transform(xte[cat])
        elif cat:
            xtr, xte = xtr.copy(), xte.copy()
            for c in cat:
                kinds = pd.CategoricalDtype(sorted(xtr[c].dropna().unique()))
                xtr[c], xte[c] = xtr[c].astype(kinds), xte[c].astype(kinds)
    if library == "sklearn":
        kind = HistGradientBoostingClassifier if classify else HistGradientBoostingRegressor
        est = kind(categorical_features=[list(df.columns).index(c) for c in cat] or None, random_state=42)
    else:
        import lightgbm

        kind = lightgbm.LGBMClassifier if classify else lightgbm.LGBMRegressor
        est = kind(n_estimators=100, learning_rate=0.1, num_leaves=31, min_child_samples=20, n_jobs=2,
                   random_state=42, verbose=-1)
    est.fit(xtr, ytr)
    pred = est.predict(xte)
    return accuracy_score(yte, pred) if classify else r2_score(yte, pred)


def run(path, target, model, text, classify, library="sklearn"):
    df = pd.read_csv(path, keep_default_na=False, na_values=[""])
    if model == "hist_gradient_boosting":
        y = df.pop(target)
        return boosting(df, y, text, classify, library)
    y = df.pop(target)
    xtr, xte, ytr, yte = train_test_split(df, y, test_size=0.2, random_state=42, stratify=y if classify else None)
    if text:
        prep = TfidfVectorizer()
        xtr, xte = xtr[text], xte[text]
    else:
        num = [c for c in df.columns if df[c].dtype.kind in "if"]
        cat = [c for c in df.columns if c not in num]
        prep = ColumnTransformer([
            ("num", make_pipeline(SimpleImputer(strategy="median"), StandardScaler()), num),
            ("cat", make_pipeline(SimpleImputer(strategy="most_frequent"), OneHotEncoder(handle_unknown="ignore")), cat),
        ])
    pipe = make_pipeline(prep, MODELS[(model, classify)]())
    pipe.fit(xtr, ytr)
    pred = pipe.predict(xte)
    return accuracy_score(yte, pred) if classify else r2_score(yte, pred)


def main():
    for case in json.loads(sys.stdin.read()):
        args = (case["path"], case["target"], case["model"], case.get("text"), case["classify"])
        out = {"name": case["name"]}
        libraries = ["sklearn", "lightgbm"] if case["model"] == "hist_gradient_boosting" else ["sklearn"]
        for library in libraries:
            run(*args, library)  # warm-up, untimed (as on the Cairn side)
            best, score = float("inf"), None
            for _ in range(case["repeat"]):
                t = time.perf_counter()
                score = run(*args, library)
                best = min(best, time.perf_counter() - t)
            prefix = "" if library == "sklearn" else "lightgbm_"
            out.update({prefix + "seconds": best, prefix + "score": score})
        print(json.dumps(out), flush=True)


if __name__ == "__main__":
    main()
