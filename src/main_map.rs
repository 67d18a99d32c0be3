//! Capture files read in place (`--mmap`): a regular file is mapped into
//! memory and its packets are handed to the dissection where they lie, so
//! no byte is copied into a read buffer. Pages far behind the reader are
//! given back, so the resident size stays that of a few MiB of the file.
//!
//! Not the default: on the benchmark captures it measured no faster than
//! large read()s (the copy it saves moves to the first touch of each page)
//! and holds about 15 MiB more; and a file truncated by another program
//! while it is mapped makes the process fail with SIGBUS.

use cephshark::capture::SharedBytes;
use std::fs::File;
use std::sync::atomic::{AtomicBool, Ordering};

/// `--mmap`: regular files are mapped.
static MMAP: AtomicBool = AtomicBool::new(false);

/// Map regular files from now on (`--mmap`).
pub(crate) fn enable() {
    MMAP.store(true, Ordering::Relaxed);
}

/// `file` mapped for reading in place, or `None` when it should be read
/// (no `--mmap`, not a regular file, empty, or the mapping refused).
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
        // what is read, as it would for read(); truncating it ends the
        // process with SIGBUS (said in the module's text and `--mmap`'s).
        let map = unsafe { Mmap::map(file) }.ok()?;
        let _ = map.advise(Advice::Sequential);
        Some(Arc::new(MappedFile {
            map,
            page: page_size(),
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
