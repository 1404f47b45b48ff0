//! Serving layer: `cairn serve` runs a [`Pipeline`] behind a small axum HTTP server.
//!
//! Routes: `GET /` (a form built from the input schema), `GET /health`, `POST /predict`
//! (`{"records":[{col: value, ...}, ...]}` → `{"predictions":[...]}`, plus class probabilities).
//! Bad requests get a 4xx JSON error naming the problem.

mod form;

use crate::monitor::ServeStats;
use crate::train::{Pipeline, Prediction};
use axum::Router;
use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, State};
use axum::http::{StatusCode, header};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::{get, post};
use serde_json::{Map, Value, json};
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Instant;

/// Largest request body accepted, bytes.
pub const BODY_LIMIT: usize = 16 * 1024 * 1024;
/// Most records accepted in one request.
pub const MAX_RECORDS: usize = 100_000;

pub struct ServeState {
    pub pipeline: Pipeline,
    pub checksum: String,
    pub stats: ServeStats,
}

#[derive(Debug, thiserror::Error)]
pub enum ServeError {
    #[error("cannot listen on {addr}: {error}")]
    Bind { addr: String, error: std::io::Error },
    #[error("server failed: {0}")]
    Io(#[from] std::io::Error),
}

/// The HTTP routes over a loaded pipeline.
pub fn router(state: Arc<ServeState>) -> Router {
    Router::new()
        .route("/", get(index))
        .route("/health", get(health))
        .route("/predict", post(predict))
        .fallback(not_found)
        .layer(DefaultBodyLimit::max(BODY_LIMIT))
        .with_state(state)
}

/// Binds `host:port` (port 0 picks a free one), calls `on_ready` with the bound address, then
/// serves until Ctrl-C or SIGTERM, letting in-flight requests finish.
pub fn serve_blocking(
    state: Arc<ServeState>,
    host: &str,
    port: u16,
    on_ready: impl FnOnce(SocketAddr),
) -> Result<(), ServeError> {
    let rt = tokio::runtime::Builder::new_multi_thread().enable_all().build()?;
    rt.block_on(async move {
        let addr = format!("{host}:{port}");
        let listener = tokio::net::TcpListener::bind(&addr).await.map_err(|error| ServeError::Bind { addr, error })?;
        on_ready(listener.local_addr()?);
        axum::serve(listener, router(state)).with_graceful_shutdown(shutdown_signal()).await?;
        Ok(())
    })
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! { _ = ctrl_c => {}, _ = term => {} }
}

/// A 4xx answer: `{"error": message}`.
struct ApiError {
    status: StatusCode,
    message: String,
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        (self.status, axum::Json(json!({ "error": self.message }))).into_response()
    }
}

fn error(status: StatusCode, message: impl Into<String>) -> ApiError {
    ApiError { status, message: message.into() }
}

async fn not_found() -> Response {
    error(StatusCode::NOT_FOUND, "no such route (try GET /, GET /health or POST /predict)").into_response()
}

async fn index(State(state): State<Arc<ServeState>>) -> Html<String> {
    Html(form::page(&state.pipeline))
}

async fn health(State(state): State<Arc<ServeState>>) -> Response {
    let p = &state.pipeline;
    axum::Json(json!({
        "status": "ok",
        "model": p.info.model,
        "task": p.target.task.name(),
        "target": p.target.name,
        "checksum": state.checksum,
        "stats": state.stats.snapshot(),
    }))
    .into_response()
}

async fn predict(State(state): State<Arc<ServeState>>, headers: axum::http::HeaderMap, body: Bytes) -> Response {
    let started = Instant::now();
    let result = predict_body(&state.pipeline, &headers, &body);
    let rows = result.as_ref().map_or(0, |(n, _)| *n);
    state.stats.record(started.elapsed(), rows, result.is_ok());
    match result {
        Ok((_, v)) => axum::Json(v).into_response(),
        Err(e) => e.into_response(),
    }
}

fn predict_body(pipeline: &Pipeline, headers: &axum::http::HeaderMap, body: &[u8]) -> Result<(usize, Value), ApiError> {
    let bad = |m: String| error(StatusCode::BAD_REQUEST, m);
    if let Some(ct) = headers.get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok())
        && !ct.contains("json")
    {
        return Err(error(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            format!("send JSON (content-type application/json), not {ct}"),
        ));
    }
    let value: Value = serde_json::from_slice(body).map_err(|e| bad(format!("body is not valid JSON: {e}")))?;
    let records = value
        .get("records")
        .ok_or_else(|| bad("expected an object with a \"records\" array".into()))?
        .as_array()
        .ok_or_else(|| bad("\"records\" must be an array of objects".into()))?;
    if records.is_empty() {
        return Err(bad("\"records\" is empty: send at least one record".into()));
    }
    if records.len() > MAX_RECORDS {
        return Err(error(
            StatusCode::PAYLOAD_TOO_LARGE,
            format!("{} records in one request; the limit is {MAX_RECORDS}", records.len()),
        ));
    }
    let mut objects: Vec<Map<String, Value>> = Vec::with_capacity(records.len());
    for (i, r) in records.iter().enumerate() {
        match r {
            Value::Object(m) => objects.push(m.clone()),
            _ => return Err(bad(format!("record {i} is not an object"))),
        }
    }
    let ds = pipeline
        .schema
        .dataset_from_records(&objects)
        .map_err(|e| error(StatusCode::UNPROCESSABLE_ENTITY, e.to_string()))?;
    let prediction = pipeline.predict(&ds).map_err(|e| error(StatusCode::UNPROCESSABLE_ENTITY, e.to_string()))?;
    Ok((prediction.len(), prediction_json(pipeline, &prediction)))
}

/// `{"predictions": [...]}`; classification adds `classes` and per-row `probabilities`.
pub fn prediction_json(pipeline: &Pipeline, prediction: &Prediction) -> Value {
    match prediction {
        Prediction::Regression(v) => json!({ "predictions": v }),
        Prediction::Classification { labels, probabilities } => {
            let classes = &pipeline.target.classes;
            let probs: Vec<Value> = probabilities
                .iter()
                .map(|row| Value::Object(classes.iter().cloned().zip(row.iter().map(|&p| json!(p))).collect()))
                .collect();
            json!({ "predictions": labels, "classes": classes, "probabilities": probs })
        }
    }
}
