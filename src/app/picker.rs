//! File dialogs behind a trait, so tests and headless runs never open one.

use std::path::PathBuf;

pub trait FilePicker: Send {
    /// Asks for a data file to open; `None` if cancelled.
    fn pick_data_file(&mut self) -> Option<PathBuf>;
    /// Asks where to save a file; `None` if cancelled.
    fn pick_save_path(&mut self, suggested_name: &str) -> Option<PathBuf>;
    /// Asks for a project folder (to open, or to save into); `None` if cancelled.
    fn pick_folder(&mut self, title: &str) -> Option<PathBuf>;
}

/// Native dialogs through rfd.
pub struct RfdPicker;

impl FilePicker for RfdPicker {
    fn pick_data_file(&mut self) -> Option<PathBuf> {
        rfd::FileDialog::new()
            .add_filter(
                "Data tables",
                &[
                    "csv",
                    "tsv",
                    "txt",
                    "json",
                    "ndjson",
                    "jsonl",
                    "parquet",
                    "cairnpack",
                    "xlsx",
                    "xlsm",
                    "xls",
                    "ods",
                    "sqlite",
                    "sqlite3",
                    "db",
                ],
            )
            .set_title("Open data")
            .pick_file()
    }

    fn pick_save_path(&mut self, suggested_name: &str) -> Option<PathBuf> {
        let (label, ext) =
            if suggested_name.ends_with(".csv") { ("CSV table", "csv") } else { ("Cairn model", "cairn") };
        rfd::FileDialog::new().set_file_name(suggested_name).add_filter(label, &[ext]).save_file()
    }

    fn pick_folder(&mut self, title: &str) -> Option<PathBuf> {
        rfd::FileDialog::new().set_title(title).pick_folder()
    }
}

/// Answers every dialog with fixed paths (tests, scripted runs); folders are `save` when set,
/// else `open`.
#[derive(Clone, Debug, Default)]
pub struct FixedPicker {
    pub open: Option<PathBuf>,
    pub save: Option<PathBuf>,
}

impl FilePicker for FixedPicker {
    fn pick_data_file(&mut self) -> Option<PathBuf> {
        self.open.clone()
    }

    fn pick_save_path(&mut self, _suggested_name: &str) -> Option<PathBuf> {
        self.save.clone()
    }

    fn pick_folder(&mut self, _title: &str) -> Option<PathBuf> {
        self.save.clone().or_else(|| self.open.clone())
    }
}
