//! AUTH lockouts that a neighbour cannot use (SPEC §3, the AUTH row), over
//! in-memory pipes on the memory store: an IP locked for failures still
//! admits the right password of a login that is not itself locked there
//! (an office NAT), a wrong password from it still gets `421 4.7.0`, a
//! locked (IP, login) pair refuses even the right password, and attempts
//! made during a lock do not extend it. The same across two processes
//! sharing DynamoDB is in `binary_on_aws.rs`.
#![allow(clippy::unwrap_used)]

mod support;

use sendas_smtp_proxy::config::Limits;
use sendas_smtp_proxy::session::{Deps, Session};
use std::sync::Arc;
use std::time::{Duration, Instant};
use support::*;
use tokio::sync::watch;

const DELAY: Duration = Duration::from_millis(40);
const NAT: &str = "127.0.0.1";

fn lockout_limits(per_login: u32, per_ip: u32, window: Duration) -> Limits {
    Limits {
        auth_failures_per_login: per_login,
        auth_failures_per_ip: per_ip,
        auth_window: window,
        auth_failure_delay: DELAY,
        ..limits()
    }
}

async fn deps_with(limits: Limits) -> (World, Deps) {
    let w = memory_world().await;
    let deps = deps(w.store.clone(), Arc::new(RecordingRelay::default()), limits, true);
    (w, deps)
}

