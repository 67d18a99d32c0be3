//! Unit tests of `reassembly.rs`.
use super::*;

/// Events as short strings: `off:bytes@pkt`, `gap off+len@pkt`,
/// `diff off+len@pkt/first`.
fn show(ev: ReassemblyEvent<'_>) -> String {
    match ev {
        ReassemblyEvent::Data {
            offset,
            data,
            packet,
            ..
        } => {
            format!("{offset}:{}@{packet}", String::from_utf8_lossy(data))
        }
        ReassemblyEvent::Gap {
            offset,
            len,
            packet,
        } => format!("gap {offset}+{len}@{packet}"),
        ReassemblyEvent::OverlapDiffers {
            offset,
            len,
            packet,
            first_packet: f,
        } => {
            format!("diff {offset}+{len}@{packet}/{f}")
        }
    }
}

/// A reassembler plus the events it produced since the last `take`.
struct H {
    r: Reassembler,
    ev: Vec<String>,
}

impl H {
    fn new(isn: Option<u32>) -> H {
        H::with(isn, usize::MAX, DEFAULT_RECENT_WINDOW)
    }
    fn with(isn: Option<u32>, max_buffered: usize, recent_window: usize) -> H {
        let mut r = Reassembler::with_config(ReassemblyConfig {
            max_buffered,
            recent_window,
            ack_gap_delay: 0,
        });
        if let Some(isn) = isn {
            r.syn(isn);
        }
        H { r, ev: Vec::new() }
    }
    fn seg(&mut self, pkt: u64, seq: u32, data: &[u8]) -> &mut H {
        self.cut(pkt, seq, data, 0)
    }
    fn cut(&mut self, pkt: u64, seq: u32, data: &[u8], missing: u32) -> &mut H {
        let (ev, p) = (&mut self.ev, PacketIndex(pkt));
        let ts = Timestamp::default();
        self.r
            .segment(p, ts, seq, data, missing, &mut |e| ev.push(show(e)));
        self
    }
    fn ack(&mut self, pkt: u64, ack: u32) -> &mut H {
        let ev = &mut self.ev;
        self.r
            .ack_seen(ack, PacketIndex(pkt), &mut |e| ev.push(show(e)));
        self
    }
    fn take(&mut self) -> Vec<String> {
        std::mem::take(&mut self.ev)
    }
}

#[test]
fn in_order_is_delivered_at_once() {
    let mut h = H::new(Some(1000));
    h.seg(1, 1001, b"hello").seg(2, 1006, b" world");
    assert_eq!(h.take(), ["0:hello@1", "5: world@2"]);
    assert_eq!(h.r.next_offset(), 11);
}

#[test]
fn out_of_order_waits_for_the_hole() {
    let mut h = H::new(Some(1000));
    h.seg(1, 1006, b" world");
    assert!(h.take().is_empty());
    assert_eq!(h.r.buffered(), 6 + HELD_ENTRY_COST);
    h.seg(2, 1001, b"hello");
    assert_eq!(h.take(), ["0:hello@2", "5: world@1"]);
    assert_eq!(h.r.buffered(), 0);
}

#[test]
fn duplicates_are_silent() {
    let mut h = H::new(Some(1000));
    h.seg(1, 1006, b" world")
        .seg(2, 1006, b" world")
        .seg(3, 1001, b"hello");
    h.seg(4, 1001, b"hello").seg(5, 1006, b" world");
    assert_eq!(h.take(), ["0:hello@3", "5: world@1"]);
}

#[test]
fn partial_identical_overlap_delivers_only_new_bytes() {
    let mut h = H::new(Some(1000));
    h.seg(1, 1001, b"hello")
        .seg(2, 1004, b"lo wor")
        .seg(3, 1003, b"llo world!");
    assert_eq!(h.take(), ["0:hello@1", "5: wor@2", "9:ld!@3"]);
}

#[test]
fn differing_overlap_is_reported_and_first_copy_wins() {
    let mut h = H::new(Some(1000));
    // Against delivered bytes.
    h.seg(1, 1001, b"hello").seg(2, 1002, b"EXl");
    assert_eq!(h.take(), ["0:hello@1", "diff 1+2@2/1"]);
    // Against held bytes: the held copy is kept.
    h.seg(3, 1010, b"world").seg(4, 1006, b" *X*ld");
    assert_eq!(h.take(), ["diff 9+2@4/3", "5: *X*@4", "9:world@3"]);
}

#[test]
fn sequence_numbers_wrap() {
    let mut h = H::new(Some(u32::MAX - 2));
    h.seg(1, 6, b"ijkl")
        .seg(2, u32::MAX - 1, b"abcd")
        .seg(3, 2, b"efgh");
    assert_eq!(h.take(), ["0:abcd@2", "4:efgh@3", "8:ijkl@1"]);
    h.ack(4, 7).seg(5, 11, b"x");
    assert!(h.take().is_empty());
    h.ack(6, 12);
    assert_eq!(h.take(), ["gap 12+1@6", "13:x@5"]);
}

