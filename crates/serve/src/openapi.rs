//! The OpenAPI 3 document, generated from the handlers' annotations (utoipa). The committed
//! `crates/serve/openapi.json` must equal it (a test), and its paths must equal the route
//! table's (another test).

use crate::api;
use crate::auth::Access;
use utoipa::openapi::security::SecurityRequirement;
use utoipa::openapi::security::{ApiKey, ApiKeyValue, HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};

#[derive(OpenApi)]
#[openapi(
    info(
        title = "lockstep serve",
        description = "The team server of lockstep: cases, watches, verdicts, notes and the audit log. \
Authenticate with the session cookie from POST /api/login (then send X-CSRF-Token on every state-changing request) \
or with `Authorization: Bearer lst_…` (an API token). Every error is {\"error\": {\"code\", \"message\"}}.",
        license(name = "Apache-2.0")
    ),
    paths(
        api::login, api::openapi_json, api::logout, api::me,
        api::list_tokens, api::create_token, api::revoke_token,
        api::list_users, api::create_user, api::update_user,
        api::audit_log, api::audit_export, api::dashboard_events, api::list_roots,
        api::list_cases, api::create_case_upload, api::create_case_paths,
        api::get_case, api::update_case, api::case_events, api::case_report, api::case_file,
        api::list_members, api::add_member, api::remove_member,
        api::list_clusters, api::get_cluster, api::assign_cluster, api::add_verdict, api::add_note,
        api::case_audit, api::triage_export,
        api::list_watches, api::start_watch, api::stop_watch, api::list_alerts,
    ),
    modifiers(&Security)
)]
pub struct ApiDoc;

struct Security;

impl Modify for Security {
    fn modify(&self, doc: &mut utoipa::openapi::OpenApi) {
        let c = doc.components.get_or_insert_with(Default::default);
        c.add_security_scheme(
            "session",
            SecurityScheme::ApiKey(ApiKey::Cookie(ApiKeyValue::new(
                crate::auth::SESSION_COOKIE,
            ))),
        );
        c.add_security_scheme(
            "token",
            SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build()),
        );
        // Each operation says who may call it, from the route table.
        for (method, path, access) in api::route_list() {
            let Some(item) = doc.paths.paths.get_mut(path) else {
                continue;
            };
            let op = match method {
                "get" => item.get.as_mut(),
                "post" => item.post.as_mut(),
                "put" => item.put.as_mut(),
                "patch" => item.patch.as_mut(),
                "delete" => item.delete.as_mut(),
                _ => None,
            };
            let Some(op) = op else { continue };
            let (security, who) = match access {
                Access::Public => (vec![SecurityRequirement::default()], "anyone".to_string()),
                Access::User(r) => (auth_requirements(), format!("{r} or above")),
                Access::Case(r) => (
                    auth_requirements(),
                    format!("{r} or above, member of the case (admins: any case)"),
                ),
            };
            op.security = Some(security);
            op.extensions
                .get_or_insert_with(Default::default)
                .insert("x-lockstep-access".into(), serde_json::Value::String(who));
        }
    }
}

fn auth_requirements() -> Vec<SecurityRequirement> {
    vec![
        SecurityRequirement::new("session", Vec::<String>::new()),
        SecurityRequirement::new("token", Vec::<String>::new()),
    ]
}

/// The document as served at `/api/openapi.json` (pretty, ending in a line break).
pub fn document_json() -> &'static str {
    static DOC: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    DOC.get_or_init(|| {
        let mut s = ApiDoc::openapi().to_pretty_json().unwrap_or_default();
        s.push('\n');
        s
    })
}
