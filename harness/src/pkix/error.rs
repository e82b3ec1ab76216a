//! Why Java would refuse a chain: the rule broken, where, and the texts.

use std::fmt;

use crate::connect::{Failure, FailureClass};

/// Why Java would refuse the chain. `Display`: plain words for people; [`java_text`](Self::java_text)
/// is what CPI shows.
#[derive(Clone, thiserror::Error)]
pub struct PkixError(Box<Inner>);

/// Java's own words for the refusal (what a report that prints the `Debug` of a wrapping
/// error shows, e.g. rustls' `Other(OtherError(...))`).
impl fmt::Debug for PkixError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0.detail)
    }
}

#[derive(Clone, Debug)]
struct Inner {
    rule: &'static str,
    index: Option<usize>,
    detail: String,
    java: String,
    failure: Failure,
}

impl fmt::Display for PkixError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0.index {
            Some(i) => write!(
                f,
                "{} (certificate {i} of the chain as sent)",
                self.0.detail
            ),
            None => f.write_str(&self.0.detail),
        }
    }
}

impl PkixError {
    pub(crate) fn new(
        rule: &'static str,
        index: Option<usize>,
        detail: String,
        java: String,
        failure: Failure,
    ) -> Self {
        Self(Box::new(Inner {
            rule,
            index,
            detail,
            java,
            failure,
        }))
    }

    /// The stable rule id (kebab-case, from the rule table).
    pub fn rule(&self) -> &'static str {
        self.0.rule
    }

    /// The position in the chain as sent of the certificate the rule refused, when one is
    /// to blame.
    pub fn index(&self) -> Option<usize> {
        self.0.index
    }

    /// The failure class a connectivity test reports.
    pub fn class(&self) -> FailureClass {
        self.0.failure.class()
    }

    /// Exactly the message of JDK 17's exception: the full
    /// `javax.net.ssl.SSLHandshakeException` message as Java prints it.
    pub fn java_text(&self) -> String {
        self.0.java.clone()
    }

    /// The `connect::Failure` a connectivity test reports for it.
    pub fn failure(&self) -> Failure {
        self.0.failure.clone()
    }
}
