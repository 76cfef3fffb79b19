//! The SYNTHETIC dataset itself, as pure data: the catalogue (districts, indicators) and,
//! district by district, the sources and observations. No database here.
//!
//! Determinism: every draw comes from ChaCha8 keyed by the seed. The catalogue uses stream 0;
//! district `n` (1-based) uses stream `n`, so a district's figures do not depend on how many
//! districts are generated or in which chunks, and the same seed gives the same rows.
//! The distributions are our own code over raw 64-bit draws (no library sampler whose
//! algorithm could change between versions).

use rand_chacha::rand_core::{RngCore, SeedableRng};
use rand_chacha::ChaCha8Rng;

use crate::domain::{CanonicalUnit, Category, Direction, DivisionLevel};

/// How much to generate.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Params {
    /// Synthetic districts.
    pub districts: u32,
    /// Years per district, ending in [`LAST_YEAR`].
    pub years: u32,
    /// Synthetic indicators.
    pub indicators: u32,
    /// PRNG seed.
    pub seed: u64,
}

impl Default for Params {
    fn default() -> Self {
        Params {
            districts: 3_000,
            years: 20,
            indicators: 200,
            seed: 1,
        }
    }
}

/// The last year of every synthetic series.
pub const LAST_YEAR: i32 = 2024;
/// The mark every synthetic code (upper case: districts) and name carries.
pub const MARK: &str = "SYNTHETIC";
/// Code of the synthetic parent division.
pub const PARENT_CODE: &str = "SYNTHETIC";
/// Prefix of synthetic district codes (`SYN0001`).
pub const DISTRICT_PREFIX: &str = "SYN";
/// Prefix of synthetic indicator codes, source codes and observation keys.
pub const CODE_PREFIX: &str = "synthetic";
/// Share of (district, year, indicator) cells left empty.
pub const MISSING_RATE: f64 = 0.03;
/// The school-stage members broken-down indicators are split into (members of the seed
/// catalogue's `stage` dimension), with their Chinese names for quotes.
pub const STAGES: [(&str, &str); 3] = [
    ("primary", "小学"),
    ("junior_secondary", "初中"),
    ("senior_secondary", "普通高中"),
];

/// What kind of figure an indicator holds: its unit, printed unit and value distribution.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Profile {
    /// A rate in percent, high (coverage, attainment), printed with one decimal.
    Rate,
    /// A small rate in percent (dropout, myopia increase), printed with two decimals.
    LowRate,
    /// Headcounts (students, teachers), integers.
    Headcount,
    /// Counts of schools or facilities, small integers (many ties).
    Schools,
    /// Money, printed in 万元 with two decimals.
    Spending,
    /// A ratio such as students per teacher, two decimals.
    Ratio,
}

impl Profile {
    /// Short name, part of the indicator code.
    pub fn name(self) -> &'static str {
        match self {
            Profile::Rate => "rate",
            Profile::LowRate => "low_rate",
            Profile::Headcount => "headcount",
            Profile::Schools => "schools",
            Profile::Spending => "spending",
            Profile::Ratio => "ratio",
        }
    }

    /// Canonical unit.
    pub fn unit(self) -> CanonicalUnit {
        match self {
            Profile::Rate | Profile::LowRate => CanonicalUnit::Percent,
            Profile::Headcount => CanonicalUnit::Person,
            Profile::Schools => CanonicalUnit::Count,
            Profile::Spending => CanonicalUnit::Yuan,
            Profile::Ratio => CanonicalUnit::Ratio,
        }
    }

    /// The unit as printed, and its factor to the canonical unit.
    pub fn printed_unit(self) -> (&'static str, f64) {
        match self {
            Profile::Rate | Profile::LowRate => ("%", 1.0),
            Profile::Headcount => ("人", 1.0),
            Profile::Schools => ("所", 1.0),
            Profile::Spending => ("万元", 10_000.0),
            Profile::Ratio => ("ratio", 1.0),
        }
    }

    fn direction(self) -> Direction {
        match self {
            Profile::Rate | Profile::Spending => Direction::HigherIsBetter,
            Profile::LowRate | Profile::Ratio => Direction::LowerIsBetter,
            Profile::Headcount | Profile::Schools => Direction::Neutral,
        }
    }

    fn categories(self) -> &'static [Category] {
        use Category::*;
        match self {
            Profile::Rate => &[
                Quality,
                Equity,
                Health,
                Digital,
                Safety,
                Supervision,
                Governance,
            ],
            Profile::LowRate => &[Equity, Safety, Health],
            Profile::Headcount => &[Enrolment, Teachers],
            Profile::Schools => &[Schools, Facilities],
            Profile::Spending => &[Funding],
            Profile::Ratio => &[Teachers, Facilities],
        }
    }

    fn name_zh(self) -> &'static str {
        match self {
            Profile::Rate => "达标率",
            Profile::LowRate => "发生率",
            Profile::Headcount => "人数",
            Profile::Schools => "学校数",
            Profile::Spending => "经费",
            Profile::Ratio => "生师比",
        }
    }

    /// Valid range of the indicator.
    fn range(self) -> (Option<f64>, Option<f64>) {
        match self {
            Profile::Rate | Profile::LowRate => (Some(0.0), Some(100.0)),
            _ => (Some(0.0), None),
        }
    }
}

