//! The application state, with no terminal: the kept rows, the rows the
//! display filter shows, the selection, the view state of every pane and
//! view, and the loading progress. Key and mouse handling live in
//! `events.rs`, jumps (problems, go-to, request/reply, search) in `nav.rs`;
//! drawing reads `&App` (`ui.rs`, `panes/`).
//!
//! The filter runs incrementally: [`App::pump`] evaluates rows for a time
//! budget per tick, so applying a filter to a large capture never freezes
//! the screen, and rows arriving from the reader are filtered the same way.

use super::conns::ConnsView;
use super::details::{scroll_to, Details};
use super::filter_bar::{FilterBar, Input, Validity};
use super::follow::FollowView;
use super::rows::{Row, Rows};
use super::theme::Theme;
use super::ui::{layout, Areas};
use super::worker::Msg;
use crate::analysis::{Record, Summary};
use crate::capture::Timestamp;
use crate::filter::Filter;
use crate::model::FieldNode;
use std::ops::Range;
use std::time::{Duration, Instant};

/// The three panes of the main screen.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Pane {
    /// The frame list.
    List,
    /// The details tree.
    Tree,
    /// The hex and ASCII bytes.
    Hex,
}

impl Pane {
    /// Index into per-pane arrays.
    pub fn index(self) -> usize {
        match self {
            Pane::List => 0,
            Pane::Tree => 1,
            Pane::Hex => 2,
        }
    }
}

/// What the keyboard drives.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Mode {
    /// The three panes.
    Normal,
    /// Typing a display filter.
    Filter,
    /// Typing a search.
    Search,
    /// Typing a frame number.
    Goto,
    /// The help overlay.
    Help,
    /// The connections view.
    Conns,
    /// The follow view.
    Follow,
}

/// A one-line message for the user.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Message {
    /// The text.
    pub text: String,
    /// Whether it reports a failure.
    pub error: bool,
}

/// How far the capture has been read.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Loading {
    /// Bytes read.
    pub read: u64,
    /// File size, when known.
    pub total: Option<u64>,
    /// Read to the end.
    pub done: bool,
    /// A live capture: packets arrive as they are captured.
    pub live: bool,
}

/// Everything the UI shows and remembers.
pub struct App {
    /// Capture name for the status bar.
    pub(crate) name: String,
    /// Styles.
    pub(crate) theme: Theme,
    /// Every kept row.
    pub(crate) rows: Rows,
    /// Positions (in `rows`) of the rows the filter shows, in order.
    pub(crate) shown: Vec<usize>,
    /// Rows before this position have been filtered.
    scan: usize,
    filter: Option<Filter>,
    /// Selection: index into `shown`.
    pub(crate) sel: usize,
    /// First list row on screen: index into `shown`.
    pub(crate) top: usize,
    /// Row number to select again once the filter has reached it.
    reselect: Option<u64>,
    /// Tree and hex state of the selected row.
    pub(crate) details: Details,
    /// The filter bar.
    pub(crate) bar: FilterBar,
    /// The search or go-to prompt.
    pub(crate) prompt: Input,
    /// Search text in force (`n`/`N` step through its matches).
    pub(crate) search: Option<String>,
    /// What the keyboard drives.
    pub(crate) mode: Mode,
    /// Focused pane.
    pub(crate) focus: Pane,
    /// The focused pane fills the screen.
    pub(crate) zoom: bool,
    /// Relative heights of the three panes.
    pub(crate) weights: [u16; 3],
    /// Connections view.
    pub(crate) conns: ConnsView,
    /// Follow view.
    pub(crate) follow: FollowView,
    /// First help line shown.
    pub(crate) help_top: usize,
    /// Message line.
    pub(crate) message: Option<Message>,
    /// Counters from the dissector.
    pub(crate) summary: Summary,
    /// Capture read progress.
    pub(crate) loading: Loading,
    /// Screen areas at the last resize.
    pub(crate) areas: Areas,
    pub(crate) quit: bool,
}

impl App {
    /// An empty app for the capture `name`, waiting for rows.
    pub fn new(name: &str, theme: Theme) -> App {
        App {
            name: name.to_string(),
            theme,
            rows: Rows::default(),
            shown: Vec::new(),
            scan: 0,
            filter: None,
            sel: 0,
            top: 0,
            reselect: None,
            details: Details::default(),
            bar: FilterBar::default(),
            prompt: Input::default(),
            search: None,
            mode: Mode::Normal,
            focus: Pane::List,
            zoom: false,
            weights: [50, 30, 20],
            conns: ConnsView::default(),
            follow: FollowView::default(),
            help_top: 0,
            message: None,
            summary: Summary::default(),
            loading: Loading::default(),
            areas: layout(ratatui::layout::Rect::new(0, 0, 80, 24), None, [50, 30, 20]),
            quit: false,
        }
    }

