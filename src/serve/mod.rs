//! Serving layer: `cairn serve` runs a [`Pipeline`] behind an axum HTTP server.
//!
//! Routes: `GET /` (a form built from the input schema), `GET /health`, `/ping`, `/version`,
//! `/metadata`, `/metrics` (Prometheus); `POST /predict` (`{"records":[...]}` or CSV →
//! `{"predictions":[...]}` plus class probabilities); MLflow's `POST /invocations`; KServe's
//! V2 protocol under `/v2`; `/openapi.json` and a `/docs` page describe them all. Bad requests get a 4xx JSON error naming the problem; the model
//! runs on a blocking thread with a time limit; every answer is logged for monitoring.

pub mod batch;
pub mod batch_explain;
mod explain;
pub mod export;
mod forecast;
mod forecast_page;
mod form;
mod log;
mod openapi;
mod picture_page;
pub mod pictures;
mod protocols;

pub use log::PredictionLog;

use crate::data::Dataset;
use crate::monitor::{Metrics, Predicted, ServeStats};
use crate::train::{Pipeline, Prediction, Task};
use axum::Router;
use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, MatchedPath, Path as UrlPath, Request, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::{get, post};
use serde_json::{Value, json};
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// Largest request body accepted, bytes.
pub const BODY_LIMIT: usize = 16 * 1024 * 1024;
/// Most rows accepted in one request.
pub const MAX_RECORDS: usize = 100_000;
/// Longest a prediction may take before the request is answered 503.
pub const REQUEST_TIMEOUT: Duration = Duration::from_secs(30);

/// The model being served: one version, swapped whole.
pub struct Served {
    pub pipeline: Pipeline,
    pub checksum: String,
}

pub struct ServeState {
    /// The current version; a request takes it once and uses it throughout, so a swap never
    /// mixes two versions in one answer, and requests in flight finish on the old one.
    model: std::sync::RwLock<Arc<Served>>,
    /// The bundle file the server started from (what a reload reads by default).
    pub bundle: std::path::PathBuf,
    /// The model's name in URLs (`/v2/models/{name}`): the bundle's file stem.
    pub name: String,
    pub stats: ServeStats,
    pub metrics: Metrics,
    /// Where answered requests are logged (none in tests that do not need it).
    pub log: Option<PredictionLog>,
    /// Which request columns the log keeps.
    pub log_inputs: LogInputs,
    /// Prediction ids: `<server start, hex ms>-<row number>`, unique across restarts; answered
    /// by `POST /predict` and logged, so true answers that arrive later can be matched.
    boot: String,
    next_row: std::sync::atomic::AtomicU64,
}

/// Which request columns the prediction log keeps (`cairn serve --log-inputs`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum LogInputs {
    /// No inputs (outputs, times and ids only; drift monitoring then has nothing to compare).
    None,
    /// The columns the model reads, except those that held personal data in training.
    #[default]
    Safe,
    /// Every column the model reads, personal ones included. (Columns a request carries that
    /// the model does not read are never kept.)
    All,
}

impl LogInputs {
    pub fn parse(s: &str) -> Option<LogInputs> {
        match s.trim().to_ascii_lowercase().as_str() {
            "none" => Some(LogInputs::None),
            "safe" => Some(LogInputs::Safe),
            "all" => Some(LogInputs::All),
            _ => None,
        }
    }

    /// The logged records of a request table, or None when no inputs are kept.
    fn records(self, table: &crate::data::Dataset, schema: &crate::data::Schema) -> Option<Vec<Value>> {
        let keep = |name: &str| match self {
            LogInputs::Safe => {
                schema.columns.iter().any(|c| c.name == name) && !schema.personal.iter().any(|p| p == name)
            }
            _ => true,
        };
        let columns: Vec<&crate::data::Column> = table.columns.iter().filter(|c| keep(&c.name)).collect();
        (self != LogInputs::None).then(|| {
            (0..table.n_rows())
                .map(|r| Value::Object(columns.iter().map(|c| (c.name.clone(), c.values.json(r))).collect()))
                .collect()
        })
    }
}

