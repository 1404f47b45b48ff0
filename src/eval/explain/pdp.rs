//! Partial dependence and ICE: the model's output as one input column is set, in every row at
//! once, to each point of a grid (quantiles of a number column, the most common categories of a
//! category column). The average over the rows is the partial dependence; each row's own curve
//! is an ICE curve.

use super::{ExplainError, Options, class_index, output_matrix};
use crate::data::{Column, ColumnKind, Dataset, Values};
use crate::train::{Pipeline, Task};
use serde::Serialize;

/// The grid a column is set to.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(untagged)]
pub enum Grid {
    Numbers(Vec<f64>),
    Categories(Vec<String>),
}

impl Grid {
    pub fn len(&self) -> usize {
        match self {
            Grid::Numbers(v) => v.len(),
            Grid::Categories(v) => v.len(),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// Partial dependence of the output on one column.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct PartialDependence {
    pub column: String,
    /// What the curves show: the predicted number, or the probability of a named class.
    pub output: String,
    pub grid: Grid,
    /// The average output at each grid point.
    pub average: Vec<f64>,
    /// Per drawn row, its output at each grid point.
    pub ice: Vec<Vec<f64>>,
}

/// The partial dependence of the output on `column` over the rows of `ds` (at most
/// `opts.pdp_rows`, evenly spaced; the first `opts.ice_rows` of them give the ICE curves).
pub fn partial_dependence(
    p: &Pipeline,
    ds: &Dataset,
    column: &str,
    opts: &Options,
) -> Result<PartialDependence, ExplainError> {
    let inputs = || p.schema.columns.iter().map(|c| c.name.clone()).collect();
    let kind = p.schema.columns.iter().find(|c| c.name == column).map(|c| c.kind);
    let kind = kind.ok_or_else(|| ExplainError::UnknownColumn { column: column.to_string(), inputs: inputs() })?;
    if kind == ColumnKind::Text {
        return Err(ExplainError::TextColumn(column.to_string()));
    }
    let input = p.schema.coerce(ds)?;
    let n = input.n_rows();
    if n == 0 {
        return Err(ExplainError::NoRows);
    }
    let at = input
        .columns
        .iter()
        .position(|c| c.name == column)
        .ok_or_else(|| ExplainError::UnknownColumn { column: column.to_string(), inputs: inputs() })?;
    let grid = grid(&input.columns[at], opts.grid_points.max(2));
    if grid.is_empty() {
        return Err(ExplainError::EmptyColumn(column.to_string()));
    }
    let m = opts.pdp_rows.clamp(1, n);
    let rows: Vec<usize> = (0..m).map(|i| i * n / m).collect();
    let sub = input.take_rows(&rows);
    let (class, output) = match p.target.task {
        Task::Classification | Task::Clustering => {
            let c = match &opts.class {
                Some(name) => class_index(p, name)?,
                None => p.target.classes.len().saturating_sub(1),
            };
            let name = p.target.classes.get(c).cloned().unwrap_or_default();
            (c, format!("the probability of class '{name}'"))
        }
        _ => (0, format!("the predicted {}", p.target.name)),
    };
    let mut curves = vec![Vec::with_capacity(grid.len()); m];
    for g in 0..grid.len() {
        let mut d = sub.clone();
        d.columns[at] = match &grid {
            Grid::Numbers(v) => Column::numeric(column, vec![Some(v[g]); m]),
            Grid::Categories(v) => Column::strings(column, vec![Some(v[g].clone()); m]),
        };
        let out = output_matrix(&p.model, &p.features(&d)?);
        let c = class.min(out.ncols().saturating_sub(1));
        curves.iter_mut().zip(out.column(c)).for_each(|(curve, v)| curve.push(*v));
    }
    let average = (0..grid.len()).map(|g| curves.iter().map(|c| c[g]).sum::<f64>() / m as f64).collect();
    curves.truncate(opts.ice_rows);
    Ok(PartialDependence { column: column.to_string(), output, grid, average, ice: curves })
}

/// Quantiles of a number column (distinct values, at most `points`), or its most common
/// categories (at most `points`, most common first).
fn grid(col: &Column, points: usize) -> Grid {
    match &col.values {
        Values::Numeric(v) => {
            let mut seen: Vec<f64> = v.raw().iter().copied().filter(|x| x.is_finite()).collect();
            seen.sort_by(f64::total_cmp);
            if seen.is_empty() {
                return Grid::Numbers(vec![]);
            }
            let last = seen.len() - 1;
            let mut g: Vec<f64> = (0..points).map(|i| seen[i * last / (points - 1)]).collect();
            g.dedup();
            Grid::Numbers(g)
        }
        Values::Str(_) => {
            let mut counts: std::collections::HashMap<String, usize> = std::collections::HashMap::new();
            for r in (0..col.values.len()).filter(|&r| !col.values.is_missing(r)) {
                *counts.entry(col.cell_text(r)).or_default() += 1;
            }
            let mut cats: Vec<(String, usize)> = counts.into_iter().collect();
            cats.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
            Grid::Categories(cats.into_iter().take(points).map(|(c, _)| c).collect())
        }
    }
}
