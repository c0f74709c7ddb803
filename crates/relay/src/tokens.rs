//! Agent tokens: shown once at creation, stored only as SHA-256 hashes,
//! each bound to an agent's email when the admin gives one. Invitations:
//! short one-time codes an agent exchanges for a token of their own
//! (`POST /v1/invites/redeem`), stored hashed like tokens.

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
    #[error("not an email address: {0:?}")]
    BadEmail(String),
    #[error("invitations are valid for 1 to 720 hours")]
    BadValidity,
    #[error("this invitation code is not one the relay gave (check it, or ask for a new one)")]
    InviteUnknown,
    #[error("this invitation code was used already; ask your admin for a new one")]
    InviteUsed,
    #[error("this invitation code has expired; ask your admin for a new one")]
    InviteExpired,
    #[error("no random numbers from the OS: {0}")]
    Random(String),
    #[error("token store: {0}")]
    Sql(#[from] rusqlite::Error),
    #[error("token store (JetStream): {0}")]
    Store(String),
}

impl TokenError {
    /// Stable codes, as the relay answers them and the desktop shows them.
    pub fn code(&self) -> &'static str {
        match self {
            TokenError::Exists(_) => "token_exists",
            TokenError::NotFound(_) => "token_missing",
            TokenError::BadName => "token_name",
            TokenError::BadEmail(_) => "token_email",
            TokenError::BadValidity => "invite_validity",
            TokenError::InviteUnknown => "invite_unknown",
            TokenError::InviteUsed => "invite_used",
            TokenError::InviteExpired => "invite_expired",
            TokenError::Random(_) => "random",
            TokenError::Sql(_) | TokenError::Store(_) => "token_store",
        }
    }
}

/// Whom a live token belongs to.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TokenOwner {
    /// The token's name, as the admin gave it.
    pub name: String,
    /// The agent's email, when the token is bound to one.
    pub email: Option<String>,
}

