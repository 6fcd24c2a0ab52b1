//! Outgoing mail: templates in French and English, and delivery over SMTP
//! (lettre, rustls) or, with no SMTP server configured, as `.eml` files in
//! `<data dir>/outbox/` so a developer can read them. Messages come from the
//! transactional outbox; their id is the file name and `Message-ID`, so a
//! message delivered twice after a crash is recognisable as the same one.

use std::path::{Path, PathBuf};

use anyhow::Context as _;
use domain::identity::Language;
use domain::mail::{Envelope, Mail};
use lettre::message::Mailbox;
use lettre::message::header::{ContentType, HeaderName, HeaderValue};
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
use uuid::Uuid;

/// Where mail goes.
pub enum Mailer {
    /// `.eml` files in a folder.
    Files {
        /// The folder.
        dir: PathBuf,
        /// Sender.
        from: Mailbox,
    },
    /// An SMTP server.
    Smtp {
        /// The pooled transport.
        transport: AsyncSmtpTransport<Tokio1Executor>,
        /// Sender.
        from: Mailbox,
    },
}

impl Mailer {
    /// The mailer configured by `smtp_url` (or files under `data_dir`).
    ///
    /// # Errors
    /// A malformed sender or SMTP URL.
    pub fn new(
        smtp_url: Option<&str>,
        from: &str,
        data_dir: &std::path::Path,
    ) -> anyhow::Result<Self> {
        let from: Mailbox = from
            .parse()
            .context("BOUTIQUE_MAIL_FROM is not a mailbox")?;
        Ok(match smtp_url {
            Some(url) => Self::Smtp {
                transport: AsyncSmtpTransport::<Tokio1Executor>::from_url(url)
                    .context("BOUTIQUE_SMTP_URL is not a valid SMTP URL")?
                    .build(),
                from,
            },
            None => Self::Files {
                dir: data_dir.join("outbox"),
                from,
            },
        })
    }

    fn from(&self) -> &Mailbox {
        match self {
            Self::Files { from, .. } | Self::Smtp { from, .. } => from,
        }
    }

