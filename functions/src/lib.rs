//! Lambda composition roots (being built).
