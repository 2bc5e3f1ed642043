//! The rules of the house, checked on the source itself: files a reader can hold in mind, no
//! two modules importing each other, and the window and the command line as peers.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

const MAX_LINES: usize = 800;

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        let name = entry.file_name().to_string_lossy().to_string();
        if path.is_dir() {
            if name != "target" && name != "node_modules" && !name.starts_with('.') {
                rust_files(&path, out);
            }
        } else if name.ends_with(".rs") {
            out.push(path);
        }
    }
}

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

#[test]
fn no_source_file_is_over_800_lines() {
    let mut files = Vec::new();
    for dir in ["src", "tests", "benches", "crates"] {
        rust_files(&root().join(dir), &mut files);
    }
    assert!(files.len() > 20, "the source was not found");
    let long: Vec<String> = files
        .iter()
        .filter_map(|f| {
            let lines = std::fs::read_to_string(f).ok()?.lines().count();
            (lines > MAX_LINES).then(|| format!("{} ({lines} lines)", f.display()))
        })
        .collect();
    assert!(long.is_empty(), "over {MAX_LINES} lines: {long:?}");
}

/// A module's path (`rtc::viewer`) from its file under `src/`.
fn module_of(file: &Path, src: &Path) -> Option<Vec<String>> {
    let relative = file.strip_prefix(src).ok()?;
    let mut parts: Vec<String> = relative
        .iter()
        .map(|p| p.to_string_lossy().trim_end_matches(".rs").to_string())
        .collect();
    match parts.last().map(String::as_str) {
        Some("main") if parts.len() == 1 => return None,
        Some("lib") if parts.len() == 1 => parts.clear(),
        Some("mod") => {
            parts.pop();
        }
        _ => {}
    }
    Some(parts)
}

/// Inside an inline `mod x { .. }` (GObject's `imp`), `super::` is the file's own module.
fn lift_inline_modules(code: &str) -> String {
    let mut out = code.to_string();
    let mut from = 0;
    while let Some(found) = code[from..].find("mod ") {
        let at = from + found;
        from = at + 4;
        let rest = &code[from..];
        let name_len = rest
            .find(|c: char| !(c.is_alphanumeric() || c == '_'))
            .unwrap_or(rest.len());
        if name_len == 0 || !rest[name_len..].trim_start().starts_with('{') {
            continue;
        }
        let open = from + name_len + rest[name_len..].find('{').unwrap_or(0);
        let mut depth = 0;
        let mut close = code.len();
        for (i, c) in code[open..].char_indices() {
            match c {
                '{' => depth += 1,
                '}' => {
                    depth -= 1;
                    if depth == 0 {
                        close = open + i + 1;
                        break;
                    }
                }
                _ => {}
            }
        }
        let block = &code[at..close];
        out = out.replace(block, &block.replace("super::", "self::"));
    }
    out
}

/// The code of a file without comments, string literals and its unit tests.
fn code_of(text: &str) -> String {
    let text = match text.find("#[cfg(test)]\nmod tests") {
        Some(at) => &text[..at],
        None => text,
    };
    let mut out = String::with_capacity(text.len());
    for line in text.lines() {
        let line = match line.find("//") {
            Some(at) => &line[..at],
            None => line,
        };
        let mut in_string = false;
        let mut previous = ' ';
        for c in line.chars() {
            if c == '"' && previous != '\\' {
                in_string = !in_string;
            } else if !in_string {
                out.push(c);
            }
            previous = c;
        }
        out.push('\n');
    }
    lift_inline_modules(&out)
}

/// Expands `a::{b, c::{d, e}}` into `a::b`, `a::c::d`, `a::c::e`.
fn expand(prefix: &str, tree: &str, out: &mut Vec<String>) {
    let tree = tree.trim();
    match tree.find('{') {
        None => out.push(format!("{prefix}{tree}")),
        Some(open) => {
            let head = &tree[..open];
            let inner = &tree[open + 1..tree.rfind('}').unwrap_or(tree.len())];
            let mut depth = 0;
            let mut start = 0;
            for (i, c) in inner.char_indices() {
                match c {
                    '{' => depth += 1,
                    '}' => depth -= 1,
                    ',' if depth == 0 => {
                        expand(&format!("{prefix}{head}"), &inner[start..i], out);
                        start = i + 1;
                    }
                    _ => {}
                }
            }
            if !inner[start..].trim().is_empty() {
                expand(&format!("{prefix}{head}"), &inner[start..], out);
            }
        }
    }
}

