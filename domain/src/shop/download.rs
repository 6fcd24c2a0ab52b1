//! Plan downloads (SHOP-5): a PDF or CAD format carries a file, kept by a
//! [`FileStore`] under a random id (never a name a client chose); once an
//! order is paid its holder gets signed, expiring links, each format
//! downloaded at most [`DownloadPolicy::limit`] times per order; every
//! download is logged with its source address and browser sealed under
//! the order's subject. An order that is not paid (or no longer is:
//! cancelled, refunded) has no links, and its links stop working.

use async_trait::async_trait;
use chrono::{DateTime, Duration, Utc};

use super::order::{self, Order, OrderHolder, OrderLine, OrderStatus};
use crate::audit::{AuditAction, AuditTarget};
use crate::catalogue::{FormatKind, Plan};
use crate::clock::Clock;
use crate::error::StorageError;
use crate::identity::{BlindIndex, Origin};
use crate::ids::{FormatId, OrderId, ProductId};
use crate::service::ServiceError;
use crate::store::Store;
use crate::subject::SubjectId;

/// The namespace of download link signatures.
pub const DOWNLOAD_LINK: &str = "download-link";

/// How downloads are limited.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DownloadPolicy {
    /// Downloads of one format per order.
    pub limit: u32,
    /// How long a link works once listed.
    pub link_ttl: Duration,
}

impl Default for DownloadPolicy {
    fn default() -> Self {
        Self {
            limit: 5,
            link_ttl: Duration::hours(24),
        }
    }
}

/// The media types a plan's file may have.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FileType {
    /// `application/pdf`.
    Pdf,
    /// `application/zip`.
    Zip,
    /// `application/octet-stream` (CAD drawings).
    OctetStream,
}

impl FileType {
    /// Every type.
    pub const ALL: [Self; 3] = [Self::Pdf, Self::Zip, Self::OctetStream];

    /// The media type.
    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Pdf => "application/pdf",
            Self::Zip => "application/zip",
            Self::OctetStream => "application/octet-stream",
        }
    }

    /// The type of a `Content-Type` value (parameters ignored).
    #[must_use]
    pub fn parse(media: &str) -> Option<Self> {
        let essence = media.split(';').next().unwrap_or_default().trim();
        Self::ALL
            .into_iter()
            .find(|t| t.as_str().eq_ignore_ascii_case(essence))
    }

    /// The file name extension when staff give none: `pdf`, `zip`, and for
    /// other bytes `dwg` on a CAD format, else `bin`.
    #[must_use]
    pub const fn default_extension(self, kind: FormatKind) -> &'static str {
        match (self, kind) {
            (Self::Pdf, _) => "pdf",
            (Self::Zip, _) => "zip",
            (Self::OctetStream, FormatKind::Cad) => "dwg",
            (Self::OctetStream, _) => "bin",
        }
    }
}

/// Whether `ext` is a file name extension downloads may carry: 1 to 8
/// lower-case ASCII letters and digits.
#[must_use]
pub fn valid_extension(ext: &str) -> bool {
    (1..=8).contains(&ext.len())
        && ext
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
}

/// A file as the [`FileStore`] kept it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredFile {
    /// Its id in the store (random).
    pub id: String,
    /// Bytes.
    pub size: u64,
    /// SHA-256 of the content, lower-case hex.
    pub sha256: String,
}

/// The file of a format.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FormatFile {
    /// The format.
    pub format_id: FormatId,
    /// Its plan.
    pub product_id: ProductId,
    /// Its id in the [`FileStore`].
    pub file_id: String,
    /// Media type.
    pub file_type: FileType,
    /// File name extension of downloads.
    pub extension: String,
    /// Bytes.
    pub size: u64,
    /// SHA-256, lower-case hex.
    pub sha256: String,
    /// When staff put it.
    pub uploaded_at: DateTime<Utc>,
}

/// A file being written to a [`FileStore`]. Dropped before
/// [`FileUpload::finish`], it leaves nothing behind.
#[async_trait]
pub trait FileUpload: Send {
    /// Appends bytes.
    async fn write(&mut self, chunk: &[u8]) -> Result<(), StorageError>;
    /// Bytes written so far.
    fn written(&self) -> u64;
    /// Makes the file durable under its id.
    async fn finish(self: Box<Self>) -> Result<StoredFile, StorageError>;
}

/// A file being read from a [`FileStore`], chunk by chunk.
#[async_trait]
pub trait FileRead: Send {
    /// The next bytes; `None` at the end.
    async fn next_chunk(&mut self) -> Result<Option<Vec<u8>>, StorageError>;
}

