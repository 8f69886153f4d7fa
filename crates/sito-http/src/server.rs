//! The accept loop. `axum::serve` sets no header-read timeout, so a slow client could hold connections open
//! forever (slowloris); hyper-util's builder with a timer closes them.
use std::convert::Infallible;
use std::time::Duration;

use axum::Router;
use axum::extract::ConnectInfo;
use axum::http::Request;
use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use hyper_util::server::conn::auto::Builder;
use hyper_util::service::TowerToHyperService;
use tokio::net::TcpListener;
use tower::ServiceExt;

/// Serves `app` on `listener` until the future `shutdown` completes. Requests carry no trace of the peer: the
/// applicants' intake must not be able to tell its visitors apart (DESIGN.md).
pub async fn serve(
    listener: TcpListener,
    app: Router,
    shutdown: impl std::future::Future<Output = ()>,
) {
    accept_loop(listener, app, shutdown, false).await;
}

/// As `serve`, but every request carries its peer's address as `ConnectInfo<SocketAddr>`, for the staff site's
/// per-address sign-in limits. The address is never logged.
pub async fn serve_with_peers(
    listener: TcpListener,
    app: Router,
    shutdown: impl std::future::Future<Output = ()>,
) {
    accept_loop(listener, app, shutdown, true).await;
}

async fn accept_loop(
    listener: TcpListener,
    app: Router,
    shutdown: impl std::future::Future<Output = ()>,
    with_peers: bool,
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
        let Ok((stream, peer)) = accepted else {
            // Out of file descriptors and similar: back off briefly rather than spin. No peer address is logged.
            tokio::time::sleep(Duration::from_millis(50)).await;
            continue;
        };
        let peer = with_peers.then_some(ConnectInfo(peer));
        let service = TowerToHyperService::new(app.clone().into_service().map_request(
            move |mut request: Request<hyper::body::Incoming>| {
                if let Some(peer) = peer {
                    request.extensions_mut().insert(peer);
                }
                request
            },
        ));
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
