//! The C allocator's large-buffer policy, set once at start.
//!
//! A frame of a 4 MiB write is one 4 MiB buffer (reassembled, then
//! decrypted into its own buffer), freed once its row is read. By default
//! glibc serves such a size with mmap and gives it back with munmap on
//! free (M_MMAP_THRESHOLD, 128 KiB, raised only as far as the largest
//! chunk freed, and M_TRIM_THRESHOLD returning the heap's free top): every
//! large frame is then fresh pages, zeroed by the kernel and faulted in
//! one by one. On a secure capture of 4 MiB objects that was half the run
//! (page faults and clearing). Serving them from the heap and keeping
//! freed memory for the next frame removes it; peak RSS does not change,
//! since memory is kept only after it was in use at once anyway.

/// Buffers up to this size come from the heap, not mmap.
#[cfg(all(target_os = "linux", target_env = "gnu"))]
const MMAP_THRESHOLD: i32 = 64 << 20;
/// Free memory at the heap's top kept up to this size.
#[cfg(all(target_os = "linux", target_env = "gnu"))]
const TRIM_THRESHOLD: i32 = 128 << 20;

/// Set the policy (glibc only; elsewhere the allocator is left as it is).
pub fn tune() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: mallopt only changes allocator parameters; it is called
    // before any other thread exists, with options glibc defines
    // (malloc.h M_MMAP_THRESHOLD, M_TRIM_THRESHOLD) and values in range.
    // Its result (0 when a value is refused) leaves the default in place.
    unsafe {
        libc::mallopt(libc::M_MMAP_THRESHOLD, MMAP_THRESHOLD);
        libc::mallopt(libc::M_TRIM_THRESHOLD, TRIM_THRESHOLD);
    }
}
