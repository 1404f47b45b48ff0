//! The one integration-test binary (so linking happens once; `autotests = false` in
//! Cargo.toml). The modules live in `tests/suite/`, one per layer.

#[path = "suite/common.rs"]
mod common;

#[path = "suite/calibration.rs"]
mod calibration;
#[path = "suite/cli.rs"]
mod cli;
#[path = "suite/core.rs"]
mod core;
#[path = "suite/csv_oracle.rs"]
mod csv_oracle;
#[path = "suite/ensemble.rs"]
mod ensemble;
#[path = "suite/explain.rs"]
mod explain;
#[path = "suite/fairness.rs"]
mod fairness;
#[path = "suite/feedback.rs"]
mod feedback;
#[path = "suite/forecast.rs"]
mod forecast;
#[path = "suite/fuzz.rs"]
mod fuzz;
#[path = "suite/gpu.rs"]
mod gpu;
#[path = "suite/gpu_conv.rs"]
mod gpu_conv;
#[path = "suite/gui.rs"]
mod gui;
#[path = "suite/gui_eval.rs"]
mod gui_eval;
#[path = "suite/gui_explore.rs"]
mod gui_explore;
#[path = "suite/gui_forecast.rs"]
mod gui_forecast;
#[path = "suite/gui_lessons.rs"]
mod gui_lessons;
#[path = "suite/gui_projects.rs"]
mod gui_projects;
#[path = "suite/gui_runs.rs"]
mod gui_runs;
#[path = "suite/gui_save.rs"]
mod gui_save;
#[path = "suite/gui_train.rs"]
mod gui_train;
#[path = "suite/images.rs"]
mod images;
#[path = "suite/install.rs"]
mod install;
#[path = "suite/large.rs"]
mod large;
#[path = "suite/layers.rs"]
mod layers;
#[path = "suite/messy.rs"]
mod messy;
#[path = "suite/onnx.rs"]
mod onnx;
#[path = "suite/onnx_pictures.rs"]
mod onnx_pictures;
#[path = "suite/postgres.rs"]
mod postgres;
#[path = "suite/privacy.rs"]
mod privacy;
#[path = "suite/project.rs"]
mod project;
#[path = "suite/quality.rs"]
mod quality;
#[path = "suite/recipe.rs"]
mod recipe;
#[path = "suite/recommend.rs"]
mod recommend;
#[path = "suite/scale.rs"]
mod scale;
#[path = "suite/screenshots.rs"]
mod screenshots;
#[path = "suite/serve.rs"]
mod serve;
#[path = "suite/serve_api.rs"]
mod serve_api;
#[path = "suite/settings.rs"]
mod settings;
#[path = "suite/sounds.rs"]
mod sounds;
#[path = "suite/sources.rs"]
mod sources;
#[path = "suite/sweep.rs"]
mod sweep;
#[path = "suite/sweep_cases.rs"]
mod sweep_cases;
#[path = "suite/sweep_tables.rs"]
mod sweep_tables;
#[path = "suite/track.rs"]
mod track;
