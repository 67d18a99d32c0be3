//! `-z results`: what the answers said, per op. Every osd_op_reply counts
//! once per op it carries, under the op's name and the reply's result
//! (MOSDOpReply.h `result`); every mon_command_ack under `mon_command`
//! and its `r`. Read from the rows' decoded values.

use crate::analysis::record::Record;
use crate::decode::msg::mon_command::CommandAck;
use crate::decode::msg::osd_op_reply::OsdOpReply;
use crate::decode::msg::osd_ops::op_name;
use std::collections::BTreeMap;

/// CEPH_MSG_OSD_OPREPLY, MSG_MON_COMMAND_ACK.
const OSD_OP_REPLY: u16 = 43;
const MON_COMMAND_ACK: u16 = 51;

/// Results per op name and result value.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Results {
    /// (op name, result) -> count.
    pub counts: BTreeMap<(String, i64), u64>,
}

impl Results {
    /// Count the results a row carries.
    pub fn add(&mut self, r: &Record) {
        let (Some(h), Some(p)) = (r.msg, r.payload.as_deref()) else {
            return;
        };
        match h.msg_type {
            OSD_OP_REPLY => {
                let Some(rep) = p.front::<OsdOpReply>() else {
                    return;
                };
                if rep.result.len == 0 {
                    return;
                }
                let result = i64::from(rep.result.v);
                for op in &rep.ops {
                    let name = op_name(u64::from(op.code))
                        .map_or_else(|| format!("??? ({:#06x})", op.code), str::to_string);
                    *self.counts.entry((name, result)).or_default() += 1;
                }
            }
            MON_COMMAND_ACK => {
                if let Some(ack) = p.front::<CommandAck>().filter(|a| a.r.len > 0) {
                    *self
                        .counts
                        .entry(("mon_command".into(), i64::from(ack.r.v)))
                        .or_default() += 1;
                }
            }
            _ => {}
        }
    }

    /// Answers counted.
    pub fn total(&self) -> u64 {
        self.counts.values().sum()
    }

    /// Answers with a negative result.
    pub fn errors(&self) -> u64 {
        self.counts
            .iter()
            .filter(|((_, r), _)| *r < 0)
            .map(|(_, n)| n)
            .sum()
    }
}
