//! The Model Context Protocol server: the tools an agent calls to read the warehouse, served at
//! `POST`/`GET /mcp` (streamable HTTP, mounted by [`crate::http`] behind the same rate limits,
//! request ids and latency metrics as `/graphql`) and over standard input and output by
//! `edustats mcp`. Built on the official Rust SDK, `rmcp`.
//!
//! This module owns the tool catalogue (names, JSON schemas of the arguments, descriptions),
//! the shaping of answers for a model's context (pages with totals) and the mapping of errors
//! to tool errors carrying the API's codes. It owns no query: each tool is a fixed, read-only
//! GraphQL document executed through the server's own [`Endpoint`] (the schema behind its
//! gate), so every value, choice rule, input bound, depth and complexity limit, error code and
//! statement count is the GraphQL API's by construction, and the database work runs where the
//! resolvers run it (on the blocking pool, through `analytics` and `db::queries`). A tool call
//! carries no key and runs as a read-only request, so it can never write.

use std::sync::atomic::AtomicU64;
use std::sync::Arc;
use std::time::{Duration, Instant};

use async_graphql::Variables;
use rmcp::handler::server::router::tool::ToolRouter;
use rmcp::handler::server::tool::ToolCallContext;
use rmcp::handler::server::wrapper::Parameters;
use rmcp::model::{CallToolRequestParams, CallToolResponse, CallToolResult, ContentBlock};
use rmcp::service::RequestContext;
use rmcp::transport::streamable_http_server::session::local::LocalSessionManager;
use rmcp::transport::streamable_http_server::{StreamableHttpServerConfig, StreamableHttpService};
use rmcp::{tool, tool_handler, tool_router, ErrorData, RoleServer, ServerHandler};
use serde_json::{json, Map, Value};

mod args;
pub mod refusal;

pub use args::*;

use crate::db::Db;
use crate::error::ErrorCode;
use crate::graphql::context;
use crate::graphql::gate::{Endpoint, Incoming};
use crate::observe::Metrics;

/// What every tool call needs: the endpoint it executes through, the database handle whose
/// per-request clones count statements, the metrics it reports to and the time limit of one
/// call (the GraphQL request limit).
#[derive(Clone)]
pub struct McpContext {
    /// The schema behind its gate (shared with `/graphql` when served over HTTP).
    pub endpoint: Arc<Endpoint>,
    /// The database handle.
    pub db: Db,
    /// Where calls are counted (`edustats_mcp_tool_calls_total`).
    pub metrics: Metrics,
    /// Time limit of one tool call.
    pub timeout: Duration,
}

/// The MCP server: one per session (HTTP) or per process (stdio).
#[derive(Clone)]
pub struct EduTools {
    cx: McpContext,
    tool_router: ToolRouter<EduTools>,
}

/// The errors of this layer. Each becomes a tool error whose text starts with its code, and
/// whose structured content is `{"error": {"code", "message"}}`.
#[derive(Debug, thiserror::Error)]
pub enum McpError {
    /// The query answered with an error; `code` is its `extensions.code` (`NOT_FOUND`,
    /// `BAD_USER_INPUT`, `GRAPHQL_VALIDATION_FAILED`, ...).
    #[error("{code}: {message}")]
    Api {
        /// The API's error code.
        code: String,
        /// Its message.
        message: String,
    },
    /// An argument outside what a tool accepts (a page size too large, say).
    #[error("{code}: {0}", code = ErrorCode::BadUserInput)]
    BadInput(String),
    /// The call ran past the request time limit.
    #[error("{code}: the call ran past its time limit of {0:?}", code = ErrorCode::Timeout)]
    Timeout(Duration),
}

impl McpError {
    /// The code clients switch on.
    pub fn code(&self) -> &str {
        match self {
            McpError::Api { code, .. } => code,
            McpError::BadInput(_) => ErrorCode::BadUserInput.as_str(),
            McpError::Timeout(_) => ErrorCode::Timeout.as_str(),
        }
    }

