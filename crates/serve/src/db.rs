//! The database: one pool and one set of queries for SQLite and PostgreSQL (sqlx's `any`
//! driver; `$N` parameters, which both read), migrations embedded in the binary.
//!
//! What lives here is the team's work — users, sessions, tokens, case records, verdicts,
//! notes, assignments, watches, alerts — and the audit log. Evidence never does: a case is
//! a folder on disk that this code only reads.

use crate::error::ServeError;
use crate::ids::{new_id, now_ms, ordered_id};
use serde::{Deserialize, Serialize};
use sqlx::any::{AnyPoolOptions, AnyRow};
use sqlx::migrate::{Migration, MigrationType, Migrator};
use sqlx::AnyPool;
use sqlx::{Executor, Row};
use std::borrow::Cow;
use std::str::FromStr;
use utoipa::ToSchema;

/// Rights, ordered: each role has every right of the ones before it.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, ToSchema,
)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    /// Reads the cases it is a member of.
    Viewer,
    /// Also creates cases and watches, records verdicts and notes.
    Analyst,
    /// Also manages users and membership, reads every case and the audit log.
    Admin,
}

impl Role {
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Viewer => "viewer",
            Role::Analyst => "analyst",
            Role::Admin => "admin",
        }
    }
}

impl FromStr for Role {
    type Err = String;
    fn from_str(s: &str) -> Result<Role, String> {
        match s {
            "viewer" => Ok(Role::Viewer),
            "analyst" => Ok(Role::Analyst),
            "admin" => Ok(Role::Admin),
            _ => Err(format!("unknown role {s:?} (admin, analyst or viewer)")),
        }
    }
}

impl std::fmt::Display for Role {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

#[derive(Debug, Clone)]
pub struct User {
    pub id: String,
    pub name: String,
    pub role: Role,
    pub disabled: bool,
    pub password_hash: Option<String>,
    pub created_at: i64,
}

/// The embedded migrations (the files in `migrations/`, in order).
fn migrator() -> Migrator {
    let m = |version: i64, description: &'static str, sql: &'static str| {
        Migration::new(
            version,
            Cow::Borrowed(description),
            MigrationType::Simple,
            Cow::Borrowed(sql),
            false,
        )
    };
    Migrator {
        migrations: Cow::Owned(vec![
            m(1, "initial", include_str!("../migrations/0001_initial.sql")),
            m(
                2,
                "verdict history index",
                include_str!("../migrations/0002_verdict_history_index.sql"),
            ),
        ]),
        ..Migrator::DEFAULT
    }
}

/// Which server the URL names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

#[derive(Clone)]
pub struct Db {
    /// Reads (and, on PostgreSQL, writes).
    pub pool: AnyPool,
    pub backend: Backend,
    /// SQLite has one writer at a time: writes go through a pool of one connection of their
    /// own, so a writer queues only behind writers (never behind readers holding the read
    /// pool's connections) and never fails with "busy". PostgreSQL writes on `pool`.
    writer: AnyPool,
}

impl Db {
    /// Connects to `sqlite:PATH` (created if missing) or `postgres://…` and brings the
    /// schema up to date.
    pub async fn connect(url: &str) -> Result<Db, ServeError> {
        sqlx::any::install_default_drivers();
        let (backend, url) = if let Some(path) = url.strip_prefix("sqlite:") {
            let path = path.trim_start_matches("//");
            if path.is_empty() || path.contains('?') {
                return Err(ServeError::Config(format!(
                    "--db sqlite:PATH: give a file path, got {url:?}"
                )));
            }
            (Backend::Sqlite, format!("sqlite://{path}?mode=rwc"))
        } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            (Backend::Postgres, url.to_string())
        } else {
            return Err(ServeError::Config(format!(
                "--db must be sqlite:PATH or postgres://…, got {url:?}"
            )));
        };
        let sqlite = |n: u32| {
            AnyPoolOptions::new()
                .max_connections(n)
                .after_connect(|conn, _| {
                    Box::pin(async move {
                        // WAL: readers never wait for the writer. NORMAL is durable in WAL
                        // mode against process crashes (a power cut may lose the last commits).
                        conn.execute("PRAGMA journal_mode = WAL").await?;
                        conn.execute("PRAGMA synchronous = NORMAL").await?;
                        conn.execute("PRAGMA foreign_keys = ON").await?;
                        conn.execute("PRAGMA busy_timeout = 10000").await?;
                        Ok(())
                    })
                })
        };
        let (pool, writer) = match backend {
            Backend::Sqlite => {
                // The writer first: it creates the file and the schema. Writers wait their
                // turn as long as the queue takes (sqlx's default gives up after 30 s).
                let writer = sqlite(1)
                    .acquire_timeout(std::time::Duration::from_secs(600))
                    .connect(&url)
                    .await?;
                migrator().run(&writer).await?;
                (sqlite(8).connect(&url).await?, writer)
            }
            Backend::Postgres => {
                let pool = AnyPoolOptions::new()
                    .max_connections(16)
                    .connect(&url)
                    .await?;
                migrator().run(&pool).await?;
                (pool.clone(), pool)
            }
        };
        Ok(Db {
            pool,
            backend,
            writer,
        })
    }

    /// A connection to write on (SQLite: the one writer connection, waited for in turn).
    pub async fn write(&self) -> Result<sqlx::pool::PoolConnection<sqlx::Any>, sqlx::Error> {
        self.writer.acquire().await
    }

    // ---- users ------------------------------------------------------------------------

