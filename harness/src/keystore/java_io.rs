//! Java's byte reading: the one reader the JKS/JCEKS container and the JCEKS sealed-object
//! stream share, as `java.io.DataInputStream` reads (big-endian integers, `readUTF`'s
//! length-prefixed modified UTF-8), and its writer counterpart for strings.
//!
//! A leaf module: it imports nothing of the keystore, so `jks/container` and `jks/sealed`
//! both build on it without importing each other's internals. Every read is bounded: a
//! shortfall is a typed [`JavaReadError`] (position, bytes needed, bytes left), checked before
//! slicing; callers turn it into their own [`super::ErrorKind`] with their context.

/// A bounded, big-endian reader over a byte slice.
#[derive(Clone, Debug)]
pub(crate) struct JavaReader<'a> {
    bytes: &'a [u8],
    pos: usize,
}

/// Why a read failed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum JavaReadError {
    /// `needed` bytes were due at `at`, only `remaining` are left.
    Short {
        /// The offset of the read.
        at: usize,
        /// Bytes the read needs.
        needed: usize,
        /// Bytes left at `at`.
        remaining: usize,
    },
    /// The string whose length prefix is at `at` is not modified UTF-8 (or holds a lone
    /// surrogate, which a Rust string cannot).
    BadUtf {
        /// The offset of the length prefix.
        at: usize,
    },
}

impl<'a> JavaReader<'a> {
    /// A reader at the start of `bytes`.
    pub(crate) fn new(bytes: &'a [u8]) -> Self {
        Self { bytes, pos: 0 }
    }

    /// The offset of the next read.
    pub(crate) fn pos(&self) -> usize {
        self.pos
    }

    /// The bytes not read yet.
    pub(crate) fn rest(&self) -> &'a [u8] {
        &self.bytes[self.pos..]
    }

    /// The next byte, without reading it.
    pub(crate) fn peek(&self) -> Option<u8> {
        self.bytes.get(self.pos).copied()
    }

    /// The next `n` bytes.
    pub(crate) fn take(&mut self, n: usize) -> Result<&'a [u8], JavaReadError> {
        let rest = self.rest();
        if rest.len() < n {
            return Err(JavaReadError::Short {
                at: self.pos,
                needed: n,
                remaining: rest.len(),
            });
        }
        self.pos += n;
        Ok(&rest[..n])
    }

    /// `readUnsignedByte`.
    pub(crate) fn u8(&mut self) -> Result<u8, JavaReadError> {
        Ok(self.take(1)?[0])
    }

    /// `readUnsignedShort`.
    pub(crate) fn u16(&mut self) -> Result<u16, JavaReadError> {
        let b = self.take(2)?;
        Ok(u16::from_be_bytes([b[0], b[1]]))
    }

    /// `readInt`, as unsigned (callers check the sign where Java would).
    pub(crate) fn u32(&mut self) -> Result<u32, JavaReadError> {
        let b = self.take(4)?;
        Ok(u32::from_be_bytes([b[0], b[1], b[2], b[3]]))
    }

    /// `readLong`.
    pub(crate) fn i64(&mut self) -> Result<i64, JavaReadError> {
        let b = self.take(8)?;
        let mut raw = [0u8; 8];
        raw.copy_from_slice(b);
        Ok(i64::from_be_bytes(raw))
    }

    /// `readUTF`: a u16 byte length, then that many bytes of modified UTF-8.
    pub(crate) fn utf(&mut self) -> Result<String, JavaReadError> {
        let at = self.pos;
        let len = usize::from(self.u16()?);
        let raw = self.take(len)?;
        decode_modified_utf8(raw).ok_or(JavaReadError::BadUtf { at })
    }
}

