//! The country of a source address, from a MaxMind-format database when
//! one is configured (`BOUTIQUE_GEOIP_DB`): GeoLite2-Country (MaxMind's
//! licence) or the public-domain ip-location-db country databases (npm
//! `@ip-location-db/geo-whois-asn-country-mmdb`, CC0). Used for estimates
//! without an address and for the fraud signal of a checkout whose source
//! is in another country than its billing address; the address itself is
//! never kept for this.

use std::net::IpAddr;
use std::path::Path;

use anyhow::Context as _;
use maxminddb::{Reader, path};

/// A country database, or none.
#[derive(Default)]
pub struct Geo {
    reader: Option<Reader<Vec<u8>>>,
}

impl std::fmt::Debug for Geo {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Geo")
            .field("database", &self.reader.is_some())
            .finish()
    }
}

impl Geo {
    /// Opens the database at `path`, read into memory once; none without a path.
    ///
    /// # Errors
    /// When the file cannot be read or is not a MaxMind database.
    pub fn open(path: Option<&Path>) -> anyhow::Result<Self> {
        let Some(p) = path else {
            return Ok(Self::default());
        };
        let reader = Reader::open_readfile(p)
            .with_context(|| format!("cannot open the country database {}", p.display()))?;
        Ok(Self {
            reader: Some(reader),
        })
    }

    /// Whether a database is in use.
    #[must_use]
    pub fn enabled(&self) -> bool {
        self.reader.is_some()
    }

    /// The ISO 3166-1 alpha-2 code of `ip`'s country, when known.
    #[must_use]
    pub fn country(&self, ip: IpAddr) -> Option<String> {
        let reader = self.reader.as_ref()?;
        let found = reader.lookup(ip).ok()?;
        // GeoLite2 writes `country.iso_code`; ip-location-db `country_code`.
        let code: Option<String> = found
            .decode_path(&path!["country", "iso_code"])
            .ok()
            .flatten()
            .or_else(|| found.decode_path(&path!["country_code"]).ok().flatten());
        code.filter(|c| c.len() == 2 && c.bytes().all(|b| b.is_ascii_uppercase()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_test_database_answers_both_layouts() {
        let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/fixtures/geo-test.mmdb");
        let geo = Geo::open(Some(&path)).unwrap();
        let at = |ip: &str| geo.country(ip.parse().unwrap());
        assert_eq!(at("192.0.2.7").as_deref(), Some("DE"));
        assert_eq!(at("198.51.100.1").as_deref(), Some("US"));
        assert_eq!(at("203.0.113.9").as_deref(), Some("FR"));
        assert_eq!(at("2001:db8::1").as_deref(), Some("CH"));
        assert_eq!(at("10.0.0.1"), None);
        assert_eq!(Geo::default().country("192.0.2.7".parse().unwrap()), None);
    }
}
