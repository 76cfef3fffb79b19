//! The catalogue as the process knows it: every division, indicator, breakdown and dimension
//! member, read once per data version and shared by the requests that run at that version, so
//! that a request's look-ups of codes and divisions make no statement.
//!
//! Why: on the seed database four of a ranking's five statements were catalogue look-ups (the
//! indicator by code, the breakdown by code, the divisions' levels, the entries' districts),
//! and each cost a statement prepared again on SQLite (a list bound as `IN (…)` is not kept
//! prepared) and a trip through the pool: about a third of the server's CPU per ranking
//! (`BENCHMARKS.md`, issue 27).
//!
//! When it is used, and why that is safe:
//! - only while the data version is known to the process ([`super::version`]: a watcher is
//!   connected). Every write of catalogue rows goes through a write of figures that bumps the
//!   version (`ingest::write::apply`, `synth`), as the response cache already relies on; the
//!   version is read once (one statement) after each write, then known again. A snapshot is
//!   labelled with the version known before it is read, so its rows are at least that recent,
//!   and it is dropped as soon as the version moves. Without a watcher (the CLI, the tests'
//!   routers) every look-up is a statement, as before;
//! - only inside [`super::Db::run`] on the primary, where the version is the primary's (a
//!   replica may lag behind the version);
//! - never inside a transaction: a write may have added rows the snapshot lacks (a seed, an
//!   import that creates indicators), and they must be visible to its own reads.
//!
//! [`snapshot`] is what the catalogue queries of [`super::queries`] consult; they answer from it
//! exactly what their statement would (the same rows, each once), so callers do not change.

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex};

use diesel::QueryResult;

use super::backend::DbConnection;
use super::models::{BreakdownId, District, DistrictId, Indicator, IndicatorId};
use super::version::{Lookup, Tracker};

/// The catalogue at one data version.
#[derive(Debug)]
pub struct Catalogue {
    /// Every division, in code order (the order of `queries::all_districts`).
    pub districts: Vec<District>,
    /// Position in `districts` by id.
    district_at: HashMap<DistrictId, usize>,
    /// Every indicator, in id order.
    pub indicators: Vec<Indicator>,
    /// Position in `indicators` by code and by id.
    indicator_by_code: HashMap<String, usize>,
    indicator_by_id: HashMap<IndicatorId, usize>,
    /// Breakdown ids by canonical code.
    breakdowns: HashMap<String, BreakdownId>,
    /// Every (dimension code, member code) pair.
    members: HashSet<(String, String)>,
}

impl Catalogue {
    /// Reads the whole catalogue: four statements.
    fn read(conn: &mut DbConnection) -> QueryResult<Catalogue> {
        use super::queries::catalogue_rows::{
            all_breakdowns, all_members, read_all_districts, read_all_indicators,
        };
        let districts = read_all_districts(conn)?;
        let mut indicators = read_all_indicators(conn)?;
        indicators.sort_by_key(|i| i.id);
        Ok(Catalogue {
            district_at: districts
                .iter()
                .enumerate()
                .map(|(n, d)| (d.id, n))
                .collect(),
            indicator_by_code: indicators
                .iter()
                .enumerate()
                .map(|(n, i)| (i.code.clone(), n))
                .collect(),
            indicator_by_id: indicators
                .iter()
                .enumerate()
                .map(|(n, i)| (i.id, n))
                .collect(),
            breakdowns: all_breakdowns(conn)?
                .into_iter()
                .map(|(id, code)| (code, id))
                .collect(),
            members: all_members(conn)?.into_iter().collect(),
            districts,
            indicators,
        })
    }

    /// The division with this id.
    pub fn district(&self, id: DistrictId) -> Option<&District> {
        self.district_at
            .get(&id)
            .and_then(|n| self.districts.get(*n))
    }

    /// The indicator with this code.
    pub fn indicator_by_code(&self, code: &str) -> Option<&Indicator> {
        self.indicator_by_code
            .get(code)
            .and_then(|n| self.indicators.get(*n))
    }

