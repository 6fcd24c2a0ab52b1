//! The language of validation problems: English unless `Accept-Language`
//! prefers French. Messages are built from a field error's code and bounds
//! (never from the refused value, which may be a password); a rule's own
//! English message is translated when the table below knows it, else the
//! code's generic French message stands in.

use actix_web::http::header::{self, HeaderMap};
use domain::{FieldCode, FieldError};

/// A language the API answers validation problems in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Lang {
    /// English, the default.
    #[default]
    En,
    /// French.
    Fr,
}

impl Lang {
    /// The `Content-Language` tag.
    #[must_use]
    pub const fn tag(self) -> &'static str {
        match self {
            Self::En => "en",
            Self::Fr => "fr",
        }
    }

    /// The language of a request: French when `fr` (or `fr-*`) has a higher
    /// weight than `en` (or `en-*`) in `Accept-Language`, else English.
    #[must_use]
    pub fn of(headers: &HeaderMap) -> Self {
        let value: Vec<&str> = headers
            .get_all(header::ACCEPT_LANGUAGE)
            .filter_map(|v| v.to_str().ok())
            .collect();
        Self::negotiate(&value.join(","))
    }

    /// [`Lang::of`] on the header's text.
    #[must_use]
    pub fn negotiate(accept_language: &str) -> Self {
        let (mut fr, mut en) = (0.0_f32, 0.0_f32);
        for range in accept_language.split(',') {
            let mut parts = range.split(';');
            let tag = parts.next().unwrap_or_default().trim().to_ascii_lowercase();
            let mut q = 1.0_f32;
            for p in parts {
                let p = p.trim();
                if let Some(v) = p.strip_prefix("q=").or_else(|| p.strip_prefix("Q=")) {
                    q = v.trim().parse::<f32>().unwrap_or(0.0).clamp(0.0, 1.0);
                }
            }
            match tag.split('-').next() {
                Some("fr") => fr = fr.max(q),
                Some("en") => en = en.max(q),
                _ => {}
            }
        }
        if fr > en { Self::Fr } else { Self::En }
    }
}

/// The title of a validation problem.
#[must_use]
pub const fn validation_title(lang: Lang) -> &'static str {
    match lang {
        Lang::En => "The request has invalid fields",
        Lang::Fr => "La requête contient des champs invalides",
    }
}

/// The detail of a validation problem refusing `n` fields.
#[must_use]
pub fn validation_detail(lang: Lang, n: usize) -> String {
    match (lang, n) {
        (Lang::En, 1) => "1 field was refused; see errors.".to_owned(),
        (Lang::En, n) => format!("{n} fields were refused; see errors."),
        (Lang::Fr, 1) => "1 champ a été refusé ; voir errors.".to_owned(),
        (Lang::Fr, n) => format!("{n} champs ont été refusés ; voir errors."),
    }
}

/// The message of a field error in `lang`.
#[must_use]
pub fn message(lang: Lang, error: &FieldError) -> String {
    match lang {
        Lang::En => error.message.clone(),
        // Errors with bounds (the schema's) are told from their code; a
        // rule's own message from the table, else from its code.
        Lang::Fr if !error.params.is_empty() => for_code(lang, error.code, &error.params),
        Lang::Fr => {
            translate(&error.message).unwrap_or_else(|| for_code(lang, error.code, &error.params))
        }
    }
}

