//! What each connection did: readable from the library and from `GET /__admin/journal`.

use std::collections::VecDeque;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use harness::alert::TlsAlert;
use harness::cert::{CertInfo, fingerprint_sha256};
use rustls_pki_types::CertificateDer;
use serde::Serialize;
use tokio::sync::watch;

/// The journal of one receiver. Cheap to clone; every clone sees the same records.
#[derive(Clone, Debug)]
pub struct Journal {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    limit: usize,
    records: Mutex<Records>,
    changed: watch::Sender<u64>,
}

/// The most recent records (the journal's limit); ids keep counting.
#[derive(Debug, Default)]
struct Records {
    first_id: u64,
    list: VecDeque<ConnectionRecord>,
}

/// One accepted connection.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct ConnectionRecord {
    /// Sequence number within this receiver, from 0.
    pub id: u64,
    /// When it was accepted (wall clock, RFC 3339; informational, never used for validity).
    pub at: String,
    /// The client's address.
    pub peer: String,
    /// The server name the client asked for (SNI), if any.
    pub sni: Option<String>,
    /// The negotiated protocol (`TLSv1.3`), when the handshake completed.
    pub protocol: Option<String>,
    /// The negotiated cipher suite, when the handshake completed.
    pub cipher: Option<String>,
    /// The CA names sent in the CertificateRequest (empty when none was sent).
    pub ca_names_sent: Vec<String>,
    /// The client certificate chain received.
    pub client_chain: Vec<ChainCertificate>,
    /// The fault reproduced on this connection, if any.
    pub fault: Option<String>,
    /// Why the handshake failed, if it did.
    pub handshake_error: Option<String>,
    /// The TLS alert the receiver sent, if it sent one (its registry name in JSON).
    pub alert_sent: Option<TlsAlert>,
    /// The HTTP requests answered on this connection.
    pub requests: Vec<RequestRecord>,
    /// Whether the connection is closed.
    pub closed: bool,
}

/// One certificate of a received chain.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ChainCertificate {
    /// Subject DN.
    pub subject: String,
    /// SHA-256 fingerprint (keytool's colon-separated upper-case hex).
    pub sha256: String,
}

impl ChainCertificate {
    /// Describes one DER certificate (an undecodable one keeps its fingerprint).
    pub fn from_der(der: &CertificateDer<'_>) -> Self {
        let subject = CertInfo::from_der(der)
            .map(|info| info.subject)
            .unwrap_or_else(|_| "<undecodable certificate>".to_owned());
        Self {
            subject,
            sha256: fingerprint_sha256(der),
        }
    }
}

/// One HTTP request.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct RequestRecord {
    /// The method.
    pub method: String,
    /// The path and query.
    pub path: String,
    /// The request body's size in bytes.
    pub body_size: u64,
    /// The HTTP status answered.
    pub status: u16,
    /// The technical user the client certificate mapped to.
    pub user: Option<String>,
}

impl Journal {
    /// How many connections a journal keeps by default (`--journal-limit`): the oldest are
    /// dropped beyond this, so a receiver under a benchmark's load runs in bounded memory.
    pub const CAPACITY: usize = 10_000;

    #[cfg(test)]
    pub(crate) fn new() -> Self {
        Self::with_limit(Self::CAPACITY)
    }

    pub(crate) fn with_limit(limit: usize) -> Self {
        Self {
            inner: Arc::new(Inner {
                limit: limit.max(1),
                records: Mutex::new(Records::default()),
                changed: watch::channel(0).0,
            }),
        }
    }

    /// Every connection so far (the most recent ones, up to the limit), in accept order.
    pub fn connections(&self) -> Vec<ConnectionRecord> {
        self.lock().list.iter().cloned().collect()
    }

    /// How many connections the journal holds (at most its limit), without copying them.
    pub fn len(&self) -> usize {
        self.lock().list.len()
    }

    /// Whether the journal holds no connection.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The `n` most recent connections, oldest first (copies only those).
    pub fn recent(&self, n: usize) -> Vec<ConnectionRecord> {
        let records = self.lock();
        let skip = records.list.len().saturating_sub(n);
        records.list.iter().skip(skip).cloned().collect()
    }

