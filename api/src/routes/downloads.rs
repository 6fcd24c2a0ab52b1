//! Plan downloads (SHOP-5): staff put a file on a PDF or CAD format; once
//! an order is paid, its customer (or a guest with its secret) lists
//! signed, expiring links, and each link streams the file, at most the
//! configured number of times per format and order. Refunding or
//! cancelling the order revokes its links.

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, delete, get, put, web};
use chrono::{DateTime, Utc};
use domain::FieldErrors;
use domain::catalogue::CatalogueStore as _;
use domain::ids::{FormatId, ProductId};
use domain::shop::download::{
    self, DownloadError, DownloadLink, Downloads, FileType, FormatFile, valid_extension,
};
use futures_util::StreamExt as _;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use crate::auth::MaybeAuth;
use crate::auth::keys::{CatalogueRead, CatalogueWrite, StaffOrKey};
use crate::body::Params;
use crate::problem::{ApiError, MaybeSignedInErrors, Problem, SignedInErrors};
use crate::routes::common::header;
use crate::routes::orders::{OrderStatusDto, order_holder};
use crate::state::SharedState;

/// The media type of a plan's file:
///
/// - `application/pdf`: a PDF document.
/// - `application/zip`: a ZIP archive (several drawings).
/// - `application/octet-stream`: other bytes, such as CAD drawings (DWG).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[schema(as = FileContentType)]
pub enum FileContentTypeDto {
    /// PDF.
    #[serde(rename = "application/pdf")]
    Pdf,
    /// ZIP.
    #[serde(rename = "application/zip")]
    Zip,
    /// Other bytes.
    #[serde(rename = "application/octet-stream")]
    OctetStream,
}

impl From<FileType> for FileContentTypeDto {
    fn from(t: FileType) -> Self {
        match t {
            FileType::Pdf => Self::Pdf,
            FileType::Zip => Self::Zip,
            FileType::OctetStream => Self::OctetStream,
        }
    }
}

/// The file a format delivers, as staff see it.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({
    "product_id": "01a21faf-9618-77eb-b003-08a5b1c2d3e4",
    "format_id": "01a21faf-9618-77eb-b003-08a737d60ad2",
    "content_type": "application/pdf",
    "extension": "pdf",
    "size": 2_483_114,
    "sha256": "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08",
    "uploaded_at": "2026-11-20T09:30:00Z"
}))]
#[schema(as = FormatFile)]
pub struct FormatFileDto {
    /// The plan (a UUID).
    pub product_id: Uuid,
    /// The format that delivers this file (a UUID).
    pub format_id: Uuid,
    /// The file's media type, as uploaded.
    pub content_type: FileContentTypeDto,
    /// The extension of the name downloads are saved under
    /// (`<plan slug>-<kind>.<extension>`).
    #[schema(example = "pdf", pattern = "^[a-z0-9]{1,8}$")]
    pub extension: String,
    /// Size in bytes.
    #[schema(example = 2_483_114)]
    pub size: u64,
    /// SHA-256 digest of the content, 64 lower-case hexadecimal digits:
    /// compare it with the file sent.
    #[schema(example = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08")]
    pub sha256: String,
    /// When it was uploaded (RFC 3339, UTC).
    pub uploaded_at: DateTime<Utc>,
}

impl From<FormatFile> for FormatFileDto {
    fn from(f: FormatFile) -> Self {
        Self {
            product_id: f.product_id.as_uuid(),
            format_id: f.format_id.as_uuid(),
            content_type: f.file_type.into(),
            extension: f.extension,
            size: f.size,
            sha256: f.sha256,
            uploaded_at: f.uploaded_at,
        }
    }
}

