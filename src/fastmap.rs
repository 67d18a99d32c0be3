//! Hash maps for keys taken from the capture (addresses, connection ids,
//! cookies, tids): a fast hash with a seed drawn per process, so that the
//! per-packet lookups cost little and a capture crafted to collide in one
//! run does not collide in another.

/// A hash map with the fast seeded hash.
pub type Map<K, V> = std::collections::HashMap<K, V, foldhash::fast::RandomState>;
/// A hash set with the fast seeded hash.
pub type Set<K> = std::collections::HashSet<K, foldhash::fast::RandomState>;