/// Where plans' files are kept (a folder today, an object store later).
#[async_trait]
pub trait FileStore: Send + Sync {
    /// Starts a new file under a new random id.
    async fn create(&self) -> Result<Box<dyn FileUpload>, StorageError>;
    /// Opens a file; `None` when the store has no such file.
    async fn open(&self, id: &str) -> Result<Option<Box<dyn FileRead>>, StorageError>;
    /// Deletes a file (nothing when it is already gone).
    async fn delete(&self, id: &str) -> Result<(), StorageError>;
}

/// One download, as logged.
#[derive(Clone, PartialEq, Eq)]
pub struct DownloadRecord {
    /// The order.
    pub order_id: OrderId,
    /// The format downloaded.
    pub format_id: FormatId,
    /// Whose key seals the source.
    pub subject: SubjectId,
    /// When.
    pub at: DateTime<Utc>,
    /// Full source address (personal: sealed).
    pub ip: Option<String>,
    /// Browser (personal: sealed).
    pub user_agent: Option<String>,
}

impl std::fmt::Debug for DownloadRecord {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DownloadRecord")
            .field("order_id", &self.order_id)
            .field("format_id", &self.format_id)
            .field("at", &self.at)
            .finish_non_exhaustive()
    }
}

/// Formats' files, download counts and the download log.
#[async_trait]
pub trait DownloadRepo: Send + Sync {
    /// The file of a format.
    async fn file_of(&self, format: FormatId) -> Result<Option<FormatFile>, StorageError>;
    /// The files of these formats (those that have one).
    async fn files_of(&self, formats: &[FormatId]) -> Result<Vec<FormatFile>, StorageError>;
    /// Gives a format its file; the id of the file it replaces.
    async fn put_file(&self, file: &FormatFile) -> Result<Option<String>, StorageError>;
    /// Takes a format's file away; the file it had.
    async fn remove_file(&self, format: FormatId) -> Result<Option<FormatFile>, StorageError>;
    /// How many times each format of an order was downloaded.
    async fn counts(&self, order: OrderId) -> Result<Vec<(FormatId, u32)>, StorageError>;
    /// Counts one download of `format` for `order` unless `limit` were
    /// made already (false then). Concurrent calls never count past it.
    async fn take(
        &self,
        order: OrderId,
        format: FormatId,
        limit: u32,
        now: DateTime<Utc>,
    ) -> Result<bool, StorageError>;
    /// Logs a download.
    async fn log(&self, record: &DownloadRecord) -> Result<(), StorageError>;
}

/// Whether an order's files may be downloaded now: it is paid, and
/// neither cancelled nor refunded in full.
#[must_use]
pub const fn downloadable(status: OrderStatus) -> bool {
    status.is_paid()
}

/// Whether a line is delivered as a file.
#[must_use]
pub fn is_file_line(line: &OrderLine) -> bool {
    line.kind == FormatKind::Pdf.as_str() || line.kind == FormatKind::Cad.as_str()
}

fn signed_text(order: OrderId, format: FormatId, expires: i64) -> String {
    format!("{order}:{format}:{expires}")
}

