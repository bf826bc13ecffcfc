//! Upstream connections per login: at most `max_open` open at once (idle
//! ones included — servers count them: Dovecot allows 10 per user and IP
//! by default, Exchange Online 3 per mailbox), idle ones reused for
//! `max_idle`. A session that finds no idle connection and no free place
//! waits until a connection comes back or one closes.

use sendas_smtp_client::Client;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio::sync::{Notify, OwnedSemaphorePermit, Semaphore};

/// A connection and its place among the login's open connections.
pub(crate) struct Conn {
    pub(crate) client: Client,
    _place: OwnedSemaphorePermit,
}

impl Conn {
    pub(crate) fn new(client: Client, place: OwnedSemaphorePermit) -> Conn {
        Conn { client, _place: place }
    }
}

/// What a checkout gives.
pub(crate) enum Checkout {
    /// An idle connection (logged in, used successfully before).
    Idle(Conn),
    /// A place for a new connection.
    New(OwnedSemaphorePermit),
}

struct Slot {
    places: Arc<Semaphore>,
    returned: Notify,
    idle: Mutex<Vec<(Instant, Conn)>>,
}

/// The pools of every login.
pub(crate) struct Pool {
    max_open: usize,
    max_idle: Duration,
    slots: Mutex<HashMap<String, Arc<Slot>>>,
}

impl Pool {
    pub(crate) fn new(max_open: usize, max_idle: Duration) -> Pool {
        Pool { max_open: max_open.max(1), max_idle, slots: Mutex::new(HashMap::new()) }
    }

    fn slot(&self, key: &str) -> Arc<Slot> {
        let mut slots = self.slots.lock().unwrap_or_else(|p| p.into_inner());
        slots
            .entry(key.to_owned())
            .or_insert_with(|| {
                Arc::new(Slot {
                    places: Arc::new(Semaphore::new(self.max_open)),
                    returned: Notify::new(),
                    idle: Mutex::new(Vec::new()),
                })
            })
            .clone()
    }

    fn take_idle(&self, slot: &Slot) -> Option<Conn> {
        let mut idle = slot.idle.lock().unwrap_or_else(|p| p.into_inner());
        while let Some((at, conn)) = idle.pop() {
            if at.elapsed() < self.max_idle && !conn.client.is_broken() {
                return Some(conn);
            }
            // Too old or broken: dropped here, its place is free again.
        }
        None
    }

    /// An idle connection of `key`, or a place for a new one (waits for either).
    pub(crate) async fn checkout(&self, key: &str) -> Checkout {
        let slot = self.slot(key);
        loop {
            if let Some(conn) = self.take_idle(&slot) {
                return Checkout::Idle(conn);
            }
            if let Ok(place) = slot.places.clone().try_acquire_owned() {
                return Checkout::New(place);
            }
            tokio::select! {
                place = slot.places.clone().acquire_owned() => {
                    if let Ok(place) = place {
                        return Checkout::New(place);
                    }
                }
                _ = slot.returned.notified() => {}
            }
        }
    }

    /// Keeps a connection after a complete, successful exchange (or closes it when idle reuse is off).
    pub(crate) fn put_back(&self, key: &str, conn: Conn) {
        if self.max_idle.is_zero() {
            return;
        }
        let slot = self.slot(key);
        slot.idle.lock().unwrap_or_else(|p| p.into_inner()).push((Instant::now(), conn));
        slot.returned.notify_one();
    }
}