impl ServeState {
    /// State for serving `pipeline` from the bundle at `bundle` (its name, its log beside it).
    pub fn new(pipeline: Pipeline, checksum: String, bundle: &std::path::Path) -> ServeState {
        let name = bundle.file_stem().map(|s| s.to_string_lossy().into_owned()).unwrap_or_else(|| "model".into());
        let metrics = Metrics::new(&name, pipeline.info.target_quantiles.clone());
        let log = Some(PredictionLog::beside(bundle));
        let model = std::sync::RwLock::new(Arc::new(Served { pipeline, checksum }));
        let boot =
            std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_millis() as u64);
        ServeState {
            model,
            bundle: bundle.to_path_buf(),
            name,
            stats: ServeStats::default(),
            metrics,
            log,
            log_inputs: LogInputs::Safe,
            boot: format!("{boot:x}"),
            next_row: std::sync::atomic::AtomicU64::new(0),
        }
    }

    /// Ids for the next `n` predicted rows.
    fn prediction_ids(&self, n: usize) -> Vec<String> {
        let first = self.next_row.fetch_add(n as u64, std::sync::atomic::Ordering::Relaxed);
        (first..first + n as u64).map(|i| format!("{}-{i}", self.boot)).collect()
    }

    /// The version serving now.
    pub fn current(&self) -> Arc<Served> {
        self.model.read().map(|m| m.clone()).unwrap_or_else(|e| e.into_inner().clone())
    }

    /// Loads `bundle` (default: the one the server started from) and serves it from the next
    /// request on; returns (previous checksum, new checksum). Refused, with the old version
    /// still serving, when the bundle is damaged or predicts another target or task.
    pub fn reload(&self, bundle: Option<&std::path::Path>) -> Result<(String, String), String> {
        let path = bundle.unwrap_or(&self.bundle);
        let (pipeline, checksum) = crate::project::load_bundle(path).map_err(|e| e.to_string())?;
        let old = self.current();
        if pipeline.target.name != old.pipeline.target.name || pipeline.target.task != old.pipeline.target.task {
            return Err(format!(
                "'{}' predicts {} ({}), this server predicts {} ({}): start a new server for it",
                path.display(),
                pipeline.target.name,
                pipeline.target.task.name(),
                old.pipeline.target.name,
                old.pipeline.target.task.name()
            ));
        }
        let new = Arc::new(Served { pipeline, checksum: checksum.clone() });
        match self.model.write() {
            Ok(mut m) => *m = new,
            Err(e) => *e.into_inner() = new,
        }
        Ok((old.checksum.clone(), checksum))
    }
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
        .route("/ping", get(ping))
        .route("/version", get(version))
        .route("/metadata", get(metadata))
        .route("/metrics", get(metrics))
        .route("/openapi.json", get(openapi_json))
        .route("/docs", get(docs))
        .route("/docs/{file}", get(docs_file))
        .route("/predict", post(predict))
        .route("/explain", post(explain::explain))
        .route("/forecast", post(forecast::forecast))
        .route("/invocations", post(invocations))
        .route("/v2", get(v2_server))
        .route("/v2/health/live", get(ping))
        .route("/v2/health/ready", get(ping))
        .route("/v2/models/{name}", get(v2_model))
        .route("/v2/models/{name}/ready", get(v2_ready))
        .route("/v2/models/{name}/infer", post(v2_infer))
        .route("/admin/reload", post(admin_reload))
        .route_layer(middleware::from_fn_with_state(state.clone(), track))
        .fallback(not_found)
        .layer(DefaultBodyLimit::max(BODY_LIMIT))
        .with_state(state)
}

/// Counts every routed request by route and status, with its duration.
async fn track(State(state): State<Arc<ServeState>>, route: MatchedPath, request: Request, next: Next) -> Response {
    state.metrics.start();
    let started = Instant::now();
    let response = next.run(request).await;
    state.metrics.finish(route.as_str(), response.status().as_u16(), started.elapsed());
    response
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
        #[cfg(unix)]
        reload_on_sighup(state.clone());
        let app = router(state).into_make_service_with_connect_info::<SocketAddr>();
        axum::serve(listener, app).with_graceful_shutdown(shutdown_signal()).await?;
        Ok(())
    })
}

