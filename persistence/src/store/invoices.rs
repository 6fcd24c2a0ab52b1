//! Invoices and credit notes. Each document is one JSON blob sealed under
//! the legal archive's key (never the customer's: erasing a customer must
//! not destroy what the law makes the shop keep); kind, number, order,
//! date, total and currency stay in clear for lists and retention.
//!
//! Numbers come from `invoice_sequences`, one row per kind and year,
//! bumped by an upsert inside the issuing unit of work: on PostgreSQL the
//! row stays locked until that unit of work ends, on SQLite the unit of
//! work holds the database's write lock from its `BEGIN IMMEDIATE`. Either
//! way concurrent issuers take numbers one after the other, and a unit of
//! work that fails takes its number back with it: no number is shared or
//! skipped.

use async_trait::async_trait;
use domain::StorageError;
use domain::ids::OrderId;
use domain::shop::invoice::{Invoice, InvoiceId, InvoiceKind, InvoiceRepo, LEGAL_ARCHIVE};
use sea_orm::ActiveValue::Set;
use sea_orm::sea_query::{Expr, ExprTrait, OnConflict};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder};

use super::{Conn, SqlRepos, corrupt, err};
use crate::entities::{invoice, invoice_sequence};
use crate::sealed::INVOICE_ARCHIVE;
use crate::vault::DataKey;

fn json_err(e: serde_json::Error) -> StorageError {
    StorageError::new("failed to encode or decode an invoice", e)
}

fn open_invoice(key: &DataKey, r: &invoice::Model) -> Result<Invoice, StorageError> {
    let plain = key
        .open(&INVOICE_ARCHIVE, r.id, &r.archive_enc)
        .map_err(|e| StorageError::new("failed to decrypt an invoice", e))?;
    let inv: Invoice = serde_json::from_slice(&plain).map_err(json_err)?;
    if inv.id.as_uuid() != r.id || inv.number != r.number {
        return Err(corrupt("invoice"));
    }
    Ok(inv)
}

impl<C: Conn> SqlRepos<C> {
    /// The legal archive's key, which the first issue created.
    async fn archive_key(&self) -> Result<DataKey, StorageError> {
        self.key(LEGAL_ARCHIVE)
            .await?
            .ok_or_else(|| StorageError::msg("the legal archive's data key is missing"))
    }
}

#[async_trait]
impl<C: Conn> InvoiceRepo for SqlRepos<C> {
    async fn next_number(&self, kind: InvoiceKind, year: i32) -> Result<u32, StorageError> {
        invoice_sequence::Entity::insert(invoice_sequence::ActiveModel {
            kind: Set(kind.as_str().to_owned()),
            year: Set(year),
            last: Set(1),
        })
        .on_conflict(
            OnConflict::columns([
                invoice_sequence::Column::Kind,
                invoice_sequence::Column::Year,
            ])
            .value(
                invoice_sequence::Column::Last,
                Expr::col((invoice_sequence::Entity, invoice_sequence::Column::Last)).add(1),
            )
            .to_owned(),
        )
        .exec_without_returning(self.conn())
        .await
        .map_err(err("failed to take an invoice number"))?;
        let row = invoice_sequence::Entity::find_by_id((kind.as_str().to_owned(), year))
            .one(self.conn())
            .await
            .map_err(err("failed to take an invoice number"))?
            .ok_or_else(|| corrupt("invoice sequence"))?;
        u32::try_from(row.last).map_err(|_| corrupt("invoice sequence"))
    }

    async fn insert(&self, inv: &Invoice) -> Result<(), StorageError> {
        let key = self.archive_key().await?;
        let row = inv.id.as_uuid();
        let plain = serde_json::to_vec(inv).map_err(json_err)?;
        invoice::Entity::insert(invoice::ActiveModel {
            id: Set(row),
            kind: Set(inv.kind.as_str().to_owned()),
            number: Set(inv.number.clone()),
            year: Set(inv.year),
            order_id: Set(inv.order_id.as_uuid()),
            subject_id: Set(LEGAL_ARCHIVE.as_uuid()),
            issued_at: Set(inv.issued_at),
            currency: Set(inv.currency.as_str().to_owned()),
            total: Set(inv.totals.gross),
            archive_enc: Set(key.seal(&INVOICE_ARCHIVE, row, &plain)),
        })
        .exec_without_returning(self.conn())
        .await
        .map_err(err("failed to store an invoice"))?;
        Ok(())
    }

    async fn of_order(&self, order: OrderId) -> Result<Vec<Invoice>, StorageError> {
        let rows = invoice::Entity::find()
            .filter(invoice::Column::OrderId.eq(order.as_uuid()))
            .order_by_asc(invoice::Column::IssuedAt)
            .order_by_asc(invoice::Column::Id)
            .all(self.conn())
            .await
            .map_err(err("failed to load an order's invoices"))?;
        if rows.is_empty() {
            return Ok(Vec::new());
        }
        let key = self.archive_key().await?;
        let mut out = Vec::with_capacity(rows.len());
        for r in &rows {
            out.push(open_invoice(&key, r)?);
        }
        Ok(out)
    }

