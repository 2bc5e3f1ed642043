//! What a viewer's ICE candidates may be: short plain text, and only so many per viewer.
//! Anything else is refused before it reaches webrtcbin (a NUL byte would abort GLib's string
//! conversion, and one viewer's flood of candidates would keep its ICE agent busy).

/// Longest candidate taken: real ones are under 300 bytes, extensions included.
pub const MAX_CANDIDATE_LEN: usize = 1024;
/// Most candidates taken from one viewer: a browser on a busy machine sends a few dozen.
pub const MAX_CANDIDATES: u32 = 100;

/// Why a viewer's candidate was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CandidateError {
    #[error("an ICE candidate of {0} bytes (at most {MAX_CANDIDATE_LEN}) refused")]
    TooLong(usize),
    #[error("an ICE candidate with control character {0:#04x} refused")]
    ControlCharacter(u8),
    #[error("more than {MAX_CANDIDATES} ICE candidates: the rest are refused")]
    TooMany,
}

/// Checks one candidate line from a viewer. Never panics.
pub fn check_candidate(candidate: &str) -> Result<(), CandidateError> {
    if candidate.len() > MAX_CANDIDATE_LEN {
        return Err(CandidateError::TooLong(candidate.len()));
    }
    match candidate.bytes().find(|b| b.is_ascii_control()) {
        Some(b) => Err(CandidateError::ControlCharacter(b)),
        None => Ok(()),
    }
}

/// Whether a server the far side names can be given to webrtcbin (plain, bounded text).
pub(crate) fn is_plain(text: &str) -> bool {
    text.len() <= MAX_CANDIDATE_LEN && !text.bytes().any(|b| b.is_ascii_control())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn real_candidates_pass_and_hostile_ones_do_not() {
        let real = "candidate:842163049 1 udp 1677729535 10.99.0.2 46154 typ srflx raddr \
                    0.0.0.0 rport 0 generation 0 ufrag sXHz network-cost 999";
        assert_eq!(check_candidate(real), Ok(()));
        assert_eq!(check_candidate(""), Ok(()), "end of candidates");
        assert_eq!(
            check_candidate("candidate:1 1 udp 1 10.0.0.1 9 typ host\0"),
            Err(CandidateError::ControlCharacter(0))
        );
        assert_eq!(
            check_candidate("candidate:1\r\na=evil"),
            Err(CandidateError::ControlCharacter(b'\r'))
        );
        assert_eq!(
            check_candidate(&"x".repeat(300 * 1024)),
            Err(CandidateError::TooLong(300 * 1024))
        );
        assert!(is_plain("turn://u:p@10.0.0.1:3478"));
        assert!(!is_plain("turn://u:p@10.0.0.1:3478\0"));
    }
}
