//! Area `send` (user tokens; its own Lambda function, the only one with
//! outbound SMTP): `POST /v1/me/messages`. A retried request with the same
//! `Idempotency-Key` sends at most once: the key is claimed before
//! sending, the answer stored for 24 h and replayed; a key whose request
//! failed before anything could be delivered is released, so the retry may
//! send; an `uncertain` answer (the upstream's reply to the final dot never
//! came) is stored like a success and never sent again.

mod body;
mod compose;
mod error;
mod flow;

pub use body::{AttachmentBody, SendBody, SentView};
pub use error::SendError;

use crate::extract::{Body, Caller, CallerToken};
use crate::problem::Problem;
use crate::state::AppState;
use axum::extract::{DefaultBodyLimit, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::{Extension, Json};
use sendas_core::model::{
    AuditCredential, IDEMPOTENCY_PENDING, IDEMPOTENCY_RETENTION, IdempotencyClaim, IdempotencyRecord, IdempotencyState,
};
use sendas_core::service::require_user;
use sendas_core::{ServiceError, TenantId, Timestamp, UserId};
use sendas_message::limits::MAX_MESSAGE_SIZE;
use sendas_relay::RelayError;
use sha2::{Digest, Sha256};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

/// The largest request: a message at the size limit in base64, and room for the JSON around it.
pub const MAX_REQUEST: usize = MAX_MESSAGE_SIZE / 3 * 4 + 1024 * 1024;

/// The routes of this area.
pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(send_message)).layer(DefaultBodyLimit::max(MAX_REQUEST))
}

/// Sends a message as the user: a template (with variables) or a subject
/// and bodies, From and Reply-To from the user's dropdowns (default: the
/// template's presets), recipients and attachments. The same permission
/// rule, message verdict, relay and audit log as SMTP. `201` once the
/// upstream accepted it; `403 sender_not_allowed` when From or Reply-To is
/// not the user's to use; `503` (with `Retry-After`) or `502` when the
/// upstream did not take it.
#[utoipa::path(post, path = "/me/messages", tag = "send", security(("bearer" = ["user"])),
    params(("Idempotency-Key" = Option<String>, Header,
        description = "1..=255 visible ASCII characters: a retry with the same key sends at most once (kept 24 h)")),
    request_body = SendBody,
    responses((status = 201, body = SentView), (status = "4XX", body = Problem), (status = "5XX", body = Problem)))]
async fn send_message(
    State(s): State<AppState>,
    Caller(c): Caller,
    token: Option<Extension<CallerToken>>,
    headers: HeaderMap,
    Body(b): Body<SendBody>,
) -> Result<Response, SendError> {
    let (t, u) = require_user(&c)?;
    let sender = Sender { tenant: t, user: u, token: token.map(|Extension(CallerToken(c))| c) };
    let Some(key) = idempotency_key(&headers)? else {
        let sent = flow::send(&s, t, u, sender.token, &b).await?;
        return Ok((StatusCode::CREATED, Json(sent)).into_response());
    };
    idempotent(&s, sender, key, &b).await
}

/// Who sends: the user and the token it authenticated with.
struct Sender {
    tenant: TenantId,
    user: UserId,
    token: Option<AuditCredential>,
}

/// The `Idempotency-Key` header, checked.
fn idempotency_key(headers: &HeaderMap) -> Result<Option<String>, SendError> {
    let Some(value) = headers.get("idempotency-key") else { return Ok(None) };
    let key = value.to_str().ok().filter(|k| (1..=255).contains(&k.len()) && k.bytes().all(|b| b.is_ascii_graphic()));
    match key {
        Some(k) => Ok(Some(k.to_owned())),
        None => Err(ServiceError::invalid("Idempotency-Key", "1..=255 visible ASCII characters").into()),
    }
}

async fn idempotent(s: &AppState, sender: Sender, key: String, b: &SendBody) -> Result<Response, SendError> {
    let (t, u) = (sender.tenant, sender.user);
    let hash = hex(&Sha256::digest(serde_json::to_vec(b).unwrap_or_default()));
    let now = Timestamp::now();
    let pending = IdempotencyRecord {
        tenant_id: t,
        user_id: u,
        key: key.clone(),
        request_hash: hash.clone(),
        state: IdempotencyState::Pending,
        expires_at: now.plus(IDEMPOTENCY_PENDING),
    };
    match s.store.claim_idempotency(&pending, now).await? {
        IdempotencyClaim::Taken(found) if found.request_hash != hash => Err(SendError::KeyReused),
        IdempotencyClaim::Taken(found) => match found.state {
            IdempotencyState::Pending => Err(SendError::InFlight),
            IdempotencyState::Done { status, body } => Ok(replay(status, body)),
        },
        IdempotencyClaim::Claimed => match flow::send(s, t, u, sender.token, b).await {
            Ok(sent) => {
                let body = serde_json::to_string(&sent).unwrap_or_default();
                let done = IdempotencyRecord {
                    state: IdempotencyState::Done { status: 201, body },
                    expires_at: Timestamp::now().plus(IDEMPOTENCY_RETENTION),
                    ..pending
                };
                if let Err(e) = s.store.put_idempotency(&done).await {
                    // Sent: answer so; a retry within the pending window still finds the key taken.
                    tracing::warn!(error = %e, "HTTP send: the idempotency answer could not be stored");
                }
                Ok((StatusCode::CREATED, Json(sent)).into_response())
            }
            Err(e @ SendError::Relay(RelayError::Uncertain(_))) => {
                // It may have been delivered: the key keeps this answer, a retry is never sent again.
                let (parts, body) = e.into_response().into_parts();
                let bytes = axum::body::to_bytes(body, 64 * 1024).await.unwrap_or_default();
                let done = IdempotencyRecord {
                    state: IdempotencyState::Done {
                        status: parts.status.as_u16(),
                        body: String::from_utf8_lossy(&bytes).into_owned(),
                    },
                    expires_at: Timestamp::now().plus(IDEMPOTENCY_RETENTION),
                    ..pending
                };
                if let Err(e) = s.store.put_idempotency(&done).await {
                    tracing::warn!(error = %e, "HTTP send: the idempotency answer could not be stored");
                }
                Ok(Response::from_parts(parts, axum::body::Body::from(bytes)))
            }
            Err(e) => {
                // Nothing was sent: the key is free for the retry.
                if let Err(release) = s.store.release_idempotency(t, u, &key).await {
                    tracing::warn!(error = %release, "HTTP send: the idempotency key could not be released");
                }
                Err(e)
            }
        },
    }
}

/// The stored answer of a key's first request.
fn replay(status: u16, body: String) -> Response {
    let status = StatusCode::from_u16(status).unwrap_or(StatusCode::CREATED);
    let mut response = (status, body).into_response();
    response.headers_mut().insert("content-type", HeaderValue::from_static("application/json"));
    response.headers_mut().insert("idempotent-replayed", HeaderValue::from_static("true"));
    response
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}
