//! One recipe step (`Step`) and the options its kinds take: how numbers are filled and scaled,
//! power transforms, date parts, coarse parts of personal values; what each step reads, its
//! group (rows, table, encoding) and its description in words. `recipe.rs` orders the steps.

use super::text::TfidfOptions;
use crate::data::ColumnKind;
use serde::{Deserialize, Serialize};

/// How a numeric column's gaps are filled.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Impute {
    #[default]
    Median,
    Mean,
    MostFrequent,
    Constant,
    /// Left as gaps for a model that routes missing values itself (histogram boosting).
    Keep,
}

/// How a numeric column is put on a common scale.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Scaling {
    /// (x − mean) / standard deviation.
    #[default]
    Standard,
    /// (x − min) / (max − min): 0 … 1 on the training rows.
    MinMax,
    /// (x − median) / interquartile range: outliers pull less.
    Robust,
    /// Left as it is.
    None,
}

/// A reshaping of a numeric column's values.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Power {
    /// sign(x) · ln(1 + |x|): tames long right tails (incomes, prices, counts).
    #[default]
    Log,
    /// sign(x) · √|x|: a gentler version.
    Sqrt,
    /// Yeo–Johnson with the power fitted on the training rows to make the column most bell-shaped.
    YeoJohnson,
}

/// A part of a date column that becomes a number.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DatePart {
    Year,
    Month,
    Day,
    Weekday,
    Hour,
}

impl DatePart {
    pub const ALL: [DatePart; 5] = [DatePart::Year, DatePart::Month, DatePart::Day, DatePart::Weekday, DatePart::Hour];

    pub fn name(self) -> &'static str {
        match self {
            DatePart::Year => "year",
            DatePart::Month => "month",
            DatePart::Day => "day",
            DatePart::Weekday => "weekday",
            DatePart::Hour => "hour",
        }
    }
}

/// The part of a personal value that a `Coarsen` step keeps.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CoarsePart {
    /// What follows the `@` of an e-mail address, lower-cased.
    #[default]
    EmailDomain,
    /// The year of a date (e.g. of birth).
    Year,
    /// The first `chars` characters (spaces left out), e.g. of a postal code.
    Prefix,
}

impl CoarsePart {
    /// The coarse part that fits what the personal-data check found (`PersonalFinding::what`).
    pub fn for_finding(what: &str) -> Option<(CoarsePart, usize)> {
        match what {
            "email" => Some((CoarsePart::EmailDomain, 0)),
            "date_of_birth" => Some((CoarsePart::Year, 0)),
            "postal_code" => Some((CoarsePart::Prefix, 2)),
            _ => None,
        }
    }

    pub fn describe(self, chars: usize) -> String {
        match self {
            CoarsePart::EmailDomain => "the e-mail domain".into(),
            CoarsePart::Year => "the year".into(),
            CoarsePart::Prefix => format!("the first {chars} characters"),
        }
    }
}

fn yes() -> bool {
    true
}
fn is_true(b: &bool) -> bool {
    *b
}
fn is_default<T: Default + PartialEq>(t: &T) -> bool {
    *t == T::default()
}
fn default_lower() -> f64 {
    0.01
}
fn default_upper() -> f64 {
    0.99
}
fn default_bins() -> usize {
    5
}
fn default_chars() -> usize {
    2
}
pub(super) fn default_parts() -> Vec<DatePart> {
    vec![DatePart::Year, DatePart::Month, DatePart::Weekday, DatePart::Hour]
}

