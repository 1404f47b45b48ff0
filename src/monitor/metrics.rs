//! Prometheus metrics of a serving process (`GET /metrics`, text exposition format 0.0.4):
//! requests by route and status, a latency histogram, requests in flight, rows predicted, and
//! the distribution of what is predicted (per class, or a histogram over the training target's
//! deciles) — so a dashboard sees both load and drift in the answers.

use std::collections::BTreeMap;
use std::fmt::Write;
use std::sync::Mutex;
use std::sync::atomic::{AtomicI64, Ordering};
use std::time::Duration;

/// Latency histogram bucket bounds, seconds.
const LATENCY_BUCKETS: [f64; 12] = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5];

#[derive(Debug, Default)]
struct Inner {
    /// (route, status) → count.
    requests: BTreeMap<(String, u16), u64>,
    latency_counts: [u64; LATENCY_BUCKETS.len()],
    latency_sum: f64,
    latency_count: u64,
    predictions: u64,
    classes: BTreeMap<String, u64>,
    value_counts: Vec<u64>,
    value_sum: f64,
    value_count: u64,
}

/// What is predicted, for the distribution metrics.
pub enum Predicted<'a> {
    Values(&'a [f64]),
    Labels(&'a [String]),
}

#[derive(Debug)]
pub struct Metrics {
    inner: Mutex<Inner>,
    in_flight: AtomicI64,
    /// Upper bounds of the predicted-value histogram (the training target's deciles).
    value_buckets: Vec<f64>,
    /// Constant labels of every series, e.g. `model="house"`.
    model: String,
}

impl Metrics {
    pub fn new(model: &str, value_buckets: Vec<f64>) -> Metrics {
        let inner = Inner { value_counts: vec![0; value_buckets.len()], ..Inner::default() };
        Metrics { inner: Mutex::new(inner), in_flight: AtomicI64::new(0), value_buckets, model: model.to_string() }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }

    pub fn start(&self) {
        self.in_flight.fetch_add(1, Ordering::Relaxed);
    }

    /// One finished request on `route` with its status and duration.
    pub fn finish(&self, route: &str, status: u16, took: Duration) {
        self.in_flight.fetch_sub(1, Ordering::Relaxed);
        let s = took.as_secs_f64();
        let mut m = self.lock();
        *m.requests.entry((route.to_string(), status)).or_default() += 1;
        if let Some(b) = LATENCY_BUCKETS.iter().position(|&le| s <= le) {
            m.latency_counts[b] += 1;
        }
        m.latency_sum += s;
        m.latency_count += 1;
    }

    /// Rows answered by a prediction route.
    pub fn predicted(&self, what: Predicted) {
        let mut m = self.lock();
        match what {
            Predicted::Values(v) => {
                m.predictions += v.len() as u64;
                for &x in v {
                    if let Some(b) = self.value_buckets.iter().position(|&le| x <= le) {
                        m.value_counts[b] += 1;
                    }
                    m.value_sum += x;
                    m.value_count += 1;
                }
            }
            Predicted::Labels(l) => {
                m.predictions += l.len() as u64;
                for c in l {
                    *m.classes.entry(c.clone()).or_default() += 1;
                }
            }
        }
    }

    /// The text exposition of every series.
    pub fn render(&self) -> String {
        let m = self.lock();
        let model = escape(&self.model);
        let mut out = String::new();
        writeln!(out, "# HELP cairn_requests_total HTTP requests by route and status code.").ok();
        writeln!(out, "# TYPE cairn_requests_total counter").ok();
        for ((route, status), n) in &m.requests {
            writeln!(
                out,
                "cairn_requests_total{{model=\"{model}\",route=\"{}\",status=\"{status}\"}} {n}",
                escape(route)
            )
            .ok();
        }
        writeln!(out, "# HELP cairn_request_duration_seconds Time to answer a request.").ok();
        writeln!(out, "# TYPE cairn_request_duration_seconds histogram").ok();
        histogram(
            &mut out,
            "cairn_request_duration_seconds",
            &model,
            &LATENCY_BUCKETS,
            &m.latency_counts,
            m.latency_sum,
            m.latency_count,
        );
        writeln!(out, "# HELP cairn_requests_in_flight Requests being answered now.").ok();
        writeln!(out, "# TYPE cairn_requests_in_flight gauge").ok();
        writeln!(
            out,
            "cairn_requests_in_flight{{model=\"{model}\"}} {}",
            self.in_flight.load(Ordering::Relaxed).max(0)
        )
        .ok();
        writeln!(out, "# HELP cairn_predictions_total Rows predicted.").ok();
        writeln!(out, "# TYPE cairn_predictions_total counter").ok();
        writeln!(out, "cairn_predictions_total{{model=\"{model}\"}} {}", m.predictions).ok();
        if !m.classes.is_empty() {
            writeln!(out, "# HELP cairn_predicted_class_total Rows predicted as each class.").ok();
            writeln!(out, "# TYPE cairn_predicted_class_total counter").ok();
            for (c, n) in &m.classes {
                writeln!(out, "cairn_predicted_class_total{{model=\"{model}\",class=\"{}\"}} {n}", escape(c)).ok();
            }
        }
        if !self.value_buckets.is_empty() {
            writeln!(out, "# HELP cairn_prediction_value Predicted values (buckets: the training target's deciles).")
                .ok();
            writeln!(out, "# TYPE cairn_prediction_value histogram").ok();
            histogram(
                &mut out,
                "cairn_prediction_value",
                &model,
                &self.value_buckets,
                &m.value_counts,
                m.value_sum,
                m.value_count,
            );
        }
        out
    }
}

/// The headline numbers of a server, read back from its `/metrics` text.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Snapshot {
    /// Requests to the prediction routes.
    pub requests: u64,
    /// Of those, answered with a 4xx/5xx.
    pub errors: u64,
    pub predictions: u64,
    /// Mean time to answer any request, milliseconds.
    pub mean_latency_ms: f64,
    pub in_flight: i64,
    /// The request-duration histogram: (upper bound in seconds, cumulative count), +Inf last.
    pub latency_buckets: Vec<(f64, f64)>,
}

