//! Accounts: users, browser sessions, API tokens, login throttling and first-start setup.
//!
//! The store only ever sees password hashes and token digests; secrets themselves never
//! reach it.

use parapet_model::{FieldError, Role, Scope};
use serde::Serialize;
use sqlx::{Any, Row};
use time::OffsetDateTime;

use crate::audit::{Audit, append};
use crate::{Store, StoreError, from_ms, now_ms, to_ms};
use parapet_model::AuditAction;

#[derive(Debug, Clone, Serialize)]
pub struct User {
    pub id: i64,
    pub name: String,
    pub role: Role,
    pub disabled: bool,
    #[serde(skip)]
    pub password_hash: Option<String>,
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
}

#[derive(Debug, Clone)]
pub struct Session {
    pub user: User,
    pub csrf_token: String,
    pub expires_at: OffsetDateTime,
}

#[derive(Debug, Clone, Serialize)]
pub struct ApiToken {
    pub id: i64,
    pub user_id: i64,
    pub user_name: String,
    pub name: String,
    pub scopes: Vec<Scope>,
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339::option")]
    pub last_used_at: Option<OffsetDateTime>,
    #[serde(with = "time::serde::rfc3339::option")]
    pub revoked_at: Option<OffsetDateTime>,
}

const USER_COLUMNS: &str = "id, name, role, password_hash, disabled, created_at";

/// A `users` row as stored (the columns of [`USER_COLUMNS`]).
#[derive(sqlx::FromRow)]
struct UserRow {
    id: i64,
    name: String,
    role: String,
    password_hash: Option<String>,
    disabled: i64,
    created_at: i64,
}

impl UserRow {
    fn into_user(self) -> Result<User, StoreError> {
        Ok(User {
            id: self.id,
            name: self.name,
            role: self.role.parse().map_err(|e: FieldError| StoreError::Corrupt(e.to_string()))?,
            password_hash: self.password_hash,
            disabled: self.disabled != 0,
            created_at: from_ms(self.created_at),
        })
    }
}

fn user(row: &sqlx::any::AnyRow) -> Result<User, StoreError> {
    <UserRow as sqlx::FromRow<_>>::from_row(row)?.into_user()
}

fn user_json(user: &User) -> serde_json::Value {
    serde_json::json!({"name": user.name, "role": user.role, "disabled": user.disabled})
}

/// An `api_tokens` row with its user's name.
#[derive(sqlx::FromRow)]
struct TokenRow {
    id: i64,
    user_id: i64,
    user_name: String,
    name: String,
    scopes: String,
    created_at: i64,
    last_used_at: Option<i64>,
    revoked_at: Option<i64>,
}

fn token(row: &sqlx::any::AnyRow) -> Result<ApiToken, StoreError> {
    let row = <TokenRow as sqlx::FromRow<_>>::from_row(row)?;
    Ok(ApiToken {
        id: row.id,
        user_id: row.user_id,
        user_name: row.user_name,
        name: row.name,
        scopes: Scope::parse_list(&row.scopes).map_err(|e| StoreError::Corrupt(e.to_string()))?,
        created_at: from_ms(row.created_at),
        last_used_at: row.last_used_at.map(from_ms),
        revoked_at: row.revoked_at.map(from_ms),
    })
}

/// A session with its user, as [`Store::session`] reads it.
#[derive(sqlx::FromRow)]
struct SessionRow {
    #[sqlx(flatten)]
    user: UserRow,
    csrf_token: String,
    expires_at: i64,
}

/// A live token with its user, as [`Store::use_token`] reads it in one query.
#[derive(sqlx::FromRow)]
struct UsedTokenRow {
    token_id: i64,
    user_name: String,
    token_name: String,
    scopes: String,
    token_created_at: i64,
    last_used_at: Option<i64>,
    #[sqlx(flatten)]
    user: UserRow,
}

/// Checks a user name: 1 to 64 of letters, digits, `.`, `_`, `-`, `@`.
pub fn validate_user_name(name: &str) -> Result<(), FieldError> {
    let ok = !name.is_empty()
        && name.len() <= 64
        && name.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-' | '@'));
    if ok {
        Ok(())
    } else {
        Err(FieldError::new(
            "name",
            format!("{name:?} is not a user name: use 1 to 64 letters, digits, '.', '_', '-' or '@'"),
        ))
    }
}

impl Store {
    pub async fn create_user(
        &self,
        actor: &str,
        name: &str,
        role: Role,
        password_hash: Option<&str>,
    ) -> Result<User, StoreError> {
        validate_user_name(name)?;
        let mut tx = self.write_tx().await?;
        let created = insert_user(&mut tx, actor, name, role, password_hash).await?;
        tx.commit().await?;
        Ok(created)
    }

