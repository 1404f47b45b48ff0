//! Features panel: the recipe that turns the table into numbers a model can learn from, as an
//! ordered list the user edits (add, reorder, remove, switch off, change a step's options), with
//! a before/after preview. The recipe starts as the one proposed from the data's profile.

use super::{AppState, Command, Panel};
use crate::data::{Dataset, Profile};
use crate::features::{
    CoarsePart, DatePart, Impute, Power, Preview, Recipe, RecipeStep, Scaling, Step, StepGroup, TfidfOptions,
};

/// An edit of the recipe (each one can be undone).
#[derive(Clone, Debug, PartialEq)]
pub enum RecipeEdit {
    /// Adds a step, keeping the recipe consistent (see [`Recipe::add`]).
    Add(Step),
    Toggle(usize),
    /// Moves step `i` one place up (`-1`) or down (`1`).
    Move(usize, isize),
    Remove(usize),
    Replace(usize, Step),
    /// Back to the recipe proposed from the profile.
    Reset,
    Undo,
    Redo,
}

/// The recipe being edited, its undo history and the preview.
#[derive(Default)]
pub struct RecipeView {
    /// The recipe and the target it is for ("" before a target is chosen).
    current: Option<(String, Recipe)>,
    /// Whether the user changed the proposed recipe.
    pub edited: bool,
    history: super::state::UndoStack<Recipe>,
    /// The preview of `previewed`.
    pub preview: Option<Result<Preview, String>>,
    previewed: Option<Recipe>,
    /// The "Add a step" form.
    pub add: AddForm,
}

/// The "Add a step" form: which step, on which column, and a derived column's name/expression.
#[derive(Clone, Debug, Default)]
pub struct AddForm {
    pub kind: usize,
    pub column: String,
    pub name: String,
    pub expression: String,
}

/// The steps the "Add a step" menu offers, as templates for a column.
fn templates(column: &str, form: &AddForm) -> Vec<Step> {
    let c = column.to_string();
    vec![
        Step::Drop { column: c.clone() },
        Step::Power { column: c.clone(), kind: Power::Log },
        Step::Clip { column: c.clone(), lower: 0.01, upper: 0.99 },
        Step::Bin { column: c.clone(), bins: 5, quantile: true },
        Step::DateParts { column: c.clone(), parts: vec![DatePart::Year, DatePart::Month, DatePart::Weekday] },
        Step::Derived { name: form.name.trim().to_string(), expression: form.expression.trim().to_string() },
        Step::Hash { column: c.clone() },
        Step::Coarsen { column: c.clone(), part: CoarsePart::EmailDomain, chars: 2 },
        Step::numbers(&c),
        Step::categories(&c),
        Step::text(&c),
        Step::DropDuplicates,
        Step::DropMissingTarget,
    ]
}

impl RecipeView {
    /// The recipe for `target`, if it is the one being shown.
    pub fn for_target(&self, target: &str) -> Option<&Recipe> {
        self.current.as_ref().filter(|(t, _)| t == target).map(|(_, r)| r)
    }

    /// The recipe for `target` if the user edited it (what a project saves).
    pub fn edited(&self, target: &str) -> Option<&Recipe> {
        self.for_target(target).filter(|_| self.edited)
    }

    pub fn recipe(&self) -> Option<&Recipe> {
        self.current.as_ref().map(|(_, r)| r)
    }

    /// Forgets the recipe (new data was opened).
    pub fn clear(&mut self) {
        *self = RecipeView::default();
    }

    /// Uses `recipe` for `target` (a project's saved recipe).
    pub fn set(&mut self, ds: &Dataset, target: &str, recipe: Recipe) {
        self.current = Some((target.to_string(), recipe));
        self.edited = true;
        self.history.clear();
        self.refresh_preview(ds, target);
    }

