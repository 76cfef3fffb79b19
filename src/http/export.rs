//! The bulk exports and the statistical-exchange resources: `GET /export/observations.csv`
//! and `GET /export/observations.sdmx.csv` (streamed, any number of rows),
//! `GET /export/dataset.jsonstat` and the SDMX REST resources `GET /sdmx/structure/…` and
//! `GET /sdmx/data/…` (built in memory, bounded). Each handler parses one set of filter
//! parameters ([`ExportParams`]), resolves it, and streams or sends what [`crate::export`]
//! writes; at most [`super::Limits::max_exports`] run at once.

use axum::body::Body;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Path, Query, State};
use axum::http::header::{CONTENT_DISPOSITION, CONTENT_TYPE};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};

use super::{error_response, AppState};
use crate::analytics::FilterCodes;
use crate::db::queries::ObservationQuery;
use crate::db::Db;
use crate::error::ApiError;

/// Query parameters of every export (CSV, SDMX, JSON-stat): comma-separated lists, like the
/// `observations` filter.
#[derive(Debug, Default, serde::Deserialize)]
pub(super) struct ExportParams {
    indicator: Option<String>,
    district: Option<String>,
    year: Option<String>,
    kind: Option<String>,
    source: Option<String>,
}

impl ExportParams {
    /// The filter the parameters name (codes not yet resolved).
    fn codes(&self) -> Result<FilterCodes, ApiError> {
        Ok(FilterCodes {
            districts: list("district", &self.district)?,
            indicators: list("indicator", &self.indicator)?,
            years: list("year", &self.year)?,
            kinds: list("kind", &self.kind)?,
            sources: list("source", &self.source)?,
            breakdown: None,
        })
    }
}

/// The query parameters of an export, or `BAD_USER_INPUT` saying why they cannot be read (a
/// parameter given twice, say) instead of axum's plain-text refusal.
fn params<T>(q: Result<Query<T>, QueryRejection>) -> Result<T, ApiError> {
    q.map(|Query(p)| p).map_err(|e| {
        ApiError::BadInput(format!(
            "the query string cannot be read: {}",
            e.body_text()
        ))
    })
}

/// Resolves a filter's codes to ids on the blocking pool (unknown codes are `NOT_FOUND`).
async fn resolve(state: &AppState, codes: FilterCodes) -> Result<ObservationQuery, ApiError> {
    state
        .db
        .run(move |c| crate::analytics::resolve_observation_filter(c, &codes))
        .await
        .map_err(ApiError::from)
}

/// One of the export permits, held until the export ends however it ends; when all are taken,
/// 503 `TOO_MANY_EXPORTS` with `Retry-After`.
fn export_permit(state: &AppState) -> Result<tokio::sync::OwnedSemaphorePermit, ApiError> {
    state.exports.clone().try_acquire_owned().map_err(|_| {
        ApiError::TooManyExports(format!(
            "{} exports are running, the most this server runs at once; retry shortly",
            state.limits.max_exports
        ))
    })
}

/// The permit and the resolved filter of an export request.
async fn start_export(
    state: &AppState,
    codes: Result<FilterCodes, ApiError>,
) -> Result<(tokio::sync::OwnedSemaphorePermit, ObservationQuery), ApiError> {
    let permit = export_permit(state)?;
    let q = resolve(state, codes?).await?;
    Ok((permit, q))
}

/// A streaming writer of an export (see [`crate::export::write_csv`]).
type StreamWriter = fn(
    &mut Db,
    &ObservationQuery,
    crate::export::ChannelWriter,
) -> Result<usize, crate::export::ExportError>;

