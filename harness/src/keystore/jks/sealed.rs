//! JCEKS secret-key entries: a Java-serialised `SealedObject` holding a serialised secret key.
//!
//! This is not a Java deserializer. It reads the object-stream grammar (Java Object
//! Serialization Specification §6.4) only as far as two fixed shapes need, with an allowlist
//! of class names checked the moment a class descriptor is read, as JDK 17's own
//! `JceKeyStore.DeserializationChecker` and `jceks.key.serialFilter` do:
//!
//! - the entry: `com.sun.crypto.provider.SealedObjectForKeyProtector` (what the JDK writes)
//!   or its superclass `javax.crypto.SealedObject` (what pyjks writes), with the fields
//!   `encodedParams`, `encryptedContent` (`byte[]`), `paramsAlg` and `sealAlg` (`String`);
//! - the sealed content: `javax.crypto.spec.SecretKeySpec` (`algorithm`, `key`) or
//!   `java.security.KeyRep` (`algorithm`, `encoded`, `format`, `type`, an enum
//!   `java.security.KeyRep$Type`), which keys with a `writeReplace` (DESede, PBKDF2) become.
//!
//! Any other class, a custom `writeObject` block, a back-reference to an object, or more than
//! a few levels of nesting is refused. Nothing is ever instantiated.

use std::rc::Rc;

use crate::keystore::error::ErrorKind;
use crate::keystore::{JavaReadError, JavaReader};

/// The seal algorithm the JDK writes, the only one we open.
pub(super) const SEAL_ALGORITHM: &str = "PBEWithMD5AndTripleDES";

const STREAM_MAGIC: [u8; 4] = [0xac, 0xed, 0x00, 0x05];
const TC_NULL: u8 = 0x70;
const TC_REFERENCE: u8 = 0x71;
const TC_CLASSDESC: u8 = 0x72;
const TC_OBJECT: u8 = 0x73;
const TC_STRING: u8 = 0x74;
const TC_ARRAY: u8 = 0x75;
const TC_ENDBLOCKDATA: u8 = 0x78;
const TC_ENUM: u8 = 0x7e;
const BASE_WIRE_HANDLE: u32 = 0x7e_0000;
const SC_WRITE_METHOD: u8 = 0x01;
const SC_SERIALIZABLE: u8 = 0x02;
const SC_EXTERNALIZABLE: u8 = 0x04;
const SC_ENUM: u8 = 0x10;
const MAX_DEPTH: usize = 4;
/// More handles than the two shapes can ever assign: a cap on work for crafted input.
const MAX_HANDLES: usize = 64;

/// Classes the outer stream may name.
const SEALED_CLASSES: &[&str] = &[
    "com.sun.crypto.provider.SealedObjectForKeyProtector",
    "javax.crypto.SealedObject",
    "[B",
];
/// Classes the sealed content may name.
const KEY_CLASSES: &[&str] = &[
    "javax.crypto.spec.SecretKeySpec",
    "java.security.KeyRep",
    "java.security.KeyRep$Type",
    "java.lang.Enum",
    "[B",
];

/// The fields of a `SealedObject`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(super) struct SealedObject {
    /// DER `PBEParameter` (salt, iteration count).
    pub(super) encoded_params: Vec<u8>,
    /// The encrypted serialised key.
    pub(super) encrypted_content: Vec<u8>,
    /// `paramsAlg`.
    pub(super) params_algorithm: String,
    /// `sealAlg`.
    pub(super) seal_algorithm: String,
}

/// Parses the `SealedObject` at the start of `bytes`; returns it and the bytes it used (the
/// JCEKS container has no length before it: the stream's own grammar ends it).
pub(super) fn parse_sealed_object(bytes: &[u8]) -> Result<(SealedObject, usize), ErrorKind> {
    let mut stream = Stream::new(bytes, SEALED_CLASSES)?;
    let value = stream.content(0)?;
    let mut object = value.into_object("a javax.crypto.SealedObject")?;
    if !object
        .classes
        .iter()
        .any(|c| c.as_str() == "javax.crypto.SealedObject")
    {
        return Err(unexpected(
            &object.class_name(),
            "a javax.crypto.SealedObject",
        ));
    }
    let sealed = SealedObject {
        encoded_params: object.take_bytes("encodedParams")?,
        encrypted_content: object.take_bytes("encryptedContent")?,
        params_algorithm: object.take_string("paramsAlg")?,
        seal_algorithm: object.take_string("sealAlg")?,
    };
    Ok((sealed, stream.input.pos()))
}

