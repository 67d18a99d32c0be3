//! Measure the terminal UI on a capture, headless (ratatui's test
//! backend instead of a terminal, otherwise the same reader thread, filter
//! pump and drawing as `cephshark FILE`):
//!
//! - time to first screen: until a drawn screen shows a full page of rows;
//! - time to loaded: until the whole capture is read and listed;
//! - time to apply a filter over every row, and to draw one screen;
//! - peak resident memory (VmHWM).
//!
//! ```text
//! cargo run --release --example tui_bench -- FILE [FILTER]
//! ```

use cephshark::tui::ratatui::{backend::TestBackend, Terminal};
use cephshark::tui::{self, worker::Worker, App, Theme};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

const WIDTH: u16 = 100;
const HEIGHT: u16 = 30;

fn peak_rss_kib() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let path = args.next().ok_or("usage: tui_bench FILE [FILTER]")?;
    let filter = args
        .next()
        .unwrap_or_else(|| "ceph.msg.type == 42".to_string());
    let size = std::fs::metadata(&path)?.len();
    let start = Instant::now();
    let read = Arc::new(AtomicU64::new(0));
    let reader = tui::open_capture(path.as_ref(), Arc::clone(&read))?;
    let mut app = App::new(&path, Theme::colored());
    app.resize(WIDTH, HEIGHT);
    let worker = Worker::start(reader, read, Default::default())?;
    let mut term = Terminal::new(TestBackend::new(WIDTH, HEIGHT))?;
    let page = usize::from(HEIGHT);
    let mut first_screen = None;
    let mut draws = 0u32;
    loop {
        while let Ok(msg) = worker.rx.try_recv() {
            app.ingest(msg);
        }
        app.set_read(worker.read.load(Ordering::Relaxed), Some(size));
        let more = app.pump(Duration::from_millis(40));
        term.draw(|f| tui::draw(f, &app))?;
        draws += 1;
        if first_screen.is_none() && (app.total_rows() >= page || app.loaded()) {
            first_screen = Some(start.elapsed());
        }
        if app.loaded() && !more {
            break;
        }
        std::thread::sleep(Duration::from_millis(15));
    }
    let loaded = start.elapsed();
    let rows = app.total_rows();

    let t = Instant::now();
    app.set_filter_text(&filter)?;
    app.settle();
    let filtered = t.elapsed();
    let shown = app.shown_numbers().len();

    let t = Instant::now();
    let n = 50;
    for _ in 0..n {
        term.draw(|f| tui::draw(f, &app))?;
    }
    let draw = t.elapsed() / n;

    println!("capture            {path} ({:.1} MB)", size as f64 / 1e6);
    println!("rows               {rows}");
    println!(
        "first screen       {:.3} s",
        first_screen.unwrap_or(loaded).as_secs_f64()
    );
    println!(
        "loaded             {:.3} s ({draws} screens drawn meanwhile)",
        loaded.as_secs_f64()
    );
    println!(
        "filter `{filter}`  {:.3} s, {shown} rows shown",
        filtered.as_secs_f64()
    );
    println!("one screen drawn   {:.2} ms", draw.as_secs_f64() * 1e3);
    match peak_rss_kib() {
        Some(k) => println!("peak RSS           {:.1} MB", k as f64 / 1024.0),
        None => println!("peak RSS           unknown"),
    }
    Ok(())
}
