"""The comparison server of `cairn bench serve --fastapi`: FastAPI + uvicorn + scikit-learn
serving the same house-price model Cairn serves (median impute + scale / most-frequent +
one-hot, then linear regression, fitted on the same 80 % of California housing), with the same
request and answer shapes: POST /predict {"records": [...]} -> {"predictions": [...]}.

Run by the benchmark as: CAIRN_BENCH_DATA=california_housing.csv \
    python -m uvicorn fastapi_serve:app --app-dir DIR --workers 2 --port P
"""
import os

import pandas as pd
from fastapi import FastAPI
from sklearn.compose import ColumnTransformer
from sklearn.impute import SimpleImputer
from sklearn.linear_model import LinearRegression
from sklearn.model_selection import train_test_split
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler

TARGET = "median_house_value"
df = pd.read_csv(os.environ["CAIRN_BENCH_DATA"], keep_default_na=False, na_values=[""])
y = df.pop(TARGET)
COLUMNS = list(df.columns)
numeric = [c for c in COLUMNS if pd.api.types.is_numeric_dtype(df[c])]
categorical = [c for c in COLUMNS if c not in numeric]
x_train, _, y_train, _ = train_test_split(df, y, test_size=0.2, random_state=42)
model = make_pipeline(
    ColumnTransformer([
        ("num", make_pipeline(SimpleImputer(strategy="median"), StandardScaler()), numeric),
        ("cat", make_pipeline(SimpleImputer(strategy="most_frequent"),
                              OneHotEncoder(handle_unknown="ignore")), categorical),
    ]),
    LinearRegression(),
)
model.fit(x_train, y_train)

app = FastAPI()


@app.get("/health")
def health():
    return {"status": "ok"}


@app.post("/predict")
def predict(body: dict):
    frame = pd.DataFrame.from_records(body["records"], columns=COLUMNS)
    return {"predictions": model.predict(frame).tolist()}
