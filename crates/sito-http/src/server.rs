//! The accept loop. `axum::serve` sets no header-read timeout, so a slow client could hold connections open
//! forever (slowloris); hyper-util's builder with a timer closes them.
use std::convert::Infallible;
use std::time::Duration;

use axum::Router;
use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use hyper_util::server::conn::auto::Builder;
use hyper_util::service::TowerToHyperService;
use tokio::net::TcpListener;

/// Serves `app` on `listener` until the future `shutdown` completes.
pub async fn serve(
    listener: TcpListener,
    app: Router,
    shutdown: impl std::future::Future<Output = ()>,
) {
    let mut builder = Builder::new(TokioExecutor::new());
    builder
        .http1()
        .timer(TokioTimer::new())
        .header_read_timeout(Duration::from_secs(10))
        .keep_alive(true);
    tokio::pin!(shutdown);
    loop {
        let accepted = tokio::select! {
            accepted = listener.accept() => accepted,
            () = &mut shutdown => return,
        };
        let Ok((stream, _peer)) = accepted else {
            // Out of file descriptors and similar: back off briefly rather than spin. No peer address is logged.
            tokio::time::sleep(Duration::from_millis(50)).await;
            continue;
        };
        let service = TowerToHyperService::new(app.clone().into_service::<hyper::body::Incoming>());
        let builder = builder.clone();
        tokio::spawn(async move {
            let _: Result<(), Infallible> = {
                let _ = builder
                    .serve_connection(TokioIo::new(stream), service)
                    .await;
                Ok(())
            };
        });
    }
}