/// A plan file bought in an order, and its download link.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({
    "product_id": "01a21faf-9618-77eb-b003-08a5b1c2d3e4",
    "format_id": "01a21faf-9618-77eb-b003-08a737d60ad2",
    "slug": "maison-contemporaine-129",
    "title": "Maison contemporaine de 129 m²",
    "kind": "pdf",
    "available": true,
    "content_type": "application/pdf",
    "size": 2_483_114,
    "file_name": "maison-contemporaine-129-pdf.pdf",
    "downloads_used": 1,
    "downloads_remaining": 4,
    "url": "https://api.boutique.example/v1/downloads/AZIfswEafFtzj2KFtXjYPAGiH69hGHfrsAMIpzfWCtIAAAAAaUApgPbp6h6xGQ9rIzmOKhXc9d8NBjtD3vmDBJsvjFZ1",
    "token": "AZIfswEafFtzj2KFtXjYPAGiH69hGHfrsAMIpzfWCtIAAAAAaUApgPbp6h6xGQ9rIzmOKhXc9d8NBjtD3vmDBJsvjFZ1",
    "expires_at": "2026-11-21T17:42:31Z"
}))]
#[schema(as = OrderDownload)]
pub struct OrderDownloadDto {
    /// The plan bought (a UUID).
    pub product_id: Uuid,
    /// The format bought (a UUID).
    pub format_id: Uuid,
    /// The plan's slug when it was bought.
    pub slug: String,
    /// The plan's title when it was bought.
    pub title: String,
    /// What the file is: `pdf` (the plans as a PDF document) or `cad`
    /// (editable CAD drawings).
    #[schema(example = "pdf")]
    pub kind: String,
    /// Whether the shop has put the file online: `false` while it is
    /// being prepared (contact the shop if it lasts).
    pub available: bool,
    /// The file's media type; `null` while it is not available.
    pub content_type: Option<FileContentTypeDto>,
    /// Its size in bytes; `null` while it is not available.
    pub size: Option<u64>,
    /// The name the download is saved under; `null` while it is not
    /// available.
    #[schema(example = "maison-contemporaine-129-pdf.pdf")]
    pub file_name: Option<String>,
    /// Downloads of this file made for this order.
    pub downloads_used: u32,
    /// Downloads of this file left for this order (the limit is
    /// `download_limit`).
    pub downloads_remaining: u32,
    /// The download link: a signed URL that works without credentials
    /// until `expires_at`, each use counted; keep it private. `null` when
    /// the file is not available or no download is left. List again for
    /// a fresh link.
    pub url: Option<String>,
    /// The link's token, what `url` ends with: the `{token}` of
    /// `GET /v1/downloads/{token}`, for a client that builds the URL
    /// itself. `null` without a link.
    pub token: Option<String>,
    /// Until when `url` works (RFC 3339, UTC); `null` without a link.
    pub expires_at: Option<DateTime<Utc>>,
}

fn link_dto(l: DownloadLink, public_url: &str) -> OrderDownloadDto {
    OrderDownloadDto {
        product_id: l.line.product_id.as_uuid(),
        format_id: l.line.format_id.as_uuid(),
        available: l.file.is_some(),
        content_type: l.file.as_ref().map(|f| f.file_type.into()),
        size: l.file.as_ref().map(|f| f.size),
        file_name: l
            .file
            .as_ref()
            .map(|f| download::file_name(&l.line.slug, &l.line.kind, &f.extension)),
        slug: l.line.slug,
        title: l.line.title,
        kind: l.line.kind,
        downloads_used: l.used,
        downloads_remaining: l.remaining,
        url: l
            .token
            .as_ref()
            .map(|t| format!("{}/v1/downloads/{t}", public_url.trim_end_matches('/'))),
        token: l.token,
        expires_at: l.expires_at,
    }
}

