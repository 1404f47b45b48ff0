//! The one-click fixes of the data profile's warnings, each a recipe step: drop a column, group
//! rare values, flag missing cells, split a date, remove duplicate rows, and for personal data a
//! salted hash or a coarse part.

use super::step::{CoarsePart, Impute, Scaling, Step, default_parts};
use crate::data::{ColumnKind, Dataset};

/// The one-click fixes for a profile warning, as (button label, recipe step): the first is the
/// usual one; personal data also offers a salted hash and, where one fits, a coarse part.
pub fn fixes_for(warning: &crate::data::Warning, ds: &Dataset, target: &str) -> Vec<(String, Step)> {
    let mut fixes: Vec<(String, Step)> = fix_for(warning, ds, target).into_iter().collect();
    if let (Some(c), Some(found), false) = (&warning.column, &warning.found, fixes.is_empty()) {
        fixes.push((format!("Hash '{c}'"), Step::Hash { column: c.clone() }));
        if let Some((part, chars)) = CoarsePart::for_finding(found.what) {
            let label = format!("Keep only {} of '{c}'", part.describe(chars));
            fixes.push((label, Step::Coarsen { column: c.clone(), part, chars }));
        }
    }
    fixes
}

/// The usual one-click fix for a profile warning, as a recipe step and a button label.
pub fn fix_for(warning: &crate::data::Warning, ds: &Dataset, target: &str) -> Option<(String, Step)> {
    let column = warning.column.as_deref();
    if column.is_some_and(|c| c == target) {
        return None;
    }
    let kind = column.and_then(|c| ds.column(c)).map(|c| c.kind);
    Some(match (warning.kind, column) {
        ("constant" | "id_like" | "name_like" | "leakage" | "personal_data", Some(c)) => {
            (format!("Drop '{c}'"), Step::Drop { column: c.into() })
        }
        ("high_cardinality", Some(c)) => {
            (format!("Group rare values of '{c}'"), Step::OneHot { column: c.into(), min_frequency: 5, ordinal: false })
        }
        ("many_missing", Some(c)) if kind == Some(ColumnKind::Numeric) => (
            format!("Flag the missing cells of '{c}'"),
            Step::ImputeScale {
                column: c.into(),
                impute: Impute::Median,
                fill_value: 0.0,
                indicator: true,
                scale: Scaling::Standard,
            },
        ),
        ("many_missing", Some(c)) => (format!("Drop '{c}'"), Step::Drop { column: c.into() }),
        ("date", Some(c)) => {
            (format!("Split '{c}' into date parts"), Step::DateParts { column: c.into(), parts: default_parts() })
        }
        ("duplicates", None) => ("Remove the duplicate rows".into(), Step::DropDuplicates),
        _ => return None,
    })
}
