//! Evaluate, for a picture model: the pictures behind a confusion-matrix cell as thumbnails
//! (click one → the classes' probabilities for it). Thumbnails are decoded off the UI thread
//! (a cell of large photos would otherwise freeze the window), handed back through an inbox
//! with a repaint request, and kept as textures; a picture that cannot be read says so.

use crate::data::Dataset;
use crate::train::{Pipeline, Prediction};
use std::collections::{HashMap, HashSet};
use std::path::PathBuf;
use std::sync::{Arc, Mutex};

/// Thumbnails decoded by the background job, waiting to become textures.
type Inbox = Arc<Mutex<Vec<(PathBuf, Option<egui::ColorImage>)>>>;

/// Thumbnail side in points.
const THUMB: f32 = 96.0;

/// What the picture view keeps between frames.
#[derive(Clone, Default)]
pub struct PictureView {
    textures: HashMap<PathBuf, Option<egui::TextureHandle>>,
    decoded: Inbox,
    /// Pictures being decoded.
    pending: HashSet<PathBuf>,
    /// The chosen picture's row in the data, with the classes' probabilities for it.
    pub chosen: Option<(usize, Vec<(String, f64)>)>,
}

impl std::fmt::Debug for PictureView {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PictureView")
            .field("thumbnails", &self.textures.len())
            .field("pending", &self.pending.len())
            .field("chosen", &self.chosen)
            .finish()
    }
}

impl PictureView {
    /// Whether thumbnails are still being decoded.
    pub fn loading(&self) -> bool {
        !self.pending.is_empty()
    }

    /// Takes the decoded thumbnails in as textures, and starts decoding the ones of `paths`
    /// not seen yet on a background thread (all cores), which asks for a repaint as each is done.
    fn update(&mut self, ctx: &egui::Context, paths: &[PathBuf]) {
        let done: Vec<(PathBuf, Option<egui::ColorImage>)> =
            self.decoded.lock().map(|mut v| std::mem::take(&mut *v)).unwrap_or_default();
        for (path, image) in done {
            self.pending.remove(&path);
            let texture = image.map(|c| ctx.load_texture(path.display().to_string(), c, egui::TextureOptions::LINEAR));
            self.textures.insert(path, texture);
        }
        let new: Vec<PathBuf> =
            paths.iter().filter(|p| !self.textures.contains_key(*p) && !self.pending.contains(*p)).cloned().collect();
        if new.is_empty() {
            return;
        }
        self.pending.extend(new.iter().cloned());
        let (inbox, ctx) = (self.decoded.clone(), ctx.clone());
        std::thread::spawn(move || {
            use rayon::prelude::*;
            new.into_par_iter().for_each(|path| {
                // A decoder that panics on a strange file leaves "(cannot read)", not "loading…".
                let image = std::panic::catch_unwind(|| thumbnail(&path)).ok().flatten();
                if let Ok(mut v) = inbox.lock() {
                    v.push((path, image));
                }
                ctx.request_repaint();
            });
        });
    }
}

/// The file of data row `row`, when the data is a folder of pictures.
pub fn picture_path(ds: &Dataset, row: usize) -> Option<PathBuf> {
    let root = ds.pictures.as_ref()?.root.as_ref()?;
    let file = ds.column("file")?;
    let crate::data::Values::Str(names) = &file.values else { return None };
    Some(root.join(names.get(row)?))
}

fn thumbnail(path: &PathBuf) -> Option<egui::ColorImage> {
    let img = image::open(path).ok()?.thumbnail(192, 192).to_rgba8();
    let size = [img.width() as usize, img.height() as usize];
    Some(egui::ColorImage::from_rgba_unmultiplied(size, img.as_raw()))
}

/// The pictures of data rows `rows` as a wrap of thumbnails; clicking one shows its class
/// probabilities under them.
pub fn pictures_ui(ui: &mut egui::Ui, view: &mut PictureView, ds: &Dataset, pipeline: &Pipeline, rows: &[usize]) {
    let paths: Vec<PathBuf> = rows.iter().filter_map(|&row| picture_path(ds, row)).collect();
    view.update(ui.ctx(), &paths);
    egui::ScrollArea::vertical().id_salt("cell_pictures").max_height(2.3 * (THUMB + 24.0)).show(ui, |ui| {
        ui.horizontal_wrapped(|ui| {
            for &row in rows {
                let Some(path) = picture_path(ds, row) else { continue };
                let name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
                let texture = view.textures.get(&path).cloned();
                let chosen = view.chosen.as_ref().is_some_and(|(r, _)| *r == row);
                let clicked = ui
                    .vertical(|ui| {
                        ui.set_width(THUMB);
                        let response = match &texture {
                            Some(Some(t)) => ui.add(
                                egui::Button::image(egui::Image::new(t).fit_to_exact_size(egui::vec2(THUMB, THUMB)))
                                    .selected(chosen),
                            ),
                            Some(None) => {
                                ui.add_sized([THUMB, THUMB], egui::Button::new("(cannot read)").selected(chosen))
                            }
                            None => ui.add_sized([THUMB, THUMB], egui::Button::new("loading…").selected(chosen)),
                        };
                        // the name is clickable too (and names the picture for screen readers)
                        let label =
                            ui.add(egui::Label::new(egui::RichText::new(&name).small()).sense(egui::Sense::click()));
                        response.on_hover_text(path.display().to_string()).clicked() || label.clicked()
                    })
                    .inner;
                if clicked {
                    view.chosen = Some((row, probabilities(pipeline, ds, row)));
                }
            }
        });
    });
    if let Some((row, probs)) = &view.chosen {
        let name = picture_path(ds, *row).and_then(|p| p.file_name().map(|n| n.to_string_lossy().into_owned()));
        ui.label(egui::RichText::new(format!("{}: how sure the model is", name.unwrap_or_default())).strong());
        for (class, p) in probs {
            ui.horizontal(|ui| {
                ui.add_sized([140.0, 16.0], egui::Label::new(class.as_str()).truncate());
                ui.add(egui::ProgressBar::new(*p as f32).desired_width(220.0).text(format!("{:.1} %", p * 100.0)));
            });
        }
    }
}

/// The classes' probabilities for data row `row`, most likely first.
fn probabilities(pipeline: &Pipeline, ds: &Dataset, row: usize) -> Vec<(String, f64)> {
    let Ok(Prediction::Classification { probabilities, .. }) = pipeline.predict(&ds.take_rows(&[row])) else {
        return Vec::new();
    };
    let mut out: Vec<(String, f64)> =
        pipeline.target.classes.iter().cloned().zip(probabilities.first().cloned().unwrap_or_default()).collect();
    out.sort_by(|a, b| b.1.total_cmp(&a.1));
    out
}
