//! The statements the catalogue snapshot (`db::catalogue`) is read from, and the data version
//! it is labelled with: always statements, never the snapshot, so the snapshot can read them
//! without importing the queries that consult it (no import cycle).

use diesel::prelude::*;

use crate::db::backend::DbConnection;
use crate::db::models::*;
use crate::db::schema::*;

/// [`all_districts`] as a statement, always (what the catalogue snapshot is read from).
pub(crate) fn read_all_districts(conn: &mut DbConnection) -> QueryResult<Vec<District>> {
    districts::table
        .select(District::as_select())
        .order(districts::code.asc())
        .load(conn)
}

/// Every indicator, in no particular order: what the catalogue snapshot is read from.
pub(crate) fn read_all_indicators(conn: &mut DbConnection) -> QueryResult<Vec<Indicator>> {
    indicators::table.select(Indicator::as_select()).load(conn)
}

/// Every breakdown's code by id.
pub fn all_breakdowns(conn: &mut DbConnection) -> QueryResult<Vec<(BreakdownId, String)>> {
    let rows: Vec<(i32, String)> = breakdowns::table
        .select((breakdowns::id, breakdowns::code))
        .load(conn)?;
    Ok(rows.into_iter().map(|(i, c)| (BreakdownId(i), c)).collect())
}

/// Every (dimension, member) code pair.
pub fn all_members(conn: &mut DbConnection) -> QueryResult<Vec<(String, String)>> {
    dimension_members::table
        .inner_join(dimensions::table)
        .select((dimensions::code, dimension_members::code))
        .load(conn)
}

/// The data version (see the `data_version` migration): what the response cache and the GET
/// ETags are keyed by. One statement reading one row.
pub fn data_version(conn: &mut DbConnection) -> QueryResult<i64> {
    data_version::table
        .select(data_version::version)
        .first(conn)
}
