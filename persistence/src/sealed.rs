//! The registry of sealed columns: every column that holds personal data in
//! this database, and whose key seals it. The sealing code takes its
//! table and column names from here (a [`SealedColumn`] is what
//! [`crate::vault::DataKey::seal`] asks for), and export, erasure and
//! retention will walk [`SEALED`] to find a subject's data.
//!
//! A test reads the migrated schema and fails when a `*_enc` column is not
//! registered, when a table is not classified, or when a column of a
//! personal table is neither sealed nor listed as kept in clear.

/// Whose key seals a column.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyOwner {
    /// The data subject the row belongs to (`subject_column` names it).
    Subject,
    /// The legal archive (`domain::shop::invoice::LEGAL_ARCHIVE`), whose
    /// key no erasure destroys: what the law makes the shop keep (invoices,
    /// 10 years) is sealed under it, never under the customer's key.
    /// `subject_column` holds the archive's id.
    LegalArchive,
}

/// One sealed column.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SealedColumn {
    /// Table.
    pub table: &'static str,
    /// Column (a blob of `1 | nonce | ciphertext+tag`).
    pub column: &'static str,
    /// Whose key seals it.
    pub owner: KeyOwner,
    /// The column naming the row's data subject (the key's id).
    pub subject_column: &'static str,
}

const fn subject(
    table: &'static str,
    column: &'static str,
    subject_column: &'static str,
) -> SealedColumn {
    SealedColumn {
        table,
        column,
        owner: KeyOwner::Subject,
        subject_column,
    }
}

/// `customers.email_enc`.
pub const CUSTOMER_EMAIL: SealedColumn = subject("customers", "email_enc", "id");
/// `customers.name_enc`.
pub const CUSTOMER_NAME: SealedColumn = subject("customers", "name_enc", "id");
/// `customers.phone_enc`.
pub const CUSTOMER_PHONE: SealedColumn = subject("customers", "phone_enc", "id");
/// `customer_addresses.address_enc` (the whole address as JSON).
pub const ADDRESS: SealedColumn = subject("customer_addresses", "address_enc", "customer_id");
/// `sessions.user_agent_enc`.
pub const SESSION_USER_AGENT: SealedColumn = subject("sessions", "user_agent_enc", "customer_id");
/// `sessions.ip_enc`.
pub const SESSION_IP: SealedColumn = subject("sessions", "ip_enc", "customer_id");
/// `outbox.payload_enc` (recipient, name, links).
pub const OUTBOX_PAYLOAD: SealedColumn = subject("outbox", "payload_enc", "subject_id");
/// `idempotency_records.response_enc`: an account's recorded answer (an
/// address, a staff member's e-mail...), under the calling account's key.
pub const IDEMPOTENCY_RESPONSE: SealedColumn =
    subject("idempotency_records", "response_enc", "subject_id");

/// `consent_events.source_enc`: the full source address of a consent event.
pub const CONSENT_SOURCE: SealedColumn = subject("consent_events", "source_enc", "subject_id");
/// `newsletter_subscribers.email_enc`: a subscriber's address.
pub const SUBSCRIBER_EMAIL: SealedColumn =
    subject("newsletter_subscribers", "email_enc", "subject_id");
/// `contact_messages.name_enc`: a contact message writer's name.
pub const CONTACT_NAME: SealedColumn = subject("contact_messages", "name_enc", "subject_id");
/// `contact_messages.email_enc`: a contact message writer's address.
pub const CONTACT_EMAIL: SealedColumn = subject("contact_messages", "email_enc", "subject_id");
/// `contact_messages.message_enc`: a contact message's text.
pub const CONTACT_MESSAGE: SealedColumn = subject("contact_messages", "message_enc", "subject_id");
/// `contact_messages.order_number_enc`: the order a contact message is about.
pub const CONTACT_ORDER_NUMBER: SealedColumn =
    subject("contact_messages", "order_number_enc", "subject_id");
/// `contact_messages.ip_enc`: a contact message's full source address.
pub const CONTACT_IP: SealedColumn = subject("contact_messages", "ip_enc", "subject_id");
/// `contact_messages.user_agent_enc`: a contact message's browser.
pub const CONTACT_USER_AGENT: SealedColumn =
    subject("contact_messages", "user_agent_enc", "subject_id");