/// Streams what `write` writes as the response body: the export runs on the blocking pool and
/// hands 64 KiB chunks to the body through a small bounded channel, so memory stays flat
/// whatever the number of rows, and a client that stops reading stops the export. The export
/// checks a connection out per page (see [`crate::export`]): a client that stops reading blocks
/// only this task, never a pooled connection.
fn stream_export(
    state: &AppState,
    permit: tokio::sync::OwnedSemaphorePermit,
    q: ObservationQuery,
    write: StreamWriter,
    content_type: &'static str,
    disposition: &'static str,
) -> Response {
    let (tx, rx) = tokio::sync::mpsc::channel::<Result<Vec<u8>, std::io::Error>>(4);
    let mut db = state.db.clone();
    let in_flight = state.metrics.export_started();
    tokio::task::spawn_blocking(move || {
        // Counted until the stream ends, however it ends (done, failed, client gone).
        let _in_flight = in_flight;
        let _permit = permit;
        let result = write(&mut db, &q, crate::export::ChannelWriter::new(tx.clone()))
            .map_err(|e| std::io::Error::other(e.to_string()));
        if let Err(e) = result {
            tracing::error!(error = %e, "export stopped");
            let _ = tx.blocking_send(Err(e));
        }
    });
    let stream = tokio_stream::wrappers::ReceiverStream::new(rx);
    Response::builder()
        .status(StatusCode::OK)
        .header(CONTENT_TYPE, content_type)
        .header(CONTENT_DISPOSITION, disposition)
        .body(Body::from_stream(stream))
        .unwrap_or_else(|_| error_response(ApiError::Internal("response builder".into())))
}

/// A message as JSON bytes.
fn to_json(v: &impl serde::Serialize) -> Result<Vec<u8>, ApiError> {
    serde_json::to_vec(v).map_err(|e| ApiError::Internal(format!("json: {e}")))
}

/// Builds a JSON answer on the blocking pool with the export permit held and the export counted
/// in flight (the SDMX-JSON data message, the JSON-stat dataset: built in memory, bounded by
/// [`Limits::max_message_observations`]).
async fn json_export(
    state: &AppState,
    permit: tokio::sync::OwnedSemaphorePermit,
    content_type: &'static str,
    build: impl FnOnce(&mut Db) -> Result<Vec<u8>, ApiError> + Send + 'static,
) -> Response {
    let mut db = state.db.clone();
    let in_flight = state.metrics.export_started();
    let built = tokio::task::spawn_blocking(move || {
        let _in_flight = in_flight;
        let _permit = permit;
        build(&mut db)
    })
    .await
    .unwrap_or_else(|e| Err(ApiError::Internal(format!("export task: {e}"))));
    match built {
        Ok(body) => ([(CONTENT_TYPE, content_type)], body).into_response(),
        Err(e) => error_response(e),
    }
}

/// A comma-separated parameter, each item parsed; a bad item is `BAD_USER_INPUT` naming it.
fn list<T>(name: &str, v: &Option<String>) -> Result<Option<Vec<T>>, ApiError>
where
    T: std::str::FromStr,
    T::Err: std::fmt::Display,
{
    v.as_ref()
        .map(|s| {
            s.split(',')
                .map(str::trim)
                .filter(|x| !x.is_empty())
                .map(|x| {
                    x.parse::<T>().map_err(|e| {
                        // Vocabulary errors already quote the value; number errors do not.
                        let reason = e.to_string();
                        let message = if reason.contains(&format!("{x:?}")) {
                            reason
                        } else {
                            format!("invalid {name} {x:?}: {reason}")
                        };
                        ApiError::BadInput(message)
                    })
                })
                .collect()
        })
        .transpose()
}

/// A streamed export: the filters read and resolved, then what `write` writes as the body.
async fn streamed(
    state: &AppState,
    query: Result<Query<ExportParams>, QueryRejection>,
    write: StreamWriter,
    content_type: &'static str,
    disposition: &'static str,
) -> Response {
    let codes = params(query).and_then(|p| p.codes());
    match start_export(state, codes).await {
        Ok((permit, q)) => stream_export(state, permit, q, write, content_type, disposition),
        Err(e) => error_response(e),
    }
}

/// `GET /export/observations.csv`: the observations the filters select, streamed as CSV
/// (see [`crate::export::write_csv`]).
pub(super) async fn export_csv(
    State(state): State<AppState>,
    query: Result<Query<ExportParams>, QueryRejection>,
) -> Response {
    let disposition = "attachment; filename=\"observations.csv\"";
    let write = crate::export::write_csv;
    streamed(&state, query, write, "text/csv; charset=utf-8", disposition).await
}

