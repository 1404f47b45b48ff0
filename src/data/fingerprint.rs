//! The content fingerprint of a table, which every pipeline records and every run is filed
//! under.

use super::{Dataset, Values};
use crate::util::hex;
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
                // The same bytes as value-by-value updates, handed over in one piece.
                let mut bytes = Vec::with_capacity(v.len() * 8);
                for x in v.iter() {
                    match x {
                        Some(x) => bytes.extend_from_slice(&x.to_le_bytes()),
                        None => bytes.extend_from_slice(&[0xFFu8; 9]),
                    }
                }
                h.update(&bytes);
            }
            Values::Str(v) => {
                h.update([1u8]);
                for s in v.iter() {
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
