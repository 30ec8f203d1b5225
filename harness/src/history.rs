//! Operation histories: what every workflow saw, one JSON object per
//! operation in `<design>.history.jsonl` (schema in README). Every written
//! value is unique, so each read names the write it saw.

use std::io;
use std::path::Path;

use impls::{Micros, NodeId, Op, OpResult, Value};
use serde::{Deserialize, Serialize};

use crate::results::write_atomically;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Kind {
    Read,
    Write,
    Txn,
}

/// One operation of a history.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Record {
    /// The workflow attempt; a retried workflow is a new session.
    pub session: u64,
    /// Position within the session.
    pub seq: u64,
    pub node: u64,
    pub kind: Kind,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub key: Option<u64>,
    /// The value's tag: 0 is the initial value.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub value: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reads: Option<Vec<(u64, u64)>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub writes: Option<Vec<(u64, u64)>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub committed: Option<bool>,
    pub start_us: u64,
    pub end_us: u64,
}

impl Record {
    /// The record of `op`, which completed with `result`; `None` when the
    /// result does not fit the operation (nothing to record).
    pub fn of(
        session: u64,
        seq: u64,
        node: NodeId,
        op: &Op,
        result: &OpResult,
        start: Micros,
        end: Micros,
    ) -> Option<Record> {
        let base = Record {
            session,
            seq,
            node: node as u64,
            kind: Kind::Read,
            key: None,
            value: None,
            reads: None,
            writes: None,
            committed: None,
            start_us: start,
            end_us: end,
        };
        let pairs = |keys: &[u64], values: &[Value]| {
            keys.iter()
                .zip(values)
                .map(|(k, v)| (*k, v.tag()))
                .collect()
        };
        Some(match (op, result) {
            (Op::Read(k), OpResult::Read(v)) => Record {
                key: Some(*k),
                value: Some(v.tag()),
                ..base
            },
            (Op::Write(k, v), OpResult::Written) => Record {
                kind: Kind::Write,
                key: Some(*k),
                value: Some(v.tag()),
                ..base
            },
            (Op::ReadTxn(keys), OpResult::Txn(values)) => Record {
                kind: Kind::Txn,
                reads: Some(pairs(keys, values)),
                writes: Some(Vec::new()),
                committed: Some(true),
                ..base
            },
            (Op::ReadWriteTxn { reads, writes }, OpResult::Txn(values)) => Record {
                kind: Kind::Txn,
                reads: Some(pairs(reads, values)),
                writes: Some(writes.iter().map(|(k, v)| (*k, v.tag())).collect()),
                committed: Some(true),
                ..base
            },
            _ => return None,
        })
    }

    /// Whether the operation wrote anything others may read.
    pub fn writes_something(&self) -> bool {
        self.written().next().is_some()
    }

    /// The (key, value) pairs the operation wrote.
    pub fn written(&self) -> impl Iterator<Item = (u64, u64)> + '_ {
        let single = match (self.kind, self.key, self.value) {
            (Kind::Write, Some(k), Some(v)) => Some((k, v)),
            _ => None,
        };
        single
            .into_iter()
            .chain(self.writes.iter().flatten().copied())
    }
}

/// Writes a history file atomically, sorted by session and position.
pub fn write_jsonl(path: &Path, records: &mut [Record]) -> io::Result<()> {
    records.sort_by_key(|r| (r.session, r.seq));
    write_atomically(path, |w| {
        for r in records.iter() {
            serde_json::to_writer(&mut *w, r).map_err(io::Error::other)?;
            w.write_all(b"\n")?;
        }
        Ok(())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn records_have_exactly_the_schemas_fields() {
        let read = Record::of(
            7,
            0,
            2,
            &Op::Read(5),
            &OpResult::Read(Value::tagged(9, 8)),
            10,
            20,
        )
        .unwrap();
        assert_eq!(
            serde_json::to_string(&read).unwrap(),
            r#"{"session":7,"seq":0,"node":2,"kind":"read","key":5,"value":9,"start_us":10,"end_us":20}"#
        );
        let op = Op::ReadWriteTxn {
            reads: vec![1, 2],
            writes: vec![(3, Value::tagged(11, 8))],
        };
        let txn = Record::of(
            7,
            1,
            0,
            &op,
            &OpResult::Txn(vec![Value::tagged(0, 8), Value::tagged(4, 8)]),
            30,
            40,
        )
        .unwrap();
        assert_eq!(
            serde_json::to_string(&txn).unwrap(),
            r#"{"session":7,"seq":1,"node":0,"kind":"txn","reads":[[1,0],[2,4]],"writes":[[3,11]],"committed":true,"start_us":30,"end_us":40}"#
        );
        assert!(txn.writes_something() && !read.writes_something());
        assert_eq!(
            Record::of(1, 0, 0, &Op::Read(5), &OpResult::Written, 0, 0),
            None
        );
    }
}
