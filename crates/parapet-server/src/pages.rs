//! The web console and the public pages: server-rendered HTML that works without JavaScript
//! (the one script, the document editor's live check, only adds to a page that works without it).
//!
//! Templates are compiled into the binary and auto-escaped (minijinja escapes `.html`
//! templates). Forms carry the session's CSRF token; the sign-in form uses a double-submit
//! cookie because it has no session yet.

use axum::Router;
use axum::extract::{Form, Multipart, Path, Query, State};
use axum::http::{StatusCode, header};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use minijinja::{Environment, Value, context};
use parapet_model::{
    AffectedInput, Case, CaseDraft, CaseFields, CaseState, ExploitabilityIndex, MessageVisibility, Permission,
    ProductInput, Role, Scope, Severity, VersionInput,
};
use parapet_store::{AuditEntry, NewCase};
use serde::Deserialize;
use std::collections::HashMap;
use time::{Duration, OffsetDateTime};

use crate::api::{self, AuditParams, CaseListParams, parse_id};
use crate::auth::{self, Caller};
use crate::error::ApiError;
use crate::intake::ReportInput;
use crate::state::AppState;

const TEMPLATES: &[(&str, &str)] = &[
    ("base.html", include_str!("../templates/base.html")),
    ("error.html", include_str!("../templates/error.html")),
    ("login.html", include_str!("../templates/login.html")),
    ("setup.html", include_str!("../templates/setup.html")),
    ("dashboard.html", include_str!("../templates/dashboard.html")),
    ("cases.html", include_str!("../templates/cases.html")),
    ("case_form.html", include_str!("../templates/case_form.html")),
    ("case_new.html", include_str!("../templates/case_new.html")),
    ("case.html", include_str!("../templates/case.html")),
    ("products.html", include_str!("../templates/products.html")),
    ("users.html", include_str!("../templates/users.html")),
    ("audit.html", include_str!("../templates/audit.html")),
    ("report.html", include_str!("../templates/report.html")),
    ("report_done.html", include_str!("../templates/report_done.html")),
    ("track.html", include_str!("../templates/track.html")),
    ("policy.html", include_str!("../templates/policy.html")),
    ("guide.html", include_str!("../templates/guide.html")),
    ("document.html", include_str!("../templates/document.html")),
    ("cve.html", include_str!("../templates/cve.html")),
    ("releases.html", include_str!("../templates/releases.html")),
    ("release.html", include_str!("../templates/release.html")),
    ("documents.html", include_str!("../templates/documents.html")),
    ("document_edit.html", include_str!("../templates/document_edit.html")),
    ("catalog.html", include_str!("../templates/catalog.html")),
    ("catalog_entry.html", include_str!("../templates/catalog_entry.html")),
    ("sources.html", include_str!("../templates/sources.html")),
    ("source.html", include_str!("../templates/source.html")),
    ("blog.html", include_str!("../templates/blog.html")),
    ("post.html", include_str!("../templates/post.html")),
    ("briefings.html", include_str!("../templates/briefings.html")),
    ("advance.html", include_str!("../templates/advance.html")),
    ("subscribe.html", include_str!("../templates/subscribe.html")),
    ("subscribe_preferences.html", include_str!("../templates/subscribe_preferences.html")),
    ("notifications.html", include_str!("../templates/notifications.html")),
    ("delivery_log.html", include_str!("../templates/delivery_log.html")),
    ("subscribers.html", include_str!("../templates/subscribers.html")),
    ("email/message.txt", include_str!("../templates/email/message.txt")),
    ("email/message.html", include_str!("../templates/email/message.html")),
];

pub struct Templates {
    env: Environment<'static>,
}

impl Templates {
    pub fn new() -> Templates {
        let mut env = Environment::new();
        // An absent value renders as nothing, not as "none", so optional fields show empty.
        env.set_formatter(|out, state, value| {
            if value.is_none() || value.is_undefined() {
                Ok(())
            } else {
                minijinja::escape_formatter(out, state, value)
            }
        });
        for (name, source) in TEMPLATES {
            env.add_template(name, source).expect("templates compile");
        }
        Templates { env }
    }

    pub fn render(&self, name: &str, ctx: Value) -> Result<String, ApiError> {
        self.try_render(name, ctx).map_err(ApiError::internal)
    }

    pub fn try_render(&self, name: &str, ctx: Value) -> Result<String, minijinja::Error> {
        self.env.get_template(name).and_then(|t| t.render(ctx))
    }
}

impl Default for Templates {
    fn default() -> Self {
        Templates::new()
    }
}

/// An error shown as a page. Anonymous callers are sent to sign in instead of seeing a 401.
pub struct PageError(ApiError);

impl From<ApiError> for PageError {
    fn from(e: ApiError) -> Self {
        PageError(e)
    }
}

impl From<parapet_store::StoreError> for PageError {
    fn from(e: parapet_store::StoreError) -> Self {
        PageError(e.into())
    }
}

impl From<parapet_model::FieldError> for PageError {
    fn from(e: parapet_model::FieldError) -> Self {
        PageError(e.into())
    }
}

/// An error waiting to be rendered by [`render_errors`], which knows who is signed in.
#[derive(Clone)]
struct ErrorPage {
    status: StatusCode,
    message: String,
    field: Option<String>,
}