/// A synthetic district.
#[derive(Debug, Clone, PartialEq)]
pub struct District {
    /// 1-based number (also its PRNG stream).
    pub number: u32,
    /// `SYN0001`.
    pub code: String,
    /// Level (district or county).
    pub level: DivisionLevel,
    /// `SYNTHETIC 区 0001`.
    pub name_zh: String,
    /// `SYNTHETIC district 0001`.
    pub name_en: String,
}

/// A synthetic indicator.
#[derive(Debug, Clone, PartialEq)]
pub struct Indicator {
    /// 1-based number.
    pub number: u32,
    /// `synthetic_017_rate`.
    pub code: String,
    /// Chinese name.
    pub name_zh: String,
    /// English name.
    pub name_en: String,
    /// Definition (says it is SYNTHETIC).
    pub definition: String,
    /// The Chinese definition (also says it is SYNTHETIC).
    pub definition_zh: String,
    /// Value distribution and units.
    pub profile: Profile,
    /// Category.
    pub category: Category,
    /// Which way is better.
    pub direction: Direction,
    /// Valid range.
    pub min: Option<f64>,
    /// Valid range.
    pub max: Option<f64>,
    /// Whether its figures are also broken down by school stage ([`STAGES`]).
    pub by_stage: bool,
}

/// A synthetic source: one per district and year.
#[derive(Debug, Clone, PartialEq)]
pub struct Source {
    /// `synthetic-syn0001-2024`.
    pub code: String,
    /// District code.
    pub district: String,
    /// Year reviewed.
    pub year: i32,
    /// Chinese title.
    pub title_zh: String,
    /// English title.
    pub title_en: String,
    /// The text: a SYNTHETIC notice, then one line per figure (each figure's quote).
    pub body: String,
}

/// A synthetic observation (kind `actual`, qualifier `exact`).
#[derive(Debug, Clone, PartialEq)]
pub struct Observation {
    /// `synthetic-syn0001-017-2024` (`-primary` etc. for a stage).
    pub key: String,
    /// Index into the district's sources (its year).
    pub source: usize,
    /// Index into the indicators.
    pub indicator: usize,
    /// Year.
    pub year: i32,
    /// Stage member code, `None` for the total.
    pub stage: Option<&'static str>,
    /// The figure as printed.
    pub value_text: String,
    /// The unit as printed.
    pub unit: &'static str,
    /// The figure in the canonical unit (printed figure × unit factor).
    pub value: f64,
    /// The line of the source that states it.
    pub quote: String,
    /// Character offsets of the quote in the source body.
    pub quote_start: usize,
    /// End (exclusive).
    pub quote_end: usize,
}

/// One district's sources and observations: the unit the generator streams.
#[derive(Debug, Clone, PartialEq)]
pub struct Chunk {
    /// The district.
    pub district: District,
    /// Its sources, one per year, oldest first.
    pub sources: Vec<Source>,
    /// Its observations.
    pub observations: Vec<Observation>,
}

/// A PRNG with the few distributions the generator needs.
struct Draw(ChaCha8Rng);

impl Draw {
    fn new(seed: u64, stream: u64) -> Draw {
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        rng.set_stream(stream);
        Draw(rng)
    }

