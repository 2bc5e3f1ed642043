//! The viewer page in the sharer's language: the strings of viewer.js are its `_("…")` calls
//! (which xgettext extracts into po/reelcast.pot, see scripts/update-po.sh); the server looks
//! each one up in the "reelcast" text domain and puts the table in the page it serves. The
//! functions here do no I/O: the lookup is an argument.

use crate::i18n::DOMAIN;

/// The messages of `script`: the string literal of each `_("…")` call, in order, once each.
/// A literal that is not plain (JSON-compatible) JavaScript is left out.
pub(crate) fn msgids(script: &str) -> Vec<String> {
    let mut found: Vec<String> = Vec::new();
    let mut rest = script;
    while let Some(at) = rest.find("_(\"") {
        let before = rest[..at].chars().next_back();
        let body = &rest[at + 3..];
        rest = body;
        if before.is_some_and(|c| c.is_alphanumeric() || c == '_' || c == '$' || c == '.') {
            continue;
        }
        let mut escaped = false;
        let Some(end) = body.char_indices().find_map(|(i, c)| match c {
            '\\' if !escaped => {
                escaped = true;
                None
            }
            '"' if !escaped => Some(i),
            _ => {
                escaped = false;
                None
            }
        }) else {
            break;
        };
        if let Ok(id) = serde_json::from_str::<String>(&format!("\"{}\"", &body[..end])) {
            if !id.is_empty() && !found.contains(&id) {
                found.push(id);
            }
        }
        rest = &body[end + 1..];
    }
    found
}

/// The table the page reads (`{"msgid": "translation", …}`, only those translated), as text
/// that is safe inside a `<script>` element: no `<` in it can end the element.
pub(crate) fn translations_json(ids: &[String], translate: impl Fn(&str) -> String) -> String {
    let table: serde_json::Map<String, serde_json::Value> = ids
        .iter()
        .filter_map(|id| {
            let text = translate(id);
            (!text.is_empty() && text != *id).then(|| (id.clone(), text.into()))
        })
        .collect();
    serde_json::Value::Object(table)
        .to_string()
        .replace('<', "\\u003c")
}

/// The language a catalogue's header names (`Language: fr`), as an HTML `lang` value.
pub(crate) fn header_language(header: &str) -> Option<String> {
    let value = header
        .lines()
        .find_map(|line| line.strip_prefix("Language:"))?
        .trim();
    let lang: String = value
        .split(['.', '@'])
        .next()
        .unwrap_or("")
        .replace('_', "-");
    let ok = !lang.is_empty()
        && lang.len() <= 16
        && lang.chars().all(|c| c.is_ascii_alphanumeric() || c == '-');
    ok.then_some(lang)
}

/// `html` with the table of `script`'s strings translated by `translate`, and its `lang`.
pub(crate) fn localize_page(
    html: &str,
    script: &str,
    translate: impl Fn(&str) -> String,
) -> String {
    let table = translations_json(&msgids(script), &translate);
    let lang = header_language(&translate("")).unwrap_or_else(|| "en".to_owned());
    html.replacen("{{TRANSLATIONS}}", &table, 1).replacen(
        "<html lang=\"en\">",
        &format!("<html lang=\"{lang}\">"),
        1,
    )
}

/// Looks `msgid` up in the sharer's language (the locale the process set; English without a
/// catalogue). `""` gives the catalogue's header.
pub(crate) fn gettext(msgid: &str) -> String {
    gettextrs::dgettext(DOMAIN, msgid)
}

#[cfg(test)]
mod tests {
    use super::*;

    const SCRIPT: &str = include_str!("../../resources/viewer/viewer.js");
    const HTML: &str = include_str!("../../resources/viewer/index.html");
    const POT: &str = include_str!("../../po/reelcast.pot");

    #[test]
    fn the_calls_are_read_as_xgettext_reads_them() {
        let ids = msgids(r#"a(_("One")); b._("no"); x_("no"); _("Say \"hi\"…"); _("One")"#);
        assert_eq!(ids, ["One", "Say \"hi\"…"]);
    }

    #[test]
    fn every_string_of_the_page_is_in_the_template() {
        let ids = msgids(SCRIPT);
        assert!(ids.len() >= 15, "{ids:?}");
        assert_eq!(
            ids.len(),
            SCRIPT.matches("_(\"").count() - duplicates(SCRIPT),
            "a _(\"…\") call that is not a plain literal"
        );
        for id in &ids {
            let quoted = serde_json::to_string(id).unwrap();
            assert!(
                POT.contains(&format!("msgid {quoted}\n")),
                "{quoted} is not in po/reelcast.pot (run scripts/update-po.sh)"
            );
        }
    }

    fn duplicates(script: &str) -> usize {
        let mut seen = std::collections::HashSet::new();
        let mut count = 0;
        for part in script.split("_(\"").skip(1) {
            let id = part.split('"').next().unwrap_or("");
            if !seen.insert(id) {
                count += 1;
            }
        }
        count
    }

    #[test]
    fn the_page_gets_the_translations_and_its_language() {
        let page = localize_page(HTML, SCRIPT, |id| match id {
            "" => "Project-Id-Version: reelcast\nLanguage: pt_BR\n".to_owned(),
            "Turn the sound on" => "Ligar o som </script><b>".to_owned(),
            other => other.to_owned(),
        });
        assert!(page.starts_with("<!DOCTYPE html>\n<html lang=\"pt-BR\">"));
        assert!(page.contains(
            r#"<script type="application/json" id="reelcast-strings">{"Turn the sound on":"Ligar o som \u003c/script>\u003cb>"}</script>"#
        ));
        assert!(!page.contains("{{TRANSLATIONS}}"));
        // In English: an empty table.
        let english = localize_page(HTML, SCRIPT, str::to_owned);
        assert!(english.contains(r#"id="reelcast-strings">{}</script>"#));
        assert!(english.contains("<html lang=\"en\">"));
        assert_eq!(header_language("Language: \n"), None);
        assert_eq!(header_language("Language: x\"y\n"), None);
    }
}
