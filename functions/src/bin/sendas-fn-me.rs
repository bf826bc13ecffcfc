//! Lambda function serving the `me` area of the sendas HTTP API.

#[tokio::main]
async fn main() -> Result<(), sendas_functions::Error> {
    sendas_functions::run(sendas_api::Area::Me).await
}
