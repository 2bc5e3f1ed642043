//! Viewers named for people: the display name a viewer gave, cleaned, or "Viewer N".

use std::collections::HashMap;

use crate::sharing::{viewer_label, ViewerNumbers};

/// A viewer's name for people, as the window's share panel gives it: the display name the
/// viewer gave, or "Viewer N" as the sharing layer numbers it.
#[derive(Debug, Default)]
pub struct ViewerNames {
    present: HashMap<String, Named>,
    numbers: ViewerNumbers,
}

#[derive(Debug)]
struct Named {
    name: String,
    bitrate: u64,
}

/// The terminal speaks English.
const NUMBERED: &str = "Viewer {number}";

impl ViewerNames {
    /// Names a viewer that joined (again the same name if it is already known).
    pub fn join(&mut self, id: &str, display_name: Option<&str>) -> String {
        if let Some(known) = self.present.get(id) {
            return known.name.clone();
        }
        let name = viewer_label(display_name, self.numbers.number(id), NUMBERED);
        self.present.insert(
            id.to_owned(),
            Named {
                name: name.clone(),
                bitrate: 0,
            },
        );
        name
    }

    /// A viewer present gave a new display name (or took it back): its name before and
    /// after, when that changed what people read.
    pub fn rename(&mut self, id: &str, display_name: Option<&str>) -> Option<(String, String)> {
        let viewer = self.present.get_mut(id)?;
        let name = viewer_label(display_name, self.numbers.get(id)?, NUMBERED);
        if name == viewer.name {
            return None;
        }
        Some((std::mem::replace(&mut viewer.name, name.clone()), name))
    }

    pub fn name(&self, id: &str) -> Option<String> {
        self.present.get(id).map(|v| v.name.clone())
    }

    /// Forgets a viewer that left, returning its name.
    pub fn leave(&mut self, id: &str) -> Option<String> {
        self.numbers.release(id);
        self.present.remove(id).map(|v| v.name)
    }

    pub fn set_bitrate(&mut self, id: &str, bits_per_second: u64) {
        if let Some(v) = self.present.get_mut(id) {
            v.bitrate = bits_per_second;
        }
    }

    pub fn count(&self) -> usize {
        self.present.len()
    }

    pub fn total_bitrate(&self) -> u64 {
        self.present.values().map(|v| v.bitrate).sum()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn viewers_get_the_smallest_free_number() {
        let mut names = ViewerNames::default();
        assert_eq!(names.join("a", None), "Viewer 1");
        assert_eq!(names.join("b", None), "Viewer 2");
        assert_eq!(names.join("a", None), "Viewer 1");
        assert_eq!(names.leave("a").as_deref(), Some("Viewer 1"));
        assert_eq!(names.join("c", None), "Viewer 1");
        assert_eq!(names.join("d", Some("Ana")), "Ana");
        assert_eq!(names.count(), 3);
        names.set_bitrate("b", 500_000);
        names.set_bitrate("d", 700_000);
        assert_eq!(names.total_bitrate(), 1_200_000);
    }

    #[test]
    fn display_names_are_cleaned_and_can_change() {
        let mut names = ViewerNames::default();
        assert_eq!(names.join("a", Some("\u{1b}\u{7}")), "Viewer 1");
        assert_eq!(
            names.rename("a", Some("Ana")),
            Some(("Viewer 1".into(), "Ana".into()))
        );
        assert_eq!(names.rename("a", Some(" Ana ")), None);
        assert_eq!(
            names.rename("a", None),
            Some(("Ana".into(), "Viewer 1".into()))
        );
        assert_eq!(names.rename("gone", Some("Eve")), None);
    }
}
