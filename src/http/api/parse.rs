//! Turning request fields into domain values, collecting every field error at once.

use chrono::{DateTime, Utc};

pub use crate::domain::time::parse_time;
use crate::domain::{ServiceSlug, ValidationError};

/// Collects field errors so one answer can name them all.
#[derive(Default)]
pub struct Fields {
    pub errors: Vec<ValidationError>,
}

impl Fields {
    pub fn check<T>(&mut self, result: Result<T, ValidationError>) -> Option<T> {
        result.map_err(|e| self.errors.push(e)).ok()
    }

    pub fn enumerated<T>(&mut self, field: &'static str, raw: Option<&str>) -> Option<T>
    where
        T: std::str::FromStr,
        T::Err: std::fmt::Display,
    {
        let raw = raw?;
        self.check(
            raw.parse::<T>()
                .map_err(|e| ValidationError::new(field, e.to_string())),
        )
    }

    pub fn time(&mut self, field: &'static str, raw: Option<&str>) -> Option<DateTime<Utc>> {
        self.check(parse_time(field, raw?))
    }

    pub fn slugs(&mut self, field: &'static str, raw: &[String]) -> Vec<ServiceSlug> {
        raw.iter()
            .filter_map(|s| self.check(ServiceSlug::parse(field, s)))
            .collect()
    }

    pub fn finish(self) -> Result<(), Vec<ValidationError>> {
        if self.errors.is_empty() {
            Ok(())
        } else {
            Err(self.errors)
        }
    }
}

/// A time that is not in the future (a few minutes of clock skew are allowed).
pub fn not_future(field: &'static str, t: DateTime<Utc>) -> Result<DateTime<Utc>, ValidationError> {
    if t > Utc::now() + chrono::Duration::minutes(5) {
        return Err(ValidationError::new(field, "must not be in the future"));
    }
    Ok(t)
}
