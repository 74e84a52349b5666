//! The server's integration tests: most drive the router in process; a few start the real
//! server on a loopback port and talk to it over the network (and one drives Chromium).

mod advance;
mod api;
mod audit;
mod browser;
mod catalog;
mod embargo;
mod feeds;
mod fleet;
mod harden;
mod malware;
mod pages;
mod parity;
mod publishing;
mod rollout;
mod smtp;
mod subscriptions;
mod templates;
mod webhooks;

use axum::Router;
use axum::body::Body;
use axum::http::{HeaderMap, Method, Request, StatusCode, header};
use http_body_util::BodyExt;
use parapet_model::Role;
use parapet_server::{AppState, Settings};
use parapet_store::Store;
use tower::ServiceExt;

pub const PASSWORD: &str = "correct horse battery";

/// A server state on a fresh SQLite database, with its router.
pub struct TestApp {
    pub state: AppState,
    pub router: Router,
    _dir: tempfile::TempDir,
}

/// What came back from a request.
#[derive(Debug)]
pub struct Reply {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: Vec<u8>,
}

impl Reply {
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_slice(&self.body).unwrap_or_else(|e| panic!("not JSON ({e}): {}", self.text()))
    }
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }
}

impl TestApp {
    pub async fn new() -> TestApp {
        TestApp::with(|_| {}).await
    }

    pub async fn with(configure: impl FnOnce(&mut Settings)) -> TestApp {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(&Store::sqlite_url(dir.path())).await.unwrap();
        let mut settings = Settings::default();
        settings.auth.secure_cookies = false;
        settings.publisher.key_passphrase = parapet_server::config::Secret::new("test passphrase");
        configure(&mut settings);
        let state = AppState::new(store, settings);
        let router = parapet_server::app(state.clone());
        TestApp { state, router, _dir: dir }
    }

    /// The same application on another clock.
    pub fn on_clock(self, clock: std::sync::Arc<dyn parapet_server::releases::Clock>) -> TestApp {
        let state = self.state.with_clock(clock);
        let router = parapet_server::app(state.clone());
        TestApp { state, router, _dir: self._dir }
    }

    /// Creates a user with [`PASSWORD`] and returns an API token for them.
    pub async fn user(&self, name: &str, role: Role) -> String {
        let hash = parapet_server::auth::hash_password(PASSWORD.into()).await.unwrap();
        let user = self.state.store.create_user("test", name, role, Some(&hash)).await.unwrap();
        let token = parapet_server::auth::new_api_token();
        let scopes = [parapet_model::Scope::Read, parapet_model::Scope::Write];
        self.state
            .store
            .create_token("test", user.id, "test", &parapet_server::auth::digest(&token), &scopes)
            .await
            .unwrap();
        token
    }

    pub async fn send(&self, request: Request<Body>) -> Reply {
        let response = self.router.clone().oneshot(request).await.unwrap();
        let status = response.status();
        let headers = response.headers().clone();
        let body = response.into_body().collect().await.unwrap().to_bytes().to_vec();
        Reply { status, headers, body }
    }

    /// A JSON request, with a bearer token when given.
    pub async fn call(&self, method: Method, uri: &str, token: Option<&str>, body: Option<serde_json::Value>) -> Reply {
        let mut request = Request::builder().method(method).uri(uri);
        if let Some(token) = token {
            request = request.header(header::AUTHORIZATION, format!("Bearer {token}"));
        }
        let body = match body {
            Some(json) => {
                request = request.header(header::CONTENT_TYPE, "application/json");
                Body::from(json.to_string())
            }
            None => Body::empty(),
        };
        self.send(request.body(body).unwrap()).await
    }

    pub async fn get(&self, uri: &str, token: Option<&str>) -> Reply {
        self.call(Method::GET, uri, token, None).await
    }

    pub async fn post(&self, uri: &str, token: Option<&str>, body: serde_json::Value) -> Reply {
        self.call(Method::POST, uri, token, Some(body)).await
    }

    /// Files a report through the public API; returns the tracking token.
    pub async fn report(&self, title: &str) -> String {
        let reply = self
            .post("/api/v1/reports", None, serde_json::json!({"title": title, "description": "steps to reproduce"}))
            .await;
        assert_eq!(reply.status, StatusCode::CREATED, "{}", reply.text());
        reply.json()["tracking_token"].as_str().unwrap().to_owned()
    }

    /// Publishes a post "hello" and fails its first webhook delivery with an HTTP 500, for good
    /// (no retry): a dead letter for the pages and the audit to show. Returns the delivery.
    pub async fn dead_delivery(&self, publisher: &str) -> parapet_store::ClaimedDelivery {
        let post = serde_json::json!({"title": "Hello", "summary": "S", "body": "B"});
        assert_eq!(self.post("/api/v1/posts", Some(publisher), post).await.status, StatusCode::CREATED);
        self.post("/api/v1/posts/hello/publish", Some(publisher), serde_json::json!({})).await;
        while self.state.store.fan_out(100).await.unwrap().is_some() {}
        let mut claimed = self.state.store.claim_deliveries("test", 10, 60_000).await.unwrap();
        let failed = parapet_store::Attempt::Failed {
            retry_at: None,
            status_code: Some(500),
            error: "HTTP 500".into(),
            duration_ms: 3,
        };
        self.state.store.record_attempt("test", &claimed[0], &failed, 1).await.unwrap();
        claimed.swap_remove(0)
    }
}

/// The real server on a loopback port, stopped on drop.
pub struct Running {
    pub base: String,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
}

impl Drop for Running {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
    }
}

pub async fn spawn(app: &TestApp) -> Running {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let state = app.state.clone();
    tokio::spawn(async move {
        parapet_server::serve(state, listener, async {
            let _ = stopped.await;
        })
        .await
        .unwrap();
    });
    Running { base, stop: Some(stop) }
}

/// The value of `name` in the reply's Set-Cookie headers.
pub fn set_cookie(reply: &Reply, name: &str) -> Option<String> {
    reply
        .headers
        .get_all(header::SET_COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find_map(|v| v.strip_prefix(&format!("{name}=")).map(|rest| rest.split(';').next().unwrap().to_owned()))
}

pub fn form(uri: &str, cookie: &str, body: &str) -> Request<Body> {
    Request::builder()
        .method("POST")
        .uri(uri)
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .header(header::COOKIE, cookie)
        .body(Body::from(body.to_owned()))
        .unwrap()
}

pub fn page(uri: &str, cookie: &str) -> Request<Body> {
    Request::builder().uri(uri).header(header::COOKIE, cookie).body(Body::empty()).unwrap()
}

/// The hidden CSRF field of a rendered form.
pub fn csrf_field(html: &str) -> String {
    let start = html.find("name=\"csrf\" value=\"").expect("a CSRF field") + "name=\"csrf\" value=\"".len();
    html[start..].split('"').next().unwrap().to_owned()
}

/// Signs in through the form; returns the session cookie header value.
pub async fn sign_in(app: &TestApp, name: &str, password: &str) -> Result<String, Reply> {
    let login = app.get("/login", None).await;
    let login_csrf = set_cookie(&login, "parapet_login_csrf").unwrap();
    let body = format!("name={name}&password={}&csrf={login_csrf}&next=/cases", password.replace(' ', "+"));
    let reply = app.send(form("/login", &format!("parapet_login_csrf={login_csrf}"), &body)).await;
    match set_cookie(&reply, "parapet_session") {
        Some(session) if reply.status == StatusCode::SEE_OTHER => Ok(format!("parapet_session={session}")),
        _ => Err(reply),
    }
}
