//! The colours a row is shown in, shared by the terminal UI's theme and
//! the text list's `--color`: one place says that an error is red, so the
//! two views never disagree. Colours are the eight ANSI ones, which every
//! terminal has and a user's terminal theme may tune.

/// One of the eight ANSI colours (SGR 30..37).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ansi {
    /// SGR 31.
    Red,
    /// SGR 33.
    Yellow,
    /// SGR 34.
    Blue,
    /// SGR 35.
    Magenta,
}

impl Ansi {
    /// The SGR foreground code.
    pub fn fg_code(self) -> u8 {
        match self {
            Ansi::Red => 31,
            Ansi::Yellow => 33,
            Ansi::Blue => 34,
            Ansi::Magenta => 35,
        }
    }
}

/// A colour and whether it is bold.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Paint {
    /// Foreground colour.
    pub fg: Ansi,
    /// Bold as well.
    pub bold: bool,
}

impl Paint {
    /// The escape sequence that starts this paint (`ESC [ 1 ; 31 m`).
    pub fn sgr(self) -> String {
        if self.bold {
            format!("\x1b[1;{}m", self.fg.fg_code())
        } else {
            format!("\x1b[{}m", self.fg.fg_code())
        }
    }
}

/// The escape sequence that ends any paint.
pub const RESET: &str = "\x1b[0m";

/// Rows with an error-level problem.
pub const ERROR: Paint = Paint {
    fg: Ansi::Red,
    bold: false,
};
/// Rows with a warning-level problem (the worst they have).
pub const WARNING: Paint = Paint {
    fg: Ansi::Yellow,
    bold: false,
};
/// Rows with notes only.
pub const NOTE: Paint = Paint {
    fg: Ansi::Blue,
    bold: false,
};
/// A secure-mode frame decrypted with a key.
pub const SECURE: Paint = Paint {
    fg: Ansi::Magenta,
    bold: true,
};
/// A secure direction no key opens.
pub const ENCRYPTED: Paint = Paint {
    fg: Ansi::Red,
    bold: true,
};

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sgr_codes() {
        assert_eq!(ERROR.sgr(), "\x1b[31m");
        assert_eq!(WARNING.sgr(), "\x1b[33m");
        assert_eq!(SECURE.sgr(), "\x1b[1;35m");
        assert_eq!(ENCRYPTED.sgr(), "\x1b[1;31m");
    }
}
