//! Data panel: the sample gallery, "open your own file", the column profile and a table preview.

use super::{AppState, Command, Panel};
use crate::data::ColumnKind;
use crate::data::format_number;
use crate::eval::human_number;
use crate::project::SAMPLES;
use egui_extras::{Column as TableColumn, TableBuilder};

/// The start screen's lessons: one button per built-in lesson, and class packs from a teacher.
fn lessons_ui(ui: &mut egui::Ui, cmds: &mut Vec<Command>) {
    ui.heading("Welcome to Cairn");
    ui.label("Learn machine learning by doing: follow a lesson, open a sample project, or bring your own data.");
    ui.horizontal_wrapped(|ui| {
        ui.label(egui::RichText::new("Lessons:").strong());
        for lesson in crate::project::builtin_lessons().iter() {
            let hover = format!("{} ({} steps)", lesson.summary, lesson.steps.len());
            if ui.button(format!("Start lesson: {}", lesson.title)).on_hover_text(hover).clicked() {
                cmds.push(Command::StartLesson(Box::new(lesson.clone())));
            }
        }
        if ui
            .button("Open a class pack…")
            .on_hover_text("A lesson and its data from your teacher (.cairnpack)")
            .clicked()
        {
            cmds.push(Command::PickClassPack);
        }
    });
    ui.add_space(6.0);
}

fn own_data_card(ui: &mut egui::Ui, cmds: &mut Vec<Command>) {
    ui.strong("Your own data");
    ui.label(egui::RichText::new("A table with a header row, one row per example.").small());
    if ui.button("Open a file…").clicked() {
        cmds.push(Command::PickFile);
    }
    if ui
        .button("Open a folder of examples…")
        .on_hover_text("One sub-folder of text files or pictures per label (spam/ and ham/, cats/ and dogs/).")
        .clicked()
    {
        cmds.push(Command::PickExamplesFolder);
    }
}

/// The start cards: your own data first, so it is never below the fold, then the samples.
fn cards_ui(ui: &mut egui::Ui, cmds: &mut Vec<Command>) {
    // Four cards a row: your own data first, so it is never below the fold, then the samples.
    let cards: Vec<Option<&'static crate::project::Sample>> =
        std::iter::once(None).chain(SAMPLES.iter().map(Some)).collect();
    for row in cards.chunks(4) {
        ui.horizontal(|ui| {
            for card in row {
                egui::Frame::group(ui.style()).inner_margin(8.0).show(ui, |ui| {
                    ui.set_width(230.0);
                    ui.set_min_height(84.0);
                    ui.vertical(|ui| match card {
                        None => own_data_card(ui, cmds),
                        Some(sample) => {
                            ui.strong(sample.title);
                            ui.label(egui::RichText::new(sample.description).small());
                            ui.label(egui::RichText::new(format!("Predict: {}", sample.target)).small().weak());
                            if ui.button(format!("Open {} sample", sample.title)).clicked() {
                                cmds.push(Command::OpenSample(sample));
                            }
                        }
                    });
                });
            }
        });
    }
}

