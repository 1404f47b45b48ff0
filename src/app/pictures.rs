//! Evaluate, for a picture model: the pictures behind a confusion-matrix cell as thumbnails
//! (click one → the classes' probabilities for it). Thumbnails are decoded once and kept as
//! textures; a picture that cannot be read shows its name instead.

use crate::data::Dataset;
use crate::train::{Pipeline, Prediction};
use std::collections::HashMap;
use std::path::PathBuf;

/// Thumbnail side in points.
const THUMB: f32 = 96.0;

/// What the picture view keeps between frames.
#[derive(Clone, Default)]
pub struct PictureView {
    textures: HashMap<PathBuf, Option<egui::TextureHandle>>,
    /// The chosen picture's row in the data, with the classes' probabilities for it.
    pub chosen: Option<(usize, Vec<(String, f64)>)>,
}

impl std::fmt::Debug for PictureView {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PictureView").field("thumbnails", &self.textures.len()).field("chosen", &self.chosen).finish()
    }
}

/// The file of data row `row`, when the data is a folder of pictures.
pub fn picture_path(ds: &Dataset, row: usize) -> Option<PathBuf> {
    let root = ds.pictures.as_ref()?.root.as_ref()?;
    let file = ds.column("file")?;
    let crate::data::Values::Str(names) = &file.values else { return None };
    Some(root.join(names.get(row)?))
}

fn thumbnail(ctx: &egui::Context, path: &PathBuf) -> Option<egui::TextureHandle> {
    let img = image::open(path).ok()?.thumbnail(192, 192).to_rgba8();
    let size = [img.width() as usize, img.height() as usize];
    let color = egui::ColorImage::from_rgba_unmultiplied(size, img.as_raw());
    Some(ctx.load_texture(path.display().to_string(), color, egui::TextureOptions::LINEAR))
}

/// The pictures of data rows `rows` as a wrap of thumbnails; clicking one shows its class
/// probabilities under them.
pub fn pictures_ui(ui: &mut egui::Ui, view: &mut PictureView, ds: &Dataset, pipeline: &Pipeline, rows: &[usize]) {
    egui::ScrollArea::vertical().id_salt("cell_pictures").max_height(2.3 * (THUMB + 24.0)).show(ui, |ui| {
        ui.horizontal_wrapped(|ui| {
            for &row in rows {
                let Some(path) = picture_path(ds, row) else { continue };
                let name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
                let texture = view.textures.entry(path.clone()).or_insert_with(|| thumbnail(ui.ctx(), &path)).clone();
                let chosen = view.chosen.as_ref().is_some_and(|(r, _)| *r == row);
                let clicked = ui
                    .vertical(|ui| {
                        ui.set_width(THUMB);
                        let response = match &texture {
                            Some(t) => ui.add(
                                egui::Button::image(egui::Image::new(t).fit_to_exact_size(egui::vec2(THUMB, THUMB)))
                                    .selected(chosen),
                            ),
                            None => ui.add_sized([THUMB, THUMB], egui::Button::new("(cannot read)").selected(chosen)),
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
