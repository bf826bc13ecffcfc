//! sendas-api: the HTTP API of SPEC §4 as one axum `Router` over
//! `Arc<dyn Store>` and `Arc<dyn SecretStore>`.
//!
//! The same router serves `sendas serve` (embedded store), the Lambda
//! functions (DynamoDB + Secrets Manager; each function serves one
//! [`Area`]) and in-process tests. Handlers only translate: they extract
//! the caller ([`extract::Caller`]), call a use-case of
//! `sendas_core::service` (which checks the role), and map the result to
//! JSON or to problem+json ([`problem`]). No lambda_http here.
//!
//! The OpenAPI 3.1 document is generated from the handlers' annotations
//! (utoipa) and served at `/v1/openapi.json`; only routes registered with
//! it exist.

pub mod authorize;
pub mod dto;
pub mod etag;
pub mod extract;
pub mod problem;
pub mod routes;
pub mod send;
pub mod state;
pub mod verify;

pub use state::AppState;

use axum::Router;
use axum::extract::Request;
use axum::http::{HeaderValue, StatusCode};
use axum::middleware::Next;
use axum::response::Response;
use utoipa::OpenApi;
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa_axum::router::OpenApiRouter;

/// A slice of the API served by one Lambda function.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Area {
    /// Operator: tenants, quota, system relay, operator tokens.
    Platform,
    /// Admin: companies, users, groups, tokens, users' credentials.
    Directory,
    /// Admin: mailboxes, access, verify, audit, sending domains (the functions that reach the DNS).
    Mailboxes,
    /// User: itself, dropdowns, own credentials, templates offered.
    Me,
    /// User: sending a message over HTTP (the only area with outbound SMTP).
    Send,
}

impl Area {
    /// Every area.
    pub const ALL: [Area; 5] = [Area::Platform, Area::Directory, Area::Mailboxes, Area::Me, Area::Send];

    /// The area's name (also the function's name suffix).
    pub fn name(self) -> &'static str {
        match self {
            Area::Platform => "platform",
            Area::Directory => "directory",
            Area::Mailboxes => "mailboxes",
            Area::Me => "me",
            Area::Send => "send",
        }
    }

    fn routes(self) -> OpenApiRouter<AppState> {
        match self {
            Area::Platform => routes::platform::routes(),
            Area::Directory => routes::directory::routes(),
            Area::Mailboxes => {
                routes::mailboxes::routes().merge(routes::domains::routes()).merge(routes::confirmations::routes())
            }
            Area::Me => routes::me::routes(),
            Area::Send => send::routes(),
        }
    }
}

#[derive(OpenApi)]
#[openapi(
    info(title = "sendas", description = "Who may send as which address: tenants, mailboxes, users, groups, permissions."),
    modifiers(&BearerAuth)
)]
struct ApiDoc;

struct BearerAuth;

impl utoipa::Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        let scheme = HttpBuilder::new().scheme(HttpAuthScheme::Bearer).description(Some(
            "An API token `sendas_...`. The scopes of an operation name who may call it: `operator`, \
             `admin` (of the tenant in the path), `self` (the user in the path), `user` (any user token).",
        ));
        components.add_security_scheme("bearer", SecurityScheme::Http(scheme.build()));
    }
}

fn assemble(areas: &[Area]) -> (Router<AppState>, utoipa::openapi::OpenApi) {
    let mut v1 = OpenApiRouter::<AppState>::new();
    for area in areas {
        v1 = v1.merge(area.routes());
    }
    OpenApiRouter::with_openapi(ApiDoc::openapi()).nest("/v1", v1).split_for_parts()
}

/// The OpenAPI document of the whole API.
pub fn openapi() -> utoipa::openapi::OpenApi {
    with_problem_responses(assemble(&Area::ALL).1)
}

/// Every operation's error responses as they are sent: `4XX` and `5XX`
/// with an `application/problem+json` body (the route annotations name
/// only the `Problem` schema; schemathesis found the content type missing).
fn with_problem_responses(doc: utoipa::openapi::OpenApi) -> utoipa::openapi::OpenApi {
    let Ok(mut value) = serde_json::to_value(&doc) else { return doc };
    let problem = serde_json::json!({"application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}});
    let paths = value.get_mut("paths").and_then(|p| p.as_object_mut());
    for operation in
        paths.into_iter().flat_map(|p| p.values_mut()).filter_map(|i| i.as_object_mut()).flat_map(|i| i.values_mut())
    {
        let Some(responses) = operation.get_mut("responses").and_then(|r| r.as_object_mut()) else { continue };
        responses.insert(
            "4XX".into(),
            serde_json::json!({"description": "The request was refused; the body says why", "content": problem}),
        );
        responses.insert(
            "5XX".into(),
            serde_json::json!({"description": "A backend is unavailable: retry later", "content": problem}),
        );
    }
    serde_json::from_value(value).unwrap_or(doc)
}

/// The whole API (all areas) plus `/v1/openapi.json`.
pub fn router(state: AppState) -> Router {
    router_for(&Area::ALL, state)
}

/// The routes of some areas plus `/v1/openapi.json` (of the whole API).
pub fn router_for(areas: &[Area], state: AppState) -> Router {
    let (routes, _) = assemble(areas);
    let whole = openapi();
    let scopes = authorize::Scopes::of(&whole);
    let doc = serde_json::to_vec(&whole).unwrap_or_default();
    routes
        .route_layer(axum::middleware::from_fn_with_state((state.clone(), scopes), authorize::authorize))
        .route(
            "/v1/openapi.json",
            axum::routing::get(move || {
                let doc = doc.clone();
                async move { ([(axum::http::header::CONTENT_TYPE, "application/json")], doc) }
            }),
        )
        .fallback(|| async { problem::ApiError(sendas_core::ServiceError::NotFound) })
        .method_not_allowed_fallback(|| async {
            problem::problem_response(
                StatusCode::METHOD_NOT_ALLOWED,
                "method_not_allowed",
                "Method not allowed",
                "this route does not take that method".to_owned(),
            )
        })
        .layer(axum::middleware::from_fn(request_id))
        .with_state(state)
}

/// Gives every request an id: in the `x-request-id` response header, in
/// 5xx problem bodies, and in the log lines of its errors.
async fn request_id(req: Request, next: Next) -> Response {
    let id = uuid::Uuid::new_v4().simple().to_string();
    let method = req.method().clone();
    let path = req.uri().path().to_owned();
    let mut response = problem::REQUEST_ID.scope(id.clone(), next.run(req)).await;
    let status = response.status();
    tracing::info!(request_id = %id, %method, %path, status = status.as_u16(), "request");
    if let Ok(v) = HeaderValue::from_str(&id) {
        response.headers_mut().insert("x-request-id", v);
    }
    response
}
