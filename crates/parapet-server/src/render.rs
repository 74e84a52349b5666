//! Server-rendered HTML: the templates (every file under `templates/`, embedded at build time and
//! auto-escaped, as minijinja escapes `.html` templates), the frame every page shares, and the
//! small view helpers pages have in common (times, select options, the pager).

use axum::http::header;
use axum::response::{Html, IntoResponse, Response};
use minijinja::{Environment, UndefinedBehavior, Value, context};
use parapet_model::{Permission, Severity};
use serde::Serialize;
use std::collections::BTreeSet;
use std::sync::Mutex;
use time::OffsetDateTime;

use crate::auth::Caller;
use crate::error::{ApiError, ApiResult};
use crate::state::AppState;

pub struct Templates {
    env: Environment<'static>,
    /// The templates rendered so far, for the test that every template renders.
    rendered: Mutex<BTreeSet<String>>,
}

impl Templates {
    /// The embedded templates. Debug builds (and so the test suite) treat an undefined variable
    /// as an error, so that a misspelt name fails a test; release builds render it as nothing
    /// rather than fail a page in production.
    pub fn new() -> Templates {
        let strict = if cfg!(debug_assertions) { UndefinedBehavior::Strict } else { UndefinedBehavior::Lenient };
        Templates::with_undefined(strict)
    }

    pub fn with_undefined(behavior: UndefinedBehavior) -> Templates {
        let mut env = Environment::new();
        env.set_undefined_behavior(behavior);
        // A none value renders as nothing, not as "none", so that optional fields show empty.
        env.set_formatter(
            |out, state, value| {
                if value.is_none() { Ok(()) } else { minijinja::escape_formatter(out, state, value) }
            },
        );
        minijinja_embed::load_templates!(&mut env);
        Templates { env, rendered: Mutex::new(BTreeSet::new()) }
    }

    pub fn render(&self, name: &str, ctx: Value) -> ApiResult<String> {
        self.try_render(name, ctx).map_err(ApiError::internal)
    }

    pub fn try_render(&self, name: &str, ctx: Value) -> Result<String, minijinja::Error> {
        let text = self.env.get_template(name).and_then(|t| t.render(ctx))?;
        self.rendered.lock().unwrap_or_else(|e| e.into_inner()).insert(name.to_owned());
        Ok(text)
    }

    /// Every template's name.
    pub fn names(&self) -> Vec<String> {
        self.env.templates().map(|(name, _)| name.to_owned()).collect()
    }

    /// The names of the templates rendered at least once.
    pub fn rendered(&self) -> BTreeSet<String> {
        self.rendered.lock().unwrap_or_else(|e| e.into_inner()).clone()
    }
}

impl Default for Templates {
    fn default() -> Self {
        Templates::new()
    }
}

pub(crate) type PageResult = ApiResult<Response>;

/// Renders a page with what every page needs: the signed-in user and the CSRF token.
pub(crate) fn page(
    state: &AppState,
    caller: &Caller,
    template: &str,
    title: &str,
    nav: &str,
    ctx: Value,
) -> PageResult {
    page_with_status(axum::http::StatusCode::OK, state, caller, template, title, nav, ctx)
}

/// The same page with another status than 200.
pub(crate) fn page_with_status(
    status: axum::http::StatusCode,
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
        can_fleet => caller.viewer.can(Permission::ViewFleet),
        version => env!("CARGO_PKG_VERSION"),
    };
    let html = state.templates.render(template, context! { ..ctx, ..base })?;
    Ok((status, Html(html)).into_response())
}

pub(crate) fn no_store(mut response: Response) -> Response {
    response.headers_mut().insert(header::CACHE_CONTROL, header::HeaderValue::from_static("no-store"));
    response
}

pub(crate) fn fmt_time(t: OffsetDateTime) -> String {
    t.format(&time::macros::format_description!("[year]-[month]-[day] [hour]:[minute] UTC")).unwrap_or_default()
}

/// Select options from a list of values.
pub(crate) fn options<T: Copy>(
    items: &[T],
    value: impl Fn(T) -> &'static str,
    label: impl Fn(T) -> &'static str,
) -> Vec<Value> {
    items.iter().map(|i| context! { value => value(*i), label => label(*i) }).collect()
}

pub(crate) fn severity_options() -> Vec<Value> {
    options(&Severity::ALL, Severity::as_str, Severity::label)
}

/// Where a paginated page is and the links to its neighbours, for the `pager` macro. Numbered
/// pagers know the total; keyset pagers (a cursor in the link) only know whether there is more.
#[derive(Debug, Clone, Serialize)]
pub(crate) struct Pager {
    pub page: u32,
    pub pages: Option<u32>,
    pub total: Option<i64>,
    pub prev_url: Option<String>,
    pub next_url: Option<String>,
}

impl Pager {
    /// Page `page` of `total` items, `per_page` a page; links go to `path` with `filters` (empty
    /// values left out) and the page number.
    pub fn numbered(page: u32, per_page: u32, total: i64, path: &str, filters: &[(&str, &str)]) -> Pager {
        let pages = u32::try_from(total.max(0)).unwrap_or(u32::MAX).div_ceil(per_page.max(1)).max(1);
        let link = |page: u32| {
            let mut pairs: Vec<(&str, String)> =
                filters.iter().filter(|(_, v)| !v.is_empty()).map(|(k, v)| (*k, (*v).to_owned())).collect();
            pairs.push(("page", page.to_string()));
            format!("{path}?{}", serde_urlencoded::to_string(&pairs).unwrap_or_default())
        };
        Pager {
            page,
            pages: Some(pages),
            total: Some(total),
            prev_url: (page > 1).then(|| link(page - 1)),
            next_url: (page < pages).then(|| link(page + 1)),
        }
    }

    /// A page of a list read after a cursor: `next_url` when there is more.
    pub fn keyset(next_url: Option<String>) -> Pager {
        Pager { page: 1, pages: None, total: None, prev_url: None, next_url }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_misspelt_variable_is_an_error() {
        let mut env = Environment::new();
        env.set_undefined_behavior(UndefinedBehavior::Strict);
        env.add_template("t.html", "<h1>{{ titel }}</h1>{% if eror %}!{% endif %}").unwrap();
        let error = env.get_template("t.html").unwrap().render(context! { title => "x", error => "e" }).unwrap_err();
        assert_eq!(error.kind(), minijinja::ErrorKind::UndefinedError);
        // The embedded templates are strict in debug builds, as the test suite runs them.
        let templates = Templates::new();
        assert!(templates.names().contains(&"base.html".to_owned()));
        assert!(templates.try_render("error.html", context! { heading => "h" }).is_err());
    }

    #[test]
    fn pagers() {
        let p = Pager::numbered(2, 50, 120, "/cases", &[("state", "new"), ("q", "")]);
        assert_eq!(p.pages, Some(3));
        assert_eq!(p.prev_url.as_deref(), Some("/cases?state=new&page=1"));
        assert_eq!(p.next_url.as_deref(), Some("/cases?state=new&page=3"));
        let only = Pager::numbered(1, 50, 0, "/audit", &[]);
        assert_eq!((only.pages, only.prev_url, only.next_url), (Some(1), None, None));
        assert_eq!(Pager::keyset(None).pages, None);
    }
}
