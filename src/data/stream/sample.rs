//! The samples a streaming pass keeps: uniform reservoirs of rows (as CSV records, so the
//! sample is read back by the same reader as a whole file), and which rows are held out.

use crate::data::csv::read_csv_bytes;
use crate::data::{DataError, Dataset};
use crate::util::Rng;

/// A uniform sample of a stream of rows (Vitter's algorithm R), each kept as its CSV record.
pub(super) struct Reservoir {
    cap: usize,
    seen: u64,
    pub(super) rows: Vec<(u64, Vec<u8>)>,
    rng: Rng,
}

impl Reservoir {
    pub(super) fn new(cap: usize, seed: u64) -> Self {
        Reservoir { cap, seen: 0, rows: Vec::new(), rng: Rng::new(seed) }
    }

    /// Offers the next row; returns the slot it goes to, if it is kept.
    pub(super) fn offer(&mut self) -> Option<usize> {
        self.seen += 1;
        if self.rows.len() < self.cap {
            self.rows.push((0, Vec::new()));
            return Some(self.rows.len() - 1);
        }
        let j = self.rng.below(self.seen as usize);
        (j < self.cap).then_some(j)
    }

    /// The kept rows as one table, in file order.
    pub(super) fn into_dataset(mut self, name: &str, header: &[u8]) -> Result<Option<Dataset>, DataError> {
        if self.rows.is_empty() {
            return Ok(None);
        }
        self.rows.sort_unstable_by_key(|r| r.0);
        let mut bytes = header.to_vec();
        for (_, record) in &self.rows {
            bytes.extend_from_slice(record);
        }
        drop(self.rows);
        read_csv_bytes(name, bytes).map(Some)
    }
}

/// Whether row `row` is held out for testing.
pub(super) fn held_out(seed: u64, row: u64, share: f64) -> bool {
    share > 0.0 && (Rng::new(seed ^ row.wrapping_mul(0xD6E8_FEB8_6659_FD93)).next_u64() as f64 / 2f64.powi(64)) < share
}

/// One row of `ds` as a CSV record (numbers written so that they read back exactly).
pub(super) fn record(ds: &Dataset, row: usize) -> Vec<u8> {
    csv_line(&ds.columns.iter().map(|c| c.cell_text(row)).collect::<Vec<_>>())
}

/// Cells as one CSV line (quoted where needed).
pub(super) fn csv_line(cells: &[String]) -> Vec<u8> {
    let mut w = csv::WriterBuilder::new().terminator(csv::Terminator::Any(b'\n')).from_writer(Vec::new());
    // Writing into memory cannot fail.
    w.write_record(cells).ok();
    w.into_inner().unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_reservoir_keeps_a_uniform_sample() {
        // 100 000 rows offered, 1 000 kept: each tenth of the stream gets about a tenth.
        let mut r = Reservoir::new(1000, 7);
        for i in 0..100_000u64 {
            if let Some(slot) = r.offer() {
                r.rows[slot] = (i, Vec::new());
            }
        }
        assert_eq!(r.rows.len(), 1000);
        let mut per_tenth = [0usize; 10];
        r.rows.iter().for_each(|(i, _)| per_tenth[(*i / 10_000) as usize] += 1);
        assert!(per_tenth.iter().all(|&n| (60..=140).contains(&n)), "{per_tenth:?}");
    }
}
