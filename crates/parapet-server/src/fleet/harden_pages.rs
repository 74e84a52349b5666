//! The console's security configuration: a group's policy (`/console/fleet/groups/{name}/harden`,
//! the policy file in a text box, with the roles the wizard knows), and on a host's page where
//! it stands with its group's policy and its drift, with "Apply again". The operations are
//! `harden`'s, so the permission checks are the API's.

use axum::extract::{Path, State};
use axum::response::{IntoResponse, Redirect};
use minijinja::{Value, context};
use parapet_model::Permission;
use parapet_store::HostHarden;
use serde::Deserialize;

use super::harden;
use crate::extract::{ConsoleForm, Empty, SignedIn};
use crate::render::{PageResult, fmt_time, page};
use crate::routes::{Routes, get, post};
use crate::state::AppState;

pub fn routes() -> Routes {
    Routes::new()
        .page("/console/fleet/groups/{name}/harden", get(group_page).post(set_policy))
        .page("/console/fleet/groups/{name}/harden/clear", post(clear_policy))
        .page("/console/fleet/hosts/{id}/harden-apply", post(apply_again))
}

/// Written into the text box of a group without a policy: what the wizard writes for an SSH
/// server reachable from one admin network.
const EXAMPLE: &str = "# parapet harden wizard -o policy.toml writes one from a host's analysis.\nversion = 1\nroles = [\"ssh\"]\nadmin_networks = [\"10.0.0.0/8\"]\nunneeded_units = \"disable\"\n";

/// A host's security configuration as its page shows it.
pub(crate) fn host_section(harden: &HostHarden) -> Value {
    let reported = harden.reported.as_ref().map(|r| {
        context! {
            digest => r.policy_digest, snapshot => r.snapshot, pending => r.pending, error => r.error,
            at => fmt_time(r.reported_at),
            drift => r.drift.iter().map(|d| context! {
                kind => d.kind, subject => d.subject, expected => d.expected, found => d.found,
            }).collect::<Vec<_>>(),
        }
    });
    context! {
        state => harden.state,
        group => harden.wanted.as_ref().map(|w| w.group.clone()),
        digest => harden.wanted.as_ref().map(|w| w.digest.clone()),
        overridden => harden.overridden,
        planned_at => harden.planned_at.map(fmt_time),
        reported,
    }
}

async fn group_page(State(state): State<AppState>, SignedIn(caller): SignedIn, Path(name): Path<String>) -> PageResult {
    let policy = harden::group_policy(&state, &caller, &name).await?;
    let roles: Vec<Value> = harden::book()
        .roles()
        .map(|r| context! { name => r.name, title => r.title, description => r.description })
        .collect();
    let title = format!("Security configuration of {name}");
    page(
        &state,
        &caller,
        "fleet_harden.html",
        &title,
        "fleet",
        context! {
            group => name,
            policy => policy.as_ref().map(|p| context! {
                text => p.policy, digest => p.digest, updated => fmt_time(p.updated_at), by => p.updated_by,
            }),
            text => policy.as_ref().map_or(EXAMPLE.to_owned(), |p| p.policy.clone()),
            roles,
            confirm_within => harden::CONFIRM_WITHIN_S,
            can_manage => caller.viewer.can(Permission::ManageFleet),
        },
    )
}

#[derive(Debug, Deserialize)]
struct PolicyForm {
    policy: String,
}

async fn set_policy(
    State(state): State<AppState>,
    Path(name): Path<String>,
    ConsoleForm { caller, form }: ConsoleForm<PolicyForm>,
) -> PageResult {
    // Browsers send text areas with CRLF line ends.
    let text = form.policy.replace("\r\n", "\n");
    harden::set_group_policy(&state, &caller, &name, &text).await?;
    Ok(Redirect::to(&format!("/console/fleet/groups/{}/harden", urlencoding(&name))).into_response())
}

async fn clear_policy(
    State(state): State<AppState>,
    Path(name): Path<String>,
    ConsoleForm { caller, .. }: ConsoleForm<Empty>,
) -> PageResult {
    harden::clear_group_policy(&state, &caller, &name).await?;
    Ok(Redirect::to(&format!("/console/fleet/groups/{}/harden", urlencoding(&name))).into_response())
}

async fn apply_again(
    State(state): State<AppState>,
    Path(id): Path<String>,
    ConsoleForm { caller, .. }: ConsoleForm<Empty>,
) -> PageResult {
    harden::apply_again(&state, &caller, &id).await?;
    // Host IDs are `h_` and hex; anything else was refused above as an unknown host.
    Ok(Redirect::to(&format!("/console/fleet/hosts/{id}#harden")).into_response())
}

/// A group name as a path segment.
fn urlencoding(name: &str) -> String {
    percent_encoding::utf8_percent_encode(name, percent_encoding::NON_ALPHANUMERIC).to_string()
}
