//! A pool of SMTP connections, speaking through lettre's protocol client.
//!
//! Why not lettre's own pooled transport: it connects without `TCP_NODELAY` and writes a
//! message's body and its closing `.` in two writes, so Nagle's algorithm holds the second until
//! the server's delayed acknowledgement — 40 ms per message per connection on Linux, which
//! caps eight connections at about 200 mails a second (measured: 181/s against a local sink).
//! Here every connection has `TCP_NODELAY`, is opened by us and handed to lettre
//! (`connect_with_transport`), which then does EHLO, STARTTLS (rustls, from lettre), AUTH and the
//! mail transactions.

use lettre::address::Envelope;
use lettre::transport::smtp::authentication::{Credentials, Mechanism};
use lettre::transport::smtp::client::{AsyncSmtpConnection, TlsParameters};
use lettre::transport::smtp::extension::ClientId;
use lettre::transport::smtp::response::Response;
use std::time::Duration;
use tokio::sync::{Mutex, Semaphore};

/// How a connection is secured.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Security {
    /// Plain SMTP, for a relay on the same host or network.
    None,
    /// STARTTLS when the server offers it.
    Opportunistic,
    /// STARTTLS or fail.
    Required,
}

/// Where and how to send; read from `notifications.smtp_url`.
#[derive(Clone)]
pub struct Server {
    host: String,
    port: u16,
    security: Security,
    credentials: Option<Credentials>,
}

impl std::fmt::Debug for Server {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Never the credentials.
        write!(f, "smtp://{}:{} ({:?})", self.host, self.port, self.security)
    }
}

impl Server {
    /// Reads `smtp://[user:pass@]host[:port][?tls=required|opportunistic]`. The error never
    /// quotes the URL, which may hold a password.
    pub fn parse(text: &str) -> Result<Server, String> {
        let url = url::Url::parse(text).map_err(|e| format!("not a URL ({e})"))?;
        if url.scheme() != "smtp" {
            return Err(format!(
                "the scheme must be smtp (with ?tls=required for STARTTLS), not {:?}; implicit TLS (smtps, port 465) is not supported",
                url.scheme()
            ));
        }
        let host = url.host_str().filter(|h| !h.is_empty()).ok_or("the URL names no host")?.to_owned();
        let mut security = Security::None;
        for (key, value) in url.query_pairs() {
            match (key.as_ref(), value.as_ref()) {
                ("tls", "required") => security = Security::Required,
                ("tls", "opportunistic") => security = Security::Opportunistic,
                ("tls", "none") => security = Security::None,
                _ => return Err(format!("unknown parameter {key:?}; only tls=required|opportunistic|none")),
            }
        }
        let port = url.port().unwrap_or(if security == Security::None { 25 } else { 587 });
        let credentials = (!url.username().is_empty()).then(|| {
            Credentials::new(percent_decode(url.username()), percent_decode(url.password().unwrap_or_default()))
        });
        Ok(Server { host: host.trim_matches(['[', ']']).to_owned(), port, security, credentials })
    }
}

fn percent_decode(text: &str) -> String {
    percent_encoding::percent_decode_str(text).decode_utf8_lossy().into_owned()
}

/// Up to `size` connections to one server, kept open between mails.
pub struct Pool {
    server: Server,
    timeout: Duration,
    idle: Mutex<Vec<AsyncSmtpConnection>>,
    permits: Semaphore,
}

impl Pool {
    pub fn new(server: Server, size: u32, timeout: Duration) -> Pool {
        Pool { server, timeout, idle: Mutex::new(Vec::new()), permits: Semaphore::new(size.max(1) as usize) }
    }

    /// Connects, greets, secures and authenticates, all within the timeout: a server that
    /// stops answering at any step costs bounded time.
    async fn connect(&self) -> Result<AsyncSmtpConnection, SendError> {
        tokio::time::timeout(self.timeout, self.open()).await.map_err(|_| SendError::Timeout("connecting"))?
    }

    async fn open(&self) -> Result<AsyncSmtpConnection, SendError> {
        let address = (self.server.host.as_str(), self.server.port);
        let stream = tokio::net::TcpStream::connect(address).await.map_err(io_error)?;
        stream.set_nodelay(true).map_err(io_error)?;
        let hello = ClientId::Domain("localhost".into());
        let mut connection = AsyncSmtpConnection::connect_with_transport(Box::new(stream), &hello).await?;
        let starttls = match self.server.security {
            Security::None => false,
            Security::Opportunistic => connection.can_starttls(),
            Security::Required => true,
        };
        if starttls {
            let parameters = TlsParameters::new(self.server.host.clone())?;
            connection.starttls(parameters, &hello).await?;
        }
        if let Some(credentials) = &self.server.credentials {
            connection.auth(&[Mechanism::Plain, Mechanism::Login], credentials).await?;
        }
        Ok(connection)
    }