/// One step of a recipe before fitting. Options have defaults, so recipes written before an
/// option existed read the same.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "step", rename_all = "snake_case")]
pub enum Step {
    // --- rows ---
    /// Rows that exactly repeat an earlier row are removed before the split.
    DropDuplicates,
    /// Rows without a target value are removed (they can neither teach nor test).
    DropMissingTarget,
    /// Rows meeting every condition are kept (or, with `keep: false`, removed) before the split,
    /// e.g. outliers selected on the Explore view. Serving never drops rows.
    FilterRows {
        conditions: Vec<crate::data::explore::RowCondition>,
        #[serde(default = "yes")]
        keep: bool,
    },
    /// A series' rows that fall in the same period (of a forecast's frequency) become one row,
    /// their values combined (mean, sum or last).
    CombineTimes {
        column: String,
        #[serde(default)]
        how: crate::data::series::Combine,
    },
    /// Periods missing from a series are added, their values filled (a straight line, the
    /// previous value or zero).
    FillGaps {
        column: String,
        #[serde(default)]
        how: crate::data::series::GapFill,
    },
    // --- table ---
    /// The column is not used.
    Drop { column: String },
    /// Log, square root or Yeo–Johnson power transform of a numeric column.
    Power {
        column: String,
        #[serde(default)]
        kind: Power,
    },
    /// Values beyond the training rows' quantiles are pulled in to them.
    Clip {
        column: String,
        #[serde(default = "default_lower")]
        lower: f64,
        #[serde(default = "default_upper")]
        upper: f64,
    },
    /// A numeric column becomes ranges ("bins"), a category each.
    Bin {
        column: String,
        #[serde(default = "default_bins")]
        bins: usize,
        /// Bins holding equal numbers of training rows (else equal widths).
        #[serde(default = "yes")]
        quantile: bool,
    },
    /// Year, month, day, weekday, hour of a date column, each a new numeric column
    /// `{column}_{part}`.
    DateParts {
        column: String,
        #[serde(default = "default_parts")]
        parts: Vec<DatePart>,
    },
    /// A new numeric column computed from others, e.g. `rooms / households`.
    Derived { name: String, expression: String },
    /// Each value replaced by a salted hash: equal values get equal hashes (joins and repeats
    /// survive), the value itself does not. The salt is fitted on the training rows and saved.
    Hash { column: String },
    /// Only a coarse part of each value kept: an e-mail's domain, a date's year, the first
    /// characters of a code.
    Coarsen {
        column: String,
        #[serde(default)]
        part: CoarsePart,
        #[serde(default = "default_chars")]
        chars: usize,
    },
    /// Earlier values of a series as new numeric columns: `{column}_lag{k}` is the value `k`
    /// rows before in time order (within each series of `series`), `{column}_mean{w}` the mean
    /// of the `w` values before. Only the past is read, so the step needs no fitting and
    /// replays on the history a forecast extends.
    Lags {
        column: String,
        time: String,
        #[serde(default, skip_serializing_if = "String::is_empty")]
        series: String,
        lags: Vec<usize>,
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        windows: Vec<usize>,
    },
    // --- encoding ---
    /// Gaps filled (median by default), then scaled (standard by default).
    ImputeScale {
        column: String,
        #[serde(default, skip_serializing_if = "is_default")]
        impute: Impute,
        /// The fill value for `impute: constant`.
        #[serde(default, skip_serializing_if = "is_default")]
        fill_value: f64,
        /// Adds a `{column} was missing` 0/1 feature.
        #[serde(default, skip_serializing_if = "is_default")]
        indicator: bool,
        #[serde(default, skip_serializing_if = "is_default")]
        scale: Scaling,
    },
    /// Gaps filled with the most frequent value, then one 0/1 column per category (or one
    /// column of category numbers with `ordinal`); categories seen in fewer than
    /// `min_frequency` training rows are grouped as "(other)".
    OneHot {
        column: String,
        #[serde(default, skip_serializing_if = "is_default")]
        min_frequency: usize,
        #[serde(default, skip_serializing_if = "is_default")]
        ordinal: bool,
    },
    /// TF-IDF term weights of a text column.
    Tfidf {
        column: String,
        #[serde(default, skip_serializing_if = "is_default")]
        options: TfidfOptions,
    },
}

/// Which group a step belongs to (see the module docs).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum StepGroup {
    Rows,
    Table,
    Encoding,
}

impl Step {
    pub fn numbers(column: &str) -> Step {
        Step::ImputeScale {
            column: column.into(),
            impute: Impute::Median,
            fill_value: 0.0,
            indicator: false,
            scale: Scaling::Standard,
        }
    }

    pub fn categories(column: &str) -> Step {
        Step::OneHot { column: column.into(), min_frequency: 0, ordinal: false }
    }

    pub fn text(column: &str) -> Step {
        Step::Tfidf { column: column.into(), options: TfidfOptions::default() }
    }

    /// The encoding step for a column of this kind.
    pub fn encoding_for(column: &str, kind: ColumnKind) -> Step {
        match kind {
            ColumnKind::Numeric => Step::numbers(column),
            ColumnKind::Categorical => Step::categories(column),
            ColumnKind::Text => Step::text(column),
        }
    }

