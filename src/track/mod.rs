//! Tracking layer: the content hash of the training data (which every pipeline records), the
//! SQLite run store, and export of the runs to MLflow.

pub mod mlflow;
mod store;

pub use store::{Comparison, RunRecord, RunStore, TrackError, compare, metric_label};

pub use crate::data::dataset_hash;
pub use crate::util::hex;

/// `YYYY-MM-DD HH:MM:SS.000000` (UTC) for a Unix time, as MLflow writes it (empty past
/// chrono's last year, 262 143).
pub fn utc_time(unix: u64) -> String {
    i64::try_from(unix)
        .ok()
        .and_then(|secs| chrono::DateTime::from_timestamp(secs, 0))
        .map_or_else(String::new, |t| t.format("%Y-%m-%d %H:%M:%S%.6f").to_string())
}

/// A project's name from where its data came from: the file's stem (`house.csv` → `house`).
pub fn project_name(source: &str) -> String {
    let path = std::path::Path::new(source);
    path.file_stem().map_or_else(|| source.to_string(), |n| n.to_string_lossy().into_owned())
}

#[cfg(test)]
mod tests {
    #[test]
    fn utc_times_and_project_names() {
        assert_eq!(super::utc_time(0), "1970-01-01 00:00:00.000000");
        assert_eq!(super::utc_time(951_782_400), "2000-02-29 00:00:00.000000");
        assert_eq!(super::utc_time(1_795_000_000), "2026-11-18 11:06:40.000000");
        assert_eq!(super::project_name("/data/california_housing.csv"), "california_housing");
    }
}
