//! What a run produced: the data every report format renders.

use serde::Serialize;

/// The JSON report's format version; bump it when a field changes meaning or disappears.
pub const REPORT_VERSION: u32 = 1;

/// One run of one or more scenarios.
#[derive(Clone, Debug, Serialize)]
pub struct RunReport {
    /// [`REPORT_VERSION`].
    pub version: u32,
    /// The seed used where a scenario does not fix its own.
    pub seed: u64,
    /// The simulated "now" used where a scenario does not fix its own (RFC 3339).
    pub now: String,
    /// Wall time of the whole run, in milliseconds (`None` once redacted).
    pub duration_ms: Option<u64>,
    /// Counts per status.
    pub totals: Totals,
    /// The scenarios, in the order they were given (never in completion order).
    pub scenarios: Vec<ScenarioReport>,
    /// The run's temp directory (removed by now), for redaction; never serialised.
    #[serde(skip)]
    pub temp_root: Option<String>,
}

impl RunReport {
    /// The process exit code: 0 when every scenario met its expectations, 1 when one did
    /// not, 2 when one could not run.
    pub fn exit_code(&self) -> i32 {
        if self.totals.error > 0 {
            2
        } else if self.totals.not_met > 0 {
            1
        } else {
            0
        }
    }
}

/// Counts per status.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Totals {
    /// Scenarios run.
    pub total: usize,
    /// Every expectation met.
    pub met: usize,
    /// At least one expectation not met.
    pub not_met: usize,
    /// Could not run (load error, harness error).
    pub error: usize,
}

impl Totals {
    /// Counts the statuses of `scenarios`.
    pub fn of(scenarios: &[ScenarioReport]) -> Self {
        let mut totals = Totals {
            total: scenarios.len(),
            ..Totals::default()
        };
        for s in scenarios {
            match s.status {
                Status::Met => totals.met += 1,
                Status::NotMet => totals.not_met += 1,
                Status::Error => totals.error += 1,
                Status::Skipped => {}
            }
        }
        totals
    }
}

/// A scenario's or a step's status.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Status {
    /// Every expectation met.
    Met,
    /// At least one expectation not met.
    NotMet,
    /// Could not run.
    Error,
    /// Not run because an earlier step could not run.
    Skipped,
}

impl Status {
    /// The word reports print.
    pub fn label(self) -> &'static str {
        match self {
            Status::Met => "met",
            Status::NotMet => "NOT MET",
            Status::Error => "ERROR",
            Status::Skipped => "skipped",
        }
    }
}

/// One scenario's result.
#[derive(Clone, Debug, Serialize)]
pub struct ScenarioReport {
    /// The id (file stem).
    pub id: String,
    /// Where it came from.
    pub source: String,
    /// Its description (the chain and the reason).
    pub description: String,
    /// The expected result in one phrase.
    pub expected: String,
    /// The status.
    pub status: Status,
    /// Why it could not run, when it could not.
    pub error: Option<String>,
    /// Seed and "now" actually used.
    pub seed: u64,
    /// The simulated "now" actually used (RFC 3339).
    pub now: String,
    /// Wall time in milliseconds (`None` once redacted).
    pub duration_ms: Option<u64>,
    /// Its place in the trust matrix, when it is a trust-matrix case.
    pub matrix: Option<MatrixCell>,
    /// The steps.
    pub steps: Vec<StepReport>,
}

/// A scenario's place in the trust matrix: receiver profile x trust store x client auth.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct MatrixCell {
    /// What the receiver sends (`full-chain`, `leaf-only`, ...).
    pub profile: String,
    /// What the tenant trusts (`receiver-root`, `receiver-intermediate`, `none`, ...).
    pub trust: String,
    /// Whether the receiver asks for a client certificate.
    pub client_auth: String,
    /// The outcome observed (`success` or a failure class) at the scenario's final
    /// connectivity test or request, when it ran.
    pub observed: Option<String>,
    /// That final step (1-based), the one whose outcome the cell shows.
    pub step: usize,
    /// The HTTP status that step received, when it got one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub http_status: Option<u16>,
}

/// One step's result.
#[derive(Clone, Debug, Serialize)]
pub struct StepReport {
    /// 1-based position.
    pub index: usize,
    /// The action (`connect`, `upload`, ...).
    pub action: String,
    /// What the step did, in one line.
    pub summary: String,
    /// The status.
    pub status: Status,
    /// Why it could not run.
    pub error: Option<String>,
    /// Each expectation against what was observed.
    pub checks: Vec<Check>,
    /// What the step printed (CPI/Java text, diagnosis, summary lines).
    pub output: Vec<String>,
}

/// One expectation against the observation.
#[derive(Clone, Debug, Serialize)]
pub struct Check {
    /// The expectation's field (`outcome`, `client_certificate_used`, ...).
    pub field: String,
    /// What the file expects.
    pub expected: String,
    /// What happened.
    pub observed: String,
    /// Whether they agree.
    pub met: bool,
}
