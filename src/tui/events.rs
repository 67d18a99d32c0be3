//! Key and mouse handling: keys go through the key table
//! ([`super::keys::lookup`]) to an [`Action`], which the current mode
//! carries out. Nothing here touches a terminal, so tests drive the app
//! with scripted events.

use super::app::{App, Mode, Pane};
use super::filter_bar::Input;
use super::keys::{lookup, Action, Scope};
use super::panes;
use crossterm::event::{
    KeyCode, KeyEvent, KeyEventKind, KeyModifiers, MouseButton, MouseEvent, MouseEventKind,
};
use ratatui::layout::{Position, Rect};

/// Lines moved by one mouse wheel step.
const WHEEL: isize = 3;

impl App {
    /// Handle one key press.
    pub fn handle_key(&mut self, ev: KeyEvent) {
        if ev.kind == KeyEventKind::Release {
            return;
        }
        self.message = None;
        match self.mode {
            Mode::Filter | Mode::Search | Mode::Goto => self.input_key(ev),
            Mode::Help if ev.code == KeyCode::Esc => self.mode = Mode::Normal,
            Mode::Help => match lookup(&[Scope::Global, Scope::Move], &ev) {
                Some(Action::Quit) => self.quit = true,
                Some(Action::Help) => self.mode = Mode::Normal,
                Some(a) => self.help_move(a),
                None => {}
            },
            Mode::Conns | Mode::Follow => {
                if let Some(a) = lookup(&[Scope::View, Scope::Move, Scope::Global], &ev) {
                    self.view_action(a);
                }
            }
            Mode::Normal => {
                if let Some(a) = lookup(&[Scope::Main, Scope::Move, Scope::Global], &ev) {
                    self.main_action(a);
                }
            }
        }
    }

    /// Handle a sequence of keys typed as text (tests and scripts):
    /// every character is one key press.
    pub fn type_text(&mut self, text: &str) {
        for c in text.chars() {
            self.handle_key(KeyEvent::new(KeyCode::Char(c), KeyModifiers::NONE));
        }
    }

    fn help_move(&mut self, a: Action) {
        let n = super::help::lines().len();
        self.help_top = match a {
            Action::Up => self.help_top.saturating_sub(1),
            Action::Down => (self.help_top + 1).min(n),
            Action::PageUp => self.help_top.saturating_sub(10),
            Action::PageDown => (self.help_top + 10).min(n),
            Action::First => 0,
            Action::Last => n,
            _ => self.help_top,
        };
    }

    fn input_key(&mut self, ev: KeyEvent) {
        let action = lookup(&[Scope::Input], &ev);
        let plain = !ev
            .modifiers
            .intersects(KeyModifiers::CONTROL | KeyModifiers::ALT);
        match (self.mode, action) {
            (_, Some(Action::Quit)) => self.quit = true,
            (Mode::Filter, Some(Action::Enter)) => match self.bar.submit() {
                Ok(f) => {
                    self.mode = Mode::Normal;
                    self.apply_filter(f);
                }
                Err((col, msg)) => self.tell_error(format!("filter error at column {col}: {msg}")),
            },
            (Mode::Filter, Some(Action::Cancel)) => {
                self.bar.cancel();
                self.mode = Mode::Normal;
            }
            (Mode::Filter, Some(a)) => self.bar.edit(a),
            (Mode::Filter, None) => {
                if let (KeyCode::Char(c), true) = (ev.code, plain) {
                    self.bar.insert(c);
                }
            }
            (_, Some(Action::Cancel)) => self.mode = Mode::Normal,
            (Mode::Search, Some(Action::Enter)) => {
                self.mode = Mode::Normal;
                let text = self.prompt.text.trim().to_string();
                if text.is_empty() {
                    self.search = None;
                } else {
                    self.search = Some(text);
                    self.search_step(true);
                }
            }
            (Mode::Goto, Some(Action::Enter)) => {
                self.mode = Mode::Normal;
                match self.prompt.text.trim().parse::<u64>() {
                    Ok(n) => self.goto(n),
                    Err(_) => self.tell_error("type a frame number"),
                }
            }
            (_, Some(a)) => {
                self.prompt.edit(a);
            }
            (mode, None) => {
                if let (KeyCode::Char(c), true) = (ev.code, plain) {
                    if mode != Mode::Goto || c.is_ascii_digit() {
                        self.prompt.insert(c);
                    }
                }
            }
        }
    }