impl IntoResponse for PageError {
    fn into_response(self) -> Response {
        let PageError(error) = self;
        error.log();
        if error.status == StatusCode::UNAUTHORIZED {
            return Redirect::to("/login").into_response();
        }
        let mut response = (error.status, error.message.clone()).into_response();
        response.extensions_mut().insert(ErrorPage {
            status: error.status,
            message: error.message,
            field: error.field,
        });
        response
    }
}

/// Renders page errors in the console's layout, with the caller's header and navigation.
pub(crate) async fn render_errors(
    State(state): State<AppState>,
    request: axum::extract::Request,
    next: axum::middleware::Next,
) -> Response {
    let (parts, body) = request.into_parts();
    let mut saved = axum::http::Request::builder()
        .method(parts.method.clone())
        .uri(parts.uri.clone())
        .body(())
        .unwrap_or_default()
        .into_parts()
        .0;
    saved.headers = parts.headers.clone();
    let response = next.run(axum::extract::Request::from_parts(parts, body)).await;
    let Some(error) = response.extensions().get::<ErrorPage>().cloned() else { return response };
    use axum::extract::FromRequestParts;
    let caller = Caller::from_request_parts(&mut saved, &state).await.unwrap_or_else(|_| Caller::anonymous());
    let heading = match error.status {
        StatusCode::NOT_FOUND => "Not found",
        StatusCode::FORBIDDEN => "Not allowed",
        StatusCode::TOO_MANY_REQUESTS => "Slow down",
        s if s.is_client_error() => "That did not work",
        _ => "Something went wrong",
    };
    let ctx = context! { heading, message => error.message, field => error.field };
    match page(&state, &caller, "error.html", heading, "", ctx) {
        Ok(mut page) => {
            *page.status_mut() = error.status;
            page
        }
        Err(_) => response,
    }
}

pub(crate) type PageResult = Result<Response, PageError>;

pub fn routes(state: &AppState) -> Router<AppState> {
    Router::new()
        .route("/", get(home))
        .route("/static/style.css", get(stylesheet))
        .route("/login", get(login_page).post(login))
        .route("/logout", post(logout))
        .route("/setup/{token}", get(setup_page).post(setup))
        .route("/dashboard", get(dashboard))
        .route("/cases", get(cases))
        .route("/cases/new", get(new_case_page).post(new_case))
        .route("/cases/{id}", get(case_page))
        .route("/cases/{id}/edit", post(edit_case))
        .route("/cases/{id}/transition", post(transition))
        .route("/cases/{id}/cve", post(assign_cve))
        .route("/cases/{id}/messages", post(add_message))
        .route("/cases/{id}/attachments", post(upload))
        .route("/cases/{id}/attachments/{attachment}", get(download))
        .route("/products", get(products).post(add_product))
        .route("/products/{id}/versions", post(add_version))
        .route("/users", get(users).post(add_user))
        .route("/users/{id}", post(change_user))
        .route("/tokens", post(create_token))
        .route("/tokens/{id}/revoke", post(revoke_token))
        .route("/audit", get(audit))
        .route("/audit.csv", get(audit_csv))
        .route("/report", get(report_page).post(report))
        .route("/track/{token}", get(track_page))
        .route("/track/{token}/messages", post(track_message))
        .route("/policy", get(policy))
        .layer(axum::middleware::from_fn_with_state(state.clone(), render_errors))
}

pub(crate) fn fmt_time(t: OffsetDateTime) -> String {
    t.format(&time::macros::format_description!("[year]-[month]-[day] [hour]:[minute] UTC")).unwrap_or_default()
}

/// Renders a page with what every page needs: the signed-in user and the CSRF token.
pub(crate) fn page(
    state: &AppState,
    caller: &Caller,
    template: &str,
    title: &str,
    nav: &str,
    ctx: Value,
) -> PageResult {
    let base = context! {
        title,
        nav,
        me => caller.user.as_ref().map(|u| context! { name => u.name, role => u.role.as_str() }),
        csrf => caller.csrf,
        can_audit => caller.viewer.can(Permission::ViewAudit),
        version => env!("CARGO_PKG_VERSION"),
    };
    let html = state.templates.render(template, context! { ..ctx, ..base })?;
    Ok(Html(html).into_response())
}

pub(crate) fn signed_in(caller: &Caller) -> Result<(), PageError> {
    if caller.is_signed_in() { Ok(()) } else { Err(ApiError::unauthenticated().into()) }
}

fn options<T: Copy>(items: &[T], value: impl Fn(T) -> &'static str, label: impl Fn(T) -> &'static str) -> Vec<Value> {
    items.iter().map(|i| context! { value => value(*i), label => label(*i) }).collect()
}

pub(crate) fn severity_options() -> Vec<Value> {
    options(&Severity::ALL, Severity::as_str, Severity::label)
}

async fn home(caller: Caller) -> Redirect {
    Redirect::to(if caller.is_signed_in() { "/dashboard" } else { "/report" })
}

async fn stylesheet() -> impl IntoResponse {
    (
        [(header::CONTENT_TYPE, "text/css; charset=utf-8"), (header::CACHE_CONTROL, "public, max-age=3600")],
        include_str!("../static/style.css"),
    )
}

// ---- sign-in ----

#[derive(Deserialize, Default)]
struct LoginQuery {
    next: Option<String>,
}

fn login_csrf_cookie(state: &AppState, value: &str) -> String {
    let secure = if state.settings.auth.secure_cookies { "; Secure" } else { "" };
    format!("{}={value}; Path=/login; HttpOnly; SameSite=Strict; Max-Age=3600{secure}", auth::LOGIN_CSRF_COOKIE)
}