/// The token of a link to `format` of `order`, working until `expires`:
/// the ids and the expiry, signed with the server's key, so nothing is
/// stored and no one without that key can make one.
#[must_use]
pub fn link_token(
    index: &dyn BlindIndex,
    order: OrderId,
    format: FormatId,
    expires: DateTime<Utc>,
) -> String {
    use base64::Engine as _;
    let exp = expires.timestamp();
    let mut bytes = Vec::with_capacity(72);
    bytes.extend_from_slice(order.as_uuid().as_bytes());
    bytes.extend_from_slice(format.as_uuid().as_bytes());
    bytes.extend_from_slice(&exp.to_be_bytes());
    bytes.extend_from_slice(&index.index(DOWNLOAD_LINK, &signed_text(order, format, exp)));
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

/// The order and format of a link's token, when its signature holds and
/// it has not expired at `now`.
#[must_use]
pub fn read_token(
    index: &dyn BlindIndex,
    token: &str,
    now: DateTime<Utc>,
) -> Option<(OrderId, FormatId)> {
    use base64::Engine as _;
    use subtle::ConstantTimeEq as _;
    if token.len() > 200 {
        return None;
    }
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(token)
        .ok()?;
    if bytes.len() <= 40 {
        return None;
    }
    let (payload, mac) = bytes.split_at(40);
    let order = OrderId::from_uuid(uuid::Uuid::from_slice(&payload[..16]).ok()?);
    let format = FormatId::from_uuid(uuid::Uuid::from_slice(&payload[16..32]).ok()?);
    let exp = i64::from_be_bytes(payload[32..40].try_into().ok()?);
    let expected = index.index(DOWNLOAD_LINK, &signed_text(order, format, exp));
    if expected.is_empty() || !bool::from(expected.as_slice().ct_eq(mac)) {
        return None;
    }
    (now.timestamp() < exp).then_some((order, format))
}

/// The name a download is saved under: `<plan slug>-<kind>.<extension>`,
/// in ASCII letters, digits, hyphens and underscores only.
#[must_use]
pub fn file_name(slug: &str, kind: &str, extension: &str) -> String {
    let safe = |s: &str| -> String {
        s.chars()
            .filter(|c| c.is_ascii_alphanumeric() || *c == '-' || *c == '_')
            .collect()
    };
    let stem = match (safe(slug), safe(kind)) {
        (s, k) if s.is_empty() && k.is_empty() => "plan".to_owned(),
        (s, k) if s.is_empty() => k,
        (s, k) if k.is_empty() => s,
        (s, k) => format!("{s}-{k}"),
    };
    let ext = safe(extension);
    if ext.is_empty() {
        stem
    } else {
        format!("{stem}.{ext}")
    }
}

/// A downloadable line of an order, as its holder sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DownloadLink {
    /// The line bought.
    pub line: OrderLine,
    /// Its file; `None` while the shop has not put one.
    pub file: Option<FormatFile>,
    /// Downloads made.
    pub used: u32,
    /// Downloads left.
    pub remaining: u32,
    /// The link's token, when a download is possible.
    pub token: Option<String>,
    /// Until when the token works.
    pub expires_at: Option<DateTime<Utc>>,
}

/// An order's downloads.
#[derive(Debug, Clone)]
pub struct Downloads {
    /// The order.
    pub order: Order,
    /// Downloads allowed per format.
    pub limit: u32,
    /// One per file format bought (none unless the order is paid).
    pub links: Vec<DownloadLink>,
}

/// The download links of an order, for its customer or a guest with its
/// secret: one per PDF or CAD format bought, with a fresh signed token
/// when the format has a file and downloads are left. An order that is
/// not paid, or was cancelled or refunded, has none.
///
/// # Errors
/// Not found (also another's order); storage.
pub async fn list(
    store: &dyn Store,
    index: &dyn BlindIndex,
    clock: &dyn Clock,
    policy: &DownloadPolicy,
    holder: &OrderHolder<'_>,
    id: OrderId,
) -> Result<Downloads, ServiceError> {
    let order = order::read(store, index, holder, id).await?;
    let mut links = Vec::new();
    if downloadable(order.summary.status) {
        let now = clock.now();
        let expires = now + policy.link_ttl;
        let mut lines: Vec<&OrderLine> = Vec::new();
        for l in order.lines.iter().filter(|l| is_file_line(l)) {
            if !lines.iter().any(|x| x.format_id == l.format_id) {
                lines.push(l);
            }
        }
        let reader = store.reader();
        let formats: Vec<FormatId> = lines.iter().map(|l| l.format_id).collect();
        let files = reader.downloads().files_of(&formats).await?;
        let counts = reader.downloads().counts(id).await?;
        for l in lines {
            let file = files.iter().find(|f| f.format_id == l.format_id).cloned();
            let used = counts
                .iter()
                .find(|(f, _)| *f == l.format_id)
                .map_or(0, |(_, n)| *n);
            let remaining = policy.limit.saturating_sub(used);
            let open = file.is_some() && remaining > 0;
            links.push(DownloadLink {
                line: l.clone(),
                file,
                used,
                remaining,
                token: open.then(|| link_token(index, id, l.format_id, expires)),
                expires_at: open.then_some(expires),
            });
        }
    }
    Ok(Downloads {
        order,
        limit: policy.limit,
        links,
    })
}

/// Why a download is refused.
#[derive(Debug, thiserror::Error)]
pub enum DownloadError {
    /// The link expired, was never valid, or its order is no longer paid
    /// (cancelled, refunded) or no longer exists.
    #[error("the download link expired or is not valid")]
    LinkExpired,
    /// The format was downloaded as many times as allowed for this order.
    #[error("the download limit is reached")]
    LimitReached,
    /// The format has no file (any more).
    #[error("the plan's file is not available")]
    Unavailable,
    /// Storage failed.
    #[error(transparent)]
    Storage(#[from] StorageError),
}

/// A download about to be streamed.
pub struct Download {
    /// The file's description.
    pub file: FormatFile,
    /// Its content.
    pub reader: Box<dyn FileRead>,
    /// The name to save it under.
    pub file_name: String,
}

impl std::fmt::Debug for Download {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Download")
            .field("file", &self.file)
            .field("file_name", &self.file_name)
            .finish_non_exhaustive()
    }
}

