//! Live capture (`-i IFACE [-f BPF]`, `-D`), with libpcap through the
//! `pcap` crate, behind the cargo feature `live`.
//!
//! ```text
//!  capture thread: libpcap (BPF -f) --packet--> pcap record --FeedWriter--> FeedReader
//!                                  \--> -w FILE (pcap, as packets arrive)      |
//!  main thread:   CaptureReader <- the same pipeline as a file (-Y, -V, -T, -z, -c)
//! ```
//!
//! The capture thread turns each packet into a record of a pcap stream
//! (nanosecond timestamps, the interface's link type) and hands it to the
//! dissection through a [`cephshark::capture::feed`], so a live capture
//! is read exactly as `tcpdump -U -w - | cephshark -r -` would be. It
//! stops when told ([`Live::finish`]), when a termination signal arrives
//! (Ctrl-C ends a capture: the rows, statistics and end summary follow,
//! exit 0), or when the reading side is gone (`-c`, the terminal UI quit).

use std::path::Path;
use std::sync::atomic::AtomicUsize;
use std::sync::Arc;

#[cfg(feature = "live")]
pub(crate) use imp::{list_interfaces, start, Live};

#[cfg(not(feature = "live"))]
pub(crate) use off::{list_interfaces, start, Live};

/// Why `-i` and `-D` are not there, and how to have them.
#[cfg(not(feature = "live"))]
const NOT_BUILT: &str = "live capture (-i, -D) is not built in: build cephshark with \
     `cargo build --release --features live` (it links libpcap: install Debian's \
     libpcap-dev first)";

#[cfg(not(feature = "live"))]
mod off {
    use super::*;
    use cephshark::capture::FeedReader;

    /// Never made without the feature.
    pub(crate) enum Live {}

    impl Live {
        pub(crate) fn finish(self) -> anyhow::Result<()> {
            match self {}
        }
    }

    pub(crate) fn list_interfaces() -> anyhow::Result<()> {
        anyhow::bail!(NOT_BUILT)
    }

    pub(crate) fn start(
        _iface: &str,
        _bpf: Option<&str>,
        _save: Option<&Path>,
        _signal: Option<Arc<AtomicUsize>>,
    ) -> anyhow::Result<(Live, FeedReader)> {
        anyhow::bail!(NOT_BUILT)
    }
}

#[cfg(feature = "live")]
mod imp {
    use super::*;
    use anyhow::Context;
    use cephshark::capture::{
        feed, FeedReader, FeedWriter, LinkType, PcapOptions, PcapWriter, Timestamp,
    };
    use std::fs::File;
    use std::io::{BufWriter, Write};
    use std::sync::atomic::{AtomicBool, Ordering};
    use std::thread::JoinHandle;
    use std::time::Duration;

    /// Bytes kept of each packet, as tcpdump's default.
    const SNAPLEN: u32 = 262_144;
    /// libpcap's read timeout: the kernel hands over the packets it holds
    /// at least this often, so rows come within about this of their packet.
    const TIMEOUT_MS: i32 = 50;
    /// The kernel's buffer for packets not yet read (tcpdump's is 2 MiB):
    /// room for the bursts that come while the dissection is busy.
    const BUFFER_BYTES: i32 = 16 << 20;
    /// The pause when no packet is waiting, before the thread looks again
    /// (and at its stop flags). libpcap's own wait need not return before a
    /// packet comes (Linux), so the handle is non-blocking and the thread
    /// waits here.
    const IDLE_WAIT: Duration = Duration::from_millis(5);

    /// `-D`: the interfaces libpcap can open, numbered as tshark lists
    /// them, with their description (or "Loopback") when there is one.
    pub(crate) fn list_interfaces() -> anyhow::Result<()> {
        let devices = pcap::Device::list().context("cannot list the interfaces")?;
        let stdout = std::io::stdout();
        let mut out = stdout.lock();
        for (n, d) in devices.iter().enumerate() {
            let about = match &d.desc {
                Some(desc) => format!(" ({desc})"),
                None if d.flags.is_loopback() => " (Loopback)".to_string(),
                None => String::new(),
            };
            let line = format!("{}. {}{about}", n.saturating_add(1), d.name);
            writeln!(out, "{}", cephshark::model::escape::escape(&line))?;
        }
        Ok(())
    }

    /// What the capture thread counted.
    struct Totals {
        captured: u64,
        /// Dropped by the kernel (no room) and by the interface, as
        /// libpcap reports them.
        dropped: Option<u64>,
    }

    /// A running capture.
    pub(crate) struct Live {
        iface: String,
        stop: Arc<AtomicBool>,
        thread: JoinHandle<anyhow::Result<Totals>>,
    }

