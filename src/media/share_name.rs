//! The name a source goes by for people: its file name, without folders or URI parts.

/// What viewers see by default, and what the window shows: the file's name.
pub fn share_name(source: &str) -> String {
    let name = if source.contains("://") {
        let path = source.split(['?', '#']).next().unwrap_or(source);
        percent_decode(
            path.trim_end_matches('/')
                .rsplit('/')
                .next()
                .unwrap_or(path),
        )
    } else {
        let path = std::path::Path::new(source);
        path.file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default()
    };
    if name.is_empty() {
        "Reelcast".to_owned()
    } else {
        name
    }
}

/// `%20` and the like back to their bytes; anything else, as it is.
fn percent_decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = bytes
            .get(i + 1..i + 3)
            .and_then(|h| std::str::from_utf8(h).ok());
        match (bytes[i], hex.and_then(|h| u8::from_str_radix(h, 16).ok())) {
            (b'%', Some(byte)) => {
                out.push(byte);
                i += 3;
            }
            (byte, _) => {
                out.push(byte);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[cfg(test)]
mod tests {
    use super::share_name;

    #[test]
    fn the_default_name_is_the_file_name() {
        assert_eq!(share_name("/home/me/Videos/holiday.webm"), "holiday.webm");
        assert_eq!(share_name("holiday.webm"), "holiday.webm");
        assert_eq!(share_name("file:///tmp/My%20Film.mkv"), "My Film.mkv");
        assert_eq!(
            share_name("https://example.org/v/clip.mp4?token=1"),
            "clip.mp4"
        );
        assert_eq!(share_name("what?#100%25.webm"), "what?#100%25.webm");
        assert_eq!(share_name("file:///a+b&c%zz.webm"), "a+b&c%zz.webm");
        assert_eq!(share_name(""), "Reelcast");
    }
}