    /// Uniform in [0, 1).
    fn unit(&mut self) -> f64 {
        (self.0.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }

    /// Standard normal (Box–Muller).
    fn normal(&mut self) -> f64 {
        let u1 = 1.0 - self.unit(); // (0, 1]
        let u2 = self.unit();
        (-2.0 * u1.ln()).sqrt() * (std::f64::consts::TAU * u2).cos()
    }

    fn below(&mut self, n: usize) -> usize {
        (self.unit() * n as f64) as usize % n.max(1)
    }
}

/// Width of the number in district codes: four digits, more when needed.
fn district_width(p: &Params) -> usize {
    p.districts.to_string().len().max(4)
}

/// The synthetic districts.
pub fn districts(p: &Params) -> Vec<District> {
    let width = district_width(p);
    let mut draw = Draw::new(p.seed, 0);
    (1..=p.districts)
        .map(|n| {
            let r = draw.unit();
            let (level, zh, en) = if r < 0.7 {
                (DivisionLevel::District, "区", "district")
            } else if r < 0.95 {
                (DivisionLevel::County, "县", "county")
            } else {
                (
                    DivisionLevel::AutonomousCounty,
                    "自治县",
                    "autonomous county",
                )
            };
            District {
                number: n,
                code: format!("{DISTRICT_PREFIX}{n:0width$}"),
                level,
                name_zh: format!("{MARK} {zh} {n:0width$}"),
                name_en: format!("{MARK} {en} {n:0width$}"),
            }
        })
        .collect()
}

/// The synthetic indicators.
pub fn indicators(p: &Params) -> Vec<Indicator> {
    // Its own stream (after the districts' draws would shift it otherwise).
    let mut draw = Draw::new(p.seed ^ 0x5EED_1D1C, 0);
    (1..=p.indicators)
        .map(|n| {
            let r = draw.unit();
            let profile = match r {
                r if r < 0.35 => Profile::Rate,
                r if r < 0.45 => Profile::LowRate,
                r if r < 0.65 => Profile::Headcount,
                r if r < 0.75 => Profile::Schools,
                r if r < 0.90 => Profile::Spending,
                _ => Profile::Ratio,
            };
            let categories = profile.categories();
            let category = categories[draw.below(categories.len())];
            let by_stage =
                matches!(profile, Profile::Headcount | Profile::Schools) && draw.unit() < 0.5;
            let (min, max) = profile.range();
            let code = format!("{CODE_PREFIX}_{n:03}_{}", profile.name());
            Indicator {
                number: n,
                name_zh: format!("{MARK} 指标{n:03}{}", profile.name_zh()),
                name_en: format!(
                    "{MARK} indicator {n:03} ({})",
                    profile.name().replace('_', " ")
                ),
                definition: format!(
                    "{MARK}: generated by edustats synth, not a real statistic ({} profile)",
                    profile.name()
                ),
                definition_zh: format!(
                    "{MARK}：由 edustats synth 生成，并非真实统计数据（{}）",
                    profile.name_zh()
                ),
                code,
                profile,
                category,
                direction: profile.direction(),
                min,
                max,
                by_stage,
            }
        })
        .collect()
}

/// The first year of the series.
pub fn first_year(p: &Params) -> i32 {
    LAST_YEAR - p.years as i32 + 1
}

/// A district's level for one indicator, and how it moves from year to year.
#[derive(Debug, Clone, Copy)]
struct Series {
    base: f64,
    trend: f64,
}

fn series(profile: Profile, draw: &mut Draw) -> Series {
    match profile {
        Profile::Rate => Series {
            base: (85.0 + 8.0 * draw.normal()).clamp(40.0, 100.0),
            trend: 0.3 + 0.2 * draw.normal(),
        },
        Profile::LowRate => Series {
            base: (2.0 + draw.normal()).abs(),
            trend: -0.03 + 0.02 * draw.normal(),
        },
        Profile::Headcount => Series {
            base: (10.6 + 0.8 * draw.normal()).exp(),
            trend: 0.01 + 0.01 * draw.normal(),
        },
        Profile::Schools => Series {
            base: (4.8 + 0.6 * draw.normal()).exp(),
            trend: 0.005 * draw.normal(),
        },
        Profile::Spending => Series {
            base: (20.0 + 0.9 * draw.normal()).exp(),
            trend: 0.05 + 0.03 * draw.normal(),
        },
        Profile::Ratio => Series {
            base: (15.0 + 3.0 * draw.normal()).clamp(6.0, 30.0),
            trend: -0.05 + 0.05 * draw.normal(),
        },
    }
}

/// The printed figure for a value in canonical units: rounded as reports print it.
fn printed(profile: Profile, v: f64) -> String {
    match profile {
        Profile::Rate => format!("{:.1}", v.clamp(0.0, 100.0)),
        Profile::LowRate => format!("{:.2}", v.clamp(0.0, 100.0)),
        Profile::Headcount | Profile::Schools => format!("{:.0}", v.max(0.0).round()),
        Profile::Spending => format!("{:.2}", v.max(0.0) / 10_000.0),
        Profile::Ratio => format!("{:.2}", v.max(0.0)),
    }
}

/// One district's sources and observations.
pub fn chunk(p: &Params, district: &District, indicators: &[Indicator]) -> Chunk {
    let mut draw = Draw::new(p.seed, u64::from(district.number));
    let lower = district.code.to_lowercase();
    let series: Vec<Series> = indicators
        .iter()
        .map(|i| series(i.profile, &mut draw))
        .collect();
    let mut sources = Vec::with_capacity(p.years as usize);
    let mut observations = Vec::new();
    for (y, year) in (first_year(p)..=LAST_YEAR).enumerate() {
        let mut body = format!(
            "{MARK} 数据：由 edustats synth 生成（种子 {}），不是真实报告。\n{MARK} data generated by edustats synth (seed {}); not a real report.\n{} {year}\n",
            p.seed, p.seed, district.name_zh
        );
        let mut chars = body.chars().count();
        let mut add = |quote: String, body: &mut String| {
            let start = chars;
            let len = quote.chars().count();
            body.push_str(&quote);
            body.push('\n');
            chars += len + 1;
            (quote, start, start + len)
        };
        for (i, ind) in indicators.iter().enumerate() {
            // Drawn for every cell, missing or not, so one cell never shifts another's draws.
            let missing = draw.unit() < MISSING_RATE;
            let noise = draw.normal();
            let splits: Vec<f64> = (0..STAGES.len()).map(|_| draw.unit()).collect();
            if missing {
                continue;
            }
            let s = series[i];
            let t = y as f64;
            let value = match ind.profile {
                Profile::Rate => s.base + s.trend * t + 1.5 * noise,
                Profile::LowRate => (s.base + s.trend * t + 0.2 * noise).abs(),
                Profile::Ratio => s.base + s.trend * t + 0.4 * noise,
                _ => s.base * (1.0 + s.trend).powf(t) * (1.0 + 0.03 * noise),
            };
            let (unit, factor) = ind.profile.printed_unit();
            let mut emit = |stage: Option<(&'static str, &'static str)>, v: f64| {
                let value_text = printed(ind.profile, v);
                let parsed: f64 = value_text.parse().unwrap_or(0.0);
                let label = stage.map(|(_, zh)| format!("（{zh}）")).unwrap_or_default();
                // A ratio prints as "15.2:1"; other figures with their unit.
                let shown = match ind.profile {
                    Profile::Ratio => format!("{value_text}:1"),
                    _ => format!("{value_text}{unit}"),
                };
                let (quote, quote_start, quote_end) = add(
                    format!(
                        "{MARK} 指标{:03}{}{label} {year}年：{shown}",
                        ind.number,
                        ind.profile.name_zh()
                    ),
                    &mut body,
                );
                let member = stage.map(|(m, _)| format!("-{m}")).unwrap_or_default();
                observations.push(Observation {
                    key: format!("{CODE_PREFIX}-{lower}-{:03}-{year}{member}", ind.number),
                    source: y,
                    indicator: i,
                    year,
                    stage: stage.map(|(m, _)| m),
                    value_text,
                    unit,
                    value: parsed * factor,
                    quote,
                    quote_start,
                    quote_end,
                });
            };
            emit(None, value);
            if ind.by_stage {
                // Parts of the printed total, leaving the stages not listed (preschool,
                // vocational) a remainder: they never add up to more than the total.
                let total: f64 = printed(ind.profile, value).parse().unwrap_or(0.0);
                let weights: Vec<f64> = [0.45, 0.3, 0.15]
                    .iter()
                    .zip(&splits)
                    .map(|(w, r)| w * (0.8 + 0.4 * r))
                    .collect();
                let sum: f64 = weights.iter().sum::<f64>().max(1.0);
                for (stage, w) in STAGES.iter().zip(&weights) {
                    emit(Some(*stage), (total * w / sum).floor());
                }
            }
        }
        sources.push(Source {
            code: format!("{CODE_PREFIX}-{lower}-{year}"),
            district: district.code.clone(),
            year,
            title_zh: format!(
                "{} {year}年 {MARK} 合成数据（非真实报告）",
                district.name_zh
            ),
            title_en: format!(
                "{} {year}: {MARK} generated data (not a real report)",
                district.name_en
            ),
            body,
        });
    }
    Chunk {
        district: district.clone(),
        sources,
        observations,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn small(seed: u64) -> Params {
        Params {
            districts: 30,
            years: 4,
            indicators: 12,
            seed,
        }
    }

    fn all(p: &Params) -> Vec<Chunk> {
        let ind = indicators(p);
        districts(p).iter().map(|d| chunk(p, d, &ind)).collect()
    }

    #[test]
    fn the_same_seed_gives_the_same_rows_and_another_seed_others() {
        assert_eq!(all(&small(7)), all(&small(7)));
        assert_ne!(all(&small(7)), all(&small(8)));
    }

    #[test]
    fn a_district_does_not_depend_on_how_many_are_generated() {
        let few = small(3);
        let many = Params {
            districts: 60,
            ..few
        };
        let ind = indicators(&few);
        let d = &districts(&many)[4];
        assert_eq!(districts(&few)[4], *d);
        assert_eq!(chunk(&few, d, &ind), chunk(&many, d, &ind));
    }

    #[test]
    fn every_code_and_name_is_marked_synthetic() {
        let p = small(1);
        for d in districts(&p) {
            assert!(
                d.code.starts_with("SYN") && d.name_zh.contains(MARK) && d.name_en.contains(MARK)
            );
        }
        for i in indicators(&p) {
            assert!(i.code.starts_with("synthetic_"), "{}", i.code);
            assert!(
                i.name_zh.contains(MARK) && i.name_en.contains(MARK) && i.definition.contains(MARK)
            );
        }
        for c in all(&p) {
            for s in &c.sources {
                assert!(s.code.starts_with("synthetic-") && s.title_en.contains(MARK));
                assert!(s.body.starts_with(MARK));
            }
            for o in &c.observations {
                assert!(o.key.starts_with("synthetic-") && o.quote.contains(MARK));
            }
        }
    }

    #[test]
    fn quotes_sit_at_their_offsets_and_hold_their_figure() {
        for c in all(&small(2)) {
            for o in &c.observations {
                let body = &c.sources[o.source].body;
                let at: String = body
                    .chars()
                    .skip(o.quote_start)
                    .take(o.quote_end - o.quote_start)
                    .collect();
                assert_eq!(at, o.quote);
                assert!(o.quote.contains(&o.value_text));
            }
        }
    }

    #[test]
    fn values_are_plausible_with_missing_cells_ties_and_parts_within_totals() {
        let p = Params {
            districts: 200,
            years: 3,
            indicators: 20,
            seed: 11,
        };
        let ind = indicators(&p);
        let chunks = all(&p);
        let cells = (p.districts * p.years * p.indicators) as usize;
        let totals = chunks
            .iter()
            .flat_map(|c| &c.observations)
            .filter(|o| o.stage.is_none())
            .count();
        let missing = cells - totals;
        assert!(
            missing > cells / 100 && missing < cells / 10,
            "{missing} of {cells} missing"
        );
        let mut ties = 0;
        for c in &chunks {
            for o in &c.observations {
                let i = &ind[o.indicator];
                assert!(i.min.is_none_or(|m| o.value >= m), "{o:?}");
                assert!(i.max.is_none_or(|m| o.value <= m), "{o:?}");
            }
        }
        // Ties: the same printed rate in two districts for the same indicator and year.
        let rate = ind.iter().position(|i| i.profile == Profile::Rate).unwrap();
        let mut seen = std::collections::HashSet::new();
        for c in &chunks {
            for o in c
                .observations
                .iter()
                .filter(|o| o.indicator == rate && o.stage.is_none())
            {
                if !seen.insert((o.year, o.value_text.clone())) {
                    ties += 1;
                }
            }
        }
        assert!(ties > 0, "no ties");
        // Parts never exceed their total.
        for c in &chunks {
            for o in c
                .observations
                .iter()
                .filter(|o| o.stage.is_none() && ind[o.indicator].by_stage)
            {
                let parts: f64 = c
                    .observations
                    .iter()
                    .filter(|p| p.indicator == o.indicator && p.year == o.year && p.stage.is_some())
                    .map(|p| p.value)
                    .sum();
                assert!(parts <= o.value, "{parts} > {}", o.value);
            }
        }
    }
}