/// Java's modified UTF-8 (`DataOutputStream.writeUTF` without the length), per UTF-16 code
/// unit: NUL as `C0 80`, supplementary characters as two 3-byte surrogates.
pub(crate) fn encode_modified_utf8(text: &str) -> Vec<u8> {
    let mut out = Vec::with_capacity(text.len());
    for unit in text.encode_utf16() {
        match unit {
            0x0001..=0x007f => out.push(unit as u8),
            0x0000 | 0x0080..=0x07ff => {
                out.push(0xc0 | (unit >> 6) as u8);
                out.push(0x80 | (unit & 0x3f) as u8);
            }
            _ => {
                out.push(0xe0 | (unit >> 12) as u8);
                out.push(0x80 | ((unit >> 6) & 0x3f) as u8);
                out.push(0x80 | (unit & 0x3f) as u8);
            }
        }
    }
    out
}

/// Decodes Java's modified UTF-8 as `DataInputStream.readUTF` does; `None` when the bytes are
/// malformed or the UTF-16 result holds a lone surrogate (which a Rust string cannot).
fn decode_modified_utf8(bytes: &[u8]) -> Option<String> {
    let mut units = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let b = bytes[i];
        let cont = |k: usize| bytes.get(i + k).copied().filter(|c| c & 0xc0 == 0x80);
        let unit = match b {
            0x00..=0x7f => {
                i += 1;
                u16::from(b)
            }
            0xc0..=0xdf => {
                let c1 = cont(1)?;
                i += 2;
                (u16::from(b & 0x1f) << 6) | u16::from(c1 & 0x3f)
            }
            0xe0..=0xef => {
                let (c1, c2) = (cont(1)?, cont(2)?);
                i += 3;
                (u16::from(b & 0x0f) << 12) | (u16::from(c1 & 0x3f) << 6) | u16::from(c2 & 0x3f)
            }
            _ => return None,
        };
        units.push(unit);
    }
    String::from_utf16(&units).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn modified_utf8_matches_java() {
        // NUL as C0 80, U+00E9 in two bytes, U+1F600 as two 3-byte surrogates.
        let text = "a\u{0}\u{e9}\u{1f600}";
        let encoded = encode_modified_utf8(text);
        assert_eq!(
            encoded,
            [
                0x61, 0xc0, 0x80, 0xc3, 0xa9, 0xed, 0xa0, 0xbd, 0xed, 0xb8, 0x80
            ]
        );
        assert_eq!(decode_modified_utf8(&encoded).as_deref(), Some(text));
        // A lone surrogate cannot become a Rust string.
        assert_eq!(decode_modified_utf8(&[0xed, 0xa0, 0xbd]), None);
        assert_eq!(decode_modified_utf8(&[0xc3]), None);
        assert_eq!(decode_modified_utf8(&[0xff]), None);
    }

    #[test]
    fn reads_big_endian_and_stops_at_the_end() {
        let bytes = [
            0, 1, 0, 0, 0, 2, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xfe, 0x07,
        ];
        let mut r = JavaReader::new(&bytes);
        assert_eq!(r.u16(), Ok(1));
        assert_eq!(r.u32(), Ok(2));
        assert_eq!(r.i64(), Ok(-2));
        assert_eq!(r.peek(), Some(7));
        assert_eq!(r.pos(), 14);
        assert_eq!(
            r.u32(),
            Err(JavaReadError::Short {
                at: 14,
                needed: 4,
                remaining: 1
            })
        );
        assert_eq!(r.pos(), 14, "a failed read consumes nothing");
        assert_eq!(r.u8(), Ok(7));
        assert_eq!(r.peek(), None);
        assert_eq!(r.rest(), &[] as &[u8]);
    }

    #[test]
    fn read_utf_is_length_prefixed() {
        let mut bytes = vec![0, 3];
        bytes.extend_from_slice(b"abc");
        bytes.extend_from_slice(&[0, 2, 0xc3, 0x28]);
        bytes.extend_from_slice(&[0, 9, b'x']);
        let mut r = JavaReader::new(&bytes);
        assert_eq!(r.utf().as_deref(), Ok("abc"));
        assert_eq!(r.utf(), Err(JavaReadError::BadUtf { at: 5 }));
        assert_eq!(
            r.utf(),
            Err(JavaReadError::Short {
                at: 11,
                needed: 9,
                remaining: 1
            })
        );
    }
}
