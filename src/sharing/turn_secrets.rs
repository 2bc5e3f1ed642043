//! TURN passwords in the keyring: the Secret Service (GNOME Keyring, KeePassXC…) through the
//! `oo7` crate, which inside a Flatpak uses the Secret portal instead. The settings keep
//! only the addresses (`turn://user@host:port`); each password is an item of the keyring,
//! found by its server and user, and joined back into the URL only when a share starts.
//!
//! `oo7` is async: everything here runs on the networking runtime, and the futures handed
//! out ([`TurnSecrets::save`], [`TurnSecrets::fill_in`]) only wait on a channel, so the GLib
//! main loop (or any executor) can await them without blocking. A password is a
//! [`Secret`] from the moment it is split off what the person typed: no log line, error or
//! `Debug` output shows it.

use std::collections::HashMap;
use std::fmt;
use std::future::Future;
use std::time::Duration;

use crate::signalling::{redact_text, runtime, Secret, REDACTED};
use crate::APP_ID;

/// How long a share's start waits for the keyring before going on without its TURN servers.
pub const LOOKUP_TIMEOUT: Duration = Duration::from_secs(10);
/// How long saving waits: the keyring may ask the person to unlock it first.
pub const STORE_TIMEOUT: Duration = Duration::from_secs(120);

/// Why a TURN server's password could not be kept or found. Never carries the password.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TurnSecretsError {
    /// No Secret Service on the session bus (or no session bus), and no portal.
    #[error("no keyring is available (Secret Service): {0}")]
    NoService(String),
    /// The keyring is locked (a share does not ask to unlock it).
    #[error("the keyring is locked")]
    Locked,
    /// The person dismissed the keyring's prompt.
    #[error("the keyring's prompt was dismissed")]
    Dismissed,
    /// The keyring holds no password for this server and user.
    #[error("the keyring holds no password for it")]
    Missing,
    /// The keyring answered with an error.
    #[error("the keyring refused: {0}")]
    Refused(String),
    /// No answer in time.
    #[error("the keyring did not answer within {} s", .0.as_secs())]
    TimedOut(Duration),
}

/// A TURN server as the person wrote it, with its password (if any) apart.
#[derive(Clone, PartialEq, Eq)]
pub struct TurnServer {
    /// `turn` or `turns`.
    scheme: String,
    username: Option<String>,
    password: Option<Secret>,
    /// `host:port`, as written.
    server: String,
    /// What follows the server (`?transport=tcp`), as written.
    rest: String,
}

impl TurnServer {
    /// Reads `turn://user:password@host:port?…` (the password may hold any character but
    /// spaces: the user ends at the first `:`, the server starts after the last `@`). `None`
    /// when it is no URL.
    pub fn parse(text: &str) -> Option<Self> {
        let text = text.trim();
        let (scheme, after) = text.split_once("://")?;
        if scheme.is_empty() || after.is_empty() {
            return None;
        }
        let (userinfo, host_part) = match after.rsplit_once('@') {
            Some((userinfo, host_part)) => (Some(userinfo), host_part),
            None => (None, after),
        };
        let end = host_part.find(['/', '?', '#']).unwrap_or(host_part.len());
        let (server, rest) = host_part.split_at(end);
        let (username, password) = match userinfo {
            None => (None, None),
            Some(userinfo) => match userinfo.split_once(':') {
                Some((user, password)) => (
                    Some(user.to_owned()),
                    (!password.is_empty()).then(|| Secret::new(password)),
                ),
                None => (Some(userinfo.to_owned()), None),
            },
        };
        Some(Self {
            scheme: scheme.to_owned(),
            username: username.filter(|u| !u.is_empty()),
            password,
            server: server.to_owned(),
            rest: rest.to_owned(),
        })
    }

    /// `host:port`, as written.
    pub fn server(&self) -> &str {
        &self.server
    }

    pub fn username(&self) -> Option<&str> {
        self.username.as_deref()
    }

    /// Whether a password was written into the URL.
    pub fn has_password(&self) -> bool {
        self.password.is_some()
    }