/// One row per column of the profile: its type (changeable), missing and distinct counts and a
/// summary.
fn columns_ui(ui: &mut egui::Ui, prof: &crate::data::Profile, cmds: &mut Vec<Command>) {
    egui::Grid::new("profile").striped(true).num_columns(6).spacing([16.0, 4.0]).show(ui, |ui| {
        for h in ["column", "type", "missing", "distinct", "distribution", "summary"] {
            ui.label(egui::RichText::new(h).strong());
        }
        ui.end_row();
        for c in &prof.column_profiles {
            ui.label(&c.name);
            let mut kind = c.kind;
            egui::ComboBox::from_id_salt(("kind", &c.name))
                .selected_text(kind.label())
                .width(110.0)
                .show_ui(ui, |ui| {
                    for k in [ColumnKind::Numeric, ColumnKind::Categorical, ColumnKind::Text] {
                        ui.selectable_value(&mut kind, k, k.label());
                    }
                })
                .response
                .on_hover_text(match c.kind {
                    ColumnKind::Numeric => "Numbers: will be filled in where missing and put on a common scale.",
                    ColumnKind::Categorical => "A few repeated labels: each becomes its own yes/no column.",
                    ColumnKind::Text => "Free text: turned into word weights (TF-IDF).",
                })
                .on_hover_text("Change it if Cairn guessed wrong, e.g. number codes that are really categories.");
            if kind != c.kind {
                cmds.push(Command::SetColumnKind(c.name.clone(), kind));
            }
            if c.missing > 0 {
                ui.colored_label(egui::Color32::from_rgb(220, 140, 40), c.missing.to_string());
            } else {
                ui.label("0");
            }
            ui.label(c.distinct_text());
            super::explore_charts::sketch_ui(ui, c);
            let summary = match (c.min, c.max, c.mean) {
                (Some(min), Some(max), Some(mean)) => {
                    format!("{} … {} (mean {})", format_number(min), format_number(max), human_number(mean))
                }
                _ => c
                    .top_values
                    .iter()
                    .take(3)
                    .map(|(v, n)| format!("{} ({n})", v.chars().take(30).collect::<String>()))
                    .collect::<Vec<_>>()
                    .join(", "),
            };
            ui.label(summary);
            ui.end_row();
        }
    });
}

/// A file too large for memory: what was streamed, and the training sample's size to change.
fn streamed_ui(ui: &mut egui::Ui, streamed: &super::state::StreamedData, sample_rows: usize, cmds: &mut Vec<Command>) {
    egui::Frame::group(ui.style()).show(ui, |ui| {
        ui.label(egui::RichText::new("Large file: streamed, with a sample to train on").strong());
        ui.label(streamed.summary.describe());
        ui.horizontal(|ui| {
            ui.label("Rows in the training sample:");
            let id = egui::Id::unique("cairn_sample_rows");
            let mut rows = ui.data(|d| d.get_temp::<usize>(id)).unwrap_or(sample_rows);
            ui.add(egui::DragValue::new(&mut rows).range(1000..=streamed.summary.training_rows.max(1000)).speed(1000));
            ui.data_mut(|d| d.insert_temp(id, rows));
            if ui
                .add_enabled(rows != streamed.summary.sample_rows_asked, egui::Button::new("Resample"))
                .on_hover_text(
                    "Stream the file again and keep a sample of this size (more rows: better models, slower training).",
                )
                .clicked()
            {
                cmds.push(Command::Resample(rows));
            }
        });
    });
    ui.add_space(4.0);
}

/// What a folder of pictures became, and the other choices (the folder is read again; the
/// encoder's features come from the cache).
fn picture_features_ui(ui: &mut egui::Ui, current: crate::data::PictureFeatures, cmds: &mut Vec<Command>) {
    use crate::data::PictureFeatures;
    ui.horizontal(|ui| {
        let label = ui.label("Pictures become").on_hover_text(
            "Encoder: the 1280 features of a network pretrained on a million photos (transfer learning). \
             Simple pixels: a 16×16 grey thumbnail and colour histograms, what a model sees without it.",
        );
        let name = |f: PictureFeatures| match f {
            PictureFeatures::Both => "encoder + simple pixels",
            PictureFeatures::Encoder => "the encoder's features",
            PictureFeatures::Pixels => "simple pixels only",
        };
        egui::ComboBox::from_id_salt("picture_features")
            .selected_text(name(current))
            .show_ui(ui, |ui| {
                for f in [PictureFeatures::Both, PictureFeatures::Encoder, PictureFeatures::Pixels] {
                    if ui.selectable_label(f == current, name(f)).clicked() && f != current {
                        cmds.push(Command::PictureFeatures(f));
                    }
                }
            })
            .response
            .labelled_by(label.id);
    });
}