    /// An app over a capture read already (every row filtered, first row
    /// selected), for a screen of `width` x `height`.
    pub fn with_records(
        name: &str,
        records: Vec<Record>,
        summary: Summary,
        theme: Theme,
        width: u16,
        height: u16,
    ) -> App {
        let mut app = App::new(name, theme);
        app.resize(width, height);
        let rows = records.into_iter().map(Row::keep).collect();
        app.ingest(Msg::Batch(rows, Box::default()));
        app.ingest(Msg::Done(Box::new(summary)));
        app.settle();
        app
    }

    /// Take a message from the reader thread.
    pub fn ingest(&mut self, msg: Msg) {
        match msg {
            Msg::Batch(records, summary) => self.add(records, *summary),
            Msg::Done(summary) => {
                if let Some(e) = &summary.read_error {
                    self.tell_error(format!("capture ends early: {e}"));
                }
                self.summary = *summary;
                self.loading.done = true;
                if let Some(t) = self.loading.total {
                    self.loading.read = t;
                }
            }
        }
    }

    fn add(&mut self, rows: Vec<Row>, summary: Summary) {
        for r in rows {
            let conn = r.record.conn;
            self.rows.push(r);
            if self.follow.conn == Some(conn) {
                self.follow.rows.push(self.rows.len() - 1);
            }
        }
        self.summary = summary;
    }

    /// Bytes of the capture read so far (and its size, when known).
    pub fn set_read(&mut self, read: u64, total: Option<u64>) {
        self.loading.read = read;
        self.loading.total = total;
    }

    /// Say "capturing" rather than "reading" while packets arrive.
    pub fn set_capturing(&mut self) {
        self.loading.live = true;
    }

    /// Filter new rows for at most `budget`; returns whether rows remain.
    pub fn pump(&mut self, budget: Duration) -> bool {
        let start = Instant::now();
        match &self.filter {
            None => {
                self.shown.extend(self.scan..self.rows.len());
                self.scan = self.rows.len();
                if let Some(n) = self.reselect.take() {
                    self.reselect_near(n);
                }
            }
            Some(f) => {
                let mut n = 0u32;
                while let Some(row) = self.rows.get(self.scan) {
                    if f.matches(&row.record) {
                        self.shown.push(self.scan);
                        if self.reselect == Some(row.record.number) {
                            self.sel = self.shown.len() - 1;
                            self.reselect = None;
                        }
                    }
                    self.scan += 1;
                    n = n.wrapping_add(1);
                    if n % 128 == 0 && start.elapsed() >= budget {
                        break;
                    }
                }
                if self.scan >= self.rows.len() {
                    if let Some(n) = self.reselect.take() {
                        self.reselect_near(n);
                    }
                }
            }
        }
        self.after_move();
        self.scan < self.rows.len()
    }

    /// Filter every row now (tests and small captures).
    pub fn settle(&mut self) {
        while self.pump(Duration::from_secs(3600)) {}
    }

    /// Select the last shown row numbered at most `n` (or the first).
    fn reselect_near(&mut self, n: u64) {
        let rows = &self.rows;
        let before = self
            .shown
            .partition_point(|&i| rows.get(i).is_some_and(|r| r.record.number <= n));
        self.sel = before.saturating_sub(1);
    }

    /// Whether a filter is still being run over the rows.
    pub fn filtering(&self) -> bool {
        self.filter.is_some() && self.scan < self.rows.len()
    }

    /// Apply `filter` (None shows every row), keeping the selected row
    /// selected when it passes.
    pub fn apply_filter(&mut self, filter: Option<Filter>) {
        self.reselect = self
            .selected_row()
            .map(|r| r.record.number)
            .or(self.reselect);
        self.filter = filter;
        self.shown.clear();
        self.scan = 0;
        self.sel = 0;
        self.top = 0;
        self.pump(Duration::from_millis(20));
    }

    /// Set the filter from text, as if typed in the bar and applied.
    pub fn set_filter_text(&mut self, text: &str) -> Result<(), String> {
        match super::filter_bar::compile(text) {
            Ok(f) => {
                self.bar.set_applied(text);
                self.bar.cancel();
                self.apply_filter(f);
                Ok(())
            }
            Err((col, msg)) => Err(format!("column {col}: {msg}")),
        }
    }

    /// Screen size changed.
    pub fn resize(&mut self, width: u16, height: u16) {
        let zoom = self.zoom.then_some(self.focus);
        self.areas = layout(
            ratatui::layout::Rect::new(0, 0, width, height),
            zoom,
            self.weights,
        );
        self.after_move();
    }

