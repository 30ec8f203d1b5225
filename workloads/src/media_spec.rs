//! The media-service application's spec (`workload.kind = "media"`,
//! causalmesh.md §15) and how its data set maps onto integer keys.

use serde::{Deserialize, Serialize};

use crate::spec::{SpecError, check_value_size};

/// The DeathStarBench-style compose-review application as the CausalMesh
/// artifact ran it; the defaults are the paper's data set.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct MediaSpec {
    pub movies: u64,
    pub users: u64,
    /// Review ids `0..review_slots`; a request's `req_id` is drawn from them.
    pub review_slots: u64,
    /// Review ids each movie and user list holds at the start.
    pub list_seed: usize,
    /// A list keeps only its last `list_cap` ids.
    pub list_cap: usize,
    /// Share of requests that run the compose-review (write) workflow; the
    /// rest read a movie's reviews. The paper flips a fair coin.
    pub write_fraction: f64,
    /// Bytes per value: a review or a list of ten ids is tens of bytes of
    /// JSON in the artifact.
    pub value_size: usize,
}

impl Default for MediaSpec {
    fn default() -> Self {
        MediaSpec {
            movies: 1_000,
            users: 1_000,
            review_slots: 100_000,
            list_seed: 5,
            list_cap: 10,
            write_fraction: 0.5,
            value_size: 64,
        }
    }
}

/// Key layout of the media data set, in this order from key 0:
///
/// | keys | artifact key |
/// |---|---|
/// | `movie` | `movieReview.<movie>` (list of review ids) |
/// | `movies + user` | `userReview.<user>` |
/// | `movies + users + id` | `reviewStorage.<id>` |
/// | `movies + users + review_slots + 4 × req + field` | `compose.<req>.<field>`, field 0..4 = text, rating, user id, movie id |
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct MediaLayout {
    movies: u64,
    users: u64,
    slots: u64,
}

/// Scratch fields a compose request uploads in parallel (§15 step 1).
pub const COMPOSE_FIELDS: u64 = 4;

impl MediaLayout {
    pub fn movie_list(&self, movie: u64) -> u64 {
        movie
    }

    pub fn user_list(&self, user: u64) -> u64 {
        self.movies + user
    }

    pub fn review(&self, id: u64) -> u64 {
        self.movies + self.users + id
    }

    pub fn compose(&self, req: u64, field: u64) -> u64 {
        self.movies + self.users + self.slots + COMPOSE_FIELDS * req + field
    }

    /// Size of the key space.
    pub fn keys(&self) -> u64 {
        self.movies + self.users + (1 + COMPOSE_FIELDS) * self.slots
    }
}

impl MediaSpec {
    pub fn layout(&self) -> MediaLayout {
        MediaLayout {
            movies: self.movies,
            users: self.users,
            slots: self.review_slots,
        }
    }

    pub fn validate(&self) -> Result<(), SpecError> {
        for (field, n) in [
            ("movies", self.movies),
            ("users", self.users),
            ("review_slots", self.review_slots),
        ] {
            if n == 0 {
                return Err(SpecError::new(field, "must be at least 1"));
            }
            if n > 1 << 32 {
                return Err(SpecError::new(
                    field,
                    format!("at most {} (the key space must fit), got {n}", 1u64 << 32),
                ));
            }
        }
        if !(1..=1_000).contains(&self.list_cap) {
            return Err(SpecError::new(
                "list_cap",
                format!("must be within 1..=1000, got {}", self.list_cap),
            ));
        }
        if self.list_seed > self.list_cap {
            return Err(SpecError::new(
                "list_seed",
                format!(
                    "must be at most list_cap ({}), got {}",
                    self.list_cap, self.list_seed
                ),
            ));
        }
        if !(0.0..=1.0).contains(&self.write_fraction) {
            return Err(SpecError::new(
                "write_fraction",
                format!("must be within 0..=1, got {}", self.write_fraction),
            ));
        }
        check_value_size(self.value_size)?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn layout_regions_do_not_overlap_and_fill_the_key_space() {
        let spec = MediaSpec::default();
        let l = spec.layout();
        assert_eq!(l.user_list(0), l.movie_list(999) + 1);
        assert_eq!(l.review(0), l.user_list(999) + 1);
        assert_eq!(l.compose(0, 0), l.review(99_999) + 1);
        assert_eq!(l.compose(99_999, 3) + 1, l.keys());
        assert_eq!(l.keys(), 502_000);
    }

    #[test]
    fn bad_values_name_their_field() {
        let bad = |f: fn(&mut MediaSpec)| {
            let mut s = MediaSpec::default();
            f(&mut s);
            s.validate().unwrap_err().field
        };
        assert_eq!(bad(|s| s.movies = 0), "movies");
        assert_eq!(bad(|s| s.list_seed = 11), "list_seed");
        assert_eq!(bad(|s| s.list_cap = 0), "list_cap");
        assert_eq!(bad(|s| s.write_fraction = 1.5), "write_fraction");
        assert_eq!(bad(|s| s.value_size = 3), "value_size");
        assert_eq!(MediaSpec::default().validate(), Ok(()));
    }
}