pub fn data_ui(ui: &mut egui::Ui, state: &AppState, cmds: &mut Vec<Command>) {
    if state.dataset.is_none() {
        lessons_ui(ui, cmds);
    }
    ui.heading("1 · Data");
    ui.label(
        "Start from a sample project or open your own table (CSV/TSV, Excel, Parquet, JSON, SQLite) or a folder of examples. You can also drop a file or folder on the window.",
    );
    ui.add_space(6.0);
    cards_ui(ui, cmds);
    ui.add_space(4.0);
    super::projects::projects_ui(ui, state, cmds);

    if let Some(busy) = &state.loading {
        ui.add_space(8.0);
        ui.horizontal(|ui| {
            ui.spinner();
            ui.label(format!("{}: {} … {:.1} s", busy.what, busy.stage, busy.started.elapsed().as_secs_f32()));
            if busy.what.starts_with("Opening") && ui.button("Cancel").clicked() {
                cmds.push(Command::CancelLoad);
            }
        });
    }

    let (Some(ds), Some(prof)) = (&state.dataset, &state.profile) else { return };
    ui.add_space(10.0);
    ui.separator();
    ui.horizontal(|ui| {
        ui.heading(super::short_name(&ds.source));
        ui.label(format!("{} rows × {} columns", prof.rows, prof.columns));
        if ui.button("Next: Features").clicked() {
            cmds.push(Command::Show(Panel::Features));
        }
    });
    if let Some(streamed) = &state.streamed {
        streamed_ui(ui, streamed, state.sample_rows, cmds);
    }
    if let Some(pictures) = ds.pictures.as_ref().filter(|p| p.root.is_some()) {
        picture_features_ui(ui, pictures.features, cmds);
    }
    super::warnings_ui(ui, "Things to check in this data", &prof.warnings, state, cmds);
    ui.add_space(4.0);
    ui.horizontal(|ui| {
        let open = state.explore.open;
        if ui.selectable_label(!open, "Columns").clicked() && open {
            cmds.push(Command::Explore(super::explore::ExploreCommand::Open(false)));
        }
        if ui
            .selectable_label(open, "Explore")
            .on_hover_text("Charts of the data: distributions, box plots, scatter, correlations.")
            .clicked()
            && !open
        {
            cmds.push(Command::Explore(super::explore::ExploreCommand::Open(true)));
        }
    });
    if state.explore.open {
        super::explore::explore_ui(ui, state, cmds);
    } else {
        columns_ui(ui, prof, cmds);
    }

    ui.add_space(8.0);
    let selected = state.explore.selection.as_ref().map(|s| s.rows.clone());
    match &selected {
        Some(rows) => ui.label(egui::RichText::new(format!("Preview: the {} selected rows", rows.len())).strong()),
        None => ui.label(egui::RichText::new("Preview").strong()),
    };
    let n_rows = selected.as_ref().map_or(ds.n_rows(), |r| r.len());
    ui.push_id("preview", |ui| {
        TableBuilder::new(ui)
            .striped(true)
            .resizable(true)
            .max_scroll_height(320.0)
            .column(TableColumn::exact(50.0))
            .columns(TableColumn::initial(110.0).at_least(40.0).clip(true), ds.n_cols())
            .header(20.0, |mut header| {
                header.col(|ui| {
                    ui.strong("#");
                });
                for c in &ds.columns {
                    header.col(|ui| {
                        ui.strong(&c.name);
                    });
                }
            })
            .body(|body| {
                body.rows(18.0, n_rows, |mut row| {
                    let r = selected.as_ref().map_or(row.index(), |rows| rows[row.index()]);
                    row.col(|ui| {
                        ui.label(egui::RichText::new((r + 1).to_string()).weak());
                    });
                    for c in &ds.columns {
                        row.col(|ui| {
                            let text: String = c.cell_text(r).chars().take(80).collect();
                            ui.label(text);
                        });
                    }
                });
            });
    });
}
