//! Capture files read in place: a regular file is mapped into memory and
//! its packets are handed to the dissection where they lie, so no byte is
//! copied into a read buffer. Pages far behind the reader are given back,
//! so the resident size stays that of a few MiB of the file.
//!
//! The default when the dissection runs on more than one thread: on the
//! benchmark captures it measured faster there (the reading thread, which
//! then bounds the run, no longer copies every byte out of the page
//! cache). With one thread it measured no faster on the MTU-1500 capture
//! (the first touch of each page costs about what the copy did, on the one
//! thread), so a single thread reads. `--mmap` and `--no-mmap` choose.
//!
//! A mapped file truncated by another program while it is read would end
//! the process with SIGBUS at the first byte past the new end; a handler
//! for SIGBUS at an address inside a mapped capture says so and exits with
//! status 2 instead (`guard`).

use cephshark::capture::SharedBytes;
use std::fs::File;
use std::sync::atomic::{AtomicBool, Ordering};

/// Whether regular files are mapped (settled by [`choose`]).
static MMAP: AtomicBool = AtomicBool::new(true);

/// Settle how regular files are read: `--no-mmap` reads, `--mmap` maps,
/// else they are mapped when more than one thread dissects (`-j`, or the
/// machine's cores).
pub(crate) fn choose(mmap: bool, no_mmap: bool, jobs: Option<u16>) {
    let threads = jobs.map_or_else(super::input::cores, usize::from);
    MMAP.store(!no_mmap && (mmap || threads > 1), Ordering::Relaxed);
}

/// `file` mapped for reading in place, or `None` when it should be read
/// (`--no-mmap` or one thread, not a regular file, empty, or the mapping
/// refused).
pub(crate) fn map(file: &File) -> Option<SharedBytes> {
    if !MMAP.load(Ordering::Relaxed) {
        return None;
    }
    imp::map(file)
}

#[cfg(not(unix))]
mod imp {
    pub(super) fn map(_: &std::fs::File) -> Option<cephshark::capture::SharedBytes> {
        None
    }
}

#[cfg(unix)]
mod imp {
    use cephshark::capture::{Mapped, SharedBytes};
    use memmap2::{Advice, Mmap, UncheckedAdvice};
    use std::fs::File;
    use std::ops::Range;
    use std::sync::Arc;

    /// Files smaller than this are read (an empty file cannot be mapped).
    const SMALLEST: u64 = 1;

    /// A file's bytes, mapped read-only.
    struct MappedFile {
        map: Mmap,
        page: usize,
        /// Its place among the mappings the SIGBUS handler knows.
        watched: Option<usize>,
    }

    impl Drop for MappedFile {
        fn drop(&mut self) {
            if let Some(slot) = self.watched {
                super::guard::forget(slot);
            }
        }
    }

    impl Mapped for MappedFile {
        fn bytes(&self) -> &[u8] {
            &self.map
        }

        fn release(&self, range: Range<usize>) {
            // Whole pages only, inside the mapping.
            let start = range.start.div_ceil(self.page).saturating_mul(self.page);
            let end = (range.end.min(self.map.len()) / self.page).saturating_mul(self.page);
            if end <= start {
                return;
            }
            // SAFETY: MADV_DONTNEED on a read-only shared file mapping only
            // drops the page-table entries of these pages; touched again, they
            // are read back from the page cache with the same bytes, so any
            // slice of the mapping still held stays valid and unchanged.
            let _ = unsafe {
                self.map
                    .unchecked_advise_range(UncheckedAdvice::DontNeed, start, end - start)
            };
        }
    }

    pub(super) fn map(file: &File) -> Option<SharedBytes> {
        let meta = file.metadata().ok()?;
        if !meta.is_file() || meta.len() < SMALLEST {
            return None;
        }
        // SAFETY: the mapping is read-only and private to this process's
        // reading; its bytes are only read as plain bytes (every length and
        // offset in them is checked before use, as for bytes read with
        // read()). Another program changing the file meanwhile would change
        // what is read, as it would for read(); truncating it raises
        // SIGBUS at the first byte read past the new end, which `guard`
        // turns into an error message and exit status 2.
        let map = unsafe { Mmap::map(file) }.ok()?;
        let _ = map.advise(Advice::Sequential);
        let watched = super::guard::watch(&map);
        Some(Arc::new(MappedFile {
            map,
            page: page_size(),
            watched,
        }))
    }

