//! The depth limit, counted without introspection. async-graphql's own `limit_depth` counts
//! every field, and the standard introspection query (the one GraphiQL sends to draw its
//! documentation explorer) nests `ofType` eight times under `__schema.types.fields.args.type`,
//! 14 levels: with a limit of 12 the explorer could never load. [`check_depth`] refuses data
//! queries deeper than the limit exactly as before, and does not descend into `__schema` or
//! `__type`: those resolve from the static schema, never touch the database, and stay bounded
//! by the complexity limit (which still counts them) and the parser's recursion limit.

use std::collections::HashSet;

use async_graphql::parser::types::{ExecutableDocument, Selection, SelectionSet};
use async_graphql::{ServerError, ServerResult};

/// Refuses `doc` if its data selections are deeper than `max` (see the module doc).
pub fn check_depth(doc: &ExecutableDocument, max: usize) -> ServerResult<()> {
    if data_depth(doc) > max {
        // The same message as async-graphql's own limit, so clients see no difference; the
        // document parsed, so it is a validation failure even though it is refused here.
        return Err(super::limits::with_code(
            ServerError::new("Query is nested too deep.", None),
            crate::error::ErrorCode::GraphqlValidationFailed,
        ));
    }
    Ok(())
}

/// The deepest nesting of fields over every operation of `doc`, fragments inlined, not
/// counting what lies under the introspection fields `__schema` and `__type`.
pub fn data_depth(doc: &ExecutableDocument) -> usize {
    doc.operations
        .iter()
        .map(|(_, op)| depth(doc, &op.node.selection_set.node, &mut HashSet::new()))
        .max()
        .unwrap_or(0)
}

fn depth<'a>(
    doc: &'a ExecutableDocument,
    set: &'a SelectionSet,
    path: &mut HashSet<&'a str>,
) -> usize {
    set.items
        .iter()
        .map(|item| match &item.node {
            Selection::Field(f) => {
                let name = f.node.name.node.as_str();
                if name == "__schema" || name == "__type" {
                    0
                } else {
                    1 + depth(doc, &f.node.selection_set.node, path)
                }
            }
            Selection::InlineFragment(fr) => depth(doc, &fr.node.selection_set.node, path),
            Selection::FragmentSpread(sp) => {
                let name = sp.node.fragment_name.node.as_str();
                // A fragment that spreads itself is refused by validation, which runs after
                // parsing: here it only must not recurse forever.
                match doc.fragments.get(&sp.node.fragment_name.node) {
                    Some(def) if path.insert(name) => {
                        let d = depth(doc, &def.node.selection_set.node, path);
                        path.remove(name);
                        d
                    }
                    _ => 0,
                }
            }
        })
        .max()
        .unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn depth_of(q: &str) -> usize {
        data_depth(&async_graphql::parser::parse_query(q).expect("parses"))
    }

    #[test]
    fn counts_fields_through_fragments_and_skips_introspection() {
        assert_eq!(depth_of("{ a }"), 1);
        assert_eq!(depth_of("{ a { b { c } } d }"), 3);
        assert_eq!(depth_of("{ a { ...F } } fragment F on T { b { c } }"), 3);
        assert_eq!(depth_of("{ a { ... on T { b } } }"), 2);
        assert_eq!(
            depth_of("{ __schema { types { fields { type { ofType { name } } } } } }"),
            0
        );
        assert_eq!(depth_of("{ a { __typename } }"), 2);
        assert_eq!(depth_of("query A { a } query B { a { b } }"), 2);
    }

    #[test]
    fn a_fragment_cycle_terminates() {
        assert_eq!(depth_of("{ a { ...F } } fragment F on T { b { ...F } }"), 2);
    }
}
