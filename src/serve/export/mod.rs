//! Taking a bundle elsewhere: an ONNX model of the whole pipeline, an MLflow model folder (ONNX
//! flavour + the bundle), a Docker build context running `cairn serve`, and replicas of it
//! behind HAProxy.

mod haproxy;
mod kserve;
pub mod onnx;
mod proto;

pub use haproxy::{haproxy_config, replica_port, write_haproxy};
pub use kserve::{deployment, inference_service, k8s_name, write_kserve};

pub use onnx::{OnnxError, to_onnx};

use crate::data::ColumnKind;
use crate::project::write_atomically;
use crate::train::{Pipeline, Task};
use serde_json::{Value, json};
use std::path::{Path, PathBuf};

#[derive(Debug, thiserror::Error)]
pub enum ExportError {
    #[error(transparent)]
    Onnx(#[from] OnnxError),
    #[error("cannot write '{path}': {error}")]
    Write { path: PathBuf, error: std::io::Error },
}

fn write(path: &Path, bytes: &[u8]) -> Result<(), ExportError> {
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).map_err(|error| ExportError::Write { path: dir.into(), error })?;
    }
    write_atomically(path, bytes).map_err(|error| ExportError::Write { path: path.into(), error })
}

fn copy(from: &Path, to: &Path) -> Result<(), ExportError> {
    let bytes = std::fs::read(from).map_err(|error| ExportError::Write { path: from.into(), error })?;
    write(to, &bytes)
}

/// Writes the pipeline as an ONNX file.
pub fn write_onnx(pipeline: &Pipeline, checksum: &str, path: &Path) -> Result<(), ExportError> {
    let bytes = to_onnx(pipeline, checksum)?;
    write(path, &bytes)
}

/// An MLflow model folder: `MLmodel` (ONNX flavour, pyfunc loader, signature, input example),
/// `model.onnx`, the Cairn bundle itself, and the Python requirements for `mlflow models serve`.
pub fn write_mlflow(pipeline: &Pipeline, checksum: &str, bundle: &Path, dir: &Path) -> Result<(), ExportError> {
    let onnx_bytes = to_onnx(pipeline, checksum)?;
    write(&dir.join("model.onnx"), &onnx_bytes)?;
    copy(bundle, &dir.join("model.cairn"))?;
    let columns = |kinds: Vec<(String, &str)>| -> String {
        let cols: Vec<Value> =
            kinds.into_iter().map(|(name, ty)| json!({"type": ty, "name": name, "required": true})).collect();
        Value::from(cols).to_string()
    };
    let inputs = columns(
        pipeline
            .fitted_recipe
            .steps
            .iter()
            .map(|s| {
                let kind = pipeline.schema.columns.iter().find(|c| c.name == s.column()).map(|c| c.kind);
                (s.column().to_string(), if kind == Some(ColumnKind::Numeric) { "double" } else { "string" })
            })
            .collect(),
    );
    let outputs = match pipeline.target.task {
        Task::Classification => columns(
            std::iter::once(("label".to_string(), "string"))
                .chain(pipeline.target.classes.iter().map(|c| (format!("probability_{c}"), "double")))
                .collect(),
        ),
        _ => columns(vec![("prediction".into(), "double")]),
    };
    // The input example: the bundle's example row, one value per input, in MLflow's split form.
    let names: Vec<&str> = pipeline.fitted_recipe.steps.iter().map(|s| s.column()).collect();
    let row: Vec<Value> = names.iter().map(|n| pipeline.example.get(*n).cloned().unwrap_or(Value::Null)).collect();
    let example = json!({"columns": names, "data": [row]});
    write(&dir.join("input_example.json"), example.to_string().as_bytes())?;
    let created = pipeline.info.created_unix;
    let mlmodel = format!(
        "artifact_path: model\n\
         flavors:\n\
         \x20 onnx:\n\
         \x20   code: null\n\
         \x20   data: model.onnx\n\
         \x20   onnx_version: 1.14.0\n\
         \x20   providers:\n\
         \x20   - CPUExecutionProvider\n\
         \x20 python_function:\n\
         \x20   data: model.onnx\n\
         \x20   env:\n\
         \x20     virtualenv: python_env.yaml\n\
         \x20   loader_module: mlflow.onnx\n\
         \x20   python_version: 3.11.7\n\
         mlflow_version: 2.14.0\n\
         model_size_bytes: {size}\n\
         model_uuid: {uuid}\n\
         saved_input_example_info:\n\
         \x20 artifact_path: input_example.json\n\
         \x20 type: dataframe\n\
         \x20 pandas_orient: split\n\
         signature:\n\
         \x20 inputs: '{inputs}'\n\
         \x20 outputs: '{outputs}'\n\
         \x20 params: null\n\
         utc_time_created: '{created}'\n\
         metadata:\n\
         \x20 cairn_bundle: model.cairn\n\
         \x20 cairn_checksum: {checksum}\n\
         \x20 cairn_model: {model}\n",
        size = onnx_bytes.len(),
        uuid = checksum.trim_start_matches("sha256:").get(..32).unwrap_or("0"),
        created = crate::track::utc_time(created),
        model = pipeline.info.model,
    );
    write(&dir.join("MLmodel"), mlmodel.as_bytes())?;
    write(&dir.join("requirements.txt"), b"mlflow\nonnx\nonnxruntime\npandas\n")?;
    write(
        &dir.join("python_env.yaml"),
        b"python: 3.11.7\nbuild_dependencies:\n- pip\ndependencies:\n- -r requirements.txt\n",
    )?;
    Ok(())
}

