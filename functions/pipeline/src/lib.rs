//! Pipes as data, shared by the components that run them (`pipes` for endpoints, `sql` for
//! the Query API's `pipeline`): a pipe's definition as the catalog keeps it, and how its
//! nodes, their templates rendered, become one statement.

mod compose;
mod definition;

pub use compose::{analyze, render, rendered_nodes, variables};
pub use definition::{Definition, Node, existing, new_id, now};
