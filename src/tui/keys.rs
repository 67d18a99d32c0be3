//! The one key table of the terminal UI. Every binding is a row here: the
//! key, where it applies, the action it triggers and the sentence the help
//! overlay shows. Handlers match on [`Action`]s, never on raw keys, so the
//! help overlay can never disagree with what the keys do.

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

/// What a key asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Action {
    /// Leave the program.
    Quit,
    /// Show or hide the help overlay.
    Help,
    /// Focus the next pane.
    FocusNext,
    /// Focus the previous pane.
    FocusPrev,
    /// Zoom the focused pane to the whole screen, or back.
    Zoom,
    /// Give the focused pane more room.
    Grow,
    /// Give the focused pane less room.
    Shrink,
    /// Move up one line.
    Up,
    /// Move down one line.
    Down,
    /// Move up one page.
    PageUp,
    /// Move down one page.
    PageDown,
    /// Go to the first line.
    First,
    /// Go to the last line.
    Last,
    /// Tree: collapse or go to the parent; hex: previous byte.
    Left,
    /// Tree: expand; hex: next byte.
    Right,
    /// Tree: expand or collapse; views: choose the selected line.
    Enter,
    /// Expand every node of the tree.
    ExpandAll,
    /// Collapse every node of the tree.
    CollapseAll,
    /// Edit the display filter.
    Filter,
    /// Search text in the content column and field values.
    Search,
    /// Next search match, or next row with a problem.
    Next,
    /// Previous search match, or previous row with a problem.
    Prev,
    /// Go to a frame number.
    Goto,
    /// Jump to the matching request or reply.
    MatchPair,
    /// Show the connections view.
    Conns,
    /// Follow the selected frame's connection.
    Follow,
    /// Leave the current view, input or search.
    Cancel,
    /// Input line: previous history entry.
    HistoryPrev,
    /// Input line: next history entry.
    HistoryNext,
    /// Input line: delete the character before the cursor.
    Backspace,
    /// Input line: delete the character under the cursor.
    Delete,
    /// Input line: clear.
    ClearLine,
}

/// Where a binding applies.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Scope {
    /// Everywhere except while typing.
    Global,
    /// In every list, pane and view.
    Move,
    /// The three panes of the main screen.
    Main,
    /// The connections and follow views.
    View,
    /// While typing a filter, a search or a frame number.
    Input,
}

impl Scope {
    /// Heading in the help overlay.
    pub fn title(self) -> &'static str {
        match self {
            Scope::Global => "Everywhere",
            Scope::Move => "Moving (list, tree, hex, views)",
            Scope::Main => "Main screen",
            Scope::View => "Connections and follow views",
            Scope::Input => "Filter, search and go-to input",
        }
    }
}

/// One row of the key table.
#[derive(Debug, Clone, Copy)]
pub struct Binding {
    /// Key code.
    pub code: KeyCode,
    /// Modifiers that must be held (Shift is ignored for characters).
    pub mods: KeyModifiers,
    /// How the key is written in the help.
    pub label: &'static str,
    /// Where it applies.
    pub scope: Scope,
    /// What it does.
    pub action: Action,
    /// Help text.
    pub help: &'static str,
}

const NONE: KeyModifiers = KeyModifiers::NONE;
const CTRL: KeyModifiers = KeyModifiers::CONTROL;

const fn b(
    code: KeyCode,
    mods: KeyModifiers,
    label: &'static str,
    scope: Scope,
    action: Action,
    help: &'static str,
) -> Binding {
    Binding {
        code,
        mods,
        label,
        scope,
        action,
        help,
    }
}

use Action as A;
use KeyCode as K;
use Scope as S;

