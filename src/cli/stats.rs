//! Printers of the `-z` statistics, in tshark's layout: each table framed
//! by `=` rules, named, with the display filter it was computed under.

use crate::analysis::stats::{Counter, Latency, StatKind, Stats};
use crate::analysis::Summary;
use crate::model::Escaped;
use crate::tcp::Direction;
use std::io::{self, Write};

const RULE: &str =
    "================================================================================";

fn header<W: Write>(w: &mut W, title: &str, filter: Option<&str>) -> io::Result<()> {
    writeln!(w, "{RULE}")?;
    writeln!(w, "{title}")?;
    writeln!(w, "Filter: {}", Escaped(filter.unwrap_or("<No Filter>")))
}

/// Write every statistic in `stats`, in the order asked.
pub fn write_stats<W: Write>(
    w: &mut W,
    stats: &Stats,
    summary: &Summary,
    filter: Option<&str>,
) -> io::Result<()> {
    for k in &stats.kinds {
        match k {
            StatKind::Conv => conv(w, stats, summary, filter)?,
            StatKind::Tags => tags(w, stats, filter)?,
            StatKind::Msgs => msgs(w, stats, filter)?,
            StatKind::OpLat => oplat(w, stats, filter)?,
            StatKind::Errors => errors(w, stats, summary, filter)?,
            StatKind::Results => results(w, stats, filter)?,
            StatKind::Keys => keys(w, summary)?,
        }
        writeln!(w, "{RULE}")?;
    }
    Ok(())
}

/// `-z keys`: per connection direction in secure mode, where its key
/// came from.
fn keys<W: Write>(w: &mut W, summary: &Summary) -> io::Result<()> {
    use crate::analysis::KeyStatus;
    header(w, "msgr2 Secure Keys", None)?;
    writeln!(
        w,
        "{:>4}  {:<3}  {:<46} key from",
        "conn", "dir", "sender -> receiver"
    )?;
    for c in summary.conns.values() {
        for (i, dir) in ["c2s", "s2c"].iter().enumerate() {
            let (src, dst) = if i == 0 {
                (c.client, c.server)
            } else {
                (c.server, c.client)
            };
            let from = match c.keys.get(i) {
                Some(KeyStatus::Opened(o)) if o.starts_with("line ") => format!("key file {o}"),
                Some(KeyStatus::Opened(o)) => o.clone(),
                Some(KeyStatus::Missing) => match c.no_key_why.get(i).cloned().flatten() {
                    Some(why) => why,
                    None => "none: no key given opens it".into(),
                },
                _ => continue,
            };
            writeln!(
                w,
                "{:>4}  {dir:<3}  {:<46} {from}",
                c.conn.0,
                format!("{src} -> {dst}")
            )?;
        }
    }
    // msgr1 connections sign their messages with the session key instead.
    let signing: Vec<_> = summary
        .conns
        .values()
        .filter_map(|c| c.v1_signing.as_ref().map(|s| (c, s)))
        .collect();
    if !signing.is_empty() {
        writeln!(w)?;
        writeln!(w, "msgr1 message signatures")?;
        writeln!(
            w,
            "{:>4}  {:<46} {:>5} {:>5} {:>9}  session key from",
            "conn", "client -> server", "good", "bad", "unchecked"
        )?;
        for (c, (from, [good, bad, unchecked])) in signing {
            writeln!(
                w,
                "{:>4}  {:<46} {good:>5} {bad:>5} {unchecked:>9}  {from}",
                c.conn.0,
                format!("{} -> {}", c.client, c.server)
            )?;
        }
    }
    Ok(())
}

fn side(addr: std::net::SocketAddr, name: &Option<String>) -> String {
    match name {
        Some(n) => format!("{addr} ({})", Escaped(n)),
        None => addr.to_string(),
    }
}

/// The last column of `-z conv`: how each connection ended.
const STATE_HEADING: &str = "state";

