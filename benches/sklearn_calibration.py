"""scikit-learn's answers for tests/suite/calibration.rs: reads one JSON request on stdin and
prints one JSON answer.

Request: {"p": [...], "y": [0/1 ...], "f": [...], "grid": [...], "probs": [...], "actual": [0/1 ...]}
Answer:  {"isotonic": predictions of IsotonicRegression(out_of_bounds="clip") fitted on (p, y) at grid,
          "sigmoid": [A, B] of scikit-learn's Platt scaling fitted on (f, y),
          "brier": brier_score_loss(actual, probs),
          "prob_true", "prob_pred": calibration_curve(actual, probs, n_bins=10)}
"""
import json
import sys

import numpy as np
from sklearn.calibration import _sigmoid_calibration, calibration_curve
from sklearn.isotonic import IsotonicRegression
from sklearn.metrics import brier_score_loss

r = json.load(sys.stdin)
iso = IsotonicRegression(out_of_bounds="clip").fit(np.array(r["p"]), np.array(r["y"], dtype=float))
a, b = _sigmoid_calibration(np.array(r["f"]), np.array(r["y"]))
actual, probs = np.array(r["actual"]), np.array(r["probs"])
prob_true, prob_pred = calibration_curve(actual, probs, n_bins=10, strategy="uniform")
print(json.dumps({
    "isotonic": iso.predict(np.array(r["grid"])).tolist(),
    "sigmoid": [float(a), float(b)],
    "brier": float(brier_score_loss(actual, probs)),
    "prob_true": prob_true.tolist(),
    "prob_pred": prob_pred.tolist(),
}))
