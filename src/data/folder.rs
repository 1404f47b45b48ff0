//! Folders of examples, one sub-folder per label: text files (`spam/`, `ham/`) become a
//! `text` column, images (`cats/`, `dogs/`) become pixel and colour features, so a class can
//! train on them like on any table.

use super::{Column, ColumnKind, DataError, Dataset, Values};
use rayon::prelude::*;
use std::path::{Path, PathBuf};

/// The file endings read as images; everything else in a label folder is read as text.
const IMAGE_EXTENSIONS: [&str; 6] = ["png", "jpg", "jpeg", "bmp", "gif", "webp"];

/// How images become features: a `size`×`size` grey thumbnail (one column per pixel, 0–1)
/// and an 8-bin histogram per colour channel (the share of pixels in each bin).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ImageOptions {
    pub size: u32,
    pub histogram_bins: usize,
}

impl Default for ImageOptions {
    fn default() -> Self {
        ImageOptions { size: 16, histogram_bins: 8 }
    }
}

/// One example: its label (the sub-folder's name) and its file.
struct Example {
    label: String,
    path: PathBuf,
}

/// Reads a folder with one sub-folder per label. Images when most files are images, else text.
pub fn read_label_folder(path: &Path) -> Result<Dataset, DataError> {
    read_label_folder_with(path, ImageOptions::default())
}

pub fn read_label_folder_with(path: &Path, options: ImageOptions) -> Result<Dataset, DataError> {
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
    if images * 2 > examples.len() {
        examples.retain(|e| is_image(&e.path));
        read_images(&source, &examples, options)
    } else {
        read_texts(&source, &examples)
    }
}

fn hidden(path: &Path) -> bool {
    path.file_name().and_then(|n| n.to_str()).is_some_and(|n| n.starts_with('.'))
}

fn is_image(path: &Path) -> bool {
    let ext = path.extension().and_then(|e| e.to_str()).unwrap_or("").to_ascii_lowercase();
    IMAGE_EXTENSIONS.contains(&ext.as_str())
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

fn read_images(source: &str, examples: &[Example], options: ImageOptions) -> Result<Dataset, DataError> {
    let size = options.size.max(1);
    let bins = options.histogram_bins.max(1);
    let rows: Vec<Vec<f64>> = examples
        .par_iter()
        .map(|e| {
            let bytes = std::fs::read(&e.path).map_err(|error| DataError::Io { path: e.path.clone(), error })?;
            let img = image::load_from_memory(&bytes).map_err(|err| DataError::Invalid {
                source_name: e.path.display().to_string(),
                message: format!("this image cannot be decoded ({err}); remove it or save it again as PNG or JPEG"),
            })?;
            Ok(image_features(&img, size, bins))
        })
        .collect::<Result<_, DataError>>()?;
    let mut names: Vec<String> = (0..size * size).map(|i| format!("pixel_{}_{}", i / size, i % size)).collect();
    for channel in ["red", "green", "blue"] {
        names.extend((0..bins).map(|b| format!("{channel}_{b}")));
    }
    let mut columns: Vec<Column> = names
        .into_iter()
        .enumerate()
        .map(|(j, name)| Column::numeric(name, rows.iter().map(|r| Some(r[j])).collect()))
        .collect();
    columns.push(label_column(examples));
    columns.push(file_column(examples));
    Dataset::new(source, columns)
}

/// A grey `size`×`size` thumbnail (0 = black, 1 = white) followed by the share of pixels in
/// each of `bins` equal ranges of red, green and blue.
pub fn image_features(img: &image::DynamicImage, size: u32, bins: usize) -> Vec<f64> {
    let grey = img.resize_exact(size, size, image::imageops::FilterType::Triangle).to_luma8();
    let mut out: Vec<f64> = grey.pixels().map(|p| f64::from(p.0[0]) / 255.0).collect();
    let rgb = img.to_rgb8();
    let n = (rgb.width() as usize * rgb.height() as usize).max(1) as f64;
    let mut hist = vec![0usize; 3 * bins];
    for p in rgb.pixels() {
        for (c, &v) in p.0.iter().enumerate() {
            hist[c * bins + (v as usize * bins / 256).min(bins - 1)] += 1;
        }
    }
    out.extend(hist.into_iter().map(|h| h as f64 / n));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn histogram_shares_sum_to_one_per_channel() {
        let img = image::DynamicImage::ImageRgb8(image::RgbImage::from_fn(10, 5, |x, _| {
            image::Rgb([if x < 5 { 0 } else { 255 }, 128, 30])
        }));
        let f = image_features(&img, 4, 8);
        assert_eq!(f.len(), 16 + 24);
        for c in 0..3 {
            let s: f64 = f[16 + c * 8..16 + (c + 1) * 8].iter().sum();
            assert!((s - 1.0).abs() < 1e-12);
        }
        assert_eq!(f[16], 0.5); // half the pixels have red 0
        assert_eq!(f[16 + 7], 0.5); // half have red 255
        assert!(f[0] < f[3], "the left of the thumbnail is darker than the right");
    }
}