    async fn get(&self, id: InvoiceId) -> Result<Option<Invoice>, StorageError> {
        let Some(r) = invoice::Entity::find_by_id(id.as_uuid())
            .one(self.conn())
            .await
            .map_err(err("failed to load an invoice"))?
        else {
            return Ok(None);
        };
        let key = self.archive_key().await?;
        Ok(Some(open_invoice(&key, &r)?))
    }

    async fn by_number(&self, number: &str) -> Result<Option<Invoice>, StorageError> {
        let Some(r) = invoice::Entity::find()
            .filter(invoice::Column::Number.eq(number))
            .one(self.conn())
            .await
            .map_err(err("failed to load an invoice"))?
        else {
            return Ok(None);
        };
        let key = self.archive_key().await?;
        Ok(Some(open_invoice(&key, &r)?))
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use chrono::{DateTime, Utc};
    use domain::identity::PostalAddress;
    use domain::money::Currency;
    use domain::shop::invoice::{InvoiceLine, InvoiceTotals, Seller, VatAmount, format_number};
    use domain::store::Store;
    use sea_orm::{ConnectionTrait, Statement};

    use super::*;
    use crate::store::SqlStore;
    use crate::vault::Keyring;
    use crate::{Db, KeyStore};

    /// Fresh databases: SQLite files, or PostgreSQL databases when
    /// `TEST_DATABASE_URL` names a server.
    async fn store() -> (SqlStore, Vec<std::path::PathBuf>) {
        let name = format!("boutique_inv_{}", uuid::Uuid::now_v7().simple());
        let (data, keys, files) = match std::env::var("TEST_DATABASE_URL") {
            Ok(admin) if !admin.is_empty() => (
                crate::create_postgres_database(&admin, &name)
                    .await
                    .unwrap(),
                crate::create_postgres_database(&admin, &format!("{name}_keys"))
                    .await
                    .unwrap(),
                Vec::new(),
            ),
            _ => {
                let dir = std::env::temp_dir();
                let data = dir.join(format!("{name}.db"));
                let keys = dir.join(format!("{name}_keys.db"));
                (
                    format!("sqlite://{}", data.display()),
                    format!("sqlite://{}", keys.display()),
                    vec![data, keys],
                )
            }
        };
        let db = Db::connect(&data, 4).await.unwrap();
        db.migrate_up().await.unwrap();
        let kdb = Db::connect(&keys, 4).await.unwrap();
        kdb.migrate_keystore_up().await.unwrap();
        let keystore = KeyStore::new(kdb, Arc::new(Keyring::generate()), None);
        (SqlStore::new(db, keystore), files)
    }

    fn cleanup(files: &[std::path::PathBuf]) {
        for f in files {
            for suffix in ["", "-wal", "-shm"] {
                let mut p = f.clone().into_os_string();
                p.push(suffix);
                let _ = std::fs::remove_file(p);
            }
        }
    }

    fn t0() -> DateTime<Utc> {
        DateTime::from_timestamp(1_780_000_000, 0).unwrap()
    }

    fn sample(order: OrderId, number: u32) -> Invoice {
        Invoice {
            id: InvoiceId::new(),
            kind: InvoiceKind::Invoice,
            number: format_number(InvoiceKind::Invoice, 2026, number),
            year: 2026,
            sequence: number,
            order_id: order,
            order_number: "BQ-ABCDEF-123456".into(),
            issued_at: t0(),
            ordered_at: t0(),
            paid_at: Some(t0()),
            payment_method: "bank_transfer".into(),
            currency: Currency::EUR,
            lines: vec![InvoiceLine {
                description: "Maison contemporaine".into(),
                sku: "BTQ-021-PDF".into(),
                kind: "pdf".into(),
                quantity: 1,
                unit_net: 10_000,
                discount_net: 0,
                vat_rate_bp: 2000,
                net: 10_000,
                vat: 2_000,
                gross: 12_000,
            }],
            shipping: None,
            totals: InvoiceTotals {
                discount_net: 0,
                net: 10_000,
                vat: 2_000,
                gross: 12_000,
                vat_by_rate: vec![VatAmount {
                    rate_bp: 2000,
                    net: 10_000,
                    vat: 2_000,
                }],
            },
            buyer_name: "Jeanne Dupont".into(),
            billing_address: PostalAddress {
                full_name: "Jeanne Dupont".into(),
                line1: "12 rue des Lilas".into(),
                line2: None,
                postal_code: "69003".into(),
                city: "Lyon".into(),
                country: "FR".into(),
            },
            tax_country: "FR".into(),
            credit_note_of: None,
            reason: None,
            seller: Seller {
                name: "Boutique".into(),
                legal_form_and_capital: "SAS au capital de 10 000 €".into(),
                address_lines: vec!["1 place Bellecour, 69002 Lyon".into()],
                siren: "123456789".into(),
                siret: None,
                rcs: "RCS Lyon 123 456 789".into(),
                vat_number: "FR12123456789".into(),
                email: "factures@example.com".into(),
            },
        }
    }

    /// Concurrent units of work take numbers one after the other; one that
    /// fails gives its number back: the committed numbers are 1..=n.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn concurrent_issuers_never_share_nor_skip_a_number() {
        let (store, files) = store().await;
        let store = Arc::new(store);
        let mut tasks = Vec::new();
        for i in 0..12_u32 {
            let store = Arc::clone(&store);
            tasks.push(tokio::spawn(async move {
                let uow = store.begin().await.unwrap();
                let n = uow
                    .invoices()
                    .next_number(InvoiceKind::Invoice, 2026)
                    .await
                    .unwrap();
                tokio::time::sleep(std::time::Duration::from_millis(5)).await;
                if i % 4 == 3 {
                    drop(uow);
                    None
                } else {
                    uow.commit().await.unwrap();
                    Some(n)
                }
            }));
        }
        let mut numbers = Vec::new();
        for t in tasks {
            if let Some(n) = t.await.unwrap() {
                numbers.push(n);
            }
        }
        numbers.sort_unstable();
        assert_eq!(numbers, (1..=9).collect::<Vec<u32>>());
        let uow = store.begin().await.unwrap();
        assert_eq!(
            uow.invoices()
                .next_number(InvoiceKind::CreditNote, 2026)
                .await
                .unwrap(),
            1,
            "one sequence per kind"
        );
        assert_eq!(
            uow.invoices()
                .next_number(InvoiceKind::Invoice, 2027)
                .await
                .unwrap(),
            1,
            "one sequence per year"
        );
        assert_eq!(
            uow.invoices()
                .next_number(InvoiceKind::Invoice, 2026)
                .await
                .unwrap(),
            10
        );
        drop(uow);
        cleanup(&files);
    }