/// Downloads the file a link names: the token must be signed and
/// unexpired, its order paid (not cancelled or refunded), its format a
/// file bought in it, with downloads left. The download is counted (never
/// past the limit, whatever the concurrency) and logged, with the source
/// sealed under the order's subject, in one unit of work.
///
/// # Errors
/// [`DownloadError`].
pub async fn download(
    store: &dyn Store,
    index: &dyn BlindIndex,
    clock: &dyn Clock,
    files: &dyn FileStore,
    policy: &DownloadPolicy,
    token: &str,
    origin: &Origin,
) -> Result<Download, DownloadError> {
    let now = clock.now();
    let (order_id, format_id) = read_token(index, token, now).ok_or(DownloadError::LinkExpired)?;
    let uow = store.begin().await?;
    let order = uow
        .orders()
        .get(order_id)
        .await?
        .ok_or(DownloadError::LinkExpired)?;
    if !downloadable(order.summary.status) {
        return Err(DownloadError::LinkExpired);
    }
    let line = order
        .lines
        .iter()
        .find(|l| l.format_id == format_id && is_file_line(l))
        .ok_or(DownloadError::LinkExpired)?;
    let file = uow
        .downloads()
        .file_of(format_id)
        .await?
        .ok_or(DownloadError::Unavailable)?;
    let reader = files
        .open(&file.file_id)
        .await?
        .ok_or(DownloadError::Unavailable)?;
    if !uow
        .downloads()
        .take(order_id, format_id, policy.limit, now)
        .await?
    {
        return Err(DownloadError::LimitReached);
    }
    uow.downloads()
        .log(&DownloadRecord {
            order_id,
            format_id,
            subject: order.subject,
            at: now,
            ip: origin.ip.map(|ip| ip.to_string()),
            user_agent: origin.user_agent.clone(),
        })
        .await?;
    uow.commit().await?;
    let file_name = file_name(&line.slug, &line.kind, &file.extension);
    Ok(Download {
        file,
        reader,
        file_name,
    })
}

/// Where staff put a file: a PDF or CAD format of an existing plan.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileTarget {
    /// The plan.
    pub product_id: ProductId,
    /// The format.
    pub format_id: FormatId,
    /// What it delivers.
    pub kind: FormatKind,
}

/// The format `format` of `plan`, when it can carry a file.
///
/// # Errors
/// Not found (no such plan or format); a conflict for a printed set,
/// which is shipped, not downloaded.
pub fn file_target(plan: Option<&Plan>, format: FormatId) -> Result<FileTarget, ServiceError> {
    let plan = plan.ok_or(ServiceError::NotFound("No plan has this id."))?;
    let f = plan
        .formats
        .iter()
        .find(|f| f.id == format)
        .ok_or(ServiceError::NotFound(
            "This plan has no format with this id.",
        ))?;
    if f.kind.requires_shipping() {
        return Err(ServiceError::Conflict(
            "a printed set is shipped, not downloaded: it takes no file".into(),
        ));
    }
    Ok(FileTarget {
        product_id: plan.id,
        format_id: f.id,
        kind: f.kind,
    })
}

/// Staff give a format the file just stored (replacing its previous one,
/// which is then deleted), audited. When this fails the new file is
/// deleted. Returns the format's file and whether it replaced one.
///
/// # Errors
/// Storage.
pub async fn attach_file(
    store: &dyn Store,
    clock: &dyn Clock,
    files: &dyn FileStore,
    staff: &impl crate::integration::Acting,
    target: &FileTarget,
    stored: StoredFile,
    file_type: FileType,
    extension: String,
) -> Result<(FormatFile, bool), ServiceError> {
    let now = clock.now();
    let file = FormatFile {
        format_id: target.format_id,
        product_id: target.product_id,
        file_id: stored.id,
        file_type,
        extension,
        size: stored.size,
        sha256: stored.sha256,
        uploaded_at: now,
    };
    let written = async {
        let uow = store.begin().await?;
        let replaced = uow.downloads().put_file(&file).await?;
        crate::audit::record(
            uow.as_ref(),
            staff.by(),
            AuditAction::CatalogueChanged,
            AuditTarget::Product(target.product_id),
            &format!(
                "file of format {} set ({}, {} bytes, sha256 {})",
                target.format_id,
                file_type.as_str(),
                file.size,
                file.sha256
            ),
            now,
        )
        .await?;
        uow.commit().await?;
        Ok::<_, StorageError>(replaced)
    }
    .await;
    match written {
        Ok(replaced) => {
            if let Some(old) = &replaced
                && *old != file.file_id
            {
                files.delete(old).await?;
            }
            Ok((file, replaced.is_some()))
        }
        Err(e) => {
            // Best effort: the file is not referenced, whatever happens here.
            let _ = files.delete(&file.file_id).await;
            Err(e.into())
        }
    }
}