    /// Whether the server takes a password (it names a user).
    pub fn needs_password(&self) -> bool {
        self.username.is_some()
    }

    /// The URL without its password (`turn://user@host:port`): what the settings keep and
    /// what is shown.
    pub fn address(&self) -> String {
        let user = self
            .username
            .as_deref()
            .map(|u| format!("{u}@"))
            .unwrap_or_default();
        format!("{}://{user}{}{}", self.scheme, self.server, self.rest)
    }

    /// The URL with `password` in it, as webrtcbin takes it: for the share only.
    fn url_with(&self, password: &Secret) -> String {
        let user = self.username.as_deref().unwrap_or_default();
        format!(
            "{}://{user}:{}@{}{}",
            self.scheme,
            password.expose(),
            self.server,
            self.rest
        )
    }

    /// The keyring item's attributes: the application, the server and the user.
    fn attributes(&self) -> HashMap<&'static str, String> {
        HashMap::from([
            ("application", APP_ID.to_owned()),
            ("turn-server", self.server.clone()),
            ("username", self.username.clone().unwrap_or_default()),
        ])
    }

    /// The item's label, as Seahorse (Passwords and Keys) shows it.
    fn label(&self) -> String {
        format!("Reelcast TURN server {}", self.server)
    }

    /// Same server and user (the keyring item's identity).
    fn same_item(&self, other: &Self) -> bool {
        self.server == other.server && self.username == other.username
    }
}

impl fmt::Debug for TurnServer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TurnServer")
            .field("address", &self.address())
            .field("password", &self.password.as_ref().map(|_| REDACTED))
            .finish()
    }
}

/// The servers of a settings value (separated by spaces); what is no URL is left out.
pub fn turn_servers(text: &str) -> Vec<TurnServer> {
    text.split_whitespace()
        .filter_map(TurnServer::parse)
        .collect()
}

/// Whether a settings value still holds a password (an older version kept them there).
pub fn has_passwords(text: &str) -> bool {
    turn_servers(text).iter().any(TurnServer::has_password)
}

/// A server whose password could not be kept or found, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TurnProblem {
    /// Its place among the servers of the value given.
    pub index: usize,
    /// Its address, without the password.
    pub address: String,
    pub error: TurnSecretsError,
}

/// What saving gave: the addresses for the settings, and the passwords not kept.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SavedTurnServers {
    /// One per server, in order, without passwords.
    pub addresses: Vec<String>,
    /// The servers whose password could not go into the keyring.
    pub problems: Vec<TurnProblem>,
}

/// The TURN URLs for a share, passwords joined back in, and the servers left out.
#[derive(Clone, PartialEq, Eq)]
pub struct FilledTurnServers {
    /// What [`super::ShareChoices::turn`] takes (`turn://user:password@host:port`).
    pub urls: Vec<String>,
    /// The servers left out of the share, with why.
    pub problems: Vec<TurnProblem>,
}

impl fmt::Debug for FilledTurnServers {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let shown: Vec<String> = self
            .urls
            .iter()
            .map(|u| crate::signalling::redact_url(u))
            .collect();
        f.debug_struct("FilledTurnServers")
            .field("urls", &shown)
            .field("problems", &self.problems)
            .finish()
    }
}

/// The keyring, opened for TURN passwords.
pub struct TurnSecrets {
    keyring: oo7::Keyring,
}

impl TurnSecrets {
    /// Opens the default keyring (the portal's inside a sandbox, else the Secret Service's
    /// default collection). Must run on the networking runtime.
    async fn open() -> Result<Self, TurnSecretsError> {
        let keyring = oo7::Keyring::new().await.map_err(|e| classify(&e, None))?;
        Ok(Self { keyring })
    }

