//! The harness: everything of the outbound-TLS loop except the servers and the scenarios.
//!
//! SAP Cloud Integration (CPI) calls receivers over HTTPS with client certificates; this crate
//! reproduces the tenant's side of that loop on one machine:
//!
//! | module | what it is |
//! |---|---|
//! | [`pki`] | the seeded test PKI: roots, intermediates, leaves, self-signed, fault variants |
//! | [`pkix`] | Java 17's server-certificate validation (PKIX path, rules, host names) as data |
//! | [`alert`] | the TLS alert registry: one name <-> code table for the client and the receiver |
//! | [`capture`] | `harness capture`: probe a real receiver, write its twin (re-issued chain, mapped keystore) and a scenario |
//! | [`cert`] | certificates as people read them (subject, issuer, serial, fingerprints) |
//! | [`connect`] | CPI's Connectivity Test (TLS): rustls client, chain capture, client-certificate choice, failure classes, Java's texts |
//! | [`decode`] | decoder failures (DER, X.509) in plain words, never their `Debug` text |
//! | [`diagnose`] | why a connectivity test failed, in the trust table's terms, and the smallest fix |
//! | [`exit`] | how the binaries end: exit codes 0/1/2 and the error chain printer |
//! | [`file`](mod@file) | atomic writes (the old file or the new one, never a mix), outputs that never clobber, reads bounded in bytes |
//! | [`keystore`] | JKS, JCEKS, PKCS#12, PEM, DER, PKCS#7: one entry model, read and write |
//! | [`secret`] | passwords and private keys whose `Debug` elides them |
//! | [`tenant`] | the simulated tenant keystore: CPI's Keystore Monitor with owners, rules and roles |
//! | [`text`] | control characters in names escaped for human output |
//! | [`time`] | the simulated "now" |
//!
//! Data flows one way: scenario -> runner -> [`pki`] -> (receiver, tenant keystore) ->
//! connectivity test -> diagnosis -> report. This crate knows nothing of servers or scenarios.
//!
//! Validation semantics: the connectivity test simulates Java's (CPI runs on Java 17) where
//! rustls-webpki's would differ; [`connect`] documents each rule, and the interop tests
//! compare against the real JDK.

pub mod alert;
pub mod capture;
pub mod cert;
pub mod chain;
pub mod connect;
pub mod decode;
pub mod diagnose;
pub mod exit;
pub mod explain;
pub mod file;
pub mod keystore;
pub mod memo;
pub mod pki;
pub mod pkix;
pub mod secret;
pub mod tenant;
pub mod text;
pub mod time;
