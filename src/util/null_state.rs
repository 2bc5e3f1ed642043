//! Shutting elements down to NULL, children included, and taking them out of their bin.

use gst::prelude::*;

/// Shuts `elements` down and removes them from `bin`. Their state is locked first: a state
/// change of the bin running on another thread (a capture attached, the player paused) could
/// otherwise take them back to PLAYING between their shutdown and their removal, and they
/// were then freed in PLAYING with a streaming thread still holding their lock (a
/// `g_mutex_clear` abort in `tests/capture.rs`, after GStreamer's "dispose in PLAYING").
pub fn remove_elements(bin: &gst::Bin, elements: &[&gst::Element]) {
    for element in elements {
        element.set_locked_state(true);
        stop_fully(element);
    }
    let _ = bin.remove_many(elements.iter().copied());
    for element in elements {
        if element.current_state() != gst::State::Null {
            stop_fully(element);
        }
    }
}

/// Sets an element to NULL, and every element inside it too: webrtcbin keeps some children
/// (rtpbin's jitterbuffers) in a locked state that a plain state change skips, and freeing
/// them while PAUSED warns and can crash their still-running threads.
pub fn stop_fully(element: &gst::Element) {
    let _ = element.set_state(gst::State::Null);
    if let Some(bin) = element.downcast_ref::<gst::Bin>() {
        for child in bin.iterate_recurse().into_iter().flatten() {
            if child.current_state() != gst::State::Null {
                let _ = child.set_state(gst::State::Null);
            }
        }
    }
}