fn login_form(state: &AppState, name: &str, next: &str, error: Option<&str>, status: StatusCode) -> PageResult {
    let token = auth::new_secret();
    let ctx = context! { login_csrf => token, name, next, error };
    let mut response = page(state, &Caller::anonymous(), "login.html", "Sign in", "", ctx)?;
    *response.status_mut() = status;
    response
        .headers_mut()
        .insert(header::SET_COOKIE, login_csrf_cookie(state, &token).parse().map_err(ApiError::internal)?);
    Ok(response)
}

async fn login_page(State(state): State<AppState>, caller: Caller, Query(q): Query<LoginQuery>) -> PageResult {
    if caller.is_signed_in() {
        return Ok(Redirect::to("/dashboard").into_response());
    }
    login_form(&state, "", q.next.as_deref().unwrap_or(""), None, StatusCode::OK)
}

#[derive(Deserialize)]
struct LoginForm {
    name: String,
    password: String,
    csrf: String,
    #[serde(default)]
    next: String,
}

/// Only local paths, so that the sign-in page cannot be used to send people elsewhere.
fn safe_next(next: &str) -> &str {
    if next.starts_with('/') && !next.starts_with("//") && !next.contains('\\') { next } else { "/dashboard" }
}

async fn login(
    State(state): State<AppState>,
    api::ClientIp(ip): api::ClientIp,
    headers: axum::http::HeaderMap,
    Form(form): Form<LoginForm>,
) -> PageResult {
    let cookie = auth::cookie(&headers, auth::LOGIN_CSRF_COOKIE).unwrap_or("");
    if cookie.is_empty() || !auth::constant_time_eq(cookie.as_bytes(), form.csrf.as_bytes()) {
        return login_form(
            &state,
            &form.name,
            &form.next,
            Some("The sign-in form expired. Please try again."),
            StatusCode::FORBIDDEN,
        );
    }
    let client = ip.to_string();
    let settings = &state.settings.auth;
    let since = OffsetDateTime::now_utc() - Duration::minutes(settings.login_window_minutes);
    let (by_user, by_client) = state.store.login_failures_since(&form.name, &client, since).await?;
    if by_user >= settings.login_max_failures || by_client >= settings.login_max_failures * 10 {
        tracing::warn!(client, "sign-in throttled");
        let message =
            format!("Too many failed sign-ins. Wait {} minutes and try again.", settings.login_window_minutes);
        return login_form(&state, &form.name, &form.next, Some(&message), StatusCode::TOO_MANY_REQUESTS);
    }
    let user = state.store.user_by_name(&form.name).await?;
    let hash = user.as_ref().filter(|u| !u.disabled).and_then(|u| u.password_hash.clone());
    let valid = auth::verify_password(hash, form.password).await;
    let Some(user) = user.filter(|_| valid) else {
        state.store.record_login_failure(&form.name, &client).await?;
        return login_form(
            &state,
            &form.name,
            &form.next,
            Some("Wrong user name or password."),
            StatusCode::UNAUTHORIZED,
        );
    };
    state.store.clear_login_failures(&user.name).await?;
    let secret = auth::new_secret();
    let hours = state.settings.auth.session_hours;
    state
        .store
        .create_session(
            user.id,
            &auth::digest(&secret),
            &auth::new_secret(),
            OffsetDateTime::now_utc() + Duration::hours(hours),
        )
        .await?;
    tracing::info!(user = user.name, "signed in");
    let secure = if state.settings.auth.secure_cookies { "; Secure" } else { "" };
    let cookie =
        format!("{}={secret}; Path=/; HttpOnly; SameSite=Lax; Max-Age={}{secure}", auth::SESSION_COOKIE, hours * 3600);
    let mut response = Redirect::to(safe_next(&form.next)).into_response();
    response.headers_mut().append(header::SET_COOKIE, cookie.parse().map_err(ApiError::internal)?);
    response.headers_mut().append(
        header::SET_COOKIE,
        format!("{}=; Path=/login; Max-Age=0", auth::LOGIN_CSRF_COOKIE).parse().map_err(ApiError::internal)?,
    );
    Ok(response)
}

#[derive(Deserialize)]
struct CsrfForm {
    csrf: String,
}

async fn logout(
    State(state): State<AppState>,
    caller: Caller,
    headers: axum::http::HeaderMap,
    Form(form): Form<CsrfForm>,
) -> PageResult {
    caller.check_csrf(&form.csrf)?;
    if let Some(secret) = auth::cookie(&headers, auth::SESSION_COOKIE) {
        state.store.delete_session(&auth::digest(secret)).await?;
    }
    let mut response = Redirect::to("/login").into_response();
    response.headers_mut().insert(
        header::SET_COOKIE,
        format!("{}=; Path=/; Max-Age=0", auth::SESSION_COOKIE).parse().map_err(ApiError::internal)?,
    );
    Ok(response)
}

async fn setup_page(State(state): State<AppState>, Path(token): Path<String>) -> PageResult {
    if !state.store.setup_token_valid(&auth::digest(&token)).await? {
        return Err(ApiError::not_found("setup link").into());
    }
    page(&state, &Caller::anonymous(), "setup.html", "Set up Parapet", "", context! {})
}

#[derive(Deserialize)]
struct SetupForm {
    name: String,
    password: String,
}

