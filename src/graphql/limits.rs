//! Request-level checks of the GraphQL layer, run once per request by [`super::gate`]:
//!
//! - error codes: every error raised before execution carries `extensions.code`, as Apollo
//!   names them: `GRAPHQL_PARSE_FAILED` for a document that does not parse,
//!   `GRAPHQL_VALIDATION_FAILED` for one the schema refuses (unknown field, wrong argument type,
//!   too deep, too complex). Clients switch on the code, never on English messages.
//! - [`InputLimits`]: bounds on the size of string and list values in *read* documents
//!   (`BAD_USER_INPUT`). Reads are open to anyone, so a 10 MB `search` string must be refused
//!   before it reaches a `LIKE` pattern. Mutations are left to the body limit of the HTTP layer:
//!   they need an editor key, and a report's text is legitimately hundreds of kilobytes.

use async_graphql::parser::types::{
    ExecutableDocument, Field, OperationType, Selection, SelectionSet,
};
use async_graphql::{ServerError, ServerResult, Value, Variables};

use crate::error::ErrorCode;

/// Sets `extensions.code` on an error that has none (a code set closer to the cause wins).
pub fn with_code(mut e: ServerError, code: ErrorCode) -> ServerError {
    let has_code = e
        .extensions
        .as_ref()
        .is_some_and(|x| x.get("code").is_some());
    if !has_code {
        e.extensions
            .get_or_insert_with(Default::default)
            .set("code", code.as_str());
    }
    e
}

/// Most fields a document may hold once its fragments are inlined (ten times the complexity
/// limit: a document near it is refused by the complexity limit anyway, with its own message).
pub const MAX_EXPANDED_FIELDS: usize = 10 * super::MAX_COMPLEXITY;

/// The number of fields of the largest operation of `doc` with its fragments inlined.
pub fn expanded_fields(doc: &ExecutableDocument) -> usize {
    operation_sizes(doc, |_| true).max().unwrap_or(0)
}

/// The number of fields of each operation of `doc` for which `counts` holds, with its fragments
/// inlined, each fragment counted once (memoised, so the count itself is linear in the
/// document), saturating. A fragment that spreads itself counts nothing more (validation
/// refuses the cycle).
pub fn operation_sizes(
    doc: &ExecutableDocument,
    counts: fn(&Field) -> bool,
) -> impl Iterator<Item = usize> + '_ {
    use std::collections::HashMap;
    fn size<'a>(
        doc: &'a ExecutableDocument,
        set: &'a SelectionSet,
        counts: fn(&Field) -> bool,
        memo: &mut HashMap<&'a str, usize>,
        open: &mut Vec<&'a str>,
    ) -> usize {
        set.items.iter().fold(0usize, |n, item| {
            let more = match &item.node {
                Selection::Field(f) => usize::from(counts(&f.node)).saturating_add(size(
                    doc,
                    &f.node.selection_set.node,
                    counts,
                    memo,
                    open,
                )),
                Selection::InlineFragment(fr) => {
                    size(doc, &fr.node.selection_set.node, counts, memo, open)
                }
                Selection::FragmentSpread(sp) => {
                    let name = sp.node.fragment_name.node.as_str();
                    if let Some(n) = memo.get(name) {
                        *n
                    } else if open.contains(&name) {
                        0
                    } else if let Some(def) = doc.fragments.get(&sp.node.fragment_name.node) {
                        open.push(name);
                        let n = size(doc, &def.node.selection_set.node, counts, memo, open);
                        open.pop();
                        memo.insert(name, n);
                        n
                    } else {
                        0
                    }
                }
            };
            n.saturating_add(more)
        })
    }
    let mut memo = HashMap::new();
    doc.operations.iter().map(move |(_, op)| {
        size(
            doc,
            &op.node.selection_set.node,
            counts,
            &mut memo,
            &mut Vec::new(),
        )
    })
}

