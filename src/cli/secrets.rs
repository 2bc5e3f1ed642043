//! Secrets for a share from where other users cannot read them: files and the environment,
//! never the arguments (anyone on the computer reads those, in `ps` or `/proc/PID/cmdline`).

use std::path::Path;

use crate::signalling::{
    is_secret_parameter, redact_url, Secret, SignallingSecrets, JANUS_PIN_VARIABLE,
};

/// TURN servers with credentials, `turn://user:password@host:port`, separated by spaces.
pub const TURN_VARIABLE: &str = "REELCAST_TURN";

const READABLE_BY_ALL: &str = "every user of this computer can read the command line \
                               (ps, /proc/PID/cmdline)";

/// A secret where it does not belong, or a secret file that cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SecretArgsError {
    #[error(
        "--turn {shown}: no TURN password on the command line, {READABLE_BY_ALL}; put the URL \
         in a file for --turn-file, or in {TURN_VARIABLE}"
    )]
    TurnPassword { shown: String },
    #[error(
        "--signalling {shown}: no Janus pin on the command line, {READABLE_BY_ALL}; put the pin \
         in a file for --janus-pin-file, or in {JANUS_PIN_VARIABLE}"
    )]
    JanusPin { shown: String },
    #[error("{path}: cannot read {what} ({cause})")]
    Unreadable {
        path: String,
        what: &'static str,
        cause: String,
    },
    #[error("{path}: no {what} in this file")]
    Empty { path: String, what: &'static str },
}

/// Where the command line's secrets come from.
pub struct SecretSources<'a> {
    pub signalling: Option<&'a str>,
    pub turn: &'a [String],
    pub turn_file: Option<&'a Path>,
    pub janus_pin_file: Option<&'a Path>,
    pub whip_token_file: Option<&'a Path>,
    pub turn_secret_file: Option<&'a Path>,
    pub allow_insecure: bool,
}

/// What the command line's secrets are: the TURN servers (arguments without credentials,
/// then the file's, then the environment's) and the Janus pin, WHIP token and TURN shared
/// secret (from files; unset, the share reads the environment).
pub fn read_secrets(
    sources: &SecretSources,
) -> Result<(Vec<String>, SignallingSecrets), SecretArgsError> {
    if let Some(turn) = sources.turn.iter().find(|t| has_password(t)) {
        return Err(SecretArgsError::TurnPassword {
            shown: redact_url(turn),
        });
    }
    if let Some(url) = sources.signalling {
        let secret_names: Vec<&str> = query_names(url)
            .filter(|name| is_secret_parameter(name))
            .collect();
        if secret_names.iter().any(|n| n.eq_ignore_ascii_case("pin")) {
            return Err(SecretArgsError::JanusPin {
                shown: redact_url(url),
            });
        }
        if let Some(name) = secret_names.first() {
            tracing::warn!(
                "--signalling {}: its {name} is a secret, and {READABLE_BY_ALL}",
                redact_url(url)
            );
        }
    }
    let mut turn = sources.turn.to_vec();
    if let Some(path) = sources.turn_file {
        let text = read_file(path, "TURN servers")?;
        let servers: Vec<String> = text
            .lines()
            .map(str::trim)
            .filter(|l| !l.is_empty() && !l.starts_with('#'))
            .map(str::to_owned)
            .collect();
        if servers.is_empty() {
            return Err(empty(path, "TURN servers"));
        }
        turn.extend(servers);
    }
    if let Ok(servers) = std::env::var(TURN_VARIABLE) {
        turn.extend(servers.split_whitespace().map(str::to_owned));
    }
    let one_line =
        |path: Option<&Path>, what: &'static str| -> Result<Option<Secret>, SecretArgsError> {
            let Some(path) = path else { return Ok(None) };
            let text = read_file(path, what)?;
            let line = text.lines().map(str::trim).find(|l| !l.is_empty());
            line.map(|l| Some(Secret::new(l)))
                .ok_or_else(|| empty(path, what))
        };
    let secrets = SignallingSecrets {
        janus_pin: one_line(sources.janus_pin_file, "the Janus pin")?,
        whip_token: one_line(sources.whip_token_file, "the WHIP token")?,
        turn_secret: one_line(sources.turn_secret_file, "the TURN shared secret")?,
        allow_insecure: sources.allow_insecure,
    };
    Ok((turn, secrets))
}