/// `contact_replies.body_enc`: staff's answer to a contact message.
pub const CONTACT_REPLY: SealedColumn = subject("contact_replies", "body_enc", "subject_id");
/// `article_comments.name_enc`: a commenter's name.
pub const COMMENT_NAME: SealedColumn = subject("article_comments", "name_enc", "subject_id");
/// `article_comments.email_enc`: a commenter's address.
pub const COMMENT_EMAIL: SealedColumn = subject("article_comments", "email_enc", "subject_id");
/// `article_comments.website_enc`: a commenter's website.
pub const COMMENT_WEBSITE: SealedColumn = subject("article_comments", "website_enc", "subject_id");
/// `article_comments.body_enc`: a comment's text.
pub const COMMENT_BODY: SealedColumn = subject("article_comments", "body_enc", "subject_id");
/// `article_comments.ip_enc`: a commenter's full source address.
pub const COMMENT_IP: SealedColumn = subject("article_comments", "ip_enc", "subject_id");
/// `article_comments.user_agent_enc`: a commenter's browser.
pub const COMMENT_USER_AGENT: SealedColumn =
    subject("article_comments", "user_agent_enc", "subject_id");
/// `carts.email_enc`: the e-mail attached to a cart.
pub const CART_EMAIL: SealedColumn = subject("carts", "email_enc", "subject_id");
/// `orders.buyer_enc`: the buyer's e-mail, name, phone, addresses, source
/// address and browser, as checkout took them.
pub const ORDER_BUYER: SealedColumn = subject("orders", "buyer_enc", "subject_id");
/// `orders.lines_enc`: what was bought (a purchase history is personal).
pub const ORDER_LINES: SealedColumn = subject("orders", "lines_enc", "subject_id");
/// `download_log.ip_enc`: the full source address of a plan download.
pub const DOWNLOAD_IP: SealedColumn = subject("download_log", "ip_enc", "subject_id");
/// `download_log.user_agent_enc`: the browser of a plan download.
pub const DOWNLOAD_USER_AGENT: SealedColumn =
    subject("download_log", "user_agent_enc", "subject_id");
/// `reviews.title_enc`: a review's title.
pub const REVIEW_TITLE: SealedColumn = subject("reviews", "title_enc", "customer_id");
/// `reviews.body_enc`: a review's text.
pub const REVIEW_BODY: SealedColumn = subject("reviews", "body_enc", "customer_id");
/// `reviews.author_enc`: the author's first name, as shown with the review.
pub const REVIEW_AUTHOR: SealedColumn = subject("reviews", "author_enc", "customer_id");
/// `complaint_messages.body_enc`: a message of a complaint's thread (the
/// customer's or staff's), under the order's subject.
pub const COMPLAINT_MESSAGE: SealedColumn = subject("complaint_messages", "body_enc", "subject_id");
/// `invoices.archive_enc`: an invoice or credit note as issued (buyer's
/// name and billing address, lines, VAT, seller), under the legal
/// archive's key.
pub const INVOICE_ARCHIVE: SealedColumn = SealedColumn {
    table: "invoices",
    column: "archive_enc",
    owner: KeyOwner::LegalArchive,
    subject_column: "subject_id",
};

/// Every sealed column.
pub const SEALED: &[SealedColumn] = &[
    CUSTOMER_EMAIL,
    CUSTOMER_NAME,
    CUSTOMER_PHONE,
    ADDRESS,
    SESSION_USER_AGENT,
    SESSION_IP,
    OUTBOX_PAYLOAD,
    IDEMPOTENCY_RESPONSE,
    CONSENT_SOURCE,
    SUBSCRIBER_EMAIL,
    CONTACT_NAME,
    CONTACT_EMAIL,
    CONTACT_MESSAGE,
    CONTACT_ORDER_NUMBER,
    CONTACT_IP,
    CONTACT_USER_AGENT,
    CONTACT_REPLY,
    COMMENT_NAME,
    COMMENT_EMAIL,
    COMMENT_WEBSITE,
    COMMENT_BODY,
    COMMENT_IP,
    COMMENT_USER_AGENT,
    CART_EMAIL,
    ORDER_BUYER,
    ORDER_LINES,
    INVOICE_ARCHIVE,
    REVIEW_TITLE,
    REVIEW_BODY,
    REVIEW_AUTHOR,
    DOWNLOAD_IP,
    DOWNLOAD_USER_AGENT,
    COMPLAINT_MESSAGE,
    PRIVACY_REQUEST_EMAIL,
    DPO_NOTES,
];

