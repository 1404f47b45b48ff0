//! The recipe a user edits: an ordered list of steps, each on or off. Steps come in three
//! groups, applied in this order whatever their place in the list:
//! 1. **row steps** (drop duplicate rows, drop rows without a target) act on the data before it
//!    is split; serving never drops rows;
//! 2. **table steps** (drop, log/power, clip, bin, date parts, derived columns) reshape the
//!    columns, in list order, each fitted on the training rows as the earlier steps left them;
//! 3. **encoding steps** (numbers, categories, text) turn each remaining column into features,
//!    in list order — the order of the features.

use super::text::TfidfOptions;
use crate::data::{ColumnKind, Dataset, Schema};
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
            Step::DropDuplicates | Step::DropMissingTarget | Step::FilterRows { .. } => StepGroup::Rows,
            Step::Drop { .. }
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
            Step::Derived { name, .. } => name,
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
                };
                let scale = match scale {
                    Scaling::Standard => "standardise",
                    Scaling::MinMax => "scale to 0…1",
                    Scaling::Robust => "scale by median and quartiles",
                    Scaling::None => "keep the scale",
                };
                let flag = if *indicator { " (+ a 'was missing' flag)" } else { "" };
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

/// The recipe format written today. Recipes of version 0 (written before row steps existed)
/// always left out rows without a target.
pub const RECIPE_VERSION: u32 = 1;

/// An ordered list of steps.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Recipe {
    pub steps: Vec<RecipeStep>,
    #[serde(default)]
    pub version: u32,
}

impl Recipe {
    pub fn new(steps: Vec<Step>) -> Recipe {
        Recipe { steps: steps.into_iter().map(RecipeStep::from).collect(), version: RECIPE_VERSION }
    }

    /// One encoding step per schema column, chosen by its kind, after "drop rows without a
    /// target".
    pub fn default_for(schema: &Schema) -> Recipe {
        let mut steps = vec![Step::DropMissingTarget];
        steps.extend(schema.columns.iter().map(|c| Step::encoding_for(&c.name, c.kind)));
        Recipe::new(steps)
    }

    /// The recipe proposed from the data's profile, so a beginner can just click Next: the
    /// default steps, with constant and ID-like columns dropped and date columns split into
    /// parts.
    pub fn proposed(ds: &Dataset, target: &str) -> Recipe {
        Recipe::proposed_from(&Schema::from_dataset(ds, target), &crate::data::table_warnings(ds), target)
    }

    /// The recipe for ratings data: the user and item columns encoded as index numbers (what
    /// matrix factorisation reads), every other column dropped.
    pub fn for_ratings(ds: &Dataset, target: &str, user: &str, item: &str) -> Recipe {
        let mut steps = vec![Step::DropMissingTarget];
        steps.extend(
            ds.columns
                .iter()
                .filter(|c| c.name != target && c.name != user && c.name != item)
                .map(|c| Step::Drop { column: c.name.clone() }),
        );
        for column in [user, item] {
            steps.push(Step::OneHot { column: column.into(), min_frequency: 0, ordinal: true });
        }
        Recipe::new(steps)
    }

    /// [`Recipe::proposed`] from the schema and the profile's table warnings.
    pub fn proposed_from(schema: &Schema, warnings: &[crate::data::Warning], target: &str) -> Recipe {
        let mut recipe = Recipe::default_for(schema);
        for w in warnings {
            let Some(column) = w.column.as_deref() else { continue };
            if column == target {
                continue;
            }
            match w.kind {
                "constant" | "id_like" => recipe.add(Step::Drop { column: column.into() }),
                "date" => recipe.add(Step::DateParts { column: column.into(), parts: default_parts() }),
                _ => {}
            }
        }
        recipe
    }

    /// The enabled steps.
    pub fn active(&self) -> impl Iterator<Item = &Step> {
        self.steps.iter().filter(|s| s.enabled).map(|s| &s.op)
    }

    /// The rows of `ds` the enabled row filters keep (none: no filter), in order.
    pub fn kept_rows(&self, ds: &Dataset) -> Result<Option<Vec<usize>>, crate::data::explore::NoColumn> {
        let mut kept: Option<Vec<bool>> = None;
        for step in self.active() {
            if let Step::FilterRows { conditions, keep } = step {
                let hits = crate::data::explore::select_rows(ds, conditions)?;
                let mut inside = vec![false; ds.n_rows()];
                hits.iter().for_each(|&r| inside[r] = true);
                let k = kept.get_or_insert_with(|| vec![true; ds.n_rows()]);
                for (r, on) in k.iter_mut().enumerate() {
                    *on &= inside[r] == *keep;
                }
            }
        }
        Ok(kept.map(|k| (0..k.len()).filter(|&r| k[r]).collect()))
    }

    pub fn drops_duplicates(&self) -> bool {
        self.active().any(|s| *s == Step::DropDuplicates)
    }

    pub fn drops_missing_target(&self) -> bool {
        self.version == 0 || self.active().any(|s| *s == Step::DropMissingTarget)
    }