/// Refuses a document whose inlined size is out of all proportion, before anything walks it
/// with its fragments inlined (async-graphql's own recursion check, the depth limit, the input
/// limits): fragments spread several times in several layers (`...F1 ...F1 ...F1` in F0, the
/// same in F1, …) are a few hundred bytes that inline to billions of fields and would hold a
/// worker thread for good.
pub fn check_expansion(doc: &ExecutableDocument) -> ServerResult<()> {
    let n = expanded_fields(doc);
    if n > MAX_EXPANDED_FIELDS {
        return Err(with_code(
            ServerError::new(
                format!(
                    "the document expands to more than {MAX_EXPANDED_FIELDS} fields once its fragments are inlined"
                ),
                None,
            ),
            ErrorCode::GraphqlValidationFailed,
        ));
    }
    Ok(())
}

/// The code of an error raised while executing that has none. Our resolvers' errors carry
/// their code (`ApiError`); the ones without come from async-graphql itself: coercing an
/// argument or variable to its input type (the client's mistake), or anything else (ours).
pub fn code_execution_error(e: ServerError) -> ServerError {
    let input = e.message.contains("occurred while parsing")
        || e.message.starts_with("Failed to parse")
        || e.message.starts_with("Expected input type")
        || e.message.starts_with("Invalid value for argument")
        // A declared variable of a non-null type that the request gives no value (async-graphql
        // finds it when the field asks for it): "Variable y is not defined."
        || (e.message.starts_with("Variable ") && e.message.ends_with(" is not defined."));
    let code = if input {
        ErrorCode::BadUserInput
    } else {
        ErrorCode::Internal
    };
    with_code(e, code)
}

/// Bounds on the values of read documents (see the module doc).
#[derive(Debug, Clone, Copy)]
pub struct InputLimits {
    /// Longest string value, in characters.
    pub max_string: usize,
    /// Longest list value, in items.
    pub max_list: usize,
}

impl Default for InputLimits {
    fn default() -> Self {
        InputLimits {
            max_string: 1_000,
            max_list: 1_000,
        }
    }
}

impl InputLimits {
    /// Checks the literals of `doc` and the request's `variables` (see the module doc):
    /// no U+0000 anywhere; string and list sizes in every read operation, and in the
    /// variables unless the operation the request runs (`selected`) is a mutation.
    pub fn check(
        &self,
        doc: &ExecutableDocument,
        variables: &Variables,
        selected: OperationType,
    ) -> ServerResult<()> {
        // No text may hold U+0000, in any operation: PostgreSQL cannot store it in a text
        // column, so it would fail deep in a query instead of here, as the client's mistake.
        // The message names the variable and the argument it feeds, or the literal's argument.
        let nul = |v: &Value| has_nul(v).then(|| NUL_MESSAGE.to_string());
        if let Some((name, _)) = variables.iter().find(|(_, v)| has_nul(v)) {
            let fed = doc.operations.iter().find_map(|(_, op)| {
                argument_fed_by(doc, &op.node.selection_set.node, 0, name.as_str())
            });
            return Err(bad_input(match fed {
                Some(argument) => format!("variable ${name} ({argument}): {NUL_MESSAGE}"),
                None => format!("variable ${name}: {NUL_MESSAGE}"),
            }));
        }
        if let Some(why) = doc
            .operations
            .iter()
            .find_map(|(_, op)| first_literal(doc, &op.node.selection_set.node, 0, &nul))
        {
            return Err(bad_input(why));
        }
        for (_, op) in doc.operations.iter() {
            if op.node.ty != OperationType::Query {
                continue;
            }
            let too_big = |v: &Value| self.too_big(v);
            if let Some(why) = first_literal(doc, &op.node.selection_set.node, 0, &too_big) {
                return Err(bad_input(why));
            }
        }
        // Variables feed the operation the request runs: checked unless that one is a
        // mutation. (Checking only when every operation is a read would let an unused
        // mutation in the document switch the check off.)
        if selected != OperationType::Mutation {
            for (name, value) in variables.iter() {
                if let Some(why) = self.too_big(value) {
                    return Err(bad_input(format!("variable ${name}: {why}")));
                }
            }
        }
        Ok(())
    }
}