    /// Delivers one message. Delivering the same id twice to files is a no-op.
    ///
    /// # Errors
    /// The reason, for the outbox's retry bookkeeping (no personal data).
    pub async fn deliver(
        &self,
        id: Uuid,
        to: &str,
        subject: &str,
        body: String,
        headers: &[(&'static str, String)],
    ) -> Result<(), String> {
        let to: Mailbox = to.parse().map_err(|_| "invalid recipient".to_owned())?;
        let mut builder = Message::builder()
            .message_id(Some(format!("<{id}@boutique>")))
            .from(self.from().clone())
            .to(to)
            .subject(subject)
            .header(lettre::message::header::MIME_VERSION_1_0);
        for (name, value) in headers {
            builder = builder.raw_header(HeaderValue::new(
                HeaderName::new_from_ascii_str(name),
                value.clone(),
            ));
        }
        let message = builder
            .header(ContentType::TEXT_PLAIN)
            .body(body)
            .map_err(|e| format!("cannot build message: {e}"))?;
        match self {
            Self::Files { dir, .. } => {
                let path = dir.join(format!("{id}.eml"));
                if tokio::fs::try_exists(&path).await.unwrap_or(false) {
                    return Ok(());
                }
                let mut folder = tokio::fs::DirBuilder::new();
                folder.recursive(true);
                #[cfg(unix)]
                folder.mode(0o700);
                folder
                    .create(dir)
                    .await
                    .map_err(|e| format!("outbox folder: {e}"))?;
                let tmp = dir.join(format!("{id}.eml.tmp"));
                write_private(&tmp, &message.formatted())
                    .await
                    .map_err(|e| format!("write: {e}"))?;
                tokio::fs::rename(&tmp, &path)
                    .await
                    .map_err(|e| format!("rename: {e}"))
            }
            Self::Smtp { transport, .. } => transport
                .send(message)
                .await
                .map(|_| ())
                .map_err(|e| format!("smtp: {e}")),
        }
    }
}

/// Writes `bytes` to `path`, readable by this user only: a message holds
/// personal data, and set-password links that work.
async fn write_private(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    use tokio::io::AsyncWriteExt as _;
    let mut options = tokio::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    options.mode(0o600);
    let mut file = options.open(path).await?;
    // A file left by an interrupted write keeps its mode when reopened.
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        file.set_permissions(std::fs::Permissions::from_mode(0o600))
            .await?;
    }
    file.write_all(bytes).await?;
    file.flush().await
}

/// What the mails say about links: how long set-password and reset links
/// work, and where the shop front is (the links to an order's page).
#[derive(Debug, Clone)]
pub struct LinkLifetimes {
    /// Set-password links.
    pub set_password: chrono::Duration,
    /// Reset links.
    pub reset: chrono::Duration,
    /// The shop front's base URL (`BOUTIQUE_FRONTEND_URL`): an order's
    /// page is `<shop_url>/orders/<order id>`.
    pub shop_url: String,
}

impl Default for LinkLifetimes {
    fn default() -> Self {
        Self {
            set_password: chrono::Duration::hours(48),
            reset: chrono::Duration::hours(1),
            shop_url: "http://localhost:3000".to_owned(),
        }
    }
}

/// The page of an order on the shop front; a guest's carries the order's
/// secret, which the page sends as `X-Order-Secret`.
fn order_link(links: &LinkLifetimes, order: domain::ids::OrderId, secret: Option<&str>) -> String {
    let base = links.shop_url.trim_end_matches('/');
    match secret {
        Some(secret) => format!("{base}/orders/{order}?secret={secret}"),
        None => format!("{base}/orders/{order}"),
    }
}

/// What a payment method is called in a mail.
fn payment_words(method: &str, fr: bool) -> &'static str {
    match (method, fr) {
        ("bank_transfer", true) => "virement bancaire",
        ("bank_transfer", false) => "bank transfer",
        ("stripe", true) => "carte bancaire",
        ("stripe", false) => "card",
        (_, true) => "paiement en ligne",
        (_, false) => "online payment",
    }
}

/// What an order status is called in a mail.
fn status_words(status: &str, fr: bool) -> &'static str {
    match (status, fr) {
        ("pending_payment", true) => "en attente de paiement",
        ("pending_payment", false) => "awaiting payment",
        ("on_hold", true) => "en attente de vérification",
        ("on_hold", false) => "on hold",
        ("processing", true) => "payée, en préparation",
        ("processing", false) => "paid, being prepared",
        ("completed", true) => "terminée",
        ("completed", false) => "completed",
        ("failed", true) => "paiement échoué",
        ("failed", false) => "payment failed",
        ("cancelled", true) => "annulée",
        ("cancelled", false) => "cancelled",
        ("refunded", true) => "remboursée",
        ("refunded", false) => "refunded",
        ("partially_refunded", true) => "partiellement remboursée",
        ("partially_refunded", false) => "partially refunded",
        (_, true) => "mise à jour",
        (_, false) => "updated",
    }
}