    /// Keeps the recipe in step with the data and target: proposes one from the profile at
    /// first, follows a change of target, and recomputes the preview after an edit.
    pub fn sync(&mut self, ds: &Dataset, profile: &Profile, target: &str) {
        match &mut self.current {
            Some((t, r)) if t != target => {
                if self.edited {
                    r.retarget(ds, t, target);
                } else {
                    *r = proposed(ds, profile, target);
                }
                *t = target.to_string();
            }
            Some(_) => {}
            None => self.current = Some((target.to_string(), proposed(ds, profile, target))),
        }
        self.refresh_preview(ds, target);
    }

    fn refresh_preview(&mut self, ds: &Dataset, target: &str) {
        let Some((_, recipe)) = &self.current else { return };
        if self.previewed.as_ref() != Some(recipe) {
            // Fitted on the first 2 000 rows: enough to show the shape, quick on any table.
            self.preview = Some(recipe.preview(ds, target, 2000, 5));
            self.previewed = Some(recipe.clone());
        }
    }

    /// Applies an edit; returns a one-line note of what changed.
    pub fn apply(&mut self, edit: RecipeEdit, ds: &Dataset, profile: &Profile, target: &str) -> Option<String> {
        self.sync(ds, profile, target);
        let (_, recipe) = self.current.as_mut()?;
        let before = recipe.clone();
        let note = match edit {
            RecipeEdit::Undo => return self.history.undo(recipe).then(|| "Undone.".into()),
            RecipeEdit::Redo => return self.history.redo(recipe).then(|| "Redone.".into()),
            RecipeEdit::Add(step) => {
                let note = format!("Added to the recipe: {}.", step.describe());
                recipe.add(step);
                note
            }
            RecipeEdit::Toggle(i) => {
                let s = recipe.steps.get_mut(i)?;
                s.enabled = !s.enabled;
                format!("{} step {}.", if s.enabled { "Switched on" } else { "Switched off" }, i + 1)
            }
            RecipeEdit::Move(i, by) => {
                let j = i.checked_add_signed(by).filter(|&j| j < recipe.steps.len())?;
                recipe.steps.swap(i, j);
                String::new()
            }
            RecipeEdit::Remove(i) => {
                (i < recipe.steps.len()).then_some(())?;
                let s = recipe.steps.remove(i);
                format!("Removed: {}.", s.op.describe())
            }
            RecipeEdit::Replace(i, step) => {
                *recipe.steps.get_mut(i)? = RecipeStep { op: step, enabled: true };
                String::new()
            }
            RecipeEdit::Reset => {
                *recipe = proposed(ds, profile, target);
                "The recipe is back to the proposed one.".into()
            }
        };
        if *recipe != before {
            self.history.record(before);
            self.edited = true;
        }
        self.refresh_preview(ds, target);
        (!note.is_empty()).then_some(note)
    }

    /// After the user changed column kinds in the data: each such column's encoding step
    /// becomes the one for its new kind (a category column of numbers gets one-hot, …).
    pub fn follow_kinds(&mut self, old: &Dataset, new: &Dataset) {
        let Some((_, recipe)) = &mut self.current else { return };
        for c in &new.columns {
            let encoded = recipe.steps.iter().any(|s| s.op.group() == StepGroup::Encoding && s.op.column() == c.name);
            if encoded && old.column(&c.name).is_some_and(|o| o.kind != c.kind) {
                recipe.add(Step::encoding_for(&c.name, c.kind));
            }
        }
        self.previewed = None;
    }

    pub fn can_undo(&self) -> bool {
        self.history.can_undo()
    }

    pub fn can_redo(&self) -> bool {
        self.history.can_redo()
    }
}

/// The recipe proposed from the profile's warnings (computed when the data loaded).
/// The recipe proposed for the task the target implies (ratings get user and item indices).
fn proposed(ds: &Dataset, profile: &Profile, target: &str) -> Recipe {
    let task = crate::train::detect_task(ds, target).unwrap_or(crate::train::Task::Regression);
    crate::train::default_recipe_with(ds, target, task, Some(&profile.warnings)).unwrap_or_else(|_| {
        Recipe::proposed_from(&crate::data::Schema::from_dataset(ds, target), &profile.warnings, target)
    })
}

