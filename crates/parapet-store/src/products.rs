//! Vendors, products and product versions.

use parapet_model::{Product, ProductFields, ProductVersion, VersionFields};
use sqlx::{Any, AnyConnection};

use crate::audit::{Audit, append};
use crate::{Store, StoreError};
use parapet_model::AuditAction;

const PRODUCT_SELECT: &str = "SELECT p.id, p.vendor_id, v.name AS vendor_name, p.name, p.cpe, p.purl FROM products p JOIN vendors v ON v.id = p.vendor_id";

/// A `products` row with its vendor's name (the columns of [`PRODUCT_SELECT`]).
#[derive(sqlx::FromRow)]
struct ProductRow {
    id: i64,
    vendor_id: i64,
    vendor_name: String,
    name: String,
    cpe: Option<String>,
    purl: Option<String>,
}

fn product(row: &sqlx::any::AnyRow) -> Result<Product, StoreError> {
    let row = <ProductRow as sqlx::FromRow<_>>::from_row(row)?;
    Ok(Product {
        id: row.id,
        vendor_id: row.vendor_id,
        vendor_name: row.vendor_name,
        name: row.name,
        cpe: row.cpe,
        purl: row.purl,
        versions: Vec::new(),
    })
}

/// A `product_versions` row as stored.
#[derive(sqlx::FromRow)]
struct VersionRow {
    id: i64,
    product_id: i64,
    version: String,
    branch: Option<String>,
    cpe: Option<String>,
    purl: Option<String>,
}

fn version(row: &sqlx::any::AnyRow) -> Result<ProductVersion, StoreError> {
    let row = <VersionRow as sqlx::FromRow<_>>::from_row(row)?;
    Ok(ProductVersion {
        id: row.id,
        product_id: row.product_id,
        version: row.version,
        branch: row.branch,
        cpe: row.cpe,
        purl: row.purl,
    })
}

fn product_json(p: &Product) -> serde_json::Value {
    serde_json::json!({"vendor": p.vendor_name, "name": p.name, "cpe": p.cpe, "purl": p.purl})
}

impl Store {
    /// Creates a product, and its vendor when the vendor is new.
    pub async fn create_product(&self, actor: &str, fields: &ProductFields) -> Result<Product, StoreError> {
        let mut tx = self.write_tx().await?;
        let vendor_id = match sqlx::query_scalar::<Any, i64>("SELECT id FROM vendors WHERE name = $1")
            .bind(&fields.vendor)
            .fetch_optional(&mut *tx)
            .await?
        {
            Some(id) => id,
            None => {
                let id = sqlx::query_scalar::<Any, i64>("INSERT INTO vendors (name) VALUES ($1) RETURNING id")
                    .bind(&fields.vendor)
                    .fetch_one(&mut *tx)
                    .await?;
                append(
                    &mut tx,
                    Audit {
                        actor,
                        action: AuditAction::VendorCreate,
                        entity_id: Some(id.to_string()),
                        before: None,
                        after: Some(serde_json::json!({"name": fields.vendor})),
                    },
                )
                .await?;
                id
            }
        };
        let id = sqlx::query_scalar::<Any, i64>(
            "INSERT INTO products (vendor_id, name, cpe, purl) VALUES ($1, $2, $3, $4) RETURNING id",
        )
        .bind(vendor_id)
        .bind(&fields.name)
        .bind(&fields.cpe)
        .bind(&fields.purl)
        .fetch_one(&mut *tx)
        .await
        .map_err(|e| {
            StoreError::unique(e, "name", format!("{} already has a product named {:?}", fields.vendor, fields.name))
        })?;
        let created = product_in(&mut tx, id).await?;
        append(
            &mut tx,
            Audit {
                actor,
                action: AuditAction::ProductCreate,
                entity_id: Some(id.to_string()),
                before: None,
                after: Some(product_json(&created)),
            },
        )
        .await?;
        tx.commit().await?;
        Ok(created)
    }

    pub async fn add_product_version(
        &self,
        actor: &str,
        product_id: i64,
        fields: &VersionFields,
    ) -> Result<ProductVersion, StoreError> {
        let mut tx = self.write_tx().await?;
        let owner = product_in(&mut tx, product_id).await?;
        let row = sqlx::query::<Any>(
            "INSERT INTO product_versions (product_id, version, branch, cpe, purl) VALUES ($1, $2, $3, $4, $5) \
             RETURNING id, product_id, version, branch, cpe, purl",
        )
        .bind(product_id)
        .bind(&fields.version)
        .bind(&fields.branch)
        .bind(&fields.cpe)
        .bind(&fields.purl)
        .fetch_one(&mut *tx)
        .await
        .map_err(|e| {
            StoreError::unique(e, "version", format!("{} already has version {:?}", owner.name, fields.version))
        })?;
        let created = version(&row)?;
        append(&mut tx, Audit { actor, action: AuditAction::ProductVersionCreate, entity_id: Some(product_id.to_string()), before: None, after: Some(serde_json::json!({"version": created.version, "branch": created.branch, "cpe": created.cpe, "purl": created.purl})) })
        .await?;
        tx.commit().await?;
        Ok(created)
    }

    /// Every product with its versions, by vendor and name.
    pub async fn products(&self) -> Result<Vec<Product>, StoreError> {
        let rows =
            sqlx::query::<Any>(&format!("{PRODUCT_SELECT} ORDER BY v.name, p.name")).fetch_all(&self.pool).await?;
        let mut products: Vec<Product> = rows.iter().map(product).collect::<Result<_, _>>()?;
        let versions =
            sqlx::query::<Any>("SELECT id, product_id, version, branch, cpe, purl FROM product_versions ORDER BY id")
                .fetch_all(&self.pool)
                .await?;
        for row in &versions {
            let v = version(row)?;
            if let Some(p) = products.iter_mut().find(|p| p.id == v.product_id) {
                p.versions.push(v);
            }
        }
        Ok(products)
    }

    pub async fn product(&self, id: i64) -> Result<Product, StoreError> {
        let mut conn = self.pool.acquire().await?;
        product_in(&mut conn, id).await
    }
}

async fn product_in(conn: &mut AnyConnection, id: i64) -> Result<Product, StoreError> {
    let row = sqlx::query::<Any>(&format!("{PRODUCT_SELECT} WHERE p.id = $1"))
        .bind(id)
        .fetch_optional(&mut *conn)
        .await?
        .ok_or(StoreError::NotFound("product"))?;
    let mut p = product(&row)?;
    let rows = sqlx::query::<Any>(
        "SELECT id, product_id, version, branch, cpe, purl FROM product_versions WHERE product_id = $1 ORDER BY id",
    )
    .bind(id)
    .fetch_all(&mut *conn)
    .await?;
    p.versions = rows.iter().map(version).collect::<Result<_, _>>()?;
    Ok(p)
}
