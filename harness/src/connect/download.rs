//! Downloading the server chain: a `.zip` of `.cer` files (as CPI offers it) or a PEM bundle.
//!
//! No zip crate is in the dependency tree, and a chain is a handful of small files, so the
//! zip is written here (APPNOTE 4.3): stored (no compression), one 30-byte local header and
//! one 46-byte central directory record per file, CRC-32 computed locally. `unzip`, Python's
//! `zipfile` and Java's `ZipFile` read it back (tests/interop/real_certs.rs).

use super::ConnectError;
use super::outcome::ChainCert;
use crate::keystore::{Entry, EntryKind, Keystore};

/// The chain as one PEM bundle, in the order the server sent it.
pub fn chain_pem(chain: &[ChainCert]) -> String {
    chain
        .iter()
        .map(|c| crate::cert::pem_encode("CERTIFICATE", c.der.as_ref()))
        .collect()
}

/// The chain as a zip of DER `.cer` files named `<position>-<common name>.cer`, position 0
/// being the server's own certificate.
pub fn chain_zip(chain: &[ChainCert]) -> Vec<u8> {
    let files: Vec<(String, &[u8])> = chain
        .iter()
        .map(|c| (file_name(c), c.der.as_ref()))
        .collect();
    stored_zip(&files)
}

fn file_name(cert: &ChainCert) -> String {
    let cn = cert
        .info
        .subject
        .split(", ")
        .find_map(|rdn| rdn.strip_prefix("CN="))
        .unwrap_or("certificate");
    let safe: String = cn
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '.' || c == '-' {
                c
            } else {
                '_'
            }
        })
        .collect();
    format!("{}-{safe}.cer", cert.position)
}

/// The root the server sent: the self-issued top of its chain (for a self-signed server
/// certificate, that certificate). `None` when the server did not send its root.
pub fn sent_root(chain: &[ChainCert]) -> Option<&ChainCert> {
    chain.last().filter(|c| c.info.self_issued)
}

/// Adds the root the server sent to `store` as a trusted certificate entry under `alias`
/// (the Keystore Explorer step of the article, from the connectivity test's chain), created
/// at `created` (the clock in force). Fails when the server did not send its root or the
/// alias is taken; the store is then unchanged.
pub fn add_sent_root(
    store: &mut Keystore,
    chain: &[ChainCert],
    alias: &str,
    created: time::OffsetDateTime,
) -> Result<(), ConnectError> {
    let root = sent_root(chain).ok_or_else(|| ConnectError::NoRootSent {
        top: chain
            .last()
            .map_or_else(|| "nothing".to_owned(), |c| format!("`{}`", c.info.subject)),
    })?;
    store
        .insert(Entry {
            alias: alias.to_owned(),
            // JKS/JCEKS store milliseconds.
            created: created
                .replace_nanosecond(created.millisecond() as u32 * 1_000_000)
                .unwrap_or(created),
            kind: EntryKind::TrustedCertificate(root.der.clone()),
        })
        .map_err(|source| ConnectError::AddRoot {
            alias: alias.to_owned(),
            source,
        })
}

