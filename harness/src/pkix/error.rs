//! Why Java would refuse a chain: the rule broken, where, and the texts.

use std::fmt;

use crate::connect::{Failure, FailureClass};

/// Why Java would refuse the chain. `Display`: plain words for people; [`java_text`]
/// (PkixError::java_text) is what CPI shows.
#[derive(Clone, Debug, thiserror::Error)]
pub struct PkixError {
    pub(crate) rule: &'static str,
    pub(crate) index: Option<usize>,
    pub(crate) detail: String,
    pub(crate) java: String,
    pub(crate) failure: Failure,
}

impl fmt::Display for PkixError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.index {
            Some(i) => write!(f, "{} (certificate {i} of the path)", self.detail),
            None => f.write_str(&self.detail),
        }
    }
}

impl PkixError {
    /// The stable rule id (kebab-case, from the rule table).
    pub fn rule(&self) -> &'static str {
        self.rule
    }

    /// The position in the chain as sent of the certificate the rule refused, when one is
    /// to blame.
    pub fn index(&self) -> Option<usize> {
        self.index
    }

    /// The failure class a connectivity test reports.
    pub fn class(&self) -> FailureClass {
        self.failure.class()
    }

    /// Exactly the message of JDK 17's exception: the full
    /// `javax.net.ssl.SSLHandshakeException` message as Java prints it.
    pub fn java_text(&self) -> String {
        self.java.clone()
    }

    /// The `connect::Failure` a connectivity test reports for it.
    pub fn failure(&self) -> Failure {
        self.failure.clone()
    }
}