/// The algorithm of a decrypted, serialised secret key (`SecretKeySpec` or `KeyRep` of type
/// `SECRET`); the whole input must be that one object.
pub(super) fn parse_secret_key(bytes: &[u8]) -> Result<String, ErrorKind> {
    const EXPECTED: &str = "a javax.crypto.spec.SecretKeySpec or java.security.KeyRep";
    let mut stream = Stream::new(bytes, KEY_CLASSES)?;
    let value = stream.content(0)?;
    if stream.input.pos() != bytes.len() {
        return Err(malformed("bytes after the sealed secret key"));
    }
    let mut object = value.into_object(EXPECTED)?;
    let algorithm = match object.class_name().as_str() {
        "javax.crypto.spec.SecretKeySpec" => {
            object.take_bytes("key")?;
            object.take_string("algorithm")?
        }
        "java.security.KeyRep" => {
            object.take_bytes("encoded")?;
            let format = object.take_string("format")?;
            let kind = match object.take("type")? {
                Value::Enum { constant, .. } => constant,
                _ => return Err(malformed("KeyRep.type is not a KeyRep$Type")),
            };
            if kind != "SECRET" || format != "RAW" {
                return Err(unexpected(
                    &format!("java.security.KeyRep ({kind}, {format})"),
                    "a SECRET key in RAW format",
                ));
            }
            object.take_string("algorithm")?
        }
        other => return Err(unexpected(other, EXPECTED)),
    };
    Ok(algorithm)
}

/// A failed read of the object stream as this module reports it.
fn stream_error(error: JavaReadError) -> ErrorKind {
    match error {
        JavaReadError::Short {
            at,
            needed,
            remaining,
        } => ErrorKind::Truncated {
            reason: format!(
                "sealed secret key: {needed} bytes needed at offset {at}, {remaining} remain"
            ),
        },
        JavaReadError::BadUtf { .. } => malformed("bad string"),
    }
}

fn malformed(reason: &str) -> ErrorKind {
    ErrorKind::Malformed {
        reason: format!("sealed secret key: {reason}"),
    }
}

fn unexpected(found: &str, expected: &str) -> ErrorKind {
    ErrorKind::UnexpectedJavaType {
        found: found.to_owned(),
        expected: expected.to_owned(),
    }
}

struct ClassDesc {
    name: String,
    flags: u8,
    fields: Vec<(u8, String)>,
    parent: Option<Rc<ClassDesc>>,
}

#[derive(Clone)]
enum Handle {
    Class(Rc<ClassDesc>),
    String(String),
    Bytes(Vec<u8>),
    /// Objects and enums are never referenced back by the shapes we read.
    Other,
}

enum Value {
    Null,
    Primitive,
    String(String),
    Bytes(Vec<u8>),
    Enum { constant: String },
    Object(Object),
}

struct Object {
    /// Most derived first.
    classes: Vec<String>,
    fields: Vec<(String, Value)>,
}

impl Value {
    fn into_object(self, expected: &str) -> Result<Object, ErrorKind> {
        match self {
            Value::Object(object) => Ok(object),
            Value::Null => Err(unexpected("null", expected)),
            Value::String(_) => Err(unexpected("java.lang.String", expected)),
            Value::Bytes(_) => Err(unexpected("byte[]", expected)),
            Value::Enum { .. } => Err(unexpected("an enum", expected)),
            Value::Primitive => Err(unexpected("a primitive", expected)),
        }
    }
}

impl Object {
    fn class_name(&self) -> String {
        self.classes.first().cloned().unwrap_or_default()
    }

    fn take(&mut self, name: &str) -> Result<Value, ErrorKind> {
        let i = self
            .fields
            .iter()
            .position(|(n, _)| n == name)
            .ok_or_else(|| malformed(&format!("field `{name}` missing")))?;
        Ok(self.fields.swap_remove(i).1)
    }

