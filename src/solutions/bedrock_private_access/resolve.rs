//! The Bedrock solution's settings checked across fields and turned into the
//! construct's properties; files the settings name (SQL, an asset folder) are read
//! relative to the blueprint.

use super::construct::{
    AssetCode, BedrockPrivateAccessProps, CorporateAccess, CorporatePrincipal, FunctionSettings,
    VpcPool,
};
use super::models::{Verdict, geography_regions, judge};
use super::settings::{Settings, ZoneIds};
use crate::blueprint::AzSetting;
use crate::constructs::{
    Azs, Cidr, DatabaseProps, ModelId, ModelKind, PrefixListId, SCHEMA_SQL_LIMIT, SchemaSql,
    VirtualInterfaceProps, function_memory, function_timeout,
};
use crate::solution::{Problem, TargetInfo};
use std::collections::BTreeMap;
use std::path::{Component, Path};

/// `8-4-4-4-12` lowercase hex digits, as Direct Connect writes gateway ids.
fn is_uuid(s: &str) -> bool {
    let parts: Vec<&str> = s.split('-').collect();
    parts.iter().map(|p| p.len()).eq([8, 4, 4, 4, 12])
        && parts.iter().all(|p| {
            p.bytes()
                .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
        })
}

/// `use1-az1`: a zone id (a Region's short name, `-az`, a number).
fn is_zone_id(s: &str) -> bool {
    s.rsplit_once("-az").is_some_and(|(region, n)| {
        !region.is_empty()
            && region
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
            && !n.is_empty()
            && n.bytes().all(|b| b.is_ascii_digit())
    })
}

/// Whether a folder a blueprint names (relative to its folder, `base`) stays inside the
/// project (the blueprint folder's parent): no absolute path, no `..` climbing out, and,
/// when it exists, no symbolic link leading out either.
fn inside_project(base: &Path, dir: &str) -> bool {
    let rel = Path::new(dir);
    if rel.is_absolute() || rel.components().any(|c| matches!(c, Component::Prefix(_))) {
        return false;
    }
    // Depth below the project root: the blueprint folder is 1 deep.
    let mut depth: i64 = 1;
    for c in rel.components() {
        match c {
            Component::ParentDir => depth -= 1,
            Component::Normal(_) => depth += 1,
            _ => {}
        }
        if depth < 0 {
            return false;
        }
    }
    let root = base.parent().unwrap_or(base);
    match (
        std::fs::canonicalize(root),
        std::fs::canonicalize(base.join(rel)),
    ) {
        (Ok(root), Ok(full)) => full.starts_with(root),
        // A folder that does not exist is reported by the asset step.
        _ => true,
    }
}

/// The interface endpoints' services the stack makes: zones that lack one cannot hold it.
fn interface_services(s: &Settings) -> Vec<&'static str> {
    let mut v = vec!["bedrock-runtime"];
    if s.bedrock.list_foundation_models {
        v.push("bedrock");
    }
    if s.database.is_some() {
        v.push("secretsmanager");
    }
    v
}

/// `availability_zone_ids: lookup`: the first `count` zone ids (by id) of the target's
/// account whose zones offer every one of `services`, from the context file.
fn zones_offering(t: &TargetInfo, count: usize, services: &[&str]) -> Result<Vec<String>, String> {
    let zones = t.availability_zones()?;
    let mut offered: Vec<Vec<String>> = Vec::new();
    for svc in services {
        match t.endpoint_service(svc)? {
            Some(e) => offered.push(e.zones),
            None => {
                return Err(format!(
                    "{} in {} offers no {svc} endpoint service (as {} records)",
                    t.account,
                    t.region,
                    t.context_file().display()
                ));
            }
        }
    }
    let mut ids: Vec<String> = zones
        .iter()
        .filter(|z| offered.iter().all(|o| o.contains(&z.name)))
        .map(|z| z.id.clone())
        .collect();
    ids.sort();
    if ids.len() < count {
        return Err(format!(
            "{count} zones are needed, and {} of account {} in {} offer{} {}: lower availability_zones or name the zones",
            ids.len(),
            t.account,
            t.region,
            if ids.len() == 1 { "s" } else { "" },
            services.join(", ")
        ));
    }
    ids.truncate(count);
    Ok(ids)
}

