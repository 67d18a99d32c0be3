//! Jumps in the frame list: next or previous row with a problem, go to a
//! frame number, the matching request or reply, and text search in the
//! content column and field values.

use super::app::App;
use super::panes::list::content;
use super::rows::Row;
use crate::analysis::record_tree;
use crate::msgr2::Tag;
use std::time::{Duration, Instant};

/// Request and reply message types matched by transaction id
/// (`ceph.msg.type`, `ceph.msg.tid`): osd_op/osd_op_reply,
/// mon_command/mon_command_ack.
pub const REQUEST_REPLY: &[(u16, u16)] = &[(42, 43), (50, 51)];

/// Longest a search runs before it gives up.
const SEARCH_LIMIT: Duration = Duration::from_secs(5);

/// Whether `row` contains `needle` (lower case) in its content column, tag,
/// status or any field value.
pub fn row_contains(row: &Row, needle: &str) -> bool {
    if content(row).to_lowercase().contains(needle)
        || row.record.tag_name().to_lowercase().contains(needle)
    {
        return true;
    }
    record_tree(&row.record).walk().iter().any(|n| {
        n.value_text().to_lowercase().contains(needle)
            || n.summary
                .as_ref()
                .is_some_and(|s| s.to_lowercase().contains(needle))
    })
}

impl App {
    /// Shown positions after (or before) the selection, wrapping around.
    fn ring(&self, forward: bool) -> Vec<usize> {
        let n = self.shown.len();
        (1..n)
            .map(|k| {
                if forward {
                    (self.sel + k) % n
                } else {
                    (self.sel + n - k) % n
                }
            })
            .collect()
    }

    /// Select the next (or previous) row with a warning or error.
    pub(crate) fn problem_step(&mut self, forward: bool) {
        let found = self.ring(forward).into_iter().find(|&i| {
            self.shown
                .get(i)
                .and_then(|&p| self.rows.get(p))
                .is_some_and(|r| r.level.is_problem())
        });
        match found {
            Some(i) => {
                let wrapped = if forward { i < self.sel } else { i > self.sel };
                self.select(i);
                self.reveal_problem();
                if wrapped {
                    self.tell("wrapped around");
                }
            }
            None if self.selected_row().is_some_and(|r| r.level.is_problem()) => {
                self.reveal_problem();
                self.tell("this is the only row with a problem");
            }
            None => self.tell("no row with a problem"),
        }
    }

    /// Open the details down to the field of the selected row's worst
    /// problem and select it; the hex pane highlights its bytes.
    pub(crate) fn reveal_problem(&mut self) {
        let Some(row) = self.selected_row() else {
            return;
        };
        let Some(p) = worst_problem(&row.record.problems()) else {
            return;
        };
        let offset = row.record.frame().map(|f| f.offset);
        self.details.reveal(&p, offset);
        let (th, hh, cols) = (self.tree_height(), self.hex_height(), self.hex_cols());
        self.details.scroll(th, hh, cols);
    }

    /// Select frame `n`.
    pub(crate) fn goto(&mut self, n: u64) {
        if self.select_number(n) {
            return;
        }
        if self.rows.position(n).is_some() {
            self.tell_error(format!("frame {n} is hidden by the filter"));
        } else {
            self.tell_error(format!("no frame {n}"));
        }
    }

    /// Jump to the reply of a request, or the request of a reply.
    pub(crate) fn match_pair(&mut self) {
        let Some(pos) = self.shown.get(self.sel).copied() else {
            return;
        };
        let Some(r) = self.rows.get(pos).map(|r| &r.record) else {
            return;
        };
        let (number, conn, dir, msg) = (r.number, r.conn, r.dir, r.msg);
        let tag = r.frame().map(|f| f.tag());
        let same_conn_other_dir = |o: &Row| o.record.conn == conn && o.record.dir != dir;
        let found = if let Some(h) = msg {
            let pair = REQUEST_REPLY.iter().find_map(|&(q, a)| {
                if h.msg_type == q {
                    Some((a, true))
                } else if h.msg_type == a {
                    Some((q, false))
                } else {
                    None
                }
            });
            let Some((want, forward)) = pair else {
                self.tell_error("m pairs osd_op/osd_op_reply, mon_command/ack and KEEPALIVE2/ACK");
                return;
            };
            self.find_row(pos, forward, |o| {
                same_conn_other_dir(o)
                    && o.record
                        .msg
                        .is_some_and(|m| m.msg_type == want && m.tid == h.tid)
            })
        } else if tag == Some(Tag::Keepalive2) {
            self.find_row(pos, true, |o| {
                same_conn_other_dir(o)
                    && o.record
                        .frame()
                        .is_some_and(|f| f.tag() == Tag::Keepalive2Ack)
            })
        } else if tag == Some(Tag::Keepalive2Ack) {
            self.find_row(pos, false, |o| {
                same_conn_other_dir(o)
                    && o.record.frame().is_some_and(|f| f.tag() == Tag::Keepalive2)
            })
        } else {
            self.tell_error("m pairs osd_op/osd_op_reply, mon_command/ack and KEEPALIVE2/ACK");
            return;
        };
        match found {
            Some(p) => {
                let n = self.rows.get(p).map_or(0, |o| o.record.number);
                match self.shown.binary_search(&p) {
                    Ok(i) => {
                        self.select(i);
                        self.tell(format!("frame {number} matches frame {n}"));
                    }
                    Err(_) => {
                        self.tell_error(format!("the matching frame {n} is hidden by the filter"))
                    }
                }
            }
            None => self.tell_error(format!("no frame matches frame {number} in this capture")),
        }
    }

    /// The first row position after (or before) `pos` satisfying `want`.
    fn find_row(&self, pos: usize, forward: bool, want: impl Fn(&Row) -> bool) -> Option<usize> {
        if forward {
            (pos + 1..self.rows.len()).find(|&p| self.rows.get(p).is_some_and(&want))
        } else {
            (0..pos)
                .rev()
                .find(|&p| self.rows.get(p).is_some_and(&want))
        }
    }

    /// Select the next (or previous) shown row containing the search text.
    pub(crate) fn search_step(&mut self, forward: bool) {
        let Some(text) = self.search.clone() else {
            return;
        };
        let needle = text.to_lowercase();
        let start = Instant::now();
        let mut found = None;
        let mut ring = self.ring(forward);
        ring.push(self.sel);
        for i in ring {
            if start.elapsed() > SEARCH_LIMIT {
                let at = self
                    .shown
                    .get(i)
                    .and_then(|&p| self.rows.get(p))
                    .map_or(0, |r| r.record.number);
                self.tell_error(format!(
                    "search for \"{text}\" gave up at frame {at} after {}s",
                    SEARCH_LIMIT.as_secs()
                ));
                return;
            }
            if self
                .shown
                .get(i)
                .and_then(|&p| self.rows.get(p))
                .is_some_and(|r| row_contains(r, &needle))
            {
                found = Some(i);
                break;
            }
        }
        match found {
            Some(i) => {
                let wrapped = if forward {
                    i <= self.sel
                } else {
                    i >= self.sel
                };
                self.select(i);
                if wrapped {
                    self.tell(format!("\"{text}\": wrapped around"));
                }
            }
            None => self.tell_error(format!("\"{text}\" not found")),
        }
    }
}

/// The first of the most severe problems.
pub(crate) fn worst_problem(problems: &[crate::model::Problem]) -> Option<crate::model::Problem> {
    let worst = problems.iter().map(|p| p.kind.severity()).max()?;
    problems
        .iter()
        .find(|p| p.kind.severity() == worst)
        .cloned()
}