pub fn features_ui(ui: &mut egui::Ui, state: &AppState, cmds: &mut Vec<Command>) {
    ui.heading("2 · Features");
    let (Some(ds), Some(recipe)) = (&state.dataset, state.recipe.recipe()) else {
        ui.label("Open a dataset first.");
        return;
    };
    let target = state.settings.target.as_deref().unwrap_or("");
    ui.label(if target.is_empty() {
        "A model needs numbers. This recipe turns the columns into features; choose the column to predict on the \
         Train panel and it leaves that one out."
            .to_string()
    } else {
        format!(
            "A model needs numbers. This recipe turns every column except '{target}' into features. It is fitted \
             on the training rows only and saved inside the model, so serving runs exactly the same steps."
        )
    });
    ui.label(
        egui::RichText::new(
            "It was proposed from the data's profile — you can just click Next — or edit it: switch steps off, \
             reorder, remove, change their options, or add new ones.",
        )
        .small(),
    );
    ui.horizontal(|ui| {
        super::learn::learn_link(ui, super::learn::Topic::OneHot, cmds);
        super::learn::learn_link(ui, super::learn::Topic::Scaling, cmds);
    });
    ui.add_space(4.0);
    toolbar_ui(ui, state, ds, cmds);
    ui.add_space(4.0);
    let groups = [
        (StepGroup::Rows, "Rows (before the split)"),
        (StepGroup::Table, "Reshape columns (in this order)"),
        (StepGroup::Encoding, "Turn columns into numbers"),
    ];
    for (group, title) in groups {
        let steps: Vec<usize> = (0..recipe.steps.len()).filter(|&i| recipe.steps[i].op.group() == group).collect();
        if steps.is_empty() {
            continue;
        }
        ui.add_space(4.0);
        ui.label(egui::RichText::new(title).strong());
        egui::Grid::new(("recipe", title)).striped(true).num_columns(4).spacing([10.0, 4.0]).show(ui, |ui| {
            for &i in &steps {
                step_row_ui(ui, i, &recipe.steps[i], &steps, cmds);
                ui.end_row();
            }
        });
    }
    ui.add_space(8.0);
    preview_ui(ui, state);
    ui.add_space(8.0);
    if ui.button("Next: Train").clicked() {
        cmds.push(Command::Show(Panel::Train));
    }
}

fn toolbar_ui(ui: &mut egui::Ui, state: &AppState, ds: &Dataset, cmds: &mut Vec<Command>) {
    let view = &state.recipe;
    let mut form = view.add.clone();
    let target = state.settings.target.as_deref().unwrap_or("");
    let column = if form.column.is_empty() {
        ds.columns.iter().find(|c| c.name != target).map_or(String::new(), |c| c.name.clone())
    } else {
        form.column.clone()
    };
    let options = templates(&column, &form);
    ui.horizontal_wrapped(|ui| {
        ui.label("Add a step:");
        let kind = form.kind.min(options.len() - 1);
        let picked = egui::ComboBox::from_id_salt("add-step").selected_text(options[kind].title()).show_ui(ui, |ui| {
            for (i, o) in options.iter().enumerate() {
                ui.selectable_value(&mut form.kind, i, o.title());
            }
        });
        name_for_screen_readers(
            &picked.response,
            egui::accesskit::Role::ComboBox,
            "Kind of step to add",
            options[kind].title(),
        );
        let step = &options[form.kind.min(options.len() - 1)];
        match step {
            Step::DropDuplicates | Step::DropMissingTarget | Step::FilterRows { .. } => {}
            Step::Derived { .. } => {
                let name =
                    ui.add(egui::TextEdit::singleline(&mut form.name).hint_text("new column").desired_width(110.0));
                name_for_screen_readers(&name, egui::accesskit::Role::TextInput, "Name of the new column", &form.name);
                ui.label("=");
                let expression = ui.add(
                    egui::TextEdit::singleline(&mut form.expression)
                        .hint_text("total_rooms / households")
                        .desired_width(200.0),
                );
                name_for_screen_readers(
                    &expression,
                    egui::accesskit::Role::TextInput,
                    "Expression of the new column",
                    &form.expression,
                );
                expression.on_hover_text(
                    "Numbers, column names, + - * / ^, ( ), log sqrt abs exp min max; `a name` in backticks.",
                );
            }
            _ => {
                ui.label("on");
                let picked = egui::ComboBox::from_id_salt("add-column").selected_text(&column).show_ui(ui, |ui| {
                    for c in &ds.columns {
                        ui.selectable_value(&mut form.column, c.name.clone(), &c.name);
                    }
                });
                name_for_screen_readers(
                    &picked.response,
                    egui::accesskit::Role::ComboBox,
                    "Column of the new step",
                    &column,
                );
            }
        }
        let ready = !matches!(step, Step::Derived { name, expression } if name.is_empty() || expression.is_empty());
        if ui.add_enabled(ready, egui::Button::new("Add")).clicked() {
            cmds.push(Command::Recipe(RecipeEdit::Add(step.clone())));
        }
        ui.separator();
        if ui.add_enabled(view.can_undo(), egui::Button::new("Undo")).clicked() {
            cmds.push(Command::Recipe(RecipeEdit::Undo));
        }
        if ui.add_enabled(view.can_redo(), egui::Button::new("Redo")).clicked() {
            cmds.push(Command::Recipe(RecipeEdit::Redo));
        }
        if ui.add_enabled(view.edited, egui::Button::new("Back to the proposed recipe")).clicked() {
            cmds.push(Command::Recipe(RecipeEdit::Reset));
        }
    });
    if form.kind != view.add.kind
        || form.column != view.add.column
        || form.name != view.add.name
        || form.expression != view.add.expression
    {
        cmds.push(Command::RecipeForm(form));
    }
}