    fn take_bytes(&mut self, name: &str) -> Result<Vec<u8>, ErrorKind> {
        match self.take(name)? {
            Value::Bytes(bytes) => Ok(bytes),
            _ => Err(malformed(&format!("field `{name}` is not a byte[]"))),
        }
    }

    fn take_string(&mut self, name: &str) -> Result<String, ErrorKind> {
        match self.take(name)? {
            Value::String(text) => Ok(text),
            _ => Err(malformed(&format!("field `{name}` is not a String"))),
        }
    }
}

struct Stream<'a> {
    input: JavaReader<'a>,
    allowed: &'static [&'static str],
    handles: Vec<Handle>,
}

impl<'a> Stream<'a> {
    fn new(bytes: &'a [u8], allowed: &'static [&'static str]) -> Result<Self, ErrorKind> {
        if bytes.len() < STREAM_MAGIC.len() {
            return Err(ErrorKind::Truncated {
                reason: "sealed secret key: stream header".into(),
            });
        }
        if bytes[..4] != STREAM_MAGIC {
            return Err(malformed("not a Java object stream (no ACED0005 header)"));
        }
        let mut input = JavaReader::new(bytes);
        input.take(STREAM_MAGIC.len()).map_err(stream_error)?;
        Ok(Self {
            input,
            allowed,
            handles: Vec::new(),
        })
    }

    fn take(&mut self, n: usize) -> Result<&'a [u8], ErrorKind> {
        self.input.take(n).map_err(stream_error)
    }

    fn u8(&mut self) -> Result<u8, ErrorKind> {
        self.input.u8().map_err(stream_error)
    }

    fn u16(&mut self) -> Result<u16, ErrorKind> {
        self.input.u16().map_err(stream_error)
    }

    fn u32(&mut self) -> Result<u32, ErrorKind> {
        self.input.u32().map_err(stream_error)
    }

    fn utf(&mut self) -> Result<String, ErrorKind> {
        self.input.utf().map_err(stream_error)
    }

    fn new_handle(&mut self, handle: Handle) -> Result<(), ErrorKind> {
        if self.handles.len() >= MAX_HANDLES {
            return Err(ErrorKind::LimitExceeded {
                what: "Java object handles in a sealed secret key".into(),
                value: self.handles.len() as u64 + 1,
                limit: MAX_HANDLES as u64,
            });
        }
        self.handles.push(handle);
        Ok(())
    }

    fn reference(&mut self) -> Result<Handle, ErrorKind> {
        let wire = self.u32()?;
        wire.checked_sub(BASE_WIRE_HANDLE)
            .and_then(|i| self.handles.get(i as usize))
            .cloned()
            .ok_or_else(|| malformed(&format!("bad back-reference {wire:#x}")))
    }

    fn class_desc(&mut self, depth: usize) -> Result<Option<Rc<ClassDesc>>, ErrorKind> {
        if depth > MAX_DEPTH {
            return Err(malformed("nested too deeply"));
        }
        match self.u8()? {
            TC_NULL => Ok(None),
            TC_REFERENCE => match self.reference()? {
                Handle::Class(desc) => Ok(Some(desc)),
                _ => Err(malformed(
                    "back-reference to a non-class where a class is due",
                )),
            },
            TC_CLASSDESC => {
                let name = self.utf()?;
                if !self.allowed.contains(&name.as_str()) {
                    return Err(unexpected(&name, &self.allowed_text()));
                }
                self.take(8)?; // serialVersionUID: the JDKs that wrote it vary.
                let index = self.handles.len();
                self.new_handle(Handle::Other)?;
                let flags = self.u8()?;
                if flags & SC_EXTERNALIZABLE != 0 || flags & SC_WRITE_METHOD != 0 {
                    return Err(malformed(&format!(
                        "class `{name}` with custom serialisation (flags {flags:#04x})"
                    )));
                }
                let count = usize::from(self.u16()?);
                let mut fields = Vec::with_capacity(count.min(16));
                for _ in 0..count {
                    let code = self.u8()?;
                    let field = self.utf()?;
                    if matches!(code, b'L' | b'[') {
                        // The field's class name, as a String object.
                        self.string(depth + 1)?;
                    } else if primitive_size(code).is_none() {
                        return Err(malformed(&format!("field type code {code:#04x}")));
                    }
                    fields.push((code, field));
                }
                if self.u8()? != TC_ENDBLOCKDATA {
                    return Err(malformed(&format!("annotations on class `{name}`")));
                }
                let parent = self.class_desc(depth + 1)?;
                let desc = Rc::new(ClassDesc {
                    name,
                    flags,
                    fields,
                    parent,
                });
                self.handles[index] = Handle::Class(Rc::clone(&desc));
                Ok(Some(desc))
            }
            other => Err(malformed(&format!(
                "type code {other:#04x} where a class is due"
            ))),
        }
    }