/// Checks a target's settings and turns them into the solution's properties. Problems
/// carry paths relative to the settings (`network.subnets[1]`).
pub(super) fn resolve(
    s: &Settings,
    t: &TargetInfo,
) -> Result<BedrockPrivateAccessProps, Vec<Problem>> {
    let base = t.base.as_path();
    let mut p: Vec<Problem> = Vec::new();
    let mut bad = |path: &str, m: String| p.push(Problem::new(path, m));
    if s.function.code.is_some() && s.function.asset.is_some() {
        bad(
            "function.asset",
            "the function's code comes from code (S3) or from asset (a folder), not both".into(),
        );
    }
    if let Some(dir) = &s.function.asset
        && !inside_project(base, dir)
    {
        bad(
            "function.asset",
            format!(
                "{dir:?} leads outside the project: synth packages only folders inside it (relative to the blueprint, e.g. ../functions/app)"
            ),
        );
    }
    let n = &s.network;
    if !(16..=28).contains(&n.vpc_cidr.prefix_len()) {
        bad(
            "network.vpc_cidr",
            format!("VPC block {} must be /16 to /28", n.vpc_cidr),
        );
    }
    let looked_up: Option<Vec<String>> = match (&n.availability_zone_ids, &n.availability_zones) {
        (Some(ZoneIds::Lookup), AzSetting::Count(c)) => {
            match zones_offering(t, *c as usize, &interface_services(s)) {
                Ok(ids) => Some(ids),
                Err(m) => {
                    bad("network.availability_zone_ids", m);
                    Some(Vec::new())
                }
            }
        }
        (Some(ZoneIds::Lookup), AzSetting::Names(_)) => {
            bad(
                "network.availability_zones",
                "with availability_zone_ids: lookup, availability_zones is the number of zones to pick".into(),
            );
            Some(Vec::new())
        }
        (Some(ZoneIds::Ids(ids)), _) => Some(ids.clone()),
        (None, _) => None,
    };
    let azs = match (&looked_up, &n.availability_zones) {
        (Some(ids), _)
            if ids.is_empty() && matches!(n.availability_zone_ids, Some(ZoneIds::Lookup)) =>
        {
            Azs::Ids(Vec::new())
        }
        (Some(ids), _) => {
            if ids.len() < 2 {
                bad(
                    "network.availability_zone_ids",
                    format!(
                        "at least 2 Availability Zones are needed, found {}",
                        ids.len()
                    ),
                );
            }
            for (i, z) in ids.iter().enumerate() {
                if !is_zone_id(z) {
                    bad(
                        &format!("network.availability_zone_ids[{i}]"),
                        format!("{z:?} is not a zone id such as use1-az1"),
                    );
                }
                if ids[..i].contains(z) {
                    bad(
                        &format!("network.availability_zone_ids[{i}]"),
                        format!("zone {z} is listed twice"),
                    );
                }
            }
            Azs::Ids(ids.clone())
        }
        (None, AzSetting::Count(c)) => {
            if *c < 2 {
                bad(
                    "network.availability_zones",
                    format!(
                        "at least 2 Availability Zones are needed for a highly available endpoint, found {c}"
                    ),
                );
            } else if *c > 6 {
                bad(
                    "network.availability_zones",
                    format!("{c} zones: no region has more than 6"),
                );
            }
            Azs::Count(*c as usize)
        }
        (None, AzSetting::Names(names)) => {
            if names.len() < 2 {
                bad(
                    "network.availability_zones",
                    format!(
                        "at least 2 Availability Zones are needed, found {}",
                        names.len()
                    ),
                );
            }
            for (i, z) in names.iter().enumerate() {
                let ok = z.strip_prefix(t.region.as_str()).is_some_and(|rest| {
                    rest.len() == 1 && rest.bytes().all(|b| b.is_ascii_lowercase())
                });
                if !ok {
                    bad(
                        &format!("network.availability_zones[{i}]"),
                        format!("{z:?} is not a zone of {} (e.g. {}a)", t.region, t.region),
                    );
                }
                if names[..i].contains(z) {
                    bad(
                        &format!("network.availability_zones[{i}]"),
                        format!("zone {z} is listed twice"),
                    );
                }
            }
            Azs::Named(names.clone())
        }
    };
    let zones = azs.len();
    let subnets: Vec<Cidr> = match &n.subnets {
        Some(list) => {
            if list.len() != zones {
                bad(
                    "network.subnets",
                    format!(
                        "{} subnets for {zones} Availability Zones: give one subnet per zone",
                        list.len()
                    ),
                );
            }
            for (i, c) in list.iter().enumerate() {
                let path = format!("network.subnets[{i}]");
                if !n.vpc_cidr.contains(c) {
                    bad(
                        &path,
                        format!("subnet {c} is outside the VPC block {}", n.vpc_cidr),
                    );
                } else if c.prefix_len() > 28 {
                    bad(
                        &path,
                        format!("subnet {c} is smaller than /28, the smallest AWS allows"),
                    );
                }
                if let Some(o) = list[..i].iter().find(|o| o.overlaps(c)) {
                    bad(&path, format!("subnet {c} overlaps subnet {o}"));
                }
            }
            list.clone()
        }
        None => {
            let len = n.subnet_prefix_length;
            if len > 28 || len < n.vpc_cidr.prefix_len() {
                bad(
                    "network.subnet_prefix_length",
                    format!(
                        "/{len} subnets do not fit: between /{} (the VPC) and /28",
                        n.vpc_cidr.prefix_len()
                    ),
                );
                vec![]
            } else {
                n.vpc_cidr.carve(zones, len).unwrap_or_else(|e| {
                    bad("network.subnet_prefix_length", e.to_string());
                    vec![]
                })
            }
        }
    };
    let ipam = n.ipam.as_ref().map(|pool| {
        let (len, sub) = (pool.netmask_length, n.subnet_prefix_length);
        if !(16..=28).contains(&len) {
            bad(
                "network.ipam.netmask_length",
                format!("a /{len} VPC: the VPC takes /16 to /28"),
            );
        } else if sub > 28 || sub < len || zones as u64 > 1u64 << (sub - len) {
            bad(
                "network.subnet_prefix_length",
                format!(
                    "{zones} /{sub} subnets do not fit in the /{len} block from the pool: between /{len} and /28, one per zone"
                ),
            );
        }
        if n.subnets.is_some() {
            bad(
                "network.subnets",
                "explicit subnet blocks need a literal VPC block; with network.ipam the subnets are carved from the allocated block (subnet_prefix_length)".into(),
            );
        }
        if s.corporate_access.is_some() {
            bad(
                "network.ipam",
                "corporate access routes to the VPC's literal block and places resolvers at addresses of its subnets; a block from an IPAM pool is known only when deployed: give vpc_cidr instead".into(),
            );
        }
        VpcPool {
            pool_id: pool.pool_id.to_string(),
            netmask_length: len,
            subnet_prefix_length: sub,
        }
    });
    if s.bedrock.models.is_empty() {
        bad(
            "bedrock.models",
            "at least one model is needed, e.g. [us.anthropic.claude-haiku-5-5]".into(),
        );
    }
    let today = crate::check::today();
    let mut sources: BTreeMap<ModelId, ModelId> = BTreeMap::new();
    let mut destinations: BTreeMap<ModelId, Vec<String>> = BTreeMap::new();
    for (key, src) in &s.bedrock.sources {
        let path = format!("bedrock.sources.{key}");
        match key.parse::<ModelId>() {
            Ok(arn) if arn.kind() == ModelKind::ApplicationProfile => {
                if !s.bedrock.models.contains(&arn) {
                    bad(&path, format!("{key} is not one of bedrock.models"));
                }
                if src.kind() == ModelKind::ApplicationProfile {
                    bad(&path, "an application profile copies a model or a system profile, not another application profile".into());
                }
                sources.insert(arn, src.clone());
            }
            _ => bad(
                &path,
                format!("{key:?} is not an application inference profile ARN"),
            ),
        }
    }
    for (i, m) in s.bedrock.models.iter().enumerate() {
        let path = format!("bedrock.models[{i}]");
        if s.bedrock.models[..i].contains(m) {
            bad(&path, format!("model {m} is listed twice"));
        }
        if m.kind() == ModelKind::ApplicationProfile && !sources.contains_key(m) {
            bad(
                &path,
                format!(
                    "application inference profile {m}: say what it copies in bedrock.sources ({m}: us.anthropic....)"
                ),
            );
        }
        if i == 0
            && s.bedrock.application_inference_profile
            && m.kind() == ModelKind::ApplicationProfile
        {
            bad(&path, "application_inference_profile copies the first model: a model or a system profile, not an application profile".into());
        }
        // What is judged: the id itself, or what an application profile copies.
        let judged = sources.get(m).unwrap_or(m);
        if let Verdict::Refused(why) = judge(judged, &t.region, &today) {
            bad(&path, why);
        }
        for id in [m, judged] {
            if let Some(geo) = id.geography() {
                destinations.insert(id.clone(), geography_regions(geo));
            }
        }
    }
    let f = &s.function;
    if let Err(e) = function_memory(f.memory_mb) {
        bad("function.memory_mb", e.into());
    }
    if let Err(e) = function_timeout(f.timeout_seconds) {
        bad("function.timeout_seconds", e.into());
    }
    let corporate = match &s.corporate_access {
        None => None,
        Some(c) => match c.cidr {
            None => {
                bad(
                    "corporate_access.cidr",
                    "the corporate CIDR block is required".into(),
                );
                None
            }
            Some(cidr) => {
                if cidr.overlaps(&n.vpc_cidr) {
                    bad(
                        "corporate_access.cidr",
                        format!(
                            "corporate block {cidr} overlaps the VPC block {}",
                            n.vpc_cidr
                        ),
                    );
                }
                if let Some(id) = &c.direct_connect_gateway_id
                    && !is_uuid(id)
                {
                    bad(
                        "corporate_access.direct_connect_gateway_id",
                        format!(
                            "{id:?} is not a Direct Connect gateway id (a UUID such as 5f1a0c4e-9d3b-4a57-8e2f-0b6c1d2e3f40)"
                        ),
                    );
                }
                let virtual_interface = c.virtual_interface.as_ref().and_then(|v| {
                    let id = &v.connection_id;
                    let ok = ["dxcon-", "dxlag-"].iter().any(|p| {
                        id.strip_prefix(p).is_some_and(|rest| {
                            rest.len() >= 8
                                && rest.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
                        })
                    });
                    if !ok {
                        bad(
                            "corporate_access.virtual_interface.connection_id",
                            format!("{id:?} is not a Direct Connect connection id (dxcon-...) or LAG id (dxlag-...)"),
                        );
                    }
                    if !(1..=4094).contains(&v.vlan) {
                        bad(
                            "corporate_access.virtual_interface.vlan",
                            format!("VLAN {} is not 1 to 4094", v.vlan),
                        );
                    }
                    ok.then(|| VirtualInterfaceProps {
                        connection_id: id.clone(),
                        vlan: v.vlan,
                        customer_asn: v.customer_asn,
                    })
                });
                match (&c.direct_connect_gateway_id, &c.virtual_interface) {
                    (None, None) => bad(
                        "corporate_access",
                        "a new Direct Connect gateway with no virtual interface carries nothing: add direct_connect_gateway_id (an existing gateway) or virtual_interface: {connection_id: dxcon-..., vlan: N, customer_asn: N} (a connection to put one on)".into(),
                    ),
                    (Some(_), Some(_)) => bad(
                        "corporate_access.virtual_interface",
                        "an existing gateway (direct_connect_gateway_id) has its own virtual interfaces: give one of the two".into(),
                    ),
                    (Some(_), None) if c.amazon_side_asn.is_some() => bad(
                        "corporate_access.amazon_side_asn",
                        "amazon_side_asn is the created gateway's: an existing gateway has its own".into(),
                    ),
                    _ => {}
                }
                let mut principals = Vec::new();
                for (i, who) in c.principals.iter().enumerate() {
                    match who.parse::<CorporatePrincipal>() {
                        Ok(p) => principals.push(p),
                        Err(m) => bad(&format!("corporate_access.principals[{i}]"), m.into()),
                    }
                }
                Some(CorporateAccess {
                    cidr,
                    amazon_side_asn: c.amazon_side_asn,
                    vgw_amazon_side_asn: c.vgw_amazon_side_asn,
                    direct_connect_gateway_id: c.direct_connect_gateway_id.clone(),
                    virtual_interface,
                    dns: c.dns,
                    principals,
                })
            }
        },
    };
    let name_tag = t.name();
    let database = s.database.as_ref().and_then(|d| {
        if !d.instance_class.starts_with("db.") {
            bad("database.instance_class", format!("{:?} is not an RDS instance class such as db.t4g.micro", d.instance_class));
        }
        if !(20..=65536).contains(&d.allocated_storage_gb) {
            bad("database.allocated_storage_gb", format!("{} GB: gp3 storage takes 20 to 65536", d.allocated_storage_gb));
        }
        let dn = &d.database_name;
        if dn.len() > 63 || !dn.starts_with(|c: char| c.is_ascii_alphabetic()) || !dn.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_') {
            bad("database.database_name", format!("{dn:?} must start with a letter and hold only letters, digits and _ (at most 63)"));
        }
        if d.backup_retention_days > 35 {
            bad("database.backup_retention_days", format!("{} days: RDS keeps backups 0 to 35 days", d.backup_retention_days));
        }
        let mut read = |field: &str, file: &Option<String>, required: bool| match file {
            None if required => {
                bad(&format!("database.{field}"), "a file of SQL that makes the products table is required, relative to the blueprint (e.g. sql/products.sql)".into());
                String::new()
            }
            None => String::new(),
            Some(f) => match std::fs::read_to_string(base.join(f)) {
                Ok(text) => text,
                Err(e) => {
                    bad(&format!("database.{field}"), format!("cannot read {} (relative to the blueprint's folder): {e}", base.join(f).display()));
                    String::new()
                }
            },
        };
        let schema = SchemaSql {
            schema: read("schema", &d.schema, true),
            seed: read("seed", &d.seed, false),
        };
        if schema.schema.len() + schema.seed.len() > SCHEMA_SQL_LIMIT {
            bad("database.schema", format!("the schema and seed SQL are {} bytes; the template carries at most {SCHEMA_SQL_LIMIT}: load bulk data another way", schema.schema.len() + schema.seed.len()));
        }
        let s3_prefix_list = match &d.s3_prefix_list_id {
            None => {
                bad("database.s3_prefix_list_id", format!("S3's prefix list id in {} is required: `lookup` (read from {}, which `{}` writes) or the id (aws ec2 describe-managed-prefix-lists --filters Name=prefix-list-name,Values=com.amazonaws.{}.s3)", t.region, crate::solution::context::FILE, t.refresh_command(), t.region));
                None
            }
            // `lookup`: from the project's context file, written by `context refresh`.
            Some(id) if id == crate::solution::context::LOOKUP => match t.prefix_list("s3") {
                Ok(id) => id.parse::<PrefixListId>().map_err(|m| bad("database.s3_prefix_list_id", m.into())).ok(),
                Err(m) => {
                    bad("database.s3_prefix_list_id", m);
                    None
                }
            },
            Some(id) => id.parse::<PrefixListId>().map_err(|m| bad("database.s3_prefix_list_id", m.into())).ok(),
        };
        for (i, table) in d.read_tables.iter().enumerate() {
            if table.is_empty() || table.len() > 63 || !table.starts_with(|c: char| c.is_ascii_lowercase() || c == '_') || !table.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_') {
                bad(&format!("database.read_tables[{i}]"), format!("{table:?} is not a table name (lowercase letters, digits, _)"));
            }
        }
        if d.read_tables.is_empty() {
            bad("database.read_tables", "the application reads at least one table (products)".into());
        }
        s3_prefix_list.map(|s3_prefix_list| DatabaseProps {
            read_tables: d.read_tables.clone(),
            name_tag: name_tag.clone(),
            instance_class: d.instance_class.clone(),
            engine_version: d.engine_version.clone(),
            allocated_storage_gb: d.allocated_storage_gb,
            database_name: d.database_name.clone(),
            multi_az: d.multi_az,
            backup_retention_days: d.backup_retention_days,
            deletion_protection: d.deletion_protection,
            schema,
            s3_prefix_list,
        })
    });
    if !p.is_empty() {
        return Err(p);
    }
    Ok(BedrockPrivateAccessProps {
        name: name_tag,
        vpc_cidr: n.vpc_cidr,
        azs,
        subnets,
        ipam,
        models: s.bedrock.models.clone(),
        sources,
        destinations,
        application_inference_profile: s.bedrock.application_inference_profile,
        endpoint_policy_effect: s.bedrock.endpoint_policy_effect,
        list_foundation_models: s.bedrock.list_foundation_models,
        corporate_access: corporate,
        function: FunctionSettings {
            runtime: f.runtime.as_str().to_string(),
            memory_mb: f.memory_mb,
            timeout_seconds: f.timeout_seconds,
            log_retention_days: f.log_retention_days.0,
            // A production stage's logs outlive the stack.
            retain_logs: t.stage == "prod",
            s3_code: f.code.as_ref().map(|c| (c.bucket.clone(), c.key.clone())),
            asset: f.asset.as_ref().map(|dir| AssetCode {
                label: dir.clone(),
                dir: base.join(dir),
            }),
        },
        flow_log_retention_days: n.flow_logs.retention_days.map(|d| d.0),
        database,
    })
}
