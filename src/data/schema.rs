//! The input schema a trained pipeline expects, and the coercion of incoming data (a CSV file or
//! JSON records) to it. Serving and batch prediction go through the same code.

use super::formatted::number_cell;
use super::{Column, ColumnKind, DataError, Dataset, Values, format_number};
use serde::{Deserialize, Serialize};
use serde_json::Value;

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SchemaColumn {
    pub name: String,
    pub kind: ColumnKind,
}

/// The feature columns a pipeline reads, in order.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Schema {
    pub columns: Vec<SchemaColumn>,
    /// The input columns that held personal data in training (see `data::personal`): the
    /// served prediction log leaves them out unless asked to keep them.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub personal: Vec<String>,
}

impl Schema {
    /// Every column of `ds` except `exclude` (the target).
    pub fn from_dataset(ds: &Dataset, exclude: &str) -> Schema {
        Schema {
            columns: ds
                .columns
                .iter()
                .filter(|c| c.name != exclude)
                .map(|c| SchemaColumn { name: c.name.clone(), kind: c.kind })
                .collect(),
            personal: ds
                .columns
                .iter()
                .filter(|c| c.name != exclude && super::personal::detect(&c.name, &c.values).is_some())
                .map(|c| c.name.clone())
                .collect(),
        }
    }

    /// Like [`Schema::coerce`], but hands back `ds` itself when its columns already have the
    /// schema's kinds (it may hold other columns too, e.g. the target).
    pub fn coerce_cow<'a>(&self, ds: &'a Dataset) -> Result<std::borrow::Cow<'a, Dataset>, DataError> {
        let fits = self.columns.iter().all(|sc| {
            ds.column(&sc.name).is_some_and(|c| {
                matches!(
                    (sc.kind, &c.values),
                    (ColumnKind::Numeric, Values::Numeric(_))
                        | (ColumnKind::Categorical | ColumnKind::Text, Values::Str(_))
                )
            })
        });
        if fits { Ok(std::borrow::Cow::Borrowed(ds)) } else { self.coerce(ds).map(std::borrow::Cow::Owned) }
    }

    /// A dataset with exactly the schema's columns, each converted to the kind the schema says.
    /// Extra columns are ignored; a missing column or a cell that cannot be converted is an error
    /// naming the column and the (1-based) data row.
    pub fn coerce(&self, ds: &Dataset) -> Result<Dataset, DataError> {
        let mut columns = Vec::with_capacity(self.columns.len());
        for sc in &self.columns {
            let col = ds.require(&sc.name)?;
            let values = match (sc.kind, &col.values) {
                (ColumnKind::Numeric, Values::Numeric(v)) => Values::Numeric(v.clone()),
                (ColumnKind::Numeric, Values::Str(v)) => {
                    let mut out = crate::data::Numbers::default();
                    for (row, cell) in v.iter().enumerate() {
                        out.push(match cell.map(str::trim) {
                            None => None,
                            Some(s) => number_cell(s).ok_or_else(|| DataError::Invalid {
                                source_name: ds.source.clone(),
                                message: format!("column '{}', row {}: '{s}' is not a number", sc.name, row + 1),
                            })?,
                        });
                    }
                    Values::Numeric(out)
                }
                (_, Values::Numeric(v)) => Values::Str(v.iter().map(|x| x.map(format_number)).collect()),
                (_, Values::Str(v)) => Values::Str(v.clone()),
            };
            columns.push(Column { name: sc.name.clone(), kind: sc.kind, values });
        }
        Dataset::new(ds.source.clone(), columns)
    }

    /// Builds a dataset from JSON records (`[{"col": value, ...}, ...]`) as sent to the server.
    /// `null` is a missing value; every schema column must be present in every record.
    pub fn dataset_from_records(&self, records: &[serde_json::Map<String, Value>]) -> Result<Dataset, DataError> {
        let source = "request".to_string();
        let mut columns = Vec::with_capacity(self.columns.len());
        for sc in &self.columns {
            let mut cells: Vec<Option<String>> = Vec::with_capacity(records.len());
            let mut numbers: Vec<Option<f64>> = Vec::with_capacity(records.len());
            for (i, rec) in records.iter().enumerate() {
                let value = rec.get(&sc.name).ok_or_else(|| DataError::Invalid {
                    source_name: source.clone(),
                    message: format!("record {i}: missing field '{}'", sc.name),
                })?;
                match (sc.kind, value) {
                    (_, Value::Null) => {
                        numbers.push(None);
                        cells.push(None);
                    }
                    (ColumnKind::Numeric, Value::Number(n)) => numbers.push(n.as_f64()),
                    (ColumnKind::Numeric, Value::String(s)) => {
                        numbers.push(number_cell(s).ok_or_else(|| DataError::Invalid {
                            source_name: source.clone(),
                            message: format!("record {i}: field '{}' must be a number, got \"{s}\"", sc.name),
                        })?);
                    }
                    (ColumnKind::Numeric, other) => {
                        return Err(DataError::Invalid {
                            source_name: source.clone(),
                            message: format!("record {i}: field '{}' must be a number, got {other}", sc.name),
                        });
                    }
                    (_, Value::String(s)) => cells.push(Some(s.clone())),
                    (_, Value::Number(n)) => cells.push(Some(n.as_f64().map(format_number).unwrap_or_default())),
                    (_, Value::Bool(b)) => cells.push(Some(b.to_string())),
                    (_, other) => {
                        return Err(DataError::Invalid {
                            source_name: source.clone(),
                            message: format!("record {i}: field '{}' must be a string, got {other}", sc.name),
                        });
                    }
                }
            }
            let values = if sc.kind == ColumnKind::Numeric {
                Values::Numeric(numbers.into())
            } else {
                Values::Str(cells.into())
            };
            columns.push(Column { name: sc.name.clone(), kind: sc.kind, values });
        }
        Dataset::new(source, columns)
    }
}