    fn into_result(self) -> CallToolResult {
        let message = match &self {
            McpError::Api { message, .. } => message.clone(),
            McpError::BadInput(m) => m.clone(),
            McpError::Timeout(_) => self.to_string(),
        };
        let body = json!({"error": {"code": self.code(), "message": message}});
        let mut result = CallToolResult::structured_error(body);
        // The text starts with the code, for clients (and models) that read only the text.
        result.content = vec![ContentBlock::text(self.to_string())];
        result
    }
}

/// `search_indicators`.
const SEARCH_INDICATORS: &str = "query McpSearchIndicators($search: String, $category: String) {
  indicators(search: $search, category: $category) {
    code nameZh nameEn unit category direction definition
    coverage { district { code } years }
  }
}";

/// `get_observations` (the observation fields are shared with `explain_quality_flags`).
const OBSERVATIONS: &str =
    "query McpObservations($filter: ObservationFilter, $first: Int, $after: String) {
  observations(filter: $filter, first: $first, after: $after) {
    totalCount
    pageInfo { hasNextPage endCursor }
    edges { node {
      key value unit valueText qualifier kind year periodNote
      district { code nameZh nameEn }
      indicator { code nameZh nameEn }
      breakdown { dimension member nameZh nameEn }
      quote
      source { code titleZh titleEn documentNumber issuer date }
    } }
  }
}";

/// `rank_districts`.
const RANKING: &str = "query McpRanking($indicator: String!, $year: Int!, $order: SortOrder,
    $kind: ObservationKind! = ACTUAL, $latest: Boolean! = false, $breakdown: [BreakdownInput!],
    $first: Int, $after: String) {
  ranking(indicator: $indicator, year: $year, order: $order, kind: $kind,
      latestOnOrBefore: $latest, breakdown: $breakdown, first: $first, after: $after) {
    indicator { code nameZh nameEn unit direction }
    year order rankedCount districtCount coverage
    stats { count mean median min max }
    pageInfo { hasNextPage endCursor }
    entries {
      rank value year percentile derived
      district { code nameZh nameEn }
      observation { key quote source { code titleZh titleEn documentNumber issuer date } }
    }
    missing { code nameZh nameEn }
  }
}";

/// `change_between_years`.
const CHANGE: &str = "query McpChange($indicator: String!, $from: Int!, $to: Int!,
    $districts: [String!], $breakdown: [BreakdownInput!]) {
  change(indicator: $indicator, from: $from, to: $to, districts: $districts, breakdown: $breakdown) {
    district { code nameZh nameEn }
    fromValue toValue absoluteChange absoluteUnit relativeChange relativeChangeGap
  }
}";

/// `compare_districts`.
const COMPARE: &str = "query McpCompare($districts: [String!]!, $indicators: [String!]!,
    $year: Int!, $latest: Boolean! = false, $breakdown: [BreakdownInput!]) {
  compare(districts: $districts, indicators: $indicators, year: $year,
      latestOnOrBefore: $latest, breakdown: $breakdown) {
    year
    indicators { code nameZh nameEn unit }
    rows {
      district { code nameZh nameEn }
      cells {
        indicator value year
        observation { key quote source { code titleZh titleEn documentNumber issuer date } }
      }
    }
  }
}";

/// `time_series`.
const SERIES: &str = "query McpTimeSeries($district: String!, $indicator: String!,
    $kind: ObservationKind! = ACTUAL, $breakdown: [BreakdownInput!]) {
  timeSeries(district: $district, indicator: $indicator, kind: $kind, breakdown: $breakdown) {
    district { code nameZh nameEn }
    indicator { code nameZh nameEn unit }
    points {
      year value
      observation { key quote source { code titleZh titleEn documentNumber issuer date } }
    }
  }
}";

/// `list_sources`.
const SOURCES: &str = "query McpSources {
  sources {
    code titleZh titleEn issuer documentNumber date kind reviewYear
    district { code nameZh nameEn }
  }
}";

/// `explain_quality_flags`.
const QUALITY: &str =
    "query McpQualityFlags($filter: ObservationFilter, $first: Int, $after: String) {
  observations(filter: $filter, first: $first, after: $after) {
    totalCount
    pageInfo { hasNextPage endCursor }
    edges { node {
      key value unit year kind quote
      district { code nameZh }
      indicator { code nameZh nameEn }
      breakdown { dimension member }
      source { code titleZh titleEn documentNumber issuer date }
      qualityFlags {
        code rule severity origin message messageZh
        observations { key value unit year district { code } indicator { code } source { code } }
      }
    } }
  }
}";

