//! A small axum app on a free loopback port, served from a thread of its own, so that it
//! outlives (or does without) the test's runtime. Shared by tests/manifests.rs and tests/otel.rs.

/// Serves `app` on 127.0.0.1 in a new thread; the port.
pub(crate) fn serve_in_thread(app: axum::Router) -> u16 {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let port = listener.local_addr().expect("addr").port();
    listener.set_nonblocking(true).expect("nonblocking");
    std::thread::spawn(move || {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("runtime");
        runtime.block_on(async move {
            let listener = tokio::net::TcpListener::from_std(listener).expect("listener");
            let _ = axum::serve(listener, app).await;
        });
    });
    port
}