async fn setup(State(state): State<AppState>, Path(token): Path<String>, Form(form): Form<SetupForm>) -> PageResult {
    auth::check_password(&form.password)?;
    let hash = auth::hash_password(form.password).await?;
    state.store.complete_setup(&auth::digest(&token), &form.name, &hash).await?;
    Ok(Redirect::to("/login").into_response())
}

// ---- dashboard and cases ----

fn case_row(c: &Case) -> Value {
    context! {
        id => c.id, key => c.key, title => c.fields.title, state => c.state.as_str(), state_label => c.state.label(),
        severity => c.severity.map(Severity::as_str), severity_label => c.severity.map(Severity::label),
        cve_id => c.fields.cve_id, updated => fmt_time(c.updated_at),
        disclosure_date => c.fields.disclosure_date.map(|d| d.to_string()),
    }
}

async fn dashboard(State(state): State<AppState>, caller: Caller) -> PageResult {
    signed_in(&caller)?;
    let counts = state.store.case_counts(&caller.viewer).await?;
    let by_state: Vec<Value> =
        counts.by_state.iter().map(|(s, n)| context! { state => s.as_str(), label => s.label(), count => n }).collect();
    let by_severity: Vec<Value> = counts
        .by_severity
        .iter()
        .map(|(s, n)| context! { severity => s.map(Severity::as_str), label => s.map(Severity::label), count => n })
        .collect();
    let due: Vec<Value> = counts.due.iter().map(case_row).collect();
    page(
        &state,
        &caller,
        "dashboard.html",
        "Dashboard",
        "dashboard",
        context! { by_state, by_severity, open => counts.open, due },
    )
}

async fn cases(
    State(state): State<AppState>,
    caller: Caller,
    Query(params): Query<HashMap<String, String>>,
) -> PageResult {
    signed_in(&caller)?;
    caller.require(Permission::ViewCases)?;
    let get = |k: &str| params.get(k).cloned().filter(|v| !v.is_empty());
    let list = CaseListParams {
        state: get("state"),
        severity: get("severity"),
        product: get("product").and_then(|p| p.parse().ok()),
        q: get("q"),
        sort: get("sort"),
        order: get("order"),
        page: get("page").and_then(|p| p.parse().ok()),
        per_page: Some(50),
    };
    let query = list.to_query()?;
    let result = state.store.cases(&caller.viewer, &query).await?;
    let pages = ((result.total + 49) / 50).max(1);
    let link = |page: u32| {
        let mut pairs: Vec<(String, String)> =
            params.iter().filter(|(k, _)| *k != "page").map(|(k, v)| (k.clone(), v.clone())).collect();
        pairs.sort();
        pairs.push(("page".into(), page.to_string()));
        format!("/cases?{}", serde_urlencoded::to_string(&pairs).unwrap_or_default())
    };
    let sorts = [
        ("updated", "Last updated"),
        ("created", "Created"),
        ("severity", "Severity"),
        ("title", "Title"),
        ("state", "State"),
        ("disclosure_date", "Disclosure date"),
    ]
    .map(|(value, label)| context! { value, label });
    let ctx = context! {
        cases => result.items.iter().map(case_row).collect::<Vec<_>>(),
        total => result.total,
        page => result.page,
        pages,
        prev_url => (result.page > 1).then(|| link(result.page - 1)),
        next_url => ((result.page as i64) < pages).then(|| link(result.page + 1)),
        states => options(&CaseState::ALL, CaseState::as_str, CaseState::label),
        severities => severity_options(),
        sorts => sorts.to_vec(),
        filter => context! { state => get("state"), severity => get("severity"), q => get("q"), sort => get("sort").unwrap_or("updated".into()), order => get("order").unwrap_or(if query.ascending { "asc" } else { "desc" }.into()) },
        can_edit => caller.viewer.can(Permission::EditCases),
    };
    page(&state, &caller, "cases.html", "Cases", "cases", ctx)
}

/// The case form's fields, as strings for the template.
fn form_values(fields: &CaseFields) -> Value {
    context! {
        title => fields.title, description => fields.description,
        reporter_name => fields.reporter_name, reporter_email => fields.reporter_email,
        credits => fields.credits.join("\n"),
        affected => fields.affected.iter().map(|a| format!("{} | {} | {}", a.product_id, a.versions, a.fixed_version.clone().unwrap_or_default())).collect::<Vec<_>>().join("\n"),
        cvss_v31 => fields.cvss.v31.as_ref().map(|v| v.vector.clone()), cvss_v4 => fields.cvss.v4.as_ref().map(|v| v.vector.clone()),
        cwe => fields.cwe, cve_id => fields.cve_id, disclosure_date => fields.disclosure_date.map(|d| d.to_string()),
        severity_override => fields.severity_override.as_ref().map(|o| o.severity.as_str()),
        severity_override_reason => fields.severity_override.as_ref().map(|o| o.reason.clone()),
        publicly_disclosed => fields.exploitability.publicly_disclosed, exploited => fields.exploitability.exploited,
        exploitability_index => fields.exploitability.index.map(|i| i.as_str()),
    }
}

