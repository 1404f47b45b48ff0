//! Predicting pictures with a picture model (`cairn predict BUNDLE FOLDER_OR_FILES`): the
//! pictures become the columns the model was trained on (the same encoder, checked by its
//! sha256, and the same simple pixels), and each gets a row of the output CSV: `file`, the
//! `label` when the folder has one sub-folder per class, `prediction` and the class
//! probabilities (the 1280 feature columns are not written).

use super::batch::{BatchError, csv_writer};
use crate::data::pictures::{is_image, read_picture_files};
use crate::data::{DataError, Dataset, Progress, read_label_folder_with};
use crate::train::{Pipeline, Prediction};
use std::io::Write;
use std::path::{Path, PathBuf};

/// The pictures `inputs` name: a folder with one sub-folder per class (read with its labels),
/// or folders of pictures and picture files (read in the order given, each folder sorted).
pub fn read_pictures(pipeline: &Pipeline, inputs: &[PathBuf], progress: &Progress) -> Result<Dataset, BatchError> {
    let Some(source) = &pipeline.pictures else {
        return Err(DataError::Invalid {
            source_name: inputs.first().map(|p| p.display().to_string()).unwrap_or_default(),
            message: "this model was not trained on pictures: give it a table (CSV) to predict".into(),
        }
        .into());
    };
    if let [dir] = inputs
        && dir.is_dir()
        && has_sub_folders(dir)
    {
        source
            .check_encoder()
            .map_err(|message| DataError::Invalid { source_name: "image encoder".into(), message })?;
        return Ok(read_label_folder_with(dir, source.options(), progress)?);
    }
    let mut files = Vec::new();
    for input in inputs {
        if input.is_dir() {
            let io = |error| DataError::Io { path: input.clone(), error };
            let mut here: Vec<PathBuf> = Vec::new();
            for entry in std::fs::read_dir(input).map_err(io)? {
                let path = entry.map_err(io)?.path();
                if path.is_file() && is_image(&path) {
                    here.push(path);
                }
            }
            here.sort();
            files.extend(here);
        } else {
            files.push(input.clone());
        }
    }
    if files.is_empty() {
        return Err(DataError::Invalid {
            source_name: inputs.first().map(|p| p.display().to_string()).unwrap_or_default(),
            message: "no pictures found (.png, .jpg, .jpeg, .bmp, .gif, .webp)".into(),
        }
        .into());
    }
    Ok(read_picture_files(&files, source, progress)?)
}

fn has_sub_folders(dir: &Path) -> bool {
    std::fs::read_dir(dir).is_ok_and(|entries| entries.flatten().any(|e| e.path().is_dir()))
}

/// Predicts the pictures `inputs` name and writes one CSV row per picture to `out`.
pub fn predict_pictures(
    pipeline: &Pipeline,
    inputs: &[PathBuf],
    out: &mut dyn Write,
    progress: &Progress,
) -> Result<usize, BatchError> {
    let ds = read_pictures(pipeline, inputs, progress)?;
    let prediction =
        pipeline.predict(&ds).map_err(|error| BatchError::Predict { source_name: "the pictures".into(), error })?;
    let kept: Vec<&crate::data::Column> = ds.columns.iter().filter(|c| c.name == "file" || c.name == "label").collect();
    let mut writer = csv_writer(out);
    let mut header: Vec<String> = kept.iter().map(|c| c.name.clone()).collect();
    header.push("prediction".into());
    if let Prediction::Classification { .. } = prediction {
        header.extend(pipeline.target.classes.iter().map(|c| format!("probability_{c}")));
    }
    writer.write_record(&header).map_err(std::io::Error::from)?;
    for row in 0..ds.n_rows() {
        let mut cells: Vec<String> = kept.iter().map(|c| c.cell_text(row)).collect();
        match &prediction {
            Prediction::Regression(v) => cells.push(format!("{}", v[row])),
            Prediction::Classification { labels, probabilities } => {
                cells.push(labels[row].clone());
                cells.extend(probabilities[row].iter().map(|p| format!("{p}")));
            }
        }
        writer.write_record(&cells).map_err(std::io::Error::from)?;
    }
    writer.flush()?;
    Ok(ds.n_rows())
}
