//! `harness explain`'s scenario lists (`harness::explain::advice`) against the built-in suite:
//! every listed id exists and expects that failure class, and every suite scenario that
//! expects a failure class is listed under it.

use std::collections::{BTreeMap, BTreeSet};

use harness::connect::FailureClass;
use scenarios::model::Outcome;
use scenarios::runner::Input;

#[test]
fn explain_lists_exactly_the_suite_scenarios_of_each_class() {
    let mut expected: BTreeMap<FailureClass, BTreeSet<String>> = BTreeMap::new();
    for input in scenarios::suite::inputs() {
        let Input::Loaded(scenario) = input else {
            panic!("a suite file does not load");
        };
        for step in &scenario.steps {
            if let Some(Outcome::Failure(class)) = step.expect().outcome {
                expected
                    .entry(class)
                    .or_default()
                    .insert(scenario.id.clone());
            }
        }
    }
    for class in FailureClass::ALL {
        let listed: BTreeSet<String> = harness::explain::advice(*class)
            .scenarios
            .iter()
            .map(|s| (*s).to_owned())
            .collect();
        let in_suite = expected.remove(class).unwrap_or_default();
        assert_eq!(
            listed, in_suite,
            "harness/src/explain/classes.rs: the scenarios of {class} differ from the suite's"
        );
    }
}