    pub fn group(&self) -> StepGroup {
        match self {
            Step::DropDuplicates
            | Step::DropMissingTarget
            | Step::FilterRows { .. }
            | Step::CombineTimes { .. }
            | Step::FillGaps { .. } => StepGroup::Rows,
            Step::Drop { .. }
            | Step::Lags { .. }
            | Step::Power { .. }
            | Step::Clip { .. }
            | Step::Bin { .. }
            | Step::DateParts { .. }
            | Step::Derived { .. }
            | Step::Hash { .. }
            | Step::Coarsen { .. } => StepGroup::Table,
            Step::ImputeScale { .. } | Step::OneHot { .. } | Step::Tfidf { .. } => StepGroup::Encoding,
        }
    }

    /// The column the step reads (none for row steps; a derived column's new name).
    pub fn column(&self) -> &str {
        match self {
            Step::DropDuplicates | Step::DropMissingTarget | Step::FilterRows { .. } => "",
            Step::CombineTimes { column, .. } | Step::FillGaps { column, .. } => column,
            Step::Derived { name, .. } => name,
            Step::Lags { column, .. } => column,
            Step::Drop { column }
            | Step::Power { column, .. }
            | Step::Clip { column, .. }
            | Step::Bin { column, .. }
            | Step::DateParts { column, .. }
            | Step::Hash { column }
            | Step::Coarsen { column, .. }
            | Step::ImputeScale { column, .. }
            | Step::OneHot { column, .. }
            | Step::Tfidf { column, .. } => column,
        }
    }

