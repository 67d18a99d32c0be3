//! View state of the details tree and the hex pane for the selected row.
//!
//! The tree is built only for the selected row (`record_tree`), never for
//! the others. Which subtrees are open is remembered as paths of abbrevs
//! (`msgr2/msgr2.preamble/msgr2.preamble.segment#2`: an abbrev, then `#k`
//! for the k-th sibling with the same abbrev), so stepping to another row
//! keeps the same subtrees open, as termshark does. The hex pane's cursor
//! and the tree's cursor follow each other: a field's bytes are
//! highlighted, and a byte under the hex cursor selects the innermost
//! field covering it.

use super::rows::Row;
use crate::analysis::record_fields::PROBLEM;
use crate::analysis::record_tree;
use crate::model::{FieldNode, Problem, Source};
use std::collections::HashSet;
use std::ops::Range;

/// One visible line of the tree.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TreeLine {
    /// Child indices from the root.
    pub path: Vec<usize>,
    /// Expansion key (abbrev path).
    pub key: String,
    /// Nesting depth (0 for top-level fields).
    pub depth: usize,
    /// Whether it has children.
    pub has_children: bool,
    /// Whether they are shown.
    pub open: bool,
}

/// Tree and hex view state.
#[derive(Debug)]
pub struct Details {
    /// Row number the tree was built for.
    pub number: Option<u64>,
    /// The tree.
    pub root: Option<FieldNode>,
    /// Visible lines.
    pub lines: Vec<TreeLine>,
    /// Open subtrees, as abbrev paths.
    pub expanded: HashSet<String>,
    /// Tree cursor (index into `lines`).
    pub cursor: usize,
    /// First tree line shown.
    pub top: usize,
    /// Hex cursor (byte offset).
    pub hex_cursor: usize,
    /// First hex line shown.
    pub hex_top: usize,
    /// Which bytes the hex pane shows.
    pub source: Source,
    /// Bytes kept for the row.
    pub data_len: usize,
    /// The line the user last put the cursor on, kept across rows.
    wanted: Option<String>,
}

impl Default for Details {
    fn default() -> Self {
        Details {
            number: None,
            root: None,
            lines: Vec::new(),
            expanded: HashSet::from(["msgr2".to_string()]),
            cursor: 0,
            top: 0,
            hex_cursor: 0,
            hex_top: 0,
            source: Source::Wire,
            data_len: 0,
            wanted: None,
        }
    }
}

/// The node at `path` under `root`.
pub fn node_at<'a>(root: &'a FieldNode, path: &[usize]) -> Option<&'a FieldNode> {
    path.iter().try_fold(root, |n, &i| n.children.get(i))
}

fn flatten(
    node: &FieldNode,
    prefix: &str,
    path: &mut Vec<usize>,
    expanded: &HashSet<String>,
    out: &mut Vec<TreeLine>,
) {
    let mut seen: Vec<&str> = Vec::new();
    for (i, c) in node.children.iter().enumerate() {
        let k = seen.iter().filter(|a| **a == c.def.abbrev).count();
        seen.push(c.def.abbrev);
        let seg = if k == 0 {
            c.def.abbrev.to_string()
        } else {
            format!("{}#{k}", c.def.abbrev)
        };
        let key = if prefix.is_empty() {
            seg
        } else {
            format!("{prefix}/{seg}")
        };
        path.push(i);
        let open = !c.children.is_empty() && expanded.contains(&key);
        out.push(TreeLine {
            path: path.clone(),
            key: key.clone(),
            depth: path.len() - 1,
            has_children: !c.children.is_empty(),
            open,
        });
        if open {
            flatten(c, &key, path, expanded, out);
        }
        path.pop();
    }
}

fn all_keys(node: &FieldNode, prefix: &str, out: &mut HashSet<String>) {
    let mut seen: Vec<&str> = Vec::new();
    for c in &node.children {
        let k = seen.iter().filter(|a| **a == c.def.abbrev).count();
        seen.push(c.def.abbrev);
        let seg = if k == 0 {
            c.def.abbrev.to_string()
        } else {
            format!("{}#{k}", c.def.abbrev)
        };
        let key = if prefix.is_empty() {
            seg
        } else {
            format!("{prefix}/{seg}")
        };
        if !c.children.is_empty() {
            all_keys(c, &key, out);
            out.insert(key);
        }
    }
}

/// Paths of every node named `abbrev`, depth first (problem nodes, which
/// only name the field, left out).
fn paths_of(node: &FieldNode, abbrev: &str, path: &mut Vec<usize>, out: &mut Vec<Vec<usize>>) {
    for (i, c) in node.children.iter().enumerate() {
        if c.def.abbrev == PROBLEM.abbrev {
            continue;
        }
        path.push(i);
        if c.def.abbrev == abbrev {
            out.push(path.clone());
        }
        paths_of(c, abbrev, path, out);
        path.pop();
    }
}