/// A table that holds personal data, with the columns it keeps in clear
/// (ids, timestamps, flags, keyed hashes, truncated addresses) and why
/// that is fine. Every other column must be sealed.
#[derive(Debug, Clone, Copy)]
pub struct PersonalTable {
    /// Table.
    pub name: &'static str,
    /// Columns kept in clear.
    pub clear: &'static [&'static str],
    /// Why the clear columns reveal no one.
    pub why: &'static str,
    /// The timestamp column the retention rule counts from.
    pub clock: &'static str,
    /// The retention rule, as the record of processing states it (the
    /// retention job enforces these).
    pub retention: &'static str,
}

/// Whether an export shows a clear column: keyed hashes and password
/// hashes mean nothing to the person and would help an attacker.
#[must_use]
pub fn exported(column: &str) -> bool {
    !(column.ends_with("_bidx")
        || column.ends_with("_hash")
        || column == "hash"
        || column == "fingerprint"
        || column == "key")
}

/// `privacy_requests.email_enc`: where a request's mails go.
pub const PRIVACY_REQUEST_EMAIL: SealedColumn =
    subject("privacy_requests", "email_enc", "subject_id");

/// `dpo_requests.notes_enc`: staff's notes on a request to the DPO.
pub const DPO_NOTES: SealedColumn = subject("dpo_requests", "notes_enc", "customer_id");