/// The first field under `set` (fragments followed) for which `pick` has something to say.
/// Fragments are followed to a bounded depth (validation refuses cycles later; here the walk
/// must only terminate, and [`check_expansion`] has already bounded the document's inlined
/// size).
fn first_field(
    doc: &ExecutableDocument,
    set: &SelectionSet,
    depth: usize,
    pick: &dyn Fn(&Field) -> Option<String>,
) -> Option<String> {
    if depth > 64 {
        return None;
    }
    set.items.iter().find_map(|item| match &item.node {
        Selection::Field(f) => {
            pick(&f.node).or_else(|| first_field(doc, &f.node.selection_set.node, depth + 1, pick))
        }
        Selection::InlineFragment(fr) => {
            first_field(doc, &fr.node.selection_set.node, depth + 1, pick)
        }
        Selection::FragmentSpread(sp) => doc
            .fragments
            .get(&sp.node.fragment_name.node)
            .and_then(|def| first_field(doc, &def.node.selection_set.node, depth + 1, pick)),
    })
}

/// The first literal argument under `set` for which `check` has something to say, as
/// "argument `a` of `f`: …".
fn first_literal(
    doc: &ExecutableDocument,
    set: &SelectionSet,
    depth: usize,
    check: &dyn Fn(&Value) -> Option<String>,
) -> Option<String> {
    first_field(doc, set, depth, &|f| {
        f.arguments.iter().find_map(|(name, value)| {
            let v = value.node.clone().into_const()?;
            check(&v).map(|why| format!("argument `{}` of `{}`: {why}", name.node, f.name.node))
        })
    })
}

/// The first argument under `set` whose value uses variable `name`, as "argument `a` of `f`".
fn argument_fed_by(
    doc: &ExecutableDocument,
    set: &SelectionSet,
    depth: usize,
    name: &str,
) -> Option<String> {
    first_field(doc, set, depth, &|f| {
        f.arguments
            .iter()
            .find(|(_, value)| {
                // Resolving the value's variables fails exactly when it uses `name` (the
                // parser's value type with variables is not exported by async-graphql).
                value
                    .node
                    .clone()
                    .into_const_with(|var| {
                        if var.as_str() == name {
                            Err(())
                        } else {
                            Ok(Value::Null)
                        }
                    })
                    .is_err()
            })
            .map(|(arg, _)| format!("argument `{}` of `{}`", arg.node, f.name.node))
    })
}

/// Refuses a document that repeats a directive in one place (`@include(if: true)` 10,000 times
/// on one field). The GraphQL specification's "Directives Are Unique Per Location" rule: every
/// directive this schema knows is non-repeatable. Checked before the schema validates, so the
/// answer is one error, not one per repetition.
pub fn check_directives(doc: &ExecutableDocument) -> ServerResult<()> {
    fn repeated(
        directives: &[async_graphql::Positioned<async_graphql::parser::types::Directive>],
    ) -> Option<(String, usize)> {
        if directives.len() < 2 {
            return None;
        }
        let mut counts: std::collections::BTreeMap<&str, usize> = Default::default();
        for d in directives {
            *counts.entry(d.node.name.node.as_str()).or_default() += 1;
        }
        counts
            .into_iter()
            .find(|(_, n)| *n > 1)
            .map(|(name, n)| (name.to_string(), n))
    }
    fn walk(set: &SelectionSet, depth: usize) -> Option<(String, usize, String)> {
        if depth > 64 {
            return None;
        }
        set.items.iter().find_map(|item| match &item.node {
            Selection::Field(f) => repeated(&f.node.directives)
                .map(|(d, n)| (d, n, format!("field `{}`", f.node.name.node)))
                .or_else(|| walk(&f.node.selection_set.node, depth + 1)),
            Selection::InlineFragment(fr) => repeated(&fr.node.directives)
                .map(|(d, n)| (d, n, "an inline fragment".to_string()))
                .or_else(|| walk(&fr.node.selection_set.node, depth + 1)),
            Selection::FragmentSpread(sp) => repeated(&sp.node.directives).map(|(d, n)| {
                (
                    d,
                    n,
                    format!("the spread of fragment `{}`", sp.node.fragment_name.node),
                )
            }),
        })
    }
    let found = doc
        .operations
        .iter()
        .find_map(|(_, op)| {
            repeated(&op.node.directives)
                .map(|(d, n)| (d, n, "the operation".to_string()))
                .or_else(|| walk(&op.node.selection_set.node, 0))
        })
        .or_else(|| {
            doc.fragments.iter().find_map(|(name, fr)| {
                repeated(&fr.node.directives)
                    .map(|(d, n)| (d, n, format!("fragment `{name}`")))
                    .or_else(|| walk(&fr.node.selection_set.node, 0))
            })
        });
    match found {
        Some((directive, n, place)) => Err(with_code(
            ServerError::new(
                format!("directive @{directive} appears {n} times on {place}: a directive may appear once in one place"),
                None,
            ),
            ErrorCode::GraphqlValidationFailed,
        )),
        None => Ok(()),
    }
}

