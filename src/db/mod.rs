//! Storage: connections and pool ([`conn`]), migrations, the diesel schema, row models and the
//! queries the API needs ([`queries`]). Everything here is synchronous and takes a connection;
//! callers run it through [`Db::run`] on the blocking pool.

pub mod conn;
pub mod models;
pub mod queries;
pub mod schema;

pub use conn::{Backend, DatabaseUrl, Db, DbConnection, DbError, PoolOptions};
