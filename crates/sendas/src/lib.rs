//! The local `sendas` command as a library: `serve` runs the HTTP API and
//! the SMTP proxy on the embedded store (or on AWS by flag), `demo` seeds a demo tenant, and
//! `bootstrap` writes an operator token, `web` serves the embedded web app.
//! `main.rs` only parses arguments.

pub mod backend;
pub mod demo;
pub mod serve;
pub mod smtp;
pub mod web;