    /// Recompute the layout after a zoom or resize of panes.
    pub(crate) fn relayout(&mut self) {
        let a = self.areas.screen;
        self.resize(a.width, a.height);
    }

    /// Rows of the list pane.
    pub(crate) fn list_height(&self) -> usize {
        usize::from(self.areas.panes[0].height.saturating_sub(2)).max(1)
    }

    /// Lines of the tree pane.
    pub(crate) fn tree_height(&self) -> usize {
        usize::from(self.areas.panes[1].height.saturating_sub(1)).max(1)
    }

    /// Lines of the hex pane.
    pub(crate) fn hex_height(&self) -> usize {
        usize::from(self.areas.panes[2].height.saturating_sub(1)).max(1)
    }

    /// Bytes per hex line.
    pub(crate) fn hex_cols(&self) -> usize {
        super::panes::hex::columns(self.areas.panes[2].width)
    }

    /// Keep the selection on screen and the details on the selected row.
    pub(crate) fn after_move(&mut self) {
        if self.shown.is_empty() {
            self.sel = 0;
        } else {
            self.sel = self.sel.min(self.shown.len() - 1);
        }
        self.top = scroll_to(self.top, self.sel, self.list_height());
        if self.reselect.is_none() {
            let row = self.shown.get(self.sel).and_then(|&i| self.rows.get(i));
            self.details.show(row);
        }
        let (th, hh, cols) = (self.tree_height(), self.hex_height(), self.hex_cols());
        self.details.scroll(th, hh, cols);
    }

    /// Select shown row `i` (clamped).
    pub(crate) fn select(&mut self, i: usize) {
        self.sel = i;
        self.after_move();
    }

    /// Select the row numbered `n` if the filter shows it.
    pub(crate) fn select_number(&mut self, n: u64) -> bool {
        let Some(pos) = self.rows.position(n) else {
            return false;
        };
        match self.shown.binary_search(&pos) {
            Ok(i) => {
                self.select(i);
                true
            }
            Err(_) => false,
        }
    }

    pub(crate) fn tell(&mut self, text: impl Into<String>) {
        self.message = Some(Message {
            text: text.into(),
            error: false,
        });
    }

    pub(crate) fn tell_error(&mut self, text: impl Into<String>) {
        self.message = Some(Message {
            text: text.into(),
            error: true,
        });
    }

    /// Time origin of the relative times (the first packet's time).
    pub(crate) fn origin(&self) -> Timestamp {
        self.summary
            .first_ts
            .or_else(|| self.rows.get(0).map(|r| r.record.ts))
            .unwrap_or_default()
    }

    // ----- read-only views, for drawing and for tests -----

    /// The selected row.
    pub fn selected_row(&self) -> Option<&Row> {
        self.shown.get(self.sel).and_then(|&i| self.rows.get(i))
    }

    /// The selected record.
    pub fn selected(&self) -> Option<&Record> {
        self.selected_row().map(|r| &r.record)
    }

    /// Numbers of the rows the filter shows (so far).
    pub fn shown_numbers(&self) -> Vec<u64> {
        self.shown
            .iter()
            .filter_map(|&i| self.rows.get(i))
            .map(|r| r.record.number)
            .collect()
    }

    /// Rows kept.
    pub fn total_rows(&self) -> usize {
        self.rows.len()
    }

    /// The field selected in the details tree.
    pub fn selected_field(&self) -> Option<&FieldNode> {
        self.details.selected()
    }

    /// Byte range highlighted in the hex pane (the selected field's span).
    pub fn highlight(&self) -> Option<Range<usize>> {
        self.details.highlight()
    }

    /// The hex cursor.
    pub fn hex_cursor(&self) -> usize {
        self.details.hex_cursor
    }

    /// Row numbers of the follow view.
    pub fn follow_numbers(&self) -> Vec<u64> {
        self.follow
            .rows
            .iter()
            .filter_map(|&i| self.rows.get(i))
            .map(|r| r.record.number)
            .collect()
    }

    /// What the keyboard drives.
    pub fn mode(&self) -> Mode {
        self.mode
    }

    /// Focused pane.
    pub fn focus(&self) -> Pane {
        self.focus
    }

    /// Text of the filter in force.
    pub fn filter_text(&self) -> &str {
        &self.bar.applied
    }

    /// Whether the text in the filter bar parses.
    pub fn filter_validity(&self) -> &Validity {
        &self.bar.validity
    }

    /// The message line.
    pub fn message(&self) -> Option<&Message> {
        self.message.as_ref()
    }

    /// Whether the user asked to quit.
    pub fn should_quit(&self) -> bool {
        self.quit
    }

    /// Whether the capture has been read to its end.
    pub fn loaded(&self) -> bool {
        self.loading.done
    }
}
