//! `POST /explain`: the same request shapes as `/predict` (Cairn records or a CSV body), answered
//! with each row's Shapley contributions per input column (see `eval::explain`):
//! `{"explanations": [{"prediction", "base_value", "output", "contributions": {column: v}}]}`.
//! `?class=NAME` explains that class instead of each row's predicted class.

use super::{REQUEST_TIMEOUT, ServeState, content_type, error, protocols};
use crate::eval::explain::{Options, explain_rows};
use axum::body::Bytes;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::json;
use std::collections::HashMap;
use std::sync::Arc;

pub(super) async fn explain(
    State(state): State<Arc<ServeState>>,
    Query(query): Query<HashMap<String, String>>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let ct = content_type(&headers);
    let served = state.current();
    let job = tokio::task::spawn_blocking(move || {
        let p = &served.pipeline;
        let table = protocols::predict_table(p, ct.as_deref(), &body)?;
        let opts = Options { class: query.get("class").cloned(), ..Options::default() };
        let e = explain_rows(p, &table, &opts).map_err(|e| error(StatusCode::UNPROCESSABLE_ENTITY, e.to_string()))?;
        Ok::<_, super::ApiError>(json!({
            "explanations": (0..e.rows.len()).map(|i| e.row_json(i)).collect::<Vec<_>>(),
            "columns": e.columns,
        }))
    });
    let result = match tokio::time::timeout(REQUEST_TIMEOUT, job).await {
        Err(_) => Err(error(
            StatusCode::SERVICE_UNAVAILABLE,
            format!("the explanation took longer than {} s; send fewer rows", REQUEST_TIMEOUT.as_secs()),
        )),
        Ok(Err(_)) => Err(error(StatusCode::INTERNAL_SERVER_ERROR, "the model failed on this input")),
        Ok(Ok(r)) => r,
    };
    match result {
        Ok(body) => axum::Json(body).into_response(),
        Err(e) => e.into_response(),
    }
}