    /// The system's page size (4 KiB when it cannot be asked).
    fn page_size() -> usize {
        #[cfg(all(target_os = "linux", target_env = "gnu"))]
        {
            // SAFETY: sysconf only reads a system constant.
            let n = unsafe { libc::sysconf(libc::_SC_PAGESIZE) };
            if let Ok(n) = usize::try_from(n) {
                if n.is_power_of_two() {
                    return n;
                }
            }
        }
        4096
    }
}

/// SIGBUS inside a mapped capture: the file shrank while it was read.
#[cfg(target_os = "linux")]
mod guard {
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::sync::OnceLock;

    /// The mappings watched: first and last-plus-one address, 0 when free.
    static WATCHED: [(AtomicUsize, AtomicUsize); 8] =
        [const { (AtomicUsize::new(0), AtomicUsize::new(0)) }; 8];
    /// Whether the handler is installed (tried once).
    static INSTALLED: OnceLock<bool> = OnceLock::new();

    const MESSAGE: &[u8] = b"cephshark: a capture file was truncated while it was being read \
(it is mapped into memory; --no-mmap reads it with read() instead)\n";

    /// Watch `bytes` (a mapping); the slot to [`forget`] it by, `None`
    /// when every slot is taken (a truncation then ends the process with
    /// SIGBUS as before) or the handler could not be installed.
    pub(super) fn watch(bytes: &[u8]) -> Option<usize> {
        if !*INSTALLED.get_or_init(install) {
            return None;
        }
        let start = bytes.as_ptr() as usize;
        let end = start.checked_add(bytes.len())?;
        WATCHED.iter().position(|(s, e)| {
            let free = s
                .compare_exchange(0, start, Ordering::SeqCst, Ordering::SeqCst)
                .is_ok();
            if free {
                e.store(end, Ordering::SeqCst);
            }
            free
        })
    }

    /// Stop watching a mapping about to be unmapped.
    pub(super) fn forget(slot: usize) {
        if let Some((s, e)) = WATCHED.get(slot) {
            e.store(0, Ordering::SeqCst);
            s.store(0, Ordering::SeqCst);
        }
    }

    /// Install [`on_bus`] for SIGBUS; whether it was.
    fn install() -> bool {
        // SAFETY: a zeroed sigaction is a valid value to fill in; the
        // handler is an `extern "C"` function of the signature SA_SIGINFO
        // asks for, and only calls async-signal-safe functions.
        unsafe {
            let mut action: libc::sigaction = std::mem::zeroed();
            action.sa_sigaction = on_bus as *const () as usize;
            action.sa_flags = libc::SA_SIGINFO;
            libc::sigemptyset(&mut action.sa_mask);
            libc::sigaction(libc::SIGBUS, &action, std::ptr::null_mut()) == 0
        }
    }

    /// SIGBUS: inside a watched mapping, say so and exit 2; elsewhere put
    /// the default action back, so that the fault, raised again, ends the
    /// process as it would have.
    extern "C" fn on_bus(_: libc::c_int, info: *mut libc::siginfo_t, _: *mut libc::c_void) {
        // SAFETY: the kernel passes a valid siginfo_t with SA_SIGINFO; for
        // SIGBUS si_addr is the faulting address. write, _exit and signal
        // are async-signal-safe; the atomics are lock-free loads.
        unsafe {
            let addr = if info.is_null() {
                0
            } else {
                (*info).si_addr() as usize
            };
            let ours = WATCHED.iter().any(|(s, e)| {
                let (s, e) = (s.load(Ordering::SeqCst), e.load(Ordering::SeqCst));
                s != 0 && s <= addr && addr < e
            });
            if ours {
                libc::write(2, MESSAGE.as_ptr().cast(), MESSAGE.len());
                libc::_exit(2);
            }
            libc::signal(libc::SIGBUS, libc::SIG_DFL);
        }
    }
}

/// Elsewhere a truncated mapped file ends the process with SIGBUS.
#[cfg(not(target_os = "linux"))]
mod guard {
    pub(super) fn watch(_: &[u8]) -> Option<usize> {
        None
    }

    pub(super) fn forget(_: usize) {}
}