/// The case form as posted. Every field is present (checkboxes only when ticked).
#[derive(Deserialize)]
struct CaseForm {
    csrf: String,
    title: String,
    description: String,
    #[serde(default)]
    reporter_name: String,
    #[serde(default)]
    reporter_email: String,
    #[serde(default)]
    credits: String,
    #[serde(default)]
    affected: String,
    #[serde(default)]
    cvss_v31: String,
    #[serde(default)]
    cvss_v4: String,
    #[serde(default)]
    cwe: String,
    #[serde(default)]
    cve_id: String,
    #[serde(default)]
    disclosure_date: String,
    #[serde(default)]
    severity_override: String,
    #[serde(default)]
    severity_override_reason: String,
    #[serde(default)]
    publicly_disclosed: Option<String>,
    #[serde(default)]
    exploited: Option<String>,
    #[serde(default)]
    exploitability_index: String,
}

impl CaseForm {
    fn draft(&self) -> Result<CaseDraft, ApiError> {
        let affected = self
            .affected
            .lines()
            .filter(|l| !l.trim().is_empty())
            .map(|line| {
                let mut parts = line.split('|').map(str::trim);
                let product_id = parts.next().and_then(|p| p.parse().ok()).ok_or_else(|| {
                    ApiError::invalid("affected", format!("{line:?} does not start with a product ID"))
                })?;
                let versions = parts.next().unwrap_or("").to_owned();
                let fixed_version = parts.next().filter(|f| !f.is_empty()).map(str::to_owned);
                Ok(AffectedInput { product_id, versions, fixed_version })
            })
            .collect::<Result<Vec<_>, ApiError>>()?;
        Ok(CaseDraft {
            title: Some(self.title.clone()),
            description: Some(self.description.clone()),
            reporter_name: Some(self.reporter_name.clone()),
            reporter_email: Some(self.reporter_email.clone()),
            credits: Some(self.credits.lines().map(str::to_owned).collect()),
            affected: Some(affected),
            cwe: Some(self.cwe.clone()),
            cvss_v31: Some(self.cvss_v31.clone()),
            cvss_v4: Some(self.cvss_v4.clone()),
            severity_override: Some(self.severity_override.clone()),
            severity_override_reason: Some(self.severity_override_reason.clone()).filter(|r| !r.trim().is_empty()),
            publicly_disclosed: Some(self.publicly_disclosed.is_some()),
            exploited: Some(self.exploited.is_some()),
            exploitability_index: Some(self.exploitability_index.clone()),
            cve_id: Some(self.cve_id.clone()),
            disclosure_date: Some(self.disclosure_date.clone()),
        })
    }
}

async fn form_context(state: &AppState, fields: &CaseFields) -> Result<Value, PageError> {
    let products: Vec<Value> = state
        .store
        .products()
        .await?
        .iter()
        .map(|p| context! { id => p.id, name => p.name, vendor_name => p.vendor_name })
        .collect();
    Ok(context! {
        form => form_values(fields),
        products,
        severities => severity_options(),
        indexes => options(&ExploitabilityIndex::ALL, ExploitabilityIndex::as_str, ExploitabilityIndex::label),
    })
}

async fn new_case_page(State(state): State<AppState>, caller: Caller) -> PageResult {
    signed_in(&caller)?;
    caller.require(Permission::EditCases)?;
    let ctx = form_context(&state, &CaseFields::default()).await?;
    page(&state, &caller, "case_new.html", "New case", "cases", ctx)
}

async fn new_case(State(state): State<AppState>, caller: Caller, Form(form): Form<CaseForm>) -> PageResult {
    signed_in(&caller)?;
    caller.require(Permission::EditCases)?;
    caller.check_csrf(&form.csrf)?;
    let fields = form.draft()?.apply(&CaseFields::default())?;
    let case =
        state.store.create_case(&caller.actor(), NewCase { fields, source: "staff", tracking_hash: None }).await?;
    Ok(Redirect::to(&format!("/cases/{}", case.id)).into_response())
}

/// One line of the timeline, in words.
fn summary(e: &AuditEntry) -> String {
    let field = |v: &Option<serde_json::Value>, k: &str| {
        v.as_ref().and_then(|v| v.get(k)).map(|v| v.as_str().map(str::to_owned).unwrap_or_else(|| v.to_string()))
    };
    match e.action.as_str() {
        "case.create" => "opened the case".into(),
        "case.transition" => format!(
            "moved it from {} to {}",
            field(&e.before, "state").unwrap_or_default(),
            field(&e.after, "state").unwrap_or_default()
        ),
        "case.update" => {
            let (Some(before), Some(after)) = (&e.before, &e.after) else { return "edited the case".into() };
            let mut changed: Vec<&str> = after
                .as_object()
                .map(|o| {
                    o.keys()
                        .filter(|k| before.get(*k) != after.get(*k) && *k != "updated_at")
                        .map(String::as_str)
                        .collect()
                })
                .unwrap_or_default();
            changed.sort();
            if changed.is_empty() { "saved without changes".into() } else { format!("changed {}", changed.join(", ")) }
        }
        "case.assign_cve" => format!("assigned {}", field(&e.after, "cve_id").unwrap_or_default()),
        "case.message" => "wrote to the reporter conversation".into(),
        "case.note" => "added an internal note".into(),
        "case.attachment" => format!("attached {}", field(&e.after, "filename").unwrap_or_default()),
        other => other.to_owned(),
    }
}

