//! Augmentation for small picture sets: each training picture also joins the training rows as
//! a few altered copies (a mirror image, a tighter crop, small rotations; `media::picture`),
//! each embedded like the original (and cached). Only training rows are copied, after the
//! split, so no altered copy of a test picture is learned from.

use super::TrainError;
use super::prepare::{Prepared, TargetValues};
use crate::data::pictures::{PictureFile, picture_columns, picture_rows};
use crate::data::{Column, Dataset, Progress, Values};
use crate::media::picture::Variant;
use std::borrow::Cow;

/// Adds `copies` altered copies of every training picture to `p` (its data, targets, strata,
/// source rows and training rows). Returns how many rows were added.
pub(super) fn augment_pictures(p: &mut Prepared, copies: usize) -> Result<usize, TrainError> {
    let config = |m: String| TrainError::Config(m);
    let Some(source) = p.data.pictures.clone() else {
        return Err(config("augmentation works on a folder of pictures; this data is a table".into()));
    };
    let Some(root) = source.root.clone() else {
        return Err(config("augmentation needs the pictures' folder, which this data does not name".into()));
    };
    let Values::Str(files) = &p.data.require("file").map_err(|e| config(e.to_string()))?.values else {
        return Err(config("the pictures' \"file\" column holds no file names".into()));
    };
    let variants: Vec<Variant> = Variant::first(copies + 1).into_iter().skip(1).collect();
    let mut items: Vec<(PictureFile, Variant)> = Vec::new();
    let mut from: Vec<usize> = Vec::new();
    for &row in &p.train_rows {
        let Some(name) = files.get(row) else { continue };
        for &v in &variants {
            items.push((PictureFile::Path(root.join(name)), v));
            from.push(row);
        }
    }
    if items.is_empty() {
        return Ok(0);
    }
    let options = source.options();
    let (rows, _) = picture_rows(&items, options, &Progress::default()).map_err(|e| config(e.to_string()))?;
    let encoder_width = match &source.encoder {
        Some(_) => crate::media::shipped().map_err(|e| config(e.to_string()))?.width(),
        None => 0,
    };
    let names = picture_columns(options, encoder_width);
    let index: std::collections::HashMap<&str, usize> =
        names.iter().enumerate().map(|(j, n)| (n.as_str(), j)).collect();
    let base = p.data.take_rows(&from);
    let columns: Vec<Column> = base
        .columns
        .into_iter()
        .map(|c| match index.get(c.name.as_str()) {
            Some(&j) => Column::numeric(c.name, rows.iter().map(|r| Some(f64::from(r[j]))).collect()),
            None => c,
        })
        .collect();
    let extra = Dataset::new(p.data.source.clone(), columns).map_err(|e| config(e.to_string()))?;
    let mut joined = p.data.append(&extra).map_err(|e| config(e.to_string()))?;
    joined.pictures = p.data.pictures.clone();
    let start = p.data.n_rows();
    p.data = Cow::Owned(joined);
    match &mut p.y {
        TargetValues::Numbers(v) => {
            let more: Vec<f64> = from.iter().map(|&r| v[r]).collect();
            v.extend(more);
        }
        TargetValues::Classes(v) => {
            let more: Vec<Option<String>> = from.iter().map(|&r| v[r].clone()).collect();
            v.extend(more);
        }
    }
    if let Some(strata) = &mut p.strata {
        let more: Vec<usize> = from.iter().map(|&r| strata[r]).collect();
        strata.extend(more);
    }
    let more: Vec<usize> = from.iter().map(|&r| p.source_rows[r]).collect();
    p.source_rows.extend(more);
    p.train_rows.extend(start..start + from.len());
    p.augmented += from.len();
    Ok(from.len())
}
