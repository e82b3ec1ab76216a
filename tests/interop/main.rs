//! Interop tests against the real keytool, openssl and Java installed on the machine.
//!
//! Each test skips with a printed reason when a tool is missing, and fails under `CI=true`.

mod connect_java;
mod connect_openssl;
mod corpus_jks;
mod corpus_p12;
mod java_texts;
mod keystore_jks;
mod keystore_p12;
mod limbo;
mod pki;
mod real_certs;
mod receiver;
mod tenant;
