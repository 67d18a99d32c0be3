//! The real binary in a pseudo-terminal: start it, read its screen
//! (vt100), type keys, wait for it to end.
#![allow(dead_code)]

use portable_pty::{native_pty_system, Child, CommandBuilder, PtySize};
use std::io::{Read, Write};
use std::sync::mpsc::{channel, Receiver};
use std::time::{Duration, Instant};

/// How long the screen may take to show something (a bound on a hang,
/// not a timing assertion).
pub const PATIENCE: Duration = Duration::from_secs(120);

/// A program running on a pseudo-terminal.
pub struct Screen {
    child: Box<dyn Child + Send + Sync>,
    rx: Receiver<Vec<u8>>,
    writer: Box<dyn Write + Send>,
    pub parser: vt100::Parser,
}

impl Screen {
    /// Run `cmd` on a `rows` x `cols` terminal.
    pub fn spawn(mut cmd: CommandBuilder, rows: u16, cols: u16) -> Screen {
        let pair = native_pty_system()
            .openpty(PtySize {
                rows,
                cols,
                pixel_width: 0,
                pixel_height: 0,
            })
            .unwrap_or_else(|e| panic!("openpty: {e}"));
        cmd.env("TERM", "xterm-256color");
        let child = pair
            .slave
            .spawn_command(cmd)
            .unwrap_or_else(|e| panic!("spawn: {e}"));
        drop(pair.slave);
        let mut reader = pair
            .master
            .try_clone_reader()
            .unwrap_or_else(|e| panic!("{e}"));
        let writer = pair.master.take_writer().unwrap_or_else(|e| panic!("{e}"));
        let (tx, rx) = channel::<Vec<u8>>();
        std::thread::spawn(move || {
            let _master = pair.master;
            let mut buf = [0u8; 8192];
            while let Ok(n) = reader.read(&mut buf) {
                if n == 0 || tx.send(buf[..n].to_vec()).is_err() {
                    break;
                }
            }
        });
        Screen {
            child,
            rx,
            writer,
            parser: vt100::Parser::new(rows, cols, 0),
        }
    }

    /// The screen's text now.
    pub fn text(&self) -> String {
        self.parser.screen().contents()
    }

    /// Wait until the screen shows every one of `what`.
    pub fn wait_for(&mut self, what: &[&str]) {
        let deadline = Instant::now() + PATIENCE;
        while Instant::now() < deadline {
            let text = self.text();
            if what.iter().all(|w| text.contains(w)) {
                return;
            }
            if let Ok(bytes) = self.rx.recv_timeout(Duration::from_millis(100)) {
                self.parser.process(&bytes);
            }
        }
        let _ = self.child.kill();
        panic!("the screen never showed {what:?}:\n{}", self.text());
    }

    /// Type `keys`.
    pub fn keys(&mut self, keys: &[u8]) {
        self.writer
            .write_all(keys)
            .and_then(|()| self.writer.flush())
            .unwrap_or_else(|e| panic!("typing: {e}"));
    }

    /// Wait for the program to end; its exit code.
    pub fn exit_code(&mut self) -> u32 {
        let deadline = Instant::now() + PATIENCE;
        loop {
            if let Some(s) = self.child.try_wait().unwrap_or_else(|e| panic!("{e}")) {
                return s.exit_code();
            }
            if Instant::now() > deadline {
                let _ = self.child.kill();
                panic!("the program did not end:\n{}", self.text());
            }
            // Keep reading, so the program never blocks on a full terminal.
            if let Ok(bytes) = self.rx.recv_timeout(Duration::from_millis(50)) {
                self.parser.process(&bytes);
            }
        }
    }
}

impl Drop for Screen {
    /// A test that fails half-way leaves no program running.
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
