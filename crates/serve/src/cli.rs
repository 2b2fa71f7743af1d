//! The command-line front end (`lockstep serve`, `lockstep user …`, `lockstep token …`):
//! clap arguments and functions that return what to print. Wired into the binary by
//! `crates/cli`.

use crate::db::{AuditRecord, Db, Role};
use crate::error::ServeError;
use crate::Config;
use clap::{Args, Subcommand};
use std::io::Read;
use std::net::SocketAddr;
use std::path::PathBuf;

#[derive(Args, Debug)]
pub struct ServeArgs {
    /// The database: sqlite:PATH (created if missing) or postgres://USER@HOST/DB.
    #[arg(long, default_value = "sqlite:lockstep-serve/lockstep.db")]
    pub db: String,
    /// Address to listen on.
    #[arg(long, default_value = "127.0.0.1:8080")]
    pub listen: SocketAddr,
    /// Folder for case folders, uploads and watches.
    #[arg(long, default_value = "lockstep-serve")]
    pub data: PathBuf,
    /// A server folder cases and watches may read inputs from (repeatable); nothing outside
    /// these roots can be named.
    #[arg(long = "input-root", value_name = "DIR")]
    pub input_roots: Vec<PathBuf>,
    /// Largest upload (all files of one case), in MiB.
    #[arg(long, default_value_t = 2048)]
    pub max_upload_mib: u64,
    /// TLS certificate chain (PEM); with --tls-key, the server speaks HTTPS only.
    #[arg(long, requires = "tls_key")]
    pub tls_cert: Option<PathBuf>,
    /// TLS private key (PEM, PKCS#8, PKCS#1 or SEC1).
    #[arg(long, requires = "tls_cert")]
    pub tls_key: Option<PathBuf>,
    /// The `lockstep` binary that runs watches (default: this one).
    #[arg(long)]
    pub watch_exe: Option<PathBuf>,
    /// Failed logins allowed per account in 5 minutes.
    #[arg(long, default_value_t = 5)]
    pub login_limit_account: usize,
    /// Failed logins allowed per address in 5 minutes.
    #[arg(long, default_value_t = 20)]
    pub login_limit_address: usize,
}

#[derive(Args, Debug)]
pub struct DbArg {
    /// The server's database (as given to `lockstep serve --db`).
    #[arg(long, default_value = "sqlite:lockstep-serve/lockstep.db")]
    pub db: String,
}

#[derive(Subcommand, Debug)]
pub enum UserCommand {
    /// Add a user. The password is read from standard input with --password-stdin, else one
    /// is generated and printed once.
    Add {
        name: String,
        #[arg(long, value_parser = clap::value_parser!(RoleArg))]
        role: RoleArg,
        #[arg(long)]
        password_stdin: bool,
        #[command(flatten)]
        db: DbArg,
    },
    /// List users.
    List {
        #[command(flatten)]
        db: DbArg,
    },
    /// Disable a user: their sessions end, their tokens stop working. Users are never
    /// deleted (the audit log names them).
    Disable {
        name: String,
        #[command(flatten)]
        db: DbArg,
    },
    /// Enable a disabled user again.
    Enable {
        name: String,
        #[command(flatten)]
        db: DbArg,
    },
}

#[derive(Subcommand, Debug)]
pub enum TokenCommand {
    /// Make an API token for a user (printed once; only its hash is stored).
    Create {
        /// The user the token acts as.
        #[arg(long)]
        user: String,
        /// What the token is for.
        #[arg(long, default_value = "cli")]
        name: String,
        #[command(flatten)]
        db: DbArg,
    },
    /// Revoke a token by id (`lockstep token list`).
    Revoke {
        #[arg(long)]
        user: String,
        id: String,
        #[command(flatten)]
        db: DbArg,
    },
    /// A user's tokens.
    List {
        #[arg(long)]
        user: String,
        #[command(flatten)]
        db: DbArg,
    },
}

#[derive(Debug, Clone, Copy, clap::ValueEnum)]
pub enum RoleArg {
    Admin,
    Analyst,
    Viewer,
}

impl From<RoleArg> for Role {
    fn from(r: RoleArg) -> Role {
        match r {
            RoleArg::Admin => Role::Admin,
            RoleArg::Analyst => Role::Analyst,
            RoleArg::Viewer => Role::Viewer,
        }
    }
}

fn runtime() -> Result<tokio::runtime::Runtime, ServeError> {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| ServeError::io("tokio runtime", e))
}

/// Makes the parent folder of a `sqlite:PATH` database.
fn prepare_db_path(url: &str) -> Result<(), ServeError> {
    if let Some(p) = url.strip_prefix("sqlite:") {
        let p = PathBuf::from(p.trim_start_matches("//"));
        if let Some(dir) = p.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir).map_err(|e| ServeError::io(dir, e))?;
        }
    }
    Ok(())
}

async fn open(url: &str) -> Result<Db, ServeError> {
    prepare_db_path(url)?;
    Db::connect(url).await
}

fn cli_audit(action: &'static str, target: &str, detail: serde_json::Value) -> AuditRecord {
    AuditRecord {
        actor: Some(format!("cli:{}", whoami())),
        address: "local".into(),
        action,
        outcome: "ok",
        case_id: None,
        cluster: None,
        target: Some(target.to_string()),
        detail,
    }
}

fn whoami() -> String {
    std::env::var("USER").unwrap_or_else(|_| "unknown".into())
}