/// Checks a page size against [`MAX_PAGE`].
fn page_size(name: &str, given: Option<u32>, default: u32) -> Result<u32, McpError> {
    let n = given.unwrap_or(default);
    if (1..=MAX_PAGE).contains(&n) {
        Ok(n)
    } else {
        Err(McpError::BadInput(format!(
            "{name} must be between 1 and {MAX_PAGE}, got {n}"
        )))
    }
}

/// A breakdown argument as GraphQL's `[BreakdownInput!]`.
fn breakdown(b: Option<Vec<BreakdownArg>>) -> Value {
    match b {
        None => Value::Null,
        Some(pairs) => pairs
            .into_iter()
            .map(|p| json!({"dimension": p.dimension, "member": p.member}))
            .collect(),
    }
}

/// One page of a list the query returns whole (the catalogue, the sources, a change table):
/// `{total, offset, limit, hasMore, items}`.
fn page_of(list: Value, offset: Option<u32>, limit: u32) -> Value {
    let items = match list {
        Value::Array(items) => items,
        _ => Vec::new(),
    };
    let total = items.len();
    let offset = offset.unwrap_or(0) as usize;
    let page: Vec<Value> = items
        .into_iter()
        .skip(offset)
        .take(limit as usize)
        .collect();
    json!({
        "total": total,
        "offset": offset,
        "limit": limit,
        "hasMore": offset + page.len() < total,
        "items": page,
    })
}

/// An observation connection as `{total, hasMore, endCursor, items}`.
fn connection(c: Value) -> Value {
    let items: Vec<Value> = c["edges"]
        .as_array()
        .map(|edges| edges.iter().map(|e| e["node"].clone()).collect())
        .unwrap_or_default();
    json!({
        "total": c["totalCount"],
        "hasMore": c["pageInfo"]["hasNextPage"],
        "endCursor": c["pageInfo"]["endCursor"],
        "items": items,
    })
}

