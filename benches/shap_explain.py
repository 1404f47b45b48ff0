"""shap side of `cairn bench explain`: path-dependent TreeSHAP with the `shap` package's
TreeExplainer on scikit-learn's RandomForestRegressor (100 trees) for California housing.

Reads the case as JSON on stdin ({"path", "target", "rows", "repeat"}), prepares the data as
benches/sklearn_train.py does (median-impute + scale numbers, one-hot categories), fits the
forest on an 80/20 split (seed 42), then times TreeExplainer(forest).shap_values on the first
`rows` rows of the file (best of `repeat`) and on one row. Prints one JSON object.
"""
import json
import sys
import time

import numpy as np
import pandas as pd
import shap
from sklearn.compose import ColumnTransformer
from sklearn.ensemble import RandomForestRegressor
from sklearn.impute import SimpleImputer
from sklearn.model_selection import train_test_split
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler


def main():
    case = json.loads(sys.stdin.read())
    df = pd.read_csv(case["path"], keep_default_na=False, na_values=[""])
    y = df.pop(case["target"])
    num = [c for c in df.columns if df[c].dtype.kind in "if"]
    cat = [c for c in df.columns if c not in num]
    prep = ColumnTransformer([
        ("num", make_pipeline(SimpleImputer(strategy="median"), StandardScaler()), num),
        ("cat", make_pipeline(SimpleImputer(strategy="most_frequent"), OneHotEncoder(handle_unknown="ignore", sparse_output=False)), cat),
    ])
    xtr, _, ytr, _ = train_test_split(df, y, test_size=0.2, random_state=42)
    prep.fit(xtr)
    forest = RandomForestRegressor(n_estimators=100, n_jobs=-1, random_state=42).fit(prep.transform(xtr), ytr)
    x = np.asarray(prep.transform(df.iloc[: case["rows"]]), dtype=np.float64)
    t = time.perf_counter()
    explainer = shap.TreeExplainer(forest)
    setup = time.perf_counter() - t
    best = float("inf")
    for _ in range(case["repeat"]):
        t = time.perf_counter()
        values = explainer.shap_values(x, check_additivity=False)
        best = min(best, time.perf_counter() - t)
    one = float("inf")
    for _ in range(5):
        t = time.perf_counter()
        explainer.shap_values(x[:1], check_additivity=False)
        one = min(one, time.perf_counter() - t)
    gap = float(np.max(np.abs(values.sum(axis=1) + explainer.expected_value - forest.predict(x))))
    nodes = sum(e.tree_.node_count for e in forest.estimators_)
    print(json.dumps({"seconds": best, "setup_seconds": setup, "one_row_seconds": one, "rows": len(x),
                      "nodes": nodes, "additivity_gap": gap, "shap": shap.__version__}))


if __name__ == "__main__":
    main()