fn conv<W: Write>(w: &mut W, s: &Stats, summary: &Summary, filter: Option<&str>) -> io::Result<()> {
    // A capture with msgr1 connections says so (rev 1 in their rows).
    let title = if s.conv.values().any(|c| c.msgr1) {
        "msgr1/msgr2 Conversations"
    } else {
        "msgr2 Conversations"
    };
    header(w, title, filter)?;
    writeln!(
        w,
        "{:>4}  {:<36} {:<36} {:<6} {:>3}  {:<6} {:>7} {:>11}  {:>7} {:>11}  {:>6}  {:<10} releases",
        "conn",
        "client",
        "server",
        "mode",
        "rev",
        "compr",
        "c2s fr",
        "c2s bytes",
        "s2c fr",
        "s2c bytes",
        "errors",
        STATE_HEADING
    )?;
    for (id, c) in &s.conv {
        // The summary knows the final mode once the connection closed.
        let mode = summary
            .conns
            .get(id)
            .filter(|cs| cs.rev.is_some())
            .map(|cs| cs.mode)
            .or(c.mode)
            .map_or("-", |m| m.as_str());
        // The state the connection ended in (known once it closed; msgr1
        // connections are not judged against msgr2's state machine).
        let state = summary
            .conns
            .get(id)
            .filter(|cs| !cs.msgr1)
            .and_then(|cs| cs.state)
            .map_or("-", |s| s.as_str());
        // The revision column: 2.0 or 2.1, or 1 for a msgr1 connection.
        let rev = if c.msgr1 {
            "1"
        } else {
            c.rev.map_or("-", |r| r.as_str())
        };
        // Releases: the row's, or the summary's once the connection closed.
        let rel = |k: usize| {
            c.releases
                .get(k)
                .copied()
                .flatten()
                .or_else(|| {
                    summary
                        .conns
                        .get(id)
                        .and_then(|s| s.releases.get(k).copied().flatten())
                })
                .map_or("-", |r| r.name())
        };
        // Compression: what COMPRESSION_DONE said (method or off), `-`
        // when the connection negotiated none in the capture.
        let compr = c
            .compression
            .or_else(|| summary.conns.get(id).and_then(|s| s.compression))
            .map_or_else(|| "-".to_string(), |d| d.text());
        writeln!(
            w,
            "{:>4}  {:<36} {:<36} {:<6} {:>3}  {:<6} {:>7} {:>11}  {:>7} {:>11}  {:>6}  {:<10} {}/{}",
            id.0,
            side(c.client, &c.names[0]),
            side(c.server, &c.names[1]),
            mode,
            rev,
            compr,
            c.frames[0],
            c.bytes[0],
            c.frames[1],
            c.bytes[1],
            c.errors,
            state,
            rel(0),
            rel(1)
        )?;
    }
    Ok(())
}

fn tags<W: Write>(w: &mut W, s: &Stats, filter: Option<&str>) -> io::Result<()> {
    header(w, "msgr2 Frame Tags", filter)?;
    writeln!(w, "{:<24} {:>10} {:>14}", "tag", "frames", "bytes")?;
    let mut rows: Vec<(&String, &Counter)> = s.tags.iter().collect();
    rows.sort_by(|a, b| b.1.count.cmp(&a.1.count).then(a.0.cmp(b.0)));
    for (tag, c) in rows {
        writeln!(w, "{:<24} {:>10} {:>14}", Escaped(tag), c.count, c.bytes)?;
    }
    let total = s.tags.values().fold(Counter::default(), |a, c| Counter {
        count: a.count + c.count,
        bytes: a.bytes.saturating_add(c.bytes),
    });
    writeln!(w, "{:<24} {:>10} {:>14}", "total", total.count, total.bytes)
}

fn msgs<W: Write>(w: &mut W, s: &Stats, filter: Option<&str>) -> io::Result<()> {
    header(w, "Ceph Messages (bytes: front+middle+data)", filter)?;
    writeln!(
        w,
        "{:<28} {:>6} {:>10} {:>14} {:>10} {:>14}",
        "type", "number", "c2s", "c2s bytes", "s2c", "s2c bytes"
    )?;
    let mut types: Vec<_> = s.msgs.keys().map(|(t, _)| *t).collect();
    types.dedup();
    for t in types {
        let get = |d: Direction| s.msgs.get(&(t, d)).copied().unwrap_or_default();
        let (a, b) = (
            get(Direction::ClientToServer),
            get(Direction::ServerToClient),
        );
        writeln!(
            w,
            "{:<28} {:>6} {:>10} {:>14} {:>10} {:>14}",
            Escaped(&t.display_name()),
            t.0,
            a.count,
            a.bytes,
            b.count,
            b.bytes
        )?;
    }
    let total: u64 = s.msgs.values().map(|c| c.count).sum();
    writeln!(w, "{:<28} {:>6} {:>10}", "total", "", total)
}