async fn case_page(State(state): State<AppState>, caller: Caller, Path(id): Path<String>) -> PageResult {
    signed_in(&caller)?;
    caller.require(Permission::ViewCases)?;
    let case = state.store.case(&caller.viewer, parse_id(&id, "case")?).await?;
    let messages = state.store.messages(&caller.viewer, case.id).await?;
    let attachments = state.store.attachments(&caller.viewer, case.id).await?;
    let timeline = state.store.case_timeline(&caller.viewer, case.id).await?;
    let f = &case.fields;
    let view = context! {
        id => case.id, key => case.key, title => f.title, description => f.description,
        state => case.state.as_str(), state_label => case.state.label(),
        severity => case.severity.map(Severity::as_str), severity_label => case.severity.map(Severity::label),
        overridden => f.severity_override.is_some(), override_reason => f.severity_override.as_ref().map(|o| o.reason.clone()),
        derived_label => case.derived_severity.map(Severity::label),
        v31 => f.cvss.v31, v31_severity => f.cvss.v31.as_ref().map(|v| v.severity()),
        v4 => f.cvss.v4, v4_severity => f.cvss.v4.as_ref().map(|v| v.severity()),
        cve_id => f.cve_id, disclosure_date => f.disclosure_date.map(|d| d.to_string()),
        reporter => match (&f.reporter_name, &f.reporter_email) {
            (Some(n), Some(e)) => Some(format!("{n} <{e}>")),
            (Some(n), None) => Some(n.clone()),
            (None, Some(e)) => Some(e.clone()),
            (None, None) => None,
        },
        duplicate_of => case.duplicate_of,
        affected => f.affected,
    };
    let messages: Vec<Value> = messages
        .iter()
        .map(|m| context! { visibility => m.visibility.as_str(), author_kind => m.author_kind, author_name => m.author_name, body => m.body, at => fmt_time(m.created_at) })
        .collect();
    let timeline: Vec<Value> =
        timeline.iter().map(|e| context! { at => fmt_time(e.at), actor => e.actor, summary => summary(e) }).collect();
    let ctx = context! {
        case => view,
        messages,
        attachments,
        timeline,
        transitions => options(case.state.allowed_next(), CaseState::as_str, CaseState::label),
        can_edit => caller.viewer.can(Permission::EditCases),
        ..form_context(&state, &case.fields).await?
    };
    page(&state, &caller, "case.html", &format!("{} {}", case.key, case.fields.title), "cases", ctx)
}

async fn editable_case(state: &AppState, caller: &Caller, id: &str, csrf: &str) -> Result<Case, PageError> {
    signed_in(caller)?;
    caller.require(Permission::ViewCases)?;
    let case = state.store.case(&caller.viewer, parse_id(id, "case")?).await?;
    caller.require(Permission::EditCases)?;
    caller.check_csrf(csrf)?;
    Ok(case)
}

fn back_to(case_id: i64) -> PageResult {
    Ok(Redirect::to(&format!("/cases/{case_id}")).into_response())
}

async fn edit_case(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    Form(form): Form<CaseForm>,
) -> PageResult {
    let case = editable_case(&state, &caller, &id, &form.csrf).await?;
    let fields = form.draft()?.apply(&case.fields)?;
    state.store.update_case(&caller.actor(), case.id, &fields).await?;
    back_to(case.id)
}

#[derive(Deserialize)]
struct TransitionForm {
    csrf: String,
    state: String,
    #[serde(default)]
    duplicate_of: String,
}

async fn transition(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    Form(form): Form<TransitionForm>,
) -> PageResult {
    let case = editable_case(&state, &caller, &id, &form.csrf).await?;
    let to: CaseState = form.state.parse()?;
    let duplicate_of = match form.duplicate_of.trim().trim_start_matches("CASE-") {
        "" => None,
        n => Some(n.parse::<i64>().map_err(|_| ApiError::invalid("duplicate_of", format!("{n:?} is not a case ID")))?),
    };
    state.store.transition_case(&caller.actor(), case.id, to, duplicate_of).await?;
    back_to(case.id)
}

async fn assign_cve(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    Form(form): Form<CsrfForm>,
) -> PageResult {
    let case = editable_case(&state, &caller, &id, &form.csrf).await?;
    state.store.assign_cve(&caller.actor(), case.id).await?;
    back_to(case.id)
}

#[derive(Deserialize)]
struct MessageForm {
    csrf: String,
    body: String,
    visibility: String,
}

async fn add_message(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    Form(form): Form<MessageForm>,
) -> PageResult {
    let case = editable_case(&state, &caller, &id, &form.csrf).await?;
    let visibility = MessageVisibility::parse(&form.visibility)?;
    state.store.add_message(&caller.viewer, case.id, visibility, &form.body).await?;
    back_to(case.id)
}

async fn upload(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    multipart: Multipart,
) -> PageResult {
    signed_in(&caller)?;
    let (new, csrf) = api::read_upload(&state, multipart).await?;
    let case = editable_case(&state, &caller, &id, csrf.as_deref().unwrap_or("")).await?;
    state.store.add_attachment(&caller.actor(), case.id, new).await?;
    back_to(case.id)
}

async fn download(
    State(state): State<AppState>,
    caller: Caller,
    Path((id, attachment)): Path<(String, String)>,
) -> PageResult {
    signed_in(&caller)?;
    caller.require(Permission::ViewCases)?;
    let (meta, content) =
        state.store.attachment(&caller.viewer, parse_id(&id, "case")?, parse_id(&attachment, "attachment")?).await?;
    Ok(api::attachment_response(meta, content))
}

// ---- products, users, tokens, audit ----

