//! `cephshark diff A B`: the comparison's report as text (one line per
//! difference, details indented below it, then a summary) or as JSON.

use crate::analysis::diff::clock::{ClockOffset, DelayStats};
use crate::analysis::diff::unit::Seen;
use crate::analysis::diff::{ConnKey, Finding, FindingKind, Report};
use crate::capture::PacketIndex;
use crate::model::escape::escape;
use crate::tcp::Direction;
use serde_json::{json, Value};
use std::io::{self, Write};

fn dir_name(d: Direction) -> &'static str {
    match d {
        Direction::ClientToServer => "c2s",
        Direction::ServerToClient => "s2c",
    }
}

fn conn_name(k: &ConnKey) -> String {
    let reuse = match k.reuse {
        0 => String::new(),
        n => format!(" (use {})", n + 1),
    };
    format!("{} -> {}{reuse}", k.client, k.server)
}

/// Packet numbers as runs: `3-5,9`.
pub fn packet_runs(p: &[PacketIndex]) -> String {
    let mut out: Vec<String> = Vec::new();
    let mut run: Option<(u64, u64)> = None;
    for n in p.iter().map(|p| p.0) {
        run = match run {
            Some((lo, hi)) if hi.checked_add(1) == Some(n) => Some((lo, n)),
            Some((lo, hi)) => {
                out.push(run_text(lo, hi));
                Some((n, n))
            }
            None => Some((n, n)),
        };
    }
    if let Some((lo, hi)) = run {
        out.push(run_text(lo, hi));
    }
    out.join(",")
}

fn run_text(lo: u64, hi: u64) -> String {
    if lo == hi {
        lo.to_string()
    } else {
        format!("{lo}-{hi}")
    }
}

fn seen_text(name: &str, s: &Seen) -> String {
    let seq = s.seq.map(|q| format!(" seq {q}")).unwrap_or_default();
    format!(
        "{name}: row {} {}{seq}, {} bytes, packets {}, {}, verifies {}",
        s.row,
        escape(&s.tag),
        s.len,
        packet_runs(&s.packets),
        escape(&s.status),
        s.verifies.as_str()
    )
}

fn ms(ns: i64) -> String {
    format!("{:.3} ms", ns as f64 / 1e6)
}

fn byte(b: Option<u8>) -> String {
    b.map_or("(end)".into(), |b| format!("{b:#04x}"))
}

/// One finding as text lines.
pub fn finding_text(f: &Finding) -> Vec<String> {
    let s = f.a.as_ref().or(f.b.as_ref());
    let (offset, tag) = s.map_or((0, String::new()), |s| {
        (s.offset, escape(&s.tag).into_owned())
    });
    let mut lines = vec![format!(
        "conn {} {} offset {offset} {tag}: {}{}",
        conn_name(&f.conn),
        dir_name(f.dir),
        f.verdict(),
        if f.retransmitted {
            "; a later TCP copy at B differed (retransmitted)"
        } else {
            ""
        }
    )];
    if let Some(d) = &f.first {
        let field = d.field.map(|n| format!(", {n}")).unwrap_or_default();
        lines.push(format!(
            "    first difference at stream offset {} (frame byte {}{field}): A {}, B {}",
            d.stream_offset,
            d.frame_offset,
            byte(d.a),
            byte(d.b)
        ));
    }
    for (name, seen) in [("A", &f.a), ("B", &f.b)] {
        if let Some(seen) = seen {
            lines.push(format!("    {}", seen_text(name, seen)));
        }
    }
    if let (Some(c), FindingKind::OnlyIn(side)) = (&f.other, f.kind) {
        let other = match side {
            crate::analysis::diff::Side::A => "B",
            crate::analysis::diff::Side::B => "A",
        };
        lines.push(format!(
            "    {other}: {} bytes at {} {}, packets {}",
            c.len,
            c.offset,
            c.what,
            packet_runs(&c.packets)
        ));
    }
    lines
}

fn offset_text(o: &Option<ClockOffset>) -> String {
    match o {
        Some(o) => format!(
            "B - A = {} (from {}: fastest A->B {}, slowest B->A {}, midpoint)",
            ms(o.offset_ns),
            if o.from_handshakes {
                "banners and HELLOs"
            } else {
                "all matched rows"
            },
            ms(o.forward_min_ns),
            ms(o.backward_max_ns)
        ),
        None => "not estimated (no rows matched in both directions)".into(),
    }
}