/// An indicator's coverage list (a row per district) summed up: how many districts report it
/// and in which years. The full list would be 38 rows per indicator.
fn summarise_coverage(mut indicator: Value) -> Value {
    let rows = indicator["coverage"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    let mut years: Vec<i64> = rows
        .iter()
        .flat_map(|r| r["years"].as_array().cloned().unwrap_or_default())
        .filter_map(|y| y.as_i64())
        .collect();
    years.sort_unstable();
    years.dedup();
    indicator["coverage"] = json!({"districts": rows.len(), "years": years});
    indicator
}

#[tool_router]
impl EduTools {
    /// The server over `cx`.
    pub fn new(cx: McpContext) -> EduTools {
        EduTools {
            cx,
            tool_router: Self::tool_router(),
        }
    }

    /// Executes `document` read-only with `variables` (nulls dropped, so a variable's default
    /// applies) and returns the `data` field `field`, or the first error with its code.
    async fn query(
        &self,
        tool: &'static str,
        document: &'static str,
        variables: Value,
        field: &str,
    ) -> Result<Value, McpError> {
        let started = Instant::now();
        let variables = match variables {
            Value::Object(m) => Value::Object(
                m.into_iter()
                    .filter(|(_, v)| !v.is_null())
                    .collect::<Map<_, _>>(),
            ),
            other => other,
        };
        let counter = Arc::new(AtomicU64::new(0));
        let db = self.cx.db.for_request(counter.clone());
        let request =
            async_graphql::Request::new(document).variables(Variables::from_json(variables));
        let incoming = Incoming {
            // No key: a tool reads what an anonymous client reads.
            request: context::attach(request, &db, None),
            db,
            read_only: true,
        };
        let answered = tokio::time::timeout(self.cx.timeout, self.cx.endpoint.execute(incoming))
            .await
            .map_err(|_| McpError::Timeout(self.cx.timeout))
            .and_then(|response| match response.errors.into_iter().next() {
                Some(e) => {
                    let code = e
                        .extensions
                        .as_ref()
                        .and_then(|x| x.get("code"))
                        .and_then(|c| match c {
                            async_graphql::Value::String(s) => Some(s.clone()),
                            _ => None,
                        })
                        .unwrap_or_else(|| ErrorCode::Internal.as_str().into());
                    Err(McpError::Api {
                        code,
                        message: e.message,
                    })
                }
                None => Ok(response
                    .data
                    .into_json()
                    .map(|mut d| d[field].take())
                    .unwrap_or(Value::Null)),
            });
        let code = match &answered {
            Ok(_) => "OK",
            Err(e) => e.code(),
        };
        let statements = counter.load(std::sync::atomic::Ordering::Relaxed);
        self.cx
            .metrics
            .mcp_answered(tool, code, started.elapsed(), statements);
        answered
    }

    /// Search the indicator catalogue.
    #[tool(
        description = "Search the indicator catalogue of Chongqing district education statistics by Chinese or English words or code (e.g. '专任教师', 'teacher', 'student_teacher_ratio'). Returns a page of indicators with code, Chinese and English names, canonical unit, category, direction (HIGHER_IS_BETTER / LOWER_IS_BETTER / NEUTRAL), definition, and coverage (how many districts report it and in which years), plus total and hasMore. Use the code in the other tools.",
        annotations(
            title = "Search indicators",
            read_only_hint = true,
            open_world_hint = false
        )
    )]
    async fn search_indicators(
        &self,
        Parameters(a): Parameters<SearchIndicatorsArgs>,
    ) -> Result<CallToolResult, ErrorData> {
        let run = async {
            let limit = page_size("limit", a.limit, 20)?;
            let vars = json!({"search": a.query, "category": a.category});
            let list = self
                .query("search_indicators", SEARCH_INDICATORS, vars, "indicators")
                .await?;
            let mut page = page_of(list, a.offset, limit);
            if let Some(items) = page["items"].as_array_mut() {
                for i in items.iter_mut() {
                    *i = summarise_coverage(i.take());
                }
            }
            Ok(page)
        };
        Ok(answer(run.await))
    }

    /// Observations with their citation.
    #[tool(
        description = "Get reported figures (observations) filtered like the CSV export: districts, indicators, years, kinds (ACTUAL, TARGET, CHANGE, GROWTH, RANK), source documents, breakdown. Each item has the value and unit, the printed text, the qualifier (EXACT, APPROXIMATE, AT_LEAST …), the district, indicator and breakdown, the exact quote from the report, and the source (title, document number 文号, issuer, date). Paged: total, hasMore, endCursor (pass it as `after`).",
        annotations(
            title = "Get observations",
            read_only_hint = true,
            open_world_hint = false
        )
    )]
    async fn get_observations(
        &self,
        Parameters(a): Parameters<ObservationsArgs>,
    ) -> Result<CallToolResult, ErrorData> {
        let run = async {
            let first = page_size("first", a.first, 20)?;
            let filter = json!({
                "districts": a.districts, "indicators": a.indicators, "years": a.years,
                "kinds": a.kinds, "sources": a.sources, "breakdown": breakdown(a.breakdown),
            });
            let vars = json!({"filter": filter, "first": first, "after": a.after});
            let c = self
                .query("get_observations", OBSERVATIONS, vars, "observations")
                .await?;
            Ok(connection(c))
        };
        Ok(answer(run.await))
    }

    /// Ranking of the districts on one indicator in one year.
    #[tool(
        description = "Rank Chongqing's 38 districts and counties on one indicator in one year, best first by the indicator's direction (or `order` ASC/DESC). Ties share a rank (1, 2, 2, 4). When several reports give a district's value, the most recently published wins. Returns the indicator, rankedCount, districtCount, coverage, summary stats (count, mean, median, min, max) over every ranked district, a page of entries (rank, value, year, percentile, district, the quote and source of the figure) and the districts missing a value. Paged: pass endCursor as `after`.",
        annotations(
            title = "Rank districts",
            read_only_hint = true,
            open_world_hint = false
        )
    )]
    async fn rank_districts(
        &self,
        Parameters(a): Parameters<RankArgs>,
    ) -> Result<CallToolResult, ErrorData> {
        let run = async {
            let first = page_size("first", a.first, 10)?;
            let vars = json!({
                "indicator": a.indicator, "year": a.year, "order": a.order, "kind": a.kind,
                "latest": a.latest_on_or_before, "breakdown": breakdown(a.breakdown),
                "first": first, "after": a.after,
            });
            self.query("rank_districts", RANKING, vars, "ranking").await
        };
        Ok(answer(run.await))
    }

    /// Change between two years.
    #[tool(
        description = "Change of one indicator between two years, one row per district (the districts given, or every district with a value in either year): fromValue, toValue, absoluteChange (in absoluteUnit; percentage points for a percent), relativeChange in percent, and relativeChangeGap saying why a change is missing (MISSING_FROM, MISSING_TO, MISSING_BOTH, ZERO_BASE). Actual values, chosen as in rank_districts. Paged with offset/limit and total.",
        annotations(
            title = "Change between two years",
            read_only_hint = true,
            open_world_hint = false
        )
    )]
    async fn change_between_years(
        &self,
        Parameters(a): Parameters<ChangeArgs>,
    ) -> Result<CallToolResult, ErrorData> {
        let run = async {
            let limit = page_size("limit", a.limit, 40)?;
            let vars = json!({
                "indicator": a.indicator, "from": a.from, "to": a.to,
                "districts": a.districts, "breakdown": breakdown(a.breakdown),
            });
            let rows = self
                .query("change_between_years", CHANGE, vars, "change")
                .await?;
            Ok(page_of(rows, a.offset, limit))
        };
        Ok(answer(run.await))
    }

    /// Districts × indicators for one year.
    #[tool(
        description = "Compare districts on several indicators in one year: a matrix with one row per district and one cell per indicator (value, year, the quote and source of the figure; value null when no report gives it). With latest_on_or_before a cell falls back to the latest earlier year and says which.",
        annotations(
            title = "Compare districts",
            read_only_hint = true,
            open_world_hint = false
        )
    )]
    async fn compare_districts(
        &self,
        Parameters(a): Parameters<CompareArgs>,
    ) -> Result<CallToolResult, ErrorData> {
        let vars = json!({
            "districts": a.districts, "indicators": a.indicators, "year": a.year,
            "latest": a.latest_on_or_before, "breakdown": breakdown(a.breakdown),
        });
        Ok(answer(
            self.query("compare_districts", COMPARE, vars, "compare")
                .await,
        ))
    }

    /// One district's values over the years.
    #[tool(
        description = "One district's values of one indicator over the years (whole-year periods), one point per year chosen as in rank_districts, each with the quote and source of the figure.",
        annotations(title = "Time series", read_only_hint = true, open_world_hint = false)
    )]
    async fn time_series(
        &self,
        Parameters(a): Parameters<SeriesArgs>,
    ) -> Result<CallToolResult, ErrorData> {
        let vars = json!({
            "district": a.district, "indicator": a.indicator, "kind": a.kind,
            "breakdown": breakdown(a.breakdown),
        });
        Ok(answer(
            self.query("time_series", SERIES, vars, "timeSeries").await,
        ))
    }

    /// The source documents.
    #[tool(
        description = "List the source documents (the district governments' education-duty reports every figure is quoted from): code, Chinese and English title, issuer, document number (文号), date, kind, review year and district. Paged with offset/limit and total.",
        annotations(title = "List sources", read_only_hint = true, open_world_hint = false)
    )]
    async fn list_sources(
        &self,
        Parameters(a): Parameters<SourcesArgs>,
    ) -> Result<CallToolResult, ErrorData> {
        let run = async {
            let limit = page_size("limit", a.limit, 20)?;
            let list = self
                .query("list_sources", SOURCES, json!({}), "sources")
                .await?;
            Ok(page_of(list, a.offset, limit))
        };
        Ok(answer(run.await))
    }

    /// The quality flags of a district's figure.
    #[tool(
        description = "Explain a figure's data-quality flags: for one district, indicator and year (optionally one source), each reported figure with its quote and source and the findings that concern it (rule such as sum_of_parts or range, severity, origin rule/curated, message in English and Chinese, and the other figures involved). An empty qualityFlags list means no rule found a problem. Paged like get_observations.",
        annotations(
            title = "Explain quality flags",
            read_only_hint = true,
            open_world_hint = false
        )
    )]
    async fn explain_quality_flags(
        &self,
        Parameters(a): Parameters<QualityArgs>,
    ) -> Result<CallToolResult, ErrorData> {
        let run = async {
            let first = page_size("first", a.first, 10)?;
            let filter = json!({
                "districts": [a.district], "indicators": [a.indicator], "years": [a.year],
                "sources": a.source.map(|s| vec![s]),
            });
            let vars = json!({"filter": filter, "first": first, "after": a.after});
            let c = self
                .query("explain_quality_flags", QUALITY, vars, "observations")
                .await?;
            Ok(connection(c))
        };
        Ok(answer(run.await))
    }
}

