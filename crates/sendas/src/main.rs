//! The sendas command (being built).
fn main() {}