/// SIGHUP re-reads the server's bundle file (after it was replaced) and serves it.
#[cfg(unix)]
fn reload_on_sighup(state: Arc<ServeState>) {
    if let Ok(mut hup) = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::hangup()) {
        tokio::spawn(async move {
            while hup.recv().await.is_some() {
                let s = state.clone();
                match tokio::task::spawn_blocking(move || s.reload(None)).await {
                    Ok(Ok((_, checksum))) => eprintln!("reloaded {} ({checksum})", state.bundle.display()),
                    Ok(Err(e)) => eprintln!("reload refused, still serving the previous version: {e}"),
                    Err(_) => {}
                }
            }
        });
    }
}

async fn shutdown_signal() {
    let ctrl_c = async {
        tokio::signal::ctrl_c().await.ok();
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
pub(crate) struct ApiError {
    status: StatusCode,
    message: String,
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        (self.status, axum::Json(json!({ "error": self.message }))).into_response()
    }
}

pub(crate) fn error(status: StatusCode, message: impl Into<String>) -> ApiError {
    ApiError { status, message: message.into() }
}

async fn not_found(State(state): State<Arc<ServeState>>) -> Response {
    state.metrics.start();
    state.metrics.finish("unmatched", 404, Duration::ZERO);
    error(
        StatusCode::NOT_FOUND,
        "no such route (see GET /docs or /openapi.json; try GET /, /health, /metadata, /metrics, or \
         POST /predict, /invocations, /v2/models/{name}/infer)",
    )
    .into_response()
}

async fn index(State(state): State<Arc<ServeState>>) -> Html<String> {
    let served = state.current();
    match served.pipeline.forecast.as_deref() {
        Some(f) => Html(forecast_page::page(&served.pipeline, f)),
        None => match pictures::Examples::of(&served.pipeline) {
            Some(kind) => Html(picture_page::page(&served.pipeline, kind)),
            None => Html(form::page(&served.pipeline)),
        },
    }
}

async fn openapi_json(State(state): State<Arc<ServeState>>) -> Response {
    axum::Json(openapi::spec(&state.current().pipeline, &state.name)).into_response()
}

async fn docs() -> Html<&'static str> {
    Html(openapi::DOCS_PAGE)
}

/// Swagger UI's script, style sheet and icon, built into the executable.
async fn docs_file(UrlPath(file): UrlPath<String>) -> Response {
    let (body, kind) = match file.as_str() {
        "swagger-ui-bundle.js" => (openapi::SWAGGER_JS, "text/javascript; charset=utf-8"),
        "swagger-ui.css" => (openapi::SWAGGER_CSS, "text/css; charset=utf-8"),
        "favicon-32x32.png" => (openapi::SWAGGER_ICON, "image/png"),
        _ => return error(StatusCode::NOT_FOUND, format!("no such file: /docs/{file}")).into_response(),
    };
    ([(header::CONTENT_TYPE, kind), (header::CACHE_CONTROL, "max-age=86400")], body).into_response()
}

/// `POST /admin/reload` (from this machine only), body empty or `{"bundle": "PATH"}`: serve
/// the bundle (default: the server's own bundle file, re-read) from the next request on.
async fn admin_reload(
    State(state): State<Arc<ServeState>>,
    axum::extract::ConnectInfo(peer): axum::extract::ConnectInfo<SocketAddr>,
    body: Bytes,
) -> Response {
    if !peer.ip().is_loopback() {
        return error(StatusCode::FORBIDDEN, "reloading is allowed from this machine only").into_response();
    }
    let bundle = match serde_json::from_slice::<Value>(&body) {
        _ if body.iter().all(u8::is_ascii_whitespace) => None,
        Ok(v) => match v.get("bundle").and_then(Value::as_str) {
            Some(path) => Some(std::path::PathBuf::from(path)),
            None => {
                return error(StatusCode::BAD_REQUEST, "expected {\"bundle\": \"PATH\"} or no body").into_response();
            }
        },
        Err(e) => return error(StatusCode::BAD_REQUEST, format!("bad JSON: {e}")).into_response(),
    };
    let swap = tokio::task::spawn_blocking(move || state.reload(bundle.as_deref())).await;
    match swap {
        Ok(Ok((previous, checksum))) => axum::Json(json!({"previous": previous, "checksum": checksum})).into_response(),
        Ok(Err(message)) => error(StatusCode::UNPROCESSABLE_ENTITY, message).into_response(),
        Err(_) => error(StatusCode::INTERNAL_SERVER_ERROR, "the reload failed").into_response(),
    }
}