/// Every path the code names that starts at `crate`, `super` or `self`.
fn paths_in(code: &str) -> Vec<String> {
    let mut paths = Vec::new();
    // `use` trees first, then cut out of the text, so `use super::{a, b}` is not also read as
    // a path to the parent itself.
    let mut rest = String::new();
    let mut text = code;
    while let Some(at) = text.find("use ") {
        let starts_word =
            at == 0 || !text[..at].ends_with(|c: char| c.is_alphanumeric() || c == '_');
        let tail = &text[at + 4..];
        if !starts_word {
            rest.push_str(&text[..at + 4]);
            text = tail;
            continue;
        }
        let end = tail.find(';').unwrap_or(tail.len());
        expand("", &tail[..end], &mut paths);
        rest.push_str(&text[..at]);
        text = &tail[end..];
    }
    rest.push_str(text);
    for word in ["crate::", "super::", "self::"] {
        for (at, _) in rest.match_indices(word) {
            let before = rest[..at].chars().last().unwrap_or(' ');
            if before.is_alphanumeric() || before == '_' || before == ':' {
                continue;
            }
            let path: String = rest[at..]
                .chars()
                .take_while(|c| c.is_alphanumeric() || *c == '_' || *c == ':')
                .collect();
            paths.push(path);
        }
    }
    // `use` paths may also start at a child module (`pub use child::Thing`); the rest are
    // other crates', which `resolve` leaves out.
    paths
        .into_iter()
        .map(|p| p.split_whitespace().collect::<String>())
        .collect()
}

/// The module a path lands in: the longest prefix of it that is a module.
fn resolve(path: &str, from: &[String], modules: &BTreeSet<Vec<String>>) -> Option<Vec<String>> {
    let mut segments: Vec<&str> = path.split("::").filter(|s| !s.is_empty()).collect();
    let mut base: Vec<String> = match segments.first()? {
        &"crate" => Vec::new(),
        &"self" => from.to_vec(),
        &"super" => from.to_vec(),
        child if modules.contains(&[from, &[child.to_string()]].concat()) => {
            segments.insert(0, "self");
            from.to_vec()
        }
        _ => return None,
    };
    while segments.first() == Some(&"super") {
        base.pop()?;
        segments.remove(0);
    }
    if matches!(segments.first(), Some(&"crate") | Some(&"self")) {
        segments.remove(0);
    }
    let mut best = base.clone();
    let mut current = base;
    for segment in segments {
        current.push(segment.to_string());
        if modules.contains(&current) {
            best = current.clone();
        } else {
            break;
        }
    }
    Some(best)
}

fn module_graph() -> BTreeMap<Vec<String>, BTreeSet<Vec<String>>> {
    let src = root().join("src");
    let mut files = Vec::new();
    rust_files(&src, &mut files);
    let sources: Vec<(Vec<String>, String)> = files
        .iter()
        .filter_map(|f| Some((module_of(f, &src)?, std::fs::read_to_string(f).ok()?)))
        .collect();
    let modules: BTreeSet<Vec<String>> = sources.iter().map(|(m, _)| m.clone()).collect();
    let mut graph: BTreeMap<Vec<String>, BTreeSet<Vec<String>>> = BTreeMap::new();
    for (module, text) in &sources {
        let edges = graph.entry(module.clone()).or_default();
        for path in paths_in(&code_of(text)) {
            if let Some(target) = resolve(&path, module, &modules) {
                if &target != module {
                    edges.insert(target);
                }
            }
        }
    }
    graph
}

fn name(module: &[String]) -> String {
    if module.is_empty() {
        "crate".into()
    } else {
        module.join("::")
    }
}

#[test]
fn no_two_modules_import_each_other() {
    let graph = module_graph();
    assert!(graph.len() > 20, "the modules were not found");
    // Any cycle, of two modules or more: a module reached again from itself.
    let mut cycles = Vec::new();
    for start in graph.keys() {
        let mut stack = vec![(start.clone(), vec![start.clone()])];
        let mut seen = BTreeSet::new();
        while let Some((module, path)) = stack.pop() {
            for next in graph.get(&module).into_iter().flatten() {
                if next == start {
                    let names: Vec<String> = path.iter().map(|m| name(m)).collect();
                    cycles.push(format!("{} -> {}", names.join(" -> "), name(start)));
                } else if seen.insert(next.clone()) {
                    let mut longer = path.clone();
                    longer.push(next.clone());
                    stack.push((next.clone(), longer));
                }
            }
        }
    }
    cycles.sort();
    cycles.dedup();
    assert!(cycles.is_empty(), "module cycles:\n{}", cycles.join("\n"));
}

