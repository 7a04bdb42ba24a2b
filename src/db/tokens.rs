//! API tokens. A token is shown once when created; only its SHA-256 is stored, so a leaked
//! database does not leak working tokens. Tokens are 256 random bits, so a plain hash suffices
//! (no password stretching needed).

use diesel::prelude::*;
use rand::RngCore;
use sha2::{Digest, Sha256};

use super::DbConn;
use super::audit::{self, Action};
use super::convert::{from_db_time, now, opt_from_db, parse_stored, to_db_time};
use super::error::DbError;
use super::schema::api_tokens;

/// What a token may do, in order: each scope includes the ones before it.
///
/// - `read`: the GET routes a deployment made private (`AFTERMATH_PUBLIC_READ=false`);
/// - `write`: also file and edit incidents, updates, postmortems, links and ingests;
/// - `admin`: also manage sources, webhook secrets and tokens, and read the audit log.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, serde::Serialize, serde::Deserialize,
)]
#[serde(rename_all = "lowercase")]
pub enum Scope {
    Read,
    Write,
    Admin,
}

impl Scope {
    pub const ALL: [Scope; 3] = [Scope::Read, Scope::Write, Scope::Admin];

    pub fn as_str(self) -> &'static str {
        match self {
            Scope::Read => "read",
            Scope::Write => "write",
            Scope::Admin => "admin",
        }
    }

    /// Whether a token of this scope may do what `needed` allows.
    pub fn includes(self, needed: Scope) -> bool {
        self >= needed
    }
}

impl std::str::FromStr for Scope {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "read" => Ok(Scope::Read),
            "write" => Ok(Scope::Write),
            "admin" => Ok(Scope::Admin),
            other => Err(format!(
                "unknown scope {other:?}; expected read, write or admin"
            )),
        }
    }
}

#[derive(Debug, Clone)]
pub struct TokenInfo {
    pub id: String,
    pub name: String,
    pub scope: Scope,
    pub created_at: chrono::DateTime<chrono::Utc>,
    pub revoked_at: Option<chrono::DateTime<chrono::Utc>>,
}

fn hash(raw: &str) -> String {
    hex::encode(Sha256::digest(raw.as_bytes()))
}

/// Creates a token and returns it with the secret text, which is never stored.
pub fn create(conn: &mut DbConn, name: &str, scope: Scope) -> Result<(TokenInfo, String), DbError> {
    let name = name.trim();
    if name.is_empty() || name.len() > 100 {
        return Err(DbError::Invalid {
            field: "name",
            message: "must be 1 to 100 characters".into(),
        });
    }
    let mut bytes = [0u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    let raw = format!("am_{}", hex::encode(bytes));
    let id = uuid::Uuid::now_v7().to_string();
    let t = now();
    diesel::insert_into(api_tokens::table)
        .values((
            api_tokens::id.eq(&id),
            api_tokens::name.eq(name),
            api_tokens::token_hash.eq(hash(&raw)),
            api_tokens::scope.eq(scope.as_str()),
            api_tokens::created_at.eq(to_db_time(t)),
        ))
        .execute(conn)?;
    Ok((
        TokenInfo {
            id,
            name: name.to_string(),
            scope,
            created_at: t,
            revoked_at: None,
        },
        raw,
    ))
}

type TokenRow = (
    String,
    String,
    String,
    chrono::NaiveDateTime,
    Option<chrono::NaiveDateTime>,
);

fn to_info(row: TokenRow) -> Result<TokenInfo, DbError> {
    Ok(TokenInfo {
        id: row.0,
        name: row.1,
        scope: parse_stored("api_tokens", &row.2)?,
        created_at: from_db_time(row.3),
        revoked_at: opt_from_db(row.4),
    })
}

const COLUMNS: (
    api_tokens::id,
    api_tokens::name,
    api_tokens::scope,
    api_tokens::created_at,
    api_tokens::revoked_at,
) = (
    api_tokens::id,
    api_tokens::name,
    api_tokens::scope,
    api_tokens::created_at,
    api_tokens::revoked_at,
);

/// The live token this secret belongs to, if any. Revoked tokens are not found.
pub fn verify(conn: &mut DbConn, raw: &str) -> Result<Option<TokenInfo>, DbError> {
    let row: Option<TokenRow> = api_tokens::table
        .filter(api_tokens::token_hash.eq(hash(raw)))
        .filter(api_tokens::revoked_at.is_null())
        .select(COLUMNS)
        .get_result(conn)
        .optional()?;
    row.map(to_info).transpose()
}

/// A live token by id (a session remembers the id, never the secret).
pub fn live_by_id(conn: &mut DbConn, id: &str) -> Result<Option<TokenInfo>, DbError> {
    let row: Option<TokenRow> = api_tokens::table
        .filter(api_tokens::id.eq(id))
        .filter(api_tokens::revoked_at.is_null())
        .select(COLUMNS)
        .get_result(conn)
        .optional()?;
    row.map(to_info).transpose()
}

pub fn list(conn: &mut DbConn) -> Result<Vec<TokenInfo>, DbError> {
    let rows: Vec<TokenRow> = api_tokens::table
        .order(api_tokens::created_at.asc())
        .select(COLUMNS)
        .load(conn)?;
    rows.into_iter().map(to_info).collect()
}

/// How the audit log names a token: its name, scope and id (never the secret).
fn subject(token: &TokenInfo) -> String {
    format!(
        "token {} ({}, {})",
        token.name,
        token.scope.as_str(),
        token.id
    )
}

/// [`create`], recorded in the audit log as done by `actor`.
pub fn create_by(
    conn: &mut DbConn,
    actor: &str,
    name: &str,
    scope: Scope,
) -> Result<(TokenInfo, String), DbError> {
    let (token, raw) = create(conn, name, scope)?;
    audit::record(conn, actor, Action::TokenCreated, &subject(&token))?;
    Ok((token, raw))
}

/// Revokes the live token with this id (and only by id), recorded in the audit log as done by
/// `actor`; `NotFound` when there is no live token with this id.
pub fn revoke_id_by(conn: &mut DbConn, actor: &str, id: &str) -> Result<TokenInfo, DbError> {
    let token = live_by_id(conn, id)?.ok_or(DbError::NotFound)?;
    // Its web sessions end with it.
    super::sessions::end_all_of(conn, id)?;
    let t = now();
    diesel::update(api_tokens::table.filter(api_tokens::id.eq(id)))
        .set(api_tokens::revoked_at.eq(Some(to_db_time(t))))
        .execute(conn)?;
    audit::record(conn, actor, Action::TokenRevoked, &subject(&token))?;
    Ok(TokenInfo {
        revoked_at: Some(t),
        ..token
    })
}

/// Revokes every live token with this name or id, each recorded in the audit log.
pub fn revoke_by(conn: &mut DbConn, actor: &str, name_or_id: &str) -> Result<usize, DbError> {
    let ids: Vec<String> = api_tokens::table
        .filter(
            api_tokens::name
                .eq(name_or_id)
                .or(api_tokens::id.eq(name_or_id)),
        )
        .filter(api_tokens::revoked_at.is_null())
        .select(api_tokens::id)
        .load(conn)?;
    if ids.is_empty() {
        return Err(DbError::NotFound);
    }
    for id in &ids {
        revoke_id_by(conn, actor, id)?;
    }
    Ok(ids.len())
}