/// The plan files of an order and their download links.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({
    "order_id": "01a21fb3-1a2b-7c3d-8e4f-5a6b7c8d9e0f",
    "status": "completed",
    "download_limit": 5,
    "downloads": [{
        "product_id": "01a21faf-9618-77eb-b003-08a5b1c2d3e4",
        "format_id": "01a21faf-9618-77eb-b003-08a737d60ad2",
        "slug": "maison-contemporaine-129",
        "title": "Maison contemporaine de 129 m²",
        "kind": "pdf",
        "available": true,
        "content_type": "application/pdf",
        "size": 2_483_114,
        "file_name": "maison-contemporaine-129-pdf.pdf",
        "downloads_used": 1,
        "downloads_remaining": 4,
        "url": "https://api.boutique.example/v1/downloads/AZIfswEafFtzj2KFtXjYPAGiH69hGHfrsAMIpzfWCtIAAAAAaUApgPbp6h6xGQ9rIzmOKhXc9d8NBjtD3vmDBJsvjFZ1",
        "token": "AZIfswEafFtzj2KFtXjYPAGiH69hGHfrsAMIpzfWCtIAAAAAaUApgPbp6h6xGQ9rIzmOKhXc9d8NBjtD3vmDBJsvjFZ1",
        "expires_at": "2026-11-21T17:42:31Z"
    }]
}))]
#[schema(as = OrderDownloads)]
pub struct OrderDownloadsDto {
    /// The order (a UUID).
    pub order_id: Uuid,
    /// Where the order stands: files are downloaded once it is paid
    /// (`processing`, `completed`, `partially_refunded`), never before,
    /// nor once cancelled or refunded.
    pub status: OrderStatusDto,
    /// How many times each file may be downloaded for an order.
    #[schema(example = 5)]
    pub download_limit: u32,
    /// One entry per PDF or CAD format bought; empty while the order is
    /// not paid, and once it is cancelled or refunded.
    pub downloads: Vec<OrderDownloadDto>,
}

impl OrderDownloadsDto {
    fn new(d: Downloads, public_url: &str) -> Self {
        Self {
            order_id: d.order.summary.id.as_uuid(),
            status: d.order.summary.status.into(),
            download_limit: d.limit,
            downloads: d
                .links
                .into_iter()
                .map(|l| link_dto(l, public_url))
                .collect(),
        }
    }
}

/// The download links of an order's plan files: its customer with the
/// bearer token, or a guest with its secret (`X-Order-Secret`).
///
/// Once the order is paid, each PDF or CAD format bought has an entry,
/// with a signed link (`url`) that works without credentials until
/// `expires_at` (`BOUTIQUE_DOWNLOAD_LINK_HOURS`, 24 hours by default) and
/// counts each download, up to `download_limit` per file
/// (`BOUTIQUE_DOWNLOAD_LIMIT`, 5 by default). Listing again gives fresh
/// links; it does not reset the count. Before payment, and once the order
/// is cancelled or refunded, there are none. Without a token or a
/// secret, 401; any other caller gets 404.
#[utoipa::path(
    tag = "orders",
    operation_id = "list_order_downloads",
    security(("bearer" = []), ("order_secret" = [])),
    params(("order_id" = Uuid, Path, description = "The order's id")),
    responses(
        (status = 200, description = "The order's plan files and their links", body = OrderDownloadsDto),
        (status = 404, description = "No order has this id, or the caller may not read it", body = Problem, content_type = "application/problem+json"),
        MaybeSignedInErrors,
    )
)]
#[get("/v1/orders/{order_id}/downloads")]
pub async fn list_order_downloads(
    state: SharedState,
    auth: MaybeAuth,
    req: HttpRequest,
    path: web::Path<String>,
) -> Result<web::Json<OrderDownloadsDto>, ApiError> {
    let (holder, id) = order_holder(&state, &auth, &req, &path)?;
    let downloads = download::list(
        state.store.as_ref(),
        state.index.as_ref(),
        state.clock.as_ref(),
        &state.downloads,
        &holder,
        id,
    )
    .await?;
    Ok(web::Json(OrderDownloadsDto::new(
        downloads,
        &state.config.public_url,
    )))
}

fn download_error(e: DownloadError) -> ApiError {
    match e {
        DownloadError::LinkExpired => ApiError::DownloadLinkExpired,
        DownloadError::LimitReached => ApiError::DownloadLimitReached,
        DownloadError::Unavailable => ApiError::NotFound(
            "This plan's file is not available at the moment; contact the shop.".into(),
        ),
        DownloadError::Storage(s) => s.into(),
    }
}