    /// Puts `server`'s password in the keyring, replacing the one it had. A locked keyring
    /// is asked to unlock (it may prompt the person).
    async fn store(&self, server: &TurnServer) -> Result<(), TurnSecretsError> {
        let Some(password) = &server.password else {
            return Ok(());
        };
        let secrets = [password.expose()];
        let fail = |e: oo7::Error| classify(&e, Some(&secrets));
        if self.keyring.is_locked().await.map_err(fail)? {
            self.keyring.unlock().await.map_err(fail)?;
        }
        self.keyring
            .create_item(
                &server.label(),
                &server.attributes(),
                oo7::Secret::text(password.expose()),
                true,
            )
            .await
            .map_err(fail)
    }

    /// `server`'s password, without asking the person anything: a locked item is an error.
    async fn password(&self, server: &TurnServer) -> Result<Secret, TurnSecretsError> {
        let fail = |e: oo7::Error| classify(&e, None);
        let items = self
            .keyring
            .search_items(&server.attributes())
            .await
            .map_err(fail)?;
        let Some(item) = items.first() else {
            return Err(TurnSecretsError::Missing);
        };
        if item.is_locked().await.map_err(fail)? {
            return Err(TurnSecretsError::Locked);
        }
        let secret = item.secret().await.map_err(fail)?;
        let text = std::str::from_utf8(secret.as_bytes())
            .map_err(|_| TurnSecretsError::Refused("the kept password is not text".into()))?;
        Ok(Secret::new(text))
    }

    /// Removes `server`'s password.
    async fn forget(&self, server: &TurnServer) -> Result<(), TurnSecretsError> {
        self.keyring
            .delete(&server.attributes())
            .await
            .map_err(|e| classify(&e, None))
    }

    /// Saves what the person typed: each password into the keyring, and the addresses
    /// without them to keep in the settings. The passwords of servers in `previous` that
    /// are no longer listed are removed. Runs on the networking runtime; the future only
    /// waits for its result.
    pub fn save(text: &str, previous: &str) -> impl Future<Output = SavedTurnServers> + 'static {
        let previous = turn_servers(previous);
        // A server written without its password keeps the one the previous value held (an
        // older version's, not moved yet): it is moved now rather than lost.
        let servers: Vec<TurnServer> = turn_servers(text)
            .into_iter()
            .map(|mut server| {
                if server.password.is_none() {
                    server.password = previous
                        .iter()
                        .find(|old| old.same_item(&server))
                        .and_then(|old| old.password.clone());
                }
                server
            })
            .collect();
        let gone: Vec<TurnServer> = previous
            .into_iter()
            .filter(|old| old.needs_password() && !servers.iter().any(|s| s.same_item(old)))
            .collect();
        let addresses: Vec<String> = servers.iter().map(TurnServer::address).collect();
        let fallback = addresses.clone();
        let pending: Vec<(usize, TurnServer)> = servers
            .iter()
            .cloned()
            .enumerate()
            .filter(|(_, s)| s.has_password())
            .collect();
        let work = async move {
            let mut problems = Vec::new();
            let with_passwords: Vec<(usize, &TurnServer)> = servers
                .iter()
                .enumerate()
                .filter(|(_, s)| s.has_password())
                .collect();
            if with_passwords.is_empty() && gone.is_empty() {
                return SavedTurnServers {
                    addresses,
                    problems,
                };
            }
            let outcome = tokio::time::timeout(STORE_TIMEOUT, async {
                let secrets = TurnSecrets::open().await?;
                for (index, server) in &with_passwords {
                    if let Err(error) = secrets.store(server).await {
                        problems.push(TurnProblem {
                            index: *index,
                            address: server.address(),
                            error,
                        });
                    }
                }
                for server in &gone {
                    if let Err(e) = secrets.forget(server).await {
                        tracing::debug!("the password of {} stays: {e}", server.address());
                    }
                }
                Ok::<_, TurnSecretsError>(())
            })
            .await
            .unwrap_or(Err(TurnSecretsError::TimedOut(STORE_TIMEOUT)));
            if let Err(error) = outcome {
                // Nothing could be kept (or not in time): every password counts as not kept.
                problems = with_passwords
                    .iter()
                    .map(|(index, server)| TurnProblem {
                        index: *index,
                        address: server.address(),
                        error: error.clone(),
                    })
                    .collect();
            }
            SavedTurnServers {
                addresses,
                problems,
            }
        };
        let failed = move |error: TurnSecretsError| SavedTurnServers {
            problems: problem_for_all(&pending, error),
            addresses: fallback,
        };
        on_runtime(work, failed)
    }

    /// The URLs for a share: each server that names a user gets its password from the
    /// keyring; a server whose password cannot be had (no keyring, locked, missing) is left
    /// out, with why. A URL that still holds its password is used as it is. Runs on the
    /// networking runtime; the future only waits for its result.
    pub fn fill_in(addresses: &[String]) -> impl Future<Output = FilledTurnServers> + 'static {
        let servers: Vec<TurnServer> = addresses
            .iter()
            .filter_map(|a| TurnServer::parse(a))
            .collect();
        let all: Vec<(usize, TurnServer)> = servers.iter().cloned().enumerate().collect();
        let work = async move {
            let needed = servers
                .iter()
                .any(|s| s.needs_password() && !s.has_password());
            let secrets = if needed {
                match tokio::time::timeout(LOOKUP_TIMEOUT, TurnSecrets::open()).await {
                    Ok(result) => result,
                    Err(_) => Err(TurnSecretsError::TimedOut(LOOKUP_TIMEOUT)),
                }
            } else {
                Err(TurnSecretsError::Missing)
            };
            let mut filled = FilledTurnServers {
                urls: Vec::new(),
                problems: Vec::new(),
            };
            for (index, server) in servers.iter().enumerate() {
                let found = match (&server.password, &secrets) {
                    (Some(password), _) => Ok(password.clone()),
                    (None, _) if !server.needs_password() => {
                        filled.urls.push(server.address());
                        continue;
                    }
                    (None, Err(e)) => Err(e.clone()),
                    (None, Ok(secrets)) => {
                        tokio::time::timeout(LOOKUP_TIMEOUT, secrets.password(server))
                            .await
                            .unwrap_or(Err(TurnSecretsError::TimedOut(LOOKUP_TIMEOUT)))
                    }
                };
                match found {
                    Ok(password) => filled.urls.push(server.url_with(&password)),
                    Err(error) => filled.problems.push(TurnProblem {
                        index,
                        address: server.address(),
                        error,
                    }),
                }
            }
            filled
        };
        let failed = move |error: TurnSecretsError| FilledTurnServers {
            urls: Vec::new(),
            problems: problem_for_all(&all, error),
        };
        on_runtime(work, failed)
    }
}