/// A zip archive of `files`, stored without compression.
fn stored_zip(files: &[(String, &[u8])]) -> Vec<u8> {
    let mut out = Vec::new();
    let mut central = Vec::new();
    // 1980-01-01 00:00 in DOS format: deterministic archives, no wall clock.
    let (dos_time, dos_date) = (0u16, (1u16 << 5) | 1);
    for (name, data) in files {
        let offset = out.len() as u32;
        let crc = crc32(data);
        let size = data.len() as u32;
        let name = name.as_bytes();
        out.extend_from_slice(&0x0403_4b50u32.to_le_bytes());
        out.extend_from_slice(&20u16.to_le_bytes()); // version needed
        out.extend_from_slice(&0u16.to_le_bytes()); // flags
        out.extend_from_slice(&0u16.to_le_bytes()); // stored
        out.extend_from_slice(&dos_time.to_le_bytes());
        out.extend_from_slice(&dos_date.to_le_bytes());
        out.extend_from_slice(&crc.to_le_bytes());
        out.extend_from_slice(&size.to_le_bytes());
        out.extend_from_slice(&size.to_le_bytes());
        out.extend_from_slice(&(name.len() as u16).to_le_bytes());
        out.extend_from_slice(&0u16.to_le_bytes()); // extra length
        out.extend_from_slice(name);
        out.extend_from_slice(data);

        central.extend_from_slice(&0x0201_4b50u32.to_le_bytes());
        central.extend_from_slice(&20u16.to_le_bytes()); // version made by
        central.extend_from_slice(&20u16.to_le_bytes()); // version needed
        central.extend_from_slice(&0u16.to_le_bytes());
        central.extend_from_slice(&0u16.to_le_bytes());
        central.extend_from_slice(&dos_time.to_le_bytes());
        central.extend_from_slice(&dos_date.to_le_bytes());
        central.extend_from_slice(&crc.to_le_bytes());
        central.extend_from_slice(&size.to_le_bytes());
        central.extend_from_slice(&size.to_le_bytes());
        central.extend_from_slice(&(name.len() as u16).to_le_bytes());
        central.extend_from_slice(&[0; 8]); // extra, comment, disk, internal attributes
        central.extend_from_slice(&0u32.to_le_bytes()); // external attributes
        central.extend_from_slice(&offset.to_le_bytes());
        central.extend_from_slice(name);
    }
    let central_offset = out.len() as u32;
    let central_size = central.len() as u32;
    out.extend_from_slice(&central);
    out.extend_from_slice(&0x0605_4b50u32.to_le_bytes());
    out.extend_from_slice(&[0; 4]); // disk numbers
    out.extend_from_slice(&(files.len() as u16).to_le_bytes());
    out.extend_from_slice(&(files.len() as u16).to_le_bytes());
    out.extend_from_slice(&central_size.to_le_bytes());
    out.extend_from_slice(&central_offset.to_le_bytes());
    out.extend_from_slice(&0u16.to_le_bytes()); // comment length
    out
}

/// CRC-32 (IEEE 802.3, reflected), bit by bit: chains are a few kB.
fn crc32(data: &[u8]) -> u32 {
    let mut crc = 0xFFFF_FFFFu32;
    for &byte in data {
        crc ^= u32::from(byte);
        for _ in 0..8 {
            let mask = (crc & 1).wrapping_neg();
            crc = (crc >> 1) ^ (0xEDB8_8320 & mask);
        }
    }
    !crc
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn crc32_matches_the_check_value() {
        assert_eq!(crc32(b"123456789"), 0xCBF4_3926);
    }

    fn u16_at(b: &[u8], at: usize) -> usize {
        usize::from(u16::from_le_bytes([b[at], b[at + 1]]))
    }

    fn u32_at(b: &[u8], at: usize) -> usize {
        u32::from_le_bytes([b[at], b[at + 1], b[at + 2], b[at + 3]]) as usize
    }

    #[test]
    fn central_records_are_46_bytes_plus_the_name_and_point_at_their_entries() {
        let files = [
            ("0-a.cer".to_owned(), &b"abc"[..]),
            ("1-bb.cer".to_owned(), &b"de"[..]),
        ];
        let zip = stored_zip(&files);
        let end = zip.len() - 22;
        assert_eq!(&zip[end..end + 4], b"PK\x05\x06");
        let (size, offset) = (u32_at(&zip, end + 12), u32_at(&zip, end + 16));
        assert_eq!(
            offset + size,
            end,
            "the central directory ends at the end record"
        );
        let mut at = offset;
        for (name, data) in &files {
            assert_eq!(&zip[at..at + 4], b"PK\x01\x02");
            let name_len = u16_at(&zip, at + 28);
            let extra = u16_at(&zip, at + 30);
            let comment = u16_at(&zip, at + 32);
            assert_eq!(&zip[at + 46..at + 46 + name_len], name.as_bytes());
            let local = u32_at(&zip, at + 42);
            assert_eq!(&zip[local..local + 4], b"PK\x03\x04");
            let data_at = local + 30 + u16_at(&zip, local + 26) + u16_at(&zip, local + 28);
            assert_eq!(&zip[data_at..data_at + data.len()], *data);
            at += 46 + name_len + extra + comment;
        }
        assert_eq!(at, end);
    }

    #[test]
    fn empty_zip_is_an_end_record() {
        let zip = stored_zip(&[]);
        assert_eq!(zip.len(), 22);
        assert_eq!(&zip[..4], &[0x50, 0x4b, 0x05, 0x06]);
    }
}