/// The deepest node whose span (in `source`) covers `byte`, as a path.
fn innermost(
    node: &FieldNode,
    source: Source,
    byte: usize,
    path: &mut Vec<usize>,
    best: &mut Option<Vec<usize>>,
) {
    for (i, c) in node.children.iter().enumerate() {
        path.push(i);
        if c.span
            .as_ref()
            .is_some_and(|s| s.source == source && s.range.contains(&byte))
        {
            let deeper = best.as_ref().is_none_or(|b| path.len() > b.len());
            if deeper {
                *best = Some(path.clone());
            }
        }
        innermost(c, source, byte, path, best);
        path.pop();
    }
}

impl Details {
    /// Show `row` (or nothing); the tree is rebuilt only when the row changes.
    pub fn show(&mut self, row: Option<&Row>) {
        let number = row.map(|r| r.record.number);
        if number == self.number {
            return;
        }
        self.number = number;
        self.root = row.map(|r| record_tree(&r.record));
        let frame = row.and_then(|r| r.record.frame());
        self.source = frame.map_or(Source::Wire, |f| f.source());
        self.data_len = frame.map_or(0, |f| f.data.len());
        self.rebuild();
        let kept = self
            .wanted
            .as_ref()
            .and_then(|k| self.lines.iter().position(|l| &l.key == k));
        // By default the row's first problem, else the frame's own subtree,
        // at the top of the pane.
        let problem = self.lines.iter().position(|l| l.key == PROBLEM.abbrev);
        let frame = self.lines.iter().position(|l| l.key == "msgr2");
        self.cursor = kept.or(problem).or(frame).unwrap_or(0);
        // A problem is shown with the lines above it (number, time,
        // packets, status): they are few.
        self.top = match (kept, problem) {
            (None, None) => self.cursor,
            _ => 0,
        };
        self.hex_top = 0;
        self.follow_cursor();
    }

    fn rebuild(&mut self) {
        self.lines.clear();
        if let Some(root) = &self.root {
            flatten(root, "", &mut Vec::new(), &self.expanded, &mut self.lines);
        }
        self.cursor = self.cursor.min(self.lines.len().saturating_sub(1));
    }

    /// The node on tree line `i`.
    pub fn node(&self, i: usize) -> Option<&FieldNode> {
        let line = self.lines.get(i)?;
        node_at(self.root.as_ref()?, &line.path)
    }

    /// The selected node.
    pub fn selected(&self) -> Option<&FieldNode> {
        self.node(self.cursor)
    }

    fn span_in_view(&self, n: &FieldNode) -> Option<Range<usize>> {
        let s = n.span.as_ref()?;
        (s.source == self.source).then(|| s.range.clone())
    }

    /// Bytes of the selected field, when they are the bytes shown.
    pub fn highlight(&self) -> Option<Range<usize>> {
        self.selected().and_then(|n| self.span_in_view(n))
    }

    /// Bytes of the selected field's nearest enclosing structure.
    pub fn layer(&self) -> Option<Range<usize>> {
        let line = self.lines.get(self.cursor)?;
        let root = self.root.as_ref()?;
        let own = self.highlight();
        (1..line.path.len()).rev().find_map(|n| {
            let r = self.span_in_view(node_at(root, line.path.get(..n)?)?)?;
            (Some(&r) != own.as_ref()).then_some(r)
        })
    }

    /// Remember the cursor's line as the one to show on other rows.
    fn want(&mut self) {
        self.wanted = self.lines.get(self.cursor).map(|l| l.key.clone());
    }

    /// Move the hex cursor to the selected field's first byte.
    fn follow_cursor(&mut self) {
        if let Some(r) = self.highlight() {
            self.hex_cursor = r.start.min(self.data_len.saturating_sub(1));
        }
    }

    /// Move the tree cursor by `delta` lines.
    pub fn move_by(&mut self, delta: isize) {
        let last = self.lines.len().saturating_sub(1);
        self.cursor = self.cursor.saturating_add_signed(delta).min(last);
        self.want();
        self.follow_cursor();
    }

    /// Put the tree cursor on line `i`.
    pub fn select_line(&mut self, i: usize) {
        if i < self.lines.len() {
            self.cursor = i;
            self.want();
            self.follow_cursor();
        }
    }

    fn set_open(&mut self, open: bool) {
        let Some(line) = self.lines.get(self.cursor) else {
            return;
        };
        if !line.has_children {
            return;
        }
        if open {
            self.expanded.insert(line.key.clone());
        } else {
            self.expanded.remove(&line.key);
        }
        self.rebuild();
    }

    /// Expand or collapse the selected node.
    pub fn toggle(&mut self) {
        let open = self.lines.get(self.cursor).is_some_and(|l| l.open);
        self.set_open(!open);
    }

    /// Collapse the selected node, or go to its parent.
    pub fn left(&mut self) {
        let Some(line) = self.lines.get(self.cursor) else {
            return;
        };
        if line.open {
            self.set_open(false);
        } else if line.path.len() > 1 {
            let parent = line.path.get(..line.path.len() - 1).map(<[usize]>::to_vec);
            if let Some(i) = self
                .lines
                .iter()
                .position(|l| Some(&l.path) == parent.as_ref())
            {
                self.select_line(i);
            }
        }
    }

