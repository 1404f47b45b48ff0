//! JSON import: an array of objects (`[{"col": value, …}, …]`), an object holding such an array
//! (`{"data": [...]}` or any single array field), or JSON lines (one object per line, `.ndjson` /
//! `.jsonl`). Columns are the union of the keys (in alphabetical order within each object: JSON
//! objects carry no order); a value missing from a row is a missing cell; numbers make numeric
//! columns unless a cell in the column is text.

use super::{Column, DataError, Dataset};
use serde_json::{Map, Value};

/// Reads JSON or JSON-lines text; `source_name` is used in messages.
pub fn read_json_bytes(source_name: &str, bytes: &[u8]) -> Result<Dataset, DataError> {
    let bad =
        |line: usize, message: String| DataError::Malformed { source_name: source_name.to_string(), line, message };
    let text = std::str::from_utf8(bytes).map_err(|e| {
        let line = 1 + bytes[..e.valid_up_to()].iter().filter(|&&b| b == b'\n').count();
        DataError::Encoding { source_name: source_name.to_string(), line }
    })?;
    if text.trim().is_empty() {
        return Err(DataError::Empty { source_name: source_name.to_string() });
    }
    let rows: Vec<Map<String, Value>> = match serde_json::from_str::<Value>(text) {
        Ok(Value::Array(items)) => objects(items, &bad)?,
        Ok(Value::Object(obj)) => {
            let arrays: Vec<&Value> = obj.values().filter(|v| v.is_array()).collect();
            match (obj.get("data").filter(|v| v.is_array()), arrays.as_slice()) {
                (Some(Value::Array(items)), _) | (None, [Value::Array(items)]) => objects(items.clone(), &bad)?,
                _ => vec![obj], // a single record (or JSON lines holding one object)
            }
        }
        Ok(_) => return Err(bad(1, "expected an array of objects, one object per row".into())),
        // Not one JSON value: JSON lines, one object per line.
        Err(_) => {
            let mut rows = Vec::new();
            for (i, line) in text.lines().enumerate().filter(|(_, l)| !l.trim().is_empty()) {
                match serde_json::from_str::<Value>(line) {
                    Ok(Value::Object(m)) => rows.push(m),
                    Ok(_) => return Err(bad(i + 1, "each line must be one JSON object".into())),
                    Err(e) => return Err(bad(i + 1, format!("not valid JSON: {e}"))),
                }
            }
            rows
        }
    };
    if rows.is_empty() {
        return Err(DataError::NoRows { source_name: source_name.to_string() });
    }
    let mut names: Vec<String> = Vec::new();
    for r in &rows {
        for k in r.keys() {
            if !names.contains(k) {
                names.push(k.clone());
            }
        }
    }
    let columns = names
        .into_iter()
        .map(|name| {
            let cells: Vec<Option<&Value>> = rows.iter().map(|r| r.get(&name).filter(|v| !v.is_null())).collect();
            if cells.iter().flatten().all(|v| v.is_number()) {
                Column::numeric(name, cells.iter().map(|v| v.and_then(Value::as_f64)).collect())
            } else {
                let text = |v: &Value| match v {
                    Value::String(s) => s.clone(),
                    other => other.to_string(),
                };
                Column::strings(name, cells.iter().map(|v| v.map(text)).collect())
            }
        })
        .collect();
    Dataset::new(source_name, columns)
}

fn objects(items: Vec<Value>, bad: &dyn Fn(usize, String) -> DataError) -> Result<Vec<Map<String, Value>>, DataError> {
    items
        .into_iter()
        .enumerate()
        .map(|(i, v)| match v {
            Value::Object(m) => Ok(m),
            _ => Err(bad(1, format!("item {i} of the array is not an object of column → value"))),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::data::{ColumnKind, Values};

    #[test]
    fn arrays_wrapped_arrays_and_json_lines() {
        let a = read_json_bytes(
            "a.json",
            br#"[{"x": 1, "c": "red"}, {"x": 2.5, "y": "hello there my good friend"}, {"c": "blue"}]"#,
        )
        .unwrap();
        assert_eq!(a.column_names(), vec!["c", "x", "y"]);
        assert_eq!(a.columns[1].values, Values::Numeric(vec![Some(1.0), Some(2.5), None].into()));
        assert_eq!(a.columns[0].kind, ColumnKind::Categorical);
        assert!(a.columns[2].values.is_missing(0));
        let b = read_json_bytes("b.json", br#"{"meta": 1, "data": [{"x": 1}, {"x": 2}]}"#).unwrap();
        assert_eq!(b.n_rows(), 2);
        let c = read_json_bytes("c.ndjson", b"{\"x\": 1}\n\n{\"x\": \"n/a\"}\n").unwrap();
        assert_eq!(c.columns[0].kind, ColumnKind::Categorical, "text in the column");
        let err = read_json_bytes("d.ndjson", b"{\"x\": 1}\n{\"x\": \n").unwrap_err().to_string();
        assert!(err.contains("d.ndjson") && err.contains("line 2"), "{err}");
        let err = read_json_bytes("e.json", b"[1, 2]").unwrap_err().to_string();
        assert!(err.contains("item 0"), "{err}");
    }
}