/// Every table with personal data.
pub const PERSONAL_TABLES: &[PersonalTable] = &[
    PersonalTable {
        name: "customers",
        clock: "last_active_at",
        retention: "inactive customer accounts: 6 months after the last login or order (RET-2); staff accounts are kept while employed",
        clear: &[
            "id",
            "email_bidx",
            "role",
            "preferred_language",
            "display_prefs",
            "display_prefs_updated_at",
            "password_hash",
            "must_change_password",
            "created_at",
            "updated_at",
            "last_active_at",
            "inactivity_warned_at",
            "restricted_at",
        ],
        why: "the e-mail is found by a keyed blind index; the password only as an argon2id hash; display preferences are screen options",
    },
    PersonalTable {
        name: "customer_addresses",
        clock: "updated_at",
        retention: "with the account",
        clear: &["id", "customer_id", "kind", "created_at", "updated_at"],
        why: "ids, kind and timestamps only",
    },
    PersonalTable {
        name: "sessions",
        clock: "expires_at",
        retention: "30 days after the session's end",
        clear: &[
            "id",
            "customer_id",
            "remember_me",
            "created_at",
            "expires_at",
            "last_seen_at",
            "revoked_at",
        ],
        why: "ids and timestamps only",
    },
    PersonalTable {
        name: "auth_tokens",
        clock: "expires_at",
        retention: "7 days after expiry",
        clear: &[
            "id",
            "customer_id",
            "purpose",
            "token_hash",
            "created_at",
            "expires_at",
            "used_at",
        ],
        why: "tokens are stored only as SHA-256 hashes",
    },
    PersonalTable {
        name: "security_counters",
        clock: "updated_at",
        retention: "when the counting window or block ends",
        clear: &[
            "key",
            "kind",
            "count",
            "window_start",
            "blocked_until",
            "updated_at",
            "source_display",
            "customer_id",
        ],
        why: "sources are keyed hashes; the display form is truncated to /24 or /48",
    },
    PersonalTable {
        name: "audit_log",
        clock: "at",
        retention: "12 months",
        clear: &[
            "seq",
            "at",
            "actor",
            "action",
            "target",
            "source",
            "reason",
            "prev_hash",
            "hash",
        ],
        why: "ids and truncated sources only; free text must hold no personal data",
    },
    PersonalTable {
        name: "outbox",
        clock: "created_at",
        retention: "sent or given-up messages: 30 days",
        clear: &[
            "id",
            "subject_id",
            "template",
            "language",
            "created_at",
            "status",
            "attempts",
            "next_attempt_at",
            "locked_until",
            "sent_at",
            "last_error",
        ],
        why: "the message itself is sealed; errors never carry a recipient",
    },
    PersonalTable {
        name: "idempotency_records",
        clock: "created_at",
        retention: "24 hours (enforced by the idempotency-purge job)",
        clear: &[
            "id",
            "caller",
            "key_hash",
            "subject_id",
            "fingerprint",
            "created_at",
            "completed_at",
            "response",
        ],
        why: "callers are account ids or keyed hashes of the source; the key and the request \
are kept only as keyed hashes; `response` holds only answers to anonymous callers, which \
name no one (registration answers the same fixed message whatever happened); every \
account's answer is sealed; rows live 24 hours",
    },
    PersonalTable {
        name: "consent_events",
        clock: "at",
        retention: "the proof of a consent: 5 years after the relationship ends (limitation period), then with the subject's key",
        clear: &[
            "id",
            "subject_id",
            "purpose",
            "given",
            "channel",
            "policy_version",
            "policy_hash",
            "terms_version",
            "terms_hash",
            "at",
        ],
        why: "the ledger's proof (purpose, decision, versions, channel, time) names only the subject's id; the source address is sealed",
    },
    PersonalTable {
        name: "consent_state",
        clock: "updated_at",
        retention: "with the subject",
        clear: &[
            "subject_id",
            "purpose",
            "given",
            "policy_version",
            "terms_version",
            "updated_at",
        ],
        why: "ids, decisions and versions only",
    },
    PersonalTable {
        name: "guest_subjects",
        clock: "last_used_at",
        retention: "when none of the guest's data remains; attached: erased with the account",
        clear: &[
            "id",
            "email_bidx",
            "created_at",
            "last_used_at",
            "customer_id",
            "attached_at",
        ],
        why: "the address only as a keyed blind index; the account that proved it owns the address",
    },
    PersonalTable {
        name: "newsletter_subscribers",
        clock: "updated_at",
        retention: "unconfirmed: 7 days (enforced by the newsletter job); unsubscribed: 30 days; confirmed without activity: 3 years",
        clear: &[
            "id",
            "subject_id",
            "email_bidx",
            "language",
            "status",
            "confirm_token_hash",
            "confirm_expires_at",
            "policy_version",
            "created_at",
            "confirmed_at",
            "unsubscribed_at",
            "updated_at",
        ],
        why: "the address is sealed and found by a keyed blind index; the confirmation token only as a SHA-256 hash",
    },
    PersonalTable {
        name: "contact_messages",
        clock: "created_at",
        retention: "1 year after the last answer or change (updated_at)",
        clear: &[
            "id",
            "subject_id",
            "customer_id",
            "topic",
            "language",
            "status",
            "policy_version",
            "created_at",
            "updated_at",
            "answered_at",
            "dsr_requested_at",
            "dsr_requested_by",
        ],
        why: "ids, topic, status and timestamps only",
    },
    PersonalTable {
        name: "contact_replies",
        clock: "created_at",
        retention: "with their message",
        clear: &["id", "message_id", "subject_id", "staff_id", "created_at"],
        why: "ids and timestamps only",
    },
    PersonalTable {
        name: "article_comments",
        clock: "created_at",
        retention: "approved: while the article is published; pending or spam: 30 days; of an erased author: with the author's key",
        clear: &[
            "id",
            "article_id",
            "subject_id",
            "customer_id",
            "status",
            "created_at",
            "moderated_at",
            "moderated_by",
        ],
        why: "ids, status and timestamps only",
    },
    PersonalTable {
        name: "carts",
        clock: "last_activity_at",
        retention: "30 days after the last activity, with their e-mail (RET-1); checked-out carts with their order",
        clear: &[
            "id",
            "customer_id",
            "subject_id",
            "email_bidx",
            "status",
            "created_at",
            "updated_at",
            "last_activity_at",
        ],
        why: "ids, status and timestamps; the e-mail is sealed and found by a keyed blind index",
    },
    PersonalTable {
        name: "cart_lines",
        clock: "added_at",
        retention: "with their cart",
        clear: &[
            "id",
            "cart_id",
            "product_id",
            "format_id",
            "quantity",
            "added_at",
        ],
        why: "plan ids and quantities, linked to a person only through their cart",
    },
    PersonalTable {
        name: "orders",
        clock: "status_changed_at",
        retention: "pending payment or failed: 7 days (RET-3); cancelled: 48 hours (RET-4); completed or refunded: 1 year (RET-5), then the invoice alone in the legal archive for 10 years",
        clear: &[
            "id",
            "number",
            "cart_id",
            "subject_id",
            "customer_id",
            "email_bidx",
            "status",
            "payment_method",
            "country",
            "language",
            "currency",
            "goods_net",
            "discount_net",
            "shipping_net",
            "vat",
            "total",
            "shipping",
            "coupon_code",
            "source_key",
            "fraud_signals",
            "key_hash",
            "fingerprint",
            "created_at",
            "updated_at",
            "status_changed_at",
            "paid_at",
        ],
        why: "ids, amounts, status, destination country (tax) and shipping method; the buyer and the lines are sealed; the e-mail, the Idempotency-Key and the request only as keyed hashes",
    },
    PersonalTable {
        name: "order_events",
        clock: "at",
        retention: "with their order",
        clear: &[
            "id",
            "order_id",
            "from_status",
            "to_status",
            "at",
            "actor",
            "note",
        ],
        why: "statuses, times and the acting account's id; staff notes must hold no personal data",
    },
    PersonalTable {
        name: "invoices",
        clock: "issued_at",
        retention: "10 years after issue (Code de commerce L123-22), in the legal archive; never with the customer's key",
        clear: &[
            "id",
            "kind",
            "number",
            "year",
            "order_id",
            "subject_id",
            "issued_at",
            "currency",
            "total",
        ],
        why: "kind, number, order id, date and amount name no one; the buyer's name and address and the lines are sealed under the legal archive's key (subject_id is always the archive's id)",
    },
    PersonalTable {
        name: "coupon_uses",
        clock: "used_at",
        retention: "with the order that used the coupon (the per-person limit counts only what is kept)",
        clear: &["id", "coupon_id", "order_id", "email_bidx", "used_at"],
        why: "the buyer only as the keyed blind index of the e-mail, never an address in clear",
    },
    PersonalTable {
        name: "payments",
        clock: "updated_at",
        retention: "with their order",
        clear: &[
            "order_id",
            "provider",
            "intent_id",
            "amount",
            "currency",
            "status",
            "created_at",
            "updated_at",
        ],
        why: "the order's id, the provider's intent id, amount and status: no card data ever reaches Boutique",
    },
    PersonalTable {
        name: "payment_events",
        clock: "received_at",
        retention: "90 days (long enough for the provider's retries to be recognised)",
        clear: &["event_id", "kind", "order_id", "outcome", "received_at"],
        why: "the provider's event id and type, the order's id and what was done",
    },
    PersonalTable {
        name: "download_counts",
        clock: "last_at",
        retention: "with their order",
        clear: &["order_id", "format_id", "count", "first_at", "last_at"],
        why: "an order's id, a format's id, a count and times: linked to a person only through the order",
    },
    PersonalTable {
        name: "download_log",
        clock: "at",
        retention: "1 year after the download (proof of delivery), then deleted",
        clear: &["id", "order_id", "format_id", "subject_id", "at"],
        why: "ids and the time only; the source address and the browser are sealed under the order's subject",
    },
    PersonalTable {
        name: "reviews",
        clock: "updated_at",
        retention: "with the account (its author's key seals the title, text and first name); a plan's reviews go with the plan",
        clear: &[
            "id",
            "product_id",
            "customer_id",
            "status",
            "rating",
            "created_at",
            "updated_at",
            "moderated_at",
            "moderated_by",
        ],
        why: "ids, the rating (1 to 5), status and timestamps; the title, the text and the author's first name are sealed under the author's key",
    },
    PersonalTable {
        name: "recently_viewed",
        clock: "viewed_at",
        retention: "the 15 most recent per person; a guest cart's: 30 days after `viewed_at` (and with the cart); a customer's: 6 months after `viewed_at` (and with the account)",
        clear: &["id", "customer_id", "cart_id", "product_id", "viewed_at"],
        why: "plan ids and times, linked to a person only through an account or cart id",
    },
    PersonalTable {
        name: "refunds",
        clock: "created_at",
        retention: "with their order; the credit note itself is kept 10 years in the legal archive",
        clear: &[
            "id",
            "order_id",
            "amount",
            "currency",
            "method",
            "status",
            "reason",
            "provider_refund_id",
            "credit_note_number",
            "staff_id",
            "created_at",
            "updated_at",
        ],
        why: "amounts, status, the provider's refund id, the credit note's number and the staff member's id; linked to a person only through the order; the reason is staff's words about the order and must hold no personal data",
    },
    PersonalTable {
        name: "complaints",
        clock: "updated_at",
        retention: "with their order, and at most 1 year after closing (`closed_at`)",
        clear: &[
            "id",
            "order_id",
            "subject_id",
            "customer_id",
            "kind",
            "status",
            "created_at",
            "updated_at",
            "answered_at",
            "closed_at",
        ],
        why: "ids, kind, status and timestamps only; the messages are sealed",
    },
    PersonalTable {
        name: "complaint_messages",
        clock: "created_at",
        retention: "with their complaint",
        clear: &["id", "complaint_id", "subject_id", "staff_id", "created_at"],
        why: "ids and timestamps only; the text is sealed under the order's subject",
    },
    PersonalTable {
        name: "privacy_requests",
        clock: "created_at",
        retention: "1 year after the request (proof it was answered); the address unreadable once the person is erased",
        clear: &[
            "id",
            "subject_id",
            "kind",
            "language",
            "token_hash",
            "expires_at",
            "download_hash",
            "download_expires_at",
            "status",
            "created_at",
            "confirmed_at",
            "done_at",
        ],
        why: "ids, hashes of single-use tokens, times; the address is sealed",
    },
    PersonalTable {
        name: "dpo_requests",
        clock: "updated_at",
        retention: "3 years after the answer (proof it was answered); the notes unreadable once the person is erased",
        clear: &[
            "id",
            "customer_id",
            "kind",
            "channel",
            "received_at",
            "due_at",
            "extended",
            "verified_at",
            "status",
            "fulfilled_at",
            "contact_message_id",
            "recorded_by",
            "created_at",
            "updated_at",
        ],
        why: "ids, the right exercised, dates; staff's notes are sealed",
    },
];

