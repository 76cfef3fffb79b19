//! Leave-one-report-out evaluation: each seed report is extracted with a knowledge built
//! without its own observations (and without the indicators only it uses), and compared with
//! its curated observations.
//!
//! A curated figure is *found* when a figure with the same canonical value has a quote that
//! overlaps the curated quote; one figure matches at most one curated figure.

use super::{extract, Extraction, Knowledge, Options};
use crate::ingest::quantity::parse_quantity;
use crate::ingest::seed::Dataset;
use crate::ingest::validate::ValidObservation;

/// The scores of one report.
#[derive(Debug, Clone, Default, serde::Serialize)]
pub struct ReportScore {
    /// Source code.
    pub source: String,
    /// Curated figures.
    pub curated: usize,
    /// Proposed observations.
    pub proposed: usize,
    /// Figures without an indicator.
    pub unmatched: usize,
    /// Curated figures found among the proposals.
    pub found_proposed: usize,
    /// Curated figures found among proposals or unmatched figures.
    pub found_any: usize,
    /// Proposals that are curated figures.
    pub correct_proposals: usize,
    /// Found curated figures whose indicator another report also uses.
    pub shared: usize,
    /// … of which the proposal has the curated indicator.
    pub shared_right_indicator: usize,
    /// Found curated figures whose indicator only this report uses.
    pub own: usize,
    /// … of which the figure went to `unmatched` (the others were forced onto an indicator the
    /// catalogue has, which is wrong by construction: the right one was left out).
    pub own_unmatched: usize,
    /// Found curated figures whose indicator another report also uses, proposed with that
    /// indicator, kind and period all right: what a reviewer can accept without an edit.
    pub shared_all_right: usize,
    /// Matched proposals whose kind agrees.
    pub kind_agrees: usize,
    /// Matched proposals whose period agrees.
    pub period_agrees: usize,
    /// Matched proposals whose breakdown agrees.
    pub breakdown_agrees: usize,
    /// Matched proposals (the base of the three agreements).
    pub matched_proposals: usize,
    /// What went wrong, one line each (missed figures, wrong indicators), for `--details`.
    #[serde(skip)]
    pub details: Vec<String>,
}

/// A figure of an extraction: (is a proposal, index in its list, canonical value, quote span).
type Candidate = (bool, usize, Option<f64>, (usize, usize));

fn canonical(value: &str, unit: &str, k: &Knowledge) -> Option<f64> {
    let q = parse_quantity(value).ok()?;
    let factor = match k.units.get(unit) {
        Some((_, f)) => *f,
        None if unit.is_empty() || unit == "ratio" => 1.0,
        None => return None,
    };
    Some(q.value * factor)
}

/// Two canonical values are the same figure (up to rounding in the unit conversion).
pub(super) fn same(a: f64, b: f64) -> bool {
    (a - b).abs() <= 1e-6 * a.abs().max(b.abs()).max(1.0)
}

fn overlaps(a: (usize, usize), b: (usize, usize)) -> bool {
    a.0 < b.1 && b.0 < a.1
}

/// Scores one extraction against the curated observations of its source.
pub fn score(
    source: &str,
    ex: &Extraction,
    curated: &[&ValidObservation],
    shared_indicators: &std::collections::HashSet<String>,
    k: &Knowledge,
) -> ReportScore {
    let mut s = ReportScore {
        source: source.to_string(),
        curated: curated.len(),
        proposed: ex.observations.len(),
        unmatched: ex.unmatched.len(),
        ..Default::default()
    };
    // Candidates: (is proposal, index, value, span).
    let mut figures: Vec<Candidate> = Vec::new();
    for (i, p) in ex.observations.iter().enumerate() {
        figures.push((
            true,
            i,
            canonical(&p.row.value, &p.row.unit, k),
            (p.quote_start, p.quote_end),
        ));
    }
    for (i, u) in ex.unmatched.iter().enumerate() {
        figures.push((
            false,
            i,
            canonical(&u.value, &u.unit, k),
            (u.quote_start, u.quote_end),
        ));
    }
    let mut used = vec![false; figures.len()];
    for c in curated {
        let span = (c.quote_start, c.quote_end);
        // Prefer a proposal with the curated indicator, then any proposal, then unmatched.
        let candidates: Vec<usize> = (0..figures.len())
            .filter(|&j| !used[j])
            .filter(|&j| {
                figures[j].2.is_some_and(|v| same(v, c.value)) && overlaps(figures[j].3, span)
            })
            .collect();
        let pick = candidates
            .iter()
            .copied()
            .find(|&j| {
                figures[j].0 && ex.observations[figures[j].1].row.indicator == c.row.indicator
            })
            .or_else(|| candidates.iter().copied().find(|&j| figures[j].0))
            .or_else(|| candidates.first().copied());
        let Some(j) = pick else {
            s.details.push(format!(
                "missed {} {}{} [{}] in: {}",
                c.row.key, c.row.value, c.row.unit, c.row.indicator, c.row.quote
            ));
            continue;
        };
        used[j] = true;
        s.found_any += 1;
        let shared = shared_indicators.contains(&c.row.indicator);
        if figures[j].0 {
            let p = &ex.observations[figures[j].1];
            s.found_proposed += 1;
            s.correct_proposals += 1;
            s.matched_proposals += 1;
            s.kind_agrees += usize::from(p.row.kind == c.row.kind);
            s.period_agrees += usize::from(p.row.period.trim() == c.period);
            if p.row.period.trim() != c.period {
                s.details.push(format!(
                    "period {} {}{}: proposed {:?}, curated {:?} in: {}",
                    c.row.key,
                    c.row.value,
                    c.row.unit,
                    p.row.period.trim(),
                    c.period,
                    c.row.quote
                ));
            }
            let b =
                crate::domain::Breakdown::parse_opt(p.row.breakdown.as_deref()).unwrap_or_default();
            s.breakdown_agrees += usize::from(b == c.breakdown);
            if b != c.breakdown && p.row.indicator == c.row.indicator {
                s.details.push(format!(
                    "breakdown {} {}{}: proposed {:?}, curated {:?} in: {}",
                    c.row.key,
                    c.row.value,
                    c.row.unit,
                    b.to_string(),
                    c.breakdown.to_string(),
                    c.row.quote
                ));
            }
            if p.row.indicator != c.row.indicator {
                s.details.push(format!(
                    "indicator {} {}{}: proposed {} ({}), curated {}{} in: {}",
                    c.row.key,
                    c.row.value,
                    c.row.unit,
                    p.row.indicator,
                    p.why,
                    c.row.indicator,
                    if shared { "" } else { " (only in this report)" },
                    p.row.quote
                ));
            }
            if shared {
                s.shared += 1;
                s.shared_right_indicator += usize::from(p.row.indicator == c.row.indicator);
                s.shared_all_right += usize::from(
                    p.row.indicator == c.row.indicator
                        && p.row.kind == c.row.kind
                        && p.row.period.trim() == c.period,
                );
            } else {
                s.own += 1;
            }
        } else if shared {
            s.shared += 1;
            let u = &ex.unmatched[figures[j].1];
            s.details.push(format!(
                "unmatched {} {}{} [{}]: {}",
                c.row.key, c.row.value, c.row.unit, c.row.indicator, u.why
            ));
        } else {
            s.own += 1;
            s.own_unmatched += 1;
        }
    }
    for (j, (is_proposal, i, _, _)) in figures.iter().enumerate() {
        if *is_proposal && !used[j] {
            let p = &ex.observations[*i];
            s.details.push(format!(
                "extra {}{} [{}] in: {}",
                p.row.value, p.row.unit, p.row.indicator, p.row.quote
            ));
        }
    }
    s
}

