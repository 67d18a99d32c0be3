//! Helpers shared by the control-payload decoders: bounded regions for
//! length-prefixed items, `vector<uint32_t>`, `utime_t`, and a small
//! reader for the typed (tree-less) decoders.
//!
//! A region whose declared length runs past the available bytes is decoded
//! as far as the bytes go; the short read then surfaces as one malformed
//! item at the offset where the bytes ended, so a truncated payload always
//! reads as a prefix of its full decoding.

use crate::model::tree::{Malformed, Res, Tree, TRAILING};
use crate::model::{FieldDef, FieldNode, Value};

/// A length-prefixed region being decoded: the bytes present and the
/// length the wire declared for it (more than present when truncated).
#[derive(Debug, Clone, Copy)]
pub struct Reg<'a> {
    /// The region's bytes that are present.
    pub bytes: &'a [u8],
    /// Frame offset of the region's first byte.
    pub start: usize,
    /// Declared length.
    pub len: usize,
}

impl<'a> Reg<'a> {
    /// Declared bytes of the region after the cursor's position. Decoders
    /// decide by this, not by the bytes present, so that a truncated region
    /// decodes as a prefix of the complete one.
    pub fn left(&self, t: &Tree<'_>) -> usize {
        (self.start + self.len).saturating_sub(t.offset())
    }

    /// The first `n` bytes of the region, or a malformed item at the
    /// cursor when they are not all present.
    pub fn peek(&self, t: &Tree<'_>, n: usize) -> Res<&'a [u8]> {
        self.bytes.get(..n).ok_or_else(|| Malformed {
            offset: t.offset(),
            what: format!(
                "needs {n} bytes to tell the layout, {} present",
                self.bytes.len()
            ),
        })
    }
}

/// Decode the next `len` bytes with `build`, inside a cursor bounded to
/// them. Bytes `build` leaves unread become a node of `leftover` (a
/// `ceph.trailing` node when `None`).
pub fn sub_with<'a>(
    t: &mut Tree<'a>,
    len: usize,
    leftover: Option<&'static FieldDef>,
    build: impl FnOnce(&mut Tree<'a>, Reg<'a>) -> Res<()>,
) -> Res<()> {
    let avail = len.min(t.remaining());
    let start = t.offset();
    let (bytes, span) = t.take(avail, "region")?;
    let mut child = Tree::new(bytes, start, span.source);
    let res = build(&mut child, Reg { bytes, start, len });
    let left = child.remaining();
    let end = child.offset();
    let mut nodes = child.into_nodes();
    if res.is_err() {
        prune(&mut nodes);
    }
    for n in nodes {
        t.push(n);
    }
    res?;
    if left > 0 {
        let rest = bytes.get(bytes.len().saturating_sub(left)..).unwrap_or(&[]);
        let def = leftover.unwrap_or(&TRAILING);
        t.push(FieldNode::new(
            def,
            Value::Bytes(rest.to_vec()),
            Some(t.span(end, left)),
        ));
    }
    if avail < len {
        return Err(Malformed {
            offset: start + avail,
            what: format!("item of {len} bytes, only {avail} present"),
        });
    }
    Ok(())
}

/// After a failed read: shrink each group (a node without a value) to the
/// bytes its children cover, and drop the groups left with none, so a
/// truncated structure shows exactly what was read.
fn prune(nodes: &mut Vec<FieldNode>) {
    for n in nodes.iter_mut() {
        prune(&mut n.children);
        if n.value != Value::None {
            continue;
        }
        let Some(span) = n.span.as_mut() else {
            continue;
        };
        let covered = n.children.iter().filter_map(|c| c.span.as_ref()).fold(
            None,
            |acc: Option<(usize, usize)>, s| {
                Some(acc.map_or((s.range.start, s.range.end), |(a, b)| {
                    (a.min(s.range.start), b.max(s.range.end))
                }))
            },
        );
        span.range = covered.map_or(span.range.start..span.range.start, |(a, b)| a..b);
    }
    nodes.retain(|n| {
        !(n.children.is_empty()
            && n.value == Value::None
            && n.span.as_ref().is_some_and(|s| s.range.is_empty()))
    });
}