/// The message of a code with its bounds (`min`, `max`, `unit`, `types`,
/// `values`, `format`, `exclusive`), in `lang`.
#[must_use]
pub fn for_code(lang: Lang, code: FieldCode, params: &[(&'static str, String)]) -> String {
    let param = |name: &str| {
        params
            .iter()
            .find(|(k, _)| *k == name)
            .map(|(_, v)| v.as_str())
    };
    let items = param("unit") == Some("items");
    let exclusive = param("exclusive") == Some("true");
    let fr = lang == Lang::Fr;
    match code {
        FieldCode::Required if fr => "est obligatoire".to_owned(),
        FieldCode::Required => "is required".to_owned(),
        FieldCode::InvalidType => {
            let types: Vec<&str> = param("types")
                .unwrap_or_default()
                .split(',')
                .filter(|t| !t.is_empty())
                .map(|t| type_name(lang, t))
                .collect();
            match (fr, types.is_empty()) {
                (true, true) => "n'a pas le bon type".to_owned(),
                (false, true) => "has the wrong type".to_owned(),
                (true, false) => format!("doit être {}", types.join(" ou ")),
                (false, false) => format!("must be {}", types.join(" or ")),
            }
        }
        FieldCode::UnknownValue => match (fr, param("values")) {
            (true, Some(v)) => format!("doit être l'une de ces valeurs : {v}"),
            (false, Some(v)) => format!("must be one of: {v}"),
            (true, None) => "n'est pas une valeur acceptée".to_owned(),
            (false, None) => "is not an accepted value".to_owned(),
        },
        FieldCode::UnknownField if fr => "n'est pas un champ de cette requête".to_owned(),
        FieldCode::UnknownField => "is not a field of this request".to_owned(),
        FieldCode::NullNotAllowed if fr => "ne peut pas être null".to_owned(),
        FieldCode::NullNotAllowed => "must not be null".to_owned(),
        FieldCode::TooShort => match (fr, param("min"), items) {
            (true, Some(n), true) => format!("doit contenir au moins {n} {}", unit(lang, n, true)),
            (true, Some(n), false) => format!("doit compter au moins {n} {}", unit(lang, n, false)),
            (false, Some(n), true) => format!("must have at least {n} {}", unit(lang, n, true)),
            (false, Some(n), false) => format!("must be at least {n} {}", unit(lang, n, false)),
            (true, None, _) => "est trop court".to_owned(),
            (false, None, _) => "is too short".to_owned(),
        },
        FieldCode::TooLong => match (fr, param("max"), items) {
            (true, Some(n), true) => format!("doit contenir au plus {n} {}", unit(lang, n, true)),
            (true, Some(n), false) => format!("doit compter au plus {n} {}", unit(lang, n, false)),
            (false, Some(n), true) => format!("must have at most {n} {}", unit(lang, n, true)),
            (false, Some(n), false) => format!("must be at most {n} {}", unit(lang, n, false)),
            (true, None, _) => "est trop long".to_owned(),
            (false, None, _) => "is too long".to_owned(),
        },
        FieldCode::TooSmall => match (fr, param("min"), exclusive) {
            (true, Some(n), true) => format!("doit être supérieur à {n}"),
            (true, Some(n), false) => format!("doit valoir au moins {n}"),
            (false, Some(n), true) => format!("must be greater than {n}"),
            (false, Some(n), false) => format!("must be at least {n}"),
            (true, None, _) => "est trop petit".to_owned(),
            (false, None, _) => "is too small".to_owned(),
        },
        FieldCode::TooLarge => match (fr, param("max"), exclusive) {
            (true, Some(n), true) => format!("doit être inférieur à {n}"),
            (true, Some(n), false) => format!("doit valoir au plus {n}"),
            (false, Some(n), true) => format!("must be less than {n}"),
            (false, Some(n), false) => format!("must be at most {n}"),
            (true, None, _) => "est trop grand".to_owned(),
            (false, None, _) => "is too large".to_owned(),
        },
        FieldCode::InvalidFormat => match (fr, param("format")) {
            (true, Some(f)) => format!("doit être au format {f}"),
            (false, Some(f)) => format!("must be in the {f} format"),
            (true, None) => "n'a pas le format attendu (voir la description du champ)".to_owned(),
            (false, None) => {
                "does not have the expected format (see the field's description)".to_owned()
            }
        },
        FieldCode::Invalid if fr => "n'est pas valide".to_owned(),
        FieldCode::Invalid => "is invalid".to_owned(),
    }
}

/// "characters" or "items", singular for 1 (and 0 in French).
fn unit(lang: Lang, n: &str, items: bool) -> &'static str {
    let one = n == "1" || (lang == Lang::Fr && n == "0");
    match (lang, items, one) {
        (Lang::En, false, true) => "character",
        (Lang::En, false, false) => "characters",
        (Lang::En, true, true) => "item",
        (Lang::En, true, false) => "items",
        (Lang::Fr, false, true) => "caractère",
        (Lang::Fr, false, false) => "caractères",
        (Lang::Fr, true, true) => "élément",
        (Lang::Fr, true, false) => "éléments",
    }
}

fn type_name(lang: Lang, json_type: &str) -> &'static str {
    match (lang, json_type) {
        (Lang::En, "string") => "a string",
        (Lang::En, "integer") => "an integer",
        (Lang::En, "number") => "a number",
        (Lang::En, "boolean") => "a boolean",
        (Lang::En, "object") => "an object",
        (Lang::En, "array") => "an array",
        (Lang::Fr, "string") => "une chaîne de caractères",
        (Lang::Fr, "integer") => "un nombre entier",
        (Lang::Fr, "number") => "un nombre",
        (Lang::Fr, "boolean") => "un booléen",
        (Lang::Fr, "object") => "un objet",
        (Lang::Fr, "array") => "un tableau",
        (_, _) => "null",
    }
}