    /// The schema a pipeline with this recipe reads: the columns of `ds` (except the target)
    /// that an enabled step uses, in the data's order. Dropped columns are not asked for.
    pub fn input_schema(&self, ds: &Dataset, target: &str) -> Schema {
        let mut used = std::collections::HashSet::new();
        let mut dropped = std::collections::HashSet::new();
        for step in self.active() {
            match step {
                Step::Drop { column } => {
                    dropped.insert(column.as_str());
                }
                Step::Derived { expression, .. } => {
                    if let Ok(e) = super::expr::Expr::parse(expression) {
                        for c in e.columns() {
                            if !dropped.contains(c.as_str()) {
                                used.insert(c);
                            }
                        }
                    }
                }
                other if other.group() != StepGroup::Rows && !dropped.contains(other.column()) => {
                    used.insert(other.column().to_string());
                }
                _ => {}
            }
        }
        let mut schema = Schema::from_dataset(ds, target);
        schema.columns.retain(|c| used.contains(&c.name));
        schema.personal.retain(|c| used.contains(c));
        schema
    }

    /// Adds a step and keeps the recipe consistent: dropping a column removes the steps that
    /// read it; binning a number makes it a category; date parts and derived columns get a
    /// numbers step each; row steps go first, once.
    pub fn add(&mut self, step: Step) {
        let enc = |s: &RecipeStep| s.op.group() == StepGroup::Encoding;
        match &step {
            Step::DropDuplicates | Step::DropMissingTarget | Step::FilterRows { .. } => {
                if !self.steps.iter().any(|s| s.op == step) {
                    self.steps.insert(0, step.into());
                }
                return;
            }
            Step::Drop { column } => {
                let column = column.clone();
                self.steps.retain(|s| s.op.group() == StepGroup::Rows || s.op.column() != column);
                let at = self.steps.iter().position(enc).unwrap_or(self.steps.len());
                self.steps.insert(at, step.into());
                return;
            }
            Step::Bin { column, .. } => {
                for s in &mut self.steps {
                    if matches!(&s.op, Step::ImputeScale { column: c, .. } if c == column) {
                        s.op = Step::categories(column);
                    }
                }
            }
            Step::DateParts { column, parts } => {
                // The date text itself is no feature any more.
                self.steps.retain(|s| !(enc(s) && s.op.column() == column));
                for p in parts {
                    self.steps.push(Step::numbers(&format!("{column}_{}", p.name())).into());
                }
            }
            Step::Derived { name, .. } => self.steps.push(Step::numbers(name).into()),
            Step::Hash { column } | Step::Coarsen { column, .. } => {
                // One protection per column, in place of dropping it; what is left is a category
                // (a value seen in one training row only, as most hashes are, joins "(other)").
                let protects =
                    |s: &RecipeStep| matches!(s.op, Step::Hash { .. } | Step::Coarsen { .. } | Step::Drop { .. });
                self.steps.retain(|s| !(protects(s) && s.op.column() == column));
                let encoding = Step::OneHot { column: column.clone(), min_frequency: 2, ordinal: false };
                match self.steps.iter_mut().find(|s| enc(s) && s.op.column() == column) {
                    Some(s) => s.op = encoding,
                    None => self.steps.push(encoding.into()),
                }
            }
            Step::ImputeScale { column, .. } | Step::OneHot { column, .. } | Step::Tfidf { column, .. } => {
                // One encoding per column: the new one replaces the old in place.
                if let Some(s) = self.steps.iter_mut().find(|s| enc(s) && s.op.column() == column) {
                    s.op = step;
                } else {
                    self.steps.push(step.into());
                }
                return;
            }
            Step::Power { .. } | Step::Clip { .. } => {}
        }
        // Table steps go after the other table steps, before the encodings.
        let at = self.steps.iter().position(enc).unwrap_or(self.steps.len());
        self.steps.insert(at, step.into());
    }

    /// Adds `step` unless an equal enabled step is already there.
    pub fn ensure(&mut self, step: Step) {
        if !self.active().any(|s| *s == step) {
            self.add(step);
        }
    }
}

impl Recipe {
    /// The recipe after the target moved from `old` to `new`: steps on the new target go (it
    /// is the answer, not a feature) and the old target, if it is a column, gets its encoding.
    pub fn retarget(&mut self, ds: &Dataset, old: &str, new: &str) {
        if old == new {
            return;
        }
        self.steps.retain(|s| s.op.group() == StepGroup::Rows || s.op.column() != new);
        if let Some(c) = ds.column(old)
            && !self.steps.iter().any(|s| s.op.column() == old)
        {
            self.add(Step::encoding_for(old, c.kind));
        }
    }

    /// The feature count and features of the first rows of `ds`, with the recipe fitted on
    /// (at most) its first `sample` rows — the Features panel's before/after preview.
    pub fn preview(&self, ds: &Dataset, target: &str, sample: usize, rows: usize) -> Result<Preview, String> {
        let schema = self.input_schema(ds, target);
        let part = ds.take_rows(&(0..ds.n_rows().min(sample)).collect::<Vec<_>>());
        let part = schema.coerce(&part).map_err(|e| e.to_string())?;
        let fitted = self.fit(&part).map_err(|e| e.to_string())?;
        let shown: Vec<usize> = (0..part.n_rows().min(rows)).collect();
        let x = fitted.transform_sparse_rows(&part, &shown).map_err(|e| e.to_string())?;
        let values = (0..shown.len()).map(|r| x.row(r).collect()).collect();
        Ok(Preview {
            n_features: fitted.n_features(),
            names: fitted.feature_names(),
            values,
            inputs: schema.columns.len(),
        })
    }
}

/// The Features panel's before/after preview.
#[derive(Clone, Debug, Default)]
pub struct Preview {
    pub n_features: usize,
    /// How many input columns the recipe reads.
    pub inputs: usize,
    pub names: Vec<String>,
    /// The non-zero (feature, value) pairs of each previewed row.
    pub values: Vec<Vec<(usize, f64)>>,
}
