//! The field registry against what the decoders emit, and the verbose
//! outputs built from the one field tree.

use cephshark::analysis::registry;
use cephshark::analysis::{dissect, record_tree, Config};
use cephshark::model::FieldNode;
use std::collections::BTreeSet;
use std::path::Path;
use std::sync::Arc;

fn config(keys: Option<&str>) -> Config {
    let mut cfg = Config::default();
    if let Some(k) = keys {
        let text = std::fs::read_to_string(
            Path::new(env!("CARGO_MANIFEST_DIR"))
                .join("captures")
                .join(k),
        )
        .unwrap_or_else(|e| panic!("{e}"));
        cfg.keys = Some(Arc::new(
            cephshark::msgr2::keys::KeyLog::parse(&text).unwrap_or_else(|e| panic!("{e}")),
        ));
    }
    cfg
}

fn emitted(name: &str, keys: Option<&str>, out: &mut BTreeSet<&'static str>) {
    let f = std::fs::File::open(
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("captures")
            .join(name),
    )
    .unwrap_or_else(|e| panic!("{e}"));
    dissect(std::io::BufReader::new(f), config(keys), &mut |r| {
        for n in record_tree(&r).walk() {
            out.insert(n.def.abbrev);
        }
    })
    .unwrap_or_else(|e| panic!("{e}"));
}

/// Every field any test capture produces is in the registry that
/// `-G fields` prints.
#[test]
fn every_emitted_field_is_registered() {
    let mut seen = BTreeSet::new();
    emitted("none-crc.pcap", None, &mut seen);
    emitted("cephx-crc.pcap", None, &mut seen);
    emitted("cephx-secure.pcap", Some("cephx-secure.keys"), &mut seen);
    emitted("cephx-secure.pcap", None, &mut seen);
    emitted("keylog-rados.pcap", Some("keylog-rados.keys"), &mut seen);
    let registered: BTreeSet<&str> = registry::all().map(|d| d.abbrev).collect();
    let missing: Vec<_> = seen.iter().filter(|a| !registered.contains(*a)).collect();
    assert!(
        missing.is_empty(),
        "emitted but not registered: {missing:?}"
    );
    assert!(seen.len() > 60, "{}", seen.len());
    // The glossary prints exactly the registry.
    let o = std::process::Command::new(env!("CARGO_BIN_EXE_cephshark"))
        .args(["-G", "fields"])
        .output()
        .unwrap_or_else(|e| panic!("{e}"));
    assert!(o.status.success());
    let listed: BTreeSet<String> = String::from_utf8_lossy(&o.stdout)
        .lines()
        .filter_map(|l| l.split('\t').nth(2).map(str::to_string))
        .collect();
    assert_eq!(listed, registered.iter().map(|s| s.to_string()).collect());
}

/// In every frame's tree, leaf spans lie inside the frame's bytes and the
/// framing fields cover the preamble exactly.
#[test]
fn spans_are_inside_the_frame_and_tile_the_preamble() {
    let f =
        std::fs::File::open(Path::new(env!("CARGO_MANIFEST_DIR")).join("captures/none-crc.pcap"))
            .unwrap_or_else(|e| panic!("{e}"));
    let mut frames = 0;
    dissect(std::io::BufReader::new(f), Config::default(), &mut |r| {
        let Some(fr) = r.frame() else { return };
        frames += 1;
        let tree = record_tree(&r);
        let pre = tree
            .find("msgr2.preamble")
            .unwrap_or_else(|| panic!("no preamble"));
        let mut leaves: Vec<_> = pre
            .walk()
            .into_iter()
            .filter(|n| n.children.is_empty())
            .filter_map(|n: &FieldNode| n.span.clone())
            .map(|s| s.range)
            .collect();
        leaves.sort_by_key(|r| r.start);
        let mut at = 0;
        for l in &leaves {
            assert_eq!(l.start, at, "preamble leaves tile 0..32: {leaves:?}");
            at = l.end;
        }
        assert_eq!(at, 32);
        for n in tree.walk() {
            if let Some(s) = &n.span {
                assert!(
                    s.range.end <= fr.data.len(),
                    "{} {:?} beyond {}",
                    n.def.abbrev,
                    s.range,
                    fr.data.len()
                );
            }
        }
    })
    .unwrap_or_else(|e| panic!("{e}"));
    assert!(frames > 400);
}