    fn main_action(&mut self, a: Action) {
        match a {
            Action::Quit => self.quit = true,
            Action::Help => {
                self.help_top = 0;
                self.mode = Mode::Help;
            }
            Action::FocusNext | Action::FocusPrev => {
                let order = [Pane::List, Pane::Tree, Pane::Hex];
                let step = if a == Action::FocusNext { 1 } else { 2 };
                let next = (self.focus.index() + step) % 3;
                self.focus = order.get(next).copied().unwrap_or(Pane::List);
                self.relayout();
            }
            Action::Zoom => {
                self.zoom = !self.zoom;
                self.relayout();
            }
            Action::Grow | Action::Shrink => self.resize_pane(a == Action::Grow),
            Action::Up
            | Action::Down
            | Action::PageUp
            | Action::PageDown
            | Action::First
            | Action::Last => self.move_in_pane(a),
            Action::Left | Action::Right => {
                let left = a == Action::Left;
                match self.focus {
                    Pane::Tree if left => self.details.left(),
                    Pane::Tree => self.details.right(),
                    Pane::Hex => self.details.hex_move(if left { -1 } else { 1 }),
                    Pane::List => {}
                }
                self.after_move();
            }
            Action::Enter => match self.focus {
                Pane::List => {
                    self.focus = Pane::Tree;
                    self.relayout();
                }
                Pane::Tree => {
                    self.details.toggle();
                    self.after_move();
                }
                Pane::Hex => {}
            },
            Action::ExpandAll => {
                self.details.expand_all();
                self.after_move();
            }
            Action::CollapseAll => {
                self.details.collapse_all();
                self.after_move();
            }
            Action::Filter => {
                self.bar.begin();
                self.mode = Mode::Filter;
            }
            Action::Search => {
                // A new search starts empty (n/N repeat the last one).
                self.prompt = Input::default();
                self.mode = Mode::Search;
            }
            Action::Next | Action::Prev => {
                let forward = a == Action::Next;
                if self.search.is_some() {
                    self.search_step(forward);
                } else {
                    self.problem_step(forward);
                }
            }
            Action::Goto => {
                self.prompt = Input::default();
                self.mode = Mode::Goto;
            }
            Action::MatchPair => self.match_pair(),
            Action::Conns => {
                let conn = self.selected().map(|r| r.conn);
                let lines = super::conns::lines(self);
                self.conns.sel = conn
                    .and_then(|c| lines.iter().position(|l| l.conn == c))
                    .unwrap_or(0);
                self.mode = Mode::Conns;
            }
            Action::Follow => match self.selected().map(|r| r.conn) {
                Some(conn) => {
                    let at = self.shown.get(self.sel).copied();
                    self.follow.open(&self.rows, conn, at);
                    self.mode = Mode::Follow;
                }
                None => self.tell_error("no frame selected"),
            },
            Action::Cancel => {
                if self.search.take().is_some() {
                    self.tell("search ended; n/N step through problems");
                } else if self.zoom {
                    self.zoom = false;
                    self.relayout();
                }
            }
            _ => {}
        }
    }

    fn resize_pane(&mut self, grow: bool) {
        let i = self.focus.index();
        let mut w = self.weights;
        if grow {
            // Take from the largest other pane.
            let from = (0..3)
                .filter(|&j| j != i)
                .max_by_key(|&j| w.get(j).copied().unwrap_or(0));
            if let (Some(j), true) = (from, w.get(i).is_some_and(|&v| v < 80)) {
                if let Some(src) = w.get_mut(j).filter(|v| **v > 10) {
                    *src -= 10;
                    if let Some(dst) = w.get_mut(i) {
                        *dst += 10;
                    }
                }
            }
        } else if let Some(v) = w.get_mut(i).filter(|v| **v > 10) {
            *v -= 10;
            let to = (0..3)
                .filter(|&j| j != i)
                .min_by_key(|&j| w.get(j).copied().unwrap_or(0));
            if let Some(dst) = to.and_then(|j| w.get_mut(j)) {
                *dst += 10;
            }
        }
        self.weights = w;
        self.relayout();
    }

    fn move_in_pane(&mut self, a: Action) {
        match self.focus {
            Pane::List => {
                let page = self.list_height();
                let last = self.shown.len().saturating_sub(1);
                let to = step(self.sel, last, page, a);
                self.select(to);
            }
            Pane::Tree => {
                let page = self.tree_height();
                let last = self.details.lines.len().saturating_sub(1);
                let to = step(self.details.cursor, last, page, a);
                self.details.select_line(to);
                self.after_move();
            }
            Pane::Hex => {
                let cols = self.hex_cols();
                let page = self.hex_height() * cols;
                let last = self.details.data_len.saturating_sub(1);
                let cur = self.details.hex_cursor;
                let to = match a {
                    Action::Up => cur.saturating_sub(cols),
                    Action::Down => (cur + cols).min(last),
                    Action::PageUp => cur.saturating_sub(page),
                    Action::PageDown => (cur + page).min(last),
                    Action::First => 0,
                    _ => last,
                };
                self.details.select_byte(to);
                self.after_move();
            }
        }
    }

