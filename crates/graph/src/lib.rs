//! From co-actions to a coordination network: per-pair [`Edge`]s with their evidence, a
//! significance test that separates coordination from crowding, and Leiden [`Cluster`]s.
//!
//! ## The null model
//! Keep every trace, its timing and its crowd fixed, and let chance decide *who* authored each
//! hit, in proportion to how active each account is. Account `b` wrote a share
//! `f_b = hits_b / hits` of all hits; account `a`'s hits saw `M_a` other hits in their windows
//! (its exposure). Then the number of `a`'s hits that meet `b` by chance is about Poisson with
//! mean `f_b · M_a`. The edge's expected count is the mean of the two directions, and its
//! p-value is `P(Poisson(E) ≥ co_actions)`. Benjamini–Hochberg over all observed pairs turns
//! p-values into q-values; an edge is kept when `q ≤ fdr` and it has at least
//! `min_co_actions`. Hyperactive accounts (large `f`) and crowd-followers (large `M`) need far
//! more co-actions to be significant, which is the point.

mod cluster;
mod edge;
mod significance;

pub use cluster::{cluster, Cluster, ClusterError, ClusterParams};
pub use edge::{build_edges, strength, Edge};
pub use significance::{
    bh_qvalues, poisson_evidence, poisson_tail, significant_edges, test_edge, test_edges,
    SignificanceError, SignificanceReport, Tested,
};
