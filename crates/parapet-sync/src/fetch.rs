//! Getting bytes from a source: HTTP with bounded time, size, redirects and retries, or the local
//! file system for folder and file sources.

use futures_util::StreamExt;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::Duration;

/// Limits of every request a sync makes.
#[derive(Debug, Clone)]
pub struct FetchOptions {
    /// To connect.
    pub connect_timeout: Duration,
    /// Between two reads of the body: a server that stalls is given up on.
    pub read_timeout: Duration,
    /// For a whole request of a document (not of a database download).
    pub request_timeout: Duration,
    /// Redirects followed before a request fails (a redirect loop ends here).
    pub max_redirects: usize,
    /// Tries after the first one, for connection errors, timeouts, 429 and 5xx answers.
    pub retries: u32,
    /// The first wait before a retry; it doubles each time.
    pub backoff: Duration,
    pub user_agent: String,
}

impl Default for FetchOptions {
    fn default() -> Self {
        FetchOptions {
            connect_timeout: Duration::from_secs(10),
            read_timeout: Duration::from_secs(30),
            request_timeout: Duration::from_secs(120),
            max_redirects: 5,
            retries: 3,
            backoff: Duration::from_millis(500),
            user_agent: format!("parapet/{}", env!("CARGO_PKG_VERSION")),
        }
    }
}

/// Why a fetch failed, naming the URL.
#[derive(Debug, Clone, thiserror::Error)]
pub enum FetchError {
    #[error("{url}: HTTP {status}")]
    Status { url: String, status: u16 },
    #[error("{url}: larger than the limit of {limit} bytes")]
    TooLarge { url: String, limit: u64 },
    #[error("{url}: too many redirects (a redirect loop?)")]
    Redirects { url: String },
    #[error("{url}: timed out ({reason})")]
    Timeout { url: String, reason: String },
    #[error("{url}: {reason}")]
    Transport { url: String, reason: String },
    #[error("{path}: {reason}")]
    File { path: String, reason: String },
}

impl FetchError {
    /// Whether trying again may help.
    fn is_transient(&self) -> bool {
        match self {
            FetchError::Status { status, .. } => *status == 429 || *status >= 500,
            FetchError::Timeout { .. } | FetchError::Transport { .. } => true,
            _ => false,
        }
    }
}

/// Fetches over HTTP(S) with rustls, or reads local files.
#[derive(Clone)]
pub struct Fetcher {
    client: reqwest::Client,
    options: FetchOptions,
}

impl Fetcher {
    pub fn new(options: FetchOptions) -> Result<Fetcher, FetchError> {
        let max = options.max_redirects;
        let client = reqwest::Client::builder()
            .connect_timeout(options.connect_timeout)
            .read_timeout(options.read_timeout)
            .redirect(reqwest::redirect::Policy::limited(max))
            .user_agent(options.user_agent.clone())
            .build()
            .map_err(|e| FetchError::Transport { url: String::new(), reason: e.to_string() })?;
        Ok(Fetcher { client, options })
    }

    pub fn options(&self) -> &FetchOptions {
        &self.options
    }

    /// The body of `url`, at most `limit` bytes, retrying transient failures.
    pub async fn get(&self, url: &str, limit: u64) -> Result<Vec<u8>, FetchError> {
        self.get_optional(url, limit).await?.ok_or_else(|| FetchError::Status { url: url.to_owned(), status: 404 })
    }

    /// Like [`Fetcher::get`], but a missing resource (404, 410, or a missing file) is `None`.
    pub async fn get_optional(&self, url: &str, limit: u64) -> Result<Option<Vec<u8>>, FetchError> {
        if !crate::is_http(url) {
            return read_file(&local_path(url), limit);
        }
        self.with_retries(url, || async {
            let Some(response) = self.send(url, self.options.request_timeout).await? else { return Ok(None) };
            let mut body = Vec::new();
            collect(url, response, limit, &mut body).await?;
            Ok(Some(body))
        })
        .await
    }

    /// The answer to a GET of `url` with its final URL (after redirects) and headers, or `None`
    /// when it is missing; the body is read up to `limit`.
    pub async fn get_response(&self, url: &str, limit: u64) -> Result<Option<Fetched>, FetchError> {
        self.with_retries(url, || async {
            let Some(response) = self.send(url, self.options.request_timeout).await? else { return Ok(None) };
            let final_url = response.url().to_string();
            let content_type = header(&response, reqwest::header::CONTENT_TYPE);
            let mut body = Vec::new();
            collect(url, response, limit, &mut body).await?;
            Ok(Some(Fetched { final_url, content_type, body }))
        })
        .await
    }

