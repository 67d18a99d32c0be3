//! `-T parquet -w FILE` and `export-parquet -w DIR`: the file read back
//! with the parquet crate's record reader holds, row for row and column by
//! column, what `-T jsonl` prints for the same capture and flags; and what
//! is refused, with or without the `parquet` feature.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn run(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_cephshark"))
        .args(args)
        .output()
        .unwrap_or_else(|e| panic!("cannot run cephshark: {e}"))
}

fn capture(name: &str) -> String {
    format!("{}/captures/{name}", env!("CARGO_MANIFEST_DIR"))
}

fn tmpdir(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("cephshark-parquet-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap_or_else(|e| panic!("{e}"));
    d
}

fn refused(args: &[&str]) -> String {
    let out = run(args);
    assert_eq!(out.status.code(), Some(2), "{args:?}: {out:?}");
    assert!(out.stdout.is_empty(), "{args:?}: {out:?}");
    String::from_utf8_lossy(&out.stderr).into_owned()
}

#[cfg(not(feature = "parquet"))]
#[test]
fn without_the_feature_parquet_export_says_how_to_build_it() {
    let cap = capture("none-crc.pcap");
    let out = tmpdir("nofeature").join("x.parquet");
    let out = out.display().to_string();
    for args in [
        &["-r", &cap, "-T", "parquet", "-w", &out][..],
        &["export-parquet", "-w", &out, &cap],
    ] {
        let err = refused(args);
        assert!(
            err.contains("cargo build --release --features parquet"),
            "{args:?}: {err}"
        );
    }
    assert!(!Path::new(&out).exists());
}

#[test]
fn parquet_goes_to_a_named_file_only() {
    let cap = capture("none-crc.pcap");
    let err = refused(&["-r", &cap, "-T", "parquet"]);
    assert!(
        err.contains("-T parquet writes a file: name it with -w FILE")
            || err.contains("--features parquet"),
        "{err}"
    );
    let err = refused(&["-r", &cap, "-T", "parquet", "-w", "-"]);
    assert!(
        err.contains("not to standard output") || err.contains("--features parquet"),
        "{err}"
    );
}

#[cfg(feature = "parquet")]
mod read_back {
    use super::*;
    use parquet::file::reader::{FileReader, SerializedFileReader};
    use parquet::record::Field;
    use serde_json::{json, Map, Value};

    /// The flags that open a capture's secrets: its key file and keyring.
    fn secrets(name: &str) -> Vec<String> {
        let base = name
            .trim_end_matches(".pcapng")
            .trim_end_matches(".pcap")
            .trim_end_matches("-a")
            .trim_end_matches("-b");
        let mut args = Vec::new();
        for (flag, ext) in [("--keys", "keys"), ("--keyring", "keyring")] {
            let p = capture(&format!("{base}.{ext}"));
            if Path::new(&p).exists() {
                args.extend([flag.to_string(), p]);
            }
        }
        args
    }

    /// Every bundled capture.
    fn bundled() -> Vec<String> {
        let dir = format!("{}/captures", env!("CARGO_MANIFEST_DIR"));
        let mut names: Vec<String> = std::fs::read_dir(dir)
            .unwrap_or_else(|e| panic!("{e}"))
            .filter_map(|e| e.ok()?.file_name().into_string().ok())
            .filter(|n| n.ends_with(".pcap") || n.ends_with(".pcapng"))
            .collect();
        names.sort();
        names
    }

    /// A row of `-T jsonl`: the object, and its line.
    pub(super) struct Json {
        v: Value,
        line: String,
    }

    impl Json {
        /// The text of a top-level number key, as printed (serde_json's
        /// default parse of a float is not always the nearest double; its
        /// printing is the shortest text that reads back as the double).
        fn raw(&self, key: &str) -> &str {
            let tag = format!("\"{key}\":");
            let at = self.line.find(&tag).map_or(0, |i| i + tag.len());
            let rest = &self.line[at..];
            &rest[..rest.find([',', '}']).unwrap_or(rest.len())]
        }
    }

    /// `-T jsonl` with `args`: one object per row.
    pub(super) fn jsonl(args: &[&str]) -> Vec<Json> {
        let mut all = args.to_vec();
        all.extend(["-T", "jsonl"]);
        let o = run(&all);
        assert!(o.status.success(), "{all:?}: {o:?}");
        String::from_utf8_lossy(&o.stdout)
            .lines()
            .map(|l| Json {
                v: serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l}")),
                line: l.to_string(),
            })
            .collect()
    }

    /// A Parquet value as JSON (lists as arrays, groups as objects).
    fn field_json(f: &Field) -> Value {
        match f {
            Field::Null => Value::Null,
            Field::Bool(b) => json!(b),
            Field::Byte(v) => json!(v),
            Field::Short(v) => json!(v),
            Field::Int(v) => json!(v),
            Field::Long(v) => json!(v),
            Field::UByte(v) => json!(v),
            Field::UShort(v) => json!(v),
            Field::UInt(v) => json!(v),
            Field::ULong(v) => json!(v),
            Field::Double(v) => json!(v),
            Field::Str(s) => json!(s),
            Field::TimestampMicros(v) => json!(v),
            Field::ListInternal(l) => Value::Array(l.elements().iter().map(field_json).collect()),
            Field::Group(r) => Value::Object(
                r.get_column_iter()
                    .map(|(k, v)| (k.clone(), field_json(v)))
                    .collect(),
            ),
            other => panic!("unexpected Parquet value {other:?}"),
        }
    }

    /// The rows of a Parquet file, each as a JSON object by column name.
    pub(super) fn parquet_rows(path: &Path) -> Vec<Map<String, Value>> {
        let f = std::fs::File::open(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        let reader = SerializedFileReader::new(f).unwrap_or_else(|e| panic!("{e}"));
        let rows = reader.get_row_iter(None).unwrap_or_else(|e| panic!("{e}"));
        rows.map(|r| {
            let r = r.unwrap_or_else(|e| panic!("{e}"));
            r.get_column_iter()
                .map(|(k, v)| (k.clone(), field_json(v)))
                .collect()
        })
        .collect()
    }

    /// The value of a top-level node of the JSON row's field tree.
    fn tree_value(row: &Value, field: &str) -> Value {
        let nodes = row["fields"].as_array().cloned().unwrap_or_default();
        nodes
            .iter()
            .find(|n| n["field"] == field)
            .map_or(Value::Null, |n| n["value"].clone())
    }

    /// What a column must hold, from the JSON row: the key of the same
    /// name, or what the JSON row says in another form.
    fn expected(row: &Value, column: &str) -> Value {
        let tree = |f| tree_value(row, f);
        match column {
            // A list of the inputs; the JSON row joins them by commas.
            "file" => match row.get("file") {
                Some(Value::String(s)) => json!(s.split(',').collect::<Vec<_>>()),
                _ => Value::Null,
            },
            "problem_kinds" => match row["status"].as_str() {
                Some("ok") => json!([]),
                Some(s) => json!(s.split(',').collect::<Vec<_>>()),
                None => Value::Null,
            },
            "src_entity" => tree("ceph.src.entity"),
            "dst_entity" => tree("ceph.dst.entity"),
            "src_entity_type" => tree("ceph.src.entity.type"),
            "dst_entity_type" => tree("ceph.dst.entity.type"),
            "request_frame" => tree("ceph.request.frame"),
            "latency_ns" => tree("ceph.request.wait"),
            "keepalive_frame" => tree("msgr2.session.keepalive_frame"),
            "keepalive_rtt_ns" => tree("msgr2.session.keepalive_rtt"),
            key => row.get(key).cloned().unwrap_or(Value::Null),
        }
    }

    /// Row count, and every column of every row, against the JSON rows.
    pub(super) fn assert_same(what: &str, rows: &[Map<String, Value>], json: &[Json]) {
        assert_eq!(rows.len(), json.len(), "{what}: row count");
        assert!(!rows.is_empty(), "{what}: no rows");
        let text = |v: &Value| serde_json::to_string(v).unwrap_or_default();
        for (p, j) in rows.iter().zip(json) {
            let frame = &j.v["frame"];
            for (col, v) in p {
                match col.as_str() {
                    "time" | "time_ns" => continue,
                    // A double: the same text as the JSON line's.
                    "time_relative" => {
                        assert_eq!(text(v), j.raw(col), "{what}: row {frame}, {col}");
                        continue;
                    }
                    _ => {}
                }
                let want = expected(&j.v, col);
                assert_eq!(v, &want, "{what}: row {frame}, column {col}");
            }
            // The time: exact nanoseconds, whose seconds as a double are
            // the JSON's `time`; the timestamp is them in microseconds.
            let ns = p["time_ns"]
                .as_i64()
                .unwrap_or_else(|| panic!("{what}: time_ns"));
            let (secs, nanos) = (ns.div_euclid(1_000_000_000), ns.rem_euclid(1_000_000_000));
            let float = secs as f64 + nanos as f64 / 1e9;
            assert_eq!(
                text(&json!(float)),
                j.raw("time"),
                "{what}: row {frame}, time"
            );
            assert_eq!(p["time"], json!(ns.div_euclid(1000)), "{what}: row {frame}");
            // No JSON key is left out.
            for key in j.v.as_object().into_iter().flat_map(|o| o.keys()) {
                assert!(
                    key == "fields" || p.contains_key(key),
                    "{what}: no column for the JSON key {key}"
                );
            }
        }
    }

    /// Export `args` both ways and compare.
    fn check(what: &str, args: &[&str], out: &Path) -> usize {
        let json = jsonl(args);
        let file = out.display().to_string();
        let mut all = args.to_vec();
        all.extend(["-T", "parquet", "-w", &file]);
        let o = run(&all);
        assert!(o.status.success(), "{all:?}: {o:?}");
        assert!(o.stdout.is_empty(), "{all:?}: rows printed");
        let rows = parquet_rows(out);
        assert_same(what, &rows, &json);
        rows.len()
    }

    #[test]
    fn every_bundled_capture_reads_back_as_its_json_lines() {
        let dir = tmpdir("bundled");
        let names = bundled();
        assert!(names.len() >= 15, "{names:?}");
        let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
        let next = std::sync::atomic::AtomicUsize::new(0);
        std::thread::scope(|s| {
            for _ in 0..cores {
                s.spawn(|| loop {
                    let i = next.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                    let Some(name) = names.get(i) else { break };
                    let secrets = secrets(name);
                    let cap = capture(name);
                    let mut args: Vec<&str> = secrets.iter().map(String::as_str).collect();
                    args.extend(["-r", &cap]);
                    let out = dir.join(format!("{name}.parquet"));
                    let n = check(name, &args, &out);
                    assert!(n > 100, "{name}: {n} rows");
                });
            }
        });
    }

    #[test]
    fn the_columns_carry_typed_values() {
        let dir = tmpdir("typed");
        let cap = capture("lab-enoent.pcap");
        let out = dir.join("enoent.parquet");
        let file = out.display().to_string();
        let o = run(&["-r", &cap, "-T", "parquet", "-w", &file]);
        assert!(o.status.success(), "{o:?}");
        let rows = parquet_rows(&out);
        // osd_op_reply rows: sent by the OSD, paired with their request
        // (the row it names is an osd_op of the same tid).
        let replies: Vec<_> = rows
            .iter()
            .filter(|r| r["msg_name"] == "osd_op_reply" && !r["latency_ns"].is_null())
            .collect();
        assert!(replies.len() >= 5, "{}", replies.len());
        for r in &replies {
            assert_eq!(r["src_entity"], "osd.0");
            assert_eq!(r["src_entity_type"], "osd");
            assert!(r["latency_ns"].as_i64().is_some_and(|ns| ns > 0));
            let req = r["request_frame"].as_u64().unwrap_or(0);
            let request = rows.iter().find(|q| q["frame"] == json!(req));
            let request = request.unwrap_or_else(|| panic!("no row {req}"));
            assert_eq!(request["msg_name"], "osd_op");
            assert_eq!(request["tid"], r["tid"]);
        }
        // The checks of a crc frame: one preamble CRC and one per segment.
        let msg = rows.iter().find(|r| r["msg_name"] == "osd_op").unwrap();
        assert_eq!(msg["tag"], "MESSAGE");
        let checks = msg["checks"].as_array().unwrap();
        assert_eq!(checks[0]["check"], "preamble_crc");
        assert!(checks.iter().all(|c| c["status"] == "good"), "{checks:?}");
        assert!(msg["sizes"]["front"].as_u64().is_some_and(|n| n > 0));
    }

    #[test]
    fn a_filtered_export_has_the_matching_rows_only() {
        let dir = tmpdir("filtered");
        let cap = capture("lab-mixed.pcap");
        let ring = capture("lab-mixed.keyring");
        let filter = "ceph.msg.type == osd_op";
        let args = ["--keyring", &ring, "-r", &cap, "-Y", filter];
        let n = check("lab-mixed -Y", &args, &dir.join("f.parquet"));
        let all = jsonl(&["--keyring", &ring, "-r", &cap]).len();
        assert!(n >= 3 && n < all / 4, "{n} of {all}");
        let rows = parquet_rows(&dir.join("f.parquet"));
        assert!(rows.iter().all(|r| r["msg_name"] == "osd_op"));
    }

    #[test]
    fn merged_captures_name_their_files() {
        let dir = tmpdir("merged");
        let (a, b) = (
            capture("lab-twopoint-a.pcap"),
            capture("lab-twopoint-b.pcap"),
        );
        let ring = capture("lab-twopoint.keyring");
        let args = ["--keyring", &ring, "-r", &a, "-r", &b];
        let out = dir.join("m.parquet");
        check("twopoint merged", &args, &out);
        let rows = parquet_rows(&out);
        let files: std::collections::BTreeSet<String> = rows
            .iter()
            .flat_map(|r| r["file"].as_array().cloned().unwrap_or_default())
            .filter_map(|v| v.as_str().map(str::to_string))
            .collect();
        assert_eq!(files, [a, b].into_iter().collect());
    }
}

/// `export-parquet -w DIR FILE...`, and paths that cannot be written.
#[cfg(feature = "parquet")]
mod batch {
    use super::read_back::{assert_same, jsonl, parquet_rows};
    use super::*;

    #[test]
    fn each_capture_gets_its_own_file_with_its_own_rows() {
        let dir = tmpdir("batch");
        let out = dir.join("out");
        let keys = capture("lab-secure.keys");
        let names = ["none-crc.pcap", "lab-secure.pcap", "lab-v1.pcap"];
        let caps: Vec<String> = names.iter().map(|n| capture(n)).collect();
        let o = run(&[
            "export-parquet",
            "--keys",
            &keys,
            "-j",
            "2",
            "-w",
            &out.display().to_string(),
            &caps[0],
            &caps[1],
            &caps[2],
        ]);
        assert!(o.status.success(), "{o:?}");
        let said = String::from_utf8_lossy(&o.stdout).into_owned();
        let mut written: Vec<String> = std::fs::read_dir(&out)
            .unwrap_or_else(|e| panic!("{e}"))
            .filter_map(|e| e.ok()?.file_name().into_string().ok())
            .collect();
        written.sort();
        assert_eq!(
            written,
            ["lab-secure.parquet", "lab-v1.parquet", "none-crc.parquet"]
        );
        for (name, cap) in names.iter().zip(&caps) {
            let file = out.join(name.replace(".pcap", ".parquet"));
            let rows = parquet_rows(&file);
            // Each capture as if exported alone (no `file` column).
            assert_same(name, &rows, &jsonl(&["--keys", &keys, "-r", cap]));
            assert!(rows.iter().all(|r| r["file"].is_null()));
            let line = format!("{}: {} rows from {cap}", file.display(), rows.len());
            assert!(said.lines().any(|l| l == line), "{line} not in {said}");
        }
        // The secure capture was opened with the keys.
        let secure = parquet_rows(&out.join("lab-secure.parquet"));
        assert!(secure
            .iter()
            .any(|r| r["mode"] == "secure" && r["msg_name"] == "osd_op"));
    }

    #[test]
    fn a_filter_applies_to_each_capture() {
        let dir = tmpdir("batch-filter");
        let (a, b) = (capture("none-crc.pcap"), capture("lab-enoent.pcap"));
        let filter = "ceph.msg.type == osd_op_reply && ceph.src.entity == \"osd.0\"";
        let d = dir.display().to_string();
        let o = run(&["export-parquet", "-Y", filter, "-w", &d, &a, &b]);
        assert!(o.status.success(), "{o:?}");
        for (cap, name) in [(&a, "none-crc"), (&b, "lab-enoent")] {
            let rows = parquet_rows(&dir.join(format!("{name}.parquet")));
            assert_same(name, &rows, &jsonl(&["-r", cap, "-Y", filter]));
            assert!(rows.iter().all(|r| r["msg_name"] == "osd_op_reply"));
        }
    }

    /// The README's DuckDB query, run on exports when Python's duckdb
    /// module is there: its top 10 per OSD are the replies' own.
    #[test]
    fn the_readme_duckdb_query_ranks_the_slowest_osd_ops() {
        let py = |code: &str| Command::new("python3").args(["-c", code]).output().ok();
        if !py("import duckdb").is_some_and(|o| o.status.success()) {
            eprintln!("SKIPPED: python3 -c 'import duckdb' fails");
            return;
        }
        let readme = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/README.md"));
        let readme = readme.unwrap_or_default();
        let sql = readme
            .split("```sql\n")
            .nth(1)
            .and_then(|t| t.split("```").next());
        let sql = sql.unwrap_or_else(|| panic!("no SQL in the README"));
        let dir = tmpdir("duckdb");
        let caps = [capture("none-crc.pcap"), capture("lab-enoent.pcap")];
        let d = dir.display().to_string();
        let o = run(&["export-parquet", "-w", &d, &caps[0], &caps[1]]);
        assert!(o.status.success(), "{o:?}");
        let sql = sql.replace("exports/", &format!("{d}/"));
        let code = format!(
            "import duckdb, json\nrows = duckdb.sql({sql:?}).fetchall()\n\
             print(json.dumps([[r[0], round(r[1] * 1e6)] for r in rows]))"
        );
        let out = py(&code).unwrap_or_else(|| panic!("python3 did not run"));
        assert!(out.status.success(), "{out:?}");
        let got: Vec<(String, i64)> = serde_json::from_slice(&out.stdout).unwrap_or_default();
        let mut want: Vec<(String, i64)> = Vec::new();
        for name in ["none-crc", "lab-enoent"] {
            for r in parquet_rows(&dir.join(format!("{name}.parquet"))) {
                if let (Some("osd_op_reply"), Some(ns)) =
                    (r["msg_name"].as_str(), r["latency_ns"].as_i64())
                {
                    want.push((r["src_entity"].as_str().unwrap_or_default().into(), ns));
                }
            }
        }
        want.sort_by(|a, b| a.0.cmp(&b.0).then(b.1.cmp(&a.1)));
        let mut top: Vec<(String, i64)> = Vec::new();
        for w in want {
            if top.iter().filter(|t| t.0 == w.0).count() < 10 {
                top.push(w);
            }
        }
        assert!(top.len() >= 10, "{top:?}");
        assert_eq!(got, top);
    }

    #[test]
    fn names_that_collide_are_refused_before_anything_is_written() {
        let dir = tmpdir("collide");
        let (a, b) = (capture("cephx-secure.pcap"), capture("cephx-secure.pcapng"));
        let d = dir.join("out").display().to_string();
        let err = refused(&["export-parquet", "-w", &d, &a, &b]);
        assert!(err.contains("would both be written to"), "{err}");
        assert!(!dir.join("out").exists());
        let err = refused(&["export-parquet", "-w", &d, "-"]);
        assert!(err.contains("-r - -T parquet -w FILE"), "{err}");
    }

    #[test]
    fn an_unwritable_path_is_an_error_that_names_it() {
        let dir = tmpdir("unwritable");
        let cap = capture("none-crc.pcap");
        let missing = dir.join("no-such-dir").join("x.parquet");
        let m = missing.display().to_string();
        let err = refused(&["-r", &cap, "-T", "parquet", "-w", &m]);
        assert!(err.contains(&m) && err.contains("No such file"), "{err}");
        // A directory that is a file.
        let file = dir.join("plain");
        std::fs::write(&file, b"x").unwrap_or_else(|e| panic!("{e}"));
        let f = file.display().to_string();
        let err = refused(&["export-parquet", "-w", &f, &cap]);
        assert!(err.contains(&f), "{err}");
        // One capture missing: the others are written, the exit says so.
        let out = dir.join("some");
        let o = run(&[
            "export-parquet",
            "-w",
            &out.display().to_string(),
            &cap,
            "/no/such.pcap",
        ]);
        assert_eq!(o.status.code(), Some(2), "{o:?}");
        assert!(String::from_utf8_lossy(&o.stderr).contains("/no/such.pcap"));
        assert!(parquet_rows(&out.join("none-crc.parquet")).len() > 100);
        assert!(!out.join("such.parquet").exists());
    }
}
