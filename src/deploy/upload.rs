//! Assets and large templates into the bootstrap bucket of a target's account and
//! region, safely where the bucket's name is known to everyone:
//!
//! - every call sends `ExpectedBucketOwner` (the target's account), so a bucket of that
//!   name made by someone else first answers 403 and is refused, never read from or
//!   written to;
//! - an object already at a key is trusted only when S3's SHA-256 checksum of it is the
//!   sha256 of the bytes perimeter built: a torn or planted object is uploaded again;
//! - every upload carries its `ChecksumSHA256`, so S3 refuses bytes that are not the
//!   ones hashed.

use aws_config::SdkConfig;
use aws_sdk_s3::Client;
use aws_sdk_s3::error::SdkError;
use aws_sdk_s3::primitives::ByteStream;
use aws_sdk_s3::types::ChecksumMode;
use sha2::{Digest, Sha256};

use super::{DeployError, sdk_error};
use crate::assets::Planned;

/// The bootstrap bucket of an account and region.
pub fn bucket(account: &str, region: &str) -> String {
    format!("perimeter-assets-{account}-{region}")
}

/// The bootstrap bucket of an account, as its owner expects it: every call names the
/// owner.
pub struct Bucket {
    s3: Client,
    pub name: String,
    pub account: String,
    pub region: String,
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

/// The HTTP status an S3 call was answered with, if it was answered.
fn status<E, R>(e: &SdkError<E, R>) -> Option<u16>
where
    R: HasStatus,
{
    e.raw_response().map(HasStatus::status)
}

/// A raw HTTP response's status (a trait so [`status`] takes any SDK error).
trait HasStatus {
    fn status(&self) -> u16;
}

impl HasStatus for aws_sdk_s3::config::http::HttpResponse {
    fn status(&self) -> u16 {
        self.status().as_u16()
    }
}

/// What a 403 to a call naming the expected owner means, and what to do.
fn not_ours(bucket: &str, account: &str) -> DeployError {
    DeployError::Refused(format!(
        "the bucket {bucket} answers 403 Forbidden to a request that expects it owned by account {account}: \
         it belongs to another account (or this identity may not use it). Its name is the one perimeter \
         uses for this account and region, so whoever made it could serve code to your functions: nothing \
         was read from it or uploaded to it. If the bucket is yours in another account, delete it there; \
         otherwise find out who made it, and check that the deploying identity may use s3:ListBucket, s3:GetObject and \
         s3:PutObject on it"
    ))
}

/// sha256 in the two forms used here: hex (perimeter's) and base64 (S3's).
pub fn sha256(bytes: &[u8]) -> (String, String) {
    let d = Sha256::digest(bytes);
    let hex = d.iter().map(|b| format!("{b:02x}")).collect();
    (hex, base64(&d))
}

/// Standard base64 with padding (S3's checksum headers).
fn base64(bytes: &[u8]) -> String {
    const A: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let n = chunk
            .iter()
            .enumerate()
            .fold(0u32, |n, (i, b)| n | u32::from(*b) << (16 - 8 * i));
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(A[(n >> (18 - 6 * i) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

impl Bucket {
    /// The bootstrap bucket of the target's account and region, once it answers as
    /// owned by that account: not there is "run perimeter bootstrap first", another
    /// owner is refused.
    pub async fn open(
        conf: &SdkConfig,
        account: &str,
        region: &str,
    ) -> Result<Bucket, DeployError> {
        let name = bucket(account, region);
        let s3 = client(conf);
        if let Err(e) = s3
            .head_bucket()
            .bucket(&name)
            .expected_bucket_owner(account)
            .send()
            .await
        {
            return Err(match status(&e) {
                Some(403) => not_ours(&name, account),
                Some(404) => DeployError::Refused(format!(
                    "the asset bucket {name} is not there: run {} bootstrap first",
                    crate::program::name()
                )),
                _ => DeployError::Aws(format!("head bucket {name}: {}", sdk_error(&e))),
            });
        }
        Ok(Bucket {
            s3,
            name,
            account: account.to_string(),
            region: region.to_string(),
        })
    }

    /// Puts `bytes` at `key` unless S3 already holds exactly them there; what was done.
    async fn put(&self, key: &str, bytes: Vec<u8>) -> Result<Put, DeployError> {
        let (_, checksum) = sha256(&bytes);
        let head = self
            .s3
            .head_object()
            .bucket(&self.name)
            .key(key)
            .expected_bucket_owner(&self.account)
            .checksum_mode(ChecksumMode::Enabled)
            .send()
            .await;
        let replaced = match head {
            Ok(o) if o.checksum_sha256() == Some(checksum.as_str()) => return Ok(Put::Present),
            Ok(o) => Some(o.checksum_sha256().unwrap_or("none").to_string()),
            Err(e) => match status(&e) {
                Some(404) => None,
                Some(403) => return Err(not_ours(&self.name, &self.account)),
                _ => {
                    return Err(DeployError::Aws(format!(
                        "head {key} in {}: {}",
                        self.name,
                        sdk_error(&e)
                    )));
                }
            },
        };
        let put = self
            .s3
            .put_object()
            .bucket(&self.name)
            .key(key)
            .expected_bucket_owner(&self.account)
            .checksum_sha256(&checksum)
            .body(ByteStream::from(bytes))
            .send()
            .await;
        match put {
            Ok(_) => Ok(match replaced {
                None => Put::Uploaded,
                Some(found) => Put::Replaced { found },
            }),
            Err(e) if status(&e) == Some(403) => Err(not_ours(&self.name, &self.account)),
            Err(e) => Err(DeployError::Aws(format!(
                "upload {key} to {}: {}",
                self.name,
                sdk_error(&e)
            ))),
        }
    }

    /// Uploads a template too large to send inline, under its content's hash; the URL
    /// CloudFormation reads it from.
    pub async fn template(&self, body: &str) -> Result<(String, Vec<String>), DeployError> {
        let (hex, _) = sha256(body.as_bytes());
        let key = format!("templates/{hex}.json");
        let said = match self.put(&key, body.as_bytes().to_vec()).await? {
            Put::Present => format!("template {key} is already in {}", self.name),
            Put::Uploaded => format!(
                "uploaded template {key} ({} bytes) to {}",
                body.len(),
                self.name
            ),
            Put::Replaced { found } => format!(
                "template {key} in {} had checksum {found}, not its content's: uploaded again",
                self.name
            ),
        };
        let url = format!(
            "https://{}.s3.{}.amazonaws.com/{key}",
            self.name, self.region
        );
        Ok((url, vec![said]))
    }

    /// Builds (or takes from the cache) each asset and uploads those the bucket does
    /// not hold byte for byte; what was done, a line per asset.
    pub async fn assets(&self, assets: &[Planned]) -> Result<Vec<String>, DeployError> {
        let mut said = Vec::new();
        for planned in assets {
            let key = planned.key.clone();
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
            let bytes = std::fs::read(&a.path)
                .map_err(|e| DeployError::Aws(format!("cannot read {}: {e}", a.path.display())))?;
            if sha256(&bytes).0 != a.sha256 {
                return Err(DeployError::Refused(format!(
                    "asset {key}: {} changed while it was read: nothing was uploaded",
                    a.path.display()
                )));
            }
            let name = &self.name;
            said.push(match self.put(&key, bytes).await? {
                Put::Present => format!("asset {key} is already in {name} (sha256 {})", a.sha256),
                Put::Uploaded => format!(
                    "uploaded asset {key} ({}, {} bytes, {} files, zip sha256 {}) to {name}",
                    planned.source.label,
                    a.bytes,
                    a.files.len(),
                    a.sha256
                ),
                Put::Replaced { found } => format!(
                    "asset {key} in {name} had checksum {found}, not the built zip's (sha256 {}): uploaded again",
                    a.sha256
                ),
            });
        }
        Ok(said)
    }

    /// Whether the bucket exists at all, whoever owns it: for the bootstrap, which must
    /// not adopt a bucket it did not make. `Some(true)`: the account's; `Some(false)`:
    /// someone else's.
    pub async fn exists(
        conf: &SdkConfig,
        account: &str,
        region: &str,
    ) -> Result<Option<bool>, DeployError> {
        let name = bucket(account, region);
        match client(conf)
            .head_bucket()
            .bucket(&name)
            .expected_bucket_owner(account)
            .send()
            .await
        {
            Ok(_) => Ok(Some(true)),
            Err(e) => match status(&e) {
                Some(404) => Ok(None),
                Some(403) => Ok(Some(false)),
                _ => Err(DeployError::Aws(format!(
                    "head bucket {name}: {}",
                    sdk_error(&e)
                ))),
            },
        }
    }
}

/// What [`Bucket::put`] did.
enum Put {
    /// The key held these bytes already.
    Present,
    Uploaded,
    /// The key held other bytes (their checksum, or `none`): replaced.
    Replaced {
        found: String,
    },
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base64_is_the_standard_alphabet_with_padding() {
        assert_eq!(base64(b""), "");
        assert_eq!(base64(b"f"), "Zg==");
        assert_eq!(base64(b"fo"), "Zm8=");
        assert_eq!(base64(b"foo"), "Zm9v");
        assert_eq!(base64(b"foobar"), "Zm9vYmFy");
        // S3's documented example: the SHA-256 of the empty string.
        assert_eq!(
            sha256(b"").1,
            "47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU="
        );
    }
}
