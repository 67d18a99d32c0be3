//! Preloads the built library into a small C program that uses OpenSSL the
//! way Ceph's msgr2 secure mode does, and checks the key log it writes.
//! Needs a C compiler and OpenSSL headers (Debian: gcc, libssl-dev); without
//! them the test says so and passes.

use std::path::{Path, PathBuf};
use std::process::Command;

/// Builds the cdylib (`cargo test` builds only the test binaries) into the
/// same target directory and profile as this test, and returns its path.
fn library() -> PathBuf {
    let exe = std::env::current_exe().unwrap();
    // target/<profile>/deps/<test binary>
    let profile_dir = exe.parent().and_then(Path::parent).unwrap().to_path_buf();
    let target_dir = profile_dir.parent().unwrap();
    let mut cargo = Command::new(env!("CARGO"));
    cargo
        .args(["build", "--lib", "--quiet", "--manifest-path"])
        .arg(Path::new(env!("CARGO_MANIFEST_DIR")).join("Cargo.toml"))
        .arg("--target-dir")
        .arg(target_dir);
    if profile_dir
        .file_name()
        .is_some_and(|name| name == "release")
    {
        cargo.arg("--release");
    }
    assert!(
        cargo.status().unwrap().success(),
        "building the library failed"
    );
    profile_dir.join("libcephshark_keylog.so")
}

fn compile_harness(dir: &Path) -> Option<PathBuf> {
    let exe = dir.join("harness");
    let source = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/harness.c");
    let status = Command::new("cc")
        .arg("-o")
        .arg(&exe)
        .arg(&source)
        .args(["-lcrypto", "-ldl"])
        .status();
    match status {
        Ok(s) if s.success() => Some(exe),
        _ => None,
    }
}

#[test]
fn logs_first_iv_of_each_aes128_gcm_context_only() {
    let lib = library();
    assert!(lib.exists(), "{} not built", lib.display());
    let dir = std::env::temp_dir().join(format!("cephshark-keylog-test-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let Some(harness) = compile_harness(&dir) else {
        eprintln!("skipped: no C compiler with OpenSSL headers (cc, libssl-dev)");
        return;
    };
    let keys = dir.join("keys.log");

    // Without CEPH_KEYLOG_FILE: forwards only, writes nothing.
    let plain = Command::new(&harness)
        .env("LD_PRELOAD", &lib)
        .env_remove("CEPH_KEYLOG_FILE")
        .output()
        .unwrap();
    assert!(
        plain.status.success(),
        "{}",
        String::from_utf8_lossy(&plain.stdout)
    );
    assert!(String::from_utf8_lossy(&plain.stdout).contains("pending 0"));

    let run = Command::new(&harness)
        .env("LD_PRELOAD", &lib)
        .env("CEPH_KEYLOG_FILE", &keys)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&run.stdout);
    assert!(run.status.success(), "{stdout}");
    assert!(
        stdout.contains("pending 0\n") && stdout.contains("failures 0\n"),
        "{stdout}"
    );
    let log = std::fs::read_to_string(&keys).unwrap();
    assert_eq!(
        log,
        "000102030405060708090a0b0c0d0e0f a0a1a2a300a5a6a7a8a9aaab\n\
         010102030405060708090a0b0c0d0e0f a0a1a2a300a5a6a7a8a9aaab\n\
         010102030405060708090a0b0c0d0e0f a0a1a2a3e7a5a6a7a8a9aaab\n"
    );
    std::fs::remove_dir_all(&dir).unwrap();
}
