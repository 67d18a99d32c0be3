//! The Parquet writer on its own (the cargo feature `parquet`): row groups
//! of a fixed size read back as the rows of one, in order, and the
//! schema's leaves are the columns the writer gathers.
#![cfg(feature = "parquet")]

use bytes::Bytes;
use cephshark::analysis::{dissect, Config, Record};
use cephshark::cli::parquet::{ParquetWriter, LEAVES, PLAIN, ROW_GROUP_ROWS, SCHEMA};
use cephshark::cli::row::Row;
use parquet::file::reader::{FileReader, SerializedFileReader};
use parquet::record::{Row as ParquetRow, RowAccessor};
use parquet::schema::parser::parse_message_type;
use parquet::schema::types::SchemaDescriptor;
use std::sync::Arc;

/// A bundled capture's rows.
fn records(name: &str) -> Vec<Record> {
    let path = format!("{}/captures/{name}", env!("CARGO_MANIFEST_DIR"));
    let f = std::fs::File::open(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
    let mut out = Vec::new();
    dissect(f, Config::default(), &mut |r| out.push(r)).unwrap_or_else(|e| panic!("{e}"));
    out
}

/// `records` written in row groups of `group_rows`: the file's bytes.
fn write(records: &[Record], group_rows: usize) -> Bytes {
    let mut w = ParquetWriter::with_group_rows(Vec::new(), group_rows).unwrap();
    for r in records {
        w.add(Row::of(r, r.origin)).unwrap();
    }
    let (rows, out) = w.finish().unwrap();
    assert_eq!(rows, records.len() as u64);
    Bytes::from(out)
}

/// A file's row groups and rows.
fn read(bytes: Bytes) -> (usize, Vec<ParquetRow>) {
    let reader = SerializedFileReader::new(bytes).unwrap();
    let groups = reader.metadata().num_row_groups();
    let rows = reader.get_row_iter(None).unwrap().map(|r| r.unwrap());
    (groups, rows.collect())
}

#[test]
fn row_groups_split_the_rows_and_read_back_as_one_file() {
    let recs = records("lab-reconnect.pcap");
    assert!(recs.len() > 1000, "{}", recs.len());
    let (one, whole) = read(write(&recs, ROW_GROUP_ROWS));
    assert_eq!(one, 1);
    let (groups, split) = read(write(&recs, 100));
    assert_eq!(groups, recs.len().div_ceil(100));
    assert_eq!(split.len(), recs.len());
    assert_eq!(split, whole);
    for (row, rec) in split.iter().zip(&recs) {
        assert_eq!(row.get_long(0).unwrap(), rec.number as i64);
    }
}

#[test]
fn the_schema_leaves_are_the_columns_gathered_in_order() {
    let schema = parse_message_type(SCHEMA).unwrap();
    let descr = SchemaDescriptor::new(Arc::new(schema));
    let paths: Vec<String> = descr.columns().iter().map(|c| c.path().string()).collect();
    assert_eq!(paths, LEAVES);
    // The leaves written without a dictionary are leaves of the schema.
    for leaf in PLAIN {
        assert!(LEAVES.contains(leaf), "{leaf}");
    }
    // A file of one row: every top-level column, the absent ones null.
    let recs = records("none-crc.pcap");
    let (groups, rows) = read(write(&recs[..1], 10));
    assert_eq!((groups, rows.len()), (1, 1));
    let names: Vec<&str> = rows[0].get_column_iter().map(|(k, _)| k.as_str()).collect();
    let tops: Vec<&str> = descr
        .root_schema()
        .get_fields()
        .iter()
        .map(|f| f.name())
        .collect();
    assert_eq!(names, tops);
    assert_eq!(names.len(), 40);
}
