//! Where an installed Reelcast keeps its data: `PREFIX/share` beside `PREFIX/bin/reelcast`, as
//! `meson install` lays it out. A binary run from the build tree has none.

use std::path::PathBuf;

/// `PREFIX/share/SUBDIR` when the running binary is installed and that folder exists.
pub fn installed(subdir: &str) -> Option<PathBuf> {
    let exe = std::env::current_exe().ok()?;
    let dir = exe.parent()?.parent()?.join("share").join(subdir);
    dir.is_dir().then_some(dir)
}