fn problem_for_all(servers: &[(usize, TurnServer)], error: TurnSecretsError) -> Vec<TurnProblem> {
    servers
        .iter()
        .map(|(index, server)| TurnProblem {
            index: *index,
            address: server.address(),
            error: error.clone(),
        })
        .collect()
}

/// Runs `work` on the networking runtime; the future returned waits on a channel only, so
/// any executor may await it. Should the task end without an answer, `failed` makes one.
fn on_runtime<T: Send + 'static>(
    work: impl Future<Output = T> + Send + 'static,
    failed: impl FnOnce(TurnSecretsError) -> T + 'static,
) -> impl Future<Output = T> + 'static {
    let (tx, rx) = flume::bounded(1);
    runtime().spawn(async move {
        let _ = tx.send(work.await);
    });
    async move {
        match rx.recv_async().await {
            Ok(result) => result,
            Err(_) => failed(TurnSecretsError::Refused(
                "the keyring's task ended without an answer".into(),
            )),
        }
    }
}

/// Names what went wrong, in the terms the person can act on; `secrets` are taken out of
/// any text the keyring sent back.
fn classify(error: &oo7::Error, secrets: Option<&[&str]>) -> TurnSecretsError {
    use oo7::dbus::{Error as DBus, ServiceError};
    use oo7::zbus::Error as ZBus;
    let text = |e: &dyn fmt::Display| redact_text(&e.to_string(), secrets.unwrap_or_default());
    let from_zbus = |e: &ZBus| match e {
        ZBus::MethodError(name, _, _)
            if name.as_str() == "org.freedesktop.DBus.Error.ServiceUnknown"
                || name.as_str() == "org.freedesktop.DBus.Error.NameHasNoOwner" =>
        {
            TurnSecretsError::NoService("nothing provides org.freedesktop.secrets".into())
        }
        ZBus::FDO(e)
            if matches!(
                **e,
                oo7::zbus::fdo::Error::ServiceUnknown(_) | oo7::zbus::fdo::Error::NameHasNoOwner(_)
            ) =>
        {
            TurnSecretsError::NoService("nothing provides org.freedesktop.secrets".into())
        }
        ZBus::Address(_) | ZBus::Connection(..) | ZBus::InputOutput(_) | ZBus::Handshake(_) => {
            TurnSecretsError::NoService(format!("no session bus ({})", text(e)))
        }
        _ => TurnSecretsError::Refused(text(e)),
    };
    match error {
        oo7::Error::DBus(DBus::ZBus(e))
        | oo7::Error::DBus(DBus::Service(ServiceError::ZBus(e))) => from_zbus(e),
        oo7::Error::DBus(DBus::Service(ServiceError::IsLocked(_))) => TurnSecretsError::Locked,
        oo7::Error::DBus(DBus::Dismissed) => TurnSecretsError::Dismissed,
        oo7::Error::File(oo7::file::Error::Locked) => TurnSecretsError::Locked,
        other => TurnSecretsError::Refused(text(other)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_url_splits_into_its_address_and_password() {
        let server = TurnServer::parse("turn://alice:hunter2@turn.example.org:3478").unwrap();
        assert_eq!(server.address(), "turn://alice@turn.example.org:3478");
        assert_eq!(server.server(), "turn.example.org:3478");
        assert_eq!(server.username(), Some("alice"));
        assert!(server.has_password());
        assert_eq!(
            server.url_with(server.password.as_ref().unwrap()),
            "turn://alice:hunter2@turn.example.org:3478"
        );
        let debug = format!("{server:?}");
        assert!(!debug.contains("hunter2"), "{debug}");
    }

    #[test]
    fn passwords_may_hold_colons_at_signs_and_slashes() {
        let server =
            TurnServer::parse("turns://bob:p:a@s/s?x@10.0.0.1:5349?transport=tcp").unwrap();
        assert_eq!(server.address(), "turns://bob@10.0.0.1:5349?transport=tcp");
        assert_eq!(server.password.as_ref().unwrap().expose(), "p:a@s/s?x");
        assert_eq!(
            server.url_with(&Secret::new("p:a@s/s?x")),
            "turns://bob:p:a@s/s?x@10.0.0.1:5349?transport=tcp"
        );
    }

    #[test]
    fn addresses_without_a_password_stay_as_they_are() {
        for text in [
            "turn://alice@10.0.0.1:3478",
            "turn://10.0.0.1:3478?transport=udp",
        ] {
            let server = TurnServer::parse(text).unwrap();
            assert_eq!(server.address(), text);
            assert!(!server.has_password());
        }
        assert!(!TurnServer::parse("turn://10.0.0.1:3478")
            .unwrap()
            .needs_password());
        assert!(TurnServer::parse("not a url").is_none());
        assert!(has_passwords("stun://x turn://a:b@h:1"));
        assert!(!has_passwords("turn://a@h:1 turn://h:2"));
    }

    #[test]
    fn items_are_named_for_people_and_found_by_server_and_user() {
        let server = TurnServer::parse("turn://alice:pw@turn.example.org:3478").unwrap();
        assert_eq!(server.label(), "Reelcast TURN server turn.example.org:3478");
        let attributes = server.attributes();
        assert_eq!(attributes["application"], APP_ID);
        assert_eq!(attributes["turn-server"], "turn.example.org:3478");
        assert_eq!(attributes["username"], "alice");
    }

    #[test]
    fn filled_servers_never_show_their_passwords() {
        let filled = FilledTurnServers {
            urls: vec!["turn://alice:hunter2@h:1".into()],
            problems: Vec::new(),
        };
        assert!(!format!("{filled:?}").contains("hunter2"));
    }
}