    /// Waits until `done` holds for the records, or `timeout` passes; returns the records
    /// either way with whether `done` held (tests synchronise on this, never on sleeps).
    pub async fn wait_until(
        &self,
        timeout: Duration,
        mut done: impl FnMut(&[ConnectionRecord]) -> bool,
    ) -> (bool, Vec<ConnectionRecord>) {
        let mut changed = self.inner.changed.subscribe();
        let wait = async {
            loop {
                if done(self.lock().list.make_contiguous()) {
                    return;
                }
                if changed.changed().await.is_err() {
                    return;
                }
            }
        };
        let held = tokio::time::timeout(timeout, wait).await.is_ok();
        let records = self.connections();
        (held && done(&records), records)
    }

    /// The journal as JSON (what `GET /__admin/journal` answers).
    pub fn to_json(&self) -> String {
        #[derive(Serialize)]
        struct Doc<'a> {
            version: u32,
            connections: &'a [ConnectionRecord],
        }
        let mut records = self.lock();
        serde_json::to_string_pretty(&Doc {
            version: 1,
            connections: records.list.make_contiguous(),
        })
        .unwrap_or_else(|e| format!("{{\"error\":\"{e}\"}}"))
    }

    pub(crate) fn open(&self, peer: SocketAddr) -> u64 {
        let mut records = self.lock();
        if records.list.len() >= self.inner.limit {
            records.list.pop_front();
            records.first_id += 1;
        }
        let id = records.first_id + records.list.len() as u64;
        records.list.push_back(ConnectionRecord {
            id,
            at: harness::time::format_rfc3339(time::OffsetDateTime::now_utc()),
            peer: peer.to_string(),
            ..ConnectionRecord::default()
        });
        drop(records);
        self.bump();
        id
    }

    /// One connection's record, while the journal still holds it.
    pub(crate) fn get(&self, id: u64) -> Option<ConnectionRecord> {
        let records = self.lock();
        let index = usize::try_from(id.checked_sub(records.first_id)?).ok()?;
        records.list.get(index).cloned()
    }

    pub(crate) fn update(&self, id: u64, change: impl FnOnce(&mut ConnectionRecord)) {
        let mut records = self.lock();
        let index = id.checked_sub(records.first_id);
        if let Some(record) = index
            .and_then(|i| usize::try_from(i).ok())
            .and_then(|i| records.list.get_mut(i))
        {
            change(record);
        }
        drop(records);
        self.bump();
    }

    fn bump(&self) {
        self.inner.changed.send_modify(|n| *n += 1);
    }

    fn lock(&self) -> MutexGuard<'_, Records> {
        // A panic while holding the lock cannot leave a record half-written in a way that
        // matters for a test journal, so a poisoned lock is simply taken over.
        self.inner
            .records
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_the_most_recent_records_and_counts_on() {
        let journal = Journal::new();
        let peer = SocketAddr::from(([127, 0, 0, 1], 9));
        for _ in 0..Journal::CAPACITY + 5 {
            journal.open(peer);
        }
        let last = (Journal::CAPACITY + 4) as u64;
        journal.update(last, |r| r.closed = true);
        journal.update(0, |r| r.closed = true);
        let records = journal.connections();
        assert_eq!(records.len(), Journal::CAPACITY);
        assert_eq!(records[0].id, 5);
        assert_eq!(records.last().unwrap().id, last);
        assert!(records.last().unwrap().closed);
        assert_eq!(records.iter().filter(|r| r.closed).count(), 1);
    }

    #[test]
    fn a_journal_limit_keeps_that_many() {
        let journal = Journal::with_limit(3);
        let peer = SocketAddr::from(([127, 0, 0, 1], 9));
        for _ in 0..10 {
            journal.open(peer);
        }
        let ids: Vec<u64> = journal.connections().iter().map(|r| r.id).collect();
        assert_eq!(ids, [7, 8, 9]);
        assert_eq!(Journal::with_limit(0).inner.limit, 1);
    }
}