/// The rules' own English messages and their French, `{}` standing for a
/// part (a bound, a list of names) kept as it is. More specific entries
/// come first.
const TRANSLATIONS: &[(&str, &str)] = &[
    (
        "must be an e-mail address such as name@example.com, at most 254 characters",
        "doit être une adresse e-mail comme nom@exemple.fr, d'au plus 254 caractères",
    ),
    (
        "must be 1 to 100 characters, without control characters",
        "doit compter de 1 à 100 caractères, sans caractère de contrôle",
    ),
    (
        "must be a phone number of 6 to 15 digits, optionally starting with +",
        "doit être un numéro de téléphone de 6 à 15 chiffres, éventuellement précédé de +",
    ),
    ("must be fr or en", "doit être fr ou en"),
    (
        "must be customer, shop_manager or admin",
        "doit être customer, shop_manager ou admin",
    ),
    (
        "must be shop_manager or admin",
        "doit être shop_manager ou admin",
    ),
    (
        "is too common; choose a less predictable passphrase",
        "est trop courant ; choisissez une phrase de passe moins prévisible",
    ),
    (
        "is unknown, already used or expired; ask for a new link",
        "est inconnu, déjà utilisé ou expiré ; demandez un nouveau lien",
    ),
    (
        "is not the account's current password",
        "n'est pas le mot de passe actuel du compte",
    ),
    (
        "must be true: the privacy policy has to be actively accepted",
        "doit valoir true : la politique de confidentialité doit être acceptée explicitement",
    ),
    (
        "must be the current version, {}",
        "doit être la version en vigueur, {}",
    ),
    (
        "must be at most {} bytes of JSON",
        "doit faire au plus {} octets de JSON",
    ),
    (
        "must be an ISO 3166-1 alpha-2 country code in capitals, such as FR",
        "doit être un code pays ISO 3166-1 alpha-2 en majuscules, comme FR",
    ),
    (
        "must be a two-letter ISO 3166-1 country code such as FR",
        "doit être un code pays ISO 3166-1 à deux lettres, comme FR",
    ),
    (
        "must be an https URL with a host name and a path of printable ASCII (percent-encode other characters)",
        "doit être une URL https avec un nom d'hôte et un chemin en ASCII imprimable (encodez les autres caractères en pourcentage)",
    ),
    ("the shop sells in EUR", "la boutique vend en EUR"),
    (
        "must be {} to {} upper-case letters, digits or hyphens",
        "doit compter de {} à {} lettres majuscules, chiffres ou tirets",
    ),
    (
        "a plan needs at least one format and at most one of each kind",
        "un plan a au moins un format et au plus un de chaque sorte",
    ),
    (
        "slug must be 1 to 100 lower-case letters, digits and single hyphens, not starting or ending with a hyphen",
        "le slug doit compter de 1 à 100 lettres minuscules, chiffres et tirets isolés, sans tiret au début ni à la fin",
    ),
    (
        "style must be one of: {}",
        "le style doit être l'un de : {}",
    ),
    (
        "format must be one of: {}",
        "le format doit être l'un de : {}",
    ),
    (
        "image URLs must be absolute https URLs of at most 2048 characters",
        "les URL d'images doivent être des URL https absolues d'au plus 2048 caractères",
    ),
    (
        "currency must be an ISO 4217 code of three upper-case letters",
        "la devise doit être un code ISO 4217 de trois lettres majuscules",
    ),
    (
        "amount must not be negative",
        "le montant ne doit pas être négatif",
    ),
    ("at most {} images", "au plus {} images"),
    (
        "header required: why this personal data is read ({} to {} characters)",
        "en-tête obligatoire : pourquoi ces données personnelles sont lues ({} à {} caractères)",
    ),
    (
        "is not valid for this listing",
        "n'est pas valide pour cette liste",
    ),
    (
        "cursor is not valid for this listing",
        "le curseur n'est pas valide pour cette liste",
    ),
    (
        "the cursor belongs to a listing with other filters, sort or order",
        "le curseur appartient à une liste d'autres filtres, tri ou ordre",
    ),
    (
        "the parameter `{}` is given more than once; it takes one value",
        "le paramètre `{}` est donné plusieurs fois ; il prend une seule valeur",
    ),
    (
        "must be a whole number of {} between {} and {}",
        "doit être un nombre entier ({}) entre {} et {}",
    ),
    (
        "must be a whole number between {} and {}",
        "doit être un nombre entier entre {} et {}",
    ),
    (
        "must not be greater than {}",
        "ne doit pas être supérieur à {}",
    ),
    (
        "must be at least {} characters",
        "doit compter au moins {} caractères",
    ),
    (
        "must be at most {} characters",
        "doit compter au plus {} caractères",
    ),
    (
        "must be {} to {} characters",
        "doit compter de {} à {} caractères",
    ),
    (
        "must be at most {} cents",
        "doit valoir au plus {} centimes",
    ),
    (
        "must be between {} and {}",
        "doit être compris entre {} et {}",
    ),
    ("must be at most {}", "doit valoir au plus {}"),
    ("appears more than once", "apparaît plusieurs fois"),
    ("could not be read", "n'a pas pu être lu"),
];

