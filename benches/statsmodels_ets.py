#!/usr/bin/env python3
"""Reference Holt-Winters (exponential smoothing) from statsmodels for Cairn's forecasting tests.

Usage:  python3 benches/statsmodels_ets.py < request.json      (one JSON object in, one out)
        python3 benches/statsmodels_ets.py --selftest          (checks the equations below)

Mode "fixed" -- no fitting, known parameters and initial states:
  in : {"mode":"fixed","y":[...],"trend":"add"|null,"seasonal":"add"|"mul"|null,
        "seasonal_periods":m,"damped":false,"alpha":a,"beta":b|null,"gamma":g|null,
        "initial_level":l0,"initial_trend":b0|null,"initial_seasonal":[m values]|null,"horizon":H}
  out: {"forecast":[H values],"fitted":[len(y) one-step-ahead values],"sse":sum((y-fitted)^2)}
  = ExponentialSmoothing(y, trend, seasonal, seasonal_periods=m, initialization_method="known",
        initial_level=l0, initial_trend=b0, initial_seasonal=s0)
      .fit(smoothing_level=a, smoothing_trend=b, smoothing_seasonal=g, optimized=False)
  ("damped": true is refused: the equations below are for phi = 1.)

Mode "backtest" -- automatic fit per forecast origin:
  in : {"mode":"backtest","y":[...],"seasonal_periods":m,"horizon":H,"origins":[c1,c2,...]}
  out: {"forecasts":[[H values] per origin],"chosen":["add"|"mul" per origin],
        "aic":[[aic_add, aic_mul|null] per origin]}
  For each origin c: fit ExponentialSmoothing(y[:c], trend="add", seasonal=S, seasonal_periods=m,
  initialization_method="estimated").fit() for S = "add" and, only if all y[:c] > 0, S = "mul";
  keep the lower AIC (a tie keeps "add") and forecast H steps. Warnings are silenced.

EXACT RECURSION of statsmodels 0.15.0 (tsa/holtwinters/model.py, ExponentialSmoothing._predict)
with known initial states, no damping, no Box-Cox. Observations y_0..y_{n-1} (0-based).

  States before any observation:  l_{-1} = initial_level,  b_{-1} = initial_trend (0 if no trend).
  Seasonal array S of length n+m:  S[j] = initial_seasonal[j] for j = 0..m-1, and
  S[t+m] is the seasonal written after observing y_t.  Observation y_t uses S[t]; so
  initial_seasonal[0] is the season of the FIRST observation y_0, initial_seasonal[j] that of y_j,
  and y_t (t >= m) uses the value updated from y_{t-m}.

  Additive seasonality (seasonal="add"), for t = 0..n-1:
      fitted_t = l_{t-1} + b_{t-1} + S[t]
      l_t      = alpha*(y_t - S[t]) + (1-alpha)*(l_{t-1} + b_{t-1})
      b_t      = beta*(l_t - l_{t-1}) + (1-beta)*b_{t-1}                 (trend="add" only)
      S[t+m]   = gamma*(y_t - l_{t-1} - b_{t-1}) + (1-gamma)*S[t]
  Multiplicative seasonality (seasonal="mul"), for t = 0..n-1:
      fitted_t = (l_{t-1} + b_{t-1}) * S[t]
      l_t      = alpha*y_t/S[t] + (1-alpha)*(l_{t-1} + b_{t-1})
      b_t      = beta*(l_t - l_{t-1}) + (1-beta)*b_{t-1}                 (trend="add" only)
      S[t+m]   = gamma*y_t/(l_{t-1} + b_{t-1}) + (1-gamma)*S[t]
  NB: the seasonal update uses the PREVIOUS level and trend (l_{t-1} + b_{t-1}), not l_t.
  Without trend every b is 0 (drop the b terms). Without seasonality: S[t] = 0, no S update.

  h-step forecast from the end (h = 1..H), with l = l_{n-1}, b = b_{n-1}:
      additive:        yhat_{n-1+h} = l + h*b + S[n-1 + (h mod m)]
      multiplicative:  yhat_{n-1+h} = (l + h*b) * S[n-1 + (h mod m)]
  For h mod m != 0 this is the usual "latest seasonal of that phase", S[n + (h-1) mod m].
  QUIRK: for h mod m == 0 (h = m, 2m, ...) statsmodels uses S[n-1], the seasonal that was
  used for fitted_{n-1} (before the update by y_{n-1}), NOT the fresh S[n-1+m]. (Cause: the
  line `s[nobs+m-1:] = [s[(nobs-1) + j % m] ...]` overwrites S[n-1+m] by S[n-1].) The
  textbook (Hyndman & Athanasopoulos) forecast would use S[n-1+m] there. A Rust port that must
  match this reference to 1e-9 has to reproduce the quirk; --selftest checks it.
  sse = sum_t (y_t - fitted_t)^2.
  AIC (used by backtest): n*ln(sse/n) + 2k, k = m*[seasonal] + 2*[trend] + 2 (+1 if damped).
"""
import json
import math
import sys
import warnings

warnings.simplefilter("ignore")

import numpy as np  # noqa: E402
from statsmodels.tsa.holtwinters import ExponentialSmoothing  # noqa: E402