/// One AUTH PLAIN in a fresh session from `peer`: the reply code, whether the
/// connection closed after it, and how long the answer took.
async fn auth(deps: &Deps, peer: &str, login: &str, password: &str) -> (u16, bool, Duration) {
    let (client, server) = tokio::io::duplex(1 << 16);
    let (_stop, rx) = watch::channel(false);
    let (d, peer) = (deps.clone(), peer.parse().unwrap());
    tokio::spawn(async move { Session::new(d, peer, false, false, rx).run(server, true).await });
    let mut c = Client::new(client);
    assert_eq!(c.reply().await.0, 220);
    c.expect("EHLO c", 250).await;
    let token = data_encoding::BASE64.encode(format!("\0{login}\0{password}").as_bytes());
    let started = Instant::now();
    c.send(format!("AUTH PLAIN {token}\r\n").as_bytes()).await;
    let (code, _) = c.reply().await;
    let took = started.elapsed();
    // 421 closes the connection; after any other reply the session goes on.
    let closed = if code == 421 {
        c.try_reply().await.is_none()
    } else {
        c.expect("NOOP", 250).await;
        false
    };
    (code, closed, took)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_bystander_behind_a_locked_ip_gets_in_and_the_guesser_does_not() {
    let (w, d) = deps_with(lockout_limits(10, 20, Duration::from_secs(900))).await;
    // 25 wrong passwords for bob from the NAT's address: the pair locks at 10, the IP at 20.
    let mut codes = Vec::new();
    for i in 0..25 {
        codes.push(auth(&d, NAT, "bob", &format!("guess-{i}")).await.0);
    }
    let want: Vec<u16> = [[535].repeat(9), [454].repeat(11), [421].repeat(5)].concat();
    assert_eq!(codes, want, "535 until the pair locks, 454 while only the pair is, 421 once the IP is too");

    // alice, behind the same address, with her right password: admitted.
    let (code, _, _) = auth(&d, NAT, "alice", &w.password).await;
    assert_eq!(code, 235, "the IP lock refuses failures only, not the IP's other users");
    // A wrong password from the locked IP still gets the lock reply and the connection closes,
    // never faster than the failure delay.
    let (code, closed, took) = auth(&d, NAT, "alice", "wrong").await;
    assert_eq!((code, closed), (421, true));
    assert!(took >= DELAY, "a failure from a locked IP was answered in {took:?}");
    let (code, closed, _) = auth(&d, NAT, "mallory", "x").await;
    assert_eq!((code, closed), (421, true), "an unknown login from the locked IP too");
    // bob's pair is locked: his right password is refused there, after the same delay as a guess.
    let (code, closed, took) = auth(&d, NAT, "bob", &w.bob_password).await;
    assert_eq!((code, closed), (421, true), "the locked login's right password from the guessing address");
    assert!(took >= DELAY, "a locked pair answered the right password in {took:?}: faster than a guess");
    // The pair lock is the guesser's address's: bob from elsewhere gets in.
    assert_eq!(auth(&d, "192.0.2.44", "bob", &w.bob_password).await.0, 235);
    // alice's own wrong guesses (counted for her pair, not for the locked IP) still lock her pair.
    for _ in 0..9 {
        assert_eq!(auth(&d, NAT, "alice", "wrong").await.0, 421);
    }
    let (code, _, took) = auth(&d, NAT, "alice", &w.password).await;
    assert_eq!(code, 421, "alice's pair is locked now (10 failures): her right password is refused");
    assert!(took >= DELAY);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_pair_lock_refuses_the_right_password_but_not_the_neighbours() {
    let (w, d) = deps_with(lockout_limits(3, 100, Duration::from_secs(900))).await;
    for _ in 0..2 {
        assert_eq!(auth(&d, NAT, "alice", "guess").await.0, 535);
    }
    assert_eq!(auth(&d, NAT, "alice", "guess").await.0, 454, "the third failure locks the pair");
    let (code, closed, took) = auth(&d, NAT, "alice", &w.password).await;
    assert_eq!((code, closed), (454, false), "the right password of the locked pair: refused, not closed");
    assert!(took >= DELAY, "answered in {took:?}: the lock would tell the right password from a guess");
    assert_eq!(auth(&d, NAT, "bob", &w.bob_password).await.0, 235, "bob behind the same address");
    assert_eq!(auth(&d, "192.0.2.7", "alice", &w.password).await.0, 235, "alice from another address");
}

/// Guesses wrong from `peer` (each guess its own session; the login of guess `i` is
/// `login(i)`) for `during`, every answer refused with `want`: answers how many were made.
async fn guess_on(d: &Deps, peer: &str, login: impl Fn(usize) -> String, want: u16, during: Duration) -> usize {
    let started = Instant::now();
    let mut made = 0;
    while started.elapsed() < during {
        assert_eq!(auth(d, peer, &login(made), "still-guessing").await.0, want, "guess {made} during the lock");
        made += 1;
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    made
}

/// The lock window of the tests below. The guessing during a lock goes on for 0.6 of it;
/// the lock is tried again 0.15 of a window after the locking failures left it, when
/// the guesses of the last 0.45 of their time are still inside the window: counted,
/// they would hold the lock; not counted, it is over.
const WINDOW: Duration = Duration::from_millis(1000);

/// Sleeps until 0.15 of a window after the window that began before `locked_at`.
async fn after_the_window(locked_at: Instant) {
    tokio::time::sleep((locked_at + WINDOW + WINDOW * 3 / 20).saturating_duration_since(Instant::now())).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn guessing_on_during_an_ip_lock_does_not_extend_it() {
    let (w, d) = deps_with(lockout_limits(100, 4, WINDOW)).await;
    for i in 0..3 {
        assert_eq!(auth(&d, NAT, &format!("nobody{i}"), "x").await.0, 535);
    }
    assert_eq!(auth(&d, NAT, "nobody3", "x").await.0, 421, "the fourth failure locks the IP");
    let locked_at = Instant::now();
    let made = guess_on(&d, NAT, |i| format!("other{i}"), 421, WINDOW * 6 / 10).await;
    assert!(made >= 6, "only {made} guesses during the lock: too few to tell");
    assert_eq!(auth(&d, NAT, "alice", &w.password).await.0, 235, "a bystander during the lock");
    after_the_window(locked_at).await;
    let (code, closed, _) = auth(&d, NAT, "nobody5", "x").await;
    assert_eq!((code, closed), (535, false), "the lock outlived its window: the guesses during it counted");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn guessing_on_during_a_pair_lock_does_not_extend_it() {
    let (w, d) = deps_with(lockout_limits(2, 100, WINDOW)).await;
    assert_eq!(auth(&d, NAT, "alice", "x").await.0, 535);
    assert_eq!(auth(&d, NAT, "alice", "y").await.0, 454, "the second failure locks the pair");
    let locked_at = Instant::now();
    assert_eq!(auth(&d, NAT, "alice", &w.password).await.0, 454, "the right password during the lock");
    let made = guess_on(&d, NAT, |_| "alice".into(), 454, WINDOW * 6 / 10).await;
    assert!(made >= 6, "only {made} guesses during the lock: too few to tell");
    after_the_window(locked_at).await;
    assert_eq!(auth(&d, NAT, "alice", &w.password).await.0, 235, "the lock outlived its window");
}
