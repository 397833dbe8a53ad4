//! The source's shape, checked: `src/` is a stack of layers, and a module imports only from its
//! own layer or the ones below it (`docs/architecture.md`). Reads the `crate::` paths of every
//! file (test modules left out), so a change that climbs a layer, closes an import cycle, or
//! brings a web or GPU type into pure code fails here, not in a review.

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::path::{Path, PathBuf};

/// From pure to web. `web` (browser glue) sits under `engine`, whose worker uses it.
const LAYERS: [&str; 10] = ["data", "model", "prune", "measure", "kernels", "train", "protocol", "web", "engine", "ui"];

/// Folders whose code is pure: no web, GPU or framework types, so it is tested natively.
const PURE: [&str; 5] = ["src/data", "src/prune", "src/measure", "src/protocol", "src/ui/view"];
const IMPURE_CRATES: [&str; 6] = ["burn::", "wgpu::", "web_sys::", "js_sys::", "wasm_bindgen::", "leptos::"];

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// The file's code without comments and its `#[cfg(test)]` module (tests may reach anywhere).
fn code_of(path: &Path) -> String {
    let text = fs::read_to_string(path).unwrap();
    let code = match text.find("#[cfg(test)]\nmod tests") {
        Some(at) => &text[..at],
        None => &text,
    };
    code.lines().filter(|line| !line.trim_start().starts_with("//")).collect::<Vec<_>>().join("\n")
}

/// `src/train/fused/gpu.rs` → `["train", "fused", "gpu"]`; `mod.rs` names its folder.
fn module_of(path: &Path) -> Vec<String> {
    let relative = path.strip_prefix("src").unwrap().with_extension("");
    let mut parts: Vec<String> = relative.iter().map(|p| p.to_string_lossy().into_owned()).collect();
    if parts.last().is_some_and(|p| p == "mod") {
        parts.pop();
    }
    parts
}

/// Every path in `code` that names a module of this crate, from the crate's root, as its
/// segments (a `{…}` group ends the path): `crate::…`, and `super::…` / `self::…` resolved
/// against `module`, the path of the file's own module.
fn crate_paths(code: &str, module: &[String]) -> Vec<Vec<String>> {
    let mut paths = Vec::new();
    for (prefix, base) in [("crate::", &module[..0]), ("super::", &module[..module.len().saturating_sub(1)]), ("self::", module)] {
        let starts = code.match_indices(prefix).filter(|(at, _)| !code[..*at].ends_with(|c: char| c.is_alphanumeric() || c == '_' || c == '$' || c == ':'));
        for (at, _) in starts {
            let rest = &code[at + prefix.len()..];
            let end = rest.find(|c: char| !(c.is_alphanumeric() || c == '_' || c == ':')).unwrap_or(rest.len());
            let segments: Vec<String> = base.iter().cloned().chain(rest[..end].split("::").filter(|s| !s.is_empty()).map(str::to_string)).collect();
            if !segments.is_empty() {
                paths.push(segments);
            }
        }
    }
    paths
}

/// The node a path lands on: the layer and its direct child module, if the path names one
/// (a folder's `pub use` re-exports resolved to the module that defines the item).
fn node_of(path: &[String], reexports: &BTreeMap<(String, String), String>) -> String {
    let layer = &path[0];
    let Some(second) = path.get(1) else { return layer.clone() };
    let child = Path::new("src").join(layer).join(second);
    if child.is_dir() || child.with_extension("rs").is_file() {
        return format!("{layer}::{second}");
    }
    match reexports.get(&(layer.clone(), second.clone())) {
        Some(module) => format!("{layer}::{module}"),
        None => layer.clone(),
    }
}

/// `pub use module::{A, b};` lines of each layer's `mod.rs`: (layer, item) → module.
fn reexports() -> BTreeMap<(String, String), String> {
    let mut map = BTreeMap::new();
    for layer in LAYERS {
        let Ok(text) = fs::read_to_string(Path::new("src").join(layer).join("mod.rs")) else { continue };
        for statement in text.split(';') {
            let Some(at) = statement.find("pub use ") else { continue };
            let used = statement[at + "pub use ".len()..].trim().trim_start_matches("self::");
            let Some((module, items)) = used.split_once("::") else { continue };
            for item in items.trim_matches(|c| c == '{' || c == '}').split(',') {
                let item = item.trim();
                if !item.is_empty() {
                    map.insert((layer.to_string(), item.to_string()), module.to_string());
                }
            }
        }
    }
    map
}

