//! The comparison matrix result (`CompareMatrix`, its `CompareRow`s and `CompareCell`s), built
//! from [`crate::analytics::compare`].

use async_graphql::{Context, Result, SimpleObject};

use super::fields::compare::{CELLS, CELL_OBSERVATION, ROWS};
use super::observation::{self, Links};
use super::prefetch::{LookaheadExt, Mode};
use super::{District, Indicator, Observation};
use crate::analytics::CompareResult;

/// One cell of a comparison matrix.
#[derive(SimpleObject)]
pub struct CompareCell {
    /// Indicator code of the column.
    pub indicator: String,
    /// Value (canonical unit), null when the district has none.
    pub value: Option<f64>,
    /// The year of the value used (differs from the requested year only with
    /// `latestOnOrBefore`).
    pub year: Option<i32>,
    /// The observation used, with its source and quote.
    pub observation: Option<Observation>,
}

/// One row (district) of a comparison matrix.
#[derive(SimpleObject)]
pub struct CompareRow {
    /// The district.
    pub district: District,
    /// One cell per requested indicator, in the requested order.
    pub cells: Vec<CompareCell>,
}

/// Districts × indicators for one year.
#[derive(SimpleObject)]
pub struct CompareMatrix {
    /// The requested year.
    pub year: i32,
    /// Columns, in the requested order.
    pub indicators: Vec<Indicator>,
    /// Rows, in the requested order.
    pub rows: Vec<CompareRow>,
}

impl CompareMatrix {
    /// Builds the matrix of `year`, prefetching the cells' observations when selected.
    pub(crate) async fn build(
        ctx: &Context<'_>,
        year: i32,
        mut r: CompareResult,
    ) -> Result<CompareMatrix> {
        let used: Vec<Links> = r.cells.values().map(|c| (&c.observation).into()).collect();
        let node = ctx.look_ahead().at(ROWS).at(CELLS).at(CELL_OBSERVATION);
        observation::prefetch(ctx, &used, node, Mode::Direct).await?;
        let rows = r
            .districts
            .into_iter()
            .map(|d| CompareRow {
                cells: r
                    .indicators
                    .iter()
                    .map(|i| {
                        let cell = r.cells.remove(&(d.id, i.id));
                        CompareCell {
                            indicator: i.code.clone(),
                            value: cell.as_ref().map(|c| c.observation.value),
                            year: cell.as_ref().map(|c| c.period.year),
                            observation: cell.map(|c| c.observation.into()),
                        }
                    })
                    .collect(),
                district: d.into(),
            })
            .collect();
        Ok(CompareMatrix {
            year,
            indicators: super::all(r.indicators),
            rows,
        })
    }
}