/// The file of a format of a plan, for staff.
///
/// # Errors
/// Not found (no file, or the format is another plan's); storage.
pub async fn file_of(
    store: &dyn Store,
    product: ProductId,
    format: FormatId,
) -> Result<FormatFile, ServiceError> {
    match store.reader().downloads().file_of(format).await? {
        Some(f) if f.product_id == product => Ok(f),
        _ => Err(ServiceError::NotFound("This format has no file.")),
    }
}

/// Staff take a format's file away (downloads of it stop), audited; the
/// file is deleted.
///
/// # Errors
/// Not found (no file, or the format is another plan's); storage.
pub async fn detach_file(
    store: &dyn Store,
    clock: &dyn Clock,
    files: &dyn FileStore,
    staff: &impl crate::integration::Acting,
    product: ProductId,
    format: FormatId,
) -> Result<FormatFile, ServiceError> {
    let now = clock.now();
    let uow = store.begin().await?;
    let file = match uow.downloads().file_of(format).await? {
        Some(f) if f.product_id == product => f,
        _ => return Err(ServiceError::NotFound("This format has no file.")),
    };
    uow.downloads().remove_file(format).await?;
    crate::audit::record(
        uow.as_ref(),
        staff.by(),
        AuditAction::CatalogueChanged,
        AuditTarget::Product(product),
        &format!("file of format {format} removed"),
        now,
    )
    .await?;
    uow.commit().await?;
    files.delete(&file.file_id).await?;
    Ok(file)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::FakeIndex;

    #[test]
    fn a_link_works_until_it_expires_and_cannot_be_forged() {
        let index = FakeIndex;
        let order = OrderId::new();
        let format = FormatId::new();
        let now = Utc::now();
        let token = link_token(&index, order, format, now + Duration::hours(24));
        assert!(token.len() < 200, "{token}");
        assert_eq!(read_token(&index, &token, now), Some((order, format)));
        assert_eq!(
            read_token(&index, &token, now + Duration::hours(24)),
            None,
            "expired"
        );
        // Another format, another expiry, a cut signature: refused.
        let mut forged = token.clone().into_bytes();
        forged[30] = if forged[30] == b'A' { b'B' } else { b'A' };
        let forged = String::from_utf8(forged).unwrap();
        assert_eq!(read_token(&index, &forged, now), None);
        assert_eq!(read_token(&index, &token[..60], now), None);
        assert_eq!(read_token(&index, "", now), None);
        assert_eq!(read_token(&index, "not base64 !", now), None);
    }

    #[test]
    fn file_names_are_ascii_and_built_from_the_slug_and_kind() {
        assert_eq!(file_name("maison-a", "pdf", "pdf"), "maison-a-pdf.pdf");
        assert_eq!(file_name("maison-a", "cad", "dwg"), "maison-a-cad.dwg");
        assert_eq!(file_name("ma\"i\r\nson", "pdf", "p/df"), "maison-pdf.pdf");
        assert_eq!(file_name("", "", ""), "plan");
        assert!(valid_extension("dwg") && valid_extension("7z"));
        assert!(!valid_extension("") && !valid_extension("DWG") && !valid_extension("a.b"));
        assert!(!valid_extension("abcdefghi"));
    }

    #[test]
    fn media_types_and_default_extensions() {
        assert_eq!(
            FileType::parse("Application/PDF; charset=binary"),
            Some(FileType::Pdf)
        );
        assert_eq!(FileType::parse("application/json"), None);
        assert_eq!(
            FileType::OctetStream.default_extension(FormatKind::Cad),
            "dwg"
        );
        assert_eq!(
            FileType::OctetStream.default_extension(FormatKind::Pdf),
            "bin"
        );
        for t in FileType::ALL {
            assert_eq!(FileType::parse(t.as_str()), Some(t));
        }
    }

    #[test]
    fn only_paid_orders_that_were_not_refunded_are_downloadable() {
        for s in OrderStatus::ALL {
            assert_eq!(
                downloadable(s),
                matches!(
                    s,
                    OrderStatus::Processing
                        | OrderStatus::Completed
                        | OrderStatus::PartiallyRefunded
                ),
                "{s:?}"
            );
        }
    }
}