struct Source {
    /// Node (`layer::module`) → the nodes its code imports.
    imports: BTreeMap<String, BTreeSet<String>>,
    /// (file, imported path) for each import that climbs a layer.
    climbs: Vec<(String, String)>,
}

fn read_source() -> Source {
    let mut files = Vec::new();
    rust_files(Path::new("src"), &mut files);
    let reexports = reexports();
    let mut source = Source { imports: BTreeMap::new(), climbs: Vec::new() };
    for file in files {
        let module = module_of(&file);
        let Some(rank) = LAYERS.iter().position(|l| *l == module[0]) else { continue };
        let from = node_of(&module, &reexports);
        for path in crate_paths(&code_of(&file), &module) {
            let Some(to_rank) = LAYERS.iter().position(|l| *l == path[0]) else { continue };
            if to_rank > rank {
                source.climbs.push((file.display().to_string(), path.join("::")));
            }
            let to = node_of(&path, &reexports);
            if to != from && !from.starts_with(&format!("{to}::")) && !to.starts_with(&format!("{from}::")) {
                source.imports.entry(from.clone()).or_default().insert(to);
            }
        }
    }
    source
}

#[test]
fn no_module_imports_from_a_layer_above_its_own() {
    let climbs = read_source().climbs;
    assert!(climbs.is_empty(), "imports that climb a layer (order: {LAYERS:?}):\n{climbs:#?}");
}

#[test]
fn no_import_cycles_between_modules() {
    let imports = read_source().imports;
    // Depth-first search for a back edge; the path on the stack is the cycle.
    fn visit<'a>(
        node: &'a str,
        imports: &'a BTreeMap<String, BTreeSet<String>>,
        stack: &mut Vec<&'a str>,
        done: &mut BTreeSet<&'a str>,
    ) -> Option<Vec<String>> {
        if let Some(at) = stack.iter().position(|n| *n == node) {
            return Some(stack[at..].iter().map(|s| s.to_string()).chain([node.to_string()]).collect());
        }
        if !done.insert(node) {
            return None;
        }
        stack.push(node);
        for next in imports.get(node).into_iter().flatten() {
            if let Some(cycle) = visit(next, imports, stack, done) {
                return Some(cycle);
            }
        }
        stack.pop();
        None
    }
    let mut done = BTreeSet::new();
    for node in imports.keys() {
        let cycle = visit(node, &imports, &mut Vec::new(), &mut done);
        assert!(cycle.is_none(), "import cycle: {}", cycle.unwrap().join(" → "));
    }
}

#[test]
fn pure_layers_use_no_web_or_gpu_types() {
    let mut files = Vec::new();
    for dir in PURE {
        rust_files(Path::new(dir), &mut files);
    }
    let offenders: Vec<String> =
        files.iter().filter_map(|f| IMPURE_CRATES.iter().find(|c| code_of(f).contains(*c)).map(|c| format!("{} uses {c}", f.display()))).collect();
    assert!(offenders.is_empty(), "pure code reaching for the web or a GPU: {offenders:#?}");
}

#[test]
fn the_page_and_the_web_glue_import_no_engine() {
    let imports = read_source().imports;
    let offenders: Vec<String> = imports
        .iter()
        .filter(|(from, _)| from.starts_with("ui") || from.starts_with("web"))
        .flat_map(|(from, to)| to.iter().filter(|t| t.starts_with("engine")).map(move |t| format!("{from} → {t}")))
        .collect();
    assert!(offenders.is_empty(), "the page talks to the engine only through protocol messages: {offenders:?}");
}

#[test]
fn the_checker_sees_a_climb_and_a_cycle() {
    // The reader itself: a path from `data` into `ui` is a climb, and re-exports resolve.
    let module = ["engine".to_string(), "run".to_string()];
    let paths = crate_paths("use crate::ui::view::chart; let x = crate::train::Progress; // not acrate::x\nuse super::sweep::sweep;", &module);
    assert_eq!(paths, vec![vec!["ui", "view", "chart"], vec!["train", "Progress"], vec!["engine", "sweep", "sweep"]]);
    let reexports = BTreeMap::from([(("train".to_string(), "Progress".to_string()), "report".to_string())]);
    assert_eq!(node_of(&paths[1], &reexports), "train::report");
    assert_eq!(node_of(&paths[0], &reexports), "ui::view");
}
