//! The declarative macro of the GraphQL object modules: [`row_object!`] declares an object whose
//! plain fields are moved out of a read model (no resolver per field). (The fields a prefetch
//! reads are declared in `fields.rs`.)

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
