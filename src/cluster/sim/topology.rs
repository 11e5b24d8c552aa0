//! The cluster as bootstrapped: PD's ids, replica placement, initial leaders,
//! region sizes and how hot each region is. Pure functions of the config and a
//! seeded random source.

use rand::Rng;
use rand::seq::SliceRandom;

/// Replicas per region (PD's `max-replicas`).
pub const REPLICAS: usize = 3;

/// Keys in the YCSB table (`recordcount`), used to spread the zipfian
/// popularity of keys over the regions.
const RECORDS: f64 = 1_000_000.0;
/// YCSB's zipfian constant.
const ZIPF_THETA: f64 = 0.99;
/// Keys whose popularity is placed one by one; the long tail is spread evenly.
const HOT_KEYS: usize = 4096;

/// One region as bootstrapped: its PD id, the stores (by index) holding its
/// replicas, the store of its first leader, its size and its share of traffic.
#[derive(Debug, Clone, PartialEq)]
pub struct RegionSeed {
    pub id: u64,
    pub peers: [u8; REPLICAS],
    pub leader: u8,
    pub size_bytes: u64,
    pub weight: f64,
}

/// The bootstrapped cluster.
#[derive(Debug, Clone, PartialEq)]
pub struct Topology {
    /// PD store ids, by store index.
    pub store_ids: Vec<u64>,
    pub regions: Vec<RegionSeed>,
}

/// Builds the cluster PD would have after bootstrapping `stores` stores and
/// splitting the key space into `regions` regions.
///
/// PD hands out store, region and peer ids from one allocator: the first store
/// gets 1, the first region 2 and its peer 3, so the other stores get 4, 5, ...
/// Replicas go to the stores holding the fewest so far (ties broken at random)
/// and each region's leader to its replica's store with the fewest leaders, so
/// region and leader counts start balanced.
pub fn bootstrap(stores: u8, regions: u32, rng: &mut impl Rng) -> Topology {
    let mut next_id = 1u64;
    let mut alloc = || {
        let id = next_id;
        next_id += 1;
        id
    };
    let first_store = alloc();
    let first_region = alloc();
    let _first_peer = alloc();
    let mut store_ids = vec![first_store];
    store_ids.extend((1..stores).map(|_| alloc()));

    let weights = region_weights(regions as usize, rng);
    let n = stores as usize;
    let mut replicas_on = vec![0u32; n];
    let mut leaders_on = vec![0u32; n];
    let mut order: Vec<u8> = (0..stores).collect();
    let mut seeds = Vec::with_capacity(regions as usize);
    for (index, weight) in weights.into_iter().enumerate() {
        let id = if index == 0 {
            first_region
        } else {
            let id = alloc();
            for _ in 0..REPLICAS {
                alloc();
            }
            id
        };
        order.shuffle(rng);
        order.sort_by_key(|&s| replicas_on[s as usize]);
        let peers = [order[0], order[1], order[2]];
        for &p in &peers {
            replicas_on[p as usize] += 1;
        }
        let leader = *peers
            .iter()
            .min_by_key(|&&p| leaders_on[p as usize])
            .unwrap_or(&peers[0]);
        leaders_on[leader as usize] += 1;
        // Regions split at 96 MiB and grow back; most sit between 40 and 96 MiB.
        let size_bytes = rng.random_range(40u64..=96) << 20;
        seeds.push(RegionSeed {
            id,
            peers,
            leader,
            size_bytes,
            weight,
        });
    }
    Topology {
        store_ids,
        regions: seeds,
    }
}

/// Each region's share of requests (summing to 1) under YCSB's scrambled
/// zipfian distribution: the hottest keys land in random regions, the long
/// tail of the million keys spreads evenly.
pub fn region_weights(regions: usize, rng: &mut impl Rng) -> Vec<f64> {
    let hot: Vec<f64> = (1..=HOT_KEYS)
        .map(|rank| (rank as f64).powf(-ZIPF_THETA))
        .collect();
    let hot_sum: f64 = hot.iter().sum();
    // The tail's sum, by the integral of x^-theta between the hot keys and the last.
    let exponent = 1.0 - ZIPF_THETA;
    let tail_sum =
        ((RECORDS + 0.5).powf(exponent) - (HOT_KEYS as f64 + 0.5).powf(exponent)) / exponent;
    let total = hot_sum + tail_sum;
    let mut weights = vec![tail_sum / total / regions as f64; regions];
    for popularity in hot {
        weights[rng.random_range(0..regions)] += popularity / total;
    }
    weights
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;
    use rand_chacha::ChaCha8Rng;

    fn topology(stores: u8, regions: u32) -> Topology {
        bootstrap(stores, regions, &mut ChaCha8Rng::seed_from_u64(1))
    }

    #[test]
    fn store_ids_come_from_pds_allocator() {
        assert_eq!(topology(3, 8).store_ids, vec![1, 4, 5]);
        assert_eq!(topology(5, 8).store_ids, vec![1, 4, 5, 6, 7]);
    }

    #[test]
    fn region_ids_are_unique_and_never_store_ids() {
        let t = topology(7, 500);
        let mut ids: Vec<u64> = t.regions.iter().map(|r| r.id).collect();
        assert_eq!(ids[0], 2);
        ids.extend(&t.store_ids);
        let count = ids.len();
        ids.sort_unstable();
        ids.dedup();
        assert_eq!(ids.len(), count);
    }

    #[test]
    fn replicas_are_distinct_and_counts_balanced() {
        for stores in 3..=7u8 {
            let t = topology(stores, 1000);
            let mut replicas = vec![0u32; stores as usize];
            let mut leaders = vec![0u32; stores as usize];
            for r in &t.regions {
                let [a, b, c] = r.peers;
                assert!(a != b && b != c && a != c);
                assert!(r.peers.contains(&r.leader));
                for p in r.peers {
                    replicas[p as usize] += 1;
                }
                leaders[r.leader as usize] += 1;
            }
            let spread = |v: &[u32]| v.iter().max().unwrap() - v.iter().min().unwrap();
            assert!(spread(&replicas) <= 1, "{replicas:?}");
            // A leader can only go to one of three replicas, so a store may end one ahead.
            assert!(spread(&leaders) <= 2, "{leaders:?}");
        }
    }

    #[test]
    fn weights_sum_to_one_and_are_skewed_but_spread() {
        let weights = region_weights(64, &mut ChaCha8Rng::seed_from_u64(3));
        let sum: f64 = weights.iter().sum();
        assert!((sum - 1.0).abs() < 1e-9);
        let max = weights.iter().cloned().fold(0.0, f64::max);
        let min = weights.iter().cloned().fold(1.0, f64::min);
        assert!(max > 2.0 * min, "zipfian keys make some regions hot");
        assert!(max < 0.25, "scrambling spreads the hot keys");
    }
}