/// `scheme://user:password@host…`: credentials in the URL.
fn has_password(url: &str) -> bool {
    let Some(rest) = url.split_once("://").map(|(_, rest)| rest) else {
        return false;
    };
    let authority = rest.split(['/', '?', '#']).next().unwrap_or("");
    authority.contains('@')
}

fn query_names(url: &str) -> impl Iterator<Item = &str> {
    let query = url
        .split('#')
        .next()
        .and_then(|u| u.split_once('?'))
        .map_or("", |(_, q)| q);
    query
        .split('&')
        .filter_map(|pair| pair.split('=').next())
        .filter(|name| !name.is_empty())
}

fn read_file(path: &Path, what: &'static str) -> Result<String, SecretArgsError> {
    let text = std::fs::read_to_string(path).map_err(|e| SecretArgsError::Unreadable {
        path: path.display().to_string(),
        what,
        cause: e.to_string(),
    })?;
    warn_if_readable_by_all(path);
    Ok(text)
}

fn warn_if_readable_by_all(path: &Path) {
    use std::os::unix::fs::PermissionsExt;
    let mode = std::fs::metadata(path).map_or(0, |m| m.permissions().mode());
    if mode & 0o004 != 0 {
        tracing::warn!(
            "{}: every user of this computer can read this secret; chmod o-r it",
            path.display()
        );
    }
}

fn empty(path: &Path, what: &'static str) -> SecretArgsError {
    SecretArgsError::Empty {
        path: path.display().to_string(),
        what,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sources<'a>(signalling: Option<&'a str>, turn: &'a [String]) -> SecretSources<'a> {
        SecretSources {
            signalling,
            turn,
            turn_file: None,
            janus_pin_file: None,
            whip_token_file: None,
            turn_secret_file: None,
            allow_insecure: false,
        }
    }

    #[test]
    fn secrets_in_arguments_are_refused_without_being_repeated() {
        let turn = ["turn://alice:hunter2@10.0.0.1:3478".to_owned()];
        let e = read_secrets(&sources(None, &turn)).unwrap_err().to_string();
        assert!(
            e.contains("--turn-file") && e.contains(TURN_VARIABLE),
            "{e}"
        );
        assert!(!e.contains("hunter2"), "{e}");
        let url = "janus+ws://10.0.0.1:8188/?room=1&pin=s3cret";
        let e = read_secrets(&sources(Some(url), &[]))
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("--janus-pin-file") && !e.contains("s3cret"),
            "{e}"
        );
        let plain = ["turn://10.0.0.1:3478".to_owned()];
        let (servers, secrets) = read_secrets(&sources(Some("ws://h:1/"), &plain)).unwrap();
        assert_eq!(servers, plain);
        assert_eq!(secrets, SignallingSecrets::default());
    }

    #[test]
    fn secrets_come_from_files() {
        let dir = tempfile::tempdir().unwrap();
        let turn = dir.path().join("turn");
        std::fs::write(&turn, "# ours\nturn://u:p@10.0.0.1:3478\n\n").unwrap();
        let pin = dir.path().join("pin");
        std::fs::write(&pin, "\n  s3cret \n").unwrap();
        let blank = dir.path().join("blank");
        std::fs::write(&blank, "\n").unwrap();
        let mut s = sources(None, &[]);
        s.turn_file = Some(&turn);
        s.janus_pin_file = Some(&pin);
        let (servers, secrets) = read_secrets(&s).unwrap();
        assert!(servers.contains(&"turn://u:p@10.0.0.1:3478".to_owned()));
        assert_eq!(secrets.janus_pin.unwrap().expose(), "s3cret");
        let shared = dir.path().join("turn-secret");
        std::fs::write(&shared, "north-wind-secret\n").unwrap();
        s.turn_secret_file = Some(&shared);
        let (_, secrets) = read_secrets(&s).unwrap();
        assert_eq!(secrets.turn_secret.unwrap().expose(), "north-wind-secret");
        s.whip_token_file = Some(&blank);
        assert!(matches!(
            read_secrets(&s),
            Err(SecretArgsError::Empty { .. })
        ));
        s.whip_token_file = Some(Path::new("/nonexistent/token"));
        let e = read_secrets(&s).unwrap_err().to_string();
        assert!(
            e.starts_with("/nonexistent/token: cannot read the WHIP token"),
            "{e}"
        );
    }
}
