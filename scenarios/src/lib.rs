//! Scenario files, the runner, the built-in suite and reports.
//!
//! A scenario is the article's loop written down with its expected results: the receiver's
//! PKI and server, the keystore built in KeyStore Explorer, the upload to the tenant's
//! Keystore Monitor, CPI's Connectivity Test (TLS), the `.p7b` download, the receiver's trust
//! store and user mapping, and a request. The built-in suite (`scenarios/suite/*.toml`) covers
//! every row of DESIGN.md's trust table, every failure class and every tenant rule.
//!
//! | module | what it is |
//! |---|---|
//! | [`model`] | [`Scenario`]: world, receivers, steps, expectations |
//! | [`load`] | TOML file -> [`Scenario`]; errors name file, line and field |
//! | [`suite`] | the built-in suite, embedded in the binary |
//! | [`runner`] | runs scenarios concurrently, each isolated; checks expectations |
//! | [`report`] | human table, JSON, JUnit XML, HTML trust matrix; redaction |
//!
//! Data flows one way: file -> [`load`] -> [`runner`] -> `harness::pki` -> (receiver,
//! tenant keystore) -> connectivity test -> [`report`].

pub mod load;
pub mod model;
pub mod report;
pub mod runner;
pub mod suite;

pub use load::{LoadError, TEMPLATE, load_file, load_str};
pub use model::Scenario;