    pub async fn add_user(
        &self,
        name: &str,
        role: Role,
        password_hash: Option<&str>,
    ) -> Result<User, sqlx::Error> {
        let mut w = self.write().await?;
        let u = User {
            id: new_id(),
            name: name.to_string(),
            role,
            disabled: false,
            password_hash: password_hash.map(str::to_string),
            created_at: now_ms(),
        };
        sqlx::query("INSERT INTO users (id, name, role, password_hash, disabled, created_at) VALUES ($1, $2, $3, $4, 0, $5)")
            .bind(&u.id)
            .bind(&u.name)
            .bind(u.role.as_str())
            .bind(u.password_hash.clone())
            .bind(u.created_at)
            .execute(&mut *w)
            .await?;
        Ok(u)
    }

    fn user_row(r: &AnyRow) -> Result<User, sqlx::Error> {
        let role: String = r.try_get("role")?;
        Ok(User {
            id: r.try_get("id")?,
            name: r.try_get("name")?,
            role: role
                .parse()
                .map_err(|e: String| sqlx::Error::Decode(e.into()))?,
            disabled: r.try_get::<i64, _>("disabled")? != 0,
            password_hash: r.try_get("password_hash")?,
            created_at: r.try_get("created_at")?,
        })
    }

    pub async fn user_by_name(&self, name: &str) -> Result<Option<User>, sqlx::Error> {
        sqlx::query("SELECT * FROM users WHERE name = $1")
            .bind(name)
            .fetch_optional(&self.pool)
            .await?
            .map(|r| Self::user_row(&r))
            .transpose()
    }

    pub async fn user_by_id(&self, id: &str) -> Result<Option<User>, sqlx::Error> {
        sqlx::query("SELECT * FROM users WHERE id = $1")
            .bind(id)
            .fetch_optional(&self.pool)
            .await?
            .map(|r| Self::user_row(&r))
            .transpose()
    }

    pub async fn users(&self) -> Result<Vec<User>, sqlx::Error> {
        sqlx::query("SELECT * FROM users ORDER BY name")
            .fetch_all(&self.pool)
            .await?
            .iter()
            .map(Self::user_row)
            .collect()
    }

    pub async fn count_users(&self) -> Result<i64, sqlx::Error> {
        sqlx::query("SELECT COUNT(*) AS n FROM users")
            .fetch_one(&self.pool)
            .await?
            .try_get("n")
    }

    /// Changes a user's role, password or disabled flag (`None`: unchanged). Disabling also
    /// ends the user's sessions and revokes nothing else: tokens stop working because every
    /// request checks the flag.
    pub async fn update_user(
        &self,
        id: &str,
        role: Option<Role>,
        password_hash: Option<&str>,
        disabled: Option<bool>,
    ) -> Result<(), sqlx::Error> {
        let mut w = self.write().await?;
        let mut tx = sqlx::Connection::begin(&mut *w).await?;
        if let Some(r) = role {
            sqlx::query("UPDATE users SET role = $1 WHERE id = $2")
                .bind(r.as_str())
                .bind(id)
                .execute(&mut *tx)
                .await?;
        }
        if let Some(h) = password_hash {
            sqlx::query("UPDATE users SET password_hash = $1 WHERE id = $2")
                .bind(h)
                .bind(id)
                .execute(&mut *tx)
                .await?;
        }
        if let Some(d) = disabled {
            sqlx::query("UPDATE users SET disabled = $1 WHERE id = $2")
                .bind(i64::from(d))
                .bind(id)
                .execute(&mut *tx)
                .await?;
        }
        if disabled == Some(true) || password_hash.is_some() {
            sqlx::query("DELETE FROM sessions WHERE user_id = $1")
                .bind(id)
                .execute(&mut *tx)
                .await?;
        }
        tx.commit().await
    }

    // ---- sessions and tokens ------------------------------------------------------------

    pub async fn add_session(
        &self,
        id_hash: &str,
        user_id: &str,
        csrf: &str,
        address: &str,
        expires_at: i64,
    ) -> Result<(), sqlx::Error> {
        let mut w = self.write().await?;
        let now = now_ms();
        sqlx::query("DELETE FROM sessions WHERE expires_at < $1")
            .bind(now)
            .execute(&mut *w)
            .await?;
        sqlx::query("INSERT INTO sessions (id_hash, user_id, csrf, address, created_at, expires_at) VALUES ($1, $2, $3, $4, $5, $6)")
            .bind(id_hash)
            .bind(user_id)
            .bind(csrf)
            .bind(address)
            .bind(now)
            .bind(expires_at)
            .execute(&mut *w)
            .await?;
        Ok(())
    }

    /// The live session's user and CSRF token.
    pub async fn session(&self, id_hash: &str) -> Result<Option<(User, String)>, sqlx::Error> {
        let row = sqlx::query(
            "SELECT u.*, s.csrf AS csrf FROM sessions s JOIN users u ON u.id = s.user_id \
             WHERE s.id_hash = $1 AND s.expires_at > $2",
        )
        .bind(id_hash)
        .bind(now_ms())
        .fetch_optional(&self.pool)
        .await?;
        row.map(|r| Ok((Self::user_row(&r)?, r.try_get("csrf")?)))
            .transpose()
    }

    pub async fn end_session(&self, id_hash: &str) -> Result<(), sqlx::Error> {
        let mut w = self.write().await?;
        sqlx::query("DELETE FROM sessions WHERE id_hash = $1")
            .bind(id_hash)
            .execute(&mut *w)
            .await?;
        Ok(())
    }

