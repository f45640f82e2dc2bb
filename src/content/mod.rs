//! Working with what posts say: Markdown rendering, text analysis and the
//! generation providers.

pub mod analysis;
pub mod generation;
pub mod markdown;
pub mod snippet;
