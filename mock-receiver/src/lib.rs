//! The receiver system of the article: a real HTTPS server per trust profile.
//!
//! Not built yet (issue 3): this crate is an empty shell so the workspace layering
//! (harness <- mock-receiver <- scenarios) exists from the start.
