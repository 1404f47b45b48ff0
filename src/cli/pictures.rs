//! Folders of pictures at the command line: reading them as features with a progress bar, and
//! `cairn predict` with a picture model (or any folder of examples).

use super::load;
use anyhow::{Context, Result};
use cairn::data::Dataset;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::Instant;

/// [`load`], where a folder of pictures becomes `features` (with a progress bar on stderr while
/// the pictures are embedded).
pub(crate) fn load_pictures(
    path: &Path,
    features: cairn::data::PictureFeatures,
    device: cairn::gpu::DeviceChoice,
) -> Result<Dataset> {
    if !path.is_dir() || cairn::data::is_parquet_folder(path) {
        return load(path);
    }
    let bar = PictureBar::new();
    let report = |share: f32| bar.draw(share);
    let progress = cairn::data::Progress { report: Some(&report), cancel: None };
    let options = cairn::data::ImageOptions { features, device, ..Default::default() };
    let data = cairn::data::read_label_folder_with(path, options, &progress);
    bar.finish();
    Ok(data?)
}

/// A progress bar on stderr for pictures being embedded, redrawn when the percentage changes
/// (from several threads).
struct PictureBar {
    started: Instant,
    percent: std::sync::atomic::AtomicU32,
}

impl PictureBar {
    fn new() -> Self {
        PictureBar { started: Instant::now(), percent: std::sync::atomic::AtomicU32::new(u32::MAX) }
    }
    fn draw(&self, share: f32) {
        let percent = (share * 100.0).round() as u32;
        if self.percent.swap(percent, std::sync::atomic::Ordering::Relaxed) != percent {
            let bar = "#".repeat((share * 30.0).round() as usize);
            eprint!("\r[{bar:<30}] {percent:>3}%  pictures  {:.1} s", self.started.elapsed().as_secs_f64());
        }
    }
    /// Ends the bar's line, if it drew one.
    fn finish(&self) {
        if self.percent.load(std::sync::atomic::Ordering::Relaxed) != u32::MAX {
            eprintln!();
        }
    }
}

/// `cairn predict` with a picture model: one row per picture (a progress bar while embedding).
pub(crate) fn cmd_predict_pictures(
    pipeline: &cairn::train::Pipeline,
    inputs: &[PathBuf],
    out: Option<&Path>,
) -> Result<()> {
    let bar = PictureBar::new();
    let report = |share: f32| bar.draw(share);
    let progress = cairn::data::Progress { report: Some(&report), cancel: None };
    let what = inputs.first().map(|p| p.display().to_string()).unwrap_or_default();
    let rows = match out {
        Some(path) => cairn::serve::batch::write_atomically_with(path, &mut |w| {
            cairn::serve::pictures::predict_pictures(pipeline, inputs, w, &progress)
        }),
        None => {
            let mut stdout = std::io::BufWriter::new(std::io::stdout().lock());
            let rows = cairn::serve::pictures::predict_pictures(pipeline, inputs, &mut stdout, &progress);
            stdout.flush()?;
            rows
        }
    };
    bar.finish();
    let rows = rows.with_context(|| format!("cannot predict '{what}'"))?;
    if let Some(path) = out {
        eprintln!("Wrote {rows} predictions to {}", path.display());
    }
    Ok(())
}
