//! Giving freed memory back to the system.

/// Returns the heap's free pages to the system. A viewer's webrtcbin frees hundreds of small
/// allocations spread over glibc's arenas; without this, the process keeps them mapped, and a
/// long share with viewers coming and going grows by megabytes it no longer uses.
pub fn release_freed_memory() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: malloc_trim only walks glibc's own heap bookkeeping; it takes no pointers.
    unsafe {
        libc::malloc_trim(0);
    }
}