fn step_row_ui(ui: &mut egui::Ui, i: usize, step: &RecipeStep, group: &[usize], cmds: &mut Vec<Command>) {
    let mut on = step.enabled;
    if ui.checkbox(&mut on, "").on_hover_text("Switch this step on or off without removing it").changed() {
        cmds.push(Command::Recipe(RecipeEdit::Toggle(i)));
    }
    ui.horizontal(|ui| {
        let pos = group.iter().position(|&g| g == i).unwrap_or(0);
        // Order matters for table steps and sets the order of the features.
        if ui
            .add_enabled(pos > 0 && step.op.group() != StepGroup::Rows, egui::Button::new("Up").small())
            .on_hover_text("Move up")
            .clicked()
        {
            cmds.push(Command::Recipe(RecipeEdit::Move(i, group[pos.saturating_sub(1)] as isize - i as isize)));
        }
        if ui
            .add_enabled(pos + 1 < group.len() && step.op.group() != StepGroup::Rows, egui::Button::new("Down").small())
            .on_hover_text("Move down")
            .clicked()
        {
            cmds.push(Command::Recipe(RecipeEdit::Move(
                i,
                group[(pos + 1).min(group.len() - 1)] as isize - i as isize,
            )));
        }
        if ui.small_button("Remove").on_hover_text("Remove this step").clicked() {
            cmds.push(Command::Recipe(RecipeEdit::Remove(i)));
        }
    });
    let text = egui::RichText::new(step.op.describe());
    // Long descriptions wrap, so the step's options stay in view on a laptop-sized window.
    ui.scope(|ui| {
        ui.set_max_width(380.0);
        ui.add(egui::Label::new(if step.enabled { text } else { text.weak().strikethrough() }).wrap());
    });
    let mut op = step.op.clone();
    ui.horizontal(|ui| options_ui(ui, &mut op));
    if op != step.op {
        cmds.push(Command::Recipe(RecipeEdit::Replace(i, op)));
    }
}

/// A drop-down choosing one of `options` (value, label), showing `what: label`.
fn choice_ui<T: PartialEq + Copy>(ui: &mut egui::Ui, what: &str, value: &mut T, options: &[(T, &str)]) {
    let current = options.iter().find(|o| o.0 == *value).map_or("", |o| o.1);
    let picked = egui::ComboBox::from_id_salt(ui.next_auto_id())
        .selected_text(format!("{what}: {current}"))
        .width(120.0)
        .show_ui(ui, |ui| {
            for &(v, label) in options {
                ui.selectable_value(value, v, label);
            }
        });
    name_for_screen_readers(&picked.response, egui::accesskit::Role::ComboBox, what, current);
}

