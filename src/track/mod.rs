//! Tracking layer: the content hash of the training data (which every pipeline records), the
//! SQLite run store, and export of the runs to MLflow.

pub mod mlflow;
mod store;

pub use store::{Comparison, RunRecord, RunStore, TrackError, compare, metric_label};

pub use crate::data::dataset_hash;
pub use crate::util::hex;

/// `YYYY-MM-DD HH:MM:SS.000000` (UTC) for a Unix time, as MLflow writes it.
pub fn utc_time(unix: u64) -> String {
    let (days, secs) = ((unix / 86_400) as i64, unix % 86_400);
    // Civil date from days since 1970-01-01 (Howard Hinnant's algorithm).
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!("{year:04}-{month:02}-{day:02} {:02}:{:02}:{:02}.000000", secs / 3600, secs / 60 % 60, secs % 60)
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
