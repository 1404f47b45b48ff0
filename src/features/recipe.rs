//! The recipe a user edits: an ordered list of steps, each on or off. Steps come in three
//! groups, applied in this order whatever their place in the list:
//! 1. **row steps** (drop duplicate rows, drop rows without a target) act on the data before it
//!    is split; serving never drops rows;
//! 2. **table steps** (drop, log/power, clip, bin, date parts, derived columns) reshape the
//!    columns, in list order, each fitted on the training rows as the earlier steps left them;
//! 3. **encoding steps** (numbers, categories, text) turn each remaining column into features,
//!    in list order — the order of the features.

use super::step::{Impute, RecipeStep, Step, StepGroup, default_parts};
use crate::data::{Dataset, Schema};
use serde::{Deserialize, Serialize};

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
                "constant" | "id_like" | "name_like" => recipe.add(Step::Drop { column: column.into() }),
                // Rare values grouped as "(other)" rather than a column each.
                "high_cardinality" => {
                    recipe.add(Step::OneHot { column: column.into(), min_frequency: 5, ordinal: false })
                }
                "date" => recipe.add(Step::DateParts { column: column.into(), parts: default_parts() }),
                _ => {}
            }
        }
        recipe
    }

    /// This recipe as histogram boosting reads it: category columns as one category number
    /// each (split natively, not thousands of one-hot columns) and number columns' gaps left
    /// for the trees to route (not filled).
    pub fn for_native_trees(&self) -> Recipe {
        let mut recipe = self.clone();
        for step in &mut recipe.steps {
            match &mut step.op {
                Step::OneHot { ordinal, .. } => *ordinal = true,
                Step::ImputeScale { impute, indicator, .. } => {
                    *impute = Impute::Keep;
                    *indicator = false;
                }
                _ => {}
            }
        }
        recipe
    }

    /// This recipe for a model that cannot read gaps: "leave gaps" becomes the median fill.
    pub fn with_gaps_filled(&self) -> Recipe {
        let mut recipe = self.clone();
        for step in &mut recipe.steps {
            if let Step::ImputeScale { impute: impute @ Impute::Keep, .. } = &mut step.op {
                *impute = Impute::Median;
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
                Step::Lags { time, series, .. } => {
                    used.insert(time.clone());
                    if !series.is_empty() {
                        used.insert(series.clone());
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
            Step::DropDuplicates
            | Step::DropMissingTarget
            | Step::FilterRows { .. }
            | Step::CombineTimes { .. }
            | Step::FillGaps { .. } => {
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
            Step::Lags { column, lags, windows, .. } => {
                let names = lags.iter().map(|k| format!("{column}_lag{k}"));
                for name in names.chain(windows.iter().map(|w| format!("{column}_mean{w}"))) {
                    self.steps.push(Step::numbers(&name).into());
                }
            }
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
