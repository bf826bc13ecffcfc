//! The web app on `/` of the API address: the files of `web/dist/`,
//! embedded at build time (`build.rs`), served with a strict Content
//! Security Policy and cache headers. Every path under `/v1` goes to the
//! API untouched (no CORS headers: the app is same-origin). The app uses
//! hash routes (`/#/mailboxes`), so unknown paths are plain 404s.
//!
//! `/config.json` tells the app's "app password" page where the SMTP
//! proxy listens (host and ports for a mail program); `sendas serve`
//! fills it in from its own listeners.

use axum::Router;
use axum::body::Body;
use axum::extract::Request;
use axum::http::{HeaderValue, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::Response;
use std::sync::Arc;

/// One embedded file.
struct Asset {
    path: &'static str,
    content_type: &'static str,
    etag: &'static str,
    body: &'static [u8],
}

static ASSETS: &[Asset] = include!(concat!(env!("OUT_DIR"), "/web_assets.rs"));

/// The Content Security Policy of every page and file: only this origin,
/// no inline script or style, no framing.
pub const CSP: &str = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self'; font-src 'self'; \
     connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

/// Where mail programs reach the SMTP proxy (for `/config.json`).
#[derive(Debug, Clone, serde::Serialize)]
pub struct SmtpClientConfig {
    /// Host name or address.
    pub host: String,
    /// The STARTTLS (submission) port.
    pub starttls_port: Option<u16>,
    /// The implicit-TLS port.
    pub tls_port: Option<u16>,
}

/// Adds the web app to the API router: requests outside `/v1` are
/// answered from the embedded files.
pub fn with_web(api: Router, smtp: Option<SmtpClientConfig>) -> Router {
    let config: Arc<Vec<u8>> =
        Arc::new(serde_json::to_vec(&serde_json::json!({ "smtp": smtp })).unwrap_or_else(|_| b"{}".to_vec()));
    api.layer(axum::middleware::from_fn(move |req: Request, next: Next| {
        let config = config.clone();
        async move {
            let path = req.uri().path();
            if path == "/v1" || path.starts_with("/v1/") {
                return next.run(req).await;
            }
            serve_static(&req, &config)
        }
    }))
}

/// `/config.json` for `sendas serve`'s own listeners (none when they
/// listen on an unspecified address: there is no host to tell).
pub fn smtp_client_config(starttls: std::net::SocketAddr, tls: std::net::SocketAddr) -> Option<SmtpClientConfig> {
    (!starttls.ip().is_unspecified()).then(|| SmtpClientConfig {
        host: starttls.ip().to_string(),
        starttls_port: Some(starttls.port()),
        tls_port: Some(tls.port()),
    })
}

/// A link that signs in to the web app with `token` (read once from the
/// fragment, which never reaches a server, and removed from the URL).
pub fn sign_in_link(api: &str, token: &str, tenant: Option<&str>) -> String {
    match tenant {
        Some(t) => format!("{api}/#token={token}&tenant={t}"),
        None => format!("{api}/#token={token}"),
    }
}

/// The demo's sign-in links, printed by `serve --demo`.
pub fn print_demo_links(info: &crate::demo::DemoInfo) {
    let tenant = info.tenant_id.to_string();
    println!("web app sign-in links (they carry tokens: keep them private):");
    println!("  admin:    {}", sign_in_link(&info.api, &info.tokens.admin, Some(&tenant)));
    for u in &info.users {
        println!("  {:<9} {}", format!("{}:", u.login), sign_in_link(&info.api, &u.token, None));
    }
    println!("  operator: {}", sign_in_link(&info.api, &info.tokens.operator, None));
}

/// Whether the binary carries the built web app.
pub fn embedded() -> bool {
    ASSETS.iter().any(|a| a.path == "/index.html")
}

fn serve_static(req: &Request, config: &[u8]) -> Response {
    let head = req.method() == Method::HEAD;
    if req.method() != Method::GET && !head {
        let mut r = plain(StatusCode::METHOD_NOT_ALLOWED, "method not allowed\n");
        r.headers_mut().insert(header::ALLOW, HeaderValue::from_static("GET, HEAD"));
        return r;
    }
    let path = match req.uri().path() {
        "/" => "/index.html",
        p => p,
    };
    if path == "/config.json" {
        return file(req, head, "application/json", None, config.to_vec(), "no-cache");
    }
    match ASSETS.iter().find(|a| a.path == path) {
        Some(a) => {
            // Content-hashed names never change: cache them for a year.
            let cache = if a.path.starts_with("/assets/") { "public, max-age=31536000, immutable" } else { "no-cache" };
            file(req, head, a.content_type, Some(a.etag), a.body.to_vec(), cache)
        }
        None if path == "/index.html" => plain(
            StatusCode::NOT_FOUND,
            "the web app is not built into this binary: run `npm ci && npm run build` in web/ and rebuild\n",
        ),
        None => plain(StatusCode::NOT_FOUND, "not found\n"),
    }
}

fn file(
    req: &Request,
    head: bool,
    content_type: &'static str,
    etag: Option<&'static str>,
    body: Vec<u8>,
    cache: &'static str,
) -> Response {
    let not_modified = etag.is_some_and(|tag| {
        req.headers()
            .get(header::IF_NONE_MATCH)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.split(',').any(|t| t.trim() == tag || t.trim() == "*"))
    });
    let len = body.len();
    let mut r = if not_modified || head { Response::new(Body::empty()) } else { Response::new(Body::from(body)) };
    if not_modified {
        *r.status_mut() = StatusCode::NOT_MODIFIED;
    }
    let h = r.headers_mut();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static(cache));
    if let Some(tag) = etag {
        h.insert(header::ETAG, HeaderValue::from_static(tag));
    }
    if head && !not_modified {
        h.insert(header::CONTENT_LENGTH, HeaderValue::from(len));
    }
    security_headers(&mut r);
    r
}

