//! A TCP proxy in front of PostgreSQL that can take the database away and bring it back: while
//! down it drops every open connection and closes new ones at once, which is what pimbot sees
//! when PostgreSQL restarts.

use std::sync::Arc;

use tokio::io::copy_bidirectional;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::watch;

pub(crate) struct DbProxy {
    /// `host:port` of the proxy.
    pub(crate) addr: String,
    up: Arc<watch::Sender<bool>>,
}

impl DbProxy {
    /// Proxies to `upstream` (`host:port`).
    pub(crate) async fn start(upstream: String) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let addr = listener.local_addr().expect("addr").to_string();
        let up = Arc::new(watch::channel(true).0);
        let state = up.clone();
        tokio::spawn(async move {
            while let Ok((client, _)) = listener.accept().await {
                let mut is_up = state.subscribe();
                if !*is_up.borrow_and_update() {
                    drop(client);
                    continue;
                }
                let upstream = upstream.clone();
                tokio::spawn(async move {
                    let Ok(mut server) = TcpStream::connect(&upstream).await else {
                        return;
                    };
                    let mut client = client;
                    tokio::select! {
                        _ = copy_bidirectional(&mut client, &mut server) => {}
                        _ = is_up.wait_for(|up| !*up) => {}
                    }
                });
            }
        });
        DbProxy { addr, up }
    }

    /// `database_url` with its host and port replaced by the proxy's.
    pub(crate) fn url_for(&self, database_url: &str) -> String {
        let (user, rest) = database_url
            .split_once('@')
            .expect("a postgres:// URL with a user");
        let path = rest.split_once('/').map(|(_, path)| path).unwrap_or("");
        format!("{user}@{}/{path}", self.addr)
    }

    pub(crate) fn take_down(&self) {
        self.up.send_replace(false);
    }

    pub(crate) fn bring_back(&self) {
        self.up.send_replace(true);
    }
}
