//! The console's fleet: the hosts with their filters, a page per host (facts, what it needs and
//! why, its inventory and check-ins), an advisory's exposure with its chart, a package's status
//! per group, and enrollment (secrets and groups).
//!
//! Every page calls the operations in `mod.rs`, so the permission checks are the API's.

use axum::extract::{Path, State};
use axum::response::{IntoResponse, Redirect};
use minijinja::{Value, context};
use parapet_model::Permission;
use parapet_store::{AdvisoryStatus, Exposure, HostPackage, HostSummary};
use serde::Deserialize;
use time::OffsetDateTime;

use super::api::HostParams;
use super::{GroupInput, SecretInput};
use crate::auth::Caller;
use crate::error::ApiError;
use crate::extract::{ConsoleForm, Empty, Params, SignedIn};
use crate::render::{PageResult, Pager, fmt_time, page};
use crate::routes::{Routes, get, post};
use crate::state::AppState;

pub fn routes() -> Routes {
    Routes::new()
        .page("/console/fleet", get(hosts))
        .page("/console/fleet/hosts/{id}", get(host))
        .page("/console/fleet/hosts/{id}/revoke", post(revoke_host))
        .page("/console/fleet/advisories/{id}", get(exposure))
        .page("/console/fleet/packages/{name}", get(package))
        .page("/console/fleet/enrollment", get(enrollment))
        .page("/console/fleet/enrollment/secrets", post(create_secret))
        .page("/console/fleet/enrollment/secrets/{id}/revoke", post(revoke_secret))
        .page("/console/fleet/enrollment/groups", post(create_group))
}

fn when(t: Option<OffsetDateTime>) -> String {
    t.map(fmt_time).unwrap_or_else(|| "never".to_owned())
}

fn host_row(h: &HostSummary) -> Value {
    context! {
        id => h.id,
        hostname => h.hostname,
        os => format!("{} {}", h.os, h.os_version).trim().to_owned(),
        arch => h.arch,
        groups => h.groups,
        last_seen => when(h.last_seen_at),
        stale => h.stale,
        reboot_required => h.reboot_required,
        packages => h.packages,
        security_updates => h.security_updates,
        other_updates => h.other_updates,
        vulnerabilities => h.vulnerabilities,
        severity => h.severity.map(|s| s.as_str()),
        revoked => h.revoked,
        clone_suspected => h.clone_suspected_at.map(fmt_time),
    }
}

async fn hosts(
    State(state): State<AppState>,
    SignedIn(caller): SignedIn,
    Params(params): Params<HostParams>,
) -> PageResult {
    if params.format.is_some() {
        return Err(ApiError::invalid("format", "the console page is HTML; the API has CSV"));
    }
    let query = params.to_query()?;
    let found = super::hosts(&state, &caller, query).await?;
    let groups: Vec<String> = super::groups(&state, &caller).await?.into_iter().map(|g| g.name).collect();
    let text = |v: &Option<String>| v.clone().unwrap_or_default();
    let flag = |v: Option<bool>| v.map(|b| b.to_string()).unwrap_or_default();
    let (q, group, os) = (text(&params.q), text(&params.group), text(&params.os));
    let (security, reboot, stale) =
        (flag(params.needs_security_updates), flag(params.reboot_required), flag(params.stale));
    let filters = [
        ("q", q.as_str()),
        ("group", &group),
        ("os", &os),
        ("needs_security_updates", &security),
        ("reboot_required", &reboot),
        ("stale", &stale),
    ];
    let pager = Pager::numbered(found.page, found.per_page, found.total, "/console/fleet", &filters);
    let mut csv: Vec<(&str, &str)> = filters.iter().copied().filter(|(_, v)| !v.is_empty()).collect();
    csv.push(("format", "csv"));
    let csv = format!("/api/v1/fleet/hosts?{}", serde_urlencoded::to_string(&csv).unwrap_or_default());
    let items: Vec<Value> = found.items.iter().map(host_row).collect();
    page(
        &state,
        &caller,
        "fleet_hosts.html",
        "Fleet",
        "fleet",
        context! {
            items, total => found.total, paging => pager, groups, csv,
            filter => context! { q, group, os, security, reboot, stale },
            can_manage => caller.viewer.can(Permission::ManageFleet),
        },
    )
}