/// A tool's answer: the JSON as structured content (and as text, for clients that read only
/// text), or a tool error with the code.
fn answer(result: Result<Value, McpError>) -> CallToolResult {
    match result {
        Ok(v) => CallToolResult::structured(v),
        Err(e) => e.into_result(),
    }
}

#[tool_handler(
    router = self.tool_router,
    name = "edustats",
    instructions = "Read-only statistics from the education-duty reports of Chongqing's 38 districts and counties (教育督导 reports). Find indicator codes with search_indicators, district codes are 6-digit (e.g. 500153 荣昌区); every figure comes with the quote and the report it is printed in. Never state a figure the tools did not return."
)]
impl ServerHandler for EduTools {
    /// Routes the call to its tool. Arguments that do not fit the tool's schema (a missing
    /// `year`, a string for a number, an unknown field) are refused by the SDK before the tool
    /// runs, with a bare message: they get the `BAD_USER_INPUT` code here, as every other bad
    /// argument does.
    async fn call_tool(
        &self,
        request: CallToolRequestParams,
        context: RequestContext<RoleServer>,
    ) -> Result<CallToolResponse, ErrorData> {
        let started = Instant::now();
        let name = request.name.clone();
        let call = ToolCallContext::new(self, request, context);
        match self.tool_router.call(call).await? {
            CallToolResponse::Complete(r)
                if r.is_error == Some(true) && r.structured_content.is_none() =>
            {
                let text: Vec<&str> = r
                    .content
                    .iter()
                    .filter_map(|c| c.as_text().map(|t| t.text.as_str()))
                    .collect();
                let e = McpError::BadInput(text.join(" "));
                // Only a tool that exists gets here: the label stays one of ours.
                self.cx
                    .metrics
                    .mcp_answered(&name, e.code(), started.elapsed(), 0);
                Ok(e.into_result().into())
            }
            other => Ok(other),
        }
    }
}

