//! Runs a test in a network namespace of its own that has only a loopback
//! interface (`unshare --user --map-root-user --net`, then `ip link set lo
//! up`): whatever the code under test does, no packet can leave the
//! machine or reach a private range. A test calls [`loopback_only`] first:
//! in the test process it runs the same test binary again, filtered to
//! that one test, inside the namespace, and fails unless the test ran and
//! passed there; inside, it checks the isolation and lets the body run.
//! Everything the body starts (knotd, servers) lives in the namespace.

use std::process::Command;

const CHILD: &str = "SENDAS_TEST_IN_NETNS";

/// `true` inside the namespace (run the test's body); `false` in the
/// test process, after the body passed in the namespace (return).
pub fn loopback_only(test: &str) -> bool {
    if std::env::var_os(CHILD).is_some() {
        assert_isolated();
        return true;
    }
    let exe = std::env::current_exe().expect("the test binary");
    let output = Command::new("unshare")
        .args(["--user", "--map-root-user", "--net", "--", "sh", "-c"])
        .arg(r#"ip link set lo up && exec "$0" --exact "$1" --nocapture --test-threads=1"#)
        .arg(&exe)
        .arg(test)
        .env(CHILD, "1")
        .output()
        .expect("unshare (util-linux) runs");
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        output.status.success() && stdout.contains("test result: ok. 1 passed"),
        "{test} in a loopback-only network namespace: {}\n{stdout}\n{stderr}",
        output.status
    );
    false
}

/// The namespace has loopback and nothing else: a route to a private or
/// public address does not exist (a UDP connect sends no packet).
fn assert_isolated() {
    let socket = std::net::UdpSocket::bind("0.0.0.0:0").expect("a UDP socket");
    for outside in ["10.0.0.1:53", "192.0.2.1:53", "8.8.8.8:53"] {
        assert!(socket.connect(outside).is_err(), "{outside} is reachable: not in a loopback-only namespace");
    }
    assert!(socket.connect("127.0.0.1:53").is_ok(), "loopback is down in the namespace");
}