/// Every key binding, in the order the help shows them.
#[rustfmt::skip]
pub static KEYS: &[Binding] = &[
    b(K::Char('q'), NONE, "q", S::Global, A::Quit, "quit"),
    b(K::Char('c'), CTRL, "Ctrl-C", S::Global, A::Quit, "quit"),
    b(K::Char('?'), NONE, "?", S::Global, A::Help, "show or hide this help"),
    b(K::Up, NONE, "Up", S::Move, A::Up, "previous line"),
    b(K::Char('k'), NONE, "k", S::Move, A::Up, "previous line"),
    b(K::Down, NONE, "Down", S::Move, A::Down, "next line"),
    b(K::Char('j'), NONE, "j", S::Move, A::Down, "next line"),
    b(K::PageUp, NONE, "PgUp", S::Move, A::PageUp, "previous page"),
    b(K::PageDown, NONE, "PgDn", S::Move, A::PageDown, "next page"),
    b(K::Home, NONE, "Home", S::Move, A::First, "first line"),
    b(K::End, NONE, "End", S::Move, A::Last, "last line"),
    b(K::Char('G'), NONE, "G", S::Move, A::Last, "last line"),
    b(K::Tab, NONE, "Tab", S::Main, A::FocusNext, "next pane (list, details, bytes)"),
    b(K::BackTab, NONE, "Shift-Tab", S::Main, A::FocusPrev, "previous pane"),
    b(K::Char('\\'), NONE, "\\", S::Main, A::Zoom, "zoom the focused pane, or unzoom"),
    b(K::Char('+'), NONE, "+", S::Main, A::Grow, "enlarge the focused pane"),
    b(K::Char('='), NONE, "=", S::Main, A::Grow, "enlarge the focused pane"),
    b(K::Char('-'), NONE, "-", S::Main, A::Shrink, "shrink the focused pane"),
    b(K::Left, NONE, "Left", S::Main, A::Left, "details: collapse or go to parent; bytes: previous byte"),
    b(K::Char('h'), NONE, "h", S::Main, A::Left, "same as Left"),
    b(K::Right, NONE, "Right", S::Main, A::Right, "details: expand; bytes: next byte"),
    b(K::Char('l'), NONE, "l", S::Main, A::Right, "same as Right"),
    b(K::Enter, NONE, "Enter", S::Main, A::Enter, "list: go to details; details: expand or collapse"),
    b(K::Char(' '), NONE, "Space", S::Main, A::Enter, "same as Enter"),
    b(K::Char('e'), NONE, "e", S::Main, A::ExpandAll, "expand every detail"),
    b(K::Char('E'), NONE, "E", S::Main, A::CollapseAll, "collapse every detail"),
    b(K::Char('/'), NONE, "/", S::Main, A::Filter, "edit the display filter"),
    b(K::Char('f'), CTRL, "Ctrl-F", S::Main, A::Search, "search content and field values"),
    b(K::Char('n'), NONE, "n", S::Main, A::Next, "next search match, or next problem (its field opened)"),
    b(K::Char('N'), NONE, "N", S::Main, A::Prev, "previous search match, or previous problem"),
    b(K::Char('g'), NONE, "g", S::Main, A::Goto, "go to frame number (type digits, Enter)"),
    b(K::Char('m'), NONE, "m", S::Main, A::MatchPair, "matching request/reply (osd_op, mon_command, keepalive)"),
    b(K::Char('c'), NONE, "c", S::Main, A::Conns, "connections view"),
    b(K::Char('f'), NONE, "f", S::Main, A::Follow, "follow the selected frame's connection"),
    b(K::Esc, NONE, "Esc", S::Main, A::Cancel, "end the search, unzoom"),
    b(K::Enter, NONE, "Enter", S::View, A::Enter, "connections: filter on it; follow: go to the frame"),
    b(K::Esc, NONE, "Esc", S::View, A::Cancel, "back to the main screen"),
    b(K::Char('c'), NONE, "c", S::View, A::Conns, "connections view, or back"),
    b(K::Char('f'), NONE, "f", S::View, A::Follow, "connections: follow it; follow: back"),
    b(K::Enter, NONE, "Enter", S::Input, A::Enter, "apply"),
    b(K::Esc, NONE, "Esc", S::Input, A::Cancel, "leave without applying"),
    b(K::Up, NONE, "Up", S::Input, A::HistoryPrev, "previous filter from history"),
    b(K::Down, NONE, "Down", S::Input, A::HistoryNext, "next filter from history"),
    b(K::Left, NONE, "Left", S::Input, A::Left, "move the cursor left"),
    b(K::Right, NONE, "Right", S::Input, A::Right, "move the cursor right"),
    b(K::Home, NONE, "Home", S::Input, A::First, "start of line"),
    b(K::End, NONE, "End", S::Input, A::Last, "end of line"),
    b(K::Backspace, NONE, "Backspace", S::Input, A::Backspace, "delete before the cursor"),
    b(K::Delete, NONE, "Delete", S::Input, A::Delete, "delete under the cursor"),
    b(K::Char('u'), CTRL, "Ctrl-U", S::Input, A::ClearLine, "clear the line"),
    b(K::Char('c'), CTRL, "Ctrl-C", S::Input, A::Quit, "quit"),
];

/// The action `ev` triggers in the first of `scopes` that binds it.
pub fn lookup(scopes: &[Scope], ev: &KeyEvent) -> Option<Action> {
    let mods = match ev.code {
        // Shift is how upper-case letters and symbols are typed.
        KeyCode::Char(_) | KeyCode::BackTab => ev.modifiers - KeyModifiers::SHIFT,
        _ => ev.modifiers,
    };
    scopes.iter().find_map(|&scope| {
        KEYS.iter()
            .find(|k| k.scope == scope && k.code == ev.code && k.mods == mods)
            .map(|k| k.action)
    })
}

/// The labels of every key bound to `action` in `scope`, joined by `/`.
pub fn labels(scope: Scope, action: Action) -> String {
    let v: Vec<&str> = KEYS
        .iter()
        .filter(|k| k.scope == scope && k.action == action)
        .map(|k| k.label)
        .collect();
    v.join("/")
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn no_key_is_bound_twice_in_a_scope() {
        for (i, a) in KEYS.iter().enumerate() {
            for b in KEYS.iter().skip(i + 1) {
                assert!(
                    !(a.scope == b.scope && a.code == b.code && a.mods == b.mods),
                    "{} bound twice in {:?}",
                    a.label,
                    a.scope
                );
            }
        }
    }

    #[test]
    fn scopes_are_searched_in_order() {
        let enter = KeyEvent::new(KeyCode::Enter, KeyModifiers::NONE);
        assert_eq!(
            lookup(&[Scope::View, Scope::Main], &enter),
            Some(Action::Enter)
        );
        let big_n = KeyEvent::new(KeyCode::Char('N'), KeyModifiers::SHIFT);
        assert_eq!(lookup(&[Scope::Main], &big_n), Some(Action::Prev));
        let ctrl_f = KeyEvent::new(KeyCode::Char('f'), KeyModifiers::CONTROL);
        assert_eq!(lookup(&[Scope::Main], &ctrl_f), Some(Action::Search));
        assert_eq!(labels(Scope::Move, Action::Down), "Down/j");
    }
}