    fn allowed_text(&self) -> String {
        self.allowed
            .iter()
            .filter(|c| !c.starts_with('['))
            .copied()
            .collect::<Vec<_>>()
            .join(" or ")
    }

    fn string(&mut self, _depth: usize) -> Result<String, ErrorKind> {
        match self.u8()? {
            TC_STRING => {
                let text = self.utf()?;
                self.new_handle(Handle::String(text.clone()))?;
                Ok(text)
            }
            TC_REFERENCE => match self.reference()? {
                Handle::String(text) => Ok(text),
                _ => Err(malformed(
                    "back-reference to a non-string where a string is due",
                )),
            },
            other => Err(malformed(&format!(
                "type code {other:#04x} where a string is due"
            ))),
        }
    }

    fn content(&mut self, depth: usize) -> Result<Value, ErrorKind> {
        if depth > MAX_DEPTH {
            return Err(malformed("nested too deeply"));
        }
        let code = self.input.peek().ok_or_else(|| ErrorKind::Truncated {
            reason: "sealed secret key: object expected".into(),
        })?;
        match code {
            TC_NULL => {
                self.take(1)?;
                Ok(Value::Null)
            }
            TC_STRING | TC_REFERENCE => {
                if code == TC_REFERENCE {
                    self.take(1)?;
                    return match self.reference()? {
                        Handle::String(text) => Ok(Value::String(text)),
                        Handle::Bytes(bytes) => Ok(Value::Bytes(bytes)),
                        _ => Err(malformed("back-reference to an object or class")),
                    };
                }
                Ok(Value::String(self.string(depth)?))
            }
            TC_ARRAY => {
                self.take(1)?;
                let desc = self
                    .class_desc(depth + 1)?
                    .ok_or_else(|| malformed("array of null class"))?;
                if desc.name != "[B" {
                    return Err(unexpected(&desc.name, "byte[]"));
                }
                let len = self.u32()?;
                if len > i32::MAX as u32 {
                    return Err(malformed("negative array length"));
                }
                let bytes = self.take(len as usize)?.to_vec();
                self.new_handle(Handle::Bytes(bytes.clone()))?;
                Ok(Value::Bytes(bytes))
            }
            TC_ENUM => {
                self.take(1)?;
                let desc = self
                    .class_desc(depth + 1)?
                    .ok_or_else(|| malformed("enum of null class"))?;
                if desc.flags & SC_ENUM == 0 {
                    return Err(malformed(&format!("`{}` is not an enum", desc.name)));
                }
                self.new_handle(Handle::Other)?;
                let constant = self.string(depth + 1)?;
                Ok(Value::Enum { constant })
            }
            TC_OBJECT => {
                self.take(1)?;
                let desc = self
                    .class_desc(depth + 1)?
                    .ok_or_else(|| malformed("object of null class"))?;
                if desc.flags & SC_SERIALIZABLE == 0 || desc.flags & SC_ENUM != 0 {
                    return Err(malformed(&format!(
                        "`{}` is not a plain serializable class",
                        desc.name
                    )));
                }
                self.new_handle(Handle::Other)?;
                let mut chain = Vec::new();
                let mut next = Some(Rc::clone(&desc));
                while let Some(class) = next {
                    if chain.len() > MAX_DEPTH {
                        return Err(malformed("class hierarchy too deep"));
                    }
                    next = class.parent.clone();
                    chain.push(class);
                }
                let mut fields = Vec::new();
                // Class data goes from the topmost serializable superclass down (spec §6.4.2).
                for class in chain.iter().rev() {
                    for (code, name) in &class.fields {
                        let value = match primitive_size(*code) {
                            Some(size) => {
                                self.take(size)?;
                                Value::Primitive
                            }
                            None => self.content(depth + 1)?,
                        };
                        fields.push((name.clone(), value));
                    }
                }
                Ok(Value::Object(Object {
                    classes: chain.iter().map(|c| c.name.clone()).collect(),
                    fields,
                }))
            }
            other => Err(malformed(&format!(
                "type code {other:#04x} where an object is due"
            ))),
        }
    }
}

