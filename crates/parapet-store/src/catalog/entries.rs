//! Entries: the catalog as scans, the console and the API read it: records merged by alias,
//! searched and paged, the updates, and the whole catalog as a snapshot.

use super::*;
use sqlx::FromRow;

/// A live record with its source's name, as `records_where` reads it.
#[derive(FromRow)]
struct RecordRow {
    name: String,
    record_id: String,
    modified: String,
    body: String,
    problems: Option<String>,
}

impl Store {
    /// Everything the catalog holds now, as the catalog `parapet scan` reads: live records in
    /// source and record order, updates not superseded.
    pub async fn catalog_snapshot(&self, built_at: String) -> Result<Catalog, StoreError> {
        let mut catalog = Catalog { built_at, ..Catalog::default() };
        let sources = self.sources().await?;
        let names: HashMap<i64, &SourceSpec> = sources.iter().map(|s| (s.id, &s.spec)).collect();
        let mut summaries: BTreeMap<i64, SourceSummary> = BTreeMap::new();
        let rows = sqlx::query::<Any>(
            "SELECT source_id, body FROM catalog_records WHERE body IS NOT NULL ORDER BY source_id, record_id",
        )
        .fetch_all(&self.pool)
        .await?;
        for row in rows {
            let source_id: i64 = row.try_get("source_id")?;
            let body: String = row.try_get("body")?;
            let advisory: Advisory =
                serde_json::from_str(&body).map_err(|e| StoreError::Corrupt(format!("catalog record: {e}")))?;
            let summary = summaries.entry(source_id).or_insert_with(|| summary_for(&names, source_id, &advisory));
            summary.advisories += 1;
            let ecosystems: BTreeSet<&str> = advisory.affected.iter().map(|a| a.ecosystem.as_str()).collect();
            for ecosystem in ecosystems {
                *summary.ecosystems.entry(ecosystem.to_owned()).or_default() += 1;
            }
            catalog.advisories.push(advisory);
        }
        let page = self
            .catalog_updates(&UpdateQuery {
                include_superseded: false,
                page: 1,
                per_page: u32::MAX,
                ..Default::default()
            })
            .await?;
        for update in page.items {
            if let Some(source) = sources.iter().find(|s| s.spec.name == update.source) {
                let summary = summaries.entry(source.id).or_insert_with(|| {
                    SourceSummary::new(parapet_catalog::SourceKind::AptLists, source.spec.url.clone())
                });
                summary.updates += 1;
                *summary.ecosystems.entry(update.change.update.ecosystem.clone()).or_default() += 1;
            }
            catalog.updates.push(update.change.update);
        }
        catalog.sources = summaries.into_values().collect();
        Ok(catalog)
    }

    /// A page of catalog entries matching the query, newest entry IDs first.
    pub async fn catalog_entries(&self, query: &CatalogQuery) -> Result<Page<CatalogEntry>, StoreError> {
        let per_page = query.per_page.clamp(1, 200);
        let page = query.page.max(1);
        let mut conditions = vec!["r.body IS NOT NULL".to_owned()];
        let mut binds = Binds::default();
        if let Some(text) = query.text.as_deref().map(str::trim).filter(|t| !t.is_empty()) {
            let exact = binds.add(Arg::Text(text.to_owned()));
            let upper = binds.add(Arg::Text(text.to_uppercase()));
            let words = binds.add(Arg::Text(like_pattern(text)));
            conditions.push(format!(
                "(r.id IN (SELECT record FROM catalog_ids WHERE alias = {exact} OR alias = {upper}) OR LOWER(r.title) LIKE {words} ESCAPE '\\' \
                 OR LOWER(r.record_id) LIKE {words} ESCAPE '\\')"
            ));
        }
        if let Some(ecosystem) = query.ecosystem.as_deref().filter(|e| !e.is_empty()) {
            let word = parapet_catalog::ecosystem_base(ecosystem)
                .replace('\\', "\\\\")
                .replace('%', "\\%")
                .replace('_', "\\_");
            let pattern = binds.add(Arg::Text(format!("% {word} %")));
            conditions.push(format!("(' ' || r.ecosystems || ' ') LIKE {pattern} ESCAPE '\\'"));
        }
        if let Some(package) = query.package.as_deref().filter(|p| !p.is_empty()) {
            let package = binds.add(Arg::Text(package.trim().to_owned()));
            conditions.push(format!("r.id IN (SELECT record FROM catalog_packages WHERE package = {package})"));
        }
        if let Some(source) = query.source.as_deref().filter(|s| !s.is_empty()) {
            let source = binds.add(Arg::Text(source.to_owned()));
            conditions.push(format!("r.source_id IN (SELECT id FROM catalog_sources WHERE name = {source})"));
        }
        if let Some(severity) = query.min_severity {
            conditions.push(format!("r.severity_rank >= {}", binds.add(Arg::Int(severity.rank()))));
        }
        let filter = conditions.join(" AND ");
        let total: i64 = binds
            .to(sqlx::query::<Any>(&format!(
                "SELECT COUNT(DISTINCT r.entry) AS n FROM catalog_records r WHERE {filter}"
            )))
            .fetch_one(&self.pool)
            .await?
            .try_get("n")?;
        let limit = binds.add(Arg::Int(i64::from(per_page)));
        let offset = binds.add(Arg::Int(i64::from(page - 1) * i64::from(per_page)));
        let entries: Vec<String> = binds
            .to(sqlx::query::<Any>(&format!(
                "SELECT DISTINCT r.entry FROM catalog_records r WHERE {filter} ORDER BY r.entry DESC LIMIT {limit} OFFSET {offset}"
            )))
            .fetch_all(&self.pool)
        .await?
        .iter()
        .map(|row| row.try_get("entry"))
        .collect::<Result<_, _>>()?;
        let mut items = Vec::with_capacity(entries.len());
        for entry in entries {
            let records = self.records_where("r.entry = $1", &entry).await?;
            items.push(merge_entry(entry, records));
        }
        Ok(Page { items, total, page, per_page })
    }

