//! The enumerated terms. [`vocabulary!`] gives each the same parsing, display, serde and
//! storage conversions, so adding a term is one line in its enum.

/// An unknown spelling of a term: names the term and the accepted values.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown {what} {value:?} (expected one of: {expected})")]
pub struct UnknownTerm {
    /// Which vocabulary, e.g. `observation kind`.
    pub what: &'static str,
    /// The spelling that matched nothing.
    pub value: String,
    /// The accepted spellings, comma-separated.
    pub expected: String,
}

/// Declares a vocabulary enum with its conversions. Variants are spelled in snake_case
/// everywhere outside GraphQL (`MoreThan` ↔ `more_than`).
macro_rules! vocabulary {
    (
        $(#[$meta:meta])*
        pub enum $name:ident ($what:literal) {
            $($(#[$vmeta:meta])* $variant:ident,)+
        }
    ) => {
        $(#[$meta])*
        #[derive(
            Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord,
            strum::Display, strum::IntoStaticStr, strum::VariantArray,
            serde::Serialize, serde::Deserialize,
        )]
        #[strum(serialize_all = "snake_case")]
        #[serde(try_from = "String", into = "&'static str")]
        pub enum $name {
            $($(#[$vmeta])* $variant,)+
        }

        impl $name {
            /// Every term, in declaration order.
            pub fn all() -> &'static [$name] {
                <$name as strum::VariantArray>::VARIANTS
            }

            /// The stored (snake_case) spelling.
            pub fn as_str(self) -> &'static str {
                self.into()
            }

            /// Parses the stored spelling (surrounding whitespace ignored).
            pub fn parse(s: &str) -> Result<$name, UnknownTerm> {
                let s_trimmed = s.trim();
                Self::all().iter().copied().find(|t| t.as_str() == s_trimmed).ok_or_else(|| UnknownTerm {
                    what: $what,
                    value: s.to_string(),
                    expected: Self::all()
                        .iter()
                        .map(|t| t.as_str())
                        .collect::<Vec<_>>()
                        .join(", "),
                })
            }
        }

        impl std::str::FromStr for $name {
            type Err = UnknownTerm;
            fn from_str(s: &str) -> Result<Self, UnknownTerm> {
                $name::parse(s)
            }
        }

        impl TryFrom<String> for $name {
            type Error = UnknownTerm;
            fn try_from(s: String) -> Result<Self, UnknownTerm> {
                $name::parse(&s)
            }
        }

        /// Write models store terms through this (`#[diesel(serialize_as = String)]`).
        impl From<$name> for String {
            fn from(t: $name) -> String {
                t.as_str().to_string()
            }
        }

        impl TryFrom<&str> for $name {
            type Error = UnknownTerm;
            fn try_from(s: &str) -> Result<Self, UnknownTerm> {
                $name::parse(s)
            }
        }
    };
}

vocabulary! {
    /// What an observation states.
    #[derive(async_graphql::Enum)]
    pub enum ObservationKind ("observation kind") {
        /// A measured value.
        Actual,
        /// A plan goal or a required norm.
        Target,
        /// A reported absolute change, in the indicator's unit (percentage points for percents).
        Change,
        /// A reported relative change, in percent.
        Growth,
        /// A reported rank (e.g. 全市排第39位), not computed by edustats.
        Rank,
    }
}

impl ObservationKind {
    /// The canonical unit of a value of this kind of an indicator measured in `indicator_unit`:
    /// growth is always in percent and a rank is a rank; actual, target and change values are
    /// in the indicator's unit (a change of a percent is in percentage points, see
    /// [`CanonicalUnit::difference_unit`]).
    pub fn value_unit(self, indicator_unit: CanonicalUnit) -> CanonicalUnit {
        self.fixed_unit().unwrap_or(indicator_unit)
    }

    /// The unit of values of this kind whatever the indicator (growth, rank), if there is one.
    pub fn fixed_unit(self) -> Option<CanonicalUnit> {
        match self {
            ObservationKind::Growth => Some(CanonicalUnit::Percent),
            ObservationKind::Rank => Some(CanonicalUnit::Rank),
            ObservationKind::Actual | ObservationKind::Target | ObservationKind::Change => None,
        }
    }

    /// Whether the indicator's valid range applies to values of this kind (a change or a
    /// growth may be negative; a rank has its own scale).
    pub fn is_level(self) -> bool {
        matches!(self, ObservationKind::Actual | ObservationKind::Target)
    }
}

vocabulary! {
    /// How the printed figure qualifies its number.
    #[derive(async_graphql::Enum)]
    pub enum Qualifier ("qualifier") {
        /// As printed, no qualifier.
        Exact,
        /// 约, 余, 左右, 近.
        Approximate,
        /// 超过, 以上, 逾, 多.
        MoreThan,
        /// 不低于, 不少于, 至少.
        AtLeast,
        /// 不足, 低于, 少于.
        LessThan,
        /// 不超过, 以下, 以内.
        AtMost,
    }
}

vocabulary! {
    /// How a standard compares a value with its threshold (seeds/standards/).
    #[derive(async_graphql::Enum)]
    pub enum Comparator ("comparator") {
        /// value ≥ threshold (不低于, 不少于).
        AtLeast,
        /// value > threshold (超过, 高于).
        MoreThan,
        /// value ≤ threshold (不超过, 以内; a ratio 1:1000 as at most 1000 per one).
        AtMost,
        /// value < threshold (低于).
        LessThan,
    }
}

vocabulary! {
    /// Whether larger values are better.
    #[derive(async_graphql::Enum)]
    pub enum Direction ("direction") {
        /// Larger is better (e.g. a coverage rate).
        HigherIsBetter,
        /// Smaller is better (e.g. a myopia rate).
        LowerIsBetter,
        /// Neither (e.g. a number of schools).
        Neutral,
    }
}

vocabulary! {
    /// The administrative level of a division.
    pub enum DivisionLevel ("division level") {
        /// The municipality (Chongqing itself).
        Municipality,
        /// A district (区).
        District,
        /// A county (县).
        County,
        /// An autonomous county (自治县).
        AutonomousCounty,
    }
}

impl DivisionLevel {
    /// Whether divisions of this level are ranked and counted in coverage (district- and
    /// county-level divisions; not the municipality).
    pub fn is_ranked(self) -> bool {
        !matches!(self, DivisionLevel::Municipality)
    }
}

vocabulary! {
    /// What an API key may do; later roles include the earlier ones.
    pub enum Role ("role") {
        /// Import reports and correct figures.
        Editor,
        /// Everything an editor may do, plus reading the audit log.
        Admin,
    }
}

vocabulary! {
    /// The shape of a reference period.
    pub enum PeriodKind ("period kind") {
        /// A calendar year, `2022`.
        Year,
        /// A month or a point in time within it, `2023-06`.
        Month,
        /// A span of months or years, `2023-01..2023-06`, `2019..2021`.
        Span,
    }
}

vocabulary! {
    /// The kind of a source document.
    pub enum SourceKind ("source kind") {
        /// 自查自评报告: a district's self-evaluation.
        SelfEvaluation,
        /// 整改方案: a plan to rectify what an inspection found.
        RectificationPlan,
        /// 整改落实情况: a report on the rectification.
        RectificationReport,
        /// 教育事业统计 tables and 统计公报 bulletins: figures without a review.
        Statistics,
    }
}

vocabulary! {
    /// Where a data-quality finding comes from.
    pub enum FindingOrigin ("finding origin") {
        /// Computed by a quality rule after every write.
        Rule,
        /// Recorded by a curator while reading the report.
        Curated,
    }
}

vocabulary! {
    /// How serious a finding is.
    pub enum Severity ("severity") {
        /// The figures cannot all be right.
        Error,
        /// The figures look inconsistent and deserve a look.
        Warning,
    }
}

vocabulary! {
    /// What a write recorded in the audit log did.
    pub enum AuditAction ("audit action") {
        /// A seed load.
        Seed,
        /// An import of a report or observation rows.
        Import,
        /// Corrections of stored observations only.
        Correction,
        /// An API key was created.
        KeyCreate,
        /// An API key was given a new secret (`keys rotate`); the old one stopped working.
        KeyRotate,
        /// An API key was revoked.
        KeyRevoke,
        /// A review draft was extracted from a report.
        DraftCreate,
        /// A reviewer decided on an item of a draft (accepted, edited, moved, rejected, a new
        /// indicator confirmed or a figure merged into an existing indicator).
        DraftDecision,
        /// A draft was published through the import path.
        DraftPublish,
        /// A draft was discarded.
        DraftDiscard,
        /// A SYNTHETIC dataset generated by `edustats synth`.
        Synth,
    }
}

vocabulary! {
    /// Where a review draft stands.
    #[derive(async_graphql::Enum)]
    pub enum DraftStatus ("draft status") {
        /// Under review: items can be decided.
        Open,
        /// Published: its accepted items are observations.
        Published,
        /// Abandoned: kept for the record, never published.
        Discarded,
    }
}

vocabulary! {
    /// A reviewer's decision on one item of a draft.
    #[derive(async_graphql::Enum)]
    pub enum DraftDecision ("draft decision") {
        /// Not decided yet: a draft with pending items cannot be published.
        Pending,
        /// Published with the draft (as edited, if it was).
        Accepted,
        /// Not a figure to keep; stays in the draft for the record.
        Rejected,
    }
}

vocabulary! {
    /// Why a report is taken for one already in the warehouse or in an open draft (not stored:
    /// worked out from the texts and document numbers each time it is asked).
    #[derive(async_graphql::Enum)]
    pub enum RepeatReason ("repeat reason") {
        /// The same text, whitespace aside (compared by SHA-256).
        SameText,
        /// A different text under the same document number (文号), e.g. the web page and the
        /// PDF of one report.
        SameDocumentNumber,
    }
}

vocabulary! {
    /// Canonical units: every indicator's values are stored in one of these; reported units
    /// (亿元, 万人, ...) convert to them through the unit table.
    pub enum CanonicalUnit ("canonical unit") {
        /// Money, 元.
        Yuan,
        /// People, 人.
        Person,
        /// Person-times, 人次.
        PersonTime,
        /// Percent, %.
        Percent,
        /// A count of things (schools, classes, ...).
        Count,
        /// Area, m².
        SquareMeter,
        /// Area, 亩.
        Mu,
        /// Time, hours.
        Hour,
        /// Time, minutes.
        Minute,
        /// Time, days.
        Day,
        /// Time, years.
        Year,
        /// A ratio b/a of a printed a:b.
        Ratio,
        /// A multiple, 倍.
        Times,
        /// A score.
        Score,
        /// A rank.
        Rank,
        /// A dimensionless number.
        One,
    }
}

impl CanonicalUnit {
    /// The unit of a difference of two values in this unit: percentage points for percents,
    /// the unit itself otherwise.
    pub fn difference_unit(self) -> &'static str {
        match self {
            CanonicalUnit::Percent => "percentage_point",
            other => other.as_str(),
        }
    }

    /// Whether values in this unit add up (amounts and counts; a rate, ratio or score does not).
    pub fn is_additive(self) -> bool {
        matches!(
            self,
            CanonicalUnit::Yuan
                | CanonicalUnit::Person
                | CanonicalUnit::PersonTime
                | CanonicalUnit::Count
                | CanonicalUnit::SquareMeter
                | CanonicalUnit::Mu
        )
    }

    /// How a fraction is scaled into this unit (100 for percent, 1 otherwise).
    pub fn fraction_scale(self) -> f64 {
        match self {
            CanonicalUnit::Percent => 100.0,
            _ => 1.0,
        }
    }
}

vocabulary! {
    /// Indicator categories.
    pub enum Category ("category") {
        /// Funding and spending.
        Funding,
        /// Enrolment and attendance.
        Enrolment,
        /// Schools and their capacity.
        Schools,
        /// Teachers and staff.
        Teachers,
        /// Buildings, land and equipment.
        Facilities,
        /// Digital education.
        Digital,
        /// Equity and support for disadvantaged students.
        Equity,
        /// Quality of education.
        Quality,
        /// Student health.
        Health,
        /// Safety.
        Safety,
        /// Governance and administration.
        Governance,
        /// Supervision and inspection.
        Supervision,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_term_round_trips_through_its_spelling() {
        fn check<T>(all: &[T])
        where
            T: Copy + PartialEq + std::fmt::Debug + Into<&'static str> + TryFrom<&'static str>,
            <T as TryFrom<&'static str>>::Error: std::fmt::Debug,
        {
            for t in all {
                let s: &'static str = (*t).into();
                assert_eq!(T::try_from(s).unwrap(), *t, "{s}");
            }
        }
        macro_rules! check_all {
            ($($t:ident),+) => { $(check($t::all());)+ };
        }
        check_all!(
            ObservationKind,
            Qualifier,
            Direction,
            DivisionLevel,
            Role,
            PeriodKind,
            SourceKind,
            FindingOrigin,
            Severity,
            AuditAction,
            CanonicalUnit,
            Category
        );
    }

    #[test]
    fn spellings_are_snake_case() {
        assert_eq!(Qualifier::MoreThan.as_str(), "more_than");
        assert_eq!(
            DivisionLevel::AutonomousCounty.as_str(),
            "autonomous_county"
        );
        assert_eq!(AuditAction::KeyCreate.to_string(), "key_create");
        assert_eq!(CanonicalUnit::PersonTime.as_str(), "person_time");
    }

    #[test]
    fn an_unknown_spelling_is_an_error_naming_the_term_and_the_choices() {
        let e = ObservationKind::parse("forecast").unwrap_err();
        assert_eq!(e.what, "observation kind");
        assert_eq!(
            e.to_string(),
            "unknown observation kind \"forecast\" (expected one of: actual, target, change, growth, rank)"
        );
        assert!(
            Direction::parse("Higher").is_err(),
            "spellings are case-sensitive"
        );
        assert_eq!(Role::parse(" admin ").unwrap(), Role::Admin);
    }

    #[test]
    fn serde_uses_the_same_spelling() {
        let json = serde_json::to_string(&[Qualifier::AtLeast, Qualifier::Exact]).unwrap();
        assert_eq!(json, r#"["at_least","exact"]"#);
        let back: Vec<Qualifier> = serde_json::from_str(&json).unwrap();
        assert_eq!(back, vec![Qualifier::AtLeast, Qualifier::Exact]);
        let err = serde_json::from_str::<Qualifier>(r#""roughly""#).unwrap_err();
        assert!(err.to_string().contains("unknown qualifier"), "{err}");
    }

    #[test]
    fn units_of_values_and_differences() {
        use CanonicalUnit::*;
        assert_eq!(ObservationKind::Growth.value_unit(Yuan), Percent);
        assert_eq!(ObservationKind::Rank.value_unit(Percent), Rank);
        assert_eq!(ObservationKind::Change.value_unit(Person), Person);
        assert_eq!(Percent.difference_unit(), "percentage_point");
        assert_eq!(Yuan.difference_unit(), "yuan");
        assert!(Role::Admin > Role::Editor);
    }
}
