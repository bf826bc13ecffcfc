//! Lambda function serving the `platform` area of the sendas HTTP API.

#[tokio::main]
async fn main() -> Result<(), sendas_functions::Error> {
    sendas_functions::run(sendas_api::Area::Platform).await
}
