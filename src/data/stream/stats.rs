//! The statistics one streaming pass gathers: exact moments merged chunk by chunk, a quantile
//! sketch per number column (training rows), and per column the counts the whole file's profile
//! needs.

use crate::data::Values;
use serde::Serialize;
use sketches_ddsketch::{Config, DDSketch};
use std::collections::HashMap;

/// The sketch's relative accuracy: a streamed median or quartile is within 0.1 % of the value
/// it estimates (the DDSketch guarantee, as long as the column's values span less than about
/// 13 orders of magnitude in the 16 384 bins kept).
pub const SKETCH_ACCURACY: f64 = 0.001;
const SKETCH_BINS: u32 = 16_384;
/// Distinct values counted exactly per column; past it the count is an estimate.
const DISTINCT_CAP: usize = 100_000;

/// Count, mean, sum of squared deviations and range of a stream of numbers, merged chunk by
/// chunk (Chan et al.'s update, exact up to rounding).
#[derive(Clone, Debug, Default, Serialize)]
pub struct Moments {
    pub count: u64,
    pub mean: f64,
    pub m2: f64,
    pub min: f64,
    pub max: f64,
}

impl Moments {
    fn of(values: impl Iterator<Item = f64> + Clone) -> Moments {
        let (mut count, mut sum, mut min, mut max) = (0u64, 0.0, f64::INFINITY, f64::NEG_INFINITY);
        for x in values.clone() {
            count += 1;
            sum += x;
            min = min.min(x);
            max = max.max(x);
        }
        if count == 0 {
            return Moments::default();
        }
        let mean = sum / count as f64;
        let m2 = values.map(|x| (x - mean) * (x - mean)).sum();
        Moments { count, mean, m2, min, max }
    }

    fn merge(&mut self, o: &Moments) {
        if o.count == 0 {
            return;
        }
        if self.count == 0 {
            *self = o.clone();
            return;
        }
        let n = (self.count + o.count) as f64;
        let delta = o.mean - self.mean;
        self.m2 += o.m2 + delta * delta * self.count as f64 * o.count as f64 / n;
        self.mean += delta * o.count as f64 / n;
        self.count += o.count;
        self.min = self.min.min(o.min);
        self.max = self.max.max(o.max);
    }

    /// The sample standard deviation (n − 1).
    pub fn std(&self) -> f64 {
        (self.m2 / (self.count as f64 - 1.0).max(1.0)).sqrt()
    }
}

/// What the recipe fits for one number column, over every streamed training row.
#[derive(Clone)]
pub struct NumberStatistics {
    /// The present values.
    pub moments: Moments,
    pub missing: u64,
    sketch: DDSketch,
}

impl std::fmt::Debug for NumberStatistics {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("NumberStatistics")
            .field("moments", &self.moments)
            .field("missing", &self.missing)
            .field("median", &self.quantile(0.5))
            .finish()
    }
}

impl NumberStatistics {
    fn new() -> Self {
        NumberStatistics {
            moments: Moments::default(),
            missing: 0,
            sketch: DDSketch::new(Config::new(SKETCH_ACCURACY, SKETCH_BINS, 1e-9)),
        }
    }

    /// The `q` quantile of the present values (from the sketch), `None` when there are none.
    pub fn quantile(&self, q: f64) -> Option<f64> {
        self.sketch.quantile(q.clamp(0.0, 1.0)).ok().flatten()
    }

    /// The `q` quantile once the missing cells hold `fill` (what a scaler after an imputer sees).
    pub fn quantile_filled(&self, q: f64, fill: f64) -> Option<f64> {
        let mut sketch = self.sketch.clone();
        sketch.add_with_count(fill, self.missing);
        sketch.quantile(q.clamp(0.0, 1.0)).ok().flatten()
    }
}

/// The statistics a recipe fits on the streamed training rows, by column.
#[derive(Clone, Debug, Default)]
pub struct ColumnStatistics {
    pub numbers: HashMap<String, NumberStatistics>,
}