#[test]
fn the_window_and_the_command_line_are_peers() {
    let graph = module_graph();
    let front_end =
        |m: &Vec<String>, names: &[&str]| m.first().is_some_and(|f| names.contains(&f.as_str()));
    let command_line = ["cli", "headless", "share_cli"];
    let mut wrong = Vec::new();
    for (module, edges) in &graph {
        for target in edges {
            let ui_to_cli = front_end(module, &["ui"]) && front_end(target, &command_line);
            let cli_to_ui = front_end(module, &command_line) && front_end(target, &["ui"]);
            if ui_to_cli || cli_to_ui {
                wrong.push(format!("{} -> {}", name(module), name(target)));
            }
        }
    }
    assert!(
        wrong.is_empty(),
        "front-ends importing each other: {wrong:?}"
    );
}

#[test]
fn the_checker_sees_a_cycle_and_an_import() {
    let modules: BTreeSet<Vec<String>> = [
        vec![],
        vec!["rtc".into()],
        vec!["rtc".into(), "share".into()],
    ]
    .into_iter()
    .collect();
    let from = vec!["rtc".to_string(), "viewer".to_string()];
    let code = code_of(
        "use super::share::{Command, X};\nfn f() { crate::rtc::Codec::Vp8; }\n// use crate::ui;\n",
    );
    let targets: Vec<_> = paths_in(&code)
        .iter()
        .filter_map(|p| resolve(p, &from, &modules))
        .collect();
    assert!(targets.contains(&vec!["rtc".to_string(), "share".to_string()]));
    assert!(targets.contains(&vec!["rtc".to_string()]));
    assert!(!targets.iter().any(|t| t.first().is_some_and(|f| f == "ui")));
    // A parent re-exporting its child's type imports the child.
    let parent = vec!["rtc".to_string()];
    let code = code_of("pub use share::Share;\nuse gst::prelude::*;\n");
    let targets: Vec<_> = paths_in(&code)
        .iter()
        .filter_map(|p| resolve(p, &parent, &modules))
        .collect();
    assert_eq!(targets, vec![vec!["rtc".to_string(), "share".to_string()]]);
}

/// The names of GStreamer's crates (gstreamer, glib and the `gst_*` family) that code uses.
fn gstreamer_names(code: &str) -> Vec<String> {
    code.split(|c: char| !(c.is_alphanumeric() || c == '_' || c == ':'))
        .filter(|word| {
            let first = word
                .trim_start_matches(':')
                .split("::")
                .next()
                .unwrap_or("");
            ["gst", "gstreamer", "glib", "gobject"].contains(&first)
                || first.starts_with("gst_")
                || first.starts_with("gstreamer_")
                || first.starts_with("glib_")
        })
        .map(str::to_owned)
        .collect()
}

/// A viewer's controller decides without I/O, so that every decision can be driven and
/// replayed in tests: nothing of GStreamer in any of its files, its tests included.
#[test]
fn the_controller_imports_nothing_of_gstreamer() {
    let dir = root().join("src/rtc/controller");
    let mut files = Vec::new();
    rust_files(&dir, &mut files);
    assert!(
        files.len() >= 2,
        "the controller was not found in {}",
        dir.display()
    );
    let mut wrong = Vec::new();
    for file in &files {
        let text = std::fs::read_to_string(file).unwrap();
        // Comments and strings may name GStreamer (what the estimator is); code may not.
        let code: String = text
            .lines()
            .map(|l| l.split("//").next().unwrap_or(""))
            .collect::<Vec<_>>()
            .join("\n");
        let code = code_of(&code.replace("#[cfg(test)]\nmod tests", "mod tests"));
        wrong.extend(
            gstreamer_names(&code)
                .into_iter()
                .map(|n| format!("{}: {n}", file.display())),
        );
    }
    assert!(wrong.is_empty(), "GStreamer in the controller: {wrong:?}");
    let sample = code_of("use gst::prelude::*;\nfn f(e: &gstreamer::Element) { glib::idle_add(); gst_webrtc::X; }\n// gst here is a word\n");
    assert_eq!(
        gstreamer_names(&sample),
        [
            "gst::prelude::",
            "gstreamer::Element",
            "glib::idle_add",
            "gst_webrtc::X"
        ]
    );
}