/// Download a plan file with a link from `GET /v1/orders/{order_id}/downloads`.
///
/// The link is the credential: no token or secret is needed. Each answer
/// counts one download of the file for its order; past the order's limit
/// the link is refused (`download-limit-reached`), as it is once expired,
/// forged, or once its order was cancelled or refunded
/// (`download-link-expired`). Every download is logged (time, and the
/// source address and browser, encrypted) for a year, as proof of
/// delivery. The file comes as an attachment named
/// `<plan slug>-<kind>.<extension>`, never cached.
#[utoipa::path(
    tag = "orders",
    operation_id = "download_file",
    params(("token" = String, Path, description = "The link's signed token, as `url` carries it", pattern = "^[A-Za-z0-9_-]{1,200}$")),
    responses(
        (status = 200, description = "The file, as an attachment", content(
            (String = "application/pdf", example = "%PDF-1.7 …"),
            (String = "application/zip", example = "PK…"),
            (String = "application/octet-stream", example = "AC1032…"),
        ), headers(
            ("Content-Disposition" = String, description = "`attachment; filename=\"<plan slug>-<kind>.<extension>\"` (ASCII)"),
            ("Content-Length" = u64, description = "The file's size in bytes"),
            ("Cache-Control" = String, description = "`no-store`"),
        )),
        (status = 404, description = "The token does not have a token's form, or the plan's file is not available at the moment (the shop removed it)", body = Problem, content_type = "application/problem+json"),
        (status = 410, description = "The link expired, is not valid, or its order was cancelled or refunded (`/problems/download-link-expired`: list the downloads again for a fresh link); or the file was downloaded as many times as the order allows (`/problems/download-limit-reached`)", body = Problem, content_type = "application/problem+json", examples(
            ("download-link-expired" = (summary = "Expired, not valid or revoked", value = json!({
                "type": "/problems/download-link-expired",
                "title": "The download link has expired or is not valid",
                "status": 410,
                "detail": "This download link has expired or is not valid, or its order was cancelled or refunded: list the order's downloads again (GET /v1/orders/{order_id}/downloads) for fresh links.",
                "request_id": "01a21faf-6bed-763f-b118-5f19d3069f85"
            }))),
            ("download-limit-reached" = (summary = "No download left", value = json!({
                "type": "/problems/download-limit-reached",
                "title": "The download limit of this file is reached",
                "status": 410,
                "detail": "This file was downloaded as many times as the order allows; contact the shop if you need it again.",
                "request_id": "01a21faf-6bed-763f-b118-5f19d3069f85"
            })))
        )),
    )
)]
#[get("/v1/downloads/{token}")]
pub async fn download_file(
    state: SharedState,
    req: HttpRequest,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let well_formed = (1..=200).contains(&path.len())
        && path
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
    if !well_formed {
        return Err(ApiError::NotFound(
            "No download link has this token.".into(),
        ));
    }
    let origin = state.origin(&req);
    let d = download::download(
        state.store.as_ref(),
        state.index.as_ref(),
        state.clock.as_ref(),
        state.files.as_ref(),
        &state.downloads,
        &path,
        &origin,
    )
    .await
    .map_err(download_error)?;
    let stream = futures_util::stream::try_unfold(d.reader, |mut reader| async move {
        match reader.next_chunk().await {
            Ok(Some(chunk)) => Ok(Some((web::Bytes::from(chunk), reader))),
            Ok(None) => Ok(None),
            Err(e) => {
                tracing::error!(error = %e, "a download stopped: its file could not be read");
                Err(e)
            }
        }
    });
    Ok(HttpResponse::Ok()
        .content_type(d.file.file_type.as_str())
        .insert_header((
            "content-disposition",
            format!("attachment; filename=\"{}\"", d.file_name),
        ))
        .insert_header(("cache-control", "no-store"))
        // Files are streamed as they are, with their length: never
        // recompressed.
        .insert_header(("content-encoding", "identity"))
        .no_chunking(d.file.size)
        .streaming(stream))
}

