//! Monitoring layer: live counters of a serving process (requests, errors, predictions, latency).
//! The server updates them on every request; `/health` and the Deploy panel read them.

pub mod drift;
mod live;
mod log_reader;
mod metrics;

pub use log_reader::{LogError, MAX_ROWS, ServedLog, read_prediction_log};

pub use drift::{DriftReport, FeatureDrift, drift_report, drift_report_for};
pub use live::{LiveError, LiveScores, live_scores};
pub use metrics::{Metrics, Predicted, Snapshot, histogram_quantile, read_exposition};

use serde::Serialize;
use std::sync::Mutex;
use std::time::Duration;

#[derive(Debug, Default)]
pub struct ServeStats {
    inner: Mutex<Counters>,
}

#[derive(Clone, Debug, Default, Serialize, PartialEq)]
pub struct Counters {
    pub requests: u64,
    pub errors: u64,
    pub predictions: u64,
    /// Mean latency of prediction requests, milliseconds.
    pub mean_latency_ms: f64,
    pub max_latency_ms: f64,
}

impl ServeStats {
    /// Records one prediction request.
    pub fn record(&self, latency: Duration, rows: usize, ok: bool) {
        let ms = latency.as_secs_f64() * 1e3;
        let mut c = self.inner.lock().unwrap_or_else(|e| e.into_inner());
        c.requests += 1;
        if ok {
            c.predictions += rows as u64;
        } else {
            c.errors += 1;
        }
        c.mean_latency_ms += (ms - c.mean_latency_ms) / c.requests as f64;
        c.max_latency_ms = c.max_latency_ms.max(ms);
    }

    pub fn snapshot(&self) -> Counters {
        self.inner.lock().unwrap_or_else(|e| e.into_inner()).clone()
    }
}
