//! CRC32C as Ceph computes it on the wire.
//!
//! Ceph's `ceph_crc32c(seed, buf)` is the raw Castagnoli register update with
//! no pre- or post-inversion (FACTS.md "CRCs"; frames_v2.cc). [`crc32c`]
//! and [`append`] compute the common form (CRC-32/ISCSI: init and xorout
//! 0xFFFFFFFF) with the `crc32c` crate, so
//! `ceph_crc32c(seed, b) == !append(!seed, b)`. Every CRC over bytes goes
//! through those two.

/// CRC32C of `data` (CRC-32/ISCSI, the common form).
#[inline]
pub fn crc32c(data: &[u8]) -> u32 {
    crc32c::crc32c(data)
}

/// CRC32C of `a || data`, `crc` being that of `a` (common form).
#[inline]
pub fn append(crc: u32, data: &[u8]) -> u32 {
    crc32c::crc32c_append(crc, data)
}

/// Seed of the preamble CRC (frames_v2.cc: `ceph_crc32c(0, preamble, 28)`).
pub const PREAMBLE_SEED: u32 = 0;
/// Seed of every segment CRC (frames_v2.cc: `bufferlist::crc32c(-1)`).
pub const SEGMENT_SEED: u32 = 0xFFFF_FFFF;

/// `ceph_crc32c(seed, data)`.
pub fn ceph_crc32c(seed: u32, data: &[u8]) -> u32 {
    !append(!seed, data)
}

/// CRC of a 28-byte preamble prefix.
pub fn preamble_crc(data: &[u8]) -> u32 {
    ceph_crc32c(PREAMBLE_SEED, data)
}

/// CRC of one segment's bytes.
pub fn segment_crc(data: &[u8]) -> u32 {
    ceph_crc32c(SEGMENT_SEED, data)
}

/// Segments at least this long are split when a second thread may help.
pub const SPLIT_MIN: usize = 512 << 10;

/// [`segment_crc`], its second half computed on another thread when
/// `split` is set and the segment is large: CRC32C of `a || b` follows from
/// the register after `a` and the CRC of `b` alone (`crc32c_combine`).
pub fn segment_crc_split(data: &[u8], split: bool) -> u32 {
    if !split || data.len() < SPLIT_MIN {
        return segment_crc(data);
    }
    let (a, b) = data.split_at(data.len() / 2);
    std::thread::scope(|s| {
        let second = std::thread::Builder::new().spawn_scoped(s, || crc32c(b));
        let first = append(!SEGMENT_SEED, a);
        match second.ok().and_then(|h| h.join().ok()) {
            Some(c) => !crc32c::crc32c_combine(first, c, b.len()),
            None => !append(first, b),
        }
    })
}

/// CRC32C of `a || b` from the CRC of `a` and that of `b` alone, at a few
/// table lookups per set bit of `b`'s length.
///
/// The register update is linear: with no inversions, the register after
/// `b` from `r` is `S(r) ^ (the register after b from 0)`, where `S` is the
/// update over `b.len()` zero bytes. In the crate's inverted form this
/// gives `crc(a || b) == S(crc(a)) ^ crc(b)` (the crate's
/// `crc32c_combine`, which works `S` out anew at every call). The updates
/// over 1, 2, 4, ... 2^16 zero bytes are kept here, each as four tables
/// of 256 entries (one per byte of the register); `S` over any length up
/// to 2^17 - 1 is theirs for the set bits of the length, in turn.
#[derive(Debug)]
pub struct Shifts {
    /// `pow[k]`: the update over 2^k zero bytes.
    pow: Box<[[[u32; 256]; 4]; POWERS]>,
}

/// The powers of two kept: lengths up to 2^17 - 1 (a TCP payload is at
/// most 65 535 bytes).
const POWERS: usize = 17;

thread_local! {
    /// The tables of this thread's [`combine`], built at its first call.
    static SHIFTS: Shifts = Shifts::new();
    /// The update over one length met many times in a row, as one table.
    static SAME: std::cell::RefCell<Same> = std::cell::RefCell::default();
}

/// Lengths met this many times in a row get a table of their own: packets
/// of one size (an MTU's) then cost four lookups each; building it costs
/// about as much as the CRC of a few kilobytes.
const STREAK: u32 = 16;

/// The last length combined, how many times in a row, and the table of
/// one length (see [`STREAK`]).
#[derive(Debug, Default)]
struct Same {
    last: usize,
    streak: u32,
    table: Option<(usize, Box<[[u32; 256]; 4]>)>,
}

/// [`Shifts::combine`] with this thread's tables.
pub fn combine(a: u32, b: u32, len: usize) -> u32 {
    SHIFTS.with(|s| {
        SAME.with(|same| {
            let Ok(mut same) = same.try_borrow_mut() else {
                return s.combine(a, b, len);
            };
            if let Some((_, t)) = same.table.as_ref().filter(|(l, _)| *l == len) {
                return apply(t, a) ^ b;
            }
            same.streak = if same.last == len {
                same.streak.saturating_add(1)
            } else {
                1
            };
            same.last = len;
            if same.streak >= STREAK && len >> POWERS == 0 {
                let basis: [u32; 32] = std::array::from_fn(|bit| s.shift(1 << bit, len));
                let mut t = Box::new([[0u32; 256]; 4]);
                expand(&basis, &mut t);
                same.table = Some((len, t));
            }
            s.combine(a, b, len)
        })
    })
}

impl Default for Shifts {
    fn default() -> Self {
        Shifts::new()
    }
}

