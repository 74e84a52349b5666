//! Products and their versions: the operations, the API (`/api/v1/products`) and the console
//! page (`/products`). Products are no secret among staff; changing them takes `EditProducts`.

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use minijinja::context;
use parapet_model::{Permission, Product, ProductInput, ProductVersion, VersionInput};
use serde::Deserialize;

use crate::auth::Caller;
use crate::error::ApiResult;
use crate::extract::{ConsoleForm, Id, Json, SignedIn};
use crate::render::{PageResult, page};
use crate::routes::{Routes, get, post};
use crate::state::AppState;

pub fn routes() -> Routes {
    Routes::new()
        .api("/api/v1/products", get(api_list).post(api_create))
        .api("/api/v1/products/{id}", get(api_read))
        .api("/api/v1/products/{id}/versions", post(api_add_version))
        .page("/products", get(products_page).post(page_create))
        .page("/products/{id}/versions", post(page_add_version))
}

// ---- operations ----

pub(crate) async fn list(state: &AppState, caller: &Caller) -> ApiResult<Vec<Product>> {
    caller.require(Permission::ViewProducts)?;
    Ok(state.store.products().await?)
}

pub(crate) async fn get_one(state: &AppState, caller: &Caller, id: Id) -> ApiResult<Product> {
    caller.require(Permission::ViewProducts)?;
    Ok(state.store.product(id.get("product")?).await?)
}

pub(crate) async fn create(state: &AppState, caller: &Caller, input: ProductInput) -> ApiResult<Product> {
    caller.require(Permission::EditProducts)?;
    Ok(state.store.create_product(&caller.actor(), &input.validate()?).await?)
}

pub(crate) async fn add_version(
    state: &AppState,
    caller: &Caller,
    id: Id,
    input: VersionInput,
) -> ApiResult<ProductVersion> {
    let product = get_one(state, caller, id).await?;
    caller.require(Permission::EditProducts)?;
    Ok(state.store.add_product_version(&caller.actor(), product.id, &input.validate()?).await?)
}

// ---- API ----

async fn api_list(State(state): State<AppState>, caller: Caller) -> ApiResult<impl IntoResponse> {
    Ok(axum::Json(list(&state, &caller).await?))
}

async fn api_create(
    State(state): State<AppState>,
    caller: Caller,
    Json(input): Json<ProductInput>,
) -> ApiResult<Response> {
    let product = create(&state, &caller, input).await?;
    Ok((StatusCode::CREATED, axum::Json(product)).into_response())
}

async fn api_read(State(state): State<AppState>, caller: Caller, id: Id) -> ApiResult<impl IntoResponse> {
    Ok(axum::Json(get_one(&state, &caller, id).await?))
}

async fn api_add_version(
    State(state): State<AppState>,
    caller: Caller,
    id: Id,
    Json(input): Json<VersionInput>,
) -> ApiResult<Response> {
    let version = add_version(&state, &caller, id, input).await?;
    Ok((StatusCode::CREATED, axum::Json(version)).into_response())
}

// ---- console ----

async fn products_page(State(state): State<AppState>, SignedIn(caller): SignedIn) -> PageResult {
    let products = list(&state, &caller).await?;
    let can_edit = caller.viewer.can(Permission::EditProducts);
    page(&state, &caller, "products.html", "Products", "products", context! { products, can_edit })
}

#[derive(Deserialize)]
struct ProductForm {
    vendor: String,
    name: String,
    #[serde(default)]
    cpe: String,
    #[serde(default)]
    purl: String,
}

async fn page_create(
    State(state): State<AppState>,
    ConsoleForm { caller, form }: ConsoleForm<ProductForm>,
) -> PageResult {
    let input = ProductInput { vendor: form.vendor, name: form.name, cpe: Some(form.cpe), purl: Some(form.purl) };
    create(&state, &caller, input).await?;
    Ok(Redirect::to("/products").into_response())
}

#[derive(Deserialize)]
struct VersionForm {
    version: String,
    #[serde(default)]
    branch: String,
}

async fn page_add_version(
    State(state): State<AppState>,
    id: Id,
    ConsoleForm { caller, form }: ConsoleForm<VersionForm>,
) -> PageResult {
    let input = VersionInput { version: form.version, branch: Some(form.branch), cpe: None, purl: None };
    add_version(&state, &caller, id, input).await?;
    Ok(Redirect::to("/products").into_response())
}