    /// Expand the selected node, or go to its first child.
    pub fn right(&mut self) {
        let Some(line) = self.lines.get(self.cursor) else {
            return;
        };
        if line.has_children && !line.open {
            self.set_open(true);
        } else if line.open {
            self.move_by(1);
        }
    }

    /// Open every subtree of the current tree.
    pub fn expand_all(&mut self) {
        if let Some(root) = &self.root {
            all_keys(root, "", &mut self.expanded);
        }
        self.rebuild();
    }

    /// Close every subtree.
    pub fn collapse_all(&mut self) {
        let key = self.lines.get(self.cursor).map(|l| l.key.clone());
        self.expanded.clear();
        self.rebuild();
        // Stay on the top-level ancestor of the line that was selected.
        let top = key
            .as_deref()
            .and_then(|k| k.split('/').next())
            .unwrap_or("");
        self.cursor = self.lines.iter().position(|l| l.key == top).unwrap_or(0);
    }

    /// Put the hex cursor on `byte` and select the innermost field covering
    /// it, opening the subtrees above it.
    pub fn select_byte(&mut self, byte: usize) {
        if self.data_len == 0 {
            return;
        }
        self.hex_cursor = byte.min(self.data_len - 1);
        let Some(root) = &self.root else { return };
        let mut best = None;
        innermost(
            root,
            self.source,
            self.hex_cursor,
            &mut Vec::new(),
            &mut best,
        );
        let Some(path) = best else { return };
        self.open_path(&path);
    }

    /// Open every ancestor of the node at `path` and put the cursor on it.
    fn open_path(&mut self, path: &[usize]) {
        let Some(root) = &self.root else { return };
        let mut key = String::new();
        let mut node = root;
        for (depth, &i) in path.iter().enumerate() {
            let Some(child) = node.children.get(i) else {
                return;
            };
            let k = node
                .children
                .iter()
                .take(i)
                .filter(|c| c.def.abbrev == child.def.abbrev)
                .count();
            if depth > 0 {
                key.push('/');
            }
            key.push_str(child.def.abbrev);
            if k > 0 {
                key.push_str(&format!("#{k}"));
            }
            if depth + 1 < path.len() {
                self.expanded.insert(key.clone());
            }
            node = child;
        }
        self.rebuild();
        if let Some(i) = self.lines.iter().position(|l| l.path == path) {
            self.cursor = i;
            self.want();
        }
    }

    /// Open the path to the field `p` concerns and put the cursor on it, so
    /// the hex pane highlights its bytes: the node with the problem's field
    /// abbrev (the one starting at the problem's byte when several), else
    /// the innermost field covering that byte, else the problem's own line.
    /// `frame_offset` is the stream offset of the frame's first byte.
    pub fn reveal(&mut self, p: &Problem, frame_offset: Option<u64>) {
        let Some(root) = &self.root else { return };
        // Only wire bytes map to stream offsets.
        let byte = frame_offset
            .filter(|_| self.source == Source::Wire)
            .and_then(|f| p.offset.checked_sub(f))
            .and_then(|b| usize::try_from(b).ok());
        let mut named: Vec<Vec<usize>> = Vec::new();
        paths_of(root, p.field, &mut Vec::new(), &mut named);
        let at_byte = |path: &Vec<usize>| {
            byte.is_some_and(|b| {
                node_at(root, path)
                    .and_then(|n| n.span.as_ref())
                    .is_some_and(|s| s.source == Source::Wire && s.range.start == b)
            })
        };
        let mut best = named
            .iter()
            .find(|path| at_byte(path))
            .or(named.first())
            .cloned();
        if best.is_none() {
            if let Some(b) = byte.filter(|&b| b < self.data_len) {
                innermost(root, self.source, b, &mut Vec::new(), &mut best);
            }
        }
        match best {
            Some(path) => {
                self.open_path(&path);
                self.follow_cursor();
            }
            None => {
                if let Some(i) = self.lines.iter().position(|l| l.key == PROBLEM.abbrev) {
                    self.select_line(i);
                }
            }
        }
    }

    /// Move the hex cursor by `delta` bytes.
    pub fn hex_move(&mut self, delta: isize) {
        let b = self.hex_cursor.saturating_add_signed(delta);
        self.select_byte(b);
    }

    /// Scroll so the tree cursor and the hex cursor (or highlight) are
    /// visible in panes of the given heights; `cols` bytes per hex line.
    pub fn scroll(&mut self, tree_h: usize, hex_h: usize, cols: usize) {
        self.top = scroll_to(self.top, self.cursor, tree_h);
        if let Some(line) = self.hex_cursor.checked_div(cols) {
            self.hex_top = scroll_to(self.hex_top, line, hex_h);
        }
    }
}

/// New first visible line so `at` is visible in a window of `height`.
pub fn scroll_to(top: usize, at: usize, height: usize) -> usize {
    let h = height.max(1);
    if at < top {
        at
    } else if at >= top + h {
        at + 1 - h
    } else {
        top
    }
}