impl Shifts {
    /// The tables, each power from the one before (applied to its image).
    pub fn new() -> Shifts {
        let mut pow = Box::new([[[0u32; 256]; 4]; POWERS]);
        // Over one zero byte, with no inversions: `!crc32c_append(!r, [0])`.
        let mut basis: [u32; 32] = std::array::from_fn(|bit| !append(!(1u32 << bit), &[0]));
        for t in pow.iter_mut() {
            expand(&basis, t);
            basis = basis.map(|r| apply(t, r));
        }
        Shifts { pow }
    }

    /// `crc32c(a || b)` (crate form) from `crc32c(a)` and `crc32c(b)`, `b`
    /// being `len` bytes long.
    pub fn combine(&self, a: u32, b: u32, len: usize) -> u32 {
        if len >> POWERS != 0 {
            return crc32c::crc32c_combine(a, b, len);
        }
        self.shift(a, len) ^ b
    }

    /// The update of register `r` (no inversions) over `len` zero bytes,
    /// `len` below 2^17.
    fn shift(&self, r: u32, len: usize) -> u32 {
        let mut r = r;
        for (k, t) in self.pow.iter().enumerate() {
            if len >> k & 1 == 1 {
                r = apply(t, r);
            }
        }
        r
    }
}

/// A linear map of the register, given the images of its 32 bits, as
/// four tables of 256 entries.
fn expand(basis: &[u32; 32], t: &mut [[u32; 256]; 4]) {
    for (k, row) in t.iter_mut().enumerate() {
        for (byte, v) in row.iter_mut().enumerate() {
            *v = (0..8)
                .filter(|i| byte >> i & 1 == 1)
                .map(|i| basis.get(k * 8 + i).copied().unwrap_or(0))
                .fold(0, |x, y| x ^ y);
        }
    }
}

/// The map of `t` applied to `r`.
fn apply(t: &[[u32; 256]; 4], r: u32) -> u32 {
    let [x0, x1, x2, x3] = r.to_le_bytes().map(usize::from);
    let at = |k: usize, x: usize| t.get(k).and_then(|row| row.get(x)).copied().unwrap_or(0);
    at(0, x0) ^ at(1, x1) ^ at(2, x2) ^ at(3, x3)
}

#[cfg(test)]
#[allow(clippy::indexing_slicing, clippy::unwrap_used, clippy::panic)]
mod tests {
    use super::*;

    /// `n` bytes of a linear congruential sequence from `seed`.
    fn noise(seed: u32, n: usize) -> Vec<u8> {
        let mut x = seed;
        (0..n)
            .map(|_| {
                x = x.wrapping_mul(1_664_525).wrapping_add(1_013_904_223);
                (x >> 24) as u8
            })
            .collect()
    }

    // RESEARCH.md A6: values for "123456789".
    #[test]
    fn check_values() {
        assert_eq!(crc32c::crc32c(b"123456789"), 0xE306_9283);
        assert_eq!(ceph_crc32c(0, b"123456789"), 0x58E3_FA20);
        assert_eq!(ceph_crc32c(0xFFFF_FFFF, b"123456789"), 0x1CF9_6D7C);
        assert_eq!(segment_crc(b""), 0xFFFF_FFFF);
        // Split in two (on two threads) or not, the same value.
        let big = noise(0x9e37_79b9, SPLIT_MIN * 3 + 7);
        for len in [0, 1, SPLIT_MIN - 1, SPLIT_MIN, SPLIT_MIN + 1, big.len()] {
            let d = &big[..len];
            assert_eq!(segment_crc_split(d, true), segment_crc(d), "{len}");
            assert_eq!(segment_crc_split(d, false), segment_crc(d), "{len}");
        }
        assert_eq!(preamble_crc(b""), 0);
    }

    #[test]
    fn combined_crcs_are_the_crcs_of_the_whole() {
        let big = noise(0x1234_5678_u32, 200_000);
        let s = Shifts::new();
        for len in [
            0, 1, 7, 1448, 4096, 4097, 65_483, 65_535, 100_000, 131_071, 131_072, 150_000,
        ] {
            for cut in [0, 1, 999] {
                let (a, b) = (&big[..cut], &big[cut..cut + len]);
                let whole = crc32c::crc32c(&big[..cut + len]);
                assert_eq!(s.combine(crc32c::crc32c(a), crc32c::crc32c(b), len), whole);
                assert_eq!(
                    crc32c::crc32c_combine(crc32c::crc32c(a), crc32c::crc32c(b), len),
                    whole
                );
            }
        }
        // A segment's register, the seed first, then packet after packet.
        let mut reg = !SEGMENT_SEED;
        for piece in big[..3 * 1448 + 10].chunks(1448) {
            reg = s.combine(reg, crc32c::crc32c(piece), piece.len());
        }
        assert_eq!(!reg, segment_crc(&big[..3 * 1448 + 10]));
        // This thread's combine, with a table of its own for a length met
        // many times in a row, and after it another length.
        for n in [1448, 1448 * 2, 65_483] {
            let b = crc32c::crc32c(&big[5..5 + n]);
            for k in 0..2 * STREAK {
                let a = crc32c::crc32c(&big[..5]) ^ k;
                assert_eq!(combine(a, b, n), s.combine(a, b, n), "{n} {k}");
            }
            assert_eq!(
                combine(crc32c::crc32c(&big[..5]), b, n),
                crc32c::crc32c(&big[..5 + n])
            );
        }
        assert!(SAME.with(|same| same.borrow().table.as_ref().map(|t| t.0)) == Some(65_483));
    }

    // FACTS.md worked example: a real HELLO preamble.
    #[test]
    fn real_hello_preamble() {
        let mut p = [0u8; 28];
        p[..8].copy_from_slice(&[0x01, 0x01, 0x24, 0, 0, 0, 0x08, 0]);
        assert_eq!(preamble_crc(&p), 0x066b_bd3f);
    }
}