    fn view_action(&mut self, a: Action) {
        let follow = self.mode == Mode::Follow;
        let len = if follow {
            self.follow.rows.len()
        } else {
            super::conns::lines(self).len()
        };
        let page = self.areas.body.height.saturating_sub(2).max(1);
        match a {
            Action::Quit => self.quit = true,
            Action::Help => {
                self.help_top = 0;
                self.mode = Mode::Help;
            }
            Action::Cancel => self.mode = Mode::Normal,
            Action::Conns if !follow => self.mode = Mode::Normal,
            Action::Conns => self.main_action(Action::Conns),
            Action::Follow if follow => self.mode = Mode::Normal,
            Action::Follow => {
                let lines = super::conns::lines(self);
                if let Some(l) = lines.get(self.conns.sel) {
                    self.follow.open(&self.rows, l.conn, None);
                    self.mode = Mode::Follow;
                }
            }
            Action::Enter if follow => {
                let number = self
                    .follow
                    .rows
                    .get(self.follow.sel)
                    .and_then(|&p| self.rows.get(p))
                    .map(|r| r.record.number);
                self.mode = Mode::Normal;
                if let Some(n) = number {
                    if !self.select_number(n) {
                        self.tell_error(format!("frame {n} is hidden by the filter"));
                    }
                }
            }
            Action::Enter => {
                let lines = super::conns::lines(self);
                if let Some(l) = lines.get(self.conns.sel) {
                    let text = format!("tcp.stream == {}", l.conn.0);
                    self.mode = Mode::Normal;
                    if let Err(e) = self.set_filter_text(&text) {
                        self.tell_error(format!("filter error: {e}"));
                    }
                }
            }
            Action::Up
            | Action::Down
            | Action::PageUp
            | Action::PageDown
            | Action::First
            | Action::Last => {
                let last = len.saturating_sub(1);
                let (sel, top, h) = if follow {
                    (&mut self.follow.sel, &mut self.follow.top, page)
                } else {
                    (&mut self.conns.sel, &mut self.conns.top, page)
                };
                *sel = step(*sel, last, usize::from(h), a);
                *top = super::details::scroll_to(*top, *sel, usize::from(h));
            }
            _ => {}
        }
    }

    /// Handle one mouse event: a click selects (and focuses) what is under
    /// it, the wheel scrolls the pane under the pointer.
    pub fn handle_mouse(&mut self, ev: MouseEvent) {
        let pos = Position {
            x: ev.column,
            y: ev.row,
        };
        let delta = match ev.kind {
            MouseEventKind::ScrollDown => WHEEL,
            MouseEventKind::ScrollUp => -WHEEL,
            MouseEventKind::Down(MouseButton::Left) => 0,
            _ => return,
        };
        match self.mode {
            Mode::Normal => {}
            Mode::Conns | Mode::Follow => {
                let body = self.areas.body;
                if delta != 0 {
                    let a = if delta > 0 { Action::Down } else { Action::Up };
                    for _ in 0..WHEEL {
                        self.view_action(a);
                    }
                } else if body.contains(pos) && pos.y >= body.y + 2 {
                    let line = usize::from(pos.y - body.y - 2);
                    if self.mode == Mode::Follow {
                        self.follow.sel =
                            (self.follow.top + line).min(self.follow.rows.len().saturating_sub(1));
                    } else {
                        self.conns.sel = self.conns.top + line;
                    }
                }
                return;
            }
            _ => return,
        }
        let panes = [Pane::List, Pane::Tree, Pane::Hex];
        let Some((pane, area)) = panes
            .iter()
            .zip(self.areas.panes.iter())
            .find(|(_, a)| a.contains(pos))
            .map(|(p, a)| (*p, *a))
        else {
            return;
        };
        if delta != 0 {
            let prev = self.focus;
            self.focus = pane;
            let a = if delta > 0 { Action::Down } else { Action::Up };
            for _ in 0..WHEEL {
                self.move_in_pane(a);
            }
            self.focus = prev;
            return;
        }
        self.focus = pane;
        self.click(pane, area, pos);
    }

    fn click(&mut self, pane: Pane, area: Rect, pos: Position) {
        match pane {
            Pane::List if pos.y >= area.y + 2 => {
                let i = self.top + usize::from(pos.y - area.y - 2);
                if i < self.shown.len() {
                    self.select(i);
                }
            }
            Pane::Tree if pos.y > area.y => {
                let i = self.details.top + usize::from(pos.y - area.y - 1);
                if i == self.details.cursor {
                    self.details.toggle();
                } else {
                    self.details.select_line(i);
                }
                self.after_move();
            }
            Pane::Hex => {
                if let Some(b) = panes::hex::byte_at(self, area, pos.x, pos.y) {
                    self.details.select_byte(b);
                    self.after_move();
                }
            }
            _ => {}
        }
    }
}

/// Where a moving action takes a cursor at `cur` in `0..=last`.
fn step(cur: usize, last: usize, page: usize, a: Action) -> usize {
    match a {
        Action::Up => cur.saturating_sub(1),
        Action::Down => (cur + 1).min(last),
        Action::PageUp => cur.saturating_sub(page),
        Action::PageDown => (cur + page).min(last),
        Action::First => 0,
        Action::Last => last,
        _ => cur,
    }
}