    /// An invoice is sealed under the legal archive's key, made once.
    #[tokio::test]
    async fn invoices_are_sealed_under_the_legal_archive() {
        let (store, files) = store().await;
        let order = OrderId::new();
        let inv = sample(order, 1);
        let uow = store.begin().await.unwrap();
        uow.keys().ensure(LEGAL_ARCHIVE, t0()).await.unwrap();
        uow.keys().ensure(LEGAL_ARCHIVE, t0()).await.unwrap();
        uow.invoices().insert(&inv).await.unwrap();
        uow.commit().await.unwrap();
        // Another instance (no cache) ensures again: the same key opens it.
        let reader = store.reader();
        reader.keys().ensure(LEGAL_ARCHIVE, t0()).await.unwrap();
        assert_eq!(
            reader.invoices().of_order(order).await.unwrap(),
            vec![inv.clone()]
        );
        assert_eq!(
            reader.invoices().get(inv.id).await.unwrap(),
            Some(inv.clone())
        );
        assert_eq!(
            reader.invoices().of_order(OrderId::new()).await.unwrap(),
            vec![]
        );
        let repos = store.repos();
        let row = invoice::Entity::find_by_id(inv.id.as_uuid())
            .one(repos.conn())
            .await
            .unwrap()
            .unwrap();
        assert_eq!(row.subject_id, LEGAL_ARCHIVE.as_uuid());
        assert_eq!(row.total, 12_000);
        assert_eq!(row.number, "F-2026-000001");
        assert!(
            !row.archive_enc
                .windows(b"Dupont".len())
                .any(|w| w == b"Dupont"),
            "the buyer is sealed"
        );
        // Numbers are unique.
        let dup = Invoice {
            id: InvoiceId::new(),
            ..inv
        };
        assert!(InvoiceRepo::insert(&repos, &dup).await.is_err());
        let backend = repos.conn().get_database_backend();
        let n = repos
            .conn()
            .query_one_raw(Statement::from_string(
                backend,
                "SELECT COUNT(*) AS n FROM invoices",
            ))
            .await
            .unwrap()
            .unwrap()
            .try_get::<i64>("", "n")
            .unwrap();
        assert_eq!(n, 1);
        cleanup(&files);
    }

