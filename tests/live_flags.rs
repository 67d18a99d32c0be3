//! Live capture's flags on the command line, with or without the `live`
//! feature: what is refused, and what a build without it says.

use std::process::{Command, Output};

fn run(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_cephshark"))
        .args(args)
        .output()
        .unwrap_or_else(|e| panic!("cannot run cephshark: {e}"))
}

fn refused(args: &[&str]) -> String {
    let out = run(args);
    assert_eq!(out.status.code(), Some(2), "{args:?}: {out:?}");
    assert!(out.stdout.is_empty(), "{args:?}: {out:?}");
    String::from_utf8_lossy(&out.stderr).into_owned()
}

fn none_crc() -> String {
    format!("{}/captures/none-crc.pcap", env!("CARGO_MANIFEST_DIR"))
}

#[cfg(not(feature = "live"))]
#[test]
fn without_the_feature_live_capture_says_how_to_build_it() {
    for args in [
        &["-i", "lo"][..],
        &["-i", "lo", "-f", "tcp port 3300"],
        &["-D"],
    ] {
        let err = refused(args);
        assert!(
            err.contains("cargo build --release --features live") && err.contains("libpcap-dev"),
            "{args:?}: {err}"
        );
    }
}

#[test]
fn a_capture_filter_needs_an_interface() {
    let err = refused(&["-r", &none_crc(), "-f", "tcp port 3300"]);
    assert!(
        err.contains("-f sets a capture filter for -i IFACE"),
        "{err}"
    );
}

#[test]
fn one_input_at_a_time() {
    let file = none_crc();
    for args in [&["-i", "lo", "-r", &file][..], &["-i", "lo", &file]] {
        let err = refused(args);
        assert!(
            err.contains("cephshark reads one input, a live capture or a file"),
            "{args:?}: {err}"
        );
    }
}

#[test]
fn saving_a_live_capture_takes_a_file_and_no_display_filter() {
    let err = refused(&["-i", "lo", "-w", "-"]);
    assert!(err.contains("-w - with -i"), "{err}");
    let err = refused(&["-i", "lo", "-w", "out.pcap", "-Y", "msgr2"]);
    assert!(
        err.contains("choose them with a capture filter (-f)"),
        "{err}"
    );
}