async fn products(State(state): State<AppState>, caller: Caller) -> PageResult {
    signed_in(&caller)?;
    caller.require(Permission::ViewProducts)?;
    let products = state.store.products().await?;
    page(
        &state,
        &caller,
        "products.html",
        "Products",
        "products",
        context! { products, can_edit => caller.viewer.can(Permission::EditProducts) },
    )
}

#[derive(Deserialize)]
struct ProductForm {
    csrf: String,
    vendor: String,
    name: String,
    #[serde(default)]
    cpe: String,
    #[serde(default)]
    purl: String,
}

async fn add_product(State(state): State<AppState>, caller: Caller, Form(form): Form<ProductForm>) -> PageResult {
    signed_in(&caller)?;
    caller.require(Permission::EditProducts)?;
    caller.check_csrf(&form.csrf)?;
    let input = ProductInput { vendor: form.vendor, name: form.name, cpe: Some(form.cpe), purl: Some(form.purl) };
    state.store.create_product(&caller.actor(), &input.validate()?).await?;
    Ok(Redirect::to("/products").into_response())
}

#[derive(Deserialize)]
struct VersionForm {
    csrf: String,
    version: String,
    #[serde(default)]
    branch: String,
}

async fn add_version(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    Form(form): Form<VersionForm>,
) -> PageResult {
    signed_in(&caller)?;
    caller.require(Permission::EditProducts)?;
    caller.check_csrf(&form.csrf)?;
    let input = VersionInput { version: form.version, branch: Some(form.branch), cpe: None, purl: None };
    state.store.add_product_version(&caller.actor(), parse_id(&id, "product")?, &input.validate()?).await?;
    Ok(Redirect::to("/products").into_response())
}

async fn users_page(state: &AppState, caller: &Caller, new_token: Option<String>) -> PageResult {
    signed_in(caller)?;
    let user = caller.user.as_ref().ok_or_else(ApiError::unauthenticated)?;
    let can_view_users = caller.viewer.can(Permission::ViewUsers);
    let users: Vec<Value> = if can_view_users {
        state
            .store
            .users()
            .await?
            .iter()
            .map(|u| context! { id => u.id, name => u.name, role => u.role.as_str(), disabled => u.disabled, created => fmt_time(u.created_at) })
            .collect()
    } else {
        Vec::new()
    };
    let tokens: Vec<Value> = state
        .store
        .tokens(if can_view_users { None } else { Some(user.id) })
        .await?
        .iter()
        .map(|t| {
            context! {
                id => t.id, name => t.name, user_name => t.user_name, scopes => Scope::format_list(&t.scopes),
                created => fmt_time(t.created_at), last_used => t.last_used_at.map(fmt_time), revoked => t.revoked_at.map(fmt_time),
            }
        })
        .collect();
    let ctx = context! {
        users, tokens, new_token, can_view_users,
        can_manage => caller.viewer.can(Permission::ManageUsers),
        roles => Role::ALL.iter().map(|r| r.as_str()).collect::<Vec<_>>(),
    };
    page(state, caller, "users.html", "Users & tokens", "users", ctx)
}

async fn users(State(state): State<AppState>, caller: Caller) -> PageResult {
    users_page(&state, &caller, None).await
}

#[derive(Deserialize)]
struct UserForm {
    csrf: String,
    name: String,
    role: String,
    password: String,
}

async fn add_user(State(state): State<AppState>, caller: Caller, Form(form): Form<UserForm>) -> PageResult {
    signed_in(&caller)?;
    caller.require(Permission::ManageUsers)?;
    caller.check_csrf(&form.csrf)?;
    let role: Role = form.role.parse()?;
    auth::check_password(&form.password)?;
    let hash = auth::hash_password(form.password).await?;
    state.store.create_user(&caller.actor(), &form.name, role, Some(&hash)).await?;
    Ok(Redirect::to("/users").into_response())
}

#[derive(Deserialize)]
struct ChangeUserForm {
    csrf: String,
    role: String,
    #[serde(default)]
    disabled: Option<String>,
}

async fn change_user(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    Form(form): Form<ChangeUserForm>,
) -> PageResult {
    signed_in(&caller)?;
    caller.require(Permission::ManageUsers)?;
    caller.check_csrf(&form.csrf)?;
    let role: Role = form.role.parse()?;
    state
        .store
        .update_user(&caller.actor(), parse_id(&id, "user")?, Some(role), None, Some(form.disabled.is_some()))
        .await?;
    Ok(Redirect::to("/users").into_response())
}

#[derive(Deserialize)]
struct TokenForm {
    csrf: String,
    name: String,
    #[serde(default)]
    write: Option<String>,
}

async fn create_token(State(state): State<AppState>, caller: Caller, Form(form): Form<TokenForm>) -> PageResult {
    signed_in(&caller)?;
    caller.check_csrf(&form.csrf)?;
    let user = caller.user.as_ref().ok_or_else(ApiError::unauthenticated)?;
    let scopes = if form.write.is_some() { vec![Scope::Read, Scope::Write] } else { vec![Scope::Read] };
    let secret = auth::new_api_token();
    state.store.create_token(&caller.actor(), user.id, &form.name, &auth::digest(&secret), &scopes).await?;
    let mut response = users_page(&state, &caller, Some(secret)).await?;
    // The token is on this page only; nothing may keep a copy.
    response.headers_mut().insert(header::CACHE_CONTROL, "no-store".parse().map_err(ApiError::internal)?);
    Ok(response)
}

