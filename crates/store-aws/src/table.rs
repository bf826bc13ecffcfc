//! Creating the table of the single-table design (tests, local bootstrap;
//! production uses the SAM template, which declares the same keys).

use crate::keys::{GSI1, GSI1PK, GSI1SK, PK, SK, TTL};
use aws_sdk_dynamodb::Client;
use aws_sdk_dynamodb::types::{
    AttributeDefinition, BillingMode, GlobalSecondaryIndex, KeySchemaElement, KeyType, Projection, ProjectionType,
    ScalarAttributeType, TimeToLiveSpecification,
};
use sendas_core::StoreError;

/// Creates the table (on-demand billing, GSI1, TTL on `ttl`) and waits until it is active.
pub async fn create_table(client: &Client, table: &str) -> Result<(), StoreError> {
    let attr =
        |name: &str| AttributeDefinition::builder().attribute_name(name).attribute_type(ScalarAttributeType::S).build();
    let key = |name: &str, kind: KeyType| KeySchemaElement::builder().attribute_name(name).key_type(kind).build();
    let build_err = |e: aws_sdk_dynamodb::error::BuildError| StoreError::Unavailable(e.to_string());
    let gsi = GlobalSecondaryIndex::builder()
        .index_name(GSI1)
        .key_schema(key(GSI1PK, KeyType::Hash).map_err(build_err)?)
        .key_schema(key(GSI1SK, KeyType::Range).map_err(build_err)?)
        .projection(Projection::builder().projection_type(ProjectionType::All).build())
        .build()
        .map_err(build_err)?;
    client
        .create_table()
        .table_name(table)
        .billing_mode(BillingMode::PayPerRequest)
        .attribute_definitions(attr(PK).map_err(build_err)?)
        .attribute_definitions(attr(SK).map_err(build_err)?)
        .attribute_definitions(attr(GSI1PK).map_err(build_err)?)
        .attribute_definitions(attr(GSI1SK).map_err(build_err)?)
        .key_schema(key(PK, KeyType::Hash).map_err(build_err)?)
        .key_schema(key(SK, KeyType::Range).map_err(build_err)?)
        .global_secondary_indexes(gsi)
        .send()
        .await
        .map_err(crate::error::unavailable)?;
    for _ in 0..100 {
        let out = client.describe_table().table_name(table).send().await.map_err(crate::error::unavailable)?;
        if out.table().and_then(|t| t.table_status()).map(|s| s.as_str()) == Some("ACTIVE") {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    let ttl = TimeToLiveSpecification::builder().attribute_name(TTL).enabled(true).build().map_err(build_err)?;
    client
        .update_time_to_live()
        .table_name(table)
        .time_to_live_specification(ttl)
        .send()
        .await
        .map_err(crate::error::unavailable)?;
    Ok(())
}
