//! The share's decisions as pure functions: which kinds each viewer gets (how much of the
//! picture is [`super::controller`]'s). No GStreamer here, so unit tests drive every case.

use crate::media::MediaKind;

/// The kinds a new viewer is offered: what the source has, when the player has said (its
/// tracks start a moment apart, and a viewer joining in between would otherwise be offered
/// one kind and renegotiate at once); else what is captured now, or both before anything is.
pub(crate) fn offered_kinds(
    source: Option<&[MediaKind]>,
    captured: &[MediaKind],
) -> Vec<MediaKind> {
    match source {
        Some(source) if !source.is_empty() => MediaKind::ALL
            .into_iter()
            .filter(|k| source.contains(k))
            .collect(),
        _ if captured.is_empty() => MediaKind::ALL.to_vec(),
        _ => captured.to_vec(),
    }
}

/// The kinds a viewer should be sent now that it is sent `active`, or `None` to leave it as
/// it is (the web's addTrack()/removeTrack() and a new offer). The source's kinds count once
/// all of them are captured (tracks start a moment apart); a kind is switched off only when
/// the source says it has none, never on a guess from tracks not here yet. Nothing captured
/// at all (a stopped or broken source) is no reason: the viewers keep what they have.
pub(crate) fn kinds_to_send(
    source: Option<&[MediaKind]>,
    captured: &[MediaKind],
    active: &[MediaKind],
) -> Option<Vec<MediaKind>> {
    if captured.is_empty() {
        return None;
    }
    let kinds: Vec<MediaKind> = match source {
        Some(source) if source.iter().all(|k| captured.contains(k)) => MediaKind::ALL
            .into_iter()
            .filter(|k| source.contains(k))
            .collect(),
        Some(_) => return None,
        None => MediaKind::ALL
            .into_iter()
            .filter(|k| active.contains(k) || captured.contains(k))
            .collect(),
    };
    (!kinds.is_empty() && kinds != active).then_some(kinds)
}

#[cfg(test)]
mod tests {
    use super::*;
    use MediaKind::{Audio, Video};

    #[test]
    fn a_viewer_is_offered_what_the_source_has() {
        assert_eq!(offered_kinds(None, &[]), vec![Video, Audio]);
        assert_eq!(offered_kinds(None, &[Audio]), vec![Audio]);
        // The audio track came first; the video one is on its way.
        assert_eq!(
            offered_kinds(Some(&[Audio, Video]), &[Audio]),
            vec![Video, Audio]
        );
        assert_eq!(offered_kinds(Some(&[Audio]), &[]), vec![Audio]);
    }

    #[test]
    fn kinds_change_only_on_what_the_source_holds() {
        // Nothing captured (a stopped or broken source): leave the viewer alone.
        assert_eq!(kinds_to_send(Some(&[Audio]), &[], &[Video, Audio]), None);
        // The source said video+audio but only audio is captured yet: wait.
        assert_eq!(
            kinds_to_send(Some(&[Video, Audio]), &[Audio], &[Audio]),
            None
        );
        // An audio-only source, all captured: video is switched off.
        assert_eq!(
            kinds_to_send(Some(&[Audio]), &[Audio], &[Video, Audio]),
            Some(vec![Audio])
        );
        // Without word from the source, kinds are only added.
        assert_eq!(kinds_to_send(None, &[Audio], &[Video, Audio]), None);
        assert_eq!(
            kinds_to_send(None, &[Video, Audio], &[Audio]),
            Some(vec![Video, Audio])
        );
        // Same kinds: nothing to do.
        assert_eq!(
            kinds_to_send(Some(&[Video, Audio]), &[Video, Audio], &[Video, Audio]),
            None
        );
    }
}
