//! `serve --tls-cert --tls-key`: HTTPS with rustls (the `ring` provider), so that passwords and
//! personal data do not cross a desk's network in clear.

use std::net::SocketAddr;
use std::path::Path;
use std::time::Duration;

use anyhow::{Context as _, Result};
use axum::Router;
use axum_server::tls_rustls::RustlsConfig;

pub async fn serve(
    listen: SocketAddr,
    cert: &Path,
    key: &Path,
    app: Router,
    announce: fn(&str, SocketAddr),
) -> Result<()> {
    // One provider for the process; a second install is refused harmlessly. `ring` rather than
    // aws-lc-rs (which builds with cmake); rustls marks it deprecated for its lack of
    // post-quantum key exchange, which the desk's LAN clients do not offer anyway.
    #[allow(deprecated)]
    let provider = rustls::crypto::ring::default_provider();
    let _ = provider.install_default();
    let config = RustlsConfig::from_pem_file(cert, key)
        .await
        .with_context(|| {
            format!(
                "cannot read the TLS certificate {} and key {}",
                cert.display(),
                key.display()
            )
        })?;
    let handle = axum_server::Handle::new();
    let shutdown = handle.clone();
    tokio::spawn(async move {
        crate::cli::shutdown_signal().await;
        shutdown.graceful_shutdown(Some(Duration::from_secs(10)));
    });
    let listening = handle.clone();
    tokio::spawn(async move {
        if let Some(local) = listening.listening().await {
            announce("https", local);
        }
    });
    axum_server::bind_rustls(listen, config)
        .handle(handle)
        .serve(app.into_make_service())
        .await
        .with_context(|| format!("cannot serve HTTPS on {listen}"))
}
