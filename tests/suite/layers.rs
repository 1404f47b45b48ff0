//! The layer rule (ARCHITECTURE.md): modules of `src/` form a directed graph from the bottom
//! (`util`) to the top (`app`, `cli`), and nothing imports upward. This test reads every
//! `crate::…` / `cairn::…` path in `src/` (items marked `#[cfg(test)]` excepted) and fails naming the file and
//! line of each upward import.

use std::path::{Path, PathBuf};

/// From the bottom up; modules on one line are peers (they may use each other).
const LAYERS: &[&[&str]] = &[
    &["util"],
    &["gpu"],
    &["media"],
    &["data"],
    &["features"],
    &["train"],
    &["eval", "insight"],
    &["track", "project"],
    &["serve", "monitor"],
    &["app", "cli", "main", "lib"],
];

fn rank(module: &str) -> Option<usize> {
    LAYERS.iter().position(|level| level.contains(&module))
}

/// The top-level modules a line names through `crate::` or `cairn::`, including the ones in a
/// grouped `use crate::{a::X, b}`.
fn named_modules(line: &str) -> Vec<String> {
    let mut out = Vec::new();
    for prefix in ["crate::", "cairn::"] {
        let mut rest = line;
        while let Some(i) = rest.find(prefix) {
            let before = rest[..i].chars().next_back();
            let after = &rest[i + prefix.len()..];
            rest = after;
            if before.is_some_and(|c| c.is_alphanumeric() || c == '_') {
                continue; // e.g. `mycrate::`
            }
            if let Some(group) = after.strip_prefix('{') {
                let inner = group.split('}').next().unwrap_or("");
                out.extend(inner.split(',').filter_map(|p| {
                    let name = p.trim().split("::").next()?.trim();
                    (!name.is_empty() && name != "self").then(|| name.to_string())
                }));
            } else {
                let name: String = after.chars().take_while(|c| c.is_alphanumeric() || *c == '_').collect();
                if !name.is_empty() {
                    out.push(name);
                }
            }
        }
    }
    out
}

/// The item after a `#[cfg(test)]` at line `start`: its lines (up to the matching brace of a
/// block, or the line ending with `;`).
fn test_item_end(lines: &[&str], start: usize) -> usize {
    let mut depth = 0i32;
    let mut opened = false;
    for (i, line) in lines.iter().enumerate().skip(start + 1) {
        let code = line.split("//").next().unwrap_or("");
        depth += code.matches('{').count() as i32 - code.matches('}').count() as i32;
        opened |= code.contains('{');
        if (opened && depth <= 0) || (!opened && code.trim_end().ends_with(';')) {
            return i;
        }
    }
    lines.len()
}

/// Upward imports in one file's text: "path:line (from -> to)". An item marked `#[cfg(test)]`
/// (a test module, a test-only import or constant) is test code and not checked; comments are
/// skipped; a `use` wrapped over several lines is read whole.
pub fn upward_imports(path: &str, layer: &str, text: &str) -> Vec<String> {
    let Some(own) = rank(layer) else { return vec![] };
    let lines: Vec<&str> = text.lines().collect();
    let mut found = Vec::new();
    let mut i = 0;
    while i < lines.len() {
        let code = lines[i].trim_start();
        if code.starts_with("#[cfg(test)]") {
            i = test_item_end(&lines, i) + 1;
            continue;
        }
        let mut statement = code.to_string();
        let first = i;
        if (code.starts_with("use ") || code.starts_with("pub use ") || code.starts_with("pub(crate) use "))
            && !code.contains(';')
        {
            while i + 1 < lines.len() && !statement.contains(';') {
                i += 1;
                statement.push_str(lines[i].trim());
            }
        }
        i += 1;
        if statement.starts_with("//") {
            continue;
        }
        for module in named_modules(&statement) {
            if rank(&module).is_some_and(|r| r > own) {
                found.push(format!("{path}:{} ({layer} -> {module}): {}", first + 1, code));
            }
        }
    }
    found
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).expect("read src/").flatten() {
        let p = entry.path();
        if p.is_dir() {
            rust_files(&p, out);
        } else if p.extension().is_some_and(|e| e == "rs") {
            out.push(p);
        }
    }
}

#[test]
fn no_module_imports_a_layer_above_it() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    rust_files(&src, &mut files);
    assert!(files.len() > 50, "expected the whole source tree, found {} files", files.len());
    let mut unranked = Vec::new();
    let mut upward = Vec::new();
    for f in &files {
        let rel = f.strip_prefix(&src).expect("under src");
        let first = rel.components().next().expect("a path").as_os_str().to_string_lossy();
        let layer = first.trim_end_matches(".rs").to_string();
        if rank(&layer).is_none() {
            unranked.push(rel.display().to_string());
            continue;
        }
        let text = std::fs::read_to_string(f).expect("read a source file");
        upward.extend(upward_imports(&format!("src/{}", rel.display()), &layer, &text));
    }
    assert!(unranked.is_empty(), "files outside every layer (add them to a layer folder): {unranked:?}");
    assert!(upward.is_empty(), "upward imports between layers:\n{}", upward.join("\n"));
}

#[test]
fn the_checker_finds_upward_imports_and_ignores_tests() {
    let text = "use crate::data::Dataset;\n\
                use crate::{features::Recipe, train::Task};\n\
                // crate::app in a comment\n\
                let t = crate::track::dataset_hash(&d);\n\
                #[cfg(test)]\n\
                const CHUNK: usize = 4;\n\
                use crate::{\n\
                    data::Values,\n\
                    serve::Server,\n\
                };\n\
                #[cfg(test)]\n\
                mod tests {\n\
                    use crate::app::App;\n\
                }\n\
                fn after() { crate::monitor::drift(); }\n";
    let found = upward_imports("src/features/x.rs", "features", text);
    assert_eq!(found.len(), 4, "{found:?}");
    assert!(found[0].starts_with("src/features/x.rs:2 (features -> train)"), "{found:?}");
    assert!(found[1].starts_with("src/features/x.rs:4 (features -> track)"), "{found:?}");
    assert!(
        found[2].starts_with("src/features/x.rs:7 (features -> serve)"),
        "a wrapped use after a test-only item: {found:?}"
    );
    assert!(found[3].starts_with("src/features/x.rs:15 (features -> monitor)"), "code after a test module: {found:?}");
    assert!(upward_imports("src/app/x.rs", "app", text).is_empty());
}