fn package_row(p: &HostPackage) -> Value {
    let findings: Vec<Value> = p
        .findings
        .iter()
        .map(|f| {
            context! {
                id => f.ids.first(),
                aliases => f.ids.iter().skip(1).collect::<Vec<_>>(),
                kind => f.kind,
                severity => f.severity.map(|s| s.as_str()),
                title => f.title,
                fixed => f.fixed,
                note => f.note,
            }
        })
        .collect();
    context! {
        name => p.name, arch => p.arch, version => p.version, source => p.source,
        update => p.update_version, classification => p.classification,
        severity => p.severity.map(|s| s.as_str()), findings, computed => p.computed,
    }
}

async fn host(State(state): State<AppState>, SignedIn(caller): SignedIn, Path(id): Path<String>) -> PageResult {
    let detail = super::host(&state, &caller, &id).await?;
    let packages = super::host_packages(&state, &caller, &id).await?;
    let check_ins = super::check_ins(&state, &caller, &id).await?;
    let jobs: Vec<Value> =
        super::approvals::host_jobs(&state, &caller, &id).await?.iter().map(super::rollout_pages::job_row).collect();
    let (needed, rest): (Vec<&HostPackage>, Vec<&HostPackage>) =
        packages.iter().partition(|p| p.update_version.is_some() || !p.findings.is_empty());
    let (updates, vulnerable): (Vec<&HostPackage>, Vec<&HostPackage>) =
        needed.into_iter().partition(|p| p.update_version.is_some());
    let uncomputed = packages.iter().filter(|p| !p.computed).count();
    let facts = detail.facts.as_ref().map(|f| {
        let days = f.uptime_seconds / 86_400;
        let hours = (f.uptime_seconds % 86_400) / 3600;
        context! {
            os => format!("{} {}{}", f.os, f.os_version, f.os_codename.as_ref().map(|c| format!(" ({c})")).unwrap_or_default()),
            arch => f.arch, kernel => f.kernel, kernels_installed => f.kernels_installed,
            uptime => format!("{days} d {hours} h"), agent_version => f.agent_version,
        }
    });
    let history: Vec<Value> = check_ins
        .iter()
        .map(|c| {
            context! {
                at => fmt_time(c.at), sequence => c.sequence, outcome => c.outcome,
                packages => c.packages, detail => c.detail,
            }
        })
        .collect();
    let malware: Vec<Value> =
        super::malware::host_malware(&state, &caller, &id).await?.iter().map(super::malware_pages::event_row).collect();
    let harden = super::harden_pages::host_section(&super::harden::host_harden(&state, &caller, &id).await?);
    let title = detail.summary.hostname.clone();
    page(
        &state,
        &caller,
        "fleet_host.html",
        &title,
        "fleet",
        context! {
            host => host_row(&detail.summary),
            facts,
            tags => detail.tags.iter().map(ToString::to_string).collect::<Vec<_>>(),
            enrollment_secret => detail.enrollment_secret,
            sequence => detail.sequence,
            enrolled => fmt_time(detail.summary.enrolled_at),
            updates => updates.into_iter().map(package_row).collect::<Vec<_>>(),
            vulnerable => vulnerable.into_iter().map(package_row).collect::<Vec<_>>(),
            inventory => rest.into_iter().map(package_row).collect::<Vec<_>>(),
            uncomputed,
            history,
            jobs,
            malware,
            harden,
            can_manage => caller.viewer.can(Permission::ManageFleet),
        },
    )
}

async fn revoke_host(
    State(state): State<AppState>,
    Path(id): Path<String>,
    ConsoleForm { caller, .. }: ConsoleForm<Empty>,
) -> PageResult {
    super::revoke_host(&state, &caller, &id).await?;
    // Host IDs are `h_` and hex; anything else was refused above as an unknown host.
    Ok(Redirect::to(&format!("/console/fleet/hosts/{id}")).into_response())
}