    /// Sends one message. A connection that was idle and turns out closed is replaced once.
    pub async fn send(&self, envelope: &Envelope, message: &[u8]) -> Result<Response, SendError> {
        let Ok(_permit) = self.permits.acquire().await else { return Err(io_error("the pool is closed")) };
        let reused = self.idle.lock().await.pop();
        let was_reused = reused.is_some();
        let mut connection = match reused {
            Some(connection) => connection,
            None => self.connect().await?,
        };
        let mut outcome = self.transact(&mut connection, envelope, message).await;
        if was_reused
            && outcome
                .as_ref()
                .is_err_and(|e| matches!(e, SendError::Smtp(_) | SendError::Connection(_)) && e.status().is_none())
        {
            // The server closed it while it waited: a fresh connection, once.
            connection = self.connect().await?;
            outcome = self.transact(&mut connection, envelope, message).await;
        }
        match &outcome {
            Ok(_) => self.idle.lock().await.push(connection),
            // After a refusal the connection is still in a clean state (the server answered).
            Err(e) if e.status().is_some() && !connection.has_broken() => self.idle.lock().await.push(connection),
            Err(_) => {}
        }
        outcome
    }

    async fn transact(
        &self,
        connection: &mut AsyncSmtpConnection,
        envelope: &Envelope,
        message: &[u8],
    ) -> Result<Response, SendError> {
        match tokio::time::timeout(self.timeout, connection.send(envelope, message)).await {
            Ok(outcome) => Ok(outcome?),
            // Not put back: dropping it closes the socket (a QUIT could hang on the same server).
            Err(_) => Err(SendError::Timeout("sending")),
        }
    }
}

/// Why a send failed.
#[derive(Debug, thiserror::Error)]
pub enum SendError {
    /// The server refused, or lettre's client failed.
    #[error("{0}")]
    Smtp(#[from] lettre::transport::smtp::Error),
    /// The connection could not be made or broke.
    #[error("{0}")]
    Connection(String),
    /// The server did not answer in time (`what` was under way).
    #[error("timed out {0}")]
    Timeout(&'static str),
}

impl SendError {
    /// The server's reply code, when it answered.
    pub fn status(&self) -> Option<u16> {
        match self {
            SendError::Smtp(e) => e.status().map(u16::from),
            SendError::Connection(_) | SendError::Timeout(_) => None,
        }
    }

    /// A 5xx reply: this mail will never be taken.
    pub fn is_permanent(&self) -> bool {
        matches!(self, SendError::Smtp(e) if e.is_permanent())
    }
}

fn io_error(error: impl std::fmt::Display) -> SendError {
    SendError::Connection(error.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls() {
        let cases: &[(&str, Result<&str, &str>)] = &[
            ("smtp://127.0.0.1:2525", Ok("smtp://127.0.0.1:2525 (None)")),
            ("smtp://relay.example.com", Ok("smtp://relay.example.com:25 (None)")),
            ("smtp://u:p%40ss@mail.example.com?tls=required", Ok("smtp://mail.example.com:587 (Required)")),
            ("smtp://mail.example.com:2587?tls=opportunistic", Ok("smtp://mail.example.com:2587 (Opportunistic)")),
            ("smtps://u:secret@mail.example.com", Err("the scheme must be smtp")),
            ("smtp://mail.example.com?tls=maybe", Err("unknown parameter")),
            ("not a url", Err("not a URL")),
        ];
        for (text, expected) in cases {
            match (Server::parse(text), expected) {
                (Ok(server), Ok(shown)) => assert_eq!(format!("{server:?}"), *shown, "{text}"),
                (Err(error), Err(start)) => {
                    assert!(error.starts_with(start), "{text}: {error}");
                    assert!(!error.contains("secret"), "the error quotes the password: {error}");
                }
                (got, _) => panic!("{text}: {:?}", got.map(|s| format!("{s:?}"))),
            }
        }
        let server = Server::parse("smtp://psirt%40example.com:p%40ss+word@mail.example.com?tls=required").unwrap();
        assert_eq!(server.credentials, Some(Credentials::new("psirt@example.com".into(), "p@ss+word".into())));
    }
}