/// The `q` quantile (0..1) of the requests counted by cumulative `buckets` — the difference of
/// two scrapes gives a window — interpolated inside the bucket as Prometheus'
/// `histogram_quantile` does. `None` when the window holds no request.
pub fn histogram_quantile(q: f64, buckets: &[(f64, f64)]) -> Option<f64> {
    let total = buckets.last()?.1;
    if total <= 0.0 {
        return None;
    }
    let rank = q * total;
    let mut below = (0.0, 0.0);
    for &(le, count) in buckets {
        if count >= rank {
            if le.is_infinite() {
                return Some(below.0);
            }
            let width = count - below.1;
            let within = if width > 0.0 { (rank - below.1) / width } else { 1.0 };
            return Some(below.0 + (le - below.0) * within);
        }
        below = (le, count);
    }
    Some(below.0)
}

/// Reads a [`Snapshot`] from Prometheus text produced by [`Metrics::render`].
pub fn read_exposition(text: &str) -> Snapshot {
    let mut s = Snapshot::default();
    let (mut sum, mut count) = (0.0, 0.0);
    for line in text.lines().filter(|l| !l.starts_with('#')) {
        let Some((series, value)) = line.rsplit_once(' ') else { continue };
        let v: f64 = value.parse().unwrap_or(0.0);
        let label = |name: &str| {
            series.split_once(&format!("{name}=\"")).and_then(|(_, rest)| rest.split_once('"')).map(|(v, _)| v)
        };
        if series.starts_with("cairn_requests_total{") {
            let route = label("route").unwrap_or("");
            let prediction_route = route == "/predict" || route == "/invocations" || route.ends_with("/infer");
            if prediction_route {
                s.requests += v as u64;
                if label("status").and_then(|c| c.parse::<u16>().ok()).is_some_and(|c| c >= 400) {
                    s.errors += v as u64;
                }
            }
        } else if series.starts_with("cairn_predictions_total{") {
            s.predictions = v as u64;
        } else if series.starts_with("cairn_requests_in_flight{") {
            s.in_flight = v as i64;
        } else if series.starts_with("cairn_request_duration_seconds_bucket{") {
            let le = label("le").map(|b| if b == "+Inf" { f64::INFINITY } else { b.parse().unwrap_or(f64::INFINITY) });
            s.latency_buckets.push((le.unwrap_or(f64::INFINITY), v));
        } else if series.starts_with("cairn_request_duration_seconds_sum{") {
            sum = v;
        } else if series.starts_with("cairn_request_duration_seconds_count{") {
            count = v;
        }
    }
    s.mean_latency_ms = if count > 0.0 { sum / count * 1e3 } else { 0.0 };
    s
}

