//! Predicting pictures with a picture model (`cairn predict BUNDLE FOLDER_OR_FILES`): the
//! pictures become the columns the model was trained on (the same encoder, checked by its
//! sha256, and the same simple pixels), and each gets a row of the output CSV: `file`, the
//! `label` when the folder has one sub-folder per class, `prediction` and the class
//! probabilities (the 1280 feature columns are not written).

use super::batch::{BatchError, csv_writer, write_predictions};
use super::{ApiError, error};
use crate::data::pictures::{PictureFile, is_image, read_picture_files};
use crate::data::{DataError, Dataset, Progress, read_label_folder_with};
use crate::train::Pipeline;
use axum::http::StatusCode;
use std::io::Write;
use std::path::{Path, PathBuf};

/// The pictures `inputs` name: a folder with one sub-folder per class (read with its labels),
/// or folders of pictures and picture files (read in the order given, each folder sorted).
pub fn read_pictures(pipeline: &Pipeline, inputs: &[PathBuf], progress: &Progress) -> Result<Dataset, BatchError> {
    let Some(source) = &pipeline.pictures else {
        // Sounds or texts: a folder of examples is read as it was for training.
        if let [dir] = inputs
            && dir.is_dir()
        {
            return Ok(crate::data::read_path_with(dir, progress)?);
        }
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
            let mut here: Vec<PictureFile> = Vec::new();
            for entry in std::fs::read_dir(input).map_err(io)? {
                let path = entry.map_err(io)?.path();
                if path.is_file() && is_image(&path) {
                    here.push(PictureFile::Path(path));
                }
            }
            here.sort_by_key(PictureFile::name);
            files.extend(here);
        } else {
            files.push(PictureFile::Path(input.clone()));
        }
    }
    if files.is_empty() {
        return Err(DataError::Invalid {
            source_name: inputs.first().map(|p| p.display().to_string()).unwrap_or_default(),
            message: "no pictures found (.png, .jpg, .jpeg, .bmp, .gif, .webp)".into(),
        }
        .into());
    }
    Ok(read_picture_files(&files, source, true, progress)?)
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
    write_predictions(pipeline, &kept, &prediction, &mut writer, true)?;
    writer.flush()?;
    Ok(ds.n_rows())
}

/// Pictures (or sound clips) in one request at most.
pub const MAX_PICTURES: usize = 256;

/// What a model trained on a folder of examples takes at `POST /predict` besides tables.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Examples {
    /// Picture files (the encoder's features and simple pixels, as in training).
    Pictures,
    /// WAV clips (their log-mel statistics).
    Sounds,
}

impl Examples {
    /// A picture model, a model on sound clips' log-mel features, or neither.
    pub fn of(p: &Pipeline) -> Option<Examples> {
        if p.pictures.is_some() {
            return Some(Examples::Pictures);
        }
        let inputs: std::collections::HashSet<&str> = p.schema.columns.iter().map(|c| c.name.as_str()).collect();
        let names = crate::media::sound::feature_names();
        names.iter().all(|n| inputs.contains(n.as_str())).then_some(Examples::Sounds)
    }

    /// The key of the base64 list in a JSON body.
    pub fn json_key(self) -> &'static str {
        match self {
            Examples::Pictures => "images",
            Examples::Sounds => "sounds",
        }
    }

    fn one(self) -> &'static str {
        match self {
            Examples::Pictures => "image",
            Examples::Sounds => "sound",
        }
    }

    /// The model's input columns for received files (one that cannot be decoded: 422).
    pub(super) fn table(self, pipeline: &Pipeline, files: &[PictureFile]) -> Result<Dataset, ApiError> {
        match self {
            Examples::Pictures => pictures_table(pipeline, files),
            Examples::Sounds => {
                crate::data::read_sound_files(files).map_err(|e| error(StatusCode::UNPROCESSABLE_ENTITY, e.to_string()))
            }
        }
    }
}

/// The files of a `POST /predict` to a picture or sound model: the files of a
/// `multipart/form-data` body, or JSON `{"images": ["<base64>", …]}` (`"sounds"` for clips; data
/// URLs too). `None` when the body is a table (JSON records or CSV), which the table path reads
/// as for any model.
pub(super) async fn request_files(
    content_type: Option<&str>,
    body: axum::body::Bytes,
    kind: Examples,
) -> Result<Option<Vec<PictureFile>>, ApiError> {
    let bad = |m: String| error(StatusCode::BAD_REQUEST, m);
    let mut files = Vec::new();
    let lower = content_type.map(str::to_ascii_lowercase);
    match lower.as_deref() {
        Some(ct) if ct.starts_with("multipart/form-data") => {
            let ct = content_type.unwrap_or(ct);
            let boundary = multer::parse_boundary(ct).map_err(|e| bad(format!("multipart body: {e}")))?;
            let stream = futures_util::stream::once(async move { Ok::<_, std::io::Error>(body) });
            let mut form = multer::Multipart::new(stream, boundary);
            while let Some(field) = form.next_field().await.map_err(|e| bad(format!("multipart body: {e}")))? {
                let name = field.file_name().or(field.name()).unwrap_or("picture").to_string();
                let is_file = field.file_name().is_some()
                    || field
                        .content_type()
                        .is_some_and(|m| m.type_() == "image" || m.type_() == "audio" || m.subtype() == "octet-stream");
                let bytes = field.bytes().await.map_err(|e| bad(format!("multipart body, part '{name}': {e}")))?;
                if is_file {
                    files.push(PictureFile::Bytes { name, bytes: bytes.to_vec() });
                }
            }
            if files.is_empty() {
                return Err(bad(format!("the multipart body holds no file: send each {} as a file part", kind.one())));
            }
        }
        Some(ct) if !ct.contains("json") => return Ok(None),
        _ => {
            let value: serde_json::Value =
                serde_json::from_slice(&body).map_err(|e| bad(format!("the body is not valid JSON: {e}")))?;
            let (key, one) = (kind.json_key(), kind.one());
            let Some(images) = value.get(key) else { return Ok(None) };
            let images =
                images.as_array().ok_or_else(|| bad(format!("\"{key}\" must be an array of base64 strings")))?;
            use base64::Engine as _;
            for (i, image) in images.iter().enumerate() {
                let text = image.as_str().ok_or_else(|| bad(format!("{one} {i} is not a base64 string")))?;
                // a data URL ("data:image/png;base64,…") or the bare base64
                let data = text.split_once(";base64,").map_or(text, |(_, d)| d).trim();
                let bytes = base64::engine::general_purpose::STANDARD
                    .decode(data)
                    .map_err(|e| bad(format!("{one} {i} is not valid base64: {e}")))?;
                files.push(PictureFile::Bytes { name: format!("{one} {i}"), bytes });
            }
        }
    }
    if files.len() > MAX_PICTURES {
        return Err(error(
            StatusCode::PAYLOAD_TOO_LARGE,
            format!("{} files in one request; the limit is {MAX_PICTURES}", files.len()),
        ));
    }
    Ok(Some(files))
}

/// The model's input columns for received pictures (a picture that cannot be decoded: 422).
pub(super) fn pictures_table(pipeline: &Pipeline, files: &[PictureFile]) -> Result<Dataset, ApiError> {
    let Some(source) = &pipeline.pictures else {
        return Err(error(StatusCode::BAD_REQUEST, "this model was not trained on pictures: send records"));
    };
    read_picture_files(files, source, false, &Progress::default())
        .map_err(|e| error(StatusCode::UNPROCESSABLE_ENTITY, e.to_string()))
}
