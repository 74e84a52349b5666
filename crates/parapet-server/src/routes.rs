//! The route table: every route the server answers, recorded beside the axum router that serves
//! it, so that tests enumerate routes from the router itself (the embargo walk, the OpenAPI
//! coverage check) and each surface gets its error handling applied once.

use axum::Router;
use axum::handler::Handler;
use axum::http::Method;
use axum::routing::MethodRouter;

use crate::state::AppState;

/// How a route answers, and so how its errors are shaped.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Surface {
    /// JSON under `/api/v1`: every error has the API's JSON body.
    Api,
    /// HTML pages of the console and the portal: errors are rendered as pages, and anonymous
    /// callers are sent to sign in.
    Page,
    /// Files and feeds served as they are (the CSAF directory, feeds, the calendar, health).
    File,
}

/// One method on one path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Route {
    pub method: Method,
    pub path: &'static str,
    pub surface: Surface,
}

/// The handlers of one path, with the methods they answer.
pub struct Endpoint {
    methods: Vec<Method>,
    router: MethodRouter<AppState>,
}

macro_rules! method {
    ($name:ident, $method:ident) => {
        pub fn $name<H, T>(handler: H) -> Endpoint
        where
            H: Handler<T, AppState>,
            T: 'static,
        {
            Endpoint { methods: vec![Method::$method], router: axum::routing::$name(handler) }
        }

        impl Endpoint {
            pub fn $name<H, T>(mut self, handler: H) -> Endpoint
            where
                H: Handler<T, AppState>,
                T: 'static,
            {
                self.methods.push(Method::$method);
                self.router = self.router.$name(handler);
                self
            }
        }
    };
}

method!(get, GET);
method!(post, POST);
method!(put, PUT);
method!(patch, PATCH);
method!(delete, DELETE);

impl Endpoint {
    /// Accepts request bodies up to `bytes` on this path instead of the server-wide limit.
    pub fn body_limit(mut self, bytes: usize) -> Endpoint {
        self.router = self.router.layer(axum::extract::DefaultBodyLimit::max(bytes));
        self
    }
}

/// Routes being assembled, one router per surface, and the table of what they answer.
#[derive(Default)]
pub struct Routes {
    api: Router<AppState>,
    pages: Router<AppState>,
    files: Router<AppState>,
    table: Vec<Route>,
}

impl Routes {
    pub fn new() -> Routes {
        Routes::default()
    }

    pub fn api(self, path: &'static str, endpoint: Endpoint) -> Routes {
        self.add(Surface::Api, path, endpoint)
    }

    pub fn page(self, path: &'static str, endpoint: Endpoint) -> Routes {
        self.add(Surface::Page, path, endpoint)
    }

    pub fn file(self, path: &'static str, endpoint: Endpoint) -> Routes {
        self.add(Surface::File, path, endpoint)
    }

    fn add(mut self, surface: Surface, path: &'static str, endpoint: Endpoint) -> Routes {
        self.table.extend(endpoint.methods.into_iter().map(|method| Route { method, path, surface }));
        let router = match surface {
            Surface::Api => &mut self.api,
            Surface::Page => &mut self.pages,
            Surface::File => &mut self.files,
        };
        *router = std::mem::take(router).route(path, endpoint.router);
        self
    }

    pub fn merge(mut self, other: Routes) -> Routes {
        self.api = self.api.merge(other.api);
        self.pages = self.pages.merge(other.pages);
        self.files = self.files.merge(other.files);
        self.table.extend(other.table);
        self
    }

    pub fn table(&self) -> &[Route] {
        &self.table
    }

    /// One router, with the API's error shape on the API routes and the error pages on the page
    /// routes, each layer applied once.
    pub fn into_router(self, state: &AppState) -> Router<AppState> {
        let api = self.api.layer(axum::middleware::map_response(crate::error::api_error_shape));
        let pages =
            self.pages.layer(axum::middleware::from_fn_with_state(state.clone(), crate::error::render_error_pages));
        api.merge(pages).merge(self.files)
    }
}
