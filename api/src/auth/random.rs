//! Randomness for single-use links and generated passwords, from the
//! operating system.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use domain::identity::Randomness;
use rand::Rng as _;

/// The operating system's randomness.
#[derive(Debug, Clone, Copy, Default)]
pub struct OsRandom;

impl Randomness for OsRandom {
    fn token(&self) -> String {
        let mut bytes = [0u8; 32];
        rand::rng().fill_bytes(&mut bytes);
        URL_SAFE_NO_PAD.encode(bytes)
    }

    /// 20 characters from an unambiguous alphabet (about 110 bits).
    fn password(&self) -> String {
        const ALPHABET: &[u8] = b"abcdefghjkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789";
        let mut rng = rand::rng();
        (0..20)
            .map(|_| {
                let mut b = [0u8; 1];
                // Rejection sampling keeps every character equally likely.
                loop {
                    rng.fill_bytes(&mut b);
                    let i = usize::from(b[0]);
                    if i < 256 - 256 % ALPHABET.len() {
                        return char::from(ALPHABET[i % ALPHABET.len()]);
                    }
                }
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use domain::identity::Password;

    #[test]
    fn generated_passwords_are_long_and_pass_the_policy() {
        let a = OsRandom.password();
        assert_eq!(a.chars().count(), 20);
        assert!(Password::parse(&a).is_ok());
        assert_ne!(a, OsRandom.password());
    }

    #[test]
    fn tokens_are_long_and_stored_only_as_hashes() {
        let token = OsRandom.token();
        assert!(token.len() >= 43);
        assert_eq!(domain::identity::token_hash(&token).len(), 32);
    }
}