    /// Streams `url` into a temporary file (a database download that does not fit memory
    /// comfortably), at most `limit` bytes. A local path is used in place.
    pub async fn download(&self, url: &str, limit: u64) -> Result<Download, FetchError> {
        if !crate::is_http(url) {
            return Ok(Download::Local(local_path(url)));
        }
        self.with_retries(url, || async {
            let response =
                self.send(url, Duration::MAX).await?.ok_or(FetchError::Status { url: url.to_owned(), status: 404 })?;
            let file = tempfile::NamedTempFile::new()
                .map_err(|e| FetchError::File { path: "temporary file".to_owned(), reason: e.to_string() })?;
            let mut writer = std::io::BufWriter::new(file);
            let mut stream = response.bytes_stream();
            let mut total = 0u64;
            while let Some(chunk) = stream.next().await {
                let chunk = chunk.map_err(|e| transport(url, &e))?;
                total += chunk.len() as u64;
                if total > limit {
                    return Err(FetchError::TooLarge { url: url.to_owned(), limit });
                }
                writer
                    .write_all(&chunk)
                    .map_err(|e| FetchError::File { path: "temporary file".to_owned(), reason: e.to_string() })?;
            }
            let file = writer
                .into_inner()
                .map_err(|e| FetchError::File { path: "temporary file".to_owned(), reason: e.to_string() })?;
            Ok(Download::Temporary(file))
        })
        .await
    }

    async fn send(&self, url: &str, timeout: Duration) -> Result<Option<reqwest::Response>, FetchError> {
        let mut request = self.client.get(url);
        if timeout != Duration::MAX {
            request = request.timeout(timeout);
        }
        let response = request.send().await.map_err(|e| transport(url, &e))?;
        let status = response.status();
        if status == reqwest::StatusCode::NOT_FOUND || status == reqwest::StatusCode::GONE {
            return Ok(None);
        }
        if !status.is_success() {
            return Err(FetchError::Status { url: url.to_owned(), status: status.as_u16() });
        }
        Ok(Some(response))
    }

    async fn with_retries<T, F, Fut>(&self, url: &str, attempt: F) -> Result<T, FetchError>
    where
        F: Fn() -> Fut,
        Fut: std::future::Future<Output = Result<T, FetchError>>,
    {
        let mut wait = self.options.backoff;
        let mut tries = 0;
        loop {
            match attempt().await {
                Err(e) if e.is_transient() && tries < self.options.retries => {
                    tries += 1;
                    tracing::debug!(url, error = %e, tries, "retrying");
                    tokio::time::sleep(wait).await;
                    wait = wait.saturating_mul(2);
                }
                result => return result,
            }
        }
    }
}

/// A fetched resource with what `csaf check` looks at besides the body.
#[derive(Debug, Clone)]
pub struct Fetched {
    pub final_url: String,
    pub content_type: Option<String>,
    pub body: Vec<u8>,
}

/// A downloaded file: temporary (removed when dropped) or a local file used in place.
pub enum Download {
    Temporary(tempfile::NamedTempFile),
    Local(PathBuf),
}

impl Download {
    pub fn path(&self) -> &Path {
        match self {
            Download::Temporary(file) => file.path(),
            Download::Local(path) => path,
        }
    }
}

fn header(response: &reqwest::Response, name: reqwest::header::HeaderName) -> Option<String> {
    response.headers().get(name).and_then(|v| v.to_str().ok()).map(str::to_owned)
}

async fn collect(url: &str, response: reqwest::Response, limit: u64, body: &mut Vec<u8>) -> Result<(), FetchError> {
    if response.content_length().is_some_and(|length| length > limit) {
        return Err(FetchError::TooLarge { url: url.to_owned(), limit });
    }
    let mut stream = response.bytes_stream();
    while let Some(chunk) = stream.next().await {
        let chunk = chunk.map_err(|e| transport(url, &e))?;
        if body.len() as u64 + chunk.len() as u64 > limit {
            return Err(FetchError::TooLarge { url: url.to_owned(), limit });
        }
        body.extend_from_slice(&chunk);
    }
    Ok(())
}

fn transport(url: &str, error: &reqwest::Error) -> FetchError {
    let url = url.to_owned();
    if error.is_redirect() {
        // reqwest stops at the policy's limit; the loop is the usual cause.
        return FetchError::Redirects { url };
    }
    // The innermost cause says what happened (connection refused, body cut short…).
    let mut reason = error.to_string();
    let mut source = std::error::Error::source(error);
    while let Some(inner) = source {
        reason = inner.to_string();
        source = inner.source();
    }
    if error.is_timeout() { FetchError::Timeout { url, reason } } else { FetchError::Transport { url, reason } }
}

/// A local path from a `file://` URL or a plain path.
pub fn local_path(url: &str) -> PathBuf {
    PathBuf::from(url.strip_prefix("file://").unwrap_or(url))
}

fn read_file(path: &Path, limit: u64) -> Result<Option<Vec<u8>>, FetchError> {
    let error = |e: std::io::Error| FetchError::File { path: path.display().to_string(), reason: e.to_string() };
    let metadata = match std::fs::metadata(path) {
        Ok(metadata) => metadata,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(error(e)),
    };
    if metadata.len() > limit {
        return Err(FetchError::TooLarge { url: path.display().to_string(), limit });
    }
    std::fs::read(path).map(Some).map_err(error)
}
