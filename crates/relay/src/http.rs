//! The HTTP client of the token endpoints: hyper over rustls with the same
//! trust as the SMTP upstreams (Web PKI roots plus the configured CA
//! bundle), HTTP/1.1, one deadline per request. `http://` is used only for
//! loopback endpoints (tests, local development); every URL is checked
//! again before each request, also the `token_uri` of a service-account key.
//! Host names resolve through the process's [`UpstreamPolicy`]: the
//! connector connects only to addresses it admitted (`reach`), and an IP
//! literal in a URL is checked the same way before the request.

use crate::reach::{CheckedResolver, UpstreamPolicy};
use bytes::Bytes;
use http_body_util::{BodyExt, Full, Limited};
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;
use oauth2::{HttpRequest, HttpResponse};
use sendas_core::model::check_token_url;
use sendas_smtp_client::Trust;
use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::time::Duration;

/// The largest token response read (a Microsoft access token is ~2.5 KB).
const MAX_RESPONSE: usize = 64 * 1024;

/// Why a token request got no HTTP answer. Never carries a request or response body.
#[derive(Debug)]
pub struct HttpError(pub String);

impl fmt::Display for HttpError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for HttpError {}

/// A small HTTPS client for token requests. Cheap to clone.
#[derive(Clone)]
pub struct TokenHttp {
    client: Client<hyper_rustls::HttpsConnector<HttpConnector<CheckedResolver>>, Full<Bytes>>,
    upstreams: UpstreamPolicy,
    timeout: Duration,
}

impl TokenHttp {
    /// Trusts what `trust` trusts, connects where `upstreams` admits; each request may take `timeout`.
    pub fn new(trust: &Trust, timeout: Duration, upstreams: &UpstreamPolicy) -> TokenHttp {
        let mut http = HttpConnector::new_with_resolver(upstreams.hyper_resolver());
        http.enforce_http(false);
        http.set_nodelay(true);
        http.set_connect_timeout(Some(timeout));
        let connector = hyper_rustls::HttpsConnectorBuilder::new()
            .with_tls_config((*trust.client_config()).clone())
            .https_or_http()
            .enable_http1()
            .wrap_connector(http);
        let client = Client::builder(TokioExecutor::new())
            .pool_idle_timeout(Duration::from_secs(30))
            .pool_max_idle_per_host(2)
            .build(connector);
        TokenHttp { client, timeout, upstreams: upstreams.clone() }
    }

    /// Sends one request (an `oauth2` request, or our own form POST) and reads the answer.
    pub async fn send(&self, request: HttpRequest) -> Result<HttpResponse, HttpError> {
        let url = request.uri().to_string();
        check_token_url(&url).map_err(|e| HttpError(format!("token endpoint: {}", e.reason)))?;
        let host = request.uri().host().unwrap_or_default();
        self.upstreams.check_literal(host).map_err(|e| HttpError(format!("token endpoint: {e}")))?;
        let (parts, body) = request.into_parts();
        let request = hyper::Request::from_parts(parts, Full::new(Bytes::from(body)));
        let exchange = async {
            let response = self.client.request(request).await.map_err(|e| HttpError(describe(&e)))?;
            let (parts, body) = response.into_parts();
            let body = Limited::new(body, MAX_RESPONSE)
                .collect()
                .await
                .map_err(|_| HttpError("the token endpoint's answer was cut off or too large".into()))?
                .to_bytes();
            Ok(http::Response::from_parts(parts, body.to_vec()))
        };
        match tokio::time::timeout(self.timeout, exchange).await {
            Ok(result) => result,
            Err(_) => Err(HttpError(format!("the token endpoint did not answer within {:?}", self.timeout))),
        }
    }
}

/// A connection error's chain, without URLs' query strings (none carry secrets, but keep it short).
fn describe(e: &hyper_util::client::legacy::Error) -> String {
    let mut text = String::from("reaching the token endpoint failed");
    let mut source = std::error::Error::source(e);
    while let Some(s) = source {
        text.push_str(": ");
        text.push_str(&s.to_string());
        source = s.source();
    }
    text.chars().take(300).collect()
}

impl<'c> oauth2::AsyncHttpClient<'c> for TokenHttp {
    type Error = HttpError;
    type Future = Pin<Box<dyn Future<Output = Result<HttpResponse, HttpError>> + Send + 'c>>;

    fn call(&'c self, request: HttpRequest) -> Self::Future {
        Box::pin(self.send(request))
    }
}