fn stats_text(s: &Option<DelayStats>) -> String {
    match s {
        Some(s) => format!(
            "{} messages, min {}, median {}, max {}",
            s.count,
            ms(s.min_ns),
            ms(s.median_ns),
            ms(s.max_ns)
        ),
        None => "no messages".into(),
    }
}

/// The report as text: each finding, then the summary.
pub fn write_text<W: Write>(r: &Report, names: [&str; 2], w: &mut W) -> io::Result<()> {
    for f in &r.findings {
        for line in finding_text(f) {
            writeln!(w, "{line}")?;
        }
    }
    let s = &r.summary;
    let [name_a, name_b] = names;
    let [only_a, only_b] = &s.conns_only;
    let [rows_a, rows_b] = s.units;
    let [fwd, back] = &s.delays.paths;
    writeln!(w, "A: {}", escape(name_a))?;
    writeln!(w, "B: {}", escape(name_b))?;
    writeln!(
        w,
        "connections in both: {}; in A only: {}; in B only: {} (not compared)",
        s.conns_both,
        only_a.len(),
        only_b.len()
    )?;
    for (ka, kb) in &s.renamed {
        writeln!(
            w,
            "paired by CLIENT_IDENT: A {} = B {}",
            conn_name(ka),
            conn_name(kb)
        )?;
    }
    writeln!(
        w,
        "rows: A {}, B {}; matched {}, identical {}; differences: {}",
        rows_a,
        rows_b,
        s.matched,
        s.identical,
        r.findings.len() as u64 + s.findings_dropped
    )?;
    let [a, b] = s.past_end;
    if a.saturating_add(b) > 0 {
        writeln!(
            w,
            "rows after the other capture's last, not compared: A {a}, B {b}"
        )?;
    }
    let [a, b] = s.encrypted;
    if a.saturating_add(b) > 0 {
        writeln!(
            w,
            "secure frames without keys, not compared: A {a}, B {b} (give --keys or --keyring)"
        )?;
    }
    if s.shed > 0 {
        writeln!(
            w,
            "bytes of {} rows not kept (memory cap): their first differing byte is not shown",
            s.shed
        )?;
    }
    writeln!(w, "clock offset: {}", offset_text(&s.delays.offset))?;
    writeln!(w, "one-way delay A->B: {}", stats_text(fwd))?;
    writeln!(w, "one-way delay B->A: {}", stats_text(back))?;
    Ok(())
}

fn seen_json(s: &Option<Seen>) -> Value {
    match s {
        Some(s) => json!({
            "row": s.row,
            "offset": s.offset,
            "len": s.len,
            "tag": s.tag,
            "seq": s.seq,
            "packets": s.packets.iter().map(|p| p.0).collect::<Vec<_>>(),
            "time": s.ts.as_f64(),
            "verifies": s.verifies.as_str(),
            "status": s.status,
        }),
        None => Value::Null,
    }
}

/// One finding as a JSON object.
pub fn finding_json(f: &Finding) -> Value {
    let kind = match f.kind {
        FindingKind::OnlyIn(crate::analysis::diff::Side::A) => "only_a",
        FindingKind::OnlyIn(crate::analysis::diff::Side::B) => "only_b",
        FindingKind::Differs => "differs",
        FindingKind::SentWrong => "sent_wrong",
    };
    json!({
        "conn": {
            "client": f.conn.client.to_string(),
            "server": f.conn.server.to_string(),
            "reuse": f.conn.reuse,
        },
        "dir": dir_name(f.dir),
        "kind": kind,
        "verdict": f.verdict(),
        "a": seen_json(&f.a),
        "b": seen_json(&f.b),
        "first": f.first.map(|d| json!({
            "stream_offset": d.stream_offset,
            "frame_offset": d.frame_offset,
            "field": d.field,
            "a": d.a,
            "b": d.b,
        })),
        "other": f.other.as_ref().map(|c| json!({
            "offset": c.offset,
            "len": c.len,
            "what": c.what,
            "packets": c.packets.iter().map(|p| p.0).collect::<Vec<_>>(),
        })),
        "retransmitted": f.retransmitted,
    })
}

