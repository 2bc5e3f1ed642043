//! The translation template is complete: every string the window translates is in
//! po/reelcast.pot, and every file with such strings is in po/POTFILES.in; and every language
//! of po/LINGUAS translates all of it.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::Command;

/// A message of a .po/.pot file: its context and its msgid (and plural), unescaped.
type Message = (Option<String>, String, Option<String>);

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// The C-like string escapes that xgettext writes and Rust sources use alike.
fn unescape(text: &str) -> String {
    let mut out = String::new();
    let mut chars = text.chars();
    while let Some(c) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        match chars.next() {
            Some('n') => out.push('\n'),
            Some('t') => out.push('\t'),
            Some(other) => out.push(other),
            None => {}
        }
    }
    out
}

/// What a .po file says for a message: its msgstr (or msgstr[0], msgstr[1]…) and whether it is
/// marked fuzzy.
#[derive(Debug, Default, PartialEq)]
struct Translation {
    strings: Vec<String>,
    fuzzy: bool,
}

impl Translation {
    /// Translated and not fuzzy: gettext shows it (a fuzzy one is left out of the .mo).
    fn is_done(&self) -> bool {
        !self.fuzzy && !self.strings.is_empty() && self.strings.iter().all(|s| !s.is_empty())
    }
}

/// The messages of a template, without the header.
fn messages(pot: &str) -> BTreeSet<Message> {
    entries(pot).into_keys().collect()
}

/// The messages of a .po/.pot file with their translations, without the header and without
/// obsolete (#~) entries.
fn entries(po: &str) -> BTreeMap<Message, Translation> {
    #[derive(Clone, Copy, PartialEq)]
    enum Field {
        Ctxt,
        Id,
        Plural,
        Str(usize),
        Other,
    }
    #[derive(Default)]
    struct Current {
        ctxt: Option<String>,
        id: Option<String>,
        plural: Option<String>,
        translation: Translation,
    }
    fn flush(current: &mut Current, all: &mut BTreeMap<Message, Translation>) {
        let Current {
            ctxt,
            id,
            plural,
            translation,
        } = std::mem::take(current);
        if let Some(id) = id.filter(|id| !id.is_empty()) {
            all.insert((ctxt, id, plural), translation);
        }
    }
    let quoted = |rest: &str| {
        let rest = rest.trim();
        let inner = rest.strip_prefix('"').and_then(|r| r.strip_suffix('"'));
        unescape(inner.unwrap_or(rest))
    };
    let mut all = BTreeMap::new();
    let mut current = Current::default();
    let mut field = Field::Other;
    // A "#, fuzzy" line comes before the msgctxt/msgid it marks, so after the previous
    // message's msgstr: it is kept until that message starts.
    let mut fuzzy = false;
    for line in po.lines().map(str::trim) {
        if let Some(rest) = line.strip_prefix("msgctxt ") {
            flush(&mut current, &mut all);
            current.translation.fuzzy = std::mem::take(&mut fuzzy);
            current.ctxt = Some(quoted(rest));
            field = Field::Ctxt;
        } else if let Some(rest) = line.strip_prefix("msgid_plural ") {
            current.plural = Some(quoted(rest));
            field = Field::Plural;
        } else if let Some(rest) = line.strip_prefix("msgid ") {
            if field != Field::Ctxt {
                flush(&mut current, &mut all);
                current.translation.fuzzy = std::mem::take(&mut fuzzy);
            }
            current.id = Some(quoted(rest));
            field = Field::Id;
        } else if let Some(rest) = line.strip_prefix("msgstr") {
            // msgstr "…" or msgstr[N] "…"
            let (index, text) = match rest.strip_prefix('[') {
                Some(plural) => {
                    let (n, text) = plural.split_once(']').unwrap_or(("0", plural));
                    (n.parse().unwrap_or(0), text)
                }
                None => (0, rest),
            };
            let strings = &mut current.translation.strings;
            if strings.len() <= index {
                strings.resize(index + 1, String::new());
            }
            strings[index] = quoted(text);
            field = Field::Str(index);
        } else if line.starts_with('"') {
            let slot = match field {
                Field::Ctxt => &mut current.ctxt,
                Field::Id => &mut current.id,
                Field::Plural => &mut current.plural,
                Field::Str(index) => {
                    current.translation.strings[index].push_str(&quoted(line));
                    continue;
                }
                Field::Other => continue,
            };
            slot.get_or_insert_with(String::new).push_str(&quoted(line));
        } else {
            if let Some(flags) = line.strip_prefix("#,") {
                fuzzy |= flags.split(',').any(|flag| flag.trim() == "fuzzy");
            }
            field = Field::Other;
        }
    }
    flush(&mut current, &mut all);
    all
}

fn committed() -> BTreeSet<Message> {
    let pot = std::fs::read_to_string(root().join("po/reelcast.pot")).expect("po/reelcast.pot");
    messages(&pot)
}

fn potfiles() -> Vec<String> {
    std::fs::read_to_string(root().join("po/POTFILES.in"))
        .expect("po/POTFILES.in")
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .map(str::to_owned)
        .collect()
}

