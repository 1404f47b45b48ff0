//! The prediction log: one JSON line per answered request (time, route, latency, inputs,
//! outputs) in `BUNDLE.predictions.jsonl` beside the bundle, for the monitoring layer. When
//! the file passes its size limit it is renamed to `….jsonl.1` (replacing the previous one)
//! and a new file is started.

use serde_json::Value;
use std::fs::{File, OpenOptions};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

/// Size at which the log is rotated, bytes.
pub const ROTATE_BYTES: u64 = 64 * 1024 * 1024;

#[derive(Debug)]
pub struct PredictionLog {
    path: PathBuf,
    max_bytes: u64,
    file: Mutex<Option<File>>,
}

impl PredictionLog {
    /// The log of the bundle at `bundle`.
    pub fn beside(bundle: &Path) -> PredictionLog {
        let mut name = bundle.file_name().map(|n| n.to_os_string()).unwrap_or_else(|| "model".into());
        name.push(".predictions.jsonl");
        PredictionLog::at(bundle.with_file_name(name), ROTATE_BYTES)
    }

    pub fn at(path: PathBuf, max_bytes: u64) -> PredictionLog {
        PredictionLog { path, max_bytes, file: Mutex::new(None) }
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Appends one entry; errors are returned for the caller to report (a full disk must not
    /// stop predictions).
    pub fn append(&self, entry: &Value) -> std::io::Result<()> {
        let mut guard = self.file.lock().unwrap_or_else(|e| e.into_inner());
        let size = std::fs::metadata(&self.path).map(|m| m.len()).unwrap_or(0);
        if size >= self.max_bytes {
            *guard = None;
            let mut rotated = self.path.clone().into_os_string();
            rotated.push(".1");
            std::fs::rename(&self.path, rotated)?;
        }
        if guard.is_none() {
            *guard = Some(OpenOptions::new().create(true).append(true).open(&self.path)?);
        }
        let Some(file) = guard.as_mut() else { return Ok(()) };
        let mut line = serde_json::to_vec(entry)?;
        line.push(b'\n');
        file.write_all(&line)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn appends_lines_and_rotates_by_size() {
        let dir = tempfile::tempdir().unwrap();
        let log = PredictionLog::at(dir.path().join("m.predictions.jsonl"), 200);
        for i in 0..20 {
            log.append(&serde_json::json!({"i": i, "pad": "x".repeat(20)})).unwrap();
        }
        let current = std::fs::read_to_string(log.path()).unwrap();
        let old = std::fs::read_to_string(dir.path().join("m.predictions.jsonl.1")).unwrap();
        assert!(current.len() < 250 && !current.is_empty());
        assert!(old.lines().all(|l| serde_json::from_str::<Value>(l).is_ok()));
        assert!(current.lines().last().unwrap().contains("\"i\":19"));
    }
}