    /// The entry an ID names: every live record that has it as its ID or an alias, merged.
    pub async fn catalog_entry(&self, id: &str) -> Result<Option<CatalogEntry>, StoreError> {
        let id = id.trim();
        let records = self.records_where("r.id IN (SELECT record FROM catalog_ids WHERE alias = $1)", id).await?;
        if records.is_empty() {
            return Ok(None);
        }
        Ok(Some(merge_entry(id.to_owned(), records)))
    }

    async fn records_where(&self, condition: &str, value: &str) -> Result<Vec<CatalogRecord>, StoreError> {
        let rows = sqlx::query::<Any>(&format!(
            "SELECT s.name, r.record_id, r.modified, r.body, \
             (SELECT d.problems FROM catalog_documents d WHERE d.source_id = r.source_id AND d.record_id = r.record_id \
              AND d.problems IS NOT NULL ORDER BY d.document LIMIT 1) AS problems FROM catalog_records r \
             JOIN catalog_sources s ON s.id = r.source_id WHERE r.body IS NOT NULL AND {condition} \
             ORDER BY s.name, r.record_id"
        ))
        .bind(value)
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|row| {
                let RecordRow { name, record_id, modified, body, problems } = RecordRow::from_row(row)?;
                Ok(CatalogRecord {
                    source: name,
                    record_id,
                    modified,
                    advisory: serde_json::from_str(&body)
                        .map_err(|e| StoreError::Corrupt(format!("catalog record: {e}")))?,
                    problems: read_problems(problems)?,
                })
            })
            .collect()
    }

    /// A page of updates, by ecosystem, package and version.
    pub async fn catalog_updates(&self, query: &UpdateQuery) -> Result<Page<CatalogUpdate>, StoreError> {
        let per_page = query.per_page.max(1);
        let page = query.page.max(1);
        let mut conditions = vec!["1 = 1".to_owned()];
        let mut binds = Binds::default();
        if !query.include_superseded {
            conditions.push("u.superseded_by IS NULL".to_owned());
        }
        if let Some(ecosystem) = query.ecosystem.as_deref().filter(|e| !e.is_empty()) {
            let ecosystem = binds.add(Arg::Text(ecosystem.to_owned()));
            conditions
                .push(format!("(u.ecosystem = {ecosystem} OR LOWER(u.ecosystem) LIKE LOWER({ecosystem}) || ':%')"));
        }
        if let Some(package) = query.package.as_deref().filter(|p| !p.is_empty()) {
            let package = binds.add(Arg::Text(package.to_owned()));
            conditions.push(format!("(u.package = {package} OR u.source_package = {package})"));
        }
        let filter = conditions.join(" AND ");
        let total: i64 = binds
            .to(sqlx::query::<Any>(&format!("SELECT COUNT(*) AS n FROM catalog_updates u WHERE {filter}")))
            .fetch_one(&self.pool)
            .await?
            .try_get("n")?;
        let limit = binds.add(Arg::Int(i64::from(per_page)));
        let offset = binds.add(Arg::Int(i64::from(page - 1) * i64::from(per_page)));
        let rows = binds
            .to(sqlx::query::<Any>(&format!(
                "SELECT s.name, {UPDATE_COLUMNS} FROM catalog_updates u JOIN catalog_sources s ON s.id = u.source_id \
                 WHERE {filter} ORDER BY u.ecosystem, u.package, u.arch, u.suite, u.id LIMIT {limit} OFFSET {offset}"
            )))
            .fetch_all(&self.pool)
            .await?;
        let mut items: Vec<CatalogUpdate> = rows
            .iter()
            .map(|row| {
                Ok(CatalogUpdate { source: row.try_get("name")?, change: update_row(row)?, supersedes: Vec::new() })
            })
            .collect::<Result<_, StoreError>>()?;
        // What each replaced: the rows naming it as their successor, one query per page.
        let index: HashMap<(String, String, String, String, String), usize> = items
            .iter()
            .enumerate()
            .map(|(i, item)| {
                let u = &item.change.update;
                ((u.ecosystem.clone(), u.suite.clone(), u.package.clone(), u.arch.clone(), u.version.clone()), i)
            })
            .collect();
        let packages: BTreeSet<String> = items.iter().map(|u| u.change.update.package.clone()).collect();
        let packages: Vec<String> = packages.into_iter().collect();
        for chunk in packages.chunks(500) {
            let sql = format!(
                "SELECT ecosystem, suite, package, arch, version, superseded_by FROM catalog_updates \
                 WHERE superseded_by IS NOT NULL AND package IN ({}) ORDER BY id",
                placeholders(1, chunk.len())
            );
            let mut query = sqlx::query::<Any>(&sql);
            for package in chunk {
                query = query.bind(package.clone());
            }
            for row in query.fetch_all(&self.pool).await? {
                let successor = (
                    row.try_get("ecosystem")?,
                    row.try_get("suite")?,
                    row.try_get("package")?,
                    row.try_get("arch")?,
                    row.try_get("superseded_by")?,
                );
                if let Some(&i) = index.get(&successor) {
                    items[i].supersedes.push(row.try_get("version")?);
                }
            }
        }
        Ok(Page { items, total, page, per_page })
    }
}