async fn ping() -> &'static str {
    "ok\n"
}

async fn health(State(state): State<Arc<ServeState>>) -> Response {
    let served = state.current();
    let p = &served.pipeline;
    axum::Json(json!({
        "status": "ok",
        "model": p.info.model,
        "task": p.target.task.name(),
        "target": p.target.name,
        "checksum": served.checksum,
        "stats": state.stats.snapshot(),
    }))
    .into_response()
}

async fn version() -> Response {
    axum::Json(json!({
        "cairn": env!("CARGO_PKG_VERSION"),
        "bundle_format": crate::project::BUNDLE_FORMAT_VERSION,
    }))
    .into_response()
}

/// What a client needs to call the model: its inputs, what it answers, how it scored.
async fn metadata(State(state): State<Arc<ServeState>>) -> Response {
    let served = state.current();
    let p = &served.pipeline;
    let inputs: Vec<Value> = p.schema.columns.iter().map(|c| json!({"name": c.name, "kind": c.kind.label()})).collect();
    axum::Json(json!({
        "name": state.name,
        "model": p.info.model,
        "model_display_name": p.model_display_name(),
        "task": p.target.task.name(),
        "target": p.target.name,
        "classes": p.target.classes,
        "inputs": inputs,
        "example": p.example,
        "params": p.info.params.values,
        "metrics": p.metrics,
        "train_rows": p.info.train_rows,
        "test_rows": p.info.test_rows,
        "data_hash": p.info.data_hash,
        "checksum": served.checksum,
        "app_version": p.info.app_version,
    }))
    .into_response()
}

async fn metrics(State(state): State<Arc<ServeState>>) -> Response {
    ([(header::CONTENT_TYPE, "text/plain; version=0.0.4")], state.metrics.render()).into_response()
}

fn content_type(headers: &HeaderMap) -> Option<String> {
    headers.get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).map(str::to_ascii_lowercase)
}

async fn predict(State(state): State<Arc<ServeState>>, headers: HeaderMap, body: Bytes) -> Response {
    let ct = content_type(&headers);
    if let Some(kind) = pictures::Examples::of(&state.current().pipeline) {
        // A picture (or sound) model takes files (multipart or base64 JSON) as well as tables.
        // The header as sent: a multipart boundary is case-sensitive.
        let raw = headers.get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).map(str::to_string);
        let (body, files) = (body.clone(), pictures::request_files(raw.as_deref(), body, kind).await);
        match files {
            Err(e) => return e.into_response(),
            Ok(Some(files)) => {
                let parse = move |p: &Pipeline| kind.table(p, &files);
                return answer(state, "/predict", parse, prediction_json).await;
            }
            Ok(None) => {
                return answer(
                    state,
                    "/predict",
                    move |p| protocols::predict_table(p, ct.as_deref(), &body),
                    prediction_json,
                )
                .await;
            }
        }
    }
    answer(state, "/predict", move |p| protocols::predict_table(p, ct.as_deref(), &body), prediction_json).await
}

async fn invocations(State(state): State<Arc<ServeState>>, headers: HeaderMap, body: Bytes) -> Response {
    let ct = content_type(&headers);
    answer(
        state,
        "/invocations",
        move |p| protocols::mlflow_table(p, ct.as_deref(), &body),
        |_, pred| protocols::mlflow_answer(pred),
    )
    .await
}

async fn v2_server() -> Response {
    axum::Json(json!({"name": "cairn", "version": env!("CARGO_PKG_VERSION"), "extensions": []})).into_response()
}

fn unknown_model(state: &ServeState, name: &str) -> Response {
    error(StatusCode::NOT_FOUND, format!("no model '{name}' here (this server serves '{}')", state.name))
        .into_response()
}

async fn v2_model(State(state): State<Arc<ServeState>>, UrlPath(name): UrlPath<String>) -> Response {
    if name != state.name {
        return unknown_model(&state, &name);
    }
    axum::Json(protocols::kserve_metadata(&state.current().pipeline, &state.name)).into_response()
}

