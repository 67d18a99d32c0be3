//! Encoding conformance in secure mode (msgr2.1, AES-128-GCM): the real
//! payloads of tests/encoding.rs sent after AUTH_DONE(mode secure), sealed
//! by the encoder with a key the dissector is given.

mod support;

use cephshark::model::ProblemKind;
use cephshark::msgr2::Tag;
use support::mutants::*;

#[test]
fn real_payloads_sealed_unchanged_are_clean() {
    for ((tag, ty), segs) in &examples(&real()) {
        let (r, ka) = send_secure(*tag, segs);
        assert_eq!(r.status(), "ok", "tag {tag} type {ty}: {:?}", r.problems());
        assert_eq!(ka.status(), "ok");
    }
}

#[test]
fn truncations_and_bad_lengths_in_secure_frames() {
    let ex = examples(&real());
    let mut checked = 0;
    for ((tag, ty), segs) in &ex {
        let seg = usize::from(*tag == Tag::Message.raw());
        let full = segs[seg].len();
        if full == 0 {
            continue;
        }
        let step = (full / 12).max(1);
        for cut in (0..full).step_by(step) {
            let mut m = segs.clone();
            m[seg].truncate(cut);
            let (r, ka) = send_secure(*tag, &m);
            let errs = encoding_errors(&r);
            assert_eq!(
                errs.len(),
                1,
                "tag {tag} type {ty} cut {cut}: {:?}",
                r.problems()
            );
            let f = r.frame().unwrap_or_else(|| unreachable!());
            assert!(
                errs[0].offset >= f.offset && errs[0].offset <= f.offset + f.wire_len,
                "{:?} outside the frame",
                errs[0]
            );
            assert_eq!(ka.status(), "ok");
            checked += 1;
        }
    }
    assert!(checked > 100, "{checked}");
}

#[test]
fn hello_marker_in_a_secure_frame() {
    let ex = examples(&real());
    let mut segs = ex
        .get(&(Tag::Hello.raw(), 0))
        .cloned()
        .unwrap_or_else(|| panic!("no HELLO"));
    segs[0][1] = 9;
    let (r, ka) = send_secure(Tag::Hello.raw(), &segs);
    let errs = encoding_errors(&r);
    assert_eq!(errs.len(), 1, "{:?}", r.problems());
    assert_eq!(errs[0].kind, ProblemKind::EncodingMalformed);
    // msgr2.1 secure: segment 0 starts right after the 32-byte
    // preamble inside the first GCM operation (frames_v2.cc).
    let f = r.frame().unwrap_or_else(|| unreachable!());
    assert_eq!(errs[0].offset, f.offset + 32 + 1);
    assert_eq!(ka.status(), "ok");
}
