//! Accounts: users, their API tokens, and signing in. The operations here are called by the API
//! (`api.rs`) and the console (`pages.rs`).

pub mod api;
pub mod pages;

use parapet_model::{Permission, Role, Scope, Viewer};
use parapet_store::{ApiToken, User};

use crate::auth::{self, Caller};
use crate::error::{ApiError, ApiResult};
use crate::extract::Id;
use crate::state::AppState;

pub(crate) async fn users(state: &AppState, caller: &Caller) -> ApiResult<Vec<User>> {
    caller.require(Permission::ViewUsers)?;
    Ok(state.store.users().await?)
}

/// A new account with a password.
pub(crate) struct NewUser {
    pub name: String,
    /// Parsed after the permission check, like every value an operation reads: a caller who
    /// may not act learns that, not what is wrong with the input.
    pub role: String,
    pub password: String,
}

pub(crate) async fn create_user(state: &AppState, caller: &Caller, new: NewUser) -> ApiResult<User> {
    caller.require(Permission::ManageUsers)?;
    let role: Role = new.role.parse()?;
    auth::check_password(&new.password)?;
    let hash = auth::hash_password(new.password).await?;
    Ok(state.store.create_user(&caller.actor(), &new.name, role, Some(&hash)).await?)
}

/// What changes about an account; `None` leaves it as it is.
#[derive(Default)]
pub(crate) struct UserChange {
    pub role: Option<String>,
    pub password: Option<String>,
    pub disabled: Option<bool>,
}

pub(crate) async fn update_user(state: &AppState, caller: &Caller, id: Id, change: UserChange) -> ApiResult<User> {
    caller.require(Permission::ManageUsers)?;
    let id = id.get("user")?;
    let role = change.role.as_deref().map(str::parse::<Role>).transpose()?;
    let hash = match change.password {
        Some(password) => {
            auth::check_password(&password)?;
            Some(auth::hash_password(password).await?)
        }
        None => None,
    };
    Ok(state.store.update_user(&caller.actor(), id, role, hash.as_deref(), change.disabled).await?)
}

/// The signed-in user behind the caller.
fn own(caller: &Caller) -> ApiResult<&User> {
    caller.user.as_ref().ok_or_else(ApiError::unauthenticated)
}

/// The caller's own tokens, or everyone's for those who may see users.
pub(crate) async fn tokens(state: &AppState, caller: &Caller, everyone: bool) -> ApiResult<Vec<ApiToken>> {
    let user = own(caller)?;
    if everyone {
        caller.require(Permission::ViewUsers)?;
    }
    Ok(state.store.tokens(if everyone { None } else { Some(user.id) }).await?)
}

/// A new API token: its secret, shown once, and what is kept of it.
pub(crate) struct NewToken {
    pub secret: String,
    pub token: ApiToken,
}

/// Creates a token for the caller's own account. A token can never do more than the token
/// that created it.
pub(crate) async fn create_token(
    state: &AppState,
    caller: &Caller,
    name: &str,
    scopes: &[Scope],
) -> ApiResult<NewToken> {
    let user = own(caller)?;
    if scopes.is_empty() {
        return Err(ApiError::invalid("scopes", "at least one scope is required"));
    }
    if let Viewer::Staff { scopes: Some(held), .. } = &caller.viewer
        && scopes.iter().any(|s| !held.contains(s))
    {
        return Err(ApiError::forbidden());
    }
    let secret = auth::new_api_token();
    let token = state.store.create_token(&caller.actor(), user.id, name, &auth::digest(&secret), scopes).await?;
    Ok(NewToken { secret, token })
}

/// Revokes a token of the caller's own, or anyone's for those who manage users; others' tokens
/// are "not found" to everybody else.
pub(crate) async fn revoke_token(state: &AppState, caller: &Caller, id: Id) -> ApiResult<ApiToken> {
    let user = own(caller)?;
    let id = id.get("token")?;
    let owned = state.store.tokens(Some(user.id)).await?.iter().any(|t| t.id == id);
    if !owned && !caller.viewer.can(Permission::ManageUsers) {
        return Err(ApiError::not_found("token"));
    }
    Ok(state.store.revoke_token(&caller.actor(), id).await?)
}