/// Tables with no personal data at all.
pub const IMPERSONAL_TABLES: &[&str] = &[
    // Descriptions of breaches and counts, never who was concerned.
    "breaches",
    "products",
    "product_formats",
    "catalogue_revision",
    "catalogue_changes",
    "audit_head",
    "job_leases",
    "seaql_migrations",
    "legal_documents",
    "consent_purposes",
    "newsletter_campaigns",
    "articles",
    "content_revisions",
    "invoice_sequences",
    "product_ratings",
    "format_files",
    "coupons",
    // Keyed hashes of secrets, names and scopes of integrations.
    "api_keys",
    // URLs and event types of integrations.
    "webhook_endpoints",
    // Ids and facts only: buyers' details are read at sending, never stored.
    "webhook_deliveries",
];

/// The registered column, if `table.column` is sealed.
#[must_use]
pub fn sealed(table: &str, column: &str) -> Option<&'static SealedColumn> {
    SEALED
        .iter()
        .find(|c| c.table == table && c.column == column)
}

/// What is wrong with a schema (table -> columns) against the registry.
#[must_use]
pub fn check_schema(schema: &[(String, Vec<String>)]) -> Vec<String> {
    let mut problems = Vec::new();
    for (table, columns) in schema {
        let personal = PERSONAL_TABLES.iter().find(|t| t.name == table);
        if personal.is_none() && !IMPERSONAL_TABLES.contains(&table.as_str()) {
            problems.push(format!(
                "table {table} is neither personal nor impersonal in the registry"
            ));
        }
        if let Some(t) = personal
            && !columns.iter().any(|c| c == t.clock)
        {
            problems.push(format!(
                "{table}.{} (the clock of its retention rule) is not in the schema",
                t.clock
            ));
        }
        for column in columns {
            let is_sealed = sealed(table, column).is_some();
            if column.ends_with("_enc") && !is_sealed {
                problems.push(format!(
                    "{table}.{column} looks sealed but is not in SEALED"
                ));
            }
            if let Some(t) = personal
                && !is_sealed
                && !t.clear.contains(&column.as_str())
            {
                problems.push(format!(
                    "{table}.{column} is in a personal table but neither sealed nor declared clear"
                ));
            }
        }
    }
    for c in SEALED {
        let found = schema.iter().any(|(t, cols)| {
            t == c.table
                && cols.iter().any(|x| x == c.column)
                && cols.iter().any(|x| x == c.subject_column)
        });
        if !found {
            problems.push(format!(
                "{}.{} is registered but not in the schema",
                c.table, c.column
            ));
        }
    }
    problems
}