/// A histogram's cumulative `_bucket` lines plus `_sum` and `_count`.
fn histogram(out: &mut String, name: &str, model: &str, bounds: &[f64], counts: &[u64], sum: f64, count: u64) {
    let mut cumulative = 0;
    for (le, n) in bounds.iter().zip(counts) {
        cumulative += n;
        writeln!(out, "{name}_bucket{{model=\"{model}\",le=\"{le}\"}} {cumulative}").ok();
    }
    writeln!(out, "{name}_bucket{{model=\"{model}\",le=\"+Inf\"}} {count}").ok();
    writeln!(out, "{name}_sum{{model=\"{model}\"}} {sum}").ok();
    writeln!(out, "{name}_count{{model=\"{model}\"}} {count}").ok();
}

/// Escapes a label value (backslash, quote, newline).
fn escape(s: &str) -> String {
    s.replace('\\', "\\\\").replace('"', "\\\"").replace('\n', "\\n")
}

#[cfg(test)]
mod tests {
    #[test]
    fn histogram_quantiles_as_prometheus() {
        // 100 requests: 50 ≤ 1 ms, 40 in (1, 5] ms, 10 in (5, 10] ms.
        let b = [(0.001, 50.0), (0.005, 90.0), (0.01, 100.0), (f64::INFINITY, 100.0)];
        let q = |x| super::histogram_quantile(x, &b).unwrap();
        assert!((q(0.5) - 0.001).abs() < 1e-12);
        assert!((q(0.7) - 0.003).abs() < 1e-12); // 20 of the 40 in (1, 5]: halfway
        assert!((q(0.99) - 0.0095).abs() < 1e-12);
        assert_eq!(super::histogram_quantile(0.5, &[(0.001, 0.0), (f64::INFINITY, 0.0)]), None);
    }

    use super::*;

    #[test]
    fn exposition_counts_requests_latency_and_predictions() {
        let m = Metrics::new("house", vec![1.0, 2.0]);
        m.start();
        m.finish("/predict", 200, Duration::from_millis(3));
        m.start();
        m.finish("/predict", 400, Duration::from_millis(30));
        m.predicted(Predicted::Values(&[0.5, 1.5, 9.0]));
        let text = m.render();
        assert!(text.contains("cairn_requests_total{model=\"house\",route=\"/predict\",status=\"200\"} 1"), "{text}");
        assert!(text.contains("cairn_requests_total{model=\"house\",route=\"/predict\",status=\"400\"} 1"));
        assert!(text.contains("cairn_request_duration_seconds_bucket{model=\"house\",le=\"0.005\"} 1"));
        assert!(text.contains("cairn_request_duration_seconds_bucket{model=\"house\",le=\"+Inf\"} 2"));
        assert!(text.contains("cairn_requests_in_flight{model=\"house\"} 0"));
        assert!(text.contains("cairn_predictions_total{model=\"house\"} 3"));
        assert!(text.contains("cairn_prediction_value_bucket{model=\"house\",le=\"2\"} 2"));
        assert!(text.contains("cairn_prediction_value_count{model=\"house\"} 3"));
        let snap = read_exposition(&text);
        assert_eq!((snap.requests, snap.errors, snap.predictions, snap.in_flight), (2, 1, 3, 0));
        assert!((snap.mean_latency_ms - 16.5).abs() < 1e-9, "{snap:?}");
    }
}
