//! Pictures as table rows: the pretrained encoder's 1280 features (`enc_0` …, transfer
//! learning), "simple pixels" (a grey thumbnail and colour histograms, kept for teaching the
//! contrast), or both. Embeddings are cached per file hash (`media::cache`), so reopening a
//! folder is instant; the work runs on every core and reports progress.

use super::csv::Progress;
use super::{Column, DataError};
use crate::media::picture::{self, Variant};
use crate::media::{self, EncoderId, cache::EmbeddingCache};
use rayon::prelude::*;
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};

/// The file endings read as images.
pub const IMAGE_EXTENSIONS: [&str; 6] = ["png", "jpg", "jpeg", "bmp", "gif", "webp"];

pub fn is_image(path: &Path) -> bool {
    let ext = path.extension().and_then(|e| e.to_str()).unwrap_or("").to_ascii_lowercase();
    IMAGE_EXTENSIONS.contains(&ext.as_str())
}

/// Which features a picture becomes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum PictureFeatures {
    /// The pretrained encoder's features (transfer learning).
    Encoder,
    /// A grey thumbnail and colour histograms only ("simple pixels").
    Pixels,
    /// Both: the encoder's features followed by the simple pixels.
    Both,
}

impl PictureFeatures {
    pub fn encoder(self) -> bool {
        self != PictureFeatures::Pixels
    }
    pub fn pixels(self) -> bool {
        self != PictureFeatures::Encoder
    }
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "encoder" => Some(PictureFeatures::Encoder),
            "pixels" => Some(PictureFeatures::Pixels),
            "both" | "encoder+pixels" => Some(PictureFeatures::Both),
            _ => None,
        }
    }
}

/// How images become features.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ImageOptions {
    pub features: PictureFeatures,
    /// Where the encoder runs: a hardware GPU when found (auto), the CPU, or any GPU.
    pub device: crate::media::DeviceChoice,
    /// The thumbnail's side in pixels (one column per pixel, 0–1).
    pub size: u32,
    /// Bins of the histogram per colour channel (the share of pixels in each bin).
    pub histogram_bins: usize,
    /// Keep embeddings in the on-disk cache (not for pictures a server receives).
    pub cache: bool,
}

impl Default for ImageOptions {
    fn default() -> Self {
        ImageOptions {
            features: PictureFeatures::Both,
            device: Default::default(),
            size: 16,
            histogram_bins: 8,
            cache: true,
        }
    }
}

/// What a dataset of pictures was made with: kept in the pipeline, so predicting on new
/// pictures makes the same columns, and refused when the encoder differs.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PictureSource {
    pub features: PictureFeatures,
    pub size: u32,
    pub histogram_bins: usize,
    /// The encoder's name and sha256 (its weights are not copied into bundles).
    pub encoder: Option<EncoderId>,
    /// The folder the pictures were read from (for augmentation while training).
    #[serde(skip)]
    pub root: Option<PathBuf>,
}

impl PictureSource {
    pub fn options(&self) -> ImageOptions {
        ImageOptions {
            features: self.features,
            size: self.size,
            histogram_bins: self.histogram_bins,
            ..Default::default()
        }
    }

    /// Checks that the shipped encoder is the one these features were made with.
    pub fn check_encoder(&self) -> Result<(), String> {
        let Some(want) = &self.encoder else { return Ok(()) };
        let have = media::shipped().map_err(|e| e.to_string())?;
        if have.id != *want {
            return Err(format!(
                "this model was trained on features of the image encoder {} (sha256 {}), but this Cairn ships {} (sha256 {}); train it again with this version",
                want.name, want.sha256, have.id.name, have.id.sha256
            ));
        }
        Ok(())
    }
}

/// The column names of picture features, in order.
pub fn picture_columns(options: ImageOptions, encoder_width: usize) -> Vec<String> {
    let mut names: Vec<String> = Vec::new();
    if options.features.encoder() {
        names.extend((0..encoder_width).map(|i| format!("enc_{i}")));
    }
    if options.features.pixels() {
        let size = options.size.max(1);
        names.extend((0..size * size).map(|i| format!("pixel_{}_{}", i / size, i % size)));
        for channel in ["red", "green", "blue"] {
            names.extend((0..options.histogram_bins.max(1)).map(|b| format!("{channel}_{b}")));
        }
    }
    names
}