/// Runs the evaluation over every source of a validated seed folder (`threshold` and
/// `min_support`: see [`Options`]).
pub fn evaluate(
    data: &Dataset,
    threshold: Option<f64>,
    min_support: Option<f64>,
) -> Vec<ReportScore> {
    let mut out = Vec::new();
    for (source, _) in &data.plan.sources {
        let k = Knowledge::from_dataset(data, Some(&source.code));
        let opts = Options {
            district: None,
            code: Some(source.code.clone()),
            threshold,
            min_support,
        };
        let ex = match extract(&source.text, &k, &opts) {
            Ok(ex) => ex,
            // The district could not be read from the text: give it, as a user would.
            Err(_) => {
                let opts = Options {
                    district: Some(source.district.clone()),
                    ..opts
                };
                match extract(&source.text, &k, &opts) {
                    Ok(ex) => ex,
                    // Still failing: the report scores nothing, and says why.
                    Err(e) => {
                        out.push(ReportScore {
                            source: source.code.clone(),
                            curated: data
                                .plan
                                .create
                                .iter()
                                .filter(|o| o.source == source.code)
                                .count(),
                            details: vec![format!("extraction failed: {e}")],
                            ..Default::default()
                        });
                        continue;
                    }
                }
            }
        };
        let curated: Vec<&ValidObservation> = data
            .plan
            .create
            .iter()
            .filter(|o| o.source == source.code)
            .collect();
        let shared: std::collections::HashSet<String> = data
            .plan
            .create
            .iter()
            .filter(|o| o.source != source.code)
            .map(|o| o.row.indicator.clone())
            .collect();
        out.push(score(&source.code, &ex, &curated, &shared, &k));
    }
    out
}

fn pct(n: usize, d: usize) -> String {
    if d == 0 {
        "–".into()
    } else {
        format!("{:.1}%", 100.0 * n as f64 / d as f64)
    }
}

/// The table `edustats eval-extract` prints (Markdown).
pub fn table(scores: &[ReportScore]) -> String {
    let mut total = ReportScore {
        source: "all".into(),
        ..Default::default()
    };
    let mut rows = String::from(
        "| report | curated | proposed | unmatched | recall (proposals) | recall (all figures) | precision | indicator (shared) | all right (shared) | forced (own) | kind | period | breakdown |\n|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n",
    );
    for s in scores {
        rows.push_str(&row(s));
        total.curated += s.curated;
        total.proposed += s.proposed;
        total.unmatched += s.unmatched;
        total.found_proposed += s.found_proposed;
        total.found_any += s.found_any;
        total.correct_proposals += s.correct_proposals;
        total.shared += s.shared;
        total.shared_right_indicator += s.shared_right_indicator;
        total.own += s.own;
        total.own_unmatched += s.own_unmatched;
        total.shared_all_right += s.shared_all_right;
        total.kind_agrees += s.kind_agrees;
        total.period_agrees += s.period_agrees;
        total.breakdown_agrees += s.breakdown_agrees;
        total.matched_proposals += s.matched_proposals;
    }
    rows.push_str(&row(&total));
    rows
}

fn row(s: &ReportScore) -> String {
    format!(
        "| {} | {} | {} | {} | {} | {} | {} | {} | {} | {} | {} | {} | {} |\n",
        s.source,
        s.curated,
        s.proposed,
        s.unmatched,
        pct(s.found_proposed, s.curated),
        pct(s.found_any, s.curated),
        pct(s.correct_proposals, s.proposed),
        pct(s.shared_right_indicator, s.shared),
        pct(s.shared_all_right, s.shared),
        pct(s.own - s.own_unmatched, s.own),
        pct(s.kind_agrees, s.matched_proposals),
        pct(s.period_agrees, s.matched_proposals),
        pct(s.breakdown_agrees, s.matched_proposals),
    )
}