    pub async fn user_by_name(&self, name: &str) -> Result<Option<User>, StoreError> {
        let row = sqlx::query::<Any>(&format!("SELECT {USER_COLUMNS} FROM users WHERE name = $1"))
            .bind(name)
            .fetch_optional(&self.pool)
            .await?;
        row.as_ref().map(user).transpose()
    }

    pub async fn user_by_id(&self, id: i64) -> Result<Option<User>, StoreError> {
        let row = sqlx::query::<Any>(&format!("SELECT {USER_COLUMNS} FROM users WHERE id = $1"))
            .bind(id)
            .fetch_optional(&self.pool)
            .await?;
        row.as_ref().map(user).transpose()
    }

    pub async fn users(&self) -> Result<Vec<User>, StoreError> {
        let rows = sqlx::query::<Any>(&format!("SELECT {USER_COLUMNS} FROM users ORDER BY name"))
            .fetch_all(&self.pool)
            .await?;
        rows.iter().map(user).collect()
    }

    pub async fn user_count(&self) -> Result<i64, StoreError> {
        Ok(sqlx::query_scalar::<Any, i64>("SELECT COUNT(*) FROM users").fetch_one(&self.pool).await?)
    }

    /// Changes a user's role, password or disabled flag. Changing a password or disabling
    /// a user ends their sessions.
    pub async fn update_user(
        &self,
        actor: &str,
        id: i64,
        role: Option<Role>,
        password_hash: Option<&str>,
        disabled: Option<bool>,
    ) -> Result<User, StoreError> {
        let mut tx = self.write_tx().await?;
        let row = sqlx::query::<Any>(&format!("SELECT {USER_COLUMNS} FROM users WHERE id = $1"))
            .bind(id)
            .fetch_optional(&mut *tx)
            .await?
            .ok_or(StoreError::NotFound("user"))?;
        let before = user(&row)?;
        let row = sqlx::query::<Any>(&format!(
            "UPDATE users SET role = $2, password_hash = $3, disabled = $4 WHERE id = $1 RETURNING {USER_COLUMNS}"
        ))
        .bind(id)
        .bind(role.unwrap_or(before.role).as_str())
        .bind(password_hash.map(str::to_owned).or(before.password_hash.clone()))
        .bind(disabled.unwrap_or(before.disabled) as i64)
        .fetch_one(&mut *tx)
        .await?;
        let after = user(&row)?;
        if password_hash.is_some() || after.disabled {
            sqlx::query::<Any>("DELETE FROM sessions WHERE user_id = $1").bind(id).execute(&mut *tx).await?;
        }
        let mut after_json = user_json(&after);
        if password_hash.is_some() {
            after_json["password"] = "changed".into();
        }
        append(
            &mut tx,
            Audit {
                actor,
                action: AuditAction::UserUpdate,
                entity_id: Some(id.to_string()),
                before: Some(user_json(&before)),
                after: Some(after_json),
            },
        )
        .await?;
        tx.commit().await?;
        Ok(after)
    }