async fn v2_ready(State(state): State<Arc<ServeState>>, UrlPath(name): UrlPath<String>) -> Response {
    if name != state.name {
        return unknown_model(&state, &name);
    }
    axum::Json(json!({"name": state.name, "ready": true})).into_response()
}

async fn v2_infer(State(state): State<Arc<ServeState>>, UrlPath(name): UrlPath<String>, body: Bytes) -> Response {
    if name != state.name {
        return unknown_model(&state, &name);
    }
    let id = std::sync::Mutex::new(None);
    let id = Arc::new(id);
    let id2 = id.clone();
    answer(
        state,
        "/v2/models/{name}/infer",
        move |p| {
            let (table, request_id) = protocols::kserve_table(p, &body)?;
            *id2.lock().unwrap_or_else(|e| e.into_inner()) = request_id;
            Ok(table)
        },
        move |p, pred| {
            let request_id = id.lock().unwrap_or_else(|e| e.into_inner()).take();
            protocols::kserve_answer(p, &name, request_id, pred)
        },
    )
    .await
}

/// The common path of every prediction route: parse the body into the input table, predict
/// on a blocking thread within [`REQUEST_TIMEOUT`], count and log, render the route's answer.
async fn answer(
    state: Arc<ServeState>,
    route: &'static str,
    parse: impl FnOnce(&Pipeline) -> Result<Dataset, ApiError> + Send + 'static,
    render: impl FnOnce(&Pipeline, &Prediction) -> Value + Send + 'static,
) -> Response {
    let started = Instant::now();
    let served = state.current();
    let job = tokio::task::spawn_blocking(move || {
        let p = &served.pipeline;
        let table = parse(p)?;
        let prediction = p.predict(&table).map_err(|e| error(StatusCode::UNPROCESSABLE_ENTITY, e.to_string()))?;
        let body = render(p, &prediction);
        Ok::<_, ApiError>((table, prediction, body))
    });
    let result = match tokio::time::timeout(REQUEST_TIMEOUT, job).await {
        Err(_) => Err(error(
            StatusCode::SERVICE_UNAVAILABLE,
            format!("the prediction took longer than {} s; send fewer rows", REQUEST_TIMEOUT.as_secs()),
        )),
        Ok(Err(_)) => Err(error(StatusCode::INTERNAL_SERVER_ERROR, "the model failed on this input")),
        Ok(Ok(r)) => r,
    };
    let latency = started.elapsed();
    let rows = result.as_ref().map_or(0, |(_, p, _)| p.len());
    state.stats.record(latency, rows, result.is_ok());
    match result {
        Ok((table, prediction, mut body)) => {
            let ids = state.prediction_ids(prediction.len());
            if route == "/predict" {
                body["ids"] = json!(ids);
            }
            let outputs = match &prediction {
                Prediction::Regression(v) => {
                    state.metrics.predicted(Predicted::Values(v));
                    json!(v)
                }
                Prediction::Classification { labels, .. } => {
                    state.metrics.predicted(Predicted::Labels(labels));
                    json!(labels)
                }
            };
            if let Some(log) = &state.log {
                let time_ms = std::time::SystemTime::now()
                    .duration_since(std::time::UNIX_EPOCH)
                    .map(|d| d.as_millis() as u64)
                    .unwrap_or(0);
                let mut entry = json!({
                    "time_unix_ms": time_ms,
                    "route": route,
                    "latency_ms": latency.as_secs_f64() * 1e3,
                    "rows": prediction.len(),
                    "ids": ids,
                    "outputs": outputs,
                });
                if let Some(inputs) = state.log_inputs.records(&table, &state.current().pipeline.schema) {
                    entry["inputs"] = json!(inputs);
                }
                if let Err(e) = log.append(&entry) {
                    eprintln!("warning: cannot write the prediction log {}: {e}", log.path().display());
                }
            }
            axum::Json(body).into_response()
        }
        Err(e) => e.into_response(),
    }
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
            let mut v = json!({ "predictions": labels, "classes": classes, "probabilities": probs });
            if pipeline.target.task == Task::Clustering {
                v["task"] = json!("clustering");
            }
            v
        }
    }
}
