//! Waiting on the wall clock's minute windows, for tests of the sending
//! limits (fixed UTC windows; an hour and a day start with a minute).

use std::time::{Duration, SystemTime, UNIX_EPOCH};

fn now() -> f64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_secs_f64()).unwrap_or(0.0)
}

/// Returns once at least 15 s of the current minute remain, so a test's burst stays in one window.
pub async fn quiet_window() {
    let second = now() % 60.0;
    if second > 45.0 {
        tokio::time::sleep(Duration::from_secs_f64(60.5 - second)).await;
    }
}

/// Returns half a second into the next minute.
pub async fn next_minute() {
    tokio::time::sleep(Duration::from_secs_f64(60.5 - now() % 60.0)).await;
}