/// `GET /export/observations.sdmx.csv`: the same filters and stream as the CSV export, in
/// SDMX-CSV 2.0 (see [`crate::export::sdmx`]).
pub(super) async fn export_sdmx_csv(
    State(state): State<AppState>,
    query: Result<Query<ExportParams>, QueryRejection>,
) -> Response {
    let disposition = "attachment; filename=\"observations.sdmx.csv\"";
    let media_type = crate::export::sdmx::CSV_MEDIA_TYPE;
    streamed(
        &state,
        query,
        crate::export::sdmx::write_csv,
        media_type,
        disposition,
    )
    .await
}

/// Parameters of the JSON-stat dataset: the export's filters (`indicator` required) and the
/// labels' language.
#[derive(Debug, Default, serde::Deserialize)]
pub(super) struct JsonStatParams {
    #[serde(flatten)]
    filter: ExportParams,
    lang: Option<String>,
}

/// `GET /export/dataset.jsonstat?indicator=…`: a JSON-stat 2.0 dataset (see
/// [`crate::export::jsonstat`]).
pub(super) async fn export_jsonstat(
    State(state): State<AppState>,
    query: Result<Query<JsonStatParams>, QueryRejection>,
) -> Response {
    let parsed = params(query).and_then(|p| {
        if p.filter.indicator.as_deref().is_none_or(|i| i.trim().is_empty()) {
            return Err(ApiError::BadInput(
                "indicator is required: a JSON-stat dataset is a cube over the indicators it is asked for (indicator=code[,code…])".into(),
            ));
        }
        let lang = p
            .lang
            .as_deref()
            .map(str::parse::<crate::export::cube::Lang>)
            .transpose()
            .map_err(ApiError::BadInput)?
            .unwrap_or_default();
        Ok((p.filter.codes()?, lang))
    });
    let (codes, lang) = match parsed {
        Ok((c, l)) => (Ok(c), l),
        Err(e) => (Err(e), Default::default()),
    };
    let (permit, q) = match start_export(&state, codes).await {
        Ok(x) => x,
        Err(e) => return error_response(e),
    };
    let limit = state.limits.max_message_observations;
    json_export(
        &state,
        permit,
        crate::export::jsonstat::MEDIA_TYPE,
        move |db| {
            let cube = crate::export::cube::load(db, &q, limit, "JSON-stat")?;
            let dataset = crate::export::jsonstat::dataset(&cube, lang, &crate::db::now_utc())
                .map_err(|e| ApiError::TooLarge(e.to_string()))?;
            to_json(&dataset)
        },
    )
    .await
}

/// Parameters of an SDMX structure query.
#[derive(Debug, Default, serde::Deserialize)]
pub(super) struct StructureParams {
    references: Option<String>,
    /// Accepted and ignored: every artefact is returned in full.
    #[allow(dead_code)]
    detail: Option<String>,
}

/// An SDMX path refusal as the API error: 404 `NOT_FOUND` for what is not held, 400
/// `BAD_USER_INPUT` for what is malformed.
fn path_error(e: crate::export::sdmx::PathError) -> ApiError {
    match e {
        crate::export::sdmx::PathError::NotFound(kind, code) => ApiError::NotFound {
            kind: if kind == "structure type" {
                "structure type"
            } else {
                "SDMX artefact"
            },
            code: if kind == "structure type" {
                code
            } else {
                format!("{kind}={code}")
            },
        },
        crate::export::sdmx::PathError::Bad(m) => ApiError::BadInput(m),
    }
}

/// `GET /sdmx/structure/{type}/{agency}/{id}/{version}`: an SDMX-JSON 2.0 structure message.
pub(super) async fn sdmx_structure(
    State(state): State<AppState>,
    Path(path): Path<String>,
    query: Result<Query<StructureParams>, QueryRejection>,
) -> Response {
    let parsed = params(query).and_then(|p| {
        crate::export::sdmx::StructureQuery::parse(&path, p.references.as_deref())
            .map_err(path_error)
    });
    let q = match parsed {
        Ok(q) => q,
        Err(e) => return error_response(e),
    };
    let mut db = state.db.clone();
    let built = tokio::task::spawn_blocking(move || {
        let cat = crate::export::cube::catalogue(&mut db)?;
        let msg = crate::export::sdmx::structure_message(&q, &cat, &crate::db::now_utc());
        serde_json::to_vec(&msg).map_err(crate::export::ExportError::from)
    })
    .await
    .map_err(|e| ApiError::Internal(format!("structure task: {e}")))
    .and_then(|r| r.map_err(ApiError::from));
    match built {
        Ok(body) => (
            [(CONTENT_TYPE, crate::export::sdmx::STRUCTURE_MEDIA_TYPE)],
            body,
        )
            .into_response(),
        Err(e) => error_response(e),
    }
}

