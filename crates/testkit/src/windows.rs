//! The sending limits' windows on a scaled clock, for tests that watch a
//! window roll over across processes: every process of the test is given
//! the same [`ScaledClock`] (in the proxy's and `sendas serve`'s
//! `[limits]` as `sending_limits_clock_for_tests`, in the functions'
//! `FunctionConfig`), which starts at a UTC midnight and runs [`SPEED`]
//! times faster than the wall clock: a minute passes in 6 real seconds,
//! and the hours and days of a test that lasts less than 6 real minutes
//! all start with it.

pub use sendas_core::limiter::ScaledClock;

/// How much faster than the wall clock the tests' windows run.
pub const SPEED: f64 = 10.0;

/// A new scaled clock, at a UTC midnight now.
pub fn scaled_clock() -> ScaledClock {
    ScaledClock::starting_now(SPEED)
}

/// The clock as the value of `sending_limits_clock_for_tests` in a `[limits]` TOML table.
pub fn limits_toml(clock: &ScaledClock) -> String {
    format!(
        "sending_limits_clock_for_tests = {{ real_origin = {:?}, scaled_origin = {:?}, speed = {:?} }}\n",
        clock.real_origin, clock.scaled_origin, clock.speed
    )
}

/// Returns once at least 30 scaled seconds (3 real ones) of the current minute remain, so a
/// test's burst stays in one window.
pub async fn quiet_window(clock: &ScaledClock) {
    let second = clock.now().rem_euclid(60.0);
    if second > 30.0 {
        tokio::time::sleep(clock.real(60.5 - second)).await;
    }
}

/// Returns half a scaled second into the next minute.
pub async fn next_minute(clock: &ScaledClock) {
    tokio::time::sleep(clock.real(60.5 - clock.now().rem_euclid(60.0))).await;
}