fn decode(name: &str, bytes: &[u8]) -> Result<image::DynamicImage, DataError> {
    image::load_from_memory(bytes).map_err(|err| DataError::Invalid {
        source_name: name.to_string(),
        message: format!("this image cannot be decoded ({err}); remove it or save it again as PNG or JPEG"),
    })
}

/// The feature columns of `files` (in order), with the source's description.
pub fn picture_feature_columns(
    files: &[PictureFile],
    options: ImageOptions,
    progress: &Progress,
) -> Result<(Vec<Column>, PictureSource), DataError> {
    let items: Vec<(PictureFile, Variant)> = files.iter().map(|f| (f.clone(), Variant::Original)).collect();
    let (rows, encoder) = picture_rows(&items, options, progress)?;
    let width = rows.first().map_or(0, Vec::len);
    let names = picture_columns(options, encoder.as_ref().map_or(0, |_| width - pixel_width(options)));
    let columns = names
        .into_iter()
        .enumerate()
        .map(|(j, name)| Column::numeric(name, rows.iter().map(|r| Some(f64::from(r[j]))).collect()))
        .collect();
    let source = PictureSource {
        features: options.features,
        size: options.size,
        histogram_bins: options.histogram_bins,
        encoder,
        root: None,
    };
    Ok((columns, source))
}

/// Pictures without labels (to predict): the feature columns `source` describes, then a `file`
/// column with each picture's name. Files must be pictures by their ending.
pub fn read_picture_files(
    files: &[PictureFile],
    source: &PictureSource,
    cache: bool,
    progress: &Progress,
) -> Result<super::Dataset, DataError> {
    if let Some(other) = files.iter().find(|f| matches!(f, PictureFile::Path(p) if !is_image(p))) {
        return Err(DataError::Invalid {
            source_name: other.name(),
            message: format!("not a picture (Cairn reads {})", IMAGE_EXTENSIONS.join(", ")),
        });
    }
    source.check_encoder().map_err(|message| DataError::Invalid { source_name: "image encoder".into(), message })?;
    let options = ImageOptions { cache, ..source.options() };
    let (mut columns, _) = picture_feature_columns(files, options, progress)?;
    let names: Vec<Option<String>> = files.iter().map(|f| Some(f.name())).collect();
    columns.push(Column {
        name: "file".into(),
        kind: super::ColumnKind::Categorical,
        values: super::Values::Str(names.into()),
    });
    let mut ds = super::Dataset::new("pictures", columns)?;
    ds.pictures = Some(source.clone());
    Ok(ds)
}

/// How many simple-pixel features a picture gives with `options`.
fn pixel_width(options: ImageOptions) -> usize {
    if options.features.pixels() {
        let size = options.size.max(1) as usize;
        size * size + 3 * options.histogram_bins.max(1)
    } else {
        0
    }
}

/// A picture to read: a file, or bytes received (e.g. by the server) with a name for messages.
#[derive(Clone, Debug)]
pub enum PictureFile {
    Path(PathBuf),
    Bytes { name: String, bytes: Vec<u8> },
}

impl PictureFile {
    pub fn name(&self) -> String {
        match self {
            PictureFile::Path(p) => p.display().to_string(),
            PictureFile::Bytes { name, .. } => name.clone(),
        }
    }

    fn bytes(&self) -> Result<std::borrow::Cow<'_, [u8]>, DataError> {
        match self {
            PictureFile::Path(p) => {
                std::fs::read(p).map(Into::into).map_err(|error| DataError::Io { path: p.clone(), error })
            }
            PictureFile::Bytes { bytes, .. } => Ok(bytes.as_slice().into()),
        }
    }
}

/// Pictures embedded per round: bounds the memory of prepared inputs (600 KB each).
const ROUND: usize = 64;

/// One picture of a round: its embedding from the cache, or its prepared encoder input.
enum Embedding {
    Cached(Vec<f32>),
    Pending { key: String, input: Vec<f32> },
    Skipped,
}