/// The confirmation of an order: what is to be paid, how, and where to
/// follow it.
fn order_confirmation(
    name: &str,
    links: &LinkLifetimes,
    fr: bool,
    (order, number, total, payment_method, secret): (
        domain::ids::OrderId,
        &str,
        &str,
        &str,
        Option<&str>,
    ),
) -> (String, String) {
    let link = order_link(links, order, secret);
    let method = payment_words(payment_method, fr);
    let bank_transfer = payment_method == "bank_transfer";
    if fr {
        let payment = if bank_transfer {
            format!(
                "Paiement par {method} : les instructions de paiement (coordonnées bancaires et référence à indiquer) suivent dans un autre message. Votre commande attend la réception du virement ; nous vous écrirons dès qu'il sera arrivé."
            )
        } else {
            format!(
                "Paiement par {method} : votre commande est confirmée dès que le paiement est accepté."
            )
        };
        let follow = if secret.is_some() {
            format!(
                "Pour suivre votre commande, ouvrez ce lien (gardez-le pour vous : il donne accès à votre commande) :\n\n{link}"
            )
        } else {
            format!("Vous pouvez suivre votre commande depuis votre compte :\n\n{link}")
        };
        (
            format!("Votre commande {number} est enregistrée"),
            format!(
                "Bonjour{name},\n\nMerci pour votre commande {number}, d'un montant de {total} TTC.\n\n{payment}\n\n{follow}\n"
            ),
        )
    } else {
        let payment = if bank_transfer {
            format!(
                "Payment by {method}: the payment instructions (bank details and the reference to give) follow in another message. Your order waits for the transfer; we will write to you as soon as it arrives."
            )
        } else {
            format!(
                "Payment by {method}: your order is confirmed as soon as the payment is accepted."
            )
        };
        let follow = if secret.is_some() {
            format!(
                "To follow your order, open this link (keep it to yourself: it gives access to your order):\n\n{link}"
            )
        } else {
            format!("You can follow your order from your account:\n\n{link}")
        };
        (
            format!("Your order {number} is placed"),
            format!(
                "Hello{name},\n\nThank you for your order {number}, of {total} including VAT.\n\n{payment}\n\n{follow}\n"
            ),
        )
    }
}

/// "48 heures", "1 hour", "30 minutes".
fn duration(d: chrono::Duration, fr: bool) -> String {
    let minutes = d.num_minutes();
    let (n, unit) = if minutes % 60 == 0 {
        (minutes / 60, if fr { "heure" } else { "hour" })
    } else {
        (minutes, "minute")
    };
    format!("{n} {unit}{}", if n > 1 { "s" } else { "" })
}

/// The name after "Bonjour"/"Hello", with its space; nothing when unknown.
fn greeting_name(e: &Envelope) -> String {
    e.name
        .as_ref()
        .map(|n| format!(" {}", n.as_str()))
        .unwrap_or_default()
}

/// What a topic is called in a mail.
fn topic_words(topic: &str, fr: bool) -> &'static str {
    match (topic, fr) {
        ("product_question", true) => "question sur un plan",
        ("product_question", false) => "question about a plan",
        ("order_question", true) => "question sur une commande",
        ("order_question", false) => "question about an order",
        ("privacy_request", true) => "demande sur vos données personnelles",
        ("privacy_request", false) => "request about your personal data",
        (_, true) => "message",
        (_, false) => "message",
    }
}

/// Headers a message carries beyond the usual ones: a campaign letter's
/// `List-Unsubscribe` and `List-Unsubscribe-Post` (RFC 2369, RFC 8058), so
/// mail clients offer one-click unsubscribe.
#[must_use]
pub fn extra_headers(mail: &Mail) -> Vec<(&'static str, String)> {
    match mail {
        Mail::CampaignLetter {
            unsubscribe_url, ..
        } => vec![
            ("List-Unsubscribe", format!("<{unsubscribe_url}>")),
            (
                "List-Unsubscribe-Post",
                "List-Unsubscribe=One-Click".to_owned(),
            ),
        ],
        _ => Vec::new(),
    }
}