#[cfg(test)]
mod tests {
    use super::*;
    use sea_orm::{ConnectionTrait, Statement};

    async fn sqlite_schema() -> Vec<(String, Vec<String>)> {
        let db = crate::Db::connect("sqlite::memory:", 1).await.unwrap();
        db.migrate_up().await.unwrap();
        let conn = db.conn();
        let backend = conn.get_database_backend();
        let tables = conn
            .query_all_raw(Statement::from_string(
                backend,
                "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name",
            ))
            .await
            .unwrap();
        let mut schema = Vec::new();
        for t in tables {
            let name: String = t.try_get("", "name").unwrap();
            let cols = conn
                .query_all_raw(Statement::from_string(
                    backend,
                    format!("SELECT name FROM pragma_table_info('{name}')"),
                ))
                .await
                .unwrap()
                .into_iter()
                .map(|r| r.try_get::<String>("", "name").unwrap())
                .collect();
            schema.push((name, cols));
        }
        schema
    }

    /// Fails when a migration adds a personal column (for example a new
    /// `*_enc` column) without registering it here.
    #[tokio::test]
    async fn acc_6_every_personal_column_of_the_schema_is_registered() {
        let schema = sqlite_schema().await;
        assert!(schema.iter().any(|(t, _)| t == "customers"), "{schema:?}");
        let problems = check_schema(&schema);
        assert!(problems.is_empty(), "{problems:#?}");
    }

