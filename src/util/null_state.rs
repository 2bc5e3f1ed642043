//! Shutting elements down to NULL, children included, and taking them out of their bin.

use gst::prelude::*;

/// Shuts `elements` down and removes them from `bin`.
pub fn remove_elements(bin: &gst::Bin, elements: &[&gst::Element]) {
    for element in elements {
        stop_fully(element);
    }
    let _ = bin.remove_many(elements.iter().copied());
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
