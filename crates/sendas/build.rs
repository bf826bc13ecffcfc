//! Embeds the built web app (`web/dist/`, checked in) into the binary:
//! writes `$OUT_DIR/web_assets.rs`, a table of every file with its path,
//! content type, ETag and `include_bytes!` body. Dotfiles (`.source-hash`)
//! are left out. Without `web/dist/` the table is empty and `/` says so.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

fn main() {
    let manifest = PathBuf::from(std::env::var_os("CARGO_MANIFEST_DIR").unwrap_or_default());
    let dist = manifest.join("../../web/dist");
    println!("cargo:rerun-if-changed=../../web/dist");
    let mut files = Vec::new();
    collect(&dist, &dist, &mut files);
    files.sort();
    let mut out = String::from("&[\n");
    for (route, path) in &files {
        let body = std::fs::read(path).unwrap_or_default();
        let _ = writeln!(
            out,
            "    Asset {{ path: {route:?}, content_type: {:?}, etag: {:?}, body: include_bytes!({:?}) }},",
            content_type(route),
            format!("\"{:016x}\"", fnv1a(&body)),
            path.display().to_string(),
        );
    }
    out.push(']');
    let target = PathBuf::from(std::env::var_os("OUT_DIR").unwrap_or_default()).join("web_assets.rs");
    if let Err(e) = std::fs::write(&target, out) {
        panic!("writing {}: {e}", target.display());
    }
}

fn collect(base: &Path, dir: &Path, out: &mut Vec<(String, PathBuf)>) {
    let Ok(entries) = std::fs::read_dir(dir) else { return };
    for entry in entries.flatten() {
        let path = entry.path();
        let name = entry.file_name().to_string_lossy().into_owned();
        if name.starts_with('.') {
            continue;
        }
        if path.is_dir() {
            collect(base, &path, out);
        } else if let Ok(rel) = path.strip_prefix(base) {
            let route = format!("/{}", rel.to_string_lossy().replace('\\', "/"));
            let abs = path.canonicalize().unwrap_or(path.clone());
            out.push((route, abs));
        }
    }
}

fn content_type(route: &str) -> &'static str {
    match route.rsplit('.').next().unwrap_or_default() {
        "html" => "text/html; charset=utf-8",
        "js" | "mjs" => "text/javascript; charset=utf-8",
        "css" => "text/css; charset=utf-8",
        "svg" => "image/svg+xml",
        "json" => "application/json",
        "png" => "image/png",
        "ico" => "image/x-icon",
        "txt" => "text/plain; charset=utf-8",
        "woff2" => "font/woff2",
        _ => "application/octet-stream",
    }
}

/// FNV-1a (64 bit): an ETag that changes with the content (no crypto needed).
fn fnv1a(bytes: &[u8]) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in bytes {
        h ^= u64::from(*b);
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    h
}
