//! Evaluation: what is computed about a fitted pipeline beyond its test-set metrics —
//! permutation importance, learning curves, clustering reports and the HTML report. The metrics
//! themselves are the training layer's (`train::metrics`) and are re-exported here.

pub mod card;
pub mod explain;
pub mod fairness;
pub mod html;
mod importance;
mod learning;
pub mod mitigation;
pub mod summary;

pub use importance::{ColumnImportance, Importance, permutation_importance};
pub use learning::{CurvePoint, FRACTIONS, LearningCurve, epoch_curve_reading, learning_curve};

pub use crate::train::metrics::*;