    /// The indicator with this id.
    pub fn indicator(&self, id: IndicatorId) -> Option<&Indicator> {
        self.indicator_by_id
            .get(&id)
            .and_then(|n| self.indicators.get(*n))
    }

    /// The id of the breakdown with this canonical code, if any value uses it.
    pub fn breakdown(&self, code: &str) -> Option<BreakdownId> {
        self.breakdowns.get(code).copied()
    }

    /// Whether `member` is a member of `dimension`.
    pub fn has_member(&self, dimension: &str, member: &str) -> bool {
        self.members
            .contains(&(dimension.to_string(), member.to_string()))
    }
}

/// The snapshot of one pool, shared by every clone of its [`super::Db`].
pub struct Catalogues {
    tracker: Arc<Tracker>,
    /// The latest snapshot and the version it was read at.
    slot: Mutex<Option<(i64, Arc<Catalogue>)>>,
}

impl Catalogues {
    /// No snapshot yet; versions from `tracker`.
    pub fn new(tracker: Arc<Tracker>) -> Catalogues {
        Catalogues {
            tracker,
            slot: Mutex::new(None),
        }
    }

    /// The snapshot held, if it is of the version known now (no connection needed).
    pub(super) fn held(&self) -> Option<Arc<Catalogue>> {
        let Lookup::Known(version) = self.tracker.lookup() else {
            return None;
        };
        let (v, held) = self.slot.lock().ok()?.clone()?;
        (v == version).then_some(held)
    }

    /// The catalogue at the current version, read now if the one held is of another version;
    /// `None` when the version is not known to the process.
    fn current(&self, conn: &mut DbConnection) -> QueryResult<Option<Arc<Catalogue>>> {
        let version = match self.tracker.lookup() {
            Lookup::Known(v) => v,
            // Watched, but not known since the last write: one statement, then known again.
            Lookup::Read(ticket) if self.tracker.watched() => {
                let v = super::queries::catalogue_rows::data_version(conn)?;
                self.tracker.learned(ticket, v);
                v
            }
            Lookup::Read(_) => return Ok(None),
        };
        if let Some((v, held)) = self.slot.lock().ok().and_then(|s| s.clone()) {
            if v == version {
                return Ok(Some(held));
            }
        }
        // Read outside the lock: a request that needs the catalogue at once does not wait
        // for another's read (two reads after a write are possible, and harmless).
        let fresh = Arc::new(Catalogue::read(conn)?);
        if let Ok(mut slot) = self.slot.lock() {
            if slot.as_ref().is_none_or(|(v, _)| *v <= version) {
                *slot = Some((version, fresh.clone()));
            }
        }
        Ok(Some(fresh))
    }
}

std::thread_local! {
    /// The catalogues [`super::Db::run`] lets the closure running on this thread use.
    static CURRENT: std::cell::RefCell<Option<Arc<Catalogues>>> =
        const { std::cell::RefCell::new(None) };
}

/// Lets the catalogue queries of the closure running on this thread answer from `catalogues`
/// until the scope is dropped (even by a panic).
pub(super) struct Scope;

impl Scope {
    pub(super) fn enter(catalogues: Option<Arc<Catalogues>>) -> Scope {
        CURRENT.with(|c| *c.borrow_mut() = catalogues);
        Scope
    }
}

impl Drop for Scope {
    fn drop(&mut self) {
        CURRENT.with(|c| *c.borrow_mut() = None);
    }
}

/// The catalogue the current closure may answer from (see the module doc for when there is
/// one); `None`: run the statement.
pub(crate) fn snapshot(conn: &mut DbConnection) -> QueryResult<Option<Arc<Catalogue>>> {
    let Some(catalogues) = CURRENT.with(|c| c.borrow().clone()) else {
        return Ok(None);
    };
    if in_transaction(conn)? {
        return Ok(None);
    }
    catalogues.current(conn)
}

fn in_transaction(conn: &mut DbConnection) -> QueryResult<bool> {
    use diesel::connection::{AnsiTransactionManager, TransactionManager};
    crate::per_backend!(&mut *conn, c =>
        Ok(AnsiTransactionManager::transaction_manager_status_mut(c)
            .transaction_depth()?
            .is_some()))
}