    pub async fn add_token(
        &self,
        user_id: &str,
        name: &str,
        token_hash: &str,
    ) -> Result<TokenInfo, sqlx::Error> {
        let mut w = self.write().await?;
        let t = TokenInfo {
            id: new_id(),
            name: name.to_string(),
            created_at: crate::ids::rfc3339(now_ms()),
            revoked_at: None,
        };
        sqlx::query("INSERT INTO api_tokens (id, user_id, name, token_hash, created_at) VALUES ($1, $2, $3, $4, $5)")
            .bind(&t.id)
            .bind(user_id)
            .bind(name)
            .bind(token_hash)
            .bind(now_ms())
            .execute(&mut *w)
            .await?;
        Ok(t)
    }

    pub async fn token_user(&self, token_hash: &str) -> Result<Option<User>, sqlx::Error> {
        sqlx::query(
            "SELECT u.* FROM api_tokens t JOIN users u ON u.id = t.user_id \
             WHERE t.token_hash = $1 AND t.revoked_at IS NULL",
        )
        .bind(token_hash)
        .fetch_optional(&self.pool)
        .await?
        .map(|r| Self::user_row(&r))
        .transpose()
    }

    pub async fn tokens(&self, user_id: &str) -> Result<Vec<TokenInfo>, sqlx::Error> {
        let rows = sqlx::query(
            "SELECT id, name, created_at, revoked_at FROM api_tokens WHERE user_id = $1 ORDER BY created_at",
        )
        .bind(user_id)
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| {
                Ok(TokenInfo {
                    id: r.try_get("id")?,
                    name: r.try_get("name")?,
                    created_at: crate::ids::rfc3339(r.try_get("created_at")?),
                    revoked_at: r
                        .try_get::<Option<i64>, _>("revoked_at")?
                        .map(crate::ids::rfc3339),
                })
            })
            .collect()
    }

    /// Revokes one of `user_id`'s tokens; false when it has no such live token.
    pub async fn revoke_token(&self, user_id: &str, id: &str) -> Result<bool, sqlx::Error> {
        let mut w = self.write().await?;
        let r = sqlx::query("UPDATE api_tokens SET revoked_at = $1 WHERE id = $2 AND user_id = $3 AND revoked_at IS NULL")
            .bind(now_ms())
            .bind(id)
            .bind(user_id)
            .execute(&mut *w)
            .await?;
        Ok(r.rows_affected() == 1)
    }

    // ---- cases --------------------------------------------------------------------------

    pub async fn add_case(&self, c: &CaseRow) -> Result<(), sqlx::Error> {
        let mut w = self.write().await?;
        let mut tx = sqlx::Connection::begin(&mut *w).await?;
        sqlx::query(
            "INSERT INTO cases (id, name, description, source, dir, state, failure, status, params, inputs, \
             created_by, created_at, updated_at, watch_id) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)",
        )
        .bind(&c.id)
        .bind(&c.name)
        .bind(&c.description)
        .bind(&c.source)
        .bind(&c.dir)
        .bind(&c.state)
        .bind(c.failure.clone())
        .bind(&c.status)
        .bind(&c.params)
        .bind(&c.inputs)
        .bind(&c.created_by)
        .bind(c.created_at)
        .bind(c.created_at)
        .bind(c.watch_id.clone())
        .execute(&mut *tx)
        .await?;
        sqlx::query("INSERT INTO case_members (case_id, user_id, added_by, added_at) VALUES ($1, $2, $2, $3)")
            .bind(&c.id)
            .bind(&c.created_by)
            .bind(c.created_at)
            .execute(&mut *tx)
            .await?;
        tx.commit().await
    }

    fn case_row(r: &AnyRow) -> Result<CaseRow, sqlx::Error> {
        Ok(CaseRow {
            id: r.try_get("id")?,
            name: r.try_get("name")?,
            description: r.try_get("description")?,
            source: r.try_get("source")?,
            dir: r.try_get("dir")?,
            state: r.try_get("state")?,
            failure: r.try_get("failure")?,
            status: r.try_get("status")?,
            params: r.try_get("params")?,
            inputs: r.try_get("inputs")?,
            created_by: r.try_get("created_by")?,
            creator: r.try_get("creator")?,
            created_at: r.try_get("created_at")?,
            updated_at: r.try_get("updated_at")?,
            clusters: r.try_get("clusters")?,
            accounts: r.try_get("accounts")?,
            flagged: r.try_get("flagged")?,
            watch_id: r.try_get("watch_id")?,
        })
    }

    pub async fn case(&self, id: &str) -> Result<Option<CaseRow>, sqlx::Error> {
        sqlx::query("SELECT c.*, u.name AS creator FROM cases c JOIN users u ON u.id = c.created_by WHERE c.id = $1")
            .bind(id)
            .fetch_optional(&self.pool)
            .await?
            .map(|r| Self::case_row(&r))
            .transpose()
    }

    /// A case, and whether `user_id` is one of its members (one statement: every case
    /// request asks both).
    pub async fn case_for(
        &self,
        id: &str,
        user_id: &str,
    ) -> Result<Option<(CaseRow, bool)>, sqlx::Error> {
        sqlx::query(
            "SELECT c.*, u.name AS creator, \
             (SELECT COUNT(*) FROM case_members m WHERE m.case_id = c.id AND m.user_id = $2) AS member \
             FROM cases c JOIN users u ON u.id = c.created_by WHERE c.id = $1",
        )
        .bind(id)
        .bind(user_id)
        .fetch_optional(&self.pool)
        .await?
        .map(|r| Ok((Self::case_row(&r)?, r.try_get::<i64, _>("member")? > 0)))
        .transpose()
    }

    /// Cases `user` may read (all of them for `None`), newest first, whose name or
    /// description contains `q`; and how many match in all.
    pub async fn cases(
        &self,
        member: Option<&str>,
        q: &str,
        limit: i64,
        offset: i64,
    ) -> Result<(Vec<CaseRow>, i64), sqlx::Error> {
        let pattern = format!("%{}%", like_escape(&q.to_lowercase()));
        let filter =
            "(LOWER(c.name) LIKE $1 ESCAPE '\\' OR LOWER(c.description) LIKE $1 ESCAPE '\\')";
        let (rows, total) = match member {
            None => {
                let rows = sqlx::query(&format!(
                    "SELECT c.*, u.name AS creator FROM cases c JOIN users u ON u.id = c.created_by WHERE {filter} ORDER BY c.created_at DESC, c.id LIMIT $2 OFFSET $3"
                ))
                .bind(&pattern)
                .bind(limit)
                .bind(offset)
                .fetch_all(&self.pool)
                .await?;
                let total: i64 =
                    sqlx::query(&format!("SELECT COUNT(*) AS n FROM cases c WHERE {filter}"))
                        .bind(&pattern)
                        .fetch_one(&self.pool)
                        .await?
                        .try_get("n")?;
                (rows, total)
            }
            Some(user) => {
                let join = "JOIN case_members m ON m.case_id = c.id AND m.user_id = $2";
                let rows = sqlx::query(&format!(
                    "SELECT c.*, u.name AS creator FROM cases c {join} JOIN users u ON u.id = c.created_by WHERE {filter} ORDER BY c.created_at DESC, c.id LIMIT $3 OFFSET $4"
                ))
                .bind(&pattern)
                .bind(user)
                .bind(limit)
                .bind(offset)
                .fetch_all(&self.pool)
                .await?;
                let total: i64 = sqlx::query(&format!(
                    "SELECT COUNT(*) AS n FROM cases c {join} WHERE {filter}"
                ))
                .bind(&pattern)
                .bind(user)
                .fetch_one(&self.pool)
                .await?
                .try_get("n")?;
                (rows, total)
            }
        };
        Ok((
            rows.iter().map(Self::case_row).collect::<Result<_, _>>()?,
            total,
        ))
    }

    pub async fn set_case_state(
        &self,
        id: &str,
        state: &str,
        failure: Option<&str>,
        figures: Option<(i64, i64, i64)>,
    ) -> Result<(), sqlx::Error> {
        let mut w = self.write().await?;
        let (clusters, accounts, flagged) = match figures {
            Some((a, b, c)) => (Some(a), Some(b), Some(c)),
            None => (None, None, None),
        };
        sqlx::query("UPDATE cases SET state = $1, failure = $2, updated_at = $3, clusters = COALESCE($4, clusters), accounts = COALESCE($5, accounts), flagged = COALESCE($6, flagged) WHERE id = $7")
            .bind(state)
            .bind(failure.map(str::to_string))
            .bind(now_ms())
            .bind(clusters)
            .bind(accounts)
            .bind(flagged)
            .bind(id)
            .execute(&mut *w)
            .await?;
        Ok(())
    }

    pub async fn set_case_status(&self, id: &str, status: &str) -> Result<(), sqlx::Error> {
        let mut w = self.write().await?;
        sqlx::query("UPDATE cases SET status = $1, updated_at = $2 WHERE id = $3")
            .bind(status)
            .bind(now_ms())
            .bind(id)
            .execute(&mut *w)
            .await?;
        Ok(())
    }

    /// Cases left queued or running by a server that stopped: they failed.
    pub async fn fail_interrupted_runs(&self) -> Result<Vec<String>, sqlx::Error> {
        let mut w = self.write().await?;
        let ids: Vec<String> =
            sqlx::query("SELECT id FROM cases WHERE state = 'queued' OR state = 'running'")
                .fetch_all(&mut *w)
                .await?
                .iter()
                .map(|r| r.try_get("id"))
                .collect::<Result<_, _>>()?;
        sqlx::query("UPDATE cases SET state = 'failed', failure = 'the server stopped before the run finished', updated_at = $1 WHERE state = 'queued' OR state = 'running'")
            .bind(now_ms())
            .execute(&mut *w)
            .await?;
        Ok(ids)
    }

    pub async fn is_member(&self, case_id: &str, user_id: &str) -> Result<bool, sqlx::Error> {
        Ok(
            sqlx::query("SELECT 1 AS one FROM case_members WHERE case_id = $1 AND user_id = $2")
                .bind(case_id)
                .bind(user_id)
                .fetch_optional(&self.pool)
                .await?
                .is_some(),
        )
    }

    pub async fn members(&self, case_id: &str) -> Result<Vec<Member>, sqlx::Error> {
        let rows = sqlx::query(
            "SELECT u.name AS name, u.role AS role, m.added_at AS added_at FROM case_members m \
             JOIN users u ON u.id = m.user_id WHERE m.case_id = $1 ORDER BY u.name",
        )
        .bind(case_id)
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| {
                let role: String = r.try_get("role")?;
                Ok(Member {
                    name: r.try_get("name")?,
                    role: role
                        .parse()
                        .map_err(|e: String| sqlx::Error::Decode(e.into()))?,
                    added_at: crate::ids::rfc3339(r.try_get("added_at")?),
                })
            })
            .collect()
    }

    pub async fn add_member(
        &self,
        case_id: &str,
        user_id: &str,
        by: &str,
    ) -> Result<bool, sqlx::Error> {
        let mut w = self.write().await?;
        let r = sqlx::query("INSERT INTO case_members (case_id, user_id, added_by, added_at) VALUES ($1, $2, $3, $4) ON CONFLICT (case_id, user_id) DO NOTHING")
            .bind(case_id)
            .bind(user_id)
            .bind(by)
            .bind(now_ms())
            .execute(&mut *w)
            .await?;
        Ok(r.rows_affected() == 1)
    }

    pub async fn remove_member(&self, case_id: &str, user_id: &str) -> Result<bool, sqlx::Error> {
        let mut w = self.write().await?;
        let r = sqlx::query("DELETE FROM case_members WHERE case_id = $1 AND user_id = $2")
            .bind(case_id)
            .bind(user_id)
            .execute(&mut *w)
            .await?;
        Ok(r.rows_affected() == 1)
    }

    // ---- triage -------------------------------------------------------------------------

    /// Records a verdict (history and the one in force) and its audit entry in one
    /// transaction: a verdict is never stored without its audit record.
    pub async fn add_verdict(
        &self,
        v: &NewVerdict<'_>,
        audit: &AuditRecord,
    ) -> Result<(), sqlx::Error> {
        let mut w = self.write().await?;
        let mut tx = sqlx::Connection::begin(&mut *w).await?;
        let at = now_ms();
        sqlx::query("INSERT INTO verdicts (id, case_id, target_kind, target, cluster, verdict, user_id, at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)")
            .bind(ordered_id())
            .bind(v.case_id)
            .bind(v.target_kind)
            .bind(v.target)
            .bind(v.cluster)
            .bind(v.verdict)
            .bind(v.user_id)
            .bind(at)
            .execute(&mut *tx)
            .await?;
        sqlx::query(
            "INSERT INTO current_verdicts (case_id, target_kind, target, cluster, verdict, user_id, at) VALUES ($1, $2, $3, $4, $5, $6, $7) \
             ON CONFLICT (case_id, target_kind, target) DO UPDATE SET verdict = excluded.verdict, user_id = excluded.user_id, at = excluded.at, cluster = excluded.cluster",
        )
        .bind(v.case_id)
        .bind(v.target_kind)
        .bind(v.target)
        .bind(v.cluster)
        .bind(v.verdict)
        .bind(v.user_id)
        .bind(at)
        .execute(&mut *tx)
        .await?;
        insert_audit(&mut tx, audit).await?;
        tx.commit().await
    }

    pub async fn add_note(
        &self,
        n: &NewNote<'_>,
        audit: &AuditRecord,
    ) -> Result<String, sqlx::Error> {
        let mut w = self.write().await?;
        let mut tx = sqlx::Connection::begin(&mut *w).await?;
        let id = ordered_id();
        sqlx::query("INSERT INTO notes (id, case_id, target_kind, target, cluster, body, user_id, at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)")
            .bind(&id)
            .bind(n.case_id)
            .bind(n.target_kind)
            .bind(n.target)
            .bind(n.cluster)
            .bind(n.body)
            .bind(n.user_id)
            .bind(now_ms())
            .execute(&mut *tx)
            .await?;
        insert_audit(&mut tx, audit).await?;
        tx.commit().await?;
        Ok(id)
    }

    pub async fn assign(
        &self,
        case_id: &str,
        cluster: i64,
        assignee: Option<&str>,
        by: &str,
        audit: &AuditRecord,
    ) -> Result<(), sqlx::Error> {
        let mut w = self.write().await?;
        let mut tx = sqlx::Connection::begin(&mut *w).await?;
        sqlx::query(
            "INSERT INTO assignments (case_id, cluster, assignee, assigned_by, at) VALUES ($1, $2, $3, $4, $5) \
             ON CONFLICT (case_id, cluster) DO UPDATE SET assignee = excluded.assignee, assigned_by = excluded.assigned_by, at = excluded.at",
        )
        .bind(case_id)
        .bind(cluster)
        .bind(assignee.map(str::to_string))
        .bind(by)
        .bind(now_ms())
        .execute(&mut *tx)
        .await?;
        insert_audit(&mut tx, audit).await?;
        tx.commit().await
    }

    /// The verdicts in force in a case (`cluster`: only those on that cluster and its
    /// accounts).
    pub async fn current_verdicts(
        &self,
        case_id: &str,
        cluster: Option<i64>,
    ) -> Result<Vec<VerdictView>, sqlx::Error> {
        let base = "SELECT v.target_kind AS target_kind, v.target AS target, v.cluster AS cluster, v.verdict AS verdict, u.name AS analyst, v.at AS at \
                    FROM current_verdicts v JOIN users u ON u.id = v.user_id WHERE v.case_id = $1";
        let rows = match cluster {
            Some(c) => {
                sqlx::query(&format!("{base} AND v.cluster = $2"))
                    .bind(case_id)
                    .bind(c)
                    .fetch_all(&self.pool)
                    .await?
            }
            None => {
                sqlx::query(base)
                    .bind(case_id)
                    .fetch_all(&self.pool)
                    .await?
            }
        };
        rows.iter().map(verdict_view).collect()
    }

    /// Every verdict given on a cluster and its accounts, oldest first.
    /// The latest `limit` verdicts given on a cluster and its accounts, oldest first, and how
    /// many there are in all (a card stays small however long a cluster has been triaged; the
    /// whole history is in the audit log).
    pub async fn verdict_history(
        &self,
        case_id: &str,
        cluster: i64,
        limit: i64,
    ) -> Result<(Vec<VerdictView>, i64), sqlx::Error> {
        // Newest first along the (case, cluster, id) index, stopping at the limit; the total
        // is counted on the index alone (joining users for every row would cost more).
        let rows = sqlx::query(
            "SELECT v.target_kind AS target_kind, v.target AS target, v.cluster AS cluster, v.verdict AS verdict, u.name AS analyst, v.at AS at \
             FROM verdicts v JOIN users u ON u.id = v.user_id WHERE v.case_id = $1 AND v.cluster = $2 ORDER BY v.id DESC LIMIT $3",
        )
        .bind(case_id)
        .bind(cluster)
        .bind(limit)
        .fetch_all(&self.pool)
        .await?;
        let total: i64 =
            sqlx::query_scalar("SELECT COUNT(*) FROM verdicts WHERE case_id = $1 AND cluster = $2")
                .bind(case_id)
                .bind(cluster)
                .fetch_one(&self.pool)
                .await?;
        let mut out = rows
            .iter()
            .map(verdict_view)
            .collect::<Result<Vec<_>, _>>()?;
        out.reverse();
        Ok((out, total))
    }

    pub async fn notes(&self, case_id: &str, cluster: i64) -> Result<Vec<NoteView>, sqlx::Error> {
        let rows = sqlx::query(
            "SELECT n.id AS id, n.target_kind AS target_kind, n.target AS target, n.body AS body, u.name AS analyst, n.at AS at \
             FROM notes n JOIN users u ON u.id = n.user_id WHERE n.case_id = $1 AND n.cluster = $2 ORDER BY n.id",
        )
        .bind(case_id)
        .bind(cluster)
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| {
                Ok(NoteView {
                    id: r.try_get("id")?,
                    target_kind: r.try_get("target_kind")?,
                    target: r.try_get("target")?,
                    text: r.try_get("body")?,
                    analyst: r.try_get("analyst")?,
                    at: crate::ids::rfc3339(r.try_get("at")?),
                })
            })
            .collect()
    }

    /// A cluster's assignee, by name.
    pub async fn assignee(
        &self,
        case_id: &str,
        cluster: i64,
    ) -> Result<Option<String>, sqlx::Error> {
        sqlx::query_scalar(
            "SELECT u.name FROM assignments a JOIN users u ON u.id = a.assignee WHERE a.case_id = $1 AND a.cluster = $2",
        )
        .bind(case_id)
        .bind(cluster)
        .fetch_optional(&self.pool)
        .await
    }

    /// Cluster → assignee name, for a case.
    pub async fn assignments(&self, case_id: &str) -> Result<Vec<(i64, String)>, sqlx::Error> {
        let rows = sqlx::query(
            "SELECT a.cluster AS cluster, u.name AS name FROM assignments a JOIN users u ON u.id = a.assignee WHERE a.case_id = $1",
        )
        .bind(case_id)
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| Ok((r.try_get("cluster")?, r.try_get("name")?)))
            .collect()
    }

    /// Every verdict and note of a case, for the triage export.
    pub async fn triage_export(
        &self,
        case_id: &str,
    ) -> Result<(Vec<VerdictView>, Vec<NoteView>), sqlx::Error> {
        let v = sqlx::query(
            "SELECT v.target_kind AS target_kind, v.target AS target, v.cluster AS cluster, v.verdict AS verdict, u.name AS analyst, v.at AS at \
             FROM verdicts v JOIN users u ON u.id = v.user_id WHERE v.case_id = $1 ORDER BY v.id",
        )
        .bind(case_id)
        .fetch_all(&self.pool)
        .await?
        .iter()
        .map(verdict_view)
        .collect::<Result<_, _>>()?;
        let n = sqlx::query(
            "SELECT n.id AS id, n.target_kind AS target_kind, n.target AS target, n.body AS body, u.name AS analyst, n.at AS at \
             FROM notes n JOIN users u ON u.id = n.user_id WHERE n.case_id = $1 ORDER BY n.id",
        )
        .bind(case_id)
        .fetch_all(&self.pool)
        .await?
        .iter()
        .map(|r| {
            Ok(NoteView {
                id: r.try_get("id")?,
                target_kind: r.try_get("target_kind")?,
                target: r.try_get("target")?,
                text: r.try_get("body")?,
                analyst: r.try_get("analyst")?,
                at: crate::ids::rfc3339(r.try_get("at")?),
            })
        })
        .collect::<Result<_, sqlx::Error>>()?;
        Ok((v, n))
    }

    // ---- audit --------------------------------------------------------------------------

    pub async fn audit(&self, a: &AuditRecord) -> Result<(), sqlx::Error> {
        let mut w = self.write().await?;
        let mut tx = sqlx::Connection::begin(&mut *w).await?;
        insert_audit(&mut tx, a).await?;
        tx.commit().await
    }

    /// Audit entries, newest first, optionally of one case (and one cluster).
    pub async fn audit_entries(
        &self,
        case_id: Option<&str>,
        cluster: Option<i64>,
        limit: i64,
        offset: i64,
    ) -> Result<(Vec<AuditView>, i64), sqlx::Error> {
        let (filter, n) = match (case_id, cluster) {
            (Some(_), Some(_)) => ("WHERE case_id = $1 AND cluster = $2", 2),
            (Some(_), None) => ("WHERE case_id = $1", 1),
            _ => ("", 0),
        };
        let sql = format!(
            "SELECT * FROM audit {filter} ORDER BY id DESC LIMIT ${} OFFSET ${}",
            n + 1,
            n + 2
        );
        let count_sql = format!("SELECT COUNT(*) AS n FROM audit {filter}");
        let mut q = sqlx::query(&sql);
        let mut cq = sqlx::query(&count_sql);
        if let Some(c) = case_id {
            q = q.bind(c);
            cq = cq.bind(c);
            if let Some(k) = cluster {
                q = q.bind(k);
                cq = cq.bind(k);
            }
        }
        let rows = q.bind(limit).bind(offset).fetch_all(&self.pool).await?;
        let total: i64 = cq.fetch_one(&self.pool).await?.try_get("n")?;
        Ok((
            rows.iter().map(audit_view).collect::<Result<_, _>>()?,
            total,
        ))
    }

    /// Every audit entry, oldest first, in pages of `limit` after `after` (an id).
    pub async fn audit_after(
        &self,
        after: &str,
        limit: i64,
    ) -> Result<Vec<AuditView>, sqlx::Error> {
        sqlx::query("SELECT * FROM audit WHERE id > $1 ORDER BY id LIMIT $2")
            .bind(after)
            .bind(limit)
            .fetch_all(&self.pool)
            .await?
            .iter()
            .map(audit_view)
            .collect()
    }

    // ---- watches and alerts ------------------------------------------------------------

    pub async fn add_watch(&self, row: &WatchRow) -> Result<(), sqlx::Error> {
        let mut w = self.write().await?;
        sqlx::query("INSERT INTO watches (id, name, state, spec, failure, created_by, created_at, updated_at) VALUES ($1, $2, $3, $4, NULL, $5, $6, $6)")
            .bind(&row.id)
            .bind(&row.name)
            .bind(&row.state)
            .bind(&row.spec)
            .bind(&row.created_by)
            .bind(row.created_at)
            .execute(&mut *w)
            .await?;
        Ok(())
    }

    pub async fn set_watch_state(
        &self,
        id: &str,
        state: &str,
        failure: Option<&str>,
    ) -> Result<(), sqlx::Error> {
        let mut w = self.write().await?;
        sqlx::query("UPDATE watches SET state = $1, failure = $2, updated_at = $3 WHERE id = $4")
            .bind(state)
            .bind(failure.map(str::to_string))
            .bind(now_ms())
            .bind(id)
            .execute(&mut *w)
            .await?;
        Ok(())
    }

    fn watch_row(r: &AnyRow) -> Result<WatchRow, sqlx::Error> {
        Ok(WatchRow {
            id: r.try_get("id")?,
            name: r.try_get("name")?,
            state: r.try_get("state")?,
            spec: r.try_get("spec")?,
            failure: r.try_get("failure")?,
            created_by: r.try_get("created_by")?,
            created_at: r.try_get("created_at")?,
            updated_at: r.try_get("updated_at")?,
        })
    }

    pub async fn watches(&self) -> Result<Vec<WatchRow>, sqlx::Error> {
        sqlx::query("SELECT * FROM watches ORDER BY created_at DESC")
            .fetch_all(&self.pool)
            .await?
            .iter()
            .map(Self::watch_row)
            .collect()
    }

    pub async fn watch(&self, id: &str) -> Result<Option<WatchRow>, sqlx::Error> {
        sqlx::query("SELECT * FROM watches WHERE id = $1")
            .bind(id)
            .fetch_optional(&self.pool)
            .await?
            .map(|r| Self::watch_row(&r))
            .transpose()
    }

    /// Watches a stopped server left running: they stopped.
    pub async fn stop_orphan_watches(&self) -> Result<(), sqlx::Error> {
        let mut w = self.write().await?;
        sqlx::query("UPDATE watches SET state = 'stopped', failure = 'the server stopped', updated_at = $1 WHERE state = 'running'")
            .bind(now_ms())
            .execute(&mut *w)
            .await?;
        Ok(())
    }

    pub async fn add_alert(&self, a: &AlertView) -> Result<(), sqlx::Error> {
        let mut w = self.write().await?;
        sqlx::query("INSERT INTO alerts (id, watch_id, at, title, detail, case_id) VALUES ($1, $2, $3, $4, $5, $6)")
            .bind(&a.id)
            .bind(&a.watch_id)
            .bind(now_ms())
            .bind(&a.title)
            .bind(a.detail.to_string())
            .bind(a.case_id.clone())
            .execute(&mut *w)
            .await?;
        Ok(())
    }

    pub async fn alerts(&self, limit: i64, offset: i64) -> Result<Vec<AlertView>, sqlx::Error> {
        sqlx::query("SELECT * FROM alerts ORDER BY id DESC LIMIT $1 OFFSET $2")
            .bind(limit)
            .bind(offset)
            .fetch_all(&self.pool)
            .await?
            .iter()
            .map(|r| {
                let detail: String = r.try_get("detail")?;
                Ok(AlertView {
                    id: r.try_get("id")?,
                    watch_id: r.try_get("watch_id")?,
                    at: crate::ids::rfc3339(r.try_get("at")?),
                    title: r.try_get("title")?,
                    detail: serde_json::from_str(&detail).unwrap_or(serde_json::Value::Null),
                    case_id: r.try_get("case_id")?,
                })
            })
            .collect()
    }
}