/// What the pass gathers for one column.
#[derive(Default)]
pub(super) struct ColumnAcc {
    pub(super) missing: u64,
    /// Numbers, all rows.
    pub(super) all: Moments,
    /// Numbers, training rows (with the sketch and their missing cells).
    pub(super) train: Option<NumberStatistics>,
    /// Distinct numbers (up to [`DISTINCT_CAP`]) with their counts.
    pub(super) numbers: HashMap<u64, u64>,
    /// Cells read as text, with their counts (up to [`DISTINCT_CAP`] distinct values).
    pub(super) text: HashMap<String, u64>,
    /// Whether a map reached [`DISTINCT_CAP`] (its column's distinct count is then estimated;
    /// number columns stop counting there, which keeps the pass fast on measurements).
    pub(super) numbers_capped: bool,
    pub(super) text_capped: bool,
    /// Text cells in a chunk where the column is otherwise numbers: (count, an example).
    pub(super) text_cells: u64,
    pub(super) text_example: Option<String>,
    pub(super) longest: usize,
}

impl ColumnAcc {
    pub(super) fn add(&mut self, column: &crate::data::Column, held: &[bool]) {
        self.missing += column.missing() as u64;
        match &column.values {
            Values::Numeric(v) => {
                let raw = v.raw();
                self.all.merge(&Moments::of(raw.iter().copied().filter(|x| !x.is_nan())));
                let train = self.train.get_or_insert_with(NumberStatistics::new);
                let kept = raw.iter().zip(held).filter(|(_, h)| !**h).map(|(x, _)| *x);
                train.moments.merge(&Moments::of(kept.clone().filter(|x| !x.is_nan())));
                for x in kept {
                    if x.is_nan() {
                        train.missing += 1;
                    } else {
                        train.sketch.add(x);
                    }
                }
                for &x in raw.iter().filter(|x| !x.is_nan()) {
                    if self.numbers_capped {
                        break;
                    }
                    if let Some(n) = self.numbers.get_mut(&x.to_bits()) {
                        *n += 1;
                    } else if self.numbers.len() < DISTINCT_CAP {
                        self.numbers.insert(x.to_bits(), 1);
                    } else {
                        self.numbers_capped = true;
                    }
                }
            }
            Values::Str(v) => {
                for (value, n) in v.dict().iter().zip(v.counts()).filter(|(_, n)| *n > 0) {
                    self.longest = self.longest.max(value.chars().count());
                    if crate::data::formatted::number_cell(value.trim()).is_some() {
                        // A number in a chunk read as text: counted as a number.
                    } else {
                        self.text_cells += n as u64;
                        if self.text_example.is_none() {
                            self.text_example = Some(value.clone());
                        }
                    }
                    if let Some(c) = self.text.get_mut(value) {
                        *c += n as u64;
                    } else if self.text.len() < DISTINCT_CAP {
                        self.text.insert(value.clone(), n as u64);
                    } else {
                        self.text_capped = true;
                    }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn merged_moments_equal_one_pass() {
        let xs: Vec<f64> = (0..1000).map(|i| ((i * 7919) % 1013) as f64 * 0.37 - 50.0).collect();
        let whole = Moments::of(xs.iter().copied());
        let mut parts = Moments::default();
        for chunk in xs.chunks(97) {
            parts.merge(&Moments::of(chunk.iter().copied()));
        }
        assert_eq!(parts.count, whole.count);
        assert!((parts.mean - whole.mean).abs() < 1e-9);
        assert!((parts.m2 - whole.m2).abs() < 1e-6 * whole.m2);
        assert_eq!((parts.min, parts.max), (whole.min, whole.max));
    }

    #[test]
    fn sketch_medians_are_within_the_stated_error() {
        let mut s = NumberStatistics::new();
        let mut xs: Vec<f64> = (0..200_001).map(|i| ((i as f64) * 0.618_033_988).fract() * 1000.0 - 300.0).collect();
        xs.iter().for_each(|&x| s.sketch.add(x));
        xs.sort_by(f64::total_cmp);
        for q in [0.25, 0.5, 0.75] {
            let truth = xs[(q * (xs.len() - 1) as f64) as usize];
            let got = s.quantile(q).unwrap();
            assert!((got - truth).abs() <= SKETCH_ACCURACY * truth.abs() + 1e-9, "q {q}: {got} against {truth}");
        }
    }
}