pub(super) const UPDATE_COLUMNS: &str = "u.ecosystem, u.suite, u.package, u.arch, u.version, u.source_package, u.source_version, \
    u.classification, u.released_at, u.superseded_by";

/// A `catalog_updates` row (the columns of [`UPDATE_COLUMNS`]).
#[derive(FromRow)]
struct UpdateRow {
    ecosystem: String,
    suite: String,
    package: String,
    arch: String,
    version: String,
    source_package: String,
    source_version: String,
    classification: String,
    released_at: i64,
    superseded_by: Option<String>,
}

pub(super) fn update_row(row: &sqlx::any::AnyRow) -> Result<UpdateChange, StoreError> {
    let row = UpdateRow::from_row(row)?;
    let classification = row.classification;
    Ok(UpdateChange {
        update: Update {
            ecosystem: row.ecosystem,
            suite: row.suite,
            package: row.package,
            arch: row.arch,
            version: row.version,
            source: row.source_package,
            source_version: row.source_version,
        },
        classification: Classification::parse(&classification)
            .ok_or_else(|| StoreError::Corrupt(format!("update classification {classification:?}")))?,
        released_at: from_ms(row.released_at),
        superseded_by: row.superseded_by,
    })
}

pub(super) fn merge_entry(id: String, records: Vec<CatalogRecord>) -> CatalogEntry {
    let mut aliases = vec![id.clone()];
    let mut sources = Vec::new();
    for record in &records {
        for alias in record.advisory.ids() {
            if !aliases.iter().any(|a| a == alias) {
                aliases.push(alias.to_owned());
            }
        }
        if !sources.contains(&record.source) {
            sources.push(record.source.clone());
        }
    }
    let severity = records.iter().filter_map(|r| r.advisory.severity).max();
    let title =
        records.iter().map(|r| r.advisory.title.as_str()).find(|t| !t.is_empty()).unwrap_or(id.as_str()).to_owned();
    CatalogEntry { id, aliases, title, severity, sources, records }
}

pub(super) fn summary_for(names: &HashMap<i64, &SourceSpec>, source_id: i64, advisory: &Advisory) -> SourceSummary {
    let location = names.get(&source_id).map_or_else(String::new, |spec| format!("{} ({})", spec.name, spec.url));
    SourceSummary::new(advisory.source, location)
}