#[test]
fn verbose_json_and_hex_outputs() {
    let cap = Path::new(env!("CARGO_MANIFEST_DIR")).join("captures/none-crc.pcap");
    let run = |args: &[&str]| {
        let o = std::process::Command::new(env!("CARGO_BIN_EXE_cephshark"))
            .args(args)
            .output()
            .unwrap_or_else(|e| panic!("{e}"));
        assert!(o.status.success());
        String::from_utf8_lossy(&o.stdout).into_owned()
    };
    let p = cap.to_str().unwrap_or_default();
    let v = run(&["-r", p, "-V"]);
    assert!(v.contains("        Preamble CRC status: good [generated]"));
    assert!(v.contains("            Type: osd_map (41)"));
    let x = run(&["-r", p, "-x"]);
    // The first HELLO of connection 1 (a mon HELLO, tag 1, one 36-byte segment).
    assert!(
        x.contains("0000  01 01 24 00 00 00 08 00  00 00 00 00 00 00 00 00"),
        "{}",
        &x[..2000.min(x.len())]
    );
    let j = run(&["-r", p, "-T", "json"]);
    let parsed: serde_json::Value = serde_json::from_str(&j).unwrap_or_else(|e| panic!("{e}"));
    let rows = parsed.as_array().cloned().unwrap_or_default();
    let text_rows = run(&["-r", p]).lines().count();
    assert_eq!(rows.len(), text_rows);
    assert_eq!(
        rows.iter()
            .filter(|r| r["kind"].is_null() && r["rev"].is_string())
            .count(),
        449,
        "449 frames, as verify counts"
    );
    let msg = rows
        .iter()
        .find(|r| r["tag"] == "MESSAGE")
        .unwrap_or_else(|| panic!("no MESSAGE"));
    assert_eq!(msg["msg_name"], "mon_map");
    let fields = msg["fields"].as_array().cloned().unwrap_or_default();
    assert!(fields.iter().any(|f| f["field"] == "msgr2"));
    let jl = run(&["-r", p, "-T", "jsonl"]);
    let first: serde_json::Value = serde_json::from_str(jl.lines().next().unwrap_or_default())
        .unwrap_or_else(|e| panic!("{e}"));
    assert!(first["fields"].is_array());
}

/// `-V` folds a row's packets into one line and its ranges, and shows the
/// problems before where the row is (connection, addresses, ports).
#[test]
fn verbose_tree_folds_the_packets_and_shows_problems_first() {
    let mut bytes = std::fs::read(
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("captures")
            .join("none-crc.pcap"),
    )
    .unwrap_or_else(|e| panic!("{e}"));
    bytes[300_000] ^= 0x01;
    let path = std::env::temp_dir().join(format!("cephshark-fold-{}.pcap", std::process::id()));
    std::fs::write(&path, &bytes).unwrap_or_else(|e| panic!("{e}"));
    let mut bad = Vec::new();
    dissect(std::io::Cursor::new(&bytes), Config::default(), &mut |r| {
        if !r.problems().is_empty() {
            bad.push(r);
        }
    })
    .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(bad.len(), 1);
    let r = &bad[0];
    let nums: Vec<u64> = r.packets.iter().map(|p| p.0).collect();
    assert!(nums.len() > 2, "{nums:?}");
    // Ranges of consecutive numbers, written out here independently.
    let mut ranges: Vec<(u64, u64)> = Vec::new();
    for &n in &nums {
        match ranges.last_mut() {
            Some((_, b)) if *b + 1 == n => *b = n,
            _ => ranges.push((n, n)),
        }
    }
    let want: Vec<String> = ranges
        .iter()
        .map(|(a, b)| {
            if a == b {
                a.to_string()
            } else {
                format!("{a}-{b}")
            }
        })
        .collect();
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_cephshark"))
        .args(["-r", path.to_str().unwrap_or_default(), "-V"])
        .args(["-Y", &format!("frame.number == {}", r.number)])
        .output()
        .unwrap_or_else(|e| panic!("{e}"));
    std::fs::remove_file(&path).unwrap_or_else(|e| panic!("{e}"));
    let text = String::from_utf8_lossy(&out.stdout);
    let lines: Vec<&str> = text
        .lines()
        .map(|l| l.trim().trim_end_matches(" [generated]"))
        .collect();
    let at = |prefix: &str| {
        lines
            .iter()
            .position(|l| l.starts_with(prefix))
            .unwrap_or_else(|| panic!("no {prefix} in\n{text}"))
    };
    let folded = format!(
        "Packets: {} (first {}, last {})",
        nums.len(),
        nums[0],
        nums[nums.len() - 1]
    );
    assert_eq!(lines[at("Packets: ")], folded);
    // At most 16 ranges on the line; the rest are counted.
    let shown = if want.len() > 16 {
        format!(
            "{},… ({} more ranges; -T fields -e frame.packet lists every one)",
            want[..16].join(","),
            want.len() - 16
        )
    } else {
        want.join(",")
    };
    assert_eq!(
        lines[at("Packet numbers: ")],
        format!("Packet numbers: {shown}")
    );
    assert!(!lines.iter().any(|l| l.starts_with("Packet: ")), "{text}");
    let problem = at("Problem: ");
    assert_eq!(
        lines[problem],
        format!("Problem: {}", r.problems()[0].kind.name())
    );
    assert!(problem < at("Connection: "), "{text}");
    assert!(problem < at("Source port: "), "{text}");
    // The tree still holds every packet: the filter and -T fields see them.
    let tree = record_tree(r);
    let listed: Vec<&FieldNode> = tree
        .walk()
        .into_iter()
        .filter(|n| n.def.abbrev == "frame.packet")
        .collect();
    assert_eq!(listed.len(), nums.len());
}