/// `%`, `_` and `\` in a LIKE pattern taken literally.
fn like_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        if matches!(c, '%' | '_' | '\\') {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

async fn insert_audit(
    tx: &mut sqlx::Transaction<'_, sqlx::Any>,
    a: &AuditRecord,
) -> Result<(), sqlx::Error> {
    sqlx::query("INSERT INTO audit (id, at, actor, address, action, outcome, case_id, cluster, target, detail) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)")
        .bind(ordered_id())
        .bind(now_ms())
        .bind(a.actor.clone())
        .bind(&a.address)
        .bind(a.action)
        .bind(a.outcome)
        .bind(a.case_id.clone())
        .bind(a.cluster)
        .bind(a.target.clone())
        .bind(a.detail.to_string())
        .execute(&mut **tx)
        .await?;
    Ok(())
}

fn verdict_view(r: &AnyRow) -> Result<VerdictView, sqlx::Error> {
    Ok(VerdictView {
        target_kind: r.try_get("target_kind")?,
        target: r.try_get("target")?,
        cluster: r.try_get("cluster")?,
        verdict: r.try_get("verdict")?,
        analyst: r.try_get("analyst")?,
        at: crate::ids::rfc3339(r.try_get("at")?),
    })
}

fn audit_view(r: &AnyRow) -> Result<AuditView, sqlx::Error> {
    let detail: String = r.try_get("detail")?;
    Ok(AuditView {
        id: r.try_get("id")?,
        at: crate::ids::rfc3339(r.try_get("at")?),
        actor: r.try_get("actor")?,
        address: r.try_get("address")?,
        action: r.try_get("action")?,
        outcome: r.try_get("outcome")?,
        case_id: r.try_get("case_id")?,
        cluster: r.try_get("cluster")?,
        target: r.try_get("target")?,
        detail: serde_json::from_str(&detail).unwrap_or(serde_json::Value::Null),
    })
}

#[derive(Debug, Clone)]
pub struct CaseRow {
    pub id: String,
    pub name: String,
    pub description: String,
    /// `upload`, `paths` or `watch`.
    pub source: String,
    /// The case folder on disk.
    pub dir: String,
    /// `queued`, `running`, `done` or `failed`.
    pub state: String,
    pub failure: Option<String>,
    /// Triage status: `open`, `in_review`, `closed`.
    pub status: String,
    /// JSON: the detect parameters as given.
    pub params: String,
    /// JSON: the input names.
    pub inputs: String,
    pub created_by: String,
    /// The creator's name (read only: filled by queries).
    pub creator: String,
    pub created_at: i64,
    pub updated_at: i64,
    pub clusters: Option<i64>,
    pub accounts: Option<i64>,
    pub flagged: Option<i64>,
    pub watch_id: Option<String>,
}

pub struct NewVerdict<'a> {
    pub case_id: &'a str,
    pub target_kind: &'a str,
    pub target: &'a str,
    pub cluster: Option<i64>,
    pub verdict: &'a str,
    pub user_id: &'a str,
}

