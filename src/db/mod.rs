//! Storage: the two backends behind one connection ([`backend`]), the pool ([`conn`]),
//! migrations ([`migrate`]), the diesel schema, row models, the
//! queries the API needs ([`queries`]), the data version as the process knows it
//! ([`version`]) and the catalogue read once per version ([`catalogue`]). Everything here is synchronous and takes a connection; callers run it
//! through [`Db::run`] on the blocking pool (the version's watcher runs on a thread of its
//! own).

pub mod backend;
pub mod catalogue;
pub mod conn;
pub mod listen;
pub mod migrate;
pub mod models;
pub mod queries;
pub mod schema;
pub mod version;

pub use backend::{Backend, DatabaseUrl, DbConnection, DbError};
pub use conn::{Db, PoolOptions};

/// The current time as stored: ISO 8601 UTC with microseconds, which sorts correctly as text.
pub fn now_utc() -> String {
    format_utc(chrono::Utc::now())
}

/// An instant in the stored format.
pub fn format_utc(t: chrono::DateTime<chrono::Utc>) -> String {
    t.format("%Y-%m-%dT%H:%M:%S%.6fZ").to_string()
}
