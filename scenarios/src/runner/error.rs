//! Why a step could not run. A refusal (the Keystore Monitor's, a receiver's) is no error:
//! it is observed and checked like any outcome. These are the harness failing. (A
//! [`ReceiverError`] is boxed: it is large, and a step's `Result` is returned often.)

use harness::connect::ConnectError;
use harness::keystore::{ErrorKind, KeystoreError};
use harness::pki::PkiError;
use harness::tenant::TenantError;
use mock_receiver::ReceiverError;

/// Why a step (or a scenario's setup) could not run.
#[derive(Debug, thiserror::Error)]
pub enum StepError {
    /// The scenario's directory could not be created.
    #[error("cannot create `{path}`")]
    CreateDir {
        /// The directory.
        path: String,
        /// The I/O error.
        #[source]
        source: std::io::Error,
    },
    /// The seeded PKI could not be generated.
    #[error("cannot generate the world")]
    World(#[source] PkiError),
    /// The tenant could not be created.
    #[error("cannot create the tenant")]
    CreateTenant(#[source] TenantError),
    /// A step needs the tenant, and it was not created.
    #[error("the tenant was not created")]
    NoTenant,
    /// A tenant operation failed without a refusal: the tenant is broken or unreachable.
    #[error("the tenant failed")]
    Tenant(#[source] TenantError),
    /// A keystore named by a step was not built.
    #[error("keystore `{0}` was not built")]
    NotBuilt(String),
    /// A file could not be read.
    #[error("cannot read `{path}`")]
    Read {
        /// The file.
        path: String,
        /// The I/O error.
        #[source]
        source: std::io::Error,
    },
    /// A downloaded file could not be written.
    #[error("cannot write `{path}`")]
    Write {
        /// The file.
        path: String,
        /// The I/O error.
        #[source]
        source: std::io::Error,
    },
    /// A certificate could not be imported into a keystore being built.
    #[error("cannot import `{alias}`")]
    Import {
        /// The alias.
        alias: String,
        /// Why.
        #[source]
        source: Box<ErrorKind>,
    },
    /// A keystore file could not be written or read back.
    #[error("keystore `{name}`")]
    Keystore {
        /// The keystore (a built one, or a download).
        name: String,
        /// Why.
        #[source]
        source: Box<KeystoreError>,
    },
    /// A certificate role could not be read.
    #[error("bad certificate role")]
    Role(#[source] PkiError),
    /// A receiver named by a step is not running.
    #[error("receiver `{0}` is not running")]
    NotRunning(String),
    /// A receiver's spec could not be built.
    #[error("receiver `{name}`")]
    Spec {
        /// The receiver.
        name: String,
        /// Why.
        #[source]
        source: Box<ReceiverError>,
    },
    /// A receiver could not be started.
    #[error("cannot start receiver `{name}`")]
    Start {
        /// The receiver.
        name: String,
        /// Why.
        #[source]
        source: Box<ReceiverError>,
    },
    /// A receiver could not be stopped.
    #[error("cannot stop receiver `{name}`")]
    Stop {
        /// The receiver.
        name: String,
        /// Why.
        #[source]
        source: Box<ReceiverError>,
    },
    /// A certificate source names a download that did not happen or holds no fitting
    /// certificate.
    #[error("`{alias}.p7b` {problem}")]
    Download {
        /// The alias.
        alias: String,
        /// What is missing.
        problem: &'static str,
    },
    /// The connectivity test could not run (options, trust store, target).
    #[error("the connectivity test could not run")]
    Connect(#[source] ConnectError),
}