/// [`sub_with`] with leftovers reported as `ceph.trailing`.
pub fn sub<'a>(
    t: &mut Tree<'a>,
    len: usize,
    build: impl FnOnce(&mut Tree<'a>, Reg<'a>) -> Res<()>,
) -> Res<()> {
    sub_with(t, len, None, build)
}

/// The rest of region `reg`, as one bytes field (nothing when empty).
pub fn rest(t: &mut Tree<'_>, reg: &Reg<'_>, def: &'static FieldDef) -> Res<()> {
    let n = reg.left(t);
    if n > 0 {
        t.bytes(def, n)?;
    }
    Ok(())
}

/// A `le32` length as its own field, followed by a region of that length.
pub fn len_region<'a>(
    t: &mut Tree<'a>,
    len_def: &'static FieldDef,
    build: impl FnOnce(&mut Tree<'a>, Reg<'a>) -> Res<()>,
) -> Res<()> {
    let n = t.uint(len_def, 4)?;
    sub(t, usize::try_from(n).unwrap_or(usize::MAX), build)
}

/// A value read from `width` <= 4 bytes, as u32.
pub fn u32_of(v: u64) -> u32 {
    u32::try_from(v).unwrap_or(u32::MAX)
}

/// `std::vector<uint32_t>` (le32 count, count x le32) as a group with a
/// count field and one enum field per item; the group's value lists the
/// item names. Returns the items.
pub fn vec_u32(
    t: &mut Tree<'_>,
    group: &'static FieldDef,
    count: &'static FieldDef,
    item: &'static FieldDef,
    names: fn(u64) -> Option<&'static str>,
) -> Res<Vec<u64>> {
    let mut items = Vec::new();
    let node = t.group(group, |t| {
        let n = t.uint(count, 4)?;
        for _ in 0..n {
            items.push(t.enumerated(item, 4, names)?);
        }
        Ok(())
    })?;
    let text = list_text(&items, names);
    node.value = Value::Str(text.clone());
    node.summary = Some(if text.is_empty() {
        "(none)".into()
    } else {
        text
    });
    Ok(items)
}

/// Items by name, comma separated (unknown ones as numbers).
pub fn list_text(items: &[u64], names: fn(u64) -> Option<&'static str>) -> String {
    items
        .iter()
        .map(|v| names(*v).map_or_else(|| v.to_string(), str::to_string))
        .collect::<Vec<_>>()
        .join(",")
}

/// `utime_t` (le32 sec, le32 nsec) as one time field.
pub fn utime(t: &mut Tree<'_>, def: &'static FieldDef) -> Res<(u32, u32)> {
    let (b, span) = t.take(8, def.abbrev)?;
    let mut r = Rd::new(b);
    let (sec, nsec) = (r.u32().unwrap_or(0), r.u32().unwrap_or(0));
    let mut node = FieldNode::new(def, Value::Time(i64::from(sec), nsec), Some(span));
    node.summary = Some(utc_text(i64::from(sec), nsec));
    t.push(node);
    Ok((sec, nsec))
}

/// `YYYY-MM-DDTHH:MM:SS.mmmZ` for seconds and nanoseconds since the Unix
/// epoch (proleptic Gregorian calendar, UTC).
pub fn utc_text(secs: i64, nanos: u32) -> String {
    let days = secs.div_euclid(86_400);
    let tod = secs.rem_euclid(86_400);
    // Days since 1970-01-01 to a civil date: shift the epoch to 0000-03-01
    // so that leap days fall at the end of a 400-year era.
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}.{:03}Z",
        tod / 3600,
        tod / 60 % 60,
        tod % 60,
        nanos / 1_000_000
    )
}

/// A little-endian reader over a byte slice for the typed decoders; every
/// read is checked and returns `None` past the end.
#[derive(Debug, Clone)]
pub struct Rd<'a> {
    buf: &'a [u8],
    pos: usize,
}