/// The shared libraries an executable loads at start (and its loader), as `ldd` lists them:
/// absolute paths only (not the kernel's vDSO).
pub fn shared_libraries(exe: &Path) -> Result<Vec<PathBuf>, ExportError> {
    let out = std::process::Command::new("ldd")
        .arg(exe)
        .output()
        .map_err(|error| ExportError::Write { path: exe.into(), error })?;
    let text = String::from_utf8_lossy(&out.stdout);
    if !out.status.success() && !text.contains("statically linked") {
        return Err(ExportError::Write {
            path: exe.into(),
            error: std::io::Error::other(format!(
                "ldd cannot list its libraries: {}",
                String::from_utf8_lossy(&out.stderr).trim()
            )),
        });
    }
    Ok(text
        .lines()
        .filter_map(|line| {
            let path = match line.split_once("=>") {
                Some((_, right)) => right.trim(),
                None => line.trim(),
            };
            let path = path.split(" (").next()?.trim();
            path.starts_with('/').then(|| PathBuf::from(path))
        })
        .collect())
}

/// A container build context serving the bundle on port 8080, `FROM scratch`: the given `cairn`
/// executable, exactly the shared libraries it loads (found by `ldd`, copied under `rootfs/`
/// at their own paths, the loader included), the bundle, a Dockerfile and a README. It builds
/// without network access (no base image to pull).
pub fn write_docker(
    pipeline: &Pipeline,
    checksum: &str,
    bundle: &Path,
    exe: &Path,
    dir: &Path,
) -> Result<(), ExportError> {
    let libraries = shared_libraries(exe)?;
    copy(bundle, &dir.join("model.cairn"))?;
    copy(exe, &dir.join("cairn"))?;
    for lib in &libraries {
        let inside = dir.join("rootfs").join(lib.strip_prefix("/").unwrap_or(lib));
        // The real file (libc.so.6 is often a link), at the path the executable asks for.
        copy(&std::fs::canonicalize(lib).unwrap_or_else(|_| lib.clone()), &inside)?;
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mut executables = vec![dir.join("cairn")];
        executables.extend(libraries.iter().map(|l| dir.join("rootfs").join(l.strip_prefix("/").unwrap_or(l))));
        for path in executables {
            std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755))
                .map_err(|error| ExportError::Write { path, error })?;
        }
    }
    let listed: String = libraries.iter().map(|l| format!("#   {}\n", l.display())).collect();
    let dockerfile = format!(
        "# Serves {model} {goal} (bundle {checksum}).\n\
         # Build: podman build -t cairn-model .   (or docker build; no network needed: nothing is pulled)\n\
         # Run:   podman run --rm -p 8080:8080 cairn-model   then open http://127.0.0.1:8080/\n\
         # FROM scratch: the image holds the cairn executable, the shared libraries it loads\n\
         # (from `ldd`), copied at their own paths under rootfs/, and the bundle:\n\
         {listed}\
         FROM scratch\n\
         COPY rootfs/ /\n\
         COPY cairn /usr/local/bin/cairn\n\
         COPY model.cairn /model/model.cairn\n\
         EXPOSE 8080\n\
         HEALTHCHECK CMD [\"/usr/local/bin/cairn\", \"--version\"]\n\
         # Inside a container the server must listen on all interfaces; the prediction log goes to /model.\n\
         ENTRYPOINT [\"/usr/local/bin/cairn\", \"serve\", \"/model/model.cairn\", \"--host\", \"0.0.0.0\", \"--port\", \"8080\"]\n",
        model = pipeline.model_display_name(),
        goal = pipeline.goal(),
    );
    write(&dir.join("Dockerfile"), dockerfile.as_bytes())?;
    let readme = "This folder is a container build context for a Cairn model (FROM scratch: nothing is downloaded).\n\n\
                  podman build -t cairn-model .      (or: docker build -t cairn-model .)\n\
                  podman run --rm -p 8080:8080 cairn-model\n\n\
                  Then: http://127.0.0.1:8080/ (a form), /docs (the API), POST /predict, POST /invocations (MLflow),\n\
                  POST /v2/models/model/infer (KServe V2), GET /metrics (Prometheus).\n\
                  The cairn executable and the libraries under rootfs/ come from the machine that exported it (Linux x86_64 here).\n";
    write(&dir.join("README.txt"), readme.as_bytes())
}
