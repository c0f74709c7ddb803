//! Agent tokens: shown once at creation, stored only as SHA-256 hashes.

use deskbell_core::secret::Secret;
use rusqlite::{params, Connection, OptionalExtension};
use sha2::{Digest, Sha256};
use thiserror::Error;

use crate::backend::hex;
use crate::log::now_secs;

pub const TOKEN_PREFIX: &str = "dbr_";

#[derive(Debug, Error)]
pub enum TokenError {
    #[error("a token named {0:?} exists; revoke it first")]
    Exists(String),
    #[error("no token named {0:?}")]
    NotFound(String),
    #[error("token names are 1 to 64 letters, digits, '.', '_', '-' or '@'")]
    BadName,
    #[error("no random numbers from the OS: {0}")]
    Random(String),
    #[error("token store: {0}")]
    Sql(#[from] rusqlite::Error),
    #[error("token store (JetStream): {0}")]
    Store(String),
}

pub fn hash(token: &str) -> String {
    hex(&Sha256::digest(token.as_bytes()))
}

fn valid_name(name: &str) -> bool {
    (1..=64).contains(&name.len())
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-' | '@'))
}

/// A new random token for `name`, once the name is checked.
pub fn generate(name: &str) -> Result<Secret, TokenError> {
    if !valid_name(name) {
        return Err(TokenError::BadName);
    }
    let mut bytes = [0u8; 32];
    getrandom::fill(&mut bytes).map_err(|e| TokenError::Random(e.to_string()))?;
    Ok(Secret::new(format!("{TOKEN_PREFIX}{}", hex(&bytes))))
}

/// Creates a token for `name`; the only time the token is ever seen.
pub fn add(conn: &Connection, name: &str) -> Result<Secret, TokenError> {
    let token = generate(name)?;
    let live: Option<Option<i64>> = conn
        .query_row(
            "SELECT revoked_at FROM tokens WHERE name = ?1",
            params![name],
            |r| r.get(0),
        )
        .optional()?;
    if let Some(None) = live {
        return Err(TokenError::Exists(name.to_owned()));
    }
    conn.execute(
        "INSERT INTO tokens (name, hash, created_at, revoked_at) VALUES (?1, ?2, ?3, NULL)
         ON CONFLICT(name) DO UPDATE SET hash = excluded.hash, created_at = excluded.created_at, revoked_at = NULL",
        params![name, hash(token.expose()), now_secs()],
    )?;
    Ok(token)
}

pub fn revoke(conn: &Connection, name: &str) -> Result<(), TokenError> {
    let n = conn.execute(
        "UPDATE tokens SET revoked_at = ?2 WHERE name = ?1 AND revoked_at IS NULL",
        params![name, now_secs()],
    )?;
    if n == 0 {
        return Err(TokenError::NotFound(name.to_owned()));
    }
    Ok(())
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TokenInfo {
    pub name: String,
    pub created_at: i64,
    pub revoked_at: Option<i64>,
}

pub fn list(conn: &Connection) -> Result<Vec<TokenInfo>, TokenError> {
    let mut stmt = conn.prepare("SELECT name, created_at, revoked_at FROM tokens ORDER BY name")?;
    let rows = stmt.query_map([], |r| {
        Ok(TokenInfo {
            name: r.get(0)?,
            created_at: r.get(1)?,
            revoked_at: r.get(2)?,
        })
    })?;
    Ok(rows.collect::<Result<Vec<_>, _>>()?)
}

/// The name of the live token `token`, if there is one.
pub fn verify(conn: &Connection, token: &str) -> Result<Option<String>, TokenError> {
    if !token.starts_with(TOKEN_PREFIX) {
        return Ok(None);
    }
    Ok(conn
        .query_row(
            "SELECT name FROM tokens WHERE hash = ?1 AND revoked_at IS NULL",
            params![hash(token)],
            |r| r.get(0),
        )
        .optional()?)
}