    /// Paid, invoiced, then the customer erased: the invoice stays
    /// readable (sealed under the legal archive, not the customer), issuing
    /// again answers the same invoice, and credit notes never exceed it.
    #[tokio::test]
    async fn an_invoice_outlives_the_erasure_of_its_customer() {
        use domain::identity::Language;
        use domain::ids::{CartId, FormatId, ProductId};
        use domain::shop::invoice::{Refund, credit_note_in, issue_in};
        use domain::shop::order::{
            BuyerDetails, NewOrder, OrderEvent, OrderLine, OrderStatus, OrderSummary, OrderTotals,
            PaymentMethod, number,
        };
        use domain::subject::SubjectId;

        let (store, files) = store().await;
        let subject = SubjectId::from_uuid(uuid::Uuid::now_v7());
        let id = OrderId::new();
        let billing = PostalAddress {
            full_name: "Jeanne Dupont".into(),
            line1: "12 rue des Lilas".into(),
            line2: None,
            postal_code: "69003".into(),
            city: "Lyon".into(),
            country: "FR".into(),
        };
        let new = NewOrder {
            summary: OrderSummary {
                id,
                number: number(id),
                customer_id: None,
                status: OrderStatus::PendingPayment,
                payment_method: PaymentMethod::BankTransfer,
                country: "FR".into(),
                totals: OrderTotals {
                    currency: Currency::EUR,
                    goods_net: 10_000,
                    discount_net: 0,
                    shipping_net: 0,
                    vat: 2_000,
                    total: 12_000,
                },
                language: Language::Fr,
                created_at: t0(),
                status_changed_at: t0(),
                paid_at: None,
                coupon: None,
                fraud_signals: Vec::new(),
            },
            cart: CartId::new(),
            subject,
            email_bidx: vec![1, 2, 3],
            key_hash: vec![4],
            fingerprint: vec![5],
            source_key: "source".into(),
            lines: vec![OrderLine {
                product_id: ProductId::new(),
                format_id: FormatId::new(),
                slug: "maison".into(),
                title: "Maison contemporaine".into(),
                kind: "pdf".into(),
                sku: "BTQ-021-PDF".into(),
                quantity: 1,
                unit_price: 12_000,
                unit_net: 10_000,
                vat_rate_bp: 2000,
                discount_net: 0,
                net: 10_000,
                vat: 2_000,
                gross: 12_000,
            }],
            shipping: None,
            buyer: BuyerDetails {
                email: "jeanne@example.com".into(),
                name: "Jeanne Dupont".into(),
                phone: None,
                billing,
                shipping: None,
                ip: None,
                user_agent: None,
            },
        };
        let seller = sample(id, 1).seller;
        let uow = store.begin().await.unwrap();
        uow.keys().create(subject, t0()).await.unwrap();
        uow.orders().insert(&new).await.unwrap();
        let event = OrderEvent {
            from: Some(OrderStatus::PendingPayment),
            to: OrderStatus::Completed,
            at: t0(),
            actor: "staff:test".into(),
            note: None,
        };
        assert!(
            uow.orders()
                .transition(id, OrderStatus::PendingPayment, &event)
                .await
                .unwrap()
        );
        let order = uow.orders().get(id).await.unwrap().unwrap();
        let inv = issue_in(uow.as_ref(), &order, &seller, t0()).await.unwrap();
        assert_eq!(inv.number, "F-2026-000001");
        assert_eq!(inv.totals.gross, 12_000);
        let again = issue_in(uow.as_ref(), &order, &seller, t0()).await.unwrap();
        assert_eq!(again, inv, "one invoice per order");
        uow.commit().await.unwrap();

        // Erasure: the customer's key goes; the order's buyer with it.
        store
            .repos()
            .keystore()
            .destroy(subject.as_uuid(), t0())
            .await
            .unwrap();
        let reader = store.reader();
        assert!(
            reader
                .orders()
                .get(id)
                .await
                .unwrap()
                .unwrap()
                .buyer
                .is_none()
        );
        let kept = reader.invoices().of_order(id).await.unwrap();
        assert_eq!(kept, vec![inv.clone()]);
        assert_eq!(kept[0].buyer_name, "Jeanne Dupont");

        let uow = store.begin().await.unwrap();
        let part = credit_note_in(
            uow.as_ref(),
            &inv,
            Refund::Partial { gross: 2_000 },
            "geste commercial",
            t0(),
        )
        .await
        .unwrap();
        assert_eq!(part.number, "A-2026-000001");
        assert!(
            credit_note_in(
                uow.as_ref(),
                &inv,
                Refund::Partial { gross: 10_001 },
                "",
                t0()
            )
            .await
            .is_err()
        );
        let rest = credit_note_in(uow.as_ref(), &inv, Refund::Full, "", t0())
            .await
            .unwrap();
        assert_eq!(rest.number, "A-2026-000002");
        assert_eq!(rest.totals.gross, 10_000);
        uow.commit().await.unwrap();
        assert_eq!(
            store.reader().invoices().of_order(id).await.unwrap().len(),
            3
        );
        cleanup(&files);
    }
}