#[test]
fn mid_connection_first_segment_is_offset_zero() {
    let mut h = H::new(None);
    h.seg(1, 5000, b"abc");
    // Pre-capture bytes are ignored, the overlap is identical.
    h.seg(2, 4990, b"0123456789").seg(3, 4995, b"56789abcd");
    assert_eq!(h.take(), ["0:abc@1", "3:d@3"]);
    assert_eq!(h.r.origin(), Some(5000));
}

#[test]
fn ack_past_a_hole_makes_a_gap() {
    let mut h = H::new(Some(1000));
    h.seg(1, 1001, b"ab").seg(2, 1005, b"ef").ack(3, 1003);
    assert_eq!(h.take(), ["0:ab@1"]);
    h.ack(4, 1007);
    assert_eq!(h.take(), ["gap 2+2@4", "4:ef@2"]);
    h.ack(5, 1010);
    assert_eq!(h.take(), ["gap 6+3@5"]);
    // The lost bytes arriving late change nothing.
    h.seg(6, 1003, b"cd").seg(7, 1010, b"j");
    assert_eq!(h.take(), ["9:j@7"]);
}

#[test]
fn an_ack_before_its_data_waits_for_it() {
    let mut r = Reassembler::with_config(ReassemblyConfig {
        ack_gap_delay: 3,
        ..ReassemblyConfig::default()
    });
    r.syn(1000);
    let ev = std::cell::RefCell::new(Vec::<String>::new());
    let mut sink = |e: ReassemblyEvent<'_>| {
        ev.borrow_mut()
            .push(format!("{e:?}").chars().take(4).collect());
    };
    // The ACK of bytes 0..4 is recorded before the bytes themselves.
    r.ack_seen(1005, PacketIndex(1), &mut sink);
    r.segment(
        PacketIndex(2),
        Timestamp::default(),
        1001,
        b"abcd",
        0,
        &mut sink,
    );
    assert_eq!(*ev.borrow(), ["Data"]);
    // An ACK past a hole that is never filled becomes a gap after the wait.
    r.ack_seen(1009, PacketIndex(3), &mut sink);
    r.segment(
        PacketIndex(4),
        Timestamp::default(),
        1009,
        b"ij",
        0,
        &mut sink,
    );
    assert_eq!(*ev.borrow(), ["Data"], "still waiting");
    r.ack_seen(1009, PacketIndex(5), &mut sink);
    r.ack_seen(1009, PacketIndex(6), &mut sink);
    assert_eq!(*ev.borrow(), ["Data", "Gap ", "Data"]);
}

#[test]
fn buffer_cap_gives_up_the_earliest_hole() {
    let mut h = H::with(Some(0), 200, 1024);
    let block = [b'x'; 100];
    h.seg(1, 11, &block);
    assert!(h.take().is_empty());
    h.seg(2, 201, &block);
    assert_eq!(
        h.take(),
        [
            "gap 0+10@2".to_string(),
            format!("10:{}@1", "x".repeat(100))
        ]
    );
    assert_eq!(h.r.next_offset(), 110);
    assert_eq!(h.r.buffered(), 100 + HELD_ENTRY_COST);
}

#[test]
fn flush_reports_every_hole_up_to_the_fin() {
    let mut h = H::new(Some(0));
    h.seg(1, 3, b"cd").seg(2, 7, b"gh");
    h.r.fin(12);
    let ev = &mut h.ev;
    h.r.flush(&mut |e| ev.push(show(e)));
    let want = ["gap 0+2@2", "2:cd@1", "gap 4+2@2", "6:gh@2", "gap 8+3@2"];
    assert_eq!(h.take(), want);
    assert!(h.r.is_complete());
}

#[test]
fn snaplen_cut_is_a_gap() {
    let mut h = H::new(Some(0));
    h.cut(1, 1, b"abc", 3).seg(2, 7, b"g");
    assert_eq!(h.take(), ["0:abc@1", "gap 3+3@1", "6:g@2"]);
    // Past a hole, the cut range waits for delivery to reach it...
    h.cut(3, 10, b"jk", 2).seg(4, 8, b"h");
    assert_eq!(h.take(), ["7:h@4"]);
    h.seg(5, 9, b"i");
    assert_eq!(h.take(), ["8:i@5", "9:jk@3", "gap 11+2@3"]);
    // ...and a full copy arriving first replaces it.
    h.cut(6, 17, b"pq", 2).seg(7, 18, b"qrs").seg(8, 16, b"o");
    assert!(h.take().is_empty());
    h.seg(9, 14, b"mn");
    assert_eq!(h.take(), ["13:mn@9", "15:o@8", "16:pq@6", "18:rs@7"]);
}

#[test]
fn fin_ends_the_stream() {
    let mut h = H::new(Some(0));
    h.seg(1, 4, b"def");
    h.r.fin(5);
    h.seg(2, 1, b"abc").seg(3, 6, b"xyz");
    assert_eq!(h.take(), ["0:abc@2", "3:d@1"]);
    assert!(h.r.is_complete());
    assert_eq!(h.r.fin_offset(), Some(4));
}

#[test]
fn recent_window_is_bounded() {
    let mut h = H::with(Some(0), 1024, 4);
    h.seg(1, 1, b"0123456789").seg(2, 1, b"X").seg(3, 9, b"8Y");
    assert_eq!(h.take(), ["0:0123456789@1", "diff 9+1@3/1"]);
}
