//! Ending cleanly on SIGINT, SIGTERM and SIGHUP.
//!
//! While [`Signals`] is installed, the first of these signals is only
//! recorded: the listing, `verify` and the terminal UI look at it between
//! packets (or between screen updates), stop, report what they have, put
//! the terminal back, and exit with the conventional status, 128 plus the
//! signal's number ([`exit_status`]). A second one ends the process at
//! once, as if it had not been caught, in case the first is never seen
//! (a read from a pipe that waits for bytes). In the terminal UI, raw mode
//! turns Ctrl-C into a key, which quits as before.
//!
//! signal-hook does the handler side: its handlers only store to atomics,
//! so nothing here runs in signal context.

use signal_hook::consts::{SIGINT, SIGTERM};
use signal_hook::flag;
use std::io;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;

/// The signals caught: interrupt, terminate, and (on Unix) hang-up.
pub const CAUGHT: &[i32] = &[
    SIGINT,
    SIGTERM,
    #[cfg(unix)]
    signal_hook::consts::SIGHUP,
];

/// Termination signals recorded while installed.
#[derive(Debug)]
pub struct Signals {
    /// The number of the first signal caught, 0 before any.
    caught: Arc<AtomicUsize>,
    /// Set by any signal; once set, the next one takes its default action.
    any: Arc<AtomicBool>,
}

impl Signals {
    /// Start recording [`CAUGHT`] signals.
    pub fn install() -> io::Result<Signals> {
        let caught = Arc::new(AtomicUsize::new(0));
        let any = Arc::new(AtomicBool::new(false));
        for &sig in CAUGHT {
            let number = usize::try_from(sig).unwrap_or_default();
            // Actions run in the order registered: the default action
            // applies only if an earlier signal already set `any`.
            flag::register_conditional_default(sig, Arc::clone(&any))?;
            flag::register_usize(sig, Arc::clone(&caught), number)?;
            flag::register(sig, Arc::clone(&any))?;
        }
        Ok(Signals { caught, any })
    }

    /// The signal caught, if one was.
    pub fn caught(&self) -> Option<i32> {
        match self.caught.load(Ordering::SeqCst) {
            0 => None,
            n => i32::try_from(n).ok(),
        }
    }

    /// The flag the reading loops watch: nonzero once a signal arrived.
    pub fn flag(&self) -> &AtomicUsize {
        &self.caught
    }

    /// The same flag, for a thread of its own (a live capture's).
    pub fn shared(&self) -> Arc<AtomicUsize> {
        Arc::clone(&self.caught)
    }
}

impl Drop for Signals {
    /// From now on these signals act as if never caught (the handlers
    /// stay installed, so they take their default action themselves).
    fn drop(&mut self) {
        self.any.store(true, Ordering::SeqCst);
    }
}

/// The exit status after signal `sig`: 128 + its number, as shells report it.
pub fn exit_status(sig: i32) -> u8 {
    u8::try_from(sig.saturating_add(128)).unwrap_or(u8::MAX)
}

/// The signal's name (`SIGINT`), for messages.
pub fn name(sig: i32) -> &'static str {
    signal_hook::low_level::signal_name(sig).unwrap_or("a signal")
}

/// Whether `stop` says to stop (a signal was caught).
pub fn stopped(stop: Option<&AtomicUsize>) -> bool {
    stop.is_some_and(|s| s.load(Ordering::Relaxed) != 0)
}
