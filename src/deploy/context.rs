//! `context refresh`: per target's account and Region, the values a template cannot look
//! up, asked of AWS with the target's credentials (as deploy gets them) and written to
//! the project's `perimeter.context.json` ([`crate::solution::context`]), which synth
//! then reads without calling AWS.
//!
//! It reads the blueprints' targets only, not their settings: a setting that says
//! `lookup` cannot be resolved before the file it reads exists.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use super::api::Api;
use super::words;
use super::{DeployError, Identity, aws};
use crate::blueprint::BlueprintFile;
use crate::solution::context::{
    AccountContext, ContextFile, EndpointService, PREFIX_LIST_SERVICES, RegionContext, Zone,
    context_file_of,
};

/// A blueprint file's targets, read without resolving its settings.
#[derive(Debug, Clone)]
pub struct Source {
    pub file: PathBuf,
    pub spec: BlueprintFile,
}

impl Source {
    /// Reads a blueprint's file; its settings are not resolved (see the module's note).
    pub fn read(path: &Path) -> Result<Source, String> {
        let text = std::fs::read_to_string(path)
            .map_err(|e| crate::io_error::IoError::new("read", path, e).to_string())?;
        let spec: BlueprintFile = serde_path_to_error::deserialize(
            serde_yaml::Deserializer::from_str(&text),
        )
        .map_err(|e| {
            let at = e.path().to_string();
            let inner = e.into_inner();
            let pos = inner
                .location()
                .map(|l| format!(":{}:{}", l.line(), l.column()))
                .unwrap_or_default();
            format!("{}{pos}: {at}: {inner}", path.display())
        })?;
        Ok(Source {
            file: path.to_path_buf(),
            spec,
        })
    }
}

/// What a refresh wrote: the file, the accounts and Regions it looked up, and whether
/// the file changed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Written {
    pub file: PathBuf,
    pub looked_up: Vec<(String, String)>,
    pub changed: bool,
}

/// Looks up every selected target's account and Region (`targets` empty: all) and
/// writes each project's context file; the endpoint services recorded are `services`
/// (short names: `bedrock-runtime`).
pub fn refresh(
    sources: &[Source],
    targets: &[String],
    services: &[String],
) -> Result<Vec<Written>, DeployError> {
    let known: Vec<String> = sources
        .iter()
        .flat_map(|s| s.spec.targets.iter().map(|t| t.name.to_string()))
        .collect();
    if let Some(unknown) = targets.iter().find(|t| !known.contains(t)) {
        return Err(DeployError::Refused(format!(
            "no target named {unknown:?}; the targets are: {}",
            known.join(", ")
        )));
    }
    // Per context file, each account and Region once, with the first target's identity.
    let mut wanted: BTreeMap<PathBuf, BTreeMap<(String, String), Identity>> = BTreeMap::new();
    for s in sources {
        let base = s.file.parent().unwrap_or(Path::new(""));
        let file = context_file_of(base);
        for t in &s.spec.targets {
            if !targets.is_empty() && !targets.iter().any(|n| n == t.name.as_str()) {
                continue;
            }
            let id = Identity::of(t);
            wanted
                .entry(file.clone())
                .or_default()
                .entry((id.account.clone(), id.region.clone()))
                .or_insert(id);
        }
    }
    let runtime = super::runtime()?;
    let mut written = Vec::new();
    for (file, places) in wanted {
        let mut ctx = ContextFile::read(&file)
            .map_err(DeployError::Refused)?
            .unwrap_or_default();
        let before = ctx.to_text();
        let mut organizations: BTreeMap<String, Option<String>> = BTreeMap::new();
        for ((account, region), id) in &places {
            let (org, region_ctx) =
                runtime.block_on(look_up(id, services, organizations.contains_key(account)))?;
            if let Some(org) = org {
                organizations.insert(account.clone(), org);
            }
            let entry = ctx.accounts.entry(account.clone()).or_default();
            entry.regions.insert(region.clone(), region_ctx);
        }
        for (account, org) in organizations {
            let entry: &mut AccountContext = ctx.accounts.entry(account).or_default();
            entry.organization_id = org;
        }
        let text = ctx.to_text();
        let changed = text != before;
        if changed {
            write_atomically(&file, &text)?;
        }
        written.push(Written {
            file,
            looked_up: places.into_keys().collect(),
            changed,
        });
    }
    Ok(written)
}

/// Writes beside the file, then renames it into place: a reader sees the old file or the
/// new one, never half of one.
/// The temporary name is this process's own and created new (never an existing file or
/// a link someone left there), and removed if the write fails.
fn write_atomically(file: &Path, text: &str) -> Result<(), DeployError> {
    use std::io::Write;
    let tmp = file.with_extension(format!("json.{}.tmp", std::process::id()));
    let written = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(&tmp)
        .and_then(|mut f| f.write_all(text.as_bytes()).and_then(|()| f.sync_all()))
        .and_then(|()| std::fs::rename(&tmp, file));
    written.map_err(|e| {
        let _ = std::fs::remove_file(&tmp);
        DeployError::Aws(crate::io_error::IoError::new("write", file, e).to_string())
    })
}