def fixed(req):
    if req.get("damped"):
        raise ValueError("damped=true is not supported by this reference")
    y = np.asarray(req["y"], dtype=float)
    h = int(req["horizon"])
    seasonal = req.get("seasonal")
    trend = req.get("trend")
    kw = dict(trend=trend, seasonal=seasonal, initialization_method="known",
              initial_level=req["initial_level"])
    if seasonal:
        kw["seasonal_periods"] = int(req["seasonal_periods"])
        kw["initial_seasonal"] = req["initial_seasonal"]
    if trend:
        kw["initial_trend"] = req["initial_trend"]
    fit_kw = dict(smoothing_level=req["alpha"], optimized=False)
    if trend:
        fit_kw["smoothing_trend"] = req["beta"]
    if seasonal:
        fit_kw["smoothing_seasonal"] = req["gamma"]
    res = ExponentialSmoothing(y, **kw).fit(**fit_kw)
    return {"forecast": [float(v) for v in res.forecast(h)],
            "fitted": [float(v) for v in res.fittedvalues],
            "sse": float(res.sse)}


def backtest(req):
    y = np.asarray(req["y"], dtype=float)
    m = int(req["seasonal_periods"])
    h = int(req["horizon"])
    out = {"forecasts": [], "chosen": [], "aic": []}
    for c in req["origins"]:
        c = int(c)
        train = y[:c]
        best = None
        aics = []
        for s in ("add", "mul"):
            if s == "mul" and not (train > 0).all():
                aics.append(None)
                continue
            try:
                res = ExponentialSmoothing(train, trend="add", seasonal=s, seasonal_periods=m,
                                           initialization_method="estimated").fit()
                aic = float(res.aic)
            except Exception:  # a failed fit does not compete
                aics.append(None)
                continue
            aics.append(aic if math.isfinite(aic) else None)
            if math.isfinite(aic) and (best is None or aic < best[0]):
                best = (aic, s, res)
        if best is None:
            raise RuntimeError(f"no model could be fitted at origin {c}")
        out["forecasts"].append([float(v) for v in best[2].forecast(h)])
        out["chosen"].append(best[1])
        out["aic"].append(aics)
    return out


def recursion(y, trend, seasonal, m, alpha, beta, gamma, l0, b0, s0, h):
    """The docstring's equations in plain Python (phi = 1)."""
    n = len(y)
    l = float(l0)
    b = float(b0) if trend else 0.0
    S = list(map(float, s0)) if seasonal else []
    fitted = []
    for t in range(n):
        base = l + b
        if seasonal == "add":
            fitted.append(base + S[t])
            ln = alpha * (y[t] - S[t]) + (1 - alpha) * base
            S.append(gamma * (y[t] - base) + (1 - gamma) * S[t])
        elif seasonal == "mul":
            fitted.append(base * S[t])
            ln = alpha * y[t] / S[t] + (1 - alpha) * base
            S.append(gamma * y[t] / base + (1 - gamma) * S[t])
        else:
            fitted.append(base)
            ln = alpha * y[t] + (1 - alpha) * base
        if trend:
            b = beta * (ln - l) + (1 - beta) * b
        l = ln
    fc = []
    for k in range(1, h + 1):
        base = l + k * b
        if seasonal == "add":
            fc.append(base + S[n - 1 + k % m])
        elif seasonal == "mul":
            fc.append(base * S[n - 1 + k % m])
        else:
            fc.append(base)
    sse = sum((yt - ft) ** 2 for yt, ft in zip(y, fitted))
    return fitted, fc, sse


def selftest():
    rng = np.random.default_rng(7)
    worst = 0.0
    cases = 0
    for m in (4, 7, 12):
        for n in (3 * m, 3 * m + 1, 5 * m - 2):
            for trend in ("add", None):
                for seasonal in ("add", "mul"):
                    t = np.arange(n)
                    pat = rng.uniform(-1, 1, m)
                    if seasonal == "add":
                        y = 20 + (0.3 * t if trend else 0) + 3 * pat[t % m] + rng.normal(0, .5, n)
                        s0 = list(3 * pat + rng.normal(0, .2, m))
                    else:
                        y = (20 + (0.3 * t if trend else 0)) * (1 + .2 * pat[t % m]) \
                            * (1 + rng.normal(0, .02, n))
                        s0 = list(1 + .2 * pat + rng.normal(0, .02, m))
                    req = {"y": list(map(float, y)), "trend": trend, "seasonal": seasonal,
                           "seasonal_periods": m, "damped": False,
                           "alpha": float(rng.uniform(.05, .9)),
                           "beta": float(rng.uniform(.01, .3)) if trend else None,
                           "gamma": float(rng.uniform(.01, .5)), "initial_level": 19.5,
                           "initial_trend": 0.25 if trend else None, "initial_seasonal": s0,
                           "horizon": 3 * m + 1}
                    ref = fixed(req)
                    fit, fc, sse = recursion(y, trend, seasonal, m, req["alpha"], req["beta"],
                                             req["gamma"], 19.5, req["initial_trend"], s0,
                                             req["horizon"])
                    scale = max(1.0, float(np.abs(y).max()))
                    err = max(np.abs(np.array(fit) - ref["fitted"]).max(),
                              np.abs(np.array(fc) - ref["forecast"]).max()) / scale
                    err = max(err, abs(sse - ref["sse"]) / max(1.0, ref["sse"]))
                    worst = max(worst, err)
                    cases += 1
                    if err > 1e-9:
                        print(f"FAIL m={m} n={n} trend={trend} seasonal={seasonal} err={err:.3e}",
                              file=sys.stderr)
                        sys.exit(1)
    print(f"selftest ok: {cases} cases (add/mul seasonality, with/without trend), "
          f"max relative deviation {worst:.2e}", file=sys.stderr)


def main():
    if "--selftest" in sys.argv[1:]:
        selftest()
        return
    req = json.load(sys.stdin)
    mode = req.get("mode")
    if mode == "fixed":
        out = fixed(req)
    elif mode == "backtest":
        out = backtest(req)
    else:
        raise ValueError(f"unknown mode {mode!r}")
    json.dump(out, sys.stdout)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
