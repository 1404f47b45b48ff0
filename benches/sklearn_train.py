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

import pandas as pd
from sklearn.compose import ColumnTransformer
from sklearn.ensemble import RandomForestClassifier, RandomForestRegressor
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.impute import SimpleImputer
from sklearn.linear_model import LinearRegression, LogisticRegression, Ridge
from sklearn.metrics import accuracy_score, r2_score
from sklearn.model_selection import train_test_split
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler
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


def run(path, target, model, text, classify):
    df = pd.read_csv(path, keep_default_na=False, na_values=[""])
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
        run(*args)  # warm-up, untimed (as on the Cairn side)
        best, score = float("inf"), None
        for _ in range(case["repeat"]):
            t = time.perf_counter()
            score = run(*args)
            best = min(best, time.perf_counter() - t)
        print(json.dumps({"name": case["name"], "seconds": best, "score": score}), flush=True)


if __name__ == "__main__":
    main()