/// Most errors one response lists; the rest are counted in a last error.
pub const MAX_ERRORS: usize = 20;

/// Longest error message sent, in characters: a message that quotes the request (a parser
/// error quotes the line at fault, and a document may be one long line) is cut there.
pub const MAX_MESSAGE_CHARS: usize = 500;

/// Bounds what a response's errors can echo: at most [`MAX_ERRORS`] errors (a last one says how
/// many more there were, with the first error's code) and [`MAX_MESSAGE_CHARS`] per message.
pub fn bound_errors(errors: Vec<ServerError>) -> Vec<ServerError> {
    let total = errors.len();
    let code = errors
        .first()
        .and_then(|e| e.extensions.as_ref())
        .and_then(|x| x.get("code").cloned());
    let mut kept: Vec<ServerError> = errors
        .into_iter()
        .take(MAX_ERRORS)
        .map(|mut e| {
            if let Some((cut, _)) = e.message.char_indices().nth(MAX_MESSAGE_CHARS) {
                e.message.truncate(cut);
                e.message.push_str("… (cut)");
            }
            e
        })
        .collect();
    if total > MAX_ERRORS {
        let mut more = ServerError::new(
            format!(
                "{} more errors not listed (at most {MAX_ERRORS} are)",
                total - MAX_ERRORS
            ),
            None,
        );
        if let Some(code) = code {
            more.extensions
                .get_or_insert_with(Default::default)
                .set("code", code);
        }
        kept.push(more);
    }
    kept
}

/// Whether the document holds a mutation (GET refuses it; the read routing keeps it on the
/// primary). One definition, so both decide the same way.
pub(crate) fn has_mutation(doc: &ExecutableDocument) -> bool {
    doc.operations
        .iter()
        .any(|(_, op)| op.node.ty == OperationType::Mutation)
}

/// Refuses a document with a mutation in a request that came by `GET`: such requests may be
/// cached and replayed by proxies and prefetched by browsers, so they must not write. Checked
/// after parsing, so a persisted query sent by hash is checked too.
pub fn check_read_only(doc: &ExecutableDocument) -> ServerResult<()> {
    if has_mutation(doc) {
        let e = ServerError::new("a mutation must be sent with POST, not GET", None);
        return Err(with_code(e, ErrorCode::MethodNotAllowed));
    }
    Ok(())
}

const NUL_MESSAGE: &str = "text may not contain the NUL character (U+0000)";

/// Whether a value holds a string with U+0000.
fn has_nul(value: &Value) -> bool {
    match value {
        Value::String(s) => s.contains('\0'),
        Value::List(items) => items.iter().any(has_nul),
        Value::Object(fields) => fields.values().any(has_nul),
        _ => false,
    }
}

fn bad_input(message: String) -> ServerError {
    let mut e = ServerError::new(message, None);
    e.extensions
        .get_or_insert_with(Default::default)
        .set("code", ErrorCode::BadUserInput.as_str());
    e
}

impl InputLimits {
    /// Why `value` is too big, if it is.
    fn too_big(&self, value: &Value) -> Option<String> {
        match value {
            Value::String(s) => {
                let n = s.chars().count();
                (n > self.max_string).then(|| {
                    format!(
                        "a string of {n} characters; at most {} in a query",
                        self.max_string
                    )
                })
            }
            Value::List(items) => {
                if items.len() > self.max_list {
                    return Some(format!(
                        "a list of {} items; at most {} in a query",
                        items.len(),
                        self.max_list
                    ));
                }
                items.iter().find_map(|v| self.too_big(v))
            }
            Value::Object(fields) => fields.values().find_map(|v| self.too_big(v)),
            _ => None,
        }
    }
}