/// Optional settings of an upload.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct FileParams {
    /// The extension of the name downloads are saved under, 1 to 8
    /// lower-case letters and digits (`dwg`, `dxf`, `ifc`...). By default
    /// from the media type: `pdf`, `zip`, and for other bytes `dwg` on a
    /// CAD format, else `bin`.
    #[param(pattern = "^[a-z0-9]{1,8}$", example = "dwg")]
    pub extension: Option<String>,
}

fn ids(path: &(String, String)) -> Result<(ProductId, FormatId), ApiError> {
    let product = path
        .0
        .parse()
        .map_err(|_| ApiError::NotFound("No plan has this id.".into()))?;
    let format = path
        .1
        .parse()
        .map_err(|_| ApiError::NotFound("This plan has no format with this id.".into()))?;
    Ok((product, format))
}

/// Put the file a PDF or CAD format delivers (staff), replacing the one
/// it had: the raw bytes as the body, `Content-Type` `application/pdf`,
/// `application/zip` or `application/octet-stream` (CAD drawings), up to
/// `BOUTIQUE_FILE_UPLOAD_LIMIT` bytes (200 MiB by default). The file is
/// streamed to storage under a random name, with its size and SHA-256;
/// customers download it as `<plan slug>-<kind>.<extension>`. Audited.
#[utoipa::path(
    tag = "admin",
    operation_id = "admin_put_format_file",
    security(("bearer" = []), ("api_key" = ["catalogue:write"])),
    params(
        ("product_id" = Uuid, Path, description = "The plan's id"),
        ("format_id" = Uuid, Path, description = "The format's id (a PDF or CAD format)"),
        FileParams,
    ),
    request_body(description = "The file's bytes", content(
        (String = "application/pdf", example = "%PDF-1.7 …"),
        (String = "application/zip", example = "PK…"),
        (String = "application/octet-stream", example = "AC1032…"),
    )),
    responses(
        (status = 200, description = "The format's file, replacing the previous one", body = FormatFileDto),
        (status = 201, description = "The format's file, its first", body = FormatFileDto),
        (status = 400, description = "An empty body, or a bad `extension`", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No plan has this id, or it has no such format", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "The format is a printed set, which is shipped, not downloaded", body = Problem, content_type = "application/problem+json"),
        (status = 413, description = "The file is larger than `BOUTIQUE_FILE_UPLOAD_LIMIT` bytes", body = Problem, content_type = "application/problem+json"),
        (status = 415, description = "The `Content-Type` is not `application/pdf`, `application/zip` or `application/octet-stream`", body = Problem, content_type = "application/problem+json"),
        SignedInErrors,
    )
)]
#[put("/v1/admin/products/{product_id}/formats/{format_id}/file")]
pub async fn admin_put_format_file(
    state: SharedState,
    staff: StaffOrKey<CatalogueWrite>,
    req: HttpRequest,
    path: web::Path<(String, String)>,
    params: Params<FileParams>,
    mut payload: web::Payload,
) -> Result<HttpResponse, ApiError> {
    let (product, format) = ids(&path)?;
    let p = params.read()?;
    if let Some(ext) = &p.extension
        && !valid_extension(ext)
    {
        let mut f = FieldErrors::default();
        f.push_code(
            "extension",
            domain::FieldCode::InvalidFormat,
            "must be 1 to 8 lower-case letters and digits",
        );
        return Err(ApiError::Validation(f));
    }
    let file_type = header(&req, "content-type")
        .and_then(FileType::parse)
        .ok_or(ApiError::UnsupportedMediaType)?;
    let limit = state.config.file_upload_limit;
    let too_large = || ApiError::PayloadTooLarge(usize::try_from(limit).unwrap_or(usize::MAX));
    if header(&req, "content-length")
        .and_then(|v| v.parse::<u64>().ok())
        .is_some_and(|n| n > limit)
    {
        return Err(too_large());
    }
    let plan = state.catalogue.store().find(product).await?;
    let target = download::file_target(plan.as_ref(), format)?;
    let extension = p
        .extension
        .unwrap_or_else(|| file_type.default_extension(target.kind).to_owned());
    // Streamed to storage: dropped on any error, the partial file goes.
    let mut upload = state.files.create().await?;
    while let Some(chunk) = payload.next().await {
        let chunk =
            chunk.map_err(|e| ApiError::BadRequest(format!("the body could not be read: {e}")))?;
        if upload.written() + chunk.len() as u64 > limit {
            return Err(too_large());
        }
        upload.write(&chunk).await?;
    }
    if upload.written() == 0 {
        let mut f = FieldErrors::default();
        f.push_code("body", domain::FieldCode::Required, "holds no file");
        return Err(ApiError::Validation(f));
    }
    let stored = upload.finish().await?;
    let (file, replaced) = download::attach_file(
        state.store.as_ref(),
        state.clock.as_ref(),
        state.files.as_ref(),
        &staff.0,
        &target,
        stored,
        file_type,
        extension,
    )
    .await?;
    let status = if replaced {
        StatusCode::OK
    } else {
        StatusCode::CREATED
    };
    Ok(HttpResponse::build(status).json(FormatFileDto::from(file)))
}