/// Gives a control without a visible label of its own a name (and its current value) for
/// screen readers.
pub(super) fn name_for_screen_readers(response: &egui::Response, role: egui::accesskit::Role, name: &str, value: &str) {
    let enabled = response.enabled();
    response.widget_info(|| {
        let mut info = egui::WidgetInfo::labeled(role, enabled, name);
        info.current_text_value = Some(value.to_string());
        info
    });
}

/// The editors of a step's options, each kept inside its allowed range.
fn options_ui(ui: &mut egui::Ui, op: &mut Step) {
    match op {
        Step::ImputeScale { impute, fill_value, indicator, scale, .. } => {
            let fills = [
                (Impute::Median, "median"),
                (Impute::Mean, "mean"),
                (Impute::MostFrequent, "most frequent"),
                (Impute::Constant, "a constant"),
                (Impute::Keep, "leave gaps (histogram boosting only)"),
            ];
            choice_ui(ui, "fill", impute, &fills);
            if *impute == Impute::Constant {
                ui.add(egui::DragValue::new(fill_value).speed(0.1));
            }
            let scales = [
                (Scaling::Standard, "standard"),
                (Scaling::MinMax, "min–max (0…1)"),
                (Scaling::Robust, "robust (quartiles)"),
                (Scaling::None, "none"),
            ];
            choice_ui(ui, "scale", scale, &scales);
            ui.checkbox(indicator, "flag missing").on_hover_text("Adds a 0/1 feature: 1 where the value was missing.");
        }
        Step::OneHot { min_frequency, ordinal, .. } => {
            // Below 2 nothing is grouped: say "off" rather than "group rare < 0".
            let rare = egui::DragValue::new(min_frequency)
                .range(0..=1000)
                .custom_formatter(|n, _| if n <= 1.0 { "group rare: off".into() } else { format!("group rare < {n}") })
                .custom_parser(|text| {
                    let digits: String = text.chars().filter(char::is_ascii_digit).collect();
                    Some(digits.parse::<f64>().unwrap_or(0.0))
                });
            ui.add(rare).on_hover_text(
                "Categories seen in fewer training rows than this are grouped as (other). Drag or type a number; 0 or 1 is off.",
            );
            ui.checkbox(ordinal, "one number").on_hover_text(
                "One column holding the category's position instead of one 0/1 column per category (fine for trees).",
            );
        }
        Step::Tfidf { options, .. } => tfidf_ui(ui, options),
        Step::Power { kind, .. } => {
            for (v, l) in [(Power::Log, "log"), (Power::Sqrt, "square root"), (Power::YeoJohnson, "Yeo–Johnson")] {
                ui.selectable_value(kind, v, l);
            }
        }
        Step::Clip { lower, upper, .. } => {
            ui.add(egui::DragValue::new(lower).range(0.0..=0.5).speed(0.005).prefix("below "));
            ui.add(egui::DragValue::new(upper).range(0.5..=1.0).speed(0.005).prefix("above "));
        }
        Step::Bin { bins, quantile, .. } => {
            ui.add(egui::DragValue::new(bins).range(2..=50).suffix(" bins"));
            ui.checkbox(quantile, "equal counts");
        }
        Step::DateParts { parts, .. } => {
            for p in DatePart::ALL {
                let mut on = parts.contains(&p);
                if ui.checkbox(&mut on, p.name()).changed() {
                    if on { parts.push(p) } else { parts.retain(|q| *q != p) }
                }
            }
        }
        Step::Coarsen { part, chars, .. } => {
            let parts = [
                (CoarsePart::EmailDomain, "e-mail domain"),
                (CoarsePart::Year, "year"),
                (CoarsePart::Prefix, "first characters"),
            ];
            choice_ui(ui, "keep", part, &parts);
            if *part == CoarsePart::Prefix {
                ui.add(egui::DragValue::new(chars).range(1..=12).suffix(" characters"));
            }
        }
        Step::CombineTimes { how, .. } => {
            use crate::data::series::Combine;
            let hows = [(Combine::Mean, "mean"), (Combine::Sum, "sum"), (Combine::Last, "last")];
            choice_ui(ui, "combine", how, &hows);
        }
        Step::FillGaps { how, .. } => {
            use crate::data::series::GapFill;
            let hows =
                [(GapFill::Interpolate, "straight line"), (GapFill::Previous, "previous"), (GapFill::Zero, "zero")];
            choice_ui(ui, "fill", how, &hows);
        }
        Step::Lags { .. }
        | Step::Derived { .. }
        | Step::Drop { .. }
        | Step::Hash { .. }
        | Step::DropDuplicates
        | Step::DropMissingTarget
        | Step::FilterRows { .. } => {}
    }
}