impl<'a> Rd<'a> {
    /// A reader at the start of `buf`.
    pub fn new(buf: &'a [u8]) -> Self {
        Rd { buf, pos: 0 }
    }

    /// Bytes read so far.
    pub fn pos(&self) -> usize {
        self.pos
    }

    /// Bytes left.
    pub fn remaining(&self) -> usize {
        self.buf.len().saturating_sub(self.pos)
    }

    /// The next `n` bytes.
    pub fn bytes(&mut self, n: usize) -> Option<&'a [u8]> {
        let end = self.pos.checked_add(n)?;
        let b = self.buf.get(self.pos..end)?;
        self.pos = end;
        Some(b)
    }

    /// The next `N` bytes as an array.
    pub fn array<const N: usize>(&mut self) -> Option<[u8; N]> {
        self.bytes(N)?.try_into().ok()
    }

    /// A byte.
    pub fn u8(&mut self) -> Option<u8> {
        Some(self.array::<1>()?[0])
    }

    /// A le16.
    pub fn u16(&mut self) -> Option<u16> {
        Some(u16::from_le_bytes(self.array()?))
    }

    /// A le32.
    pub fn u32(&mut self) -> Option<u32> {
        Some(u32::from_le_bytes(self.array()?))
    }

    /// A le64.
    pub fn u64(&mut self) -> Option<u64> {
        Some(u64::from_le_bytes(self.array()?))
    }

    /// A bufferlist or string: le32 length and that many bytes.
    pub fn bl(&mut self) -> Option<&'a [u8]> {
        let n = usize::try_from(self.u32()?).ok()?;
        self.bytes(n)
    }

    /// `std::vector<uint32_t>`; the count is checked against the bytes left.
    pub fn vec_u32(&mut self) -> Option<Vec<u32>> {
        let n = usize::try_from(self.u32()?).ok()?;
        if n > self.remaining() / 4 {
            return None;
        }
        (0..n).map(|_| self.u32()).collect()
    }
}

/// Append helpers for the encoders (little-endian, Ceph's `encode()`).
pub mod put {
    /// A le32 length followed by the bytes (bufferlist, string).
    pub fn bl(out: &mut Vec<u8>, b: &[u8]) {
        out.extend_from_slice(&u32::try_from(b.len()).unwrap_or(u32::MAX).to_le_bytes());
        out.extend_from_slice(b);
    }

    /// `std::vector<uint32_t>`.
    pub fn vec_u32(out: &mut Vec<u8>, v: &[u32]) {
        out.extend_from_slice(&u32::try_from(v.len()).unwrap_or(u32::MAX).to_le_bytes());
        for x in v {
            out.extend_from_slice(&x.to_le_bytes());
        }
    }
}

#[cfg(test)]
#[allow(clippy::indexing_slicing, clippy::unwrap_used, clippy::panic)]
mod tests {
    use super::*;

    #[test]
    fn utc_text_known_dates() {
        assert_eq!(utc_text(0, 0), "1970-01-01T00:00:00.000Z");
        // 2000-02-29 12:34:56 UTC
        assert_eq!(
            utc_text(951_827_696, 789_000_000),
            "2000-02-29T12:34:56.789Z"
        );
        assert_eq!(
            utc_text(1_795_409_693, 149_000_000),
            "2026-11-23T04:54:53.149Z"
        );
        assert_eq!(utc_text(-1, 0), "1969-12-31T23:59:59.000Z");
    }

    #[test]
    fn reader_checks_bounds() {
        let mut r = Rd::new(&[1, 0, 0, 0, 7, 2]);
        assert_eq!(r.bl(), Some(&[7u8][..]));
        assert_eq!(r.u16(), None);
        assert_eq!(r.u8(), Some(2));
        let mut r = Rd::new(&[0xff, 0xff, 0xff, 0xff]);
        assert_eq!(r.vec_u32(), None);
    }
}