    pub async fn create_session(
        &self,
        user_id: i64,
        token_hash: &str,
        csrf_token: &str,
        expires_at: OffsetDateTime,
    ) -> Result<(), StoreError> {
        let now = now_ms();
        let mut tx = self.write_tx().await?;
        sqlx::query::<Any>("DELETE FROM sessions WHERE expires_at < $1").bind(now).execute(&mut *tx).await?;
        sqlx::query::<Any>(
            "INSERT INTO sessions (token_hash, user_id, csrf_token, created_at, expires_at) VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(token_hash)
        .bind(user_id)
        .bind(csrf_token)
        .bind(now)
        .bind(to_ms(expires_at))
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// The live session with this token digest, if its user is still enabled.
    pub async fn session(&self, token_hash: &str) -> Result<Option<Session>, StoreError> {
        let row = sqlx::query::<Any>(
            "SELECT u.id, u.name, u.role, u.password_hash, u.disabled, u.created_at, s.csrf_token, s.expires_at \
             FROM sessions s JOIN users u ON u.id = s.user_id \
             WHERE s.token_hash = $1 AND s.expires_at > $2 AND u.disabled = 0",
        )
        .bind(token_hash)
        .bind(now_ms())
        .fetch_optional(&self.pool)
        .await?;
        row.map(|row| {
            let row = <SessionRow as sqlx::FromRow<_>>::from_row(&row)?;
            Ok(Session { user: row.user.into_user()?, csrf_token: row.csrf_token, expires_at: from_ms(row.expires_at) })
        })
        .transpose()
    }

    pub async fn delete_session(&self, token_hash: &str) -> Result<(), StoreError> {
        sqlx::query::<Any>("DELETE FROM sessions WHERE token_hash = $1").bind(token_hash).execute(&self.writer).await?;
        Ok(())
    }

    pub async fn create_token(
        &self,
        actor: &str,
        user_id: i64,
        name: &str,
        token_hash: &str,
        scopes: &[Scope],
    ) -> Result<ApiToken, StoreError> {
        let name = parapet_model::validate::required_text("name", name, 100)?;
        let mut tx = self.write_tx().await?;
        let id: i64 = sqlx::query_scalar::<Any, i64>(
            "INSERT INTO api_tokens (user_id, name, token_hash, scopes, created_at) VALUES ($1, $2, $3, $4, $5) RETURNING id",
        )
        .bind(user_id)
        .bind(&name)
        .bind(token_hash)
        .bind(Scope::format_list(scopes))
        .bind(now_ms())
        .fetch_one(&mut *tx)
        .await?;
        let created = self.token_in(&mut tx, id).await?;
        append(
            &mut tx,
            Audit {
                actor,
                action: AuditAction::TokenCreate,
                entity_id: Some(id.to_string()),
                before: None,
                after: Some(serde_json::json!({"user": created.user_name, "name": name, "scopes": scopes})),
            },
        )
        .await?;
        tx.commit().await?;
        Ok(created)
    }

    async fn token_in(&self, conn: &mut sqlx::AnyConnection, id: i64) -> Result<ApiToken, StoreError> {
        let row = sqlx::query::<Any>(
            "SELECT t.id, t.user_id, u.name AS user_name, t.name, t.scopes, t.created_at, t.last_used_at, t.revoked_at \
             FROM api_tokens t JOIN users u ON u.id = t.user_id WHERE t.id = $1",
        )
        .bind(id)
        .fetch_optional(conn)
        .await?
        .ok_or(StoreError::NotFound("token"))?;
        token(&row)
    }

    /// Tokens of one user, or of everybody when `user_id` is `None`.
    pub async fn tokens(&self, user_id: Option<i64>) -> Result<Vec<ApiToken>, StoreError> {
        let rows = sqlx::query::<Any>(
            "SELECT t.id, t.user_id, u.name AS user_name, t.name, t.scopes, t.created_at, t.last_used_at, t.revoked_at \
             FROM api_tokens t JOIN users u ON u.id = t.user_id WHERE ($1 IS NULL OR t.user_id = $1) ORDER BY t.id",
        )
        .bind(user_id)
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(token).collect()
    }

    /// Resolves a live token by its digest, records its use, and returns it with its user.
    pub async fn use_token(&self, token_hash: &str) -> Result<Option<(ApiToken, User)>, StoreError> {
        // One round trip on the hot path of every API request.
        let row = sqlx::query::<Any>(
            "SELECT t.id AS token_id, t.user_id, u.name AS user_name, t.name AS token_name, t.scopes, \
                    t.created_at AS token_created_at, t.last_used_at, t.revoked_at, \
                    u.id, u.name, u.role, u.password_hash, u.disabled, u.created_at \
             FROM api_tokens t JOIN users u ON u.id = t.user_id \
             WHERE t.token_hash = $1 AND t.revoked_at IS NULL AND u.disabled = 0",
        )
        .bind(token_hash)
        .fetch_optional(&self.pool)
        .await?;
        let Some(row) = row else { return Ok(None) };
        let row = <UsedTokenRow as sqlx::FromRow<_>>::from_row(&row)?;
        let mut token = ApiToken {
            id: row.token_id,
            user_id: row.user.id,
            user_name: row.user_name,
            name: row.token_name,
            scopes: Scope::parse_list(&row.scopes).map_err(|e| StoreError::Corrupt(e.to_string()))?,
            created_at: from_ms(row.token_created_at),
            last_used_at: row.last_used_at.map(from_ms),
            revoked_at: None,
        };
        let now = OffsetDateTime::now_utc();
        // Recording every request would make each read a write; a minute's precision is enough.
        if token.last_used_at.is_none_or(|t| now - t > time::Duration::minutes(1)) {
            sqlx::query::<Any>("UPDATE api_tokens SET last_used_at = $2 WHERE id = $1")
                .bind(token.id)
                .bind(to_ms(now))
                .execute(&self.writer)
                .await?;
            token.last_used_at = Some(now);
        }
        Ok(Some((token, row.user.into_user()?)))
    }

    pub async fn revoke_token(&self, actor: &str, id: i64) -> Result<ApiToken, StoreError> {
        let mut tx = self.write_tx().await?;
        let before = self.token_in(&mut tx, id).await?;
        if before.revoked_at.is_none() {
            sqlx::query::<Any>("UPDATE api_tokens SET revoked_at = $2 WHERE id = $1")
                .bind(id)
                .bind(now_ms())
                .execute(&mut *tx)
                .await?;
            append(
                &mut tx,
                Audit {
                    actor,
                    action: AuditAction::TokenRevoke,
                    entity_id: Some(id.to_string()),
                    before: Some(serde_json::json!({"user": before.user_name, "name": before.name, "revoked": false})),
                    after: Some(serde_json::json!({"user": before.user_name, "name": before.name, "revoked": true})),
                },
            )
            .await?;
        }
        let after = self.token_in(&mut tx, id).await?;
        tx.commit().await?;
        Ok(after)
    }

    pub async fn record_login_failure(&self, username: &str, client: &str) -> Result<(), StoreError> {
        sqlx::query::<Any>("INSERT INTO login_failures (username, client, at) VALUES ($1, $2, $3)")
            .bind(username)
            .bind(client)
            .bind(now_ms())
            .execute(&self.writer)
            .await?;
        Ok(())
    }

    /// Failed logins for `username` (or from `client`) since `since`.
    pub async fn login_failures_since(
        &self,
        username: &str,
        client: &str,
        since: OffsetDateTime,
    ) -> Result<(i64, i64), StoreError> {
        let row = sqlx::query::<Any>(
            "SELECT (SELECT COUNT(*) FROM login_failures WHERE username = $1 AND at > $3) AS by_user, \
                    (SELECT COUNT(*) FROM login_failures WHERE client = $2 AND at > $3) AS by_client",
        )
        .bind(username)
        .bind(client)
        .bind(to_ms(since))
        .fetch_one(&self.pool)
        .await?;
        Ok((row.try_get("by_user")?, row.try_get("by_client")?))
    }

    pub async fn clear_login_failures(&self, username: &str) -> Result<(), StoreError> {
        sqlx::query::<Any>("DELETE FROM login_failures WHERE username = $1")
            .bind(username)
            .execute(&self.writer)
            .await?;
        Ok(())
    }

    pub async fn create_setup_token(&self, token_hash: &str, expires_at: OffsetDateTime) -> Result<(), StoreError> {
        sqlx::query::<Any>("INSERT INTO setup_tokens (token_hash, expires_at) VALUES ($1, $2)")
            .bind(token_hash)
            .bind(to_ms(expires_at))
            .execute(&self.writer)
            .await?;
        Ok(())
    }

    /// Whether a setup token with this digest is live (without using it up).
    pub async fn setup_token_valid(&self, token_hash: &str) -> Result<bool, StoreError> {
        let n = sqlx::query_scalar::<Any, i64>(
            "SELECT COUNT(*) FROM setup_tokens WHERE token_hash = $1 AND expires_at > $2",
        )
        .bind(token_hash)
        .bind(now_ms())
        .fetch_one(&self.pool)
        .await?;
        Ok(n > 0)
    }

    /// Creates the first admin with a one-time setup token, in one transaction: the token
    /// is used up and no second admin can be created with it.
    pub async fn complete_setup(&self, token_hash: &str, name: &str, password_hash: &str) -> Result<User, StoreError> {
        validate_user_name(name)?;
        let mut tx = self.write_tx().await?;
        let used = sqlx::query::<Any>("DELETE FROM setup_tokens WHERE token_hash = $1 AND expires_at > $2")
            .bind(token_hash)
            .bind(now_ms())
            .execute(&mut *tx)
            .await?
            .rows_affected();
        if used == 0 {
            return Err(StoreError::NotFound("setup link"));
        }
        let created = insert_user(&mut tx, "setup", name, Role::Admin, Some(password_hash)).await?;
        tx.commit().await?;
        Ok(created)
    }
}

/// Inserts a user and its audit entry on `conn`, the caller's transaction.
async fn insert_user(
    conn: &mut sqlx::AnyConnection,
    actor: &str,
    name: &str,
    role: Role,
    password_hash: Option<&str>,
) -> Result<User, StoreError> {
    let row = sqlx::query::<Any>(&format!(
        "INSERT INTO users (name, role, password_hash, disabled, created_at) VALUES ($1, $2, $3, 0, $4) RETURNING {USER_COLUMNS}"
    ))
    .bind(name)
    .bind(role.as_str())
    .bind(password_hash)
    .bind(now_ms())
    .fetch_one(&mut *conn)
    .await
    .map_err(|e| StoreError::unique(e, "name", format!("a user named {name:?} already exists")))?;
    let created = user(&row)?;
    append(
        conn,
        Audit {
            actor,
            action: AuditAction::UserCreate,
            entity_id: Some(created.id.to_string()),
            before: None,
            after: Some(user_json(&created)),
        },
    )
    .await?;
    Ok(created)
}
