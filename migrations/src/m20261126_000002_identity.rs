//! Accounts, sessions, single-use tokens, security counters, the audit log,
//! the mail outbox and job leases. Personal fields are `*_enc` blobs
//! (AES-256-GCM under the subject's data key); e-mail lookup goes through a
//! keyed blind index.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Customers {
    Table,
    Id,
    EmailBidx,
    EmailEnc,
    NameEnc,
    PhoneEnc,
    Role,
    PreferredLanguage,
    DisplayPrefs,
    DisplayPrefsUpdatedAt,
    PasswordHash,
    MustChangePassword,
    PrivacyPolicyVersion,
    PrivacyPolicyAcceptedAt,
    CreatedAt,
    UpdatedAt,
    LastActiveAt,
}

#[derive(DeriveIden)]
enum CustomerAddresses {
    Table,
    Id,
    CustomerId,
    Kind,
    AddressEnc,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum Sessions {
    Table,
    Id,
    CustomerId,
    RememberMe,
    CreatedAt,
    ExpiresAt,
    LastSeenAt,
    RevokedAt,
    UserAgentEnc,
    IpEnc,
}

#[derive(DeriveIden)]
enum AuthTokens {
    Table,
    Id,
    CustomerId,
    Purpose,
    TokenHash,
    CreatedAt,
    ExpiresAt,
    UsedAt,
}

#[derive(DeriveIden)]
enum SecurityCounters {
    Table,
    Key,
    Kind,
    Count,
    WindowStart,
    BlockedUntil,
    UpdatedAt,
    SourceDisplay,
    CustomerId,
}

#[derive(DeriveIden)]
enum AuditLog {
    Table,
    Seq,
    At,
    Actor,
    Action,
    Target,
    Source,
    Reason,
    PrevHash,
    Hash,
}

#[derive(DeriveIden)]
enum AuditHead {
    Table,
    Id,
    LastSeq,
    LastHash,
}

#[derive(DeriveIden)]
enum Outbox {
    Table,
    Id,
    SubjectId,
    Template,
    Language,
    PayloadEnc,
    CreatedAt,
    Status,
    Attempts,
    NextAttemptAt,
    LockedUntil,
    SentAt,
    LastError,
}

#[derive(DeriveIden)]
enum JobLeases {
    Table,
    Name,
    Holder,
    LeaseUntil,
}

fn fk(name: &str, from: impl IntoIden, col: impl IntoIden) -> ForeignKeyCreateStatement {
    ForeignKey::create()
        .name(name)
        .from_tbl(from)
        .from_col(col)
        .to(Customers::Table, Customers::Id)
        .on_delete(ForeignKeyAction::Cascade)
        .to_owned()
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Customers::Table)
                    .col(uuid(Customers::Id).primary_key())
                    .col(blob_uniq(Customers::EmailBidx))
                    .col(blob(Customers::EmailEnc))
                    .col(blob(Customers::NameEnc))
                    .col(blob_null(Customers::PhoneEnc))
                    .col(string_len(Customers::Role, 16))
                    .col(string_len(Customers::PreferredLanguage, 2))
                    .col(text(Customers::DisplayPrefs))
                    .col(timestamp_with_time_zone_null(
                        Customers::DisplayPrefsUpdatedAt,
                    ))
                    .col(text_null(Customers::PasswordHash))
                    .col(boolean(Customers::MustChangePassword))
                    .col(string_len_null(Customers::PrivacyPolicyVersion, 32))
                    .col(timestamp_with_time_zone_null(
                        Customers::PrivacyPolicyAcceptedAt,
                    ))
                    .col(timestamp_with_time_zone(Customers::CreatedAt))
                    .col(timestamp_with_time_zone(Customers::UpdatedAt))
                    .col(timestamp_with_time_zone(Customers::LastActiveAt))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(CustomerAddresses::Table)
                    .col(uuid(CustomerAddresses::Id).primary_key())
                    .col(uuid(CustomerAddresses::CustomerId))
                    .col(string_len(CustomerAddresses::Kind, 16))
                    .col(blob(CustomerAddresses::AddressEnc))
                    .col(timestamp_with_time_zone(CustomerAddresses::CreatedAt))
                    .col(timestamp_with_time_zone(CustomerAddresses::UpdatedAt))
                    .foreign_key(&mut fk(
                        "fk_addresses_customer",
                        CustomerAddresses::Table,
                        CustomerAddresses::CustomerId,
                    ))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(Sessions::Table)
                    .col(uuid(Sessions::Id).primary_key())
                    .col(uuid(Sessions::CustomerId))
                    .col(boolean(Sessions::RememberMe))
                    .col(timestamp_with_time_zone(Sessions::CreatedAt))
                    .col(timestamp_with_time_zone(Sessions::ExpiresAt))
                    .col(timestamp_with_time_zone(Sessions::LastSeenAt))
                    .col(timestamp_with_time_zone_null(Sessions::RevokedAt))
                    .col(blob_null(Sessions::UserAgentEnc))
                    .col(blob_null(Sessions::IpEnc))
                    .foreign_key(&mut fk(
                        "fk_sessions_customer",
                        Sessions::Table,
                        Sessions::CustomerId,
                    ))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ix_sessions_customer")
                    .table(Sessions::Table)
                    .col(Sessions::CustomerId)
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(AuthTokens::Table)
                    .col(uuid(AuthTokens::Id).primary_key())
                    .col(uuid(AuthTokens::CustomerId))
                    .col(string_len(AuthTokens::Purpose, 32))
                    .col(blob_uniq(AuthTokens::TokenHash))
                    .col(timestamp_with_time_zone(AuthTokens::CreatedAt))
                    .col(timestamp_with_time_zone(AuthTokens::ExpiresAt))
                    .col(timestamp_with_time_zone_null(AuthTokens::UsedAt))
                    .foreign_key(&mut fk(
                        "fk_tokens_customer",
                        AuthTokens::Table,
                        AuthTokens::CustomerId,
                    ))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(SecurityCounters::Table)
                    .col(string_len(SecurityCounters::Key, 160).primary_key())
                    .col(string_len(SecurityCounters::Kind, 32))
                    .col(integer(SecurityCounters::Count))
                    .col(timestamp_with_time_zone(SecurityCounters::WindowStart))
                    .col(timestamp_with_time_zone_null(
                        SecurityCounters::BlockedUntil,
                    ))
                    .col(timestamp_with_time_zone(SecurityCounters::UpdatedAt))
                    .col(string_len_null(SecurityCounters::SourceDisplay, 64))
                    .col(uuid_null(SecurityCounters::CustomerId))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(AuditLog::Table)
                    .col(big_integer(AuditLog::Seq).primary_key())
                    .col(timestamp_with_time_zone(AuditLog::At))
                    .col(string_len(AuditLog::Actor, 64))
                    .col(string_len(AuditLog::Action, 64))
                    .col(string_len_null(AuditLog::Target, 128))
                    .col(string_len_null(AuditLog::Source, 64))
                    .col(string_len_null(AuditLog::Reason, 500))
                    .col(string_len(AuditLog::PrevHash, 64))
                    .col(string_len(AuditLog::Hash, 64))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(AuditHead::Table)
                    .col(integer(AuditHead::Id).primary_key())
                    .col(big_integer(AuditHead::LastSeq))
                    .col(string_len(AuditHead::LastHash, 64))
                    .to_owned(),
            )
            .await?;
        manager
            .exec_stmt(
                Query::insert()
                    .into_table(AuditHead::Table)
                    .columns([AuditHead::Id, AuditHead::LastSeq, AuditHead::LastHash])
                    .values_panic([1.into(), 0i64.into(), "".into()])
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(Outbox::Table)
                    .col(uuid(Outbox::Id).primary_key())
                    .col(uuid_null(Outbox::SubjectId))
                    .col(string_len(Outbox::Template, 64))
                    .col(string_len(Outbox::Language, 2))
                    .col(blob(Outbox::PayloadEnc))
                    .col(timestamp_with_time_zone(Outbox::CreatedAt))
                    .col(string_len(Outbox::Status, 16))
                    .col(integer(Outbox::Attempts))
                    .col(timestamp_with_time_zone(Outbox::NextAttemptAt))
                    .col(timestamp_with_time_zone_null(Outbox::LockedUntil))
                    .col(timestamp_with_time_zone_null(Outbox::SentAt))
                    .col(text_null(Outbox::LastError))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ix_outbox_due")
                    .table(Outbox::Table)
                    .col(Outbox::Status)
                    .col(Outbox::NextAttemptAt)
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(JobLeases::Table)
                    .col(string_len(JobLeases::Name, 64).primary_key())
                    .col(string_len_null(JobLeases::Holder, 64))
                    .col(timestamp_with_time_zone_null(JobLeases::LeaseUntil))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            JobLeases::Table.into_iden(),
            Outbox::Table.into_iden(),
            AuditHead::Table.into_iden(),
            AuditLog::Table.into_iden(),
            SecurityCounters::Table.into_iden(),
            AuthTokens::Table.into_iden(),
            Sessions::Table.into_iden(),
            CustomerAddresses::Table.into_iden(),
            Customers::Table.into_iden(),
        ] {
            manager
                .drop_table(Table::drop().table(table).to_owned())
                .await?;
        }
        Ok(())
    }
}