/// The points of a step chart of the samples, in a `WIDTH`×`HEIGHT` box, for an SVG
/// `polyline`: no script, so it shows in any browser and in a saved page.
const WIDTH: f64 = 640.0;
const HEIGHT: f64 = 160.0;

fn chart(exposure: &Exposure, now: OffsetDateTime) -> Option<Value> {
    let mut points: Vec<(OffsetDateTime, i64)> = exposure.samples.iter().map(|s| (s.at, s.hosts)).collect();
    if points.last().is_none_or(|(at, _)| *at < now) {
        points.push((now, exposure.hosts_now));
    }
    if points.len() < 2 {
        return None;
    }
    let start = points[0].0;
    let span = ((now - start).whole_seconds().max(1)) as f64;
    let top = points.iter().map(|(_, h)| *h).max().unwrap_or(0).max(1) as f64;
    let x = |at: OffsetDateTime| ((at - start).whole_seconds() as f64 / span * WIDTH).clamp(0.0, WIDTH);
    let y = |hosts: i64| HEIGHT - hosts as f64 / top * HEIGHT;
    let mut line = Vec::with_capacity(points.len() * 2);
    for (i, (at, hosts)) in points.iter().enumerate() {
        if i > 0 {
            // Hold the previous count until this sample: the chart steps, it does not slope.
            line.push(format!("{:.1},{:.1}", x(*at), y(points[i - 1].1)));
        }
        line.push(format!("{:.1},{:.1}", x(*at), y(*hosts)));
    }
    Some(context! {
        width => WIDTH, height => HEIGHT, points => line.join(" "), top => top as i64,
        from => fmt_time(start), to => fmt_time(now), samples => exposure.samples.len(),
    })
}

fn status_rows(status: &AdvisoryStatus) -> Vec<Value> {
    status
        .groups
        .iter()
        .map(|g| {
            context! {
                group => g.group, hosts => g.hosts, needed => g.needed, installed => g.installed,
                not_applicable => g.not_applicable,
            }
        })
        .collect()
}

async fn exposure(State(state): State<AppState>, SignedIn(caller): SignedIn, Path(id): Path<String>) -> PageResult {
    let exposure = super::exposure(&state, &caller, &id).await?;
    let status = super::advisory_status(&state, &caller, &id).await?;
    let remediation = super::remediation(&state, &caller, &id).await?;
    let remediation_groups: Vec<Value> = remediation
        .updates
        .iter()
        .flat_map(|u| {
            u.groups.iter().map(move |g| {
                context! {
                    package => u.package, version => u.version, group => g.group,
                    approved => g.approved_at.map(fmt_time), first => g.first_install_at.map(fmt_time),
                    last => g.last_install_at.map(fmt_time), installs => g.installs, failures => g.failures,
                }
            })
        })
        .collect();
    // The catalog holds only what was published or synced: an embargoed case is not there.
    let entry = state.store.catalog_entry(&id).await?;
    let hosts: Vec<Value> = exposure
        .hosts
        .iter()
        .map(|h| {
            context! {
                id => h.id, hostname => h.hostname, package => h.package, installed => h.installed,
                update => h.update_version,
            }
        })
        .collect();
    let title = format!("Exposure to {id}");
    page(
        &state,
        &caller,
        "fleet_exposure.html",
        &title,
        "fleet",
        context! {
            advisory => id,
            entry => entry.as_ref().map(|e| context! {
                id => e.id, title => e.title, severity => e.severity.map(|s| s.as_str()),
            }),
            hosts_now => exposure.hosts_now,
            first_seen => exposure.first_seen_at.map(fmt_time),
            chart => chart(&exposure, state.clock.now()),
            hosts, listed => exposure.hosts.len(),
            groups => status_rows(&status),
            remediation => context! {
                published => remediation.published_at.map(fmt_time),
                remediated => remediation.remediated_at.map(fmt_time),
                took => remediation.time_to_remediation_seconds.map(super::duration_text),
                seconds => remediation.time_to_remediation_seconds,
                groups => remediation_groups,
            },
        },
    )
}