    /// RET-6: every table with personal data is purged by some retention
    /// rule, and every rule names tables that exist.
    #[tokio::test]
    async fn ret_6_every_personal_table_has_a_retention_rule() {
        use domain::retention::Category;
        let rules: Vec<_> = Category::ALL.iter().map(|c| c.default_rule()).collect();
        let missing: Vec<&str> = PERSONAL_TABLES
            .iter()
            .map(|t| t.name)
            .filter(|name| !rules.iter().any(|r| r.tables.contains(name)))
            .collect();
        assert!(missing.is_empty(), "no retention rule purges {missing:?}");
        let schema = sqlite_schema().await;
        for r in &rules {
            for t in r.tables {
                assert!(
                    schema.iter().any(|(name, _)| name == t),
                    "{} names {t}, which is not a table",
                    r.category
                );
            }
        }
    }

    #[test]
    fn an_unregistered_enc_column_or_table_is_caught() {
        let schema = vec![
            (
                "customers".to_owned(),
                vec![
                    "id".into(),
                    "email_enc".into(),
                    "name_enc".into(),
                    "phone_enc".into(),
                    "iban_enc".into(),
                ],
            ),
            ("wishlists".to_owned(), vec!["id".into()]),
        ];
        let problems = check_schema(&schema);
        assert!(
            problems
                .iter()
                .any(|p| p.contains("customers.iban_enc looks sealed")),
            "{problems:#?}"
        );
        assert!(
            problems.iter().any(|p| p.contains("table wishlists")),
            "{problems:#?}"
        );
    }
}
