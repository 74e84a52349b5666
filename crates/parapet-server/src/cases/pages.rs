//! The console's cases (dashboard, list, case page and its forms) and the researchers' pages
//! (the report form and the private tracking page). Handlers decode, call the operation, and
//! answer with a page or a redirect.

use axum::extract::{Multipart, Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect};
use minijinja::{Value, context};
use parapet_model::{
    AffectedInput, AuditAction, Case, CaseDraft, CaseFields, CaseState, ExploitabilityIndex, Permission, Severity,
};
use parapet_store::AuditEntry;
use serde::Deserialize;

use super::Transition;
use super::input::{CaseListParams, attachment_response, read_upload};
use super::intake::ReportInput;
use crate::auth::Caller;
use crate::error::{ApiError, ApiResult};
use crate::extract::{ClientIp, ConsoleForm, Empty, Id, Params, PublicForm, SignedIn};
use crate::render::{PageResult, Pager, fmt_time, no_store, options, page, page_with_status, severity_options};
use crate::routes::{Routes, get, post};
use crate::state::AppState;

pub fn routes() -> Routes {
    Routes::new()
        .page("/dashboard", get(dashboard))
        .page("/cases", get(cases))
        .page("/cases/new", get(new_case_page).post(new_case))
        .page("/cases/{id}", get(case_page))
        .page("/cases/{id}/edit", post(edit_case))
        .page("/cases/{id}/transition", post(transition))
        .page("/cases/{id}/cve", post(assign_cve))
        .page("/cases/{id}/messages", post(add_message))
        .page("/cases/{id}/attachments", post(upload))
        .page("/cases/{id}/attachments/{attachment}", get(download))
        .page("/report", get(report_page).post(report))
        .page("/track/{token}", get(track_page))
        .page("/track/{token}/messages", post(track_message))
}

fn case_row(c: &Case) -> Value {
    context! {
        id => c.id, key => c.key, title => c.fields.title, state => c.state.as_str(), state_label => c.state.label(),
        severity => c.severity.map(Severity::as_str), severity_label => c.severity.map(Severity::label),
        cve_id => c.fields.cve_id, updated => fmt_time(c.updated_at),
        disclosure_date => c.fields.disclosure_date.map(|d| d.to_string()),
    }
}

