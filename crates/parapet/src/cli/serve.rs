//! `parapet serve`: run the server until Ctrl-C or SIGTERM.

use anyhow::Context;
use clap::Args;
use parapet_model::Role;
use parapet_server::AppState;
use std::net::SocketAddr;
use std::process::ExitCode;
use time::{Duration, OffsetDateTime};

#[derive(Args, Debug)]
pub struct ServeArgs {
    /// Address to listen on [default: 127.0.0.1:8080, or server.listen from the configuration].
    #[arg(long, value_name = "ADDR")]
    listen: Option<SocketAddr>,
    #[command(flatten)]
    data: super::DataArgs,
}

pub fn run(args: ServeArgs) -> anyhow::Result<ExitCode> {
    let mut settings = args.data.settings()?;
    args.data.ensure_key_passphrase(&mut settings)?;
    let public_url_is_default =
        settings.server.public_url == parapet_server::config::ServerSettings::default().public_url;
    if let Some(listen) = args.listen {
        settings.server.listen = listen;
    }
    init_logging(&settings.server.log_format);
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build()?;
    runtime.block_on(async move {
        let store = args.data.open(&settings).await?;
        let listener = tokio::net::TcpListener::bind(settings.server.listen)
            .await
            .with_context(|| format!("cannot listen on {}", settings.server.listen))?;
        let address = listener.local_addr()?;
        // Links follow the bound address (port 0 picks a free one) unless the configuration names a public one.
        if args.listen.is_some() && public_url_is_default {
            settings.server.public_url = format!("http://{address}");
        }
        first_start(&store, &settings).await?;
        tracing::info!(%address, database = store.backend().name(), "parapet is listening");
        eprintln!("parapet {} listening on http://{address}", env!("CARGO_PKG_VERSION"));
        let state = AppState::new(store.clone(), settings);
        parapet_server::serve(state, listener, shutdown_signal()).await?;
        store.close().await;
        tracing::info!("stopped");
        Ok(ExitCode::SUCCESS)
    })
}

/// On an empty store, create the first administrator, or print a one-time setup link.
async fn first_start(store: &parapet_store::Store, settings: &parapet_server::Settings) -> anyhow::Result<()> {
    if store.user_count().await? > 0 {
        return Ok(());
    }
    match std::env::var("PARAPET_ADMIN_PASSWORD") {
        Ok(password) => {
            parapet_server::auth::check_password(&password)
                .map_err(|e| anyhow::anyhow!("PARAPET_ADMIN_PASSWORD: {}", e.message))?;
            let hash = parapet_server::auth::hash_password(password).await.map_err(|e| anyhow::anyhow!(e.message))?;
            store.create_user("setup", "admin", Role::Admin, Some(&hash)).await?;
            eprintln!("created the administrator \"admin\" with the password from PARAPET_ADMIN_PASSWORD");
        }
        Err(_) => {
            let token = parapet_server::auth::new_secret();
            store
                .create_setup_token(
                    &parapet_server::auth::digest(&token),
                    OffsetDateTime::now_utc() + Duration::hours(24),
                )
                .await?;
            let url = format!("{}/setup/{token}", settings.server.public_url.trim_end_matches('/'));
            // Printed, not logged: the link is a secret.
            eprintln!("No users yet. Create the first administrator within 24 hours at:\n\n    {url}\n");
        }
    }
    Ok(())
}

fn init_logging(format: &str) {
    let filter = tracing_subscriber::EnvFilter::try_from_env("PARAPET_LOG").unwrap_or_else(|_| "info,sqlx=warn".into());
    let builder = tracing_subscriber::fmt().with_env_filter(filter).with_writer(std::io::stderr);
    if format == "json" {
        builder.json().init();
    } else {
        builder.with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr())).init();
    }
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {},
        _ = terminate => {},
    }
    tracing::info!("shutting down");
}
