//! The file: row groups encoded and written on a thread of their own
//! while the listing gathers the next, and `-T parquet`'s file sink.

use super::{Columns, Strings, PLAIN, ROW_GROUP_ROWS, SCHEMA};
use crate::analysis::Record;
use crate::capture::Timestamp;
use crate::cli::row::Row;
use crate::cli::RowSink;
use parquet::basic::Compression;
use parquet::errors::{ParquetError, Result};
use parquet::file::properties::WriterProperties;
use parquet::file::writer::SerializedFileWriter;
use parquet::schema::parser::parse_message_type;
use parquet::schema::types::ColumnPath;
use std::fs::File;
use std::io::{self, BufWriter, Write};
use std::path::{Path, PathBuf};
use std::sync::mpsc::{sync_channel, Receiver, SyncSender};
use std::sync::Arc;
use std::thread::JoinHandle;

/// The thread that encodes and writes each full batch of rows.
struct Encoder<W> {
    /// Full batches to it: a rendezvous, so a batch is handed over only
    /// once the previous one is written (two batches at most in memory).
    full: Option<SyncSender<Box<Columns>>>,
    /// Written batches back, emptied, to gather into again.
    empty: Receiver<Box<Columns>>,
    thread: Option<JoinHandle<Result<W>>>,
}

impl<W: Write + Send + 'static> Encoder<W> {
    fn start(out: W) -> Result<Self> {
        let schema = Arc::new(parse_message_type(SCHEMA)?);
        let mut props = WriterProperties::builder()
            .set_compression(Compression::SNAPPY)
            .set_created_by(format!("cephshark {}", env!("CARGO_PKG_VERSION")));
        for leaf in PLAIN {
            let path = ColumnPath::new(leaf.split('.').map(str::to_string).collect());
            props = props.set_column_dictionary_enabled(path, false);
        }
        let props = props.build();
        let (full, todo) = sync_channel::<Box<Columns>>(0);
        let (done, empty) = sync_channel::<Box<Columns>>(1);
        let thread = std::thread::Builder::new()
            .name("parquet".into())
            .spawn(move || {
                let mut file = SerializedFileWriter::new(out, schema, Arc::new(props))?;
                while let Ok(mut cols) = todo.recv() {
                    let mut rg = file.next_row_group()?;
                    cols.write(&mut rg)?;
                    rg.close()?;
                    let _ = done.try_send(cols);
                }
                file.into_inner()
            })
            .map_err(|e| ParquetError::General(format!("cannot start the writer: {e}")))?;
        Ok(Encoder {
            full: Some(full),
            empty,
            thread: Some(thread),
        })
    }

    /// Hand a full batch over; an empty one to gather into.
    fn send(&mut self, cols: Box<Columns>) -> Result<Box<Columns>> {
        let sent = self.full.as_ref().map(|f| f.send(cols));
        if !matches!(sent, Some(Ok(()))) {
            // The thread stopped: its error says why.
            return Err(self
                .stop()
                .err()
                .unwrap_or_else(|| ParquetError::General("the writer stopped early".into())));
        }
        Ok(self.empty.try_recv().unwrap_or_default())
    }

    /// Let the thread write the footer, and wait for it.
    fn stop(&mut self) -> Result<W> {
        self.full = None;
        match self.thread.take().map(JoinHandle::join) {
            Some(Ok(r)) => r,
            Some(Err(_)) => Err(ParquetError::General("the writer failed".into())),
            None => Err(ParquetError::General("the writer was stopped".into())),
        }
    }
}

impl<W> Drop for Encoder<W> {
    fn drop(&mut self) {
        self.full = None;
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

/// A Parquet file being written, row by row.
pub struct ParquetWriter<W: Write + Send + 'static> {
    encoder: Encoder<W>,
    cols: Box<Columns>,
    strings: Strings,
    held: usize,
    group_rows: usize,
    rows: u64,
}

impl<W: Write + Send + 'static> ParquetWriter<W> {
    /// Start a file on `out`.
    pub fn new(out: W) -> Result<Self> {
        Self::with_group_rows(out, ROW_GROUP_ROWS)
    }

    /// Start a file on `out` whose row groups hold `group_rows` rows.
    pub fn with_group_rows(out: W, group_rows: usize) -> Result<Self> {
        Ok(ParquetWriter {
            encoder: Encoder::start(out)?,
            cols: Box::default(),
            strings: Strings::default(),
            held: 0,
            group_rows: group_rows.max(1),
            rows: 0,
        })
    }

    /// Add a row (a row group is written every `group_rows`).
    pub fn add(&mut self, row: Row<'_>) -> Result<()> {
        self.cols.add(row, &mut self.strings);
        self.held += 1;
        self.rows += 1;
        if self.held >= self.group_rows {
            self.flush()?;
        }
        Ok(())
    }

    fn flush(&mut self) -> Result<()> {
        if self.held == 0 {
            return Ok(());
        }
        let cols = std::mem::take(&mut self.cols);
        self.cols = self.encoder.send(cols)?;
        self.strings.clear();
        self.held = 0;
        Ok(())
    }

    /// Write the last row group and the footer; the rows written and the
    /// output.
    pub fn finish(mut self) -> Result<(u64, W)> {
        self.flush()?;
        let out = self.encoder.stop()?;
        Ok((self.rows, out))
    }
}

/// `-T parquet -w FILE`: a [`ParquetWriter`] on a file, fed the listing's
/// rows. A file not finished (the listing failed) is removed when dropped.
pub struct ParquetFile {
    path: PathBuf,
    writer: Option<ParquetWriter<BufWriter<File>>>,
}

impl ParquetFile {
    /// Create (or truncate) the file at `path`.
    pub fn create(path: &Path) -> io::Result<ParquetFile> {
        let f = File::create(path)?;
        let writer =
            ParquetWriter::new(BufWriter::with_capacity(1 << 20, f)).map_err(io::Error::other)?;
        Ok(ParquetFile {
            path: path.to_path_buf(),
            writer: Some(writer),
        })
    }

    /// Write the last rows and the footer, and flush: the rows written.
    pub fn finish(mut self) -> io::Result<u64> {
        let Some(w) = self.writer.take() else {
            return Ok(0);
        };
        let done = w
            .finish()
            .map_err(io::Error::other)
            .and_then(|(rows, mut out)| out.flush().map(|()| rows));
        if done.is_err() {
            let _ = std::fs::remove_file(&self.path);
        }
        done
    }
}

impl RowSink for ParquetFile {
    fn row(&mut self, r: &Record, origin: Timestamp) -> io::Result<()> {
        match &mut self.writer {
            Some(w) => w.add(Row::of(r, origin)).map_err(io::Error::other),
            None => Ok(()),
        }
    }
}

impl Drop for ParquetFile {
    fn drop(&mut self) {
        if self.writer.take().is_some() {
            let _ = std::fs::remove_file(&self.path);
        }
    }
}