fn primitive_size(code: u8) -> Option<usize> {
    match code {
        b'B' | b'Z' => Some(1),
        b'C' | b'S' => Some(2),
        b'I' | b'F' => Some(4),
        b'J' | b'D' => Some(8),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A `SealedObjectForKeyProtector` as JDK 17 writes it (taken from a keytool-made JCEKS).
    fn sample() -> Vec<u8> {
        let mut out = STREAM_MAGIC.to_vec();
        let utf = |out: &mut Vec<u8>, s: &str| {
            out.extend_from_slice(&(s.len() as u16).to_be_bytes());
            out.extend_from_slice(s.as_bytes());
        };
        out.push(TC_OBJECT);
        out.push(TC_CLASSDESC);
        utf(
            &mut out,
            "com.sun.crypto.provider.SealedObjectForKeyProtector",
        );
        out.extend_from_slice(&[0xcd, 0x57, 0xca, 0x59, 0xe7, 0x30, 0xbb, 0x53, 0x02, 0, 0]);
        out.push(TC_ENDBLOCKDATA);
        out.push(TC_CLASSDESC);
        utf(&mut out, "javax.crypto.SealedObject");
        out.extend_from_slice(&[0x3e, 0x36, 0x3d, 0xa6, 0xc3, 0xb7, 0x54, 0x70, 0x02, 0, 4]);
        for (code, name, class) in [
            (b'[', "encodedParams", "[B"),
            (b'[', "encryptedContent", "[B"),
            (b'L', "paramsAlg", "Ljava/lang/String;"),
            (b'L', "sealAlg", "Ljava/lang/String;"),
        ] {
            out.push(code);
            utf(&mut out, name);
            out.push(TC_STRING);
            utf(&mut out, class);
        }
        out.push(TC_ENDBLOCKDATA);
        out.push(TC_NULL);
        for bytes in [&[1u8, 2][..], &[3, 4, 5][..]] {
            out.push(TC_ARRAY);
            out.push(TC_CLASSDESC);
            utf(&mut out, "[B");
            out.extend_from_slice(&[0xac, 0xf3, 0x17, 0xf8, 0x06, 0x08, 0x54, 0xe0, 0x02, 0, 0]);
            out.push(TC_ENDBLOCKDATA);
            out.push(TC_NULL);
            out.extend_from_slice(&(bytes.len() as u32).to_be_bytes());
            out.extend_from_slice(bytes);
        }
        out.push(TC_STRING);
        utf(&mut out, SEAL_ALGORITHM);
        out.push(TC_STRING);
        utf(&mut out, SEAL_ALGORITHM);
        out
    }

    #[test]
    fn reads_the_jdk_shape() {
        let bytes = sample();
        let (sealed, used) = parse_sealed_object(&bytes).unwrap();
        assert_eq!(used, bytes.len());
        assert_eq!(sealed.encoded_params, [1, 2]);
        assert_eq!(sealed.encrypted_content, [3, 4, 5]);
        assert_eq!(sealed.seal_algorithm, SEAL_ALGORITHM);
    }

    #[test]
    fn every_truncation_is_an_error() {
        let bytes = sample();
        for cut in 0..bytes.len() {
            assert!(parse_sealed_object(&bytes[..cut]).is_err(), "cut at {cut}");
        }
    }

    #[test]
    fn other_classes_are_refused_by_name() {
        let bytes = sample();
        let at = bytes.windows(9).position(|w| w == b"com.sun.c").unwrap();
        let mut changed = bytes.clone();
        changed[at] = b'x';
        let err = parse_sealed_object(&changed).unwrap_err();
        assert!(
            matches!(&err, ErrorKind::UnexpectedJavaType { found, .. } if found.starts_with("xom.sun")),
            "{err:?}"
        );
    }
}