async fn package(State(state): State<AppState>, SignedIn(caller): SignedIn, Path(name): Path<String>) -> PageResult {
    let status = super::update_status(&state, &caller, &name).await?;
    let title = format!("Updates of {name}");
    page(
        &state,
        &caller,
        "fleet_package.html",
        &title,
        "fleet",
        context! { package => name, groups => status_rows(&status) },
    )
}

async fn enrollment(State(state): State<AppState>, SignedIn(caller): SignedIn) -> PageResult {
    enrollment_page(&state, &caller, None).await
}

async fn enrollment_page(state: &AppState, caller: &Caller, created: Option<Value>) -> PageResult {
    let now = state.clock.now();
    let secrets: Vec<Value> = super::secrets(state, caller)
        .await?
        .iter()
        .map(|s| {
            context! {
                id => s.id, name => s.name, group => s.group, state => s.state(now),
                uses => s.uses, max_uses => s.max_uses, expires => s.expires_at.map(fmt_time),
                created => fmt_time(s.created_at), created_by => s.created_by,
            }
        })
        .collect();
    let groups: Vec<Value> = super::groups(state, caller)
        .await?
        .iter()
        .map(|g| {
            context! {
                name => g.name, description => g.description, hosts => g.hosts,
                rule => g.rule.iter().map(ToString::to_string).collect::<Vec<_>>(),
            }
        })
        .collect();
    let response = page(
        state,
        caller,
        "fleet_enrollment.html",
        "Enrollment and groups",
        "fleet",
        context! {
            secrets, groups, created, base_url => state.settings.server.public_url.trim_end_matches('/'),
            can_manage => caller.viewer.can(Permission::ManageFleet),
        },
    )?;
    // The page may show a secret, once: never keep it in a cache.
    Ok(crate::render::no_store(response))
}

#[derive(Debug, Deserialize)]
struct SecretForm {
    name: String,
    #[serde(default)]
    group: String,
    #[serde(default)]
    max_uses: String,
    /// Days from now; blank for none.
    #[serde(default)]
    expires_in_days: String,
}

async fn create_secret(
    State(state): State<AppState>,
    ConsoleForm { caller, form }: ConsoleForm<SecretForm>,
) -> PageResult {
    let number = |field: &'static str, text: &str| -> Result<Option<i64>, ApiError> {
        let text = text.trim();
        if text.is_empty() {
            return Ok(None);
        }
        text.parse::<i64>().map(Some).map_err(|_| ApiError::invalid(field, "is not a whole number"))
    };
    let max_uses = number("max_uses", &form.max_uses)?;
    let expires_at = match number("expires_in_days", &form.expires_in_days)? {
        Some(days) if (1..=3650).contains(&days) => Some(state.clock.now() + time::Duration::days(days)),
        Some(_) => return Err(ApiError::invalid("expires_in_days", "must be between 1 and 3650")),
        None => None,
    };
    let group = Some(form.group.trim().to_owned()).filter(|g| !g.is_empty());
    let input = SecretInput { name: form.name, group, expires_at, max_uses };
    let (stored, secret) = super::create_secret(&state, &caller, input).await?;
    let created = context! { name => stored.name, secret };
    enrollment_page(&state, &caller, Some(created)).await
}

async fn revoke_secret(
    State(state): State<AppState>,
    Path(id): Path<String>,
    ConsoleForm { caller, .. }: ConsoleForm<Empty>,
) -> PageResult {
    let id = crate::extract::Id::parse(&id).get("enrollment secret")?;
    super::revoke_secret(&state, &caller, id).await?;
    Ok(Redirect::to("/console/fleet/enrollment").into_response())
}

#[derive(Debug, Deserialize)]
struct GroupForm {
    name: String,
    #[serde(default)]
    description: String,
    /// `KEY=VALUE` tags separated by spaces or commas.
    #[serde(default)]
    rule: String,
}

async fn create_group(
    State(state): State<AppState>,
    ConsoleForm { caller, form }: ConsoleForm<GroupForm>,
) -> PageResult {
    let rule = form.rule.split([' ', ',']).filter(|t| !t.is_empty()).map(str::to_owned).collect();
    super::create_group(&state, &caller, GroupInput { name: form.name, description: form.description, rule }).await?;
    Ok(Redirect::to("/console/fleet/enrollment").into_response())
}