/// Runs the server until the process is stopped.
pub fn run_serve(a: &ServeArgs) -> Result<(), ServeError> {
    let rt = runtime()?;
    rt.block_on(async {
        let db = open(&a.db).await?;
        let mut config = Config::new(&a.data);
        for r in &a.input_roots {
            let c = std::fs::canonicalize(r).map_err(|e| ServeError::io(r, e))?;
            config.input_roots.push(c);
        }
        config.max_upload_bytes = a.max_upload_mib << 20;
        config.tls = a.tls_cert.is_some();
        config.watch_exe = a.watch_exe.clone();
        config.login_per_account = a.login_limit_account.max(1);
        config.login_per_address = a.login_limit_address.max(1);
        let users = db.count_users().await?;
        let app = crate::App::new(config, db, None).await?;
        let scheme = if a.tls_cert.is_some() { "https" } else { "http" };
        eprintln!("lockstep serve: listening on {scheme}://{}", a.listen);
        if users == 0 {
            eprintln!(
                "lockstep serve: no users yet: add one with `lockstep user add NAME --role admin --db {}`",
                a.db
            );
        }
        let tls = a.tls_cert.clone().zip(a.tls_key.clone());
        crate::serve(app, a.listen, tls).await
    })
}

pub fn run_user(c: &UserCommand) -> Result<String, ServeError> {
    runtime()?.block_on(async {
        match c {
            UserCommand::Add {
                name,
                role,
                password_stdin,
                db,
            } => {
                let db = open(&db.db).await?;
                if crate::api::check_user_name_pub(name).is_err() {
                    return Err(ServeError::Invalid(
                        "a user name is 1–64 characters of A–Z, a–z, 0–9, . _ - @".into(),
                    ));
                }
                if db.user_by_name(name).await?.is_some() {
                    return Err(ServeError::Invalid(format!("user {name} exists")));
                }
                let (password, shown) = if *password_stdin {
                    let mut s = String::new();
                    std::io::stdin()
                        .read_to_string(&mut s)
                        .map_err(|e| ServeError::io("stdin", e))?;
                    (s.trim_end_matches(['\n', '\r']).to_string(), false)
                } else {
                    (crate::ids::random_hex(12), true)
                };
                crate::auth::check_password_rules(&password)
                    .map_err(|e| ServeError::Invalid(e.message))?;
                let hash = crate::auth::hash_password(&password)
                    .map_err(|_| ServeError::Invalid("cannot hash the password".into()))?;
                let role: Role = (*role).into();
                let u = db.add_user(name, role, Some(&hash)).await?;
                db.audit(&cli_audit(
                    "user_add",
                    &u.name,
                    serde_json::json!({"role": role}),
                ))
                .await?;
                Ok(if shown {
                    format!(
                        "added {} ({role}); password (shown once): {password}",
                        u.name
                    )
                } else {
                    format!("added {} ({role})", u.name)
                })
            }
            UserCommand::List { db } => {
                let db = open(&db.db).await?;
                let mut out = String::from("name\trole\tstate\tcreated\n");
                for u in db.users().await? {
                    out.push_str(&format!(
                        "{}\t{}\t{}\t{}\n",
                        u.name,
                        u.role,
                        if u.disabled { "disabled" } else { "active" },
                        crate::ids::rfc3339(u.created_at)
                    ));
                }
                Ok(out.trim_end().to_string())
            }
            UserCommand::Disable { name, db } | UserCommand::Enable { name, db } => {
                let disable = matches!(c, UserCommand::Disable { .. });
                let db = open(&db.db).await?;
                let u = db
                    .user_by_name(name)
                    .await?
                    .ok_or_else(|| ServeError::Invalid(format!("no user {name}")))?;
                db.update_user(&u.id, None, None, Some(disable)).await?;
                db.audit(&cli_audit(
                    "user_change",
                    name,
                    serde_json::json!({"disabled": disable}),
                ))
                .await?;
                Ok(format!(
                    "{} {name}",
                    if disable { "disabled" } else { "enabled" }
                ))
            }
        }
    })
}

pub fn run_token(c: &TokenCommand) -> Result<String, ServeError> {
    runtime()?.block_on(async {
        let (user, db) = match c {
            TokenCommand::Create { user, db, .. }
            | TokenCommand::Revoke { user, db, .. }
            | TokenCommand::List { user, db } => (user, db),
        };
        let db = open(&db.db).await?;
        let u = db
            .user_by_name(user)
            .await?
            .ok_or_else(|| ServeError::Invalid(format!("no user {user}")))?;
        match c {
            TokenCommand::Create { name, .. } => {
                let (token, hash) = crate::auth::new_api_token();
                let info = db.add_token(&u.id, name, &hash).await?;
                db.audit(&cli_audit(
                    "token_create",
                    &info.id,
                    serde_json::json!({"user": user, "name": name}),
                ))
                .await?;
                Ok(token)
            }
            TokenCommand::Revoke { id, .. } => {
                if !db.revoke_token(&u.id, id).await? {
                    return Err(ServeError::Invalid(format!(
                        "{user} has no live token {id}"
                    )));
                }
                db.audit(&cli_audit(
                    "token_revoke",
                    id,
                    serde_json::json!({"user": user}),
                ))
                .await?;
                Ok(format!("revoked {id}"))
            }
            TokenCommand::List { .. } => {
                let mut out = String::from("id\tname\tcreated\trevoked\n");
                for t in db.tokens(&u.id).await? {
                    out.push_str(&format!(
                        "{}\t{}\t{}\t{}\n",
                        t.id,
                        t.name,
                        t.created_at,
                        t.revoked_at.unwrap_or_default()
                    ));
                }
                Ok(out.trim_end().to_string())
            }
        }
    })
}
