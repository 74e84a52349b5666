//! This server's own bulletins and advisories as a catalog source, so that what it publishes
//! reaches the fleet and `parapet scan --server` like any provider's advisories. It reads the
//! current publications an anonymous visitor may read (a public TLP label; the role check is the
//! store's), each as the CSAF document the trusted provider serves, with the CSAF consumer's
//! reader. A publication whose SHA-256 was taken before is not read again; a document no longer
//! published, or withdrawn, withdraws its record.

use crate::{Context, SyncError};
use parapet_catalog::sources::{self, Record};
use parapet_model::Viewer;
use parapet_store::{CatalogBatch, DocumentState, RecordChange, StoreError};
use std::collections::BTreeSet;

pub(crate) async fn sync(context: &mut Context<'_>) -> Result<(), SyncError> {
    let known = context.store.document_states(context.lease.source.id, None).await?;
    let listed = context.store.publication_digests(&Viewer::Anonymous).await?;
    let total = listed.len() as u64;
    let mut seen = BTreeSet::new();
    let mut batch = CatalogBatch::default();
    for (done, (id, sha256)) in listed.into_iter().enumerate() {
        seen.insert(id.clone());
        if known.get(&id).is_some_and(|state| state.digest == sha256) {
            context.unchanged(1);
            continue;
        }
        // Its CSAF file, through the same role check (it may have left public view since).
        let publication = match context.store.publication(&Viewer::Anonymous, &id).await {
            Ok(publication) => publication,
            Err(StoreError::NotFound(_)) => continue,
            Err(e) => return Err(e.into()),
        };
        let modified =
            publication.current_release.format(&time::format_description::well_known::Rfc3339).unwrap_or_default();
        // A withdrawn or superseded document still lists what it once said was affected; it no
        // longer says so (a superseding document speaks for itself).
        let parsed =
            if publication.status == "active" { sources::csaf::parse(&publication.csaf).map(Some) } else { Ok(None) };
        let record = match parsed {
            Ok(Some(Record::Advisory { advisory, .. })) if context.spec().keeps(&advisory) => {
                Some(RecordChange { record_id: advisory.id.clone(), advisory, modified: modified.clone() })
            }
            Ok(_) => None,
            Err(reason) => {
                context.reject(&publication.document_id, reason);
                continue;
            }
        };
        let record_id = record.as_ref().map(|r| r.record_id.clone());
        // A revision whose products or fixes no longer qualify takes back what the last one said.
        if record.is_none()
            && let Some(previous) = known.get(&publication.document_id).and_then(|s| s.record_id.clone())
        {
            batch.withdrawn.push(previous);
        }
        batch.records.extend(record);
        batch.documents.push(DocumentState {
            document: publication.document_id,
            digest: publication.sha256,
            modified,
            record_id,
            problems: Vec::new(),
        });
        if batch.documents.len() >= context.options.batch_size.max(1) {
            context.commit(std::mem::take(&mut batch)).await?;
        }
        context.progress("published", done as u64 + 1, total);
    }
    context.commit(batch).await?;
    crate::forget_missing(context, &seen).await
}
