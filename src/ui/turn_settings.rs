//! The preferences' TURN servers: GSettings keeps their addresses (`turn://user@host:port`),
//! the keyring their passwords ([`TurnSecrets`]). What the preferences window applies, what
//! the app moves out of an older version's key at start, and what a share gets back.
//!
//! Each function is a future for the GLib main loop: the keyring's work runs on the
//! networking runtime and these only wait for its answer, so the window never blocks.

use gettextrs::gettext;
use gtk::gio;
use gtk::glib;
use gtk::prelude::*;

use super::settings::ShareSettings;
use crate::sharing::{has_passwords, ShareChoices, TurnProblem, TurnSecrets, TurnSecretsError};

/// The key that holds the TURN servers, separated by spaces.
pub const TURN_KEY: &str = "turn-server";

/// Applies what the person typed in the TURN row (`turn://user:password@host:port`, as
/// many as they like): each password goes into the keyring and the key gets the addresses
/// without them; the passwords of servers taken out of the list are removed. Returns the
/// servers whose password could not be kept (their address is kept without it), for the
/// person to be told.
pub async fn apply_turn_servers(settings: &gio::Settings, typed: &str) -> Vec<TurnProblem> {
    let previous = settings.string(TURN_KEY).to_string();
    let saved = TurnSecrets::save(typed, &previous).await;
    let value = saved.addresses.join(" ");
    if settings.string(TURN_KEY) != value.as_str() {
        let _ = settings.set_string(TURN_KEY, &value);
    }
    saved.problems
}

/// Moves the passwords an older version left in the key into the keyring, and rewrites
/// the key without them. A password the keyring did not take stays in the key, so that it
/// is not lost, and is tried again at the next start; those servers are returned.
pub async fn migrate_turn_servers(settings: &gio::Settings) -> Vec<TurnProblem> {
    let value = settings.string(TURN_KEY).to_string();
    if !has_passwords(&value) {
        return Vec::new();
    }
    let saved = TurnSecrets::save(&value, "").await;
    let originals: Vec<&str> = value
        .split_whitespace()
        .filter(|t| crate::sharing::TurnServer::parse(t).is_some())
        .collect();
    let mut kept = saved.addresses.clone();
    for problem in &saved.problems {
        if let (Some(slot), Some(original)) =
            (kept.get_mut(problem.index), originals.get(problem.index))
        {
            *slot = (*original).to_owned();
        }
    }
    let _ = settings.set_string(TURN_KEY, &kept.join(" "));
    saved.problems
}

/// What the TURN row shows of a key's value: the addresses, never a password.
pub fn shown_turn_servers(value: &str) -> String {
    crate::sharing::turn_servers(value)
        .iter()
        .map(|s| s.address())
        .collect::<Vec<_>>()
        .join(" ")
}

impl ShareSettings {
    /// The settings as choices for a share, with the TURN passwords from the keyring joined
    /// back into the URLs. A server whose password cannot be had (no keyring, locked,
    /// missing) is left out of the share and returned, for the person to be told.
    pub async fn choices_with_passwords(&self) -> (ShareChoices, Vec<TurnProblem>) {
        let choices = self.choices();
        if !self.needs_passwords() {
            return (choices, Vec::new());
        }
        let filled = TurnSecrets::fill_in(&self.choices.turn).await;
        (
            ShareChoices {
                turn: filled.urls,
                ..choices
            },
            filled.problems,
        )
    }

    /// Whether a TURN server names a user whose password is in the keyring.
    pub fn needs_passwords(&self) -> bool {
        self.choices
            .turn
            .iter()
            .filter_map(|t| crate::sharing::TurnServer::parse(t))
            .any(|s| s.needs_password() && !s.has_password())
    }
}

/// Why the keyring could not help, in the person's words.
pub fn turn_problem_reason(error: &TurnSecretsError) -> String {
    match error {
        TurnSecretsError::NoService(_) => {
            gettext("No keyring (Secret Service) is running on this computer.")
        }
        TurnSecretsError::Locked => gettext("The keyring is locked: unlock it and try again."),
        TurnSecretsError::Dismissed => gettext("The keyring was not unlocked."),
        TurnSecretsError::Missing => {
            gettext("Its password is not in the keyring: type it again in Preferences.")
        }
        TurnSecretsError::Refused(detail) => {
            gettext("The keyring refused: {detail}").replace("{detail}", detail)
        }
        TurnSecretsError::TimedOut(_) => gettext("The keyring did not answer."),
    }
}

/// The toast's title when a share starts without a TURN server.
pub fn share_turn_problem(problem: &TurnProblem) -> String {
    gettext("Sharing without the TURN server {server}").replace("{server}", &problem.address)
}

/// The toast's title when a typed password could not be kept.
pub fn saved_turn_problem(problem: &TurnProblem) -> String {
    gettext("The password of {server} was not saved").replace("{server}", &problem.address)
}

/// The toast's title when an older version's password stays in the settings.
pub fn migrated_turn_problem(problem: &TurnProblem) -> String {
    gettext("The password of {server} is still in the settings")
        .replace("{server}", &problem.address)
}

/// At start: moves passwords out of the key in the background; `tell` shows each server
/// whose password stays there (title, details).
pub(super) fn migrate_in_background(settings: gio::Settings, tell: impl Fn(&str, &str) + 'static) {
    glib::spawn_future_local(async move {
        for problem in migrate_turn_servers(&settings).await {
            tell(
                &migrated_turn_problem(&problem),
                &turn_problem_reason(&problem.error),
            );
        }
    });
}