/// The French of one of the rules' English messages, if the table has it.
fn translate(english: &str) -> Option<String> {
    TRANSLATIONS.iter().find_map(|(en, fr)| {
        let parts = holes(en, english)?;
        let mut out = String::new();
        let mut parts = parts.into_iter();
        let mut pieces = fr.split("{}").peekable();
        while let Some(piece) = pieces.next() {
            out.push_str(piece);
            if pieces.peek().is_some() {
                out.push_str(parts.next().unwrap_or_default());
            }
        }
        Some(out)
    })
}

/// The parts of `text` standing where `template` has `{}`, if it matches.
fn holes<'a>(template: &str, text: &'a str) -> Option<Vec<&'a str>> {
    let mut pieces = template.split("{}");
    let mut rest = text.strip_prefix(pieces.next().unwrap_or_default())?;
    let mut parts = Vec::new();
    let pieces: Vec<&str> = pieces.collect();
    for (i, piece) in pieces.iter().enumerate() {
        let last = i + 1 == pieces.len();
        let at = if last && !piece.is_empty() {
            rest.strip_suffix(piece).map(str::len)?
        } else if last {
            rest.len()
        } else {
            rest.find(piece)?
        };
        let (part, after) = rest.split_at(at);
        if part.is_empty() {
            return None;
        }
        parts.push(part);
        rest = &after[piece.len()..];
    }
    rest.is_empty().then_some(parts)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn french_only_when_preferred_to_english() {
        for (header, lang) in [
            ("", Lang::En),
            ("fr", Lang::Fr),
            ("fr-FR,fr;q=0.9", Lang::Fr),
            ("FR-ca", Lang::Fr),
            ("en-US,en;q=0.9,fr;q=0.8", Lang::En),
            ("fr;q=0.5, en;q=0.8", Lang::En),
            ("de, fr;q=0.4", Lang::Fr),
            ("fr;q=0.5, en;q=0.5", Lang::En),
            ("fr;q=0", Lang::En),
            ("de", Lang::En),
            ("*", Lang::En),
            ("fr;q=nonsense", Lang::En),
        ] {
            assert_eq!(Lang::negotiate(header), lang, "{header:?}");
        }
    }

    #[test]
    fn every_code_has_a_message_in_both_languages_with_or_without_bounds() {
        for code in FieldCode::ALL {
            for lang in [Lang::En, Lang::Fr] {
                assert!(!for_code(lang, code, &[]).is_empty());
            }
        }
        let p = [("min", "12".to_owned())];
        assert_eq!(
            for_code(Lang::En, FieldCode::TooShort, &p),
            "must be at least 12 characters"
        );
        assert_eq!(
            for_code(Lang::Fr, FieldCode::TooShort, &p),
            "doit compter au moins 12 caractères"
        );
        let t = [("types", "string,null".to_owned())];
        assert_eq!(
            for_code(Lang::En, FieldCode::InvalidType, &t),
            "must be a string or null"
        );
    }

    #[test]
    fn the_rules_messages_are_translated_with_their_bounds() {
        for (en, fr) in [
            (
                "must be at least 12 characters",
                "doit compter au moins 12 caractères",
            ),
            (
                "must be a whole number between 1 and 100",
                "doit être un nombre entier entre 1 et 100",
            ),
            (
                "must be the current version, 2019-03-06",
                "doit être la version en vigueur, 2019-03-06",
            ),
            (
                "must be 1 to 200 characters",
                "doit compter de 1 à 200 caractères",
            ),
            ("must be at most 20", "doit valoir au plus 20"),
        ] {
            assert_eq!(translate(en).as_deref(), Some(fr), "{en}");
        }
        assert_eq!(translate("something new"), None);
        let unknown = FieldError {
            field: "x".into(),
            code: FieldCode::Invalid,
            message: "something new".into(),
            params: vec![],
        };
        assert_eq!(message(Lang::Fr, &unknown), "n'est pas valide");
        assert_eq!(message(Lang::En, &unknown), "something new");
    }

    #[test]
    fn every_translation_keeps_its_holes() {
        for (en, fr) in TRANSLATIONS {
            assert_eq!(en.matches("{}").count(), fr.matches("{}").count(), "{en}");
        }
    }
}