fn plain(status: StatusCode, text: &'static str) -> Response {
    let mut r = Response::new(Body::from(text));
    *r.status_mut() = status;
    r.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static("text/plain; charset=utf-8"));
    r.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    security_headers(&mut r);
    r
}

fn security_headers(r: &mut Response) {
    let h = r.headers_mut();
    h.insert(header::CONTENT_SECURITY_POLICY, HeaderValue::from_static(CSP));
    h.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    h.insert(header::REFERRER_POLICY, HeaderValue::from_static("no-referrer"));
    h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    h.insert("cross-origin-opener-policy", HeaderValue::from_static("same-origin"));
    h.insert("cross-origin-resource-policy", HeaderValue::from_static("same-origin"));
    h.insert("permissions-policy", HeaderValue::from_static("camera=(), microphone=(), geolocation=(), payment=()"));
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use tower::ServiceExt;

    fn app() -> Router {
        let api = Router::new().route("/v1/ping", axum::routing::get(|| async { "pong" }));
        with_web(
            api,
            Some(SmtpClientConfig { host: "127.0.0.1".into(), starttls_port: Some(2525), tls_port: Some(4650) }),
        )
    }

    async fn get(path: &str, headers: &[(&str, &str)]) -> Response {
        let mut req = Request::get(path);
        for (k, v) in headers {
            req = req.header(*k, *v);
        }
        app().oneshot(req.body(Body::empty()).unwrap()).await.unwrap()
    }

    async fn text(r: Response) -> String {
        use http_body_util::BodyExt;
        String::from_utf8(r.into_body().collect().await.unwrap().to_bytes().to_vec()).unwrap()
    }

    #[tokio::test]
    async fn the_index_carries_the_csp_and_is_revalidated() {
        assert!(embedded(), "web/dist is not embedded");
        let r = get("/", &[]).await;
        assert_eq!(r.status(), 200);
        let csp = r.headers()[header::CONTENT_SECURITY_POLICY].to_str().unwrap().to_owned();
        for d in ["default-src 'self'", "connect-src 'self'", "frame-ancestors 'none'", "script-src 'self'"] {
            assert!(csp.contains(d), "{csp}");
        }
        assert!(!csp.contains("unsafe-inline") && !csp.contains("unsafe-eval"));
        assert_eq!(r.headers()[header::CACHE_CONTROL], "no-cache");
        assert!(r.headers().get("access-control-allow-origin").is_none());
        let etag = r.headers()[header::ETAG].to_str().unwrap().to_owned();
        let body = text(r).await;
        assert!(body.contains("<div id=\"app\">"));
        assert!(!body.contains("<script>") && !body.contains("style="), "no inline script or style");
        let again = get("/", &[("if-none-match", &etag)]).await;
        assert_eq!(again.status(), 304);
    }

    #[tokio::test]
    async fn hashed_assets_are_immutable_and_unknown_paths_are_404() {
        let asset = ASSETS.iter().find(|a| a.path.starts_with("/assets/app-")).unwrap();
        let r = get(asset.path, &[]).await;
        assert_eq!(r.status(), 200);
        assert_eq!(r.headers()[header::CONTENT_TYPE], "text/javascript; charset=utf-8");
        assert!(r.headers()[header::CACHE_CONTROL].to_str().unwrap().contains("immutable"));
        assert_eq!(get("/assets/nope.js", &[]).await.status(), 404);
        assert_eq!(get("/v1/ping", &[]).await.status(), 200);
    }

    #[tokio::test]
    async fn config_tells_the_smtp_listeners_and_writes_are_refused() {
        let r = get("/config.json", &[]).await;
        let v: serde_json::Value = serde_json::from_str(&text(r).await).unwrap();
        assert_eq!(v["smtp"]["starttls_port"], 2525);
        let r = app().oneshot(Request::post("/").body(Body::empty()).unwrap()).await.unwrap();
        assert_eq!(r.status(), 405);
    }
}
