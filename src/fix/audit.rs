//! The audit log of `contactscan fix --apply`: one JSON line per write, written as each write
//! finishes and flushed at once, so an interrupted run leaves an exact record.

use std::io::Write;

use serde::Serialize;

use crate::error::{Error, Result};
use crate::inventory::{AlternateContact, ContactType};

/// One line of the log.
#[derive(Debug, Serialize)]
struct Line<'a> {
    /// RFC 3339.
    time: &'a str,
    /// The ARN whose credentials called PutAlternateContact (the caller; with `--role-name`
    /// the role was assumed from it).
    caller: &'a str,
    account: &'a str,
    #[serde(rename = "type")]
    contact_type: &'a str,
    /// The contact read before the plan; `null` when none was registered.
    before: Option<&'a AlternateContact>,
    /// The contact written.
    after: &'a AlternateContact,
    /// `applied` (written, read back equal), `failed`, `mismatch` (read back different),
    /// `unverified` (written, not read back).
    outcome: &'a str,
    /// Why a write failed or was not verified.
    #[serde(skip_serializing_if = "Option::is_none")]
    error: Option<&'a str>,
    /// What GetAlternateContact answered after a mismatch (`null`: no contact).
    #[serde(skip_serializing_if = "Option::is_none")]
    read_back: Option<Option<&'a AlternateContact>>,
}

/// What one write left behind, for its line.
#[derive(Debug)]
pub struct Entry<'a> {
    pub time: &'a str,
    pub caller: &'a str,
    pub account: &'a str,
    pub contact_type: ContactType,
    pub before: Option<&'a AlternateContact>,
    pub after: &'a AlternateContact,
    pub outcome: &'a str,
    pub error: Option<&'a str>,
    /// `Some` after a mismatch: what was read back (`None`: no contact).
    pub read_back: Option<Option<&'a AlternateContact>>,
}

/// The log: a writer that receives one flushed JSON line per write.
pub struct AuditLog {
    out: Box<dyn Write + Send>,
    /// What the log is (its path), for errors.
    name: String,
}

impl AuditLog {
    /// A log written to `out`; `name` says where in errors.
    pub fn new(out: Box<dyn Write + Send>, name: impl Into<String>) -> AuditLog {
        AuditLog {
            out,
            name: name.into(),
        }
    }

    /// Writes and flushes one line.
    pub fn record(&mut self, entry: &Entry<'_>) -> Result<()> {
        let line = Line {
            time: entry.time,
            caller: entry.caller,
            account: entry.account,
            contact_type: entry.contact_type.as_str(),
            before: entry.before,
            after: entry.after,
            outcome: entry.outcome,
            error: entry.error,
            read_back: entry.read_back,
        };
        let mut text = serde_json::to_string(&line).map_err(|e| Error::Io {
            what: format!("cannot write the audit log {}", self.name),
            source: e.into(),
        })?;
        text.push('\n');
        self.out
            .write_all(text.as_bytes())
            .and_then(|()| self.out.flush())
            .map_err(|source| Error::Io {
                what: format!("cannot write the audit log {}", self.name),
                source,
            })
    }
}

#[cfg(test)]
mod tests {
    use std::sync::{Arc, Mutex};

    use super::*;

    /// A writer whose bytes the test can read, counting flushes.
    #[derive(Clone, Default)]
    struct Shared(Arc<Mutex<(Vec<u8>, usize)>>);

    impl Write for Shared {
        fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
            self.0.lock().unwrap().0.extend_from_slice(buf);
            Ok(buf.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            self.0.lock().unwrap().1 += 1;
            Ok(())
        }
    }

    #[test]
    fn each_write_is_one_flushed_json_line() {
        let shared = Shared::default();
        let mut log = AuditLog::new(Box::new(shared.clone()), "audit.jsonl");
        let after = AlternateContact {
            name: "Security Operations".into(),
            title: "Security Team".into(),
            email_address: "security@corp.example".into(),
            phone_number: "+1 206 266 1000".into(),
        };
        log.record(&Entry {
            time: "2026-11-23T12:00:00Z",
            caller: "arn:aws:iam::111111111111:user/admin",
            account: "222222222222",
            contact_type: ContactType::Security,
            before: None,
            after: &after,
            outcome: "applied",
            error: None,
            read_back: None,
        })
        .unwrap();
        log.record(&Entry {
            outcome: "mismatch",
            before: Some(&after),
            read_back: Some(None),
            time: "2026-11-23T12:00:01Z",
            caller: "arn:aws:iam::111111111111:user/admin",
            account: "222222222222",
            contact_type: ContactType::Billing,
            after: &after,
            error: Some("read back without a contact"),
        })
        .unwrap();
        let (bytes, flushes) = shared.0.lock().unwrap().clone();
        assert_eq!(flushes, 2);
        let text = String::from_utf8(bytes).unwrap();
        let lines: Vec<serde_json::Value> = text
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect();
        assert_eq!(lines.len(), 2);
        assert_eq!(lines[0]["type"], "SECURITY");
        assert_eq!(lines[0]["before"], serde_json::Value::Null);
        assert_eq!(lines[0]["after"]["EmailAddress"], "security@corp.example");
        assert_eq!(lines[0]["outcome"], "applied");
        assert!(lines[0].get("error").is_none());
        assert_eq!(lines[1]["read_back"], serde_json::Value::Null);
        assert_eq!(lines[1]["before"]["Name"], "Security Operations");
        assert_eq!(lines[1]["error"], "read back without a contact");
    }
}
