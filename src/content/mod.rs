//! Working with what posts say: Markdown rendering and (later) analysis and
//! generation providers.

pub mod markdown;