async fn revoke_token(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    Form(form): Form<CsrfForm>,
) -> PageResult {
    signed_in(&caller)?;
    caller.check_csrf(&form.csrf)?;
    api::revoke(&state, &caller, &id).await?;
    Ok(Redirect::to("/users").into_response())
}

async fn audit(State(state): State<AppState>, caller: Caller, Query(params): Query<AuditParams>) -> PageResult {
    signed_in(&caller)?;
    caller.require(Permission::ViewAudit)?;
    let query = params.to_query();
    let result = state.store.audit_entries(&query).await?;
    let pages = ((result.total + result.per_page as i64 - 1) / result.per_page as i64).max(1);
    let entity = query.entity.clone().unwrap_or_default();
    let actor = query.actor.clone().unwrap_or_default();
    let link = |p: u32| {
        let query = [("entity", entity.as_str()), ("actor", actor.as_str()), ("page", &p.to_string())];
        format!("/audit?{}", serde_urlencoded::to_string(query).unwrap_or_default())
    };
    let entries: Vec<Value> = result
        .items
        .iter()
        .map(|e| {
            context! {
                at => fmt_time(e.at), actor => e.actor, action => e.action, entity => e.entity, entity_id => e.entity_id,
                before => e.before.as_ref().map(|v| v.to_string()), after => e.after.as_ref().map(|v| v.to_string()),
            }
        })
        .collect();
    let ctx = context! {
        entries, page => result.page, pages,
        prev_url => (result.page > 1).then(|| link(result.page - 1)),
        next_url => ((result.page as i64) < pages).then(|| link(result.page + 1)),
        entities => ["case", "product", "vendor", "user", "token"],
        filter => context! { entity, actor },
    };
    page(&state, &caller, "audit.html", "Audit log", "audit", ctx)
}

async fn audit_csv(State(state): State<AppState>, caller: Caller, Query(params): Query<AuditParams>) -> PageResult {
    signed_in(&caller)?;
    caller.require(Permission::ViewAudit)?;
    Ok(crate::export::audit_csv(&state, params.to_query()).await?)
}

// ---- public: intake, tracking, policy ----

async fn report_page(State(state): State<AppState>, caller: Caller) -> PageResult {
    page(&state, &caller, "report.html", "Report a vulnerability", "", context! { form => context! {} })
}

#[derive(Deserialize)]
struct ReportForm {
    title: String,
    description: String,
    #[serde(default)]
    product: String,
    #[serde(default)]
    reporter_name: String,
    #[serde(default)]
    reporter_email: String,
}

async fn report(
    State(state): State<AppState>,
    caller: Caller,
    api::ClientIp(ip): api::ClientIp,
    Form(form): Form<ReportForm>,
) -> PageResult {
    api::check_intake_rate(&state, ip)?;
    let input = ReportInput {
        title: form.title.clone(),
        description: form.description.clone(),
        reporter_name: Some(form.reporter_name.clone()),
        reporter_email: Some(form.reporter_email.clone()),
        product: Some(form.product.clone()),
    };
    let report = match input.validate() {
        Ok(report) => report,
        Err(e) => {
            let ctx = context! {
                error => e.message, error_field => e.field,
                form => context! { title => form.title, description => form.description, product => form.product, reporter_name => form.reporter_name, reporter_email => form.reporter_email },
            };
            let mut response = page(&state, &caller, "report.html", "Report a vulnerability", "", ctx)?;
            *response.status_mut() = StatusCode::UNPROCESSABLE_ENTITY;
            return Ok(response);
        }
    };
    let (tracking_url, _) = api::file_report(&state, report).await?;
    let mut response = page(&state, &caller, "report_done.html", "Report received", "", context! { tracking_url })?;
    *response.status_mut() = StatusCode::CREATED;
    Ok(response)
}

async fn track_page(State(state): State<AppState>, Path(token): Path<String>) -> PageResult {
    let viewer = api::reporter(&state, &token).await?;
    let parapet_model::Viewer::Reporter { case_id } = viewer else { return Err(ApiError::not_found("report").into()) };
    let case = state.store.case(&viewer, case_id).await?;
    let messages: Vec<Value> = state
        .store
        .messages(&viewer, case_id)
        .await?
        .iter()
        .map(|m| context! { author_kind => m.author_kind, body => m.body, at => fmt_time(m.created_at) })
        .collect();
    let ctx = context! { report_title => case.fields.title, state => case.state.as_str(), state_label => case.state.label(), messages, token };
    let mut response = page(&state, &Caller::anonymous(), "track.html", "Your report", "", ctx)?;
    response.headers_mut().insert(header::CACHE_CONTROL, "no-store".parse().map_err(ApiError::internal)?);
    Ok(response)
}

#[derive(Deserialize)]
struct TrackMessageForm {
    body: String,
}

async fn track_message(
    State(state): State<AppState>,
    Path(token): Path<String>,
    Form(form): Form<TrackMessageForm>,
) -> PageResult {
    let viewer = api::reporter(&state, &token).await?;
    let parapet_model::Viewer::Reporter { case_id } = viewer else { return Err(ApiError::not_found("report").into()) };
    state.store.add_message(&viewer, case_id, MessageVisibility::Reporter, &form.body).await?;
    Ok(Redirect::to(&format!("/track/{token}")).into_response())
}

async fn policy(State(state): State<AppState>, caller: Caller) -> PageResult {
    page(&state, &caller, "policy.html", "Disclosure policy", "", context! {})
}