/// The streamable HTTP transport as a tower service (mounted at `/mcp` by [`crate::http`]):
/// sessions kept in memory, a request body no larger than `body_bytes`. The `Host` header is not
/// checked (the tools read public statistics, as `/graphql` does, and a deployment is reached
/// by its own host name); a browser `Origin` is checked against `origins` when the server
/// restricts origins.
pub fn http_service(
    cx: McpContext,
    origins: Option<Vec<String>>,
    body_bytes: usize,
) -> StreamableHttpService<EduTools, LocalSessionManager> {
    let mut config = StreamableHttpServerConfig::default()
        .disable_allowed_hosts()
        .with_max_request_body_bytes(body_bytes);
    if let Some(origins) = origins {
        config = config.with_allowed_origins(origins);
    }
    StreamableHttpService::new(
        move || Ok(EduTools::new(cx.clone())),
        Arc::new(LocalSessionManager::default()),
        config,
    )
}

/// Serves the tools over standard input and output until the client closes them (`edustats
/// mcp`). Logs go to standard error: standard output carries only protocol messages.
pub async fn serve_stdio(cx: McpContext) -> Result<(), std::io::Error> {
    use rmcp::ServiceExt;
    let running = EduTools::new(cx)
        .serve(rmcp::transport::stdio())
        .await
        .map_err(|e| std::io::Error::other(format!("MCP initialisation: {e}")))?;
    running
        .waiting()
        .await
        .map_err(|e| std::io::Error::other(format!("MCP session: {e}")))?;
    Ok(())
}