/// Renders a message: `(subject, body)`, in the recipient's language. A
/// campaign letter's text is its campaign's (`letter`), read at delivery.
#[must_use]
pub fn render(
    e: &Envelope,
    links: &LinkLifetimes,
    letter: Option<&domain::newsletter::CampaignContent>,
) -> (String, String) {
    let fr = e.language == Language::Fr;
    let name = greeting_name(e);
    match (&e.mail, fr) {
        (
            Mail::OrderConfirmation {
                order,
                number,
                total,
                payment_method,
                secret,
            },
            fr,
        ) => order_confirmation(
            &name,
            links,
            fr,
            (*order, number, total, payment_method, secret.as_deref()),
        ),
        (Mail::OrderStatusChanged { number, status, .. }, true) => (
            format!("Votre commande {number} : {}", status_words(status, true)),
            format!(
                "Bonjour{name},\n\nVotre commande {number} est désormais : {}.\n\nVous pouvez la suivre depuis votre compte, ou avec le lien de l'e-mail de confirmation de votre commande.\n",
                status_words(status, true)
            ),
        ),
        (Mail::OrderStatusChanged { number, status, .. }, false) => (
            format!("Your order {number}: {}", status_words(status, false)),
            format!(
                "Hello{name},\n\nYour order {number} is now: {}.\n\nYou can follow it from your account, or with the link in your order's confirmation e-mail.\n",
                status_words(status, false)
            ),
        ),
        (Mail::OrderRefunded { number, amount, .. }, true) => (
            format!("Votre commande {number} : remboursement de {amount}"),
            format!(
                "Bonjour{name},\n\nNous vous remboursons {amount} sur votre commande {number}. Un avoir a été émis : vous le trouverez avec la facture de votre commande.\n\nLe remboursement arrive par le moyen de paiement utilisé (carte), ou par virement pour une commande payée par virement, sous quelques jours ouvrés. Un remboursement complet met fin aux téléchargements de la commande.\n"
            ),
        ),
        (Mail::OrderRefunded { number, amount, .. }, false) => (
            format!("Your order {number}: {amount} refunded"),
            format!(
                "Hello{name},\n\nWe are refunding {amount} of your order {number}. A credit note was issued: you will find it with your order's invoice.\n\nThe money goes back the way you paid (card), or by bank transfer for an order paid by transfer, within a few working days. A full refund ends the order's downloads.\n"
            ),
        ),
        (Mail::ComplaintAnswered { number, body, .. }, true) => (
            format!("Réponse à votre réclamation sur la commande {number}"),
            format!(
                "Bonjour{name},\n\n{body}\n\n--\nBoutique, en réponse à votre réclamation sur la commande {number}. Vous pouvez répondre depuis la page de votre commande.\n"
            ),
        ),
        (Mail::ComplaintAnswered { number, body, .. }, false) => (
            format!("Answer to your complaint about order {number}"),
            format!(
                "Hello{name},\n\n{body}\n\n--\nBoutique, answering your complaint about order {number}. You can reply from your order's page.\n"
            ),
        ),
        (
            Mail::WebhookEndpointDisabled {
                endpoint,
                url,
                reason,
            },
            true,
        ) => (
            "Un point d'accès webhook a été désactivé".to_owned(),
            format!(
                "Bonjour{name},\n\nLe point d'accès webhook {endpoint} ({url}) a été désactivé : {reason}.\n\nLes événements suivants l'attendent. Corrigez le récepteur puis réactivez-le (PUT /v1/admin/webhooks/{endpoint}) ; les livraisons échouées peuvent être rejouées depuis son journal.\n"
            ),
        ),
        (
            Mail::WebhookEndpointDisabled {
                endpoint,
                url,
                reason,
            },
            false,
        ) => (
            "A webhook endpoint was disabled".to_owned(),
            format!(
                "Hello{name},\n\nThe webhook endpoint {endpoint} ({url}) was disabled: {reason}.\n\nLater events wait for it. Fix the receiver, then enable it again (PUT /v1/admin/webhooks/{endpoint}); failed deliveries can be replayed from its log.\n"
            ),
        ),
        (Mail::NewsletterConfirmation { link }, true) => (
            "Confirmez votre inscription à la lettre de Boutique".to_owned(),
            format!(
                "Bonjour{name},\n\nPour recevoir la lettre d'information de Boutique, confirmez votre adresse en ouvrant ce lien (valable 7 jours) :\n\n{link}\n\nSans confirmation, votre adresse est effacée au bout de 7 jours. Si vous n'avez rien demandé, ignorez ce message.\n"
            ),
        ),
        (Mail::NewsletterConfirmation { link }, false) => (
            "Confirm your subscription to the Boutique newsletter".to_owned(),
            format!(
                "Hello{name},\n\nTo receive the Boutique newsletter, confirm your address by opening this link (valid 7 days):\n\n{link}\n\nWithout confirmation, your address is deleted after 7 days. If you did not ask for anything, ignore this message.\n"
            ),
        ),
        (
            Mail::CampaignLetter {
                unsubscribe_page, ..
            },
            fr,
        ) => {
            let (subject, body) = letter.map_or(("", ""), |c| c.text(e.language));
            let footer = if fr {
                format!(
                    "Vous recevez ce message parce que vous l'avez demandé. Pour vous désinscrire en un clic : {unsubscribe_page}"
                )
            } else {
                format!(
                    "You receive this message because you asked for it. To unsubscribe in one click: {unsubscribe_page}"
                )
            };
            (subject.to_owned(), format!("{body}\n\n--\n{footer}\n"))
        }
        (Mail::ContactAcknowledgement { reference, topic }, true) => (
            format!("Nous avons bien reçu votre message [{reference}]"),
            format!(
                "Bonjour{name},\n\nNous avons bien reçu votre {} (référence {reference}). Nous vous répondrons à cette adresse.\n\nVotre message et vos coordonnées ne servent qu'à vous répondre.\n",
                topic_words(topic, true)
            ),
        ),
        (Mail::ContactAcknowledgement { reference, topic }, false) => (
            format!("We received your message [{reference}]"),
            format!(
                "Hello{name},\n\nWe received your {} (reference {reference}). We will answer at this address.\n\nYour message and details are only used to answer you.\n",
                topic_words(topic, false)
            ),
        ),
        (Mail::ContactReply { reference, body }, true) => (
            format!("Réponse à votre message [{reference}]"),
            format!(
                "Bonjour{name},\n\n{body}\n\n--\nBoutique, en réponse à votre message {reference}.\n"
            ),
        ),
        (Mail::ContactReply { reference, body }, false) => (
            format!("Answer to your message [{reference}]"),
            format!(
                "Hello{name},\n\n{body}\n\n--\nBoutique, answering your message {reference}.\n"
            ),
        ),
        (Mail::AccountSetupLink { link }, true) => (
            "Votre compte Boutique : choisissez votre mot de passe".to_owned(),
            format!(
                "Bonjour{name},\n\nVotre compte a été créé. Pour choisir votre mot de passe, ouvrez ce lien (valable {}, utilisable une seule fois) :\n\n{}\n\nSi vous n'êtes pas à l'origine de cette demande, ignorez ce message.\n",
                duration(links.set_password, true),
                link
            ),
        ),
        (Mail::AccountSetupLink { link }, false) => (
            "Your Boutique account: choose your password".to_owned(),
            format!(
                "Hello{name},\n\nYour account has been created. To choose your password, open this link (valid {}, single use):\n\n{}\n\nIf you did not ask for this, ignore this message.\n",
                duration(links.set_password, false),
                link
            ),
        ),
        (Mail::AccountGeneratedPassword { password }, true) => (
            "Votre compte Boutique : vos identifiants".to_owned(),
            format!(
                "Bonjour{name},\n\nVotre compte a été créé. Votre mot de passe provisoire est :\n\n{}\n\nVous devrez le changer à votre première connexion.\n",
                password
            ),
        ),
        (Mail::AccountGeneratedPassword { password }, false) => (
            "Your Boutique account: your credentials".to_owned(),
            format!(
                "Hello{name},\n\nYour account has been created. Your temporary password is:\n\n{}\n\nYou will have to change it when you first log in.\n",
                password
            ),
        ),
        (Mail::Welcome, true) => (
            "Bienvenue chez Boutique".to_owned(),
            format!(
                "Bonjour{name},\n\nVotre compte est prêt. Vous pouvez vous connecter avec votre adresse e-mail et votre mot de passe.\n"
            ),
        ),
        (Mail::Welcome, false) => (
            "Welcome to Boutique".to_owned(),
            format!(
                "Hello{name},\n\nYour account is ready. You can log in with your e-mail address and password.\n"
            ),
        ),
        (Mail::RegistrationAttempt, true) => (
            "Tentative d'inscription avec votre adresse".to_owned(),
            format!(
                "Bonjour{name},\n\nQuelqu'un a essayé de créer un compte avec votre adresse, qui en a déjà un. Si c'était vous, connectez-vous ou utilisez « mot de passe oublié ». Sinon, ignorez ce message.\n"
            ),
        ),
        (Mail::RegistrationAttempt, false) => (
            "Someone tried to register with your address".to_owned(),
            format!(
                "Hello{name},\n\nSomeone tried to create an account with your address, which already has one. If it was you, log in or use \"forgot password\". Otherwise, ignore this message.\n"
            ),
        ),
        (Mail::PasswordReset { link }, true) => (
            "Réinitialisation de votre mot de passe".to_owned(),
            format!(
                "Bonjour{name},\n\nPour choisir un nouveau mot de passe, ouvrez ce lien (valable {}, utilisable une seule fois) :\n\n{}\n\nVotre mot de passe actuel reste valable tant que vous n'en avez pas choisi un nouveau.\n",
                duration(links.reset, true),
                link
            ),
        ),
        (Mail::PasswordReset { link }, false) => (
            "Reset your password".to_owned(),
            format!(
                "Hello{name},\n\nTo choose a new password, open this link (valid {}, single use):\n\n{}\n\nYour current password keeps working until you choose a new one.\n",
                duration(links.reset, false),
                link
            ),
        ),
        (Mail::PasswordChanged, true) => (
            "Votre mot de passe a été changé".to_owned(),
            format!(
                "Bonjour{name},\n\nLe mot de passe de votre compte vient d'être changé et vos autres sessions ont été fermées. Si ce n'était pas vous, contactez-nous immédiatement.\n"
            ),
        ),
        (Mail::PasswordChanged, false) => (
            "Your password was changed".to_owned(),
            format!(
                "Hello{name},\n\nYour account's password was just changed and your other sessions were closed. If this was not you, contact us at once.\n"
            ),
        ),
        (Mail::EmailChanged, true) => (
            "Votre adresse e-mail a été changée".to_owned(),
            format!(
                "Bonjour{name},\n\nL'adresse e-mail de votre compte vient d'être remplacée. Si ce n'était pas vous, contactez-nous immédiatement.\n"
            ),
        ),
        (Mail::EmailChanged, false) => (
            "Your e-mail address was changed".to_owned(),
            format!(
                "Hello{name},\n\nYour account's e-mail address was just replaced. If this was not you, contact us at once.\n"
            ),
        ),
        (Mail::InactiveAccountWarning { erased_on }, true) => (
            "Votre compte Boutique sera bientôt supprimé".to_owned(),
            format!(
                "Bonjour{name},\n\nVous ne vous êtes pas connecté à votre compte depuis bientôt six mois. Comme l'annonce notre politique de confidentialité, il sera supprimé le {erased_on}, avec les données qu'il contient (les factures restent conservées comme la loi l'impose).\n\nPour le garder, il vous suffit de vous connecter avant cette date.\n"
            ),
        ),
        (Mail::PrivacyRequestLink { kind, link }, true) => (
            if kind == "erasure" {
                "Confirmez l'effacement de vos données".to_owned()
            } else {
                "Confirmez votre demande de copie de vos données".to_owned()
            },
            format!(
                "Bonjour{name},\n\nQuelqu'un (sans doute vous) a demandé, avec cette adresse, {}. Pour confirmer, ouvrez ce lien (valable 48 heures, utilisable une seule fois) :\n\n{link}\n\nSi vous n'êtes pas à l'origine de cette demande, ignorez ce message : rien ne sera fait.\n",
                if kind == "erasure" {
                    "l'effacement des données que nous détenons à son sujet"
                } else {
                    "une copie des données que nous détenons à son sujet"
                }
            ),
        ),
        (Mail::PrivacyRequestLink { kind, link }, false) => (
            if kind == "erasure" {
                "Confirm the erasure of your data".to_owned()
            } else {
                "Confirm your request for a copy of your data".to_owned()
            },
            format!(
                "Hello{name},\n\nSomeone (probably you) asked with this address for {}. To confirm, open this link (valid 48 hours, single use):\n\n{link}\n\nIf you did not ask, ignore this message: nothing will be done.\n",
                if kind == "erasure" {
                    "the erasure of the data we hold about it"
                } else {
                    "a copy of the data we hold about it"
                }
            ),
        ),
        (Mail::PrivacyUseYourAccount, true) => (
            "Vos données : passez par votre compte".to_owned(),
            format!(
                "Bonjour{name},\n\nUne demande de copie ou d'effacement de données a été faite avec l'adresse de votre compte. Connectez-vous : votre compte permet de télécharger toutes vos données et de le supprimer, à tout moment.\n"
            ),
        ),
        (Mail::PrivacyUseYourAccount, false) => (
            "Your data: use your account".to_owned(),
            format!(
                "Hello{name},\n\nA request for a copy or the erasure of data was made with your account's address. Sign in: your account lets you download all your data and delete it, at any time.\n"
            ),
        ),
        (Mail::PrivacyExportReady { link }, true) => (
            "La copie de vos données est prête".to_owned(),
            format!(
                "Bonjour{name},\n\nLa copie des données que nous détenons à votre sujet est prête. Téléchargez-la avec ce lien (valable 24 heures, utilisable une seule fois) :\n\n{link}\n"
            ),
        ),
        (Mail::PrivacyExportReady { link }, false) => (
            "The copy of your data is ready".to_owned(),
            format!(
                "Hello{name},\n\nThe copy of the data we hold about you is ready. Download it with this link (valid 24 hours, single use):\n\n{link}\n"
            ),
        ),
        (Mail::ErasureReceipt { summary }, true) => (
            "Vos données ont été effacées".to_owned(),
            format!(
                "Bonjour{name},\n\nComme vous l'avez demandé, vos données ont été effacées. Voici le reçu (ce que la loi nous oblige à conserver y figure, avec sa durée) :\n\n{summary}\n"
            ),
        ),
        (Mail::ErasureReceipt { summary }, false) => (
            "Your data were erased".to_owned(),
            format!(
                "Hello{name},\n\nAs you asked, your data were erased. Here is the receipt (what the law makes us keep is in it, with for how long):\n\n{summary}\n"
            ),
        ),
        (Mail::BreachNotice { fr, .. }, true) => (
            "Incident de sécurité concernant vos données".to_owned(),
            format!(
                "Bonjour{name},\n\nNous devons vous informer d'un incident de sécurité qui concerne vos données personnelles.\n\n{fr}\n\nPour toute question, ou pour exercer vos droits, répondez à ce message ou écrivez-nous par le formulaire de contact.\n"
            ),
        ),
        (Mail::BreachNotice { en, .. }, false) => (
            "A security incident concerning your data".to_owned(),
            format!(
                "Hello{name},\n\nWe must tell you of a security incident that concerns your personal data.\n\n{en}\n\nFor any question, or to exercise your rights, answer this message or write to us through the contact form.\n"
            ),
        ),
        (Mail::InactiveAccountWarning { erased_on }, false) => (
            "Your Boutique account will soon be deleted".to_owned(),
            format!(
                "Hello{name},\n\nYou have not signed in to your account for almost six months. As our privacy policy says, it will be deleted on {erased_on}, with the data it holds (invoices are kept as the law requires).\n\nTo keep it, simply sign in before then.\n"
            ),
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use domain::identity::{Email, PersonName};

    #[test]
    fn every_template_exists_in_french_and_english() {
        let mails = [
            Mail::AccountSetupLink {
                link: "https://x/y".into(),
            },
            Mail::AccountGeneratedPassword {
                password: "pw".into(),
            },
            Mail::Welcome,
            Mail::RegistrationAttempt,
            Mail::PasswordReset {
                link: "https://x/y".into(),
            },
            Mail::PasswordChanged,
            Mail::EmailChanged,
            Mail::InactiveAccountWarning {
                erased_on: "2027-06-01".into(),
            },
            Mail::PrivacyRequestLink {
                kind: "erasure".into(),
                link: "https://x/y".into(),
            },
            Mail::PrivacyUseYourAccount,
            Mail::PrivacyExportReady {
                link: "https://x/y".into(),
            },
            Mail::ErasureReceipt {
                summary: "- orders: 1".into(),
            },
            Mail::BreachNotice {
                fr: "Une copie de sauvegarde a été exposée.".into(),
                en: "A backup copy was exposed.".into(),
            },
            Mail::NewsletterConfirmation {
                link: "https://x/y".into(),
            },
            Mail::ContactAcknowledgement {
                reference: "0193A5B27C1E".into(),
                topic: "order_question".into(),
            },
            Mail::ContactReply {
                reference: "0193A5B27C1E".into(),
                body: "Merci.".into(),
            },
            Mail::OrderConfirmation {
                order: domain::ids::OrderId::new(),
                number: "BQ-1A2B3C-4D5E6F".into(),
                total: "1290.05 EUR".into(),
                payment_method: "bank_transfer".into(),
                secret: Some("s3cr3t".into()),
            },
            Mail::OrderStatusChanged {
                order: domain::ids::OrderId::new(),
                number: "BQ-1A2B3C-4D5E6F".into(),
                status: "processing".into(),
            },
            Mail::OrderRefunded {
                order: domain::ids::OrderId::new(),
                number: "BQ-1A2B3C-4D5E6F".into(),
                amount: "50.00 EUR".into(),
            },
            Mail::ComplaintAnswered {
                order: domain::ids::OrderId::new(),
                number: "BQ-1A2B3C-4D5E6F".into(),
                body: "Nous vous remboursons.".into(),
            },
            Mail::WebhookEndpointDisabled {
                endpoint: "01a21fb2-3c4d-7e5f-8a6b-7c8d9e0f1a2b".into(),
                url: "https://print.example/hooks".into(),
                reason: "8 attempts over about a day failed".into(),
            },
        ];
        for mail in mails {
            let e = |language| Envelope {
                to: Email::parse("a@b.fr").unwrap(),
                name: Some(PersonName::parse("Jeanne").unwrap()),
                language,
                mail: mail.clone(),
            };
            let fr = render(&e(Language::Fr), &LinkLifetimes::default(), None);
            let en = render(&e(Language::En), &LinkLifetimes::default(), None);
            assert_ne!(fr.0, en.0, "{}", mail.template());
            assert!(fr.1.contains("Jeanne"));
        }
    }

    #[test]
    fn an_order_confirmation_links_to_the_order_with_the_guest_secret_only() {
        let order = domain::ids::OrderId::new();
        let links = LinkLifetimes {
            shop_url: "https://shop.example/".into(),
            ..LinkLifetimes::default()
        };
        let mail = |secret: Option<&str>, payment_method: &str, language| Envelope {
            to: Email::parse("a@b.fr").unwrap(),
            name: None,
            language,
            mail: Mail::OrderConfirmation {
                order,
                number: "BQ-1A2B3C-4D5E6F".into(),
                total: "1290.05 EUR".into(),
                payment_method: payment_method.into(),
                secret: secret.map(str::to_owned),
            },
        };
        let (subject, body) = render(
            &mail(Some("s3cr3t"), "bank_transfer", Language::Fr),
            &links,
            None,
        );
        assert!(subject.contains("BQ-1A2B3C-4D5E6F"));
        assert!(
            body.contains(&format!(
                "https://shop.example/orders/{order}?secret=s3cr3t"
            )),
            "{body}"
        );
        assert!(
            body.contains("virement") && body.contains("1290.05 EUR"),
            "{body}"
        );
        let (_, body) = render(&mail(None, "stripe", Language::En), &links, None);
        assert!(
            body.contains(&format!("https://shop.example/orders/{order}\n")),
            "{body}"
        );
        assert!(
            !body.contains("secret") && !body.contains("transfer"),
            "{body}"
        );
        for status in domain::shop::order::OrderStatus::ALL {
            let status = status.as_str();
            assert_ne!(status_words(status, true), "mise à jour", "{status}");
            assert_ne!(status_words(status, false), "updated", "{status}");
        }
    }

    #[test]
    fn link_lifetimes_are_said_as_configured() {
        assert_eq!(duration(chrono::Duration::hours(48), true), "48 heures");
        assert_eq!(duration(chrono::Duration::hours(1), false), "1 hour");
        assert_eq!(duration(chrono::Duration::minutes(30), false), "30 minutes");
    }
}