pub struct NewNote<'a> {
    pub case_id: &'a str,
    pub target_kind: &'a str,
    pub target: &'a str,
    pub cluster: Option<i64>,
    pub body: &'a str,
    pub user_id: &'a str,
}

/// One audit entry to write: who (`None`: nobody logged in), from where, what, how it went.
#[derive(Debug, Clone)]
pub struct AuditRecord {
    pub actor: Option<String>,
    pub address: String,
    pub action: &'static str,
    /// `ok`, `denied` or `failed`.
    pub outcome: &'static str,
    pub case_id: Option<String>,
    pub cluster: Option<i64>,
    pub target: Option<String>,
    pub detail: serde_json::Value,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct VerdictView {
    /// `cluster` or `account`.
    pub target_kind: String,
    /// The cluster id or the account name.
    pub target: String,
    pub cluster: Option<i64>,
    pub verdict: String,
    pub analyst: String,
    pub at: String,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct NoteView {
    pub id: String,
    pub target_kind: String,
    pub target: String,
    pub text: String,
    pub analyst: String,
    pub at: String,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct AuditView {
    pub id: String,
    pub at: String,
    /// The user's name; null before login (a failed login).
    pub actor: Option<String>,
    pub address: String,
    pub action: String,
    pub outcome: String,
    pub case_id: Option<String>,
    pub cluster: Option<i64>,
    pub target: Option<String>,
    #[schema(value_type = Object)]
    pub detail: serde_json::Value,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct TokenInfo {
    pub id: String,
    pub name: String,
    pub created_at: String,
    pub revoked_at: Option<String>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Member {
    pub name: String,
    pub role: Role,
    pub added_at: String,
}

#[derive(Debug, Clone)]
pub struct WatchRow {
    pub id: String,
    pub name: String,
    /// `running`, `stopped` or `failed`.
    pub state: String,
    /// JSON: the watch's inputs and arguments.
    pub spec: String,
    pub failure: Option<String>,
    pub created_by: String,
    pub created_at: i64,
    pub updated_at: i64,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct AlertView {
    pub id: String,
    pub watch_id: String,
    pub at: String,
    pub title: String,
    #[schema(value_type = Object)]
    pub detail: serde_json::Value,
    /// The snapshot case the alert links to.
    pub case_id: Option<String>,
}