fn tfidf_ui(ui: &mut egui::Ui, o: &mut TfidfOptions) {
    ui.add(egui::DragValue::new(&mut o.word_ngrams).range(1..=3).prefix("words up to "))
        .on_hover_text("2 also counts word pairs (\"free entry\"), 3 triples.");
    let mut chars = o.char_max > 0;
    if ui
        .checkbox(&mut chars, "characters")
        .on_hover_text("Also counts 2–4 letter pieces of words: catches misspellings like 'fr33'.")
        .changed()
    {
        (o.char_min, o.char_max) = if chars { (2, 4) } else { (0, 0) };
    }
    ui.checkbox(&mut o.stop_words, "drop stop words").on_hover_text("Leaves out common words (the, and, is…).");
    ui.add(egui::DragValue::new(&mut o.min_df).range(1..=100).prefix("in at least ").suffix(" texts"));
    ui.add(egui::DragValue::new(&mut o.max_features).range(0..=100_000).prefix("keep top "))
        .on_hover_text("0 keeps every term.");
}

fn preview_ui(ui: &mut egui::Ui, state: &AppState) {
    ui.label(egui::RichText::new("Preview").strong());
    match &state.recipe.preview {
        None => {}
        Some(Err(e)) => {
            ui.colored_label(egui::Color32::from_rgb(220, 80, 60), format!("The recipe cannot be fitted: {e}"));
        }
        Some(Ok(p)) => {
            ui.label(format!(
                "{} input column{} become {} feature{} (fitted on the first rows for this preview).",
                p.inputs,
                if p.inputs == 1 { "" } else { "s" },
                p.n_features,
                if p.n_features == 1 { "" } else { "s" }
            ));
            // A fixed-width text table: one line per row, 12 characters per feature.
            // The features these rows use come first (with text, most of thousands are 0 here).
            let mut shown: Vec<usize> = p.values.iter().flatten().filter(|c| c.1 != 0.0).map(|c| c.0).collect();
            shown.sort_unstable();
            shown.dedup();
            let rest: Vec<usize> = (0..p.names.len()).filter(|j| shown.binary_search(j).is_err()).take(12).collect();
            shown.extend(rest);
            shown.truncate(12);
            let cut = |t: &str| t.chars().take(11).collect::<String>();
            let mut text = format!("{:<5}", "row");
            for &j in &shown {
                text.push_str(&format!("{:<12}", cut(&p.names[j])));
            }
            if p.names.len() > shown.len() {
                text.push_str(&format!("… {} more", p.names.len() - shown.len()));
            }
            for (r, row) in p.values.iter().enumerate() {
                text.push_str(&format!("\n{:<5}", r + 1));
                for &j in &shown {
                    let v = row.iter().find(|c| c.0 == j).map_or(0.0, |c| c.1);
                    text.push_str(&format!("{:<12}", format!("{v:.3}")));
                }
            }
            egui::ScrollArea::horizontal().id_salt("preview").show(ui, |ui| {
                ui.add(egui::Label::new(egui::RichText::new(text).monospace()).extend());
            });
        }
    }
}
