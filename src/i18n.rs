//! Translations: the window's and the viewer page's strings come from the "reelcast" text
//! domain, bound once at start for every command.

/// The text domain of every translatable string (po/reelcast.pot).
pub const DOMAIN: &str = "reelcast";

/// Picks the person's locale and binds the text domain to the compiled catalogues: those of
/// the install prefix next to the executable (`PREFIX/share/locale`), or the one given at
/// build time in `REELCAST_LOCALEDIR`. Without a catalogue the strings stay in English.
pub fn init() {
    gettextrs::setlocale(gettextrs::LocaleCategory::LcAll, "");
    let dir = match option_env!("REELCAST_LOCALEDIR") {
        Some(dir) => std::path::PathBuf::from(dir),
        None => crate::data_dirs::installed("locale").unwrap_or_else(|| "/usr/share/locale".into()),
    };
    if let Err(e) = gettextrs::bindtextdomain(DOMAIN, dir) {
        tracing::warn!("translations are not available: {e}");
    }
    let _ = gettextrs::bind_textdomain_codeset(DOMAIN, "UTF-8");
    if let Err(e) = gettextrs::textdomain(DOMAIN) {
        tracing::warn!("translations are not available: {e}");
    }
}