/// The features of each (file, variant), in order, and the encoder that made them: the
/// encoder's (cached per file hash and variant) followed by the simple pixels, as `options`
/// asks. Pictures are decoded on every core; the encoder runs on the device `options` names
/// (the CPU unless a hardware GPU is found or asked for). Reports the share done.
pub fn picture_rows(
    items: &[(PictureFile, Variant)],
    options: ImageOptions,
    progress: &Progress,
) -> Result<(Vec<Vec<f32>>, Option<EncoderId>), DataError> {
    let encoder_error = |e: String| DataError::Invalid { source_name: "image encoder".into(), message: e };
    let encoder = if options.features.encoder() {
        Some(media::shipped().map_err(|e| encoder_error(e.to_string()))?)
    } else {
        None
    };
    let cache = encoder
        .filter(|_| options.cache)
        .map(|e| EmbeddingCache::new(&media::cache::cache_dir(), &e.id.sha256, e.width()));
    let mut gpu = match (encoder, options.device) {
        (Some(enc), device) => device
            .open()
            .map_err(|e| encoder_error(e.to_string()))?
            .map(|engine| media::EngineEncoder::new(enc, engine, 16))
            .transpose()
            .map_err(|e| encoder_error(e.to_string()))?,
        (None, _) => None,
    };
    let done = AtomicUsize::new(0);
    let total = items.len().max(1);
    let mut rows = Vec::with_capacity(items.len());
    for round in items.chunks(ROUND) {
        // Decode, look up the cache and prepare the encoder's inputs on every core.
        let mut prepared: Vec<(Embedding, Vec<f32>)> = round
            .par_iter()
            .map(|(file, variant)| {
                if progress.cancelled() {
                    return Err(super::csv::cancelled(&file.name()));
                }
                let bytes = file.bytes()?;
                let key = if cache.is_some() { EmbeddingCache::key(&bytes) } else { String::new() };
                let cached = cache.as_ref().and_then(|c| c.get(&key, &variant.key()));
                // Decoded once, and only when the encoder or the pixels need the picture.
                let needed = (encoder.is_some() && cached.is_none()) || options.features.pixels();
                let image = needed.then(|| decode(&file.name(), &bytes).map(|i| variant.apply(&i))).transpose()?;
                let embedding = match (encoder, cached, &image) {
                    (None, _, _) => Embedding::Skipped,
                    (Some(_), Some(e), _) => Embedding::Cached(e),
                    (Some(enc), None, Some(img)) => {
                        Embedding::Pending { input: picture::encoder_input(img, enc.size, enc.mean, enc.std), key }
                    }
                    (Some(_), None, None) => Embedding::Skipped,
                };
                let pixels = match (&image, options.features.pixels()) {
                    (Some(img), true) => simple_pixels(img, options.size.max(1), options.histogram_bins.max(1))
                        .iter()
                        .map(|v| *v as f32)
                        .collect(),
                    _ => Vec::new(),
                };
                Ok((embedding, pixels))
            })
            .collect::<Result<_, DataError>>()?;
        // The encoder on the pictures not in the cache.
        // (moved out, not copied: each is 600 KB)
        let inputs: Vec<Vec<f32>> = prepared
            .iter_mut()
            .filter_map(|(e, _)| match e {
                Embedding::Pending { input, .. } => Some(std::mem::take(input)),
                _ => None,
            })
            .collect();
        let mut fresh = match (&mut gpu, encoder) {
            (_, None) => Vec::new(),
            (Some(gpu), _) => gpu.features(&inputs).map_err(|e| encoder_error(e.to_string()))?,
            (None, Some(enc)) => enc.features_many(&inputs),
        }
        .into_iter();
        for ((embedding, pixels), (_, variant)) in prepared.into_iter().zip(round) {
            let mut row = match embedding {
                Embedding::Cached(e) => e,
                Embedding::Pending { key, .. } => {
                    let e = fresh.next().unwrap_or_default();
                    if let Some(cache) = &cache {
                        cache.put(&key, &variant.key(), &e);
                    }
                    e
                }
                Embedding::Skipped => Vec::new(),
            };
            row.extend(pixels);
            rows.push(row);
        }
        let n = done.fetch_add(round.len(), Ordering::Relaxed) + round.len();
        if let Some(report) = progress.report {
            report(n as f32 / total as f32);
        }
    }
    Ok((rows, encoder.map(|e| e.id.clone())))
}

/// A grey `size`×`size` thumbnail (0 = black, 1 = white) followed by the share of pixels in
/// each of `bins` equal ranges of red, green and blue.
pub fn simple_pixels(img: &image::DynamicImage, size: u32, bins: usize) -> Vec<f64> {
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
        let f = simple_pixels(&img, 4, 8);
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
