//! The two declarative macros of the GraphQL layer: [`row_object!`] declares an object whose
//! plain fields are moved out of a read model (no resolver per field), and
//! [`prefetched_fields!`] declares the fields a module's prefetch reads, so a test can check
//! each name against the schema.

/// Declares a GraphQL object (`SimpleObject`) built from a read model by `From`.
///
/// Each field is written once, as `/// doc` `name: Type = expression`, where the expression
/// reads the model through the binding named after `as`. Fields that only serve relation
/// resolvers carry `#[graphql(skip)]`. Put `#[graphql(complex)]` on the struct for objects
/// that also have a `#[ComplexObject]` impl.
macro_rules! row_object {
    (
        $(#[$meta:meta])*
        pub struct $name:ident from $row:ty as $r:ident {
            $( $(#[$field_meta:meta])* $field:ident : $ty:ty = $value:expr ),* $(,)?
        }
    ) => {
        #[derive(async_graphql::SimpleObject, Clone, Debug)]
        $(#[$meta])*
        pub struct $name {
            $( $(#[$field_meta])* pub $field: $ty, )*
        }

        impl From<$row> for $name {
            fn from($r: $row) -> Self {
                $name { $( $field: $value, )* }
            }
        }
    };
}

/// Declares, per GraphQL type, the fields a prefetch looks ahead for: one
/// [`Field`](crate::graphql::prefetch::Field) constant each, and `PREFETCHED`, the list of them
/// all, which `graphql::tests` checks against the schema (a renamed resolver fails the test
/// instead of silently turning its prefetch off).
macro_rules! prefetched_fields {
    ( $( $ty:literal { $( $(#[$doc:meta])* $name:ident = $field:literal ),* $(,)? } )* ) => {
        $( $(
            $(#[$doc])*
            pub(crate) const $name: $crate::graphql::prefetch::Field =
                $crate::graphql::prefetch::Field { ty: $ty, name: $field };
        )* )*

        /// Every field this module's prefetch looks ahead for.
        pub const PREFETCHED: &[$crate::graphql::prefetch::Field] = &[$( $($name),* ),*];
    };
}
