//! Folders of examples, one sub-folder per label: text files (`spam/`, `ham/`) become a
//! `text` column, images (`cats/`, `dogs/`) the image encoder's features and simple pixels,
//! sound clips (`.wav`: `yes/`, `no/`) log-mel statistics, so a class can train on them like
//! on any table.

use super::csv::Progress;
use super::pictures::{ImageOptions, PictureFile, is_image, picture_feature_columns};
use super::{Column, ColumnKind, DataError, Dataset, Values};
use rayon::prelude::*;
use std::path::{Path, PathBuf};

/// One example: its label (the sub-folder's name) and its file.
struct Example {
    label: String,
    path: PathBuf,
}

/// Reads a folder with one sub-folder per label. Images when most files are images, else text.
pub fn read_label_folder(path: &Path) -> Result<Dataset, DataError> {
    read_label_folder_with(path, ImageOptions::default(), &Progress::default())
}

/// [`read_label_folder`] with the picture options, reporting progress (pictures are embedded
/// in parallel) and stopping when cancelled.
pub fn read_label_folder_with(path: &Path, options: ImageOptions, progress: &Progress) -> Result<Dataset, DataError> {
    let source = path.display().to_string();
    let invalid = |message: String| DataError::Invalid { source_name: source.clone(), message };
    let io = |error| DataError::Io { path: path.to_path_buf(), error };
    let mut labels: Vec<PathBuf> = Vec::new();
    for entry in std::fs::read_dir(path).map_err(io)? {
        let entry = entry.map_err(io)?;
        if entry.path().is_dir() && !hidden(&entry.path()) {
            labels.push(entry.path());
        }
    }
    labels.sort();
    let mut examples = Vec::new();
    for dir in &labels {
        let label = dir.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
        let io = |error| DataError::Io { path: dir.clone(), error };
        let mut files: Vec<PathBuf> = Vec::new();
        for entry in std::fs::read_dir(dir).map_err(io)? {
            let p = entry.map_err(io)?.path();
            if p.is_file() && !hidden(&p) {
                files.push(p);
            }
        }
        files.sort();
        examples.extend(files.into_iter().map(|path| Example { label: label.clone(), path }));
    }
    let with_examples: std::collections::BTreeSet<&str> = examples.iter().map(|e| e.label.as_str()).collect();
    if with_examples.len() < 2 {
        return Err(invalid(format!(
            "a folder of examples needs one sub-folder per label with files in it (like spam/ and ham/, or cats/ and dogs/); found {} with files{}",
            with_examples.len(),
            if labels.is_empty() { " and no sub-folders".to_string() } else { String::new() }
        )));
    }
    let images = examples.iter().filter(|e| is_image(&e.path)).count();
    let sounds = examples.iter().filter(|e| is_sound(&e.path)).count();
    if sounds * 2 > examples.len() {
        examples.retain(|e| is_sound(&e.path));
        read_sounds(&source, &examples, progress)
    } else if images * 2 > examples.len() {
        examples.retain(|e| is_image(&e.path));
        read_images(path, &source, &examples, options, progress)
    } else {
        read_texts(&source, &examples)
    }
}

fn is_sound(path: &Path) -> bool {
    path.extension().and_then(|e| e.to_str()).is_some_and(|e| e.eq_ignore_ascii_case("wav"))
}

/// Sound clips: each `.wav` becomes its log-mel statistics (`media::sound`), on every core.
fn read_sounds(source: &str, examples: &[Example], progress: &Progress) -> Result<Dataset, DataError> {
    use std::sync::atomic::{AtomicUsize, Ordering};
    let done = AtomicUsize::new(0);
    let rows: Vec<Vec<f32>> = examples
        .par_iter()
        .map(|e| {
            if progress.cancelled() {
                return Err(super::csv::cancelled(source));
            }
            let bytes = std::fs::read(&e.path).map_err(|error| DataError::Io { path: e.path.clone(), error })?;
            let n = done.fetch_add(1, Ordering::Relaxed) + 1;
            if let Some(report) = progress.report {
                report(n as f32 / examples.len().max(1) as f32);
            }
            clip_features(&e.path.display().to_string(), &bytes)
        })
        .collect::<Result<_, DataError>>()?;
    let mut columns = sound_columns(&rows);
    columns.push(label_column(examples));
    columns.push(file_column(examples));
    Dataset::new(source, columns)
}

