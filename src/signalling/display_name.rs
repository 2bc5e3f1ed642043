//! A viewer's display name, as remote input: what its browser put in its status, cleaned.

use serde_json::Value;

/// Most characters of a display name kept.
pub const MAX_DISPLAY_NAME: usize = 40;

/// A display name from a viewer's browser is remote input: no control characters (they could
/// move the cursor or clear the terminal), single spaces, bounded length. It is only ever
/// shown, never used in a file path or an element name.
pub fn clean_display_name(raw: &str) -> String {
    let words: Vec<&str> = raw
        .split(|c: char| c.is_whitespace() || c.is_control())
        .filter(|w| !w.is_empty())
        .collect();
    words
        .join(" ")
        .chars()
        .filter(|c| !c.is_control())
        .take(MAX_DISPLAY_NAME)
        .collect::<String>()
        .trim_end()
        .to_owned()
}

/// The `name` in a peer's status `meta`, cleaned; `None` when there is none worth showing.
/// Only the first few kB are looked at: a name longer than that is cut anyway.
pub(crate) fn name_in_meta(meta: Option<&Value>) -> Option<String> {
    let raw = meta?.get("name")?.as_str()?;
    let head: String = raw.chars().take(MAX_DISPLAY_NAME * 64).collect();
    Some(clean_display_name(&head)).filter(|n| !n.is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn display_names_lose_control_characters_and_length() {
        assert_eq!(clean_display_name("  Ana\u{1b}[2J  Lee\n"), "Ana [2J Lee");
        assert_eq!(clean_display_name("\u{7}\u{8}"), "");
        assert_eq!(clean_display_name(&"x".repeat(500)).len(), MAX_DISPLAY_NAME);
        assert_eq!(
            clean_display_name(&"é".repeat(500)).chars().count(),
            MAX_DISPLAY_NAME
        );
    }

    #[test]
    fn the_name_is_read_from_meta_or_not_at_all() {
        assert_eq!(
            name_in_meta(Some(&json!({"name": " Ana "}))).as_deref(),
            Some("Ana")
        );
        assert_eq!(name_in_meta(Some(&json!({"name": "\u{1b}\u{7}"}))), None);
        assert_eq!(name_in_meta(Some(&json!({"name": 7}))), None);
        assert_eq!(name_in_meta(Some(&json!("Ana"))), None);
        assert_eq!(name_in_meta(None), None);
    }
}