    /// Open `iface` (errors come here, before anything is shown), apply
    /// the capture filter, say `Capturing on 'IFACE'` on standard error
    /// (from then on every packet is kept), and start the capture thread.
    /// `save`: `-w`, every packet captured, written as it arrives.
    /// `signal`: a flag that ends the capture once nonzero.
    pub(crate) fn start(
        iface: &str,
        bpf: Option<&str>,
        save: Option<&Path>,
        signal: Option<Arc<AtomicUsize>>,
    ) -> anyhow::Result<(Live, FeedReader)> {
        let (mut cap, nanos) = open(iface).map_err(|e| {
            let text = e.to_string();
            let hint = if text.contains("not permitted") || text.contains("ermission") {
                " (capturing needs root, or the CAP_NET_RAW and CAP_NET_ADMIN capabilities)"
            } else {
                ""
            };
            anyhow::anyhow!("cannot capture on '{iface}': {text}{hint}")
        })?;
        if let Some(f) = bpf.filter(|f| !f.trim().is_empty()) {
            cap.filter(f, true)
                .with_context(|| format!("capture filter (-f) '{f}'"))?;
        }
        let link = u32::try_from(cap.get_datalink().0)
            .map(LinkType)
            .unwrap_or(LinkType(u32::MAX));
        let options = PcapOptions {
            link,
            snaplen: SNAPLEN,
            nanosecond: true,
            big_endian: false,
        };
        let saver = match save {
            Some(p) => {
                let f = File::create(p).with_context(|| format!("-w {}", p.display()))?;
                let w = PcapWriter::new(BufWriter::with_capacity(1 << 16, f), options)
                    .with_context(|| format!("-w {}", p.display()))?;
                Some(w)
            }
            None => None,
        };
        let (writer, reader) = feed();
        let stream = PcapWriter::new(writer, options).context("live capture")?;
        eprintln!("Capturing on '{}'", cephshark::model::escape::escape(iface));
        let stop = Arc::new(AtomicBool::new(false));
        let flag = Arc::clone(&stop);
        let thread = std::thread::Builder::new()
            .name("cephshark-capture".into())
            .spawn(move || run(cap, nanos, stream, saver, &flag, signal.as_deref()))?;
        let live = Live {
            iface: iface.to_string(),
            stop,
            thread,
        };
        Ok((live, reader))
    }

    /// The capture handle: not promiscuous (msgr2 to and from this host is
    /// what is wanted), packets handed over in blocks at least every
    /// [`TIMEOUT_MS`] (libpcap's immediate mode on Linux keeps a ring of
    /// whole-snaplen slots, a few dozen packets, and drops bursts past
    /// them), nanosecond times where libpcap has them.
    fn open(iface: &str) -> Result<(pcap::Capture<pcap::Active>, bool), pcap::Error> {
        let inactive = || {
            pcap::Capture::from_device(iface).map(|c| {
                c.promisc(false)
                    .snaplen(i32::try_from(SNAPLEN).unwrap_or(i32::MAX))
                    .buffer_size(BUFFER_BYTES)
                    .timeout(TIMEOUT_MS)
            })
        };
        let (cap, nanos) = match inactive()?.precision(pcap::Precision::Nano).open() {
            Ok(c) => (c, true),
            // Not every system offers nanoseconds: microseconds then.
            Err(pcap::Error::PcapError(m)) if m.contains("precision") => {
                (inactive()?.open()?, false)
            }
            Err(e) => return Err(e),
        };
        Ok((cap.setnonblock()?, nanos))
    }

    /// A packet's time: pcap's timeval, whose second field holds
    /// nanoseconds when the handle was opened for them.
    // time_t is i64 here, i32 on some systems: the conversion is kept.
    #[allow(clippy::useless_conversion)]
    fn timestamp(ts: &pcap::PacketHeader, nanos: bool) -> Timestamp {
        let frac = u32::try_from(ts.ts.tv_usec).unwrap_or(0);
        Timestamp {
            secs: i64::from(ts.ts.tv_sec),
            nanos: if nanos {
                frac
            } else {
                frac.saturating_mul(1000)
            },
        }
    }

    fn run(
        mut cap: pcap::Capture<pcap::Active>,
        nanos: bool,
        mut stream: PcapWriter<FeedWriter>,
        mut save: Option<PcapWriter<BufWriter<File>>>,
        stop: &AtomicBool,
        signal: Option<&AtomicUsize>,
    ) -> anyhow::Result<Totals> {
        let mut captured = 0u64;
        loop {
            let signalled = signal.is_some_and(|s| s.load(Ordering::SeqCst) != 0);
            if stop.load(Ordering::SeqCst) || signalled || stream.get_ref().is_closed() {
                break;
            }
            match cap.next_packet() {
                Ok(p) => {
                    captured = captured.saturating_add(1);
                    let ts = timestamp(p.header, nanos);
                    if let Some(s) = save.as_mut() {
                        s.write_packet(ts, p.header.len, p.data)
                            .context("-w: writing the capture")?;
                    }
                    // The reading side is gone (-c reached, the UI quit).
                    if stream.write_packet(ts, p.header.len, p.data).is_err() {
                        break;
                    }
                }
                // No packet waiting: what -w holds goes to disk.
                Err(pcap::Error::TimeoutExpired) => {
                    if let Some(s) = save.as_mut() {
                        s.flush().context("-w: writing the capture")?;
                    }
                    std::thread::sleep(IDLE_WAIT);
                }
                Err(e) => return Err(e).context("capturing"),
            }
        }
        let dropped = cap
            .stats()
            .ok()
            .map(|s| u64::from(s.dropped).saturating_add(u64::from(s.if_dropped)));
        if let Some(s) = save {
            s.into_inner().context("-w: writing the capture")?;
        }
        Ok(Totals { captured, dropped })
    }

    impl Live {
        /// Stop capturing (if it has not stopped already), wait for the
        /// thread, and say how many packets were captured (and dropped),
        /// as tshark does, on standard error.
        pub(crate) fn finish(self) -> anyhow::Result<()> {
            self.stop.store(true, Ordering::SeqCst);
            let totals = self
                .thread
                .join()
                .map_err(|_| anyhow::anyhow!("the capture on '{}' failed", self.iface))??;
            let n = totals.captured;
            let mut line = format!("{n} packet{} captured", if n == 1 { "" } else { "s" });
            if let Some(d) = totals.dropped.filter(|&d| d > 0) {
                line.push_str(&format!(", {d} dropped"));
            }
            eprintln!("{line}");
            Ok(())
        }
    }
}
