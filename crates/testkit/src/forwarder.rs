//! A TCP forwarder on 127.0.0.1 in front of a server, which a test can cut
//! (listener closed, every open connection closed) and restore on the same
//! port: the server's endpoint goes away and comes back with its state.

use tokio::net::{TcpListener, TcpStream};
use tokio::sync::watch;
use tokio::task::JoinHandle;

/// A forwarder to `127.0.0.1:target`.
pub struct Forwarder {
    /// Its own port.
    pub port: u16,
    target: u16,
    running: Option<(watch::Sender<bool>, JoinHandle<()>)>,
}

impl Forwarder {
    /// Starts forwarding from a free port to `target`.
    pub async fn start(target: u16) -> Forwarder {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let mut f = Forwarder { port, target, running: None };
        f.serve(listener);
        f
    }

    /// Its URL (`http://127.0.0.1:port`).
    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    fn serve(&mut self, listener: TcpListener) {
        let (stop, stopped) = watch::channel(false);
        let target = self.target;
        let task = tokio::spawn(async move {
            let mut stop_accepting = stopped.clone();
            loop {
                let client = tokio::select! {
                    r = listener.accept() => match r { Ok((c, _)) => c, Err(_) => continue },
                    _ = stop_accepting.changed() => break,
                };
                let mut cut = stopped.clone();
                tokio::spawn(async move {
                    let Ok(mut server) = TcpStream::connect(("127.0.0.1", target)).await else { return };
                    let mut client = client;
                    tokio::select! {
                        _ = tokio::io::copy_bidirectional(&mut client, &mut server) => {}
                        _ = cut.changed() => {}
                    }
                });
            }
        });
        self.running = Some((stop, task));
    }

    /// Closes the listener and every forwarded connection.
    pub async fn cut(&mut self) {
        if let Some((stop, task)) = self.running.take() {
            let _ = stop.send(true);
            let _ = task.await;
        }
    }

    /// Listens again on the same port.
    pub async fn restore(&mut self) {
        self.cut().await;
        let mut tries = 0;
        let listener = loop {
            match TcpListener::bind(("127.0.0.1", self.port)).await {
                Ok(l) => break l,
                Err(_) if tries < 50 => {
                    tries += 1;
                    tokio::time::sleep(std::time::Duration::from_millis(20)).await;
                }
                Err(e) => panic!("cannot listen on {} again: {e}", self.port),
            }
        };
        self.serve(listener);
    }
}