async fn dashboard(State(state): State<AppState>, SignedIn(caller): SignedIn) -> PageResult {
    let counts = super::counts(&state, &caller).await?;
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

/// The list's filters as the console's form sends them: every field, blanks for "any".
#[derive(Deserialize, Default)]
struct CaseFilters {
    #[serde(default)]
    state: String,
    #[serde(default)]
    severity: String,
    #[serde(default)]
    product: String,
    #[serde(default)]
    q: String,
    #[serde(default)]
    sort: String,
    #[serde(default)]
    order: String,
    #[serde(default)]
    page: Option<u32>,
}

const CASES_PER_PAGE: u32 = 50;

async fn cases(
    State(state): State<AppState>,
    SignedIn(caller): SignedIn,
    Params(f): Params<CaseFilters>,
) -> PageResult {
    let text = |s: &str| Some(s.to_owned()).filter(|s| !s.trim().is_empty());
    let product = match f.product.trim() {
        "" => None,
        p => Some(p.parse().map_err(|_| ApiError::invalid("product", format!("{p:?} is not a product ID")))?),
    };
    let list = CaseListParams {
        state: text(&f.state),
        severity: text(&f.severity),
        product,
        q: text(&f.q),
        sort: text(&f.sort),
        order: text(&f.order),
        page: f.page,
        per_page: Some(CASES_PER_PAGE),
    };
    let query = list.to_query()?;
    let result = super::list(&state, &caller, &query).await?;
    let pager = Pager::numbered(
        result.page,
        CASES_PER_PAGE,
        result.total,
        "/cases",
        &[
            ("order", &f.order),
            ("product", &f.product),
            ("q", &f.q),
            ("severity", &f.severity),
            ("sort", &f.sort),
            ("state", &f.state),
        ],
    );
    let sorts = [
        ("updated", "Last updated"),
        ("created", "Created"),
        ("severity", "Severity"),
        ("title", "Title"),
        ("state", "State"),
        ("disclosure_date", "Disclosure date"),
    ]
    .map(|(value, label)| context! { value, label });
    let sort = if f.sort.is_empty() { "updated" } else { f.sort.as_str() };
    let order = if f.order.is_empty() { if query.ascending { "asc" } else { "desc" } } else { f.order.as_str() };
    let ctx = context! {
        cases => result.items.iter().map(case_row).collect::<Vec<_>>(),
        total => result.total,
        paging => pager,
        states => options(&CaseState::ALL, CaseState::as_str, CaseState::label),
        severities => severity_options(),
        sorts => sorts.to_vec(),
        filter => context! { state => f.state, severity => f.severity, q => f.q, sort, order },
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
    fn draft(self) -> ApiResult<CaseDraft> {
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
            .collect::<ApiResult<Vec<_>>>()?;
        Ok(CaseDraft {
            title: Some(self.title),
            description: Some(self.description),
            reporter_name: Some(self.reporter_name),
            reporter_email: Some(self.reporter_email),
            credits: Some(self.credits.lines().map(str::to_owned).collect()),
            affected: Some(affected),
            cwe: Some(self.cwe),
            cvss_v31: Some(self.cvss_v31),
            cvss_v4: Some(self.cvss_v4),
            severity_override: Some(self.severity_override),
            severity_override_reason: Some(self.severity_override_reason).filter(|r| !r.trim().is_empty()),
            publicly_disclosed: Some(self.publicly_disclosed.is_some()),
            exploited: Some(self.exploited.is_some()),
            exploitability_index: Some(self.exploitability_index),
            cve_id: Some(self.cve_id),
            disclosure_date: Some(self.disclosure_date),
        })
    }
}

async fn form_context(state: &AppState, caller: &Caller, fields: &CaseFields) -> ApiResult<Value> {
    let products: Vec<Value> = crate::products::list(state, caller)
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

async fn new_case_page(State(state): State<AppState>, SignedIn(caller): SignedIn) -> PageResult {
    super::may_create(&caller)?;
    let ctx = form_context(&state, &caller, &CaseFields::default()).await?;
    page(&state, &caller, "case_new.html", "New case", "cases", ctx)
}

async fn new_case(State(state): State<AppState>, ConsoleForm { caller, form }: ConsoleForm<CaseForm>) -> PageResult {
    let case = super::create(&state, &caller, form.draft()?).await?;
    Ok(back_to(case.id))
}

/// One line of the timeline, in words.
fn summary(e: &AuditEntry) -> String {
    let field = |v: &Option<serde_json::Value>, k: &str| {
        v.as_ref().and_then(|v| v.get(k)).map(|v| v.as_str().map(str::to_owned).unwrap_or_else(|| v.to_string()))
    };
    match e.action {
        AuditAction::CaseCreate => "opened the case".into(),
        AuditAction::CaseTransition => format!(
            "moved it from {} to {}",
            field(&e.before, "state").unwrap_or_default(),
            field(&e.after, "state").unwrap_or_default()
        ),
        AuditAction::CaseUpdate => {
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
        AuditAction::CaseAssignCve => format!("assigned {}", field(&e.after, "cve_id").unwrap_or_default()),
        AuditAction::CaseMessage => "wrote to the reporter conversation".into(),
        AuditAction::CaseNote => "added an internal note".into(),
        AuditAction::CaseAttachment => format!("attached {}", field(&e.after, "filename").unwrap_or_default()),
        // A case's timeline holds only its own entries; should another kind reach it, it reads
        // as the action's name. Listed one by one so that a new action is placed here on purpose.
        AuditAction::AdvanceNoticePublish
        | AuditAction::PostCreate
        | AuditAction::PostUpdate
        | AuditAction::PostSchedule
        | AuditAction::PostUnschedule
        | AuditAction::PostPublish
        | AuditAction::BriefingCreate
        | AuditAction::BriefingUpdate
        | AuditAction::BriefingCancel
        | AuditAction::SourceAdd
        | AuditAction::SourceUpdate
        | AuditAction::SourceRemove
        | AuditAction::DocumentCreate
        | AuditAction::DocumentUpdate
        | AuditAction::DocumentSchedule
        | AuditAction::DocumentUnschedule
        | AuditAction::DocumentImport
        | AuditAction::DocumentPublish
        | AuditAction::DocumentPublishRefused
        | AuditAction::SigningKeyCreate
        | AuditAction::SigningKeyReplace
        | AuditAction::EndpointCreate
        | AuditAction::EndpointRotateSecret
        | AuditAction::EndpointResume
        | AuditAction::DeliveryRedeliver
        | AuditAction::VendorCreate
        | AuditAction::ProductCreate
        | AuditAction::ProductVersionCreate
        | AuditAction::UserCreate
        | AuditAction::UserUpdate
        | AuditAction::TokenCreate
        | AuditAction::TokenRevoke
        | AuditAction::EnrollmentSecretCreate
        | AuditAction::EnrollmentSecretRevoke
        | AuditAction::HostEnroll
        | AuditAction::HostRevoke
        | AuditAction::HostCloneSuspected
        | AuditAction::HostAssign
        | AuditAction::GroupCreate
        | AuditAction::GroupUpdate
        | AuditAction::GroupDelete
        | AuditAction::GroupHardenPolicySet
        | AuditAction::GroupHardenPolicyClear
        | AuditAction::UpdateApproval
        | AuditAction::RuleCreate
        | AuditAction::RuleUpdate
        | AuditAction::RuleDelete
        | AuditAction::RingCreate
        | AuditAction::RingUpdate
        | AuditAction::RingDelete
        | AuditAction::JobRollback
        | AuditAction::JobCancel
        | AuditAction::JobCreate
        | AuditAction::MalwarePackCreate
        | AuditAction::MalwarePackPublish => e.action.as_str().to_owned(),
    }
}

async fn case_page(State(state): State<AppState>, SignedIn(caller): SignedIn, id: Id) -> PageResult {
    let case = super::get(&state, &caller, id).await?;
    let id = Id::of(case.id);
    let messages = super::messages(&state, &caller, id).await?;
    let attachments = super::attachments(&state, &caller, id).await?;
    let timeline = super::timeline(&state, &caller, id).await?;
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
        ..form_context(&state, &caller, &case.fields).await?
    };
    page(&state, &caller, "case.html", &format!("{} {}", case.key, case.fields.title), "cases", ctx)
}

fn back_to(case_id: i64) -> axum::response::Response {
    Redirect::to(&format!("/cases/{case_id}")).into_response()
}

async fn edit_case(
    State(state): State<AppState>,
    id: Id,
    ConsoleForm { caller, form }: ConsoleForm<CaseForm>,
) -> PageResult {
    let case = super::update(&state, &caller, id, form.draft()?).await?;
    Ok(back_to(case.id))
}

#[derive(Deserialize)]
struct TransitionForm {
    state: String,
    #[serde(default)]
    duplicate_of: String,
}

async fn transition(
    State(state): State<AppState>,
    id: Id,
    ConsoleForm { caller, form }: ConsoleForm<TransitionForm>,
) -> PageResult {
    let duplicate_of = match form.duplicate_of.trim().trim_start_matches("CASE-") {
        "" => None,
        n => Some(n.parse::<i64>().map_err(|_| ApiError::invalid("duplicate_of", format!("{n:?} is not a case ID")))?),
    };
    let transition = Transition { to: form.state, duplicate_of };
    let case = super::transition(&state, &caller, id, transition).await?;
    Ok(back_to(case.id))
}

async fn assign_cve(
    State(state): State<AppState>,
    id: Id,
    ConsoleForm { caller, .. }: ConsoleForm<Empty>,
) -> PageResult {
    let case = super::assign_cve(&state, &caller, id).await?;
    Ok(back_to(case.id))
}

#[derive(Deserialize)]
struct MessageForm {
    body: String,
    visibility: String,
}

async fn add_message(
    State(state): State<AppState>,
    id: Id,
    ConsoleForm { caller, form }: ConsoleForm<MessageForm>,
) -> PageResult {
    let message = super::add_message(&state, &caller, id, &form.visibility, &form.body).await?;
    Ok(back_to(message.case_id))
}

async fn upload(State(state): State<AppState>, SignedIn(caller): SignedIn, id: Id, multipart: Multipart) -> PageResult {
    let (new, csrf) = read_upload(&state, multipart).await?;
    caller.check_csrf(csrf.as_deref().unwrap_or(""))?;
    let attachment = super::add_attachment(&state, &caller, id, new).await?;
    Ok(back_to(attachment.case_id))
}

async fn download(
    State(state): State<AppState>,
    SignedIn(caller): SignedIn,
    Path((id, attachment)): Path<(String, String)>,
) -> PageResult {
    let (meta, content) = super::attachment(&state, &caller, Id::parse(&id), Id::parse(&attachment)).await?;
    Ok(attachment_response(meta, content))
}

// ---- researchers ----

fn report_form(form: &ReportInput) -> Value {
    context! {
        title => form.title, description => form.description, product => form.product,
        reporter_name => form.reporter_name, reporter_email => form.reporter_email,
    }
}

async fn report_page(State(state): State<AppState>, caller: Caller) -> PageResult {
    let empty = ReportInput::default();
    let ctx = context! { form => report_form(&empty), error => None::<String>, error_field => None::<String> };
    page(&state, &caller, "report.html", "Report a vulnerability", "", ctx)
}

async fn report(
    State(state): State<AppState>,
    caller: Caller,
    ClientIp(ip): ClientIp,
    PublicForm(form): PublicForm<ReportInput>,
) -> PageResult {
    let title = "Report a vulnerability";
    let report = match form.validate() {
        Ok(report) => report,
        Err(e) => {
            // A refused report counts against the address like a filed one.
            super::check_intake_rate(&state, ip)?;
            let ctx = context! { error => e.message, error_field => e.field, form => report_form(&form) };
            return page_with_status(StatusCode::UNPROCESSABLE_ENTITY, &state, &caller, "report.html", title, "", ctx);
        }
    };
    let filed = super::file_report(&state, ip, report).await?;
    let ctx = context! { tracking_url => filed.tracking_url };
    Ok(no_store(page_with_status(
        StatusCode::CREATED,
        &state,
        &caller,
        "report_done.html",
        "Report received",
        "",
        ctx,
    )?))
}

async fn track_page(State(state): State<AppState>, Path(token): Path<String>) -> PageResult {
    let (case, messages) = super::report_status(&state, &token).await?;
    let messages: Vec<Value> = messages
        .iter()
        .map(|m| context! { author_kind => m.author_kind, body => m.body, at => fmt_time(m.created_at) })
        .collect();
    let ctx = context! { report_title => case.fields.title, state => case.state.as_str(), state_label => case.state.label(), messages, token };
    Ok(no_store(page(&state, &Caller::anonymous(), "track.html", "Your report", "", ctx)?))
}

#[derive(Deserialize)]
struct TrackMessageForm {
    body: String,
}

async fn track_message(
    State(state): State<AppState>,
    Path(token): Path<String>,
    PublicForm(form): PublicForm<TrackMessageForm>,
) -> PageResult {
    super::report_message(&state, &token, &form.body).await?;
    Ok(Redirect::to(&format!("/track/{token}")).into_response())
}