fn ms(ns: u64) -> String {
    format!("{:.3}", ns as f64 / 1e6)
}

fn oplat<W: Write>(w: &mut W, s: &Stats, filter: Option<&str>) -> io::Result<()> {
    header(
        w,
        "osd_op Latency (ms, request to reply on the same connection and tid)",
        filter,
    )?;
    writeln!(
        w,
        "{:<24} {:>8} {:>10} {:>10} {:>10} {:>10}",
        "op", "count", "min", "median", "p99", "max"
    )?;
    let row = |w: &mut W, name: &str, l: &Latency| {
        writeln!(
            w,
            "{:<24} {:>8} {:>10} {:>10} {:>10} {:>10}",
            Escaped(name),
            l.count,
            ms(l.min),
            ms(l.quantile(0.5)),
            ms(l.quantile(0.99)),
            ms(l.max)
        )
    };
    for (name, l) in &s.oplat.ops {
        row(w, name, l)?;
    }
    let o = &s.oplat;
    writeln!(
        w,
        "paired: {}  unanswered: {}  replies without request: {}",
        o.paired(),
        o.unanswered(),
        o.orphan_replies
    )?;
    for (row, conn, tid, name, _) in o.waiting() {
        writeln!(
            w,
            "    unanswered: frame {row} conn {conn} tid {tid} {}",
            Escaped(name)
        )?;
    }
    if o.duplicate_requests > 0 {
        writeln!(
            w,
            "requests repeating a waiting tid: {}",
            o.duplicate_requests
        )?;
    }
    if o.overflow > 0 {
        writeln!(
            w,
            "overflow: {} requests not tracked ({} were already waiting)",
            o.overflow,
            crate::analysis::stats::MAX_PENDING_OPS
        )?;
    }
    Ok(())
}

fn errors<W: Write>(
    w: &mut W,
    s: &Stats,
    summary: &Summary,
    filter: Option<&str>,
) -> io::Result<()> {
    header(w, "msgr2 Problems", filter)?;
    if s.errors.is_empty() && summary.malformed_packets == 0 {
        return writeln!(w, "no problems");
    }
    let mut groups: Vec<_> = s.errors.values().collect();
    groups.sort_by(|a, b| {
        b.kind
            .severity()
            .cmp(&a.kind.severity())
            .then(b.count.cmp(&a.count))
    });
    for g in groups {
        let sev = format!("{:?}", g.kind.severity()).to_lowercase();
        writeln!(w, "{} ({sev}): {}", g.kind.name(), g.count)?;
        for l in &g.first {
            write!(
                w,
                "    frame {} conn {} {} packet {} stream offset {} at {}",
                l.row,
                l.conn,
                l.dir.short(),
                l.packet,
                l.offset,
                Escaped(l.field)
            )?;
            if !l.expected.is_empty() || !l.found.is_empty() {
                write!(
                    w,
                    ": expected {}, found {}",
                    Escaped(&l.expected),
                    Escaped(&l.found)
                )?;
            }
            writeln!(w)?;
        }
        if g.count > g.first.len() as u64 {
            writeln!(w, "    ... and {} more", g.count - g.first.len() as u64)?;
        }
    }
    if summary.malformed_packets > 0 {
        writeln!(w, "malformed packets: {}", summary.malformed_packets)?;
        for (p, e) in &summary.malformed {
            writeln!(w, "    packet {p}: {}", Escaped(e))?;
        }
    }
    Ok(())
}

fn results<W: Write>(w: &mut W, s: &Stats, filter: Option<&str>) -> io::Result<()> {
    header(
        w,
        "Results per op (osd_op_reply result per op, mon_command_ack r)",
        filter,
    )?;
    writeln!(w, "{:<28} {:<24} {:>8}", "op", "result", "count")?;
    for ((op, r), n) in &s.results.counts {
        let text = crate::decode::errno::text(*r);
        writeln!(w, "{:<28} {text:<24} {n:>8}", Escaped(op))?;
    }
    writeln!(
        w,
        "answers: {}  errors: {}",
        s.results.total(),
        s.results.errors()
    )
}