/// One account's Region: its prefix lists, zones and endpoint services; and, unless
/// `have_org`, the account's organization (`Some(None)`: in none).
async fn look_up(
    id: &Identity,
    services: &[String],
    have_org: bool,
) -> Result<(Option<Option<String>>, RegionContext), DeployError> {
    let conf = aws::verified_config(id).await?;
    let api = Api::new(&conf, &id.region).await?;
    let where_ = format!("account {} in {}", id.account, id.region);
    let failed = |what: &str, e: &(dyn std::error::Error + 'static)| {
        DeployError::Aws(format!("{what} of {where_}: {}", aws_words(e)))
    };
    let region = &id.region;
    // Managed prefix lists of the gateway services.
    let mut params = vec![("Filter.1.Name".to_string(), "prefix-list-name".to_string())];
    for (i, svc) in PREFIX_LIST_SERVICES.iter().enumerate() {
        params.push((
            format!("Filter.1.Value.{}", i + 1),
            format!("com.amazonaws.{region}.{svc}"),
        ));
    }
    let mut prefix_lists = BTreeMap::new();
    for page in pages(&api, "DescribeManagedPrefixLists", &params)
        .await
        .map_err(|e| failed("the prefix lists", e.as_ref()))?
    {
        for item in page.items("prefixListSet") {
            let name = item.text_of("prefixListName");
            if let Some(svc) = name.strip_prefix(&format!("com.amazonaws.{region}.")) {
                prefix_lists.insert(svc.to_string(), item.text_of("prefixListId"));
            }
        }
    }
    // Availability Zones (not Local or Wavelength Zones).
    let page = api
        .ec2("DescribeAvailabilityZones", &[])
        .await
        .map_err(|e| failed("the Availability Zones", &e))?;
    let doc = super::xml::parse(&page).map_err(|e| failed("the Availability Zones", &Msg(e)))?;
    let mut availability_zones: Vec<Zone> = doc
        .items("availabilityZoneInfo")
        .iter()
        .filter(|z| matches!(z.text_of("zoneType").as_str(), "" | "availability-zone"))
        .map(|z| Zone {
            name: z.text_of("zoneName"),
            id: z.text_of("zoneId"),
        })
        .collect();
    availability_zones.sort();
    // Endpoint services, those asked for.
    let wanted: BTreeSet<String> = services
        .iter()
        .map(|s| format!("com.amazonaws.{region}.{s}"))
        .collect();
    let mut endpoint_services: BTreeMap<String, EndpointService> = BTreeMap::new();
    for page in pages(&api, "DescribeVpcEndpointServices", &[])
        .await
        .map_err(|e| failed("the endpoint services", e.as_ref()))?
    {
        for item in page.items("serviceDetailSet") {
            let name = item.text_of("serviceName");
            if !wanted.contains(&name) {
                continue;
            }
            let short = name[format!("com.amazonaws.{region}.").len()..].to_string();
            let e = endpoint_services.entry(short).or_default();
            for t in item.items("serviceType") {
                e.types.push(t.text_of("serviceType"));
            }
            for z in item.items("availabilityZoneSet") {
                e.zones.push(z.text.clone());
            }
        }
    }
    for e in endpoint_services.values_mut() {
        e.types.sort();
        e.types.dedup();
        e.zones.sort();
        e.zones.dedup();
    }
    let org = if have_org {
        None
    } else {
        Some(
            match api
                .organizations("DescribeOrganization", &serde_json::json!({}))
                .await
            {
                Ok(text) => {
                    let j: serde_json::Value =
                        serde_json::from_str(&text).map_err(|e| failed("the organization", &e))?;
                    j["Organization"]["Id"].as_str().map(str::to_string)
                }
                Err(e) => match e.as_service_error() {
                    Some(s) if s.code == "AWSOrganizationsNotInUseException" => None,
                    _ => return Err(failed("the organization", &e)),
                },
            },
        )
    };
    Ok((
        org,
        RegionContext {
            prefix_lists,
            availability_zones,
            endpoint_services,
        },
    ))
}

/// A message as an error, for the one place an error is only text.
#[derive(Debug)]
struct Msg(String);
impl std::fmt::Display for Msg {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}
impl std::error::Error for Msg {}

/// An error of these calls in words: the service's answer, else its cause.
fn aws_words(e: &(dyn std::error::Error + 'static)) -> String {
    // The service's answer is the ServiceError at the end of the chain.
    let mut cur: Option<&(dyn std::error::Error + 'static)> = Some(e);
    while let Some(c) = cur {
        if let Some(s) = c.downcast_ref::<super::api::ServiceError>() {
            return words::service(&s.code, Some(&s.message));
        }
        cur = c.source();
    }
    match e.downcast_ref::<aws_smithy_runtime_api::client::result::SdkError<
        super::api::ServiceError,
        aws_smithy_runtime_api::client::orchestrator::HttpResponse,
    >>() {
        Some(sdk) => match sdk {
            aws_smithy_runtime_api::client::result::SdkError::TimeoutError(_) => {
                "the AWS endpoint did not answer in time: check the network and try again".into()
            }
            other => words::in_words(other),
        },
        None => e.to_string(),
    }
}

/// Every page of an EC2 `Describe...` action (`nextToken` followed), parsed.
async fn pages(
    api: &Api,
    action: &str,
    params: &[(String, String)],
) -> Result<Vec<super::xml::Node>, Box<dyn std::error::Error + Send + Sync>> {
    let mut out = Vec::new();
    let mut token: Option<String> = None;
    // A bound, so an endpoint that always answers with a token cannot loop forever.
    for _ in 0..100 {
        let mut p = params.to_vec();
        if let Some(t) = &token {
            p.push(("NextToken".to_string(), t.clone()));
        }
        let text = api.ec2(action, &p).await?;
        let doc = super::xml::parse(&text).map_err(Msg)?;
        token = Some(doc.text_of("nextToken")).filter(|t| !t.is_empty());
        out.push(doc);
        if token.is_none() {
            return Ok(out);
        }
    }
    Err(Box::new(Msg(format!(
        "{action} answered more than 100 pages"
    ))))
}
