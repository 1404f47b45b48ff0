//! Tracking layer: what identifies a run. For now the content hash of the training data and a
//! run record; the SQLite run store builds on these.

use crate::data::{Dataset, Values};
use crate::eval::Metrics;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

/// sha256 over the column names and every cell, independent of file formatting details such as
/// quoting or line endings. Two datasets with equal content hash equal.
pub fn dataset_hash(ds: &Dataset) -> String {
    let mut h = Sha256::new();
    for c in &ds.columns {
        h.update((c.name.len() as u64).to_le_bytes());
        h.update(c.name.as_bytes());
        match &c.values {
            Values::Numeric(v) => {
                h.update([0u8]);
                for x in v {
                    match x {
                        Some(x) => h.update(x.to_le_bytes()),
                        None => h.update([0xFFu8; 9]),
                    }
                }
            }
            Values::Str(v) => {
                h.update([1u8]);
                for s in v {
                    match s {
                        Some(s) => {
                            h.update((s.len() as u64).to_le_bytes());
                            h.update(s.as_bytes());
                        }
                        None => h.update([0xFFu8; 9]),
                    }
                }
            }
        }
    }
    hex(&h.finalize())
}

/// Lower-case hex of bytes.
pub fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// One training run as the tracking store will keep it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RunRecord {
    pub data_source: String,
    pub data_hash: String,
    pub target: String,
    pub model: String,
    pub seed: u64,
    pub metrics: Metrics,
    pub train_seconds: f64,
    pub device: String,
}

impl RunRecord {
    pub fn from_pipeline(p: &crate::train::Pipeline, data_source: &str) -> Self {
        RunRecord {
            data_source: data_source.to_string(),
            data_hash: p.info.data_hash.clone(),
            target: p.target.name.clone(),
            model: p.info.model.clone(),
            seed: p.info.seed,
            metrics: p.metrics.clone(),
            train_seconds: p.info.train_seconds,
            device: p.info.device.clone(),
        }
    }
}
