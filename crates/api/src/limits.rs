//! The limits async-graphql has no setting for, checked by [`crate::executor::Api`] on the parsed
//! document before anything runs: the number of aliases, and the depth of a query counted apart
//! for data and for introspection. (Complexity is the schema's own limit; body size, timeout and
//! batch size are the HTTP layer's.)
//!
//! async-graphql's `limit_depth` counts the introspection query's
//! `__schema { types { fields { type { ofType { ofType ...` like data, so the standard query
//! GraphiQL and other tools send (15 levels) would be refused under a data limit of 12. Here a
//! field under `__schema` or `__type` counts against [`INTROSPECTION_MAX_DEPTH`] instead: its
//! answer is the schema, a bounded document held in memory, however it is nested.

use std::collections::HashSet;

use async_graphql::parser::types::{ExecutableDocument, Selection, SelectionSet};

/// The deepest introspection a query may ask for. The standard introspection query of
/// graphql-js 16 (nine levels of `ofType`) is 15 deep.
pub const INTROSPECTION_MAX_DEPTH: usize = 20;

/// The root fields that answer with the schema itself.
const INTROSPECTION_ROOTS: [&str; 2] = ["__schema", "__type"];

fn count_aliases(set: &SelectionSet) -> usize {
    set.items
        .iter()
        .map(|selection| match &selection.node {
            Selection::Field(field) => {
                usize::from(field.node.alias.is_some())
                    + count_aliases(&field.node.selection_set.node)
            }
            Selection::InlineFragment(fragment) => count_aliases(&fragment.node.selection_set.node),
            Selection::FragmentSpread(_) => 0,
        })
        .sum()
}

/// Aliased fields in every operation and fragment of a document.
pub fn aliases(document: &ExecutableDocument) -> usize {
    let in_operations: usize = document
        .operations
        .iter()
        .map(|(_, op)| count_aliases(&op.node.selection_set.node))
        .sum();
    let in_fragments: usize = document
        .fragments
        .values()
        .map(|f| count_aliases(&f.node.selection_set.node))
        .sum();
    in_operations + in_fragments
}

/// How deep the fields of a document are nested, with fragments inlined.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Depth {
    /// The deepest path of data fields (every field counts, leaves included).
    pub data: usize,
    /// The deepest path that starts at `__schema` or `__type` (that field included).
    pub introspection: usize,
    /// Whether the document asks for `__schema` or `__type` at all.
    pub introspects: bool,
}

/// The depth of every operation of a document. A fragment that spreads itself (which validation
/// refuses later) is followed once.
pub fn depth(document: &ExecutableDocument) -> Depth {
    let mut walk = Walk {
        document,
        open: HashSet::new(),
        depth: Depth::default(),
    };
    for (_, operation) in document.operations.iter() {
        walk.set(&operation.node.selection_set.node, 0, None);
    }
    walk.depth
}

struct Walk<'a> {
    document: &'a ExecutableDocument,
    /// The fragments being expanded on the current path.
    open: HashSet<&'a str>,
    depth: Depth,
}

impl<'a> Walk<'a> {
    /// `level`: fields above this set; `introspection_from`: the level of the `__schema` or
    /// `__type` field above it, if any.
    fn set(&mut self, set: &'a SelectionSet, level: usize, introspection_from: Option<usize>) {
        for selection in &set.items {
            match &selection.node {
                Selection::Field(field) => {
                    let level = level + 1;
                    let name = field.node.name.node.as_str();
                    let from = match introspection_from {
                        Some(from) => Some(from),
                        None if INTROSPECTION_ROOTS.contains(&name) => {
                            self.depth.introspects = true;
                            Some(level)
                        }
                        None => None,
                    };
                    match from {
                        Some(from) => {
                            let depth = level + 1 - from;
                            self.depth.introspection = self.depth.introspection.max(depth);
                        }
                        None => self.depth.data = self.depth.data.max(level),
                    }
                    self.set(&field.node.selection_set.node, level, from);
                }
                Selection::InlineFragment(fragment) => {
                    self.set(&fragment.node.selection_set.node, level, introspection_from)
                }
                Selection::FragmentSpread(spread) => {
                    let name = spread.node.fragment_name.node.as_str();
                    let Some(fragment) = self.document.fragments.get(name) else {
                        continue;
                    };
                    if self.open.insert(name) {
                        self.set(&fragment.node.selection_set.node, level, introspection_from);
                        self.open.remove(name);
                    }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn depth_of(query: &str) -> Depth {
        depth(&async_graphql::parser::parse_query(query).unwrap())
    }

    #[test]
    fn data_fields_count_every_level() {
        let found = depth_of("{ a { b { c } } d }");
        assert_eq!(
            found,
            Depth {
                data: 3,
                introspection: 0,
                introspects: false
            }
        );
    }

    #[test]
    fn fragments_are_inlined() {
        let found = depth_of("query { a { ...F } } fragment F on T { b { ... on U { c } } }");
        assert_eq!(found.data, 3);
    }

    #[test]
    fn introspection_is_counted_apart() {
        let found = depth_of(
            "{ a { b } __schema { types { fields { type { ...R } } } } } \
             fragment R on __Type { ofType { ofType { name } } }",
        );
        assert_eq!(found.data, 2);
        assert_eq!(found.introspection, 7);
        assert!(found.introspects);
    }

    #[test]
    fn typename_is_not_introspection_of_the_schema() {
        let found = depth_of("{ __typename a { __typename } }");
        assert!(!found.introspects);
        assert_eq!(found.data, 2);
    }

    #[test]
    fn a_fragment_that_spreads_itself_ends() {
        // a, then F's b; the spread of F inside F is not followed again.
        let found = depth_of("{ a { ...F } } fragment F on T { b { ...F } }");
        assert_eq!(found.data, 2);
    }
}