/// The languages of po/LINGUAS (one or more a line, # for comments).
fn linguas() -> Vec<String> {
    std::fs::read_to_string(root().join("po/LINGUAS"))
        .expect("po/LINGUAS")
        .lines()
        .map(str::trim)
        .filter(|l| !l.starts_with('#'))
        .flat_map(str::split_whitespace)
        .map(str::to_owned)
        .collect()
}

fn files_under(dir: &Path, ext: &str, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap().map(Result::unwrap) {
        let path = entry.path();
        if path.is_dir() {
            files_under(&path, ext, out);
        } else if path.extension().is_some_and(|e| e == ext) {
            out.push(path);
        }
    }
}

/// The string literals that follow `call(` in Rust source: one for gettext, two for
/// ngettext (singular and plural).
fn literal_calls(source: &str, call: &str, count: usize) -> Vec<Vec<String>> {
    let mut found = Vec::new();
    let mut rest = source;
    while let Some(at) = rest.find(call) {
        let before = rest[..at].chars().next_back();
        rest = &rest[at + call.len()..];
        if before.is_some_and(|c| c.is_alphanumeric() || c == '_') {
            continue;
        }
        let mut literals = Vec::new();
        let mut tail = rest;
        for _ in 0..count {
            let Some(body) = tail.trim_start().strip_prefix('"') else {
                break;
            };
            let mut end = None;
            let mut escaped = false;
            for (i, c) in body.char_indices() {
                match c {
                    '\\' if !escaped => escaped = true,
                    '"' if !escaped => {
                        end = Some(i);
                        break;
                    }
                    _ => escaped = false,
                }
            }
            let Some(end) = end else { break };
            literals.push(unescape(&body[..end]));
            tail = body[end + 1..].trim_start().trim_start_matches(',');
        }
        if literals.len() == count {
            found.push(literals);
        }
    }
    found
}

