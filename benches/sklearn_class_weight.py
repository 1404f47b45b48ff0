"""scikit-learn's answers for the class-weight test (tests/suite/calibration.rs): reads a CSV
(numeric columns x0, x1, … and a 0/1 column y) named on the command line and prints one JSON
object: LogisticRegression(C=1, class_weight="balanced") on the standardised columns (coef,
intercept), LinearSVC(C=1, class_weight="balanced") on the same columns (coef, intercept),
and DecisionTreeClassifier(max_depth=3, class_weight="balanced") class-1
probabilities on every row.
"""
import json
import sys

import numpy as np
import pandas as pd
from sklearn.linear_model import LogisticRegression
from sklearn.preprocessing import StandardScaler
from sklearn.svm import LinearSVC
from sklearn.tree import DecisionTreeClassifier

df = pd.read_csv(sys.argv[1])
x = df[[c for c in df.columns if c != "y"]].to_numpy(dtype=float)
y = df["y"].to_numpy()
xs = StandardScaler().fit_transform(x)
lr = LogisticRegression(C=1.0, class_weight="balanced", tol=1e-8, max_iter=10000).fit(xs, y)
svc = LinearSVC(C=1.0, class_weight="balanced", tol=1e-8, max_iter=100000).fit(xs, y)
tree = DecisionTreeClassifier(max_depth=3, class_weight="balanced", random_state=0).fit(x, y)
print(json.dumps({
    "coef": lr.coef_[0].tolist(),
    "intercept": float(lr.intercept_[0]),
    "tree_proba": tree.predict_proba(x)[:, 1].tolist(),
    "svc_coef": svc.coef_[0].tolist(),
    "svc_intercept": float(svc.intercept_[0]),
}))