/// An email as stored: trimmed, lower-cased; `None` for none given.
pub fn checked_email(email: Option<&str>) -> Result<Option<String>, TokenError> {
    let Some(raw) = email else { return Ok(None) };
    let e = raw.trim();
    let ok = (3..=254).contains(&e.len())
        && e.split_once('@').is_some_and(|(user, host)| {
            !user.is_empty() && !host.is_empty() && !host.contains('@')
        })
        && !e.chars().any(|c| c.is_whitespace() || c.is_control());
    if !ok {
        return Err(TokenError::BadEmail(raw.to_owned()));
    }
    Ok(Some(e.to_ascii_lowercase()))
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

/// Creates a token for `name`, bound to `email` when one is given; the
/// only time the token is ever seen.
pub fn add(conn: &Connection, name: &str, email: Option<&str>) -> Result<Secret, TokenError> {
    let email = checked_email(email)?;
    let token = generate(name)?;
    if live_token(conn, name)? {
        return Err(TokenError::Exists(name.to_owned()));
    }
    conn.execute(
        "INSERT INTO tokens (name, hash, created_at, revoked_at, email) VALUES (?1, ?2, ?3, NULL, ?4)
         ON CONFLICT(name) DO UPDATE SET hash = excluded.hash, created_at = excluded.created_at,
           revoked_at = NULL, email = excluded.email",
        params![name, hash(token.expose()), now_secs(), email],
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
    pub email: Option<String>,
    pub created_at: i64,
    pub revoked_at: Option<i64>,
}

pub fn list(conn: &Connection) -> Result<Vec<TokenInfo>, TokenError> {
    let mut stmt =
        conn.prepare("SELECT name, created_at, revoked_at, email FROM tokens ORDER BY name")?;
    let rows = stmt.query_map([], |r| {
        Ok(TokenInfo {
            name: r.get(0)?,
            created_at: r.get(1)?,
            revoked_at: r.get(2)?,
            email: r.get(3)?,
        })
    })?;
    Ok(rows.collect::<Result<Vec<_>, _>>()?)
}

/// Whom the live token `token` belongs to, if it is one.
pub fn verify(conn: &Connection, token: &str) -> Result<Option<TokenOwner>, TokenError> {
    if !token.starts_with(TOKEN_PREFIX) {
        return Ok(None);
    }
    Ok(conn
        .query_row(
            "SELECT name, email FROM tokens WHERE hash = ?1 AND revoked_at IS NULL",
            params![hash(token)],
            |r| {
                Ok(TokenOwner {
                    name: r.get(0)?,
                    email: r.get(1)?,
                })
            },
        )
        .optional()?)
}

/// How long an invitation is valid unless the admin says otherwise.
pub const INVITE_HOURS: u32 = 24;
/// Crockford's base32: no I, L, O or U, so a code read aloud or retyped
/// survives; 12 of them are 60 bits.
const CODE_ALPHABET: &[u8; 32] = b"0123456789ABCDEFGHJKMNPQRSTVWXYZ";
const CODE_LEN: usize = 12;

/// A new invitation: the code (shown once), and until when it works.
#[derive(Debug)]
pub struct Invitation {
    pub code: Secret,
    pub expires_at: i64,
}

/// A new random code, `XXXX-XXXX-XXXX`.
fn generate_code() -> Result<Secret, TokenError> {
    let mut bytes = [0u8; CODE_LEN];
    getrandom::fill(&mut bytes).map_err(|e| TokenError::Random(e.to_string()))?;
    let mut code = String::with_capacity(CODE_LEN + 2);
    for (i, b) in bytes.iter().enumerate() {
        if i > 0 && i % 4 == 0 {
            code.push('-');
        }
        code.push(CODE_ALPHABET[usize::from(b & 31)] as char);
    }
    Ok(Secret::new(code))
}

/// A code as typed (any case, dashes or spaces anywhere, O for 0, I or L
/// for 1) in its one stored form; `None` when it cannot be a code.
pub fn normal_code(typed: &str) -> Option<String> {
    let mut out = String::with_capacity(CODE_LEN);
    for c in typed.chars() {
        let c = match c.to_ascii_uppercase() {
            '-' | ' ' => continue,
            'O' => '0',
            'I' | 'L' => '1',
            c => c,
        };
        if !c.is_ascii() || !CODE_ALPHABET.contains(&(c as u8)) {
            return None;
        }
        out.push(c);
    }
    (out.len() == CODE_LEN).then_some(out)
}

/// The stored key of a typed code.
pub fn code_hash(typed: &str) -> Option<String> {
    normal_code(typed).map(|c| hash(&format!("invite:{c}")))
}

/// The invitation's checks, shared by both stores: the name and email as
/// `add` takes them, and a validity of 1 to 720 hours.
pub fn new_invitation(
    name: &str,
    email: Option<&str>,
    hours: u32,
    now: i64,
) -> Result<(Invitation, Option<String>), TokenError> {
    if !valid_name(name) {
        return Err(TokenError::BadName);
    }
    if !(1..=720).contains(&hours) {
        return Err(TokenError::BadValidity);
    }
    let email = checked_email(email)?;
    let invitation = Invitation {
        code: generate_code()?,
        expires_at: now + i64::from(hours) * 3600,
    };
    Ok((invitation, email))
}

fn live_token(conn: &Connection, name: &str) -> Result<bool, TokenError> {
    let live: Option<Option<i64>> = conn
        .query_row(
            "SELECT revoked_at FROM tokens WHERE name = ?1",
            params![name],
            |r| r.get(0),
        )
        .optional()?;
    Ok(matches!(live, Some(None)))
}

/// Stores an invitation for `name` (refused while `name` has a live token,
/// as `add` is); the code is shown once.
pub fn invite(
    conn: &Connection,
    name: &str,
    email: Option<&str>,
    hours: u32,
    now: i64,
) -> Result<Invitation, TokenError> {
    let (invitation, email) = new_invitation(name, email, hours, now)?;
    if live_token(conn, name)? {
        return Err(TokenError::Exists(name.to_owned()));
    }
    let key = code_hash(invitation.code.expose()).ok_or(TokenError::InviteUnknown)?;
    conn.execute(
        "INSERT INTO invites (hash, name, email, created_at, expires_at, used_at)
         VALUES (?1, ?2, ?3, ?4, ?5, NULL)",
        params![key, name, email, now, invitation.expires_at],
    )?;
    Ok(invitation)
}

/// What a redeemed invitation gives: the new token (once) and its owner.
// Debug shows no secret: `Secret` redacts itself.
#[derive(Debug)]
pub struct Redeemed {
    pub owner: TokenOwner,
    pub token: Secret,
}

/// Exchanges `code` for a new token, once: in one transaction, so two
/// desktops racing with one code get one token between them. A used,
/// expired or unknown code, or a name that got a token meanwhile, changes
/// nothing.
pub fn redeem(conn: &mut Connection, code: &str, now: i64) -> Result<Redeemed, TokenError> {
    let key = code_hash(code).ok_or(TokenError::InviteUnknown)?;
    let tx = conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
    let found: Option<(String, Option<String>, i64, Option<i64>)> = tx
        .query_row(
            "SELECT name, email, expires_at, used_at FROM invites WHERE hash = ?1",
            params![key],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)),
        )
        .optional()?;
    let (name, email, expires_at, used_at) = found.ok_or(TokenError::InviteUnknown)?;
    if used_at.is_some() {
        return Err(TokenError::InviteUsed);
    }
    if now >= expires_at {
        return Err(TokenError::InviteExpired);
    }
    let token = add(&tx, &name, email.as_deref())?;
    tx.execute(
        "UPDATE invites SET used_at = ?2 WHERE hash = ?1",
        params![key, now],
    )?;
    tx.commit()?;
    Ok(Redeemed {
        owner: TokenOwner { name, email },
        token,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_survive_retyping_and_nothing_else_is_a_code() {
        let code = generate_code().unwrap();
        let typed = code.expose().to_ascii_lowercase().replace('-', " ");
        assert_eq!(code_hash(&typed), code_hash(code.expose()));
        assert_eq!(
            normal_code("0000-1111-AAAA").as_deref(),
            Some("00001111AAAA")
        );
        assert_eq!(normal_code("oooo-iiii-aaaa"), normal_code("0000-1111-AAAA"));
        for bad in [
            "",
            "ABC",
            "0000-1111-AAAAA",
            "0000-1111-AAA!",
            "0000-1111-AAAU",
        ] {
            assert_eq!(normal_code(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn emails_are_checked_and_lower_cased() {
        assert_eq!(
            checked_email(Some(" Ann@Acme.Example "))
                .unwrap()
                .as_deref(),
            Some("ann@acme.example")
        );
        assert_eq!(checked_email(None).unwrap(), None);
        for bad in ["ann", "@acme", "ann@", "a b@c", "a@b@c"] {
            assert_eq!(checked_email(Some(bad)).unwrap_err().code(), "token_email");
        }
    }
}
