//! The API on DynamoDB and Secrets Manager as deployed: one router per
//! area (= Lambda function), each over clients signed with its function's
//! IAM principal, on the moto of `scripts/test.sh` (IAM enforced; the
//! policies are the functions' `Policies` in infra/template.yaml). A
//! request goes to the function API Gateway would send it to: the area of
//! its operation in the OpenAPI document, `/v1/openapi.json` to `me`.
//! Setup (the table, direct store access, the bootstrap operator token)
//! runs as the admin principal.

use super::TestApi;
use axum::Router;
use axum::body::Body;
use axum::http::{Method, Request};
use sendas_api::{AppState, Area};
use sendas_store_aws::{DynamoStore, SecretsManagerStore, create_table};
use sendas_testkit::aws::{AwsEndpoint, Principal};
use std::convert::Infallible;
use std::sync::{Arc, OnceLock};
use tower::ServiceExt;

/// The API over a fresh table and secret prefix on the shared moto.
pub async fn dynamodb_api() -> TestApi {
    dynamodb_api_with_dns(Arc::new(sendas_core::ports::NoResolver)).await
}

/// [`dynamodb_api`] looking ownership records up with `dns`.
pub async fn dynamodb_api_with_dns(dns: Arc<dyn sendas_core::ports::DnsLookup>) -> TestApi {
    let aws = AwsEndpoint::shared();
    let (table, prefix) = aws.fresh_names();
    let admin = aws.sdk_config(Principal::Admin).await;
    let dynamo = aws_sdk_dynamodb::Client::new(&admin);
    create_table(&dynamo, &table).await.unwrap();
    let store = Arc::new(DynamoStore::new(dynamo, table.clone()));
    let secrets = Arc::new(SecretsManagerStore::new(aws_sdk_secretsmanager::Client::new(&admin), prefix.clone()));
    let mut areas = Vec::new();
    for area in Area::ALL {
        let config = aws.sdk_config(Principal::of_area(area.name())).await;
        let state = AppState::standalone(
            Arc::new(DynamoStore::new(aws_sdk_dynamodb::Client::new(&config), table.clone())),
            sendas_relay::CachedSecrets::with_default_ttl(Arc::new(SecretsManagerStore::new(
                aws_sdk_secretsmanager::Client::new(&config),
                prefix.clone(),
            ))),
            super::relay_options(),
        )
        .with_dns(dns.clone());
        areas.push((area, sendas_api::router_for(&[area], state)));
    }
    let areas = Arc::new(areas);
    let dispatch = tower::service_fn(move |req: Request<Body>| {
        let area = area_of(req.method(), req.uri().path());
        let router = areas.iter().find(|(a, _)| *a == area).map(|(_, r)| r.clone()).expect("a router per area");
        async move { Ok::<_, Infallible>(router.oneshot(req).await.unwrap_or_else(|never| match never {})) }
    });
    TestApi { router: Router::new().fallback_service(dispatch), store, secrets }
}

/// Which function serves `method path`: the area (tag) of the matching operation of the
/// OpenAPI document; a path with another method goes to the path's area (405 there).
pub fn area_of(method: &Method, path: &str) -> Area {
    static ROUTES: OnceLock<Vec<(String, String, String)>> = OnceLock::new();
    let routes = ROUTES.get_or_init(|| {
        let doc = serde_json::to_value(sendas_api::openapi()).unwrap();
        let mut out = Vec::new();
        for (template, item) in doc["paths"].as_object().unwrap() {
            for (m, op) in item.as_object().unwrap() {
                let tag = op["tags"][0].as_str().unwrap_or_default().to_owned();
                out.push((m.to_uppercase(), template.clone(), tag));
            }
        }
        out
    });
    if path == "/v1/openapi.json" {
        return Area::Me;
    }
    let fits = |template: &str| {
        let (t, p): (Vec<_>, Vec<_>) = (template.split('/').collect(), path.split('/').collect());
        t.len() == p.len() && t.iter().zip(&p).all(|(t, p)| t == p || (t.starts_with('{') && !p.is_empty()))
    };
    let tag = routes
        .iter()
        .find(|(m, t, _)| m == method.as_str() && fits(t))
        .or_else(|| routes.iter().find(|(_, t, _)| fits(t)))
        .map(|(_, _, tag)| tag.as_str())
        .unwrap_or("me");
    Area::ALL.into_iter().find(|a| a.name() == tag).unwrap_or_else(|| panic!("operation tag {tag} is no API area"))
}
