//! Assets into the bootstrap bucket of a target's account and region: an asset already
//! there (its key is the hash of its inputs) is neither built nor uploaded again; one
//! that is not is built (or taken from the cache) and uploaded.

use aws_config::SdkConfig;
use aws_sdk_s3::Client;
use aws_sdk_s3::primitives::ByteStream;

use super::{DeployError, sdk_error};
use crate::assets::Planned;

/// The bootstrap bucket of an account and region.
pub fn bucket(account: &str, region: &str) -> String {
    format!("perimeter-assets-{account}-{region}")
}

fn client(conf: &SdkConfig) -> Client {
    let mut b = aws_sdk_s3::config::Builder::from(conf);
    // An endpoint of this machine (moto's server) has no per-bucket host names.
    if std::env::var_os("AWS_ENDPOINT_URL").is_some()
        || std::env::var_os("AWS_ENDPOINT_URL_S3").is_some()
    {
        b = b.force_path_style(true);
    }
    Client::from_conf(b.build())
}

/// Uploads the assets the bucket lacks; what was done, a line per asset.
pub async fn upload(
    conf: &SdkConfig,
    bucket: &str,
    assets: &[Planned],
) -> Result<Vec<String>, DeployError> {
    if assets.is_empty() {
        return Ok(Vec::new());
    }
    let s3 = client(conf);
    if let Err(e) = s3.head_bucket().bucket(bucket).send().await {
        return Err(DeployError::Refused(format!(
            "the asset bucket {bucket} is not there ({}): run perimeter bootstrap first",
            sdk_error(&e)
        )));
    }
    let mut said = Vec::new();
    for planned in assets {
        let key = planned.key.clone();
        if s3
            .head_object()
            .bucket(bucket)
            .key(&key)
            .send()
            .await
            .is_ok()
        {
            said.push(format!("asset {key} is already in {bucket}"));
            continue;
        }
        // pip runs for seconds: off the runtime's threads.
        let p = planned.clone();
        let (built, downloads) = tokio::task::spawn_blocking(move || {
            let mut said = Vec::new();
            let built = crate::assets::build(&p, &crate::assets::cache_dir(), &mut |m| {
                said.push(m.to_string())
            });
            (built, said)
        })
        .await
        .map_err(|e| DeployError::Aws(format!("building {key}: {e}")))?;
        said.extend(downloads);
        let a = built.map_err(|e| DeployError::Refused(e.to_string()))?;
        let body = ByteStream::from_path(&a.path)
            .await
            .map_err(|e| DeployError::Aws(format!("cannot read {}: {e}", a.path.display())))?;
        s3.put_object()
            .bucket(bucket)
            .key(&key)
            .body(body)
            .send()
            .await
            .map_err(|e| {
                DeployError::Aws(format!("upload {key} to {bucket}: {}", sdk_error(&e)))
            })?;
        said.push(format!(
            "uploaded asset {key} ({}, {} bytes, {} files, zip sha256 {}) to {bucket}",
            planned.source.label,
            a.bytes,
            a.files.len(),
            a.sha256
        ));
    }
    Ok(said)
}