/// One clip's log-mel statistics; a file that is not a readable WAV is named.
fn clip_features(name: &str, bytes: &[u8]) -> Result<Vec<f32>, DataError> {
    let samples = crate::media::sound::read_wav(name, bytes).map_err(|err| DataError::Invalid {
        source_name: name.to_string(),
        message: format!("this sound cannot be read ({err}); save it again as WAV"),
    })?;
    Ok(crate::media::sound::clip_features(&samples))
}

/// The feature columns of clips' log-mel statistics (one row per clip).
fn sound_columns(rows: &[Vec<f32>]) -> Vec<Column> {
    crate::media::sound::feature_names()
        .into_iter()
        .enumerate()
        .map(|(j, name)| Column::numeric(name, rows.iter().map(|r| Some(f64::from(r[j]))).collect()))
        .collect()
}

/// Sound clips given one by one (a server's request, or files named on the command line): a
/// row of log-mel statistics per clip and its `file` name, in the order given.
pub fn read_sound_files(files: &[PictureFile]) -> Result<Dataset, DataError> {
    let rows: Vec<Vec<f32>> = files
        .par_iter()
        .map(|f| match f {
            PictureFile::Bytes { name, bytes } => clip_features(name, bytes),
            PictureFile::Path(p) => {
                let bytes = std::fs::read(p).map_err(|error| DataError::Io { path: p.clone(), error })?;
                clip_features(&p.display().to_string(), &bytes)
            }
        })
        .collect::<Result<_, DataError>>()?;
    let mut columns = sound_columns(&rows);
    let names = files.iter().map(|f| Some(f.name())).collect();
    columns.push(Column { name: "file".into(), kind: ColumnKind::Categorical, values: Values::Str(names) });
    Dataset::new("sound clips", columns)
}

fn hidden(path: &Path) -> bool {
    path.file_name().and_then(|n| n.to_str()).is_some_and(|n| n.starts_with('.'))
}

fn file_column(examples: &[Example]) -> Column {
    Column {
        name: "file".into(),
        kind: ColumnKind::Categorical,
        values: Values::Str(
            examples
                .iter()
                .map(|e| e.path.file_name().map(|n| format!("{}/{}", e.label, n.to_string_lossy())))
                .collect(),
        ),
    }
}

fn label_column(examples: &[Example]) -> Column {
    Column {
        name: "label".into(),
        kind: ColumnKind::Categorical,
        values: Values::Str(examples.iter().map(|e| Some(e.label.clone())).collect()),
    }
}

fn read_texts(source: &str, examples: &[Example]) -> Result<Dataset, DataError> {
    let texts: Vec<Option<String>> = examples
        .par_iter()
        .map(|e| {
            let bytes = std::fs::read(&e.path).map_err(|error| DataError::Io { path: e.path.clone(), error })?;
            let bytes = bytes.strip_prefix(&[0xEF, 0xBB, 0xBF]).unwrap_or(&bytes);
            let text = match std::str::from_utf8(bytes) {
                Ok(t) => t.to_string(),
                Err(_) => super::csv_scan::windows_1252_to_utf8(bytes),
            };
            let text = text.trim();
            Ok((!text.is_empty()).then(|| text.to_string()))
        })
        .collect::<Result<_, DataError>>()?;
    let text = Column { name: "text".into(), kind: ColumnKind::Text, values: Values::Str(texts.into()) };
    Dataset::new(source, vec![text, label_column(examples), file_column(examples)])
}

fn read_images(
    root: &Path,
    source: &str,
    examples: &[Example],
    options: ImageOptions,
    progress: &Progress,
) -> Result<Dataset, DataError> {
    let files: Vec<PictureFile> = examples.iter().map(|e| PictureFile::Path(e.path.clone())).collect();
    let (mut columns, mut pictures) = picture_feature_columns(&files, options, progress)?;
    pictures.root = Some(root.to_path_buf());
    columns.push(label_column(examples));
    columns.push(file_column(examples));
    let mut ds = Dataset::new(source, columns)?;
    ds.pictures = Some(pictures);
    Ok(ds)
}
