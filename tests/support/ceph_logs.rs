//! Ceph's own `debug_ms=1` logs, the ground truth the captures are checked
//! against. Each `<==` line records one message a process received:
//!
//! `... -- <own addr> <== <peer name> <peer addr> <seq> ==== <text> ==== <front>+<middle>+<data> (crc ...) <ptr> con <conn ptr>`

#![allow(dead_code)]

use flate2::read::GzDecoder;
use std::collections::BTreeMap;
use std::io::Read;
use std::path::Path;

/// One received message as the log records it.
#[derive(Debug, Clone, PartialEq)]
pub struct LogMsg {
    /// Session message sequence number.
    pub seq: u64,
    /// Type name as Ceph prints it (`osd_op`, `mon_map`, ...).
    pub name: String,
    /// The whole message text between the `====` fences.
    pub text: String,
    /// Front, middle and data lengths.
    pub sizes: (u32, u32, u32),
    /// When the line was logged, seconds since the Unix epoch (UTC).
    pub time: f64,
    /// The footer's front, middle and data CRCs as the log prints them
    /// after the sizes (`(crc F M D)` or `(unknown F M D)`).
    pub crcs: Option<(u32, u32, u32)>,
}

/// `2026-11-23T04:54:53.149+0000` to seconds since the epoch.
pub fn parse_time(s: &str) -> Option<f64> {
    let (date, rest) = s.split_once('T')?;
    let mut d = date.split('-').map(|x| x.parse::<i64>());
    let (y, m, day) = (d.next()?.ok()?, d.next()?.ok()?, d.next()?.ok()?);
    let clock = rest.get(..12)?;
    let mut c = clock.split(':');
    let (h, mi) = (
        c.next()?.parse::<i64>().ok()?,
        c.next()?.parse::<i64>().ok()?,
    );
    let sec: f64 = c.next()?.parse().ok()?;
    // Days from civil date (proleptic Gregorian).
    let y2 = if m <= 2 { y - 1 } else { y };
    let era = y2.div_euclid(400);
    let yoe = y2 - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + day - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    let days = era * 146_097 + doe - 719_468;
    Some((days * 86_400 + h * 3600 + mi * 60) as f64 + sec)
}

/// Messages received per (log file, connection pointer, incarnation), in
/// log order. A process reuses a freed connection's pointer for a later
/// connection; a seq that does not increase starts a new incarnation.
pub type LogGroups = BTreeMap<(String, String, usize), Vec<LogMsg>>;

fn read_gz(path: &Path) -> String {
    let f = std::fs::File::open(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let mut s = String::new();
    GzDecoder::new(f)
        .read_to_string(&mut s)
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    s
}

/// Parse one `<==` line.
pub fn parse_recv(line: &str) -> Option<(LogMsg, String)> {
    let rest = line.split(" <== ").nth(1)?;
    let mut it = rest.splitn(4, ' ');
    let _peer = it.next()?;
    let _peer_addr = it.next()?;
    let seq: u64 = it.next()?.parse().ok()?;
    let rest = it.next()?.strip_prefix("==== ")?;
    let (text, tail) = rest.split_once(" ==== ")?;
    let sizes = tail.split(' ').next()?;
    let mut s = sizes.split('+').map(|x| x.parse::<u32>());
    let sizes = (s.next()?.ok()?, s.next()?.ok()?, s.next()?.ok()?);
    let con = tail.split(" con ").nth(1)?.trim().to_string();
    let name: String = text
        .chars()
        .take_while(|c| *c != '(' && *c != ' ')
        .collect();
    let time = parse_time(line.split(' ').next()?)?;
    let crcs = tail
        .split_once(" (")
        .and_then(|(_, c)| c.split_once(')'))
        .and_then(|(c, _)| {
            let mut n = c.split(' ').skip(1).map(|x| x.parse::<u32>().ok());
            Some((n.next()??, n.next()??, n.next()??))
        });
    Some((
        LogMsg {
            seq,
            name,
            text: text.to_string(),
            sizes,
            time,
            crcs,
        },
        con,
    ))
}

/// All received messages of a capture's logs, grouped per connection of
/// each process. Local deliveries (seq 0, a daemon to itself) are left out:
/// they never cross the wire.
pub fn received(logs_dir: &Path) -> LogGroups {
    let mut groups = LogGroups::new();
    let mut files: Vec<_> = std::fs::read_dir(logs_dir)
        .unwrap_or_else(|e| panic!("{}: {e}", logs_dir.display()))
        .filter_map(Result::ok)
        .map(|e| e.path())
        .collect();
    files.sort();
    for path in files {
        let name = path
            .file_name()
            .map(|n| n.to_string_lossy().to_string())
            .unwrap_or_default();
        for line in read_gz(&path).lines() {
            if let Some((msg, con)) = parse_recv(line) {
                if msg.seq == 0 {
                    continue;
                }
                let mut n = 0;
                while groups.contains_key(&(name.clone(), con.clone(), n + 1)) {
                    n += 1;
                }
                let last = groups
                    .get(&(name.clone(), con.clone(), n))
                    .and_then(|g| g.last())
                    .map(|m| m.seq);
                if last.is_some_and(|l| msg.seq <= l) {
                    n += 1;
                }
                groups.entry((name.clone(), con, n)).or_default().push(msg);
            }
        }
    }
    groups
}

/// Message type numbers of the names that appear in the logs, from Ceph's
/// headers (ceph_fs.h CEPH_MSG_*, msg/Message.h MSG_*), written out here
/// independently of the decoder's own table.
pub fn type_number(name: &str) -> Option<u16> {
    Some(match name {
        "ping" => 2,
        "mon_map" => 4,
        "mon_getmap" => 5,
        "mon_subscribe" => 15,
        "mon_subscribe_ack" => 16,
        "auth" => 17,
        "auth_reply" => 18,
        "mon_get_version" => 19,
        "mon_get_version_reply" => 20,
        "osd_map" => 41,
        "osd_op" => 42,
        "osd_op_reply" => 43,
        "mon_command" => 50,
        "mon_command_ack" => 51,
        "log" => 52,
        "config" => 62,
        "osd_boot" => 71,
        "osd_alive" => 73,
        "MOSDMarkMeDown" => 74,
        "osd_beacon" => 79,
        "osd_pg_created" => 116,
        "pg_create2" => 120,
        "mgrmap" => 0x704,
        _ => return None,
    })
}