/// The file a format delivers (staff): its media type, size and SHA-256.
#[utoipa::path(
    tag = "admin",
    operation_id = "admin_get_format_file",
    security(("bearer" = []), ("api_key" = ["catalogue:read"])),
    params(
        ("product_id" = Uuid, Path, description = "The plan's id"),
        ("format_id" = Uuid, Path, description = "The format's id"),
    ),
    responses(
        (status = 200, description = "The format's file", body = FormatFileDto),
        (status = 404, description = "The format has no file, or no such plan or format", body = Problem, content_type = "application/problem+json"),
        SignedInErrors,
    )
)]
#[get("/v1/admin/products/{product_id}/formats/{format_id}/file")]
pub async fn admin_get_format_file(
    state: SharedState,
    _staff: StaffOrKey<CatalogueRead>,
    path: web::Path<(String, String)>,
) -> Result<web::Json<FormatFileDto>, ApiError> {
    let (product, format) = ids(&path)?;
    let file = download::file_of(state.store.as_ref(), product, format).await?;
    Ok(web::Json(file.into()))
}

/// Remove the file a format delivers (staff): its downloads stop until a
/// new file is put. Audited.
#[utoipa::path(
    tag = "admin",
    operation_id = "admin_delete_format_file",
    security(("bearer" = []), ("api_key" = ["catalogue:write"])),
    params(
        ("product_id" = Uuid, Path, description = "The plan's id"),
        ("format_id" = Uuid, Path, description = "The format's id"),
    ),
    responses(
        (status = 204, description = "Removed"),
        (status = 404, description = "The format has no file, or no such plan or format", body = Problem, content_type = "application/problem+json"),
        SignedInErrors,
    )
)]
#[delete("/v1/admin/products/{product_id}/formats/{format_id}/file")]
pub async fn admin_delete_format_file(
    state: SharedState,
    staff: StaffOrKey<CatalogueWrite>,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, ApiError> {
    let (product, format) = ids(&path)?;
    download::detach_file(
        state.store.as_ref(),
        state.clock.as_ref(),
        state.files.as_ref(),
        &staff.0,
        product,
        format,
    )
    .await?;
    Ok(HttpResponse::NoContent().finish())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn file_content_types_have_their_media_type_names() {
        for t in FileType::ALL {
            assert_eq!(
                serde_json::to_value(FileContentTypeDto::from(t)).unwrap(),
                serde_json::json!(t.as_str())
            );
        }
    }

    #[test]
    fn download_errors_map_to_their_problems() {
        assert_eq!(
            download_error(DownloadError::LinkExpired).problem().kind,
            "/problems/download-link-expired"
        );
        assert_eq!(
            download_error(DownloadError::LimitReached).problem().kind,
            "/problems/download-limit-reached"
        );
        assert_eq!(
            download_error(DownloadError::Unavailable).problem().status,
            404
        );
    }
}