/// xgettext over POTFILES.in, by the script that writes the committed template, finds no
/// string the template lacks (and the template holds none that is gone).
#[test]
fn the_template_has_every_translatable_string() {
    let dir = tempfile::tempdir().unwrap();
    let fresh_path = dir.path().join("reelcast.pot");
    let out = Command::new(root().join("scripts/update-po.sh"))
        .arg("--pot")
        .arg(&fresh_path)
        .output()
        .expect("scripts/update-po.sh runs (install gettext)");
    assert!(
        out.status.success(),
        "update-po.sh failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let fresh = messages(&std::fs::read_to_string(&fresh_path).unwrap());
    let committed = committed();
    assert!(fresh.len() > 50, "xgettext found too little: {fresh:?}");
    let missing: Vec<_> = fresh.difference(&committed).collect();
    assert!(
        missing.is_empty(),
        "strings missing from po/reelcast.pot (run scripts/update-po.sh): {missing:#?}"
    );
    let stale: Vec<_> = committed.difference(&fresh).collect();
    assert!(
        stale.is_empty(),
        "strings in po/reelcast.pot that no file has (run scripts/update-po.sh): {stale:#?}"
    );
}

/// Rust is read by xgettext's C lexer; this reads the calls itself, so a literal the lexer
/// skipped (after a lifetime's quote, say) is still caught.
#[test]
fn every_gettext_call_in_the_sources_is_in_the_template() {
    let ids: BTreeSet<(String, Option<String>)> = committed()
        .into_iter()
        .map(|(_, id, plural)| (id, plural))
        .collect();
    let mut sources = Vec::new();
    files_under(&root().join("src"), "rs", &mut sources);
    let mut checked = 0;
    for path in sources {
        let text = std::fs::read_to_string(&path).unwrap();
        // Unit tests compare with English text; they are not shown.
        let text = text.split("#[cfg(test)]").next().unwrap_or_default();
        for call in literal_calls(text, "gettext(", 1) {
            checked += 1;
            assert!(
                ids.contains(&(call[0].clone(), None)),
                "{}: gettext({:?}) is not in po/reelcast.pot (run scripts/update-po.sh)",
                path.display(),
                call[0]
            );
        }
        for call in literal_calls(text, "ngettext(", 2) {
            checked += 1;
            assert!(
                ids.contains(&(call[0].clone(), Some(call[1].clone()))),
                "{}: ngettext({:?}, {:?}) is not in po/reelcast.pot",
                path.display(),
                call[0],
                call[1]
            );
        }
    }
    assert!(checked > 20, "only {checked} gettext calls found");
}

/// Every source with a gettext call and every .ui file with a translatable string is in
/// po/POTFILES.in, and every file listed there exists.
#[test]
fn potfiles_lists_every_file_with_translatable_strings() {
    let listed = potfiles();
    for file in &listed {
        assert!(
            root().join(file).is_file(),
            "po/POTFILES.in: {file} does not exist"
        );
    }
    let mut files = Vec::new();
    files_under(&root().join("src"), "rs", &mut files);
    files_under(&root().join("resources"), "ui", &mut files);
    for path in files {
        let text = std::fs::read_to_string(&path).unwrap();
        let translatable = if path.extension().is_some_and(|e| e == "ui") {
            text.contains("translatable=\"yes\"")
        } else {
            !literal_calls(&text, "gettext(", 1).is_empty()
                || !literal_calls(&text, "ngettext(", 2).is_empty()
        };
        let relative = path
            .strip_prefix(root())
            .unwrap()
            .to_string_lossy()
            .into_owned();
        assert!(
            !translatable || listed.contains(&relative),
            "{relative} has translatable strings but is not in po/POTFILES.in"
        );
    }
}

/// Every language of po/LINGUAS (which meson's i18n.gettext compiles and installs) has a
/// po/LANG.po that msgfmt accepts and that translates every message of the template, none
/// fuzzy: a change that adds or changes a string brings its translations along.
#[test]
fn every_language_translates_every_message_of_the_template() {
    let template = committed();
    let languages = linguas();
    for lang in &languages {
        let file = format!("po/{lang}.po");
        let path = root().join(&file);
        assert!(
            path.is_file(),
            "po/LINGUAS lists {lang} but {file} does not exist (run scripts/update-po.sh, which \
             makes it from the template, and translate it)"
        );
        let out = Command::new("msgfmt")
            .arg("--check")
            .arg("--output-file=/dev/null")
            .arg(&path)
            .output()
            .expect("msgfmt runs (install gettext)");
        assert!(
            out.status.success(),
            "msgfmt --check {file} failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let translated = entries(&std::fs::read_to_string(&path).unwrap());
        let missing: Vec<_> = template
            .iter()
            .filter(|message| !translated.get(*message).is_some_and(Translation::is_done))
            .collect();
        assert!(
            missing.is_empty(),
            "{file} leaves {} message(s) of po/reelcast.pot untranslated or fuzzy: a change \
             that adds or changes a string translates it in every language of po/LINGUAS. \
             Run scripts/update-po.sh (it merges the template into {file}), then translate \
             each empty or fuzzy message there and drop its fuzzy flag: {missing:#?}",
            missing.len()
        );
    }
}

#[test]
fn the_parser_reads_contexts_plurals_and_continued_lines() {
    let pot = r#"
msgid ""
msgstr ""
"Content-Type: text/plain; charset=UTF-8\n"

#: a.rs:1
msgid "Say \"hi\""
msgstr ""

msgctxt "menu"
msgid "Open"
msgstr ""

msgid "{n} file"
msgid_plural ""
"{n} files"
msgstr[0] ""
"#;
    let found = messages(pot);
    let expected: BTreeSet<Message> = [
        (None, "Say \"hi\"".to_owned(), None),
        (Some("menu".to_owned()), "Open".to_owned(), None),
        (None, "{n} file".to_owned(), Some("{n} files".to_owned())),
    ]
    .into_iter()
    .collect();
    assert_eq!(found, expected);
    let calls = literal_calls(
        "x(gettext(\"A \\\"b\\\"\")); ngettext(\n \"one\",\n \"many\", n); pgettext(\"c\", \"d\")",
        "gettext(",
        1,
    );
    assert_eq!(calls, [vec!["A \"b\"".to_owned()]]);
}

#[test]
fn the_parser_reads_translations_fuzzy_flags_and_plural_forms() {
    let po = r#"
#, fuzzy
msgid ""
msgstr ""
"Content-Type: text/plain; charset=UTF-8\n"

#: a.rs:1
msgid "Open"
msgstr "Öffnen"

#, fuzzy, c-format
#| msgid "Close %s"
msgid "Close %d"
msgstr "%d schließen"

msgctxt "menu"
msgid "Long"
msgstr ""
"Lang, "
"länger"

msgid "Empty"
msgstr ""

msgid "{n} file"
msgid_plural "{n} files"
msgstr[0] "{n} Datei"
msgstr[1] ""

#~ msgid "Gone"
#~ msgstr "Weg"
"#;
    let found = entries(po);
    let done = |strings: &[&str]| Translation {
        strings: strings.iter().map(|s| (*s).to_owned()).collect(),
        fuzzy: false,
    };
    let expected: BTreeMap<Message, Translation> = [
        ((None, "Open".to_owned(), None), done(&["Öffnen"])),
        (
            (None, "Close %d".to_owned(), None),
            Translation {
                strings: vec!["%d schließen".to_owned()],
                fuzzy: true,
            },
        ),
        (
            (Some("menu".to_owned()), "Long".to_owned(), None),
            done(&["Lang, länger"]),
        ),
        ((None, "Empty".to_owned(), None), done(&[""])),
        (
            (None, "{n} file".to_owned(), Some("{n} files".to_owned())),
            done(&["{n} Datei", ""]),
        ),
    ]
    .into_iter()
    .collect();
    assert_eq!(found, expected);
    let done: Vec<_> = found
        .iter()
        .filter(|(_, t)| t.is_done())
        .map(|((_, id, _), _)| id.as_str())
        .collect();
    assert_eq!(done, ["Open", "Long"]);
}