    /// The step's kind as saved (the serde tag): `one_hot`, `impute_scale`, …
    pub fn name(&self) -> &'static str {
        match self {
            Step::DropDuplicates => "drop_duplicates",
            Step::DropMissingTarget => "drop_missing_target",
            Step::FilterRows { .. } => "filter_rows",
            Step::CombineTimes { .. } => "combine_times",
            Step::FillGaps { .. } => "fill_gaps",
            Step::Lags { .. } => "lags",
            Step::Drop { .. } => "drop",
            Step::Power { .. } => "power",
            Step::Clip { .. } => "clip",
            Step::Bin { .. } => "bin",
            Step::DateParts { .. } => "date_parts",
            Step::Derived { .. } => "derived",
            Step::Hash { .. } => "hash",
            Step::Coarsen { .. } => "coarsen",
            Step::ImputeScale { .. } => "impute_scale",
            Step::OneHot { .. } => "one_hot",
            Step::Tfidf { .. } => "tfidf",
        }
    }

    /// The step's name in the editor's "Add a step" menu.
    pub fn title(&self) -> &'static str {
        match self {
            Step::DropDuplicates => "Drop duplicate rows",
            Step::DropMissingTarget => "Drop rows without a target",
            Step::FilterRows { keep: true, .. } => "Keep selected rows",
            Step::FilterRows { keep: false, .. } => "Drop selected rows",
            Step::CombineTimes { .. } => "Combine rows at the same time",
            Step::FillGaps { .. } => "Fill missing times",
            Step::Lags { .. } => "Earlier values (lags)",
            Step::Drop { .. } => "Drop column",
            Step::Power { .. } => "Log / power transform",
            Step::Clip { .. } => "Clip outliers",
            Step::Bin { .. } => "Bin into ranges",
            Step::DateParts { .. } => "Date parts",
            Step::Derived { .. } => "Derived column",
            Step::Hash { .. } => "Replace with a salted hash",
            Step::Coarsen { .. } => "Keep a coarse part",
            Step::ImputeScale { .. } => "Numbers: fill gaps + scale",
            Step::OneHot { .. } => "Categories: encode",
            Step::Tfidf { .. } => "Text: TF-IDF",
        }
    }

    /// A one-line description a beginner can read.
    pub fn describe(&self) -> String {
        match self {
            Step::DropDuplicates => "remove rows that repeat an earlier row exactly (before the split)".into(),
            Step::DropMissingTarget => "leave out rows whose answer is missing: they can neither teach nor test".into(),
            Step::FilterRows { conditions, keep } => {
                let what: Vec<String> = conditions.iter().map(|c| c.describe()).collect();
                let verb = if *keep { "keep only the rows where" } else { "leave out the rows where" };
                format!("{verb} {} (before the split; serving keeps every row)", what.join(" and "))
            }
            Step::CombineTimes { column, how } => {
                format!("rows of a series at the same {column} become one, their values' {}", how.name())
            }
            Step::FillGaps { column, how } => format!(
                "times missing from {column} are added, their values {}",
                match how {
                    crate::data::series::GapFill::Interpolate => "on a straight line between their neighbours",
                    crate::data::series::GapFill::Previous => "the value before",
                    crate::data::series::GapFill::Zero => "zero",
                }
            ),
            Step::Lags { column, series, lags, windows, .. } => {
                let list = |v: &[usize]| v.iter().map(|k| k.to_string()).collect::<Vec<_>>().join(", ");
                let each = if series.is_empty() { String::new() } else { format!(" (each {series} on its own)") };
                let means = if windows.is_empty() {
                    String::new()
                } else {
                    format!(", and the means of the last {} values", list(windows))
                };
                format!("{column}: the values {} steps before{means}{each}", list(lags))
            }
            Step::Drop { column } => format!("{column}: not used"),
            Step::Power { column, kind } => match kind {
                Power::Log => format!("{column}: log (tames a long tail of large values)"),
                Power::Sqrt => format!("{column}: square root (a gentler log)"),
                Power::YeoJohnson => format!("{column}: Yeo–Johnson power fitted to look most bell-shaped"),
            },
            Step::Clip { column, lower, upper } => format!(
                "{column}: values below the {:.0}th / above the {:.0}th percentile pulled in to it",
                lower * 100.0,
                upper * 100.0
            ),
            Step::Bin { column, bins, quantile } => format!(
                "{column}: {bins} ranges of {} become categories",
                if *quantile { "equal row counts" } else { "equal width" }
            ),
            Step::DateParts { column, parts } => {
                format!("{column}: {} as numbers", parts.iter().map(|p| p.name()).collect::<Vec<_>>().join(", "))
            }
            Step::Derived { name, expression } => format!("{name} = {expression}"),
            Step::Hash { column } => {
                format!("{column}: each value replaced by a salted hash (equal values stay equal; the value is gone)")
            }
            Step::Coarsen { column, part, chars } => format!("{column}: only {} kept", part.describe(*chars)),
            Step::ImputeScale { column, impute, fill_value, indicator, scale } => {
                let fill = match impute {
                    Impute::Median => "the median".to_string(),
                    Impute::Mean => "the mean".to_string(),
                    Impute::MostFrequent => "the most frequent value".to_string(),
                    Impute::Constant => crate::data::format_number(*fill_value),
                    Impute::Keep => String::new(),
                };
                let scale = match scale {
                    Scaling::Standard => "standardise",
                    Scaling::MinMax => "scale to 0…1",
                    Scaling::Robust => "scale by median and quartiles",
                    Scaling::None => "keep the scale",
                };
                let flag = if *indicator { " (+ a 'was missing' flag)" } else { "" };
                if *impute == Impute::Keep {
                    return format!("{column}: gaps left for the model to route, then {scale}");
                }
                format!("{column}: fill gaps with {fill}{flag}, then {scale}")
            }
            Step::OneHot { column, min_frequency, ordinal } => {
                let rare = if *min_frequency > 1 {
                    format!(", categories in fewer than {min_frequency} rows grouped as (other)")
                } else {
                    String::new()
                };
                if *ordinal {
                    format!("{column}: fill gaps with the most common value, then one number per category{rare}")
                } else {
                    format!("{column}: fill gaps with the most common value, then one column per category{rare}")
                }
            }
            Step::Tfidf { column, options } => {
                let extra = options.summary();
                let extra = if extra.is_empty() { String::new() } else { format!(" ({extra})") };
                format!("{column}: TF-IDF word weights (how telling each word is){extra}")
            }
        }
    }
}

/// A step in the list, which the user can switch off without removing it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RecipeStep {
    #[serde(flatten)]
    pub op: Step,
    #[serde(default = "yes", skip_serializing_if = "is_true")]
    pub enabled: bool,
}

impl From<Step> for RecipeStep {
    fn from(op: Step) -> Self {
        RecipeStep { op, enabled: true }
    }
}