fn summary_json(r: &Report) -> Value {
    let s = &r.summary;
    let [only_a, only_b] = &s.conns_only;
    let [rows_a, rows_b] = s.units;
    let [enc_a, enc_b] = s.encrypted;
    let [end_a, end_b] = s.past_end;
    let [fwd, back] = &s.delays.paths;
    let stats = |d: &Option<DelayStats>| {
        d.map(|d| {
            json!({"count": d.count, "min_ns": d.min_ns, "median_ns": d.median_ns, "max_ns": d.max_ns})
        })
    };
    json!({
        "summary": {
            "conns_both": s.conns_both,
            "conns_only_a": only_a.len(),
            "conns_only_b": only_b.len(),
            "renamed": s.renamed.iter().map(|(a, b)| json!([conn_name(a), conn_name(b)])).collect::<Vec<_>>(),
            "rows_a": rows_a,
            "rows_b": rows_b,
            "matched": s.matched,
            "identical": s.identical,
            "differences": r.findings.len() as u64 + s.findings_dropped,
            "past_end_a": end_a,
            "past_end_b": end_b,
            "encrypted_a": enc_a,
            "encrypted_b": enc_b,
            "clock_offset": s.delays.offset.map(|o| json!({
                "offset_ns": o.offset_ns,
                "forward_min_ns": o.forward_min_ns,
                "backward_max_ns": o.backward_max_ns,
                "from_handshakes": o.from_handshakes,
            })),
            "delay_a_to_b": stats(fwd),
            "delay_b_to_a": stats(back),
        }
    })
}

/// The report as JSON: one object per line (`lines`), the findings then
/// the summary; else one object `{findings: [...], summary: {...}}`.
pub fn write_json<W: Write>(r: &Report, lines: bool, w: &mut W) -> io::Result<()> {
    let findings: Vec<Value> = r.findings.iter().map(finding_json).collect();
    let summary = summary_json(r);
    if lines {
        for f in &findings {
            writeln!(w, "{f}")?;
        }
        writeln!(w, "{summary}")
    } else {
        let mut all = json!({ "findings": findings });
        if let (Some(o), Value::Object(s)) = (all.as_object_mut(), summary) {
            o.extend(s);
        }
        writeln!(w, "{all}")
    }
}

/// Why a comparison could not be made: a capture that cannot be read.
#[derive(Debug, thiserror::Error)]
#[error("{side}: {error}")]
pub struct DiffError {
    /// `A` or `B`.
    pub side: &'static str,
    /// What went wrong.
    #[source]
    pub error: crate::capture::CaptureError,
}

/// Dissect captures `a` and `b` side by side (a thread each) and compare
/// their rows, feeding the comparison from the side with fewer rows
/// waiting so that memory stays bounded by how far apart they are.
pub fn compare_captures<RA: io::Read + Send, RB: io::Read + Send>(
    a: RA,
    b: RB,
    cfg: &crate::analysis::Config,
    held_bytes: usize,
) -> Result<Report, DiffError> {
    use crate::analysis::diff::{Differ, Side};
    use crate::analysis::{dissect, Record};
    use std::sync::mpsc::{sync_channel, Receiver};
    std::thread::scope(|scope| {
        let (ta, ra) = sync_channel::<Record>(256);
        let (tb, rb) = sync_channel::<Record>(256);
        let mut one = cfg.clone();
        one.threads = 1;
        let cfg_b = one.clone();
        let ha = scope.spawn(move || dissect(a, one, &mut |r| drop(ta.send(r))));
        let hb = scope.spawn(move || dissect(b, cfg_b, &mut |r| drop(tb.send(r))));
        let mut differ = Differ::new(held_bytes);
        let mut open = [Some(&ra), Some(&rb)];
        loop {
            let [oa, ob] = open;
            let side = match (oa, ob) {
                (Some(_), Some(_)) if differ.waiting(Side::A) <= differ.waiting(Side::B) => Side::A,
                (Some(_), Some(_)) | (None, Some(_)) => Side::B,
                (Some(_), None) => Side::A,
                (None, None) => break,
            };
            let (rx, slot): (&Receiver<Record>, usize) = match side {
                Side::A => (&ra, 0),
                Side::B => (&rb, 1),
            };
            match rx.recv() {
                Ok(r) => differ.push(side, r),
                Err(_) => {
                    if let Some(s) = open.get_mut(slot) {
                        *s = None;
                    }
                }
            }
        }
        let joined = |h: std::thread::ScopedJoinHandle<'_, Result<_, _>>, side| match h.join() {
            Ok(Ok(_)) => Ok(()),
            Ok(Err(error)) => Err(DiffError { side, error }),
            Err(_) => Err(DiffError {
                side,
                error: crate::capture::CaptureError::Io(io::Error::other("dissection failed")),
            }),
        };
        joined(ha, "A")?;
        joined(hb, "B")?;
        Ok(differ.finish())
    })
}
