//! Lambda function serving the `directory` area of the sendas HTTP API.

#[tokio::main]
async fn main() -> Result<(), sendas_functions::Error> {
    sendas_functions::run(sendas_api::Area::Directory).await
}