/// Parameters of an SDMX data query: the export's filters, and `dimensionAtObservation`
/// (only `TIME_PERIOD`, the default, is offered).
#[derive(Debug, Default, serde::Deserialize)]
pub(super) struct DataParams {
    #[serde(flatten)]
    filter: ExportParams,
    #[serde(rename = "dimensionAtObservation")]
    dimension_at_observation: Option<String>,
}

/// The filter of an SDMX data query: the key's and the parameters', a dimension named in both
/// refused.
fn data_filter(path: &str, p: &DataParams) -> Result<(FilterCodes, Option<Vec<u32>>), ApiError> {
    use crate::export::sdmx::DataQuery;
    if let Some(d) = p.dimension_at_observation.as_deref() {
        if d != "TIME_PERIOD" {
            return Err(ApiError::BadInput(format!(
                "dimensionAtObservation {d:?} is not offered: observations are by TIME_PERIOD (for a flat table, use /export/observations.sdmx.csv)"
            )));
        }
    }
    let key = DataQuery::parse(path).map_err(path_error)?;
    let mut codes = p.filter.codes()?;
    let both = |name: &str| {
        ApiError::BadInput(format!(
            "{name} is given both in the key and as a parameter: give it once"
        ))
    };
    if let Some(d) = key.districts {
        if codes.districts.is_some() {
            return Err(both("district"));
        }
        codes.districts = Some(d);
    }
    if let Some(i) = key.indicators {
        if codes.indicators.is_some() {
            return Err(both("indicator"));
        }
        codes.indicators = Some(i);
    }
    if let Some(k) = key.kinds {
        if codes.kinds.is_some() {
            return Err(both("kind"));
        }
        codes.kinds = Some(
            k.iter()
                .map(|k| {
                    k.parse()
                        .map_err(|e: crate::domain::UnknownTerm| ApiError::BadInput(e.to_string()))
                })
                .collect::<Result<_, _>>()?,
        );
    }
    if let Some(b) = key.breakdown {
        codes.breakdown = Some(
            b.parse()
                .map_err(|e: crate::domain::BreakdownError| ApiError::BadInput(e.to_string()))?,
        );
    }
    Ok((codes, key.figures))
}

/// `GET /sdmx/data/{context}/{agency}/{id}/{version}/{key}`: an SDMX-JSON data message, 2.0,
/// or 1.0 when `Accept` asks for `application/vnd.sdmx.data+json;version=1.0.0`.
pub(super) async fn sdmx_data(
    State(state): State<AppState>,
    Path(path): Path<String>,
    headers: HeaderMap,
    query: Result<Query<DataParams>, QueryRejection>,
) -> Response {
    let parsed = params(query).and_then(|p| data_filter(&path, &p));
    let (codes, figures) = match parsed {
        Ok((c, f)) => (Ok(c), f),
        Err(e) => (Err(e), None),
    };
    let (permit, q) = match start_export(&state, codes).await {
        Ok(x) => x,
        Err(e) => return error_response(e),
    };
    let version = crate::export::sdmx::JsonVersion::from_accept(
        headers
            .get(axum::http::header::ACCEPT)
            .and_then(|v| v.to_str().ok()),
    );
    let limit = state.limits.max_message_observations;
    json_export(&state, permit, version.media_type(), move |db| {
        let mut cube = crate::export::cube::load(db, &q, limit, "SDMX-JSON")?;
        if let Some(f) = figures {
            cube.cells.retain(|c| f.contains(&c.figure));
        }
        to_json(&crate::export::sdmx::data_message(
            &cube,
            version,
            &crate::db::now_utc(),
        ))
    })
    .await
}
