//! The media-service application (causalmesh.md §15): each request is a
//! compose-review write workflow or a read-reviews workflow.
//!
//! Values here are opaque tags, so a list's contents cannot be read back from
//! what the cache returns. The generator keeps them itself instead: movie m's
//! list holds its `list_seed` seeded ids (drawn from the run seed) followed by
//! the `req_id`s of every earlier write workflow (lower index) on m, and the
//! read workflow reads the last `list_cap` of them. Those writes may still be
//! in flight when the read runs; the read then sees an older review value,
//! which is all a real reader could see too. User lists are only appended to
//! (no workflow reads a user's reviews), so they need no tracking.

use std::sync::Mutex;

use impls::{Op, Value};
use rand::{RngExt, SeedableRng};
use rand_xoshiro::Xoshiro256PlusPlus;

use crate::media_spec::{COMPOSE_FIELDS, MediaLayout, MediaSpec};
use crate::placement::Placement;
use crate::plan::{FunctionPlan, WorkflowPlan, retagged, value_tag};
use crate::spec::SpecError;
use crate::{Workload, stream_seed};

/// Streams apart from the per-workflow ones.
const LIST_SEED_STREAM: u64 = 0x4c49_5354_5345_4544;
const RETRY_STREAM: u64 = 0x4d45_4449_4152_4554;

/// What a request does, drawn first from its workflow's stream.
struct Request {
    write: bool,
    req: u64,
    user: u64,
    movie: u64,
}

/// Review ids appended to each movie list, by workflow index, up to the
/// highest index generated so far. Runtimes ask for workflows in roughly
/// increasing order, so the scan is amortised O(1) per workflow.
#[derive(Default)]
struct Appends {
    scanned: u64,
    per_movie: Vec<Vec<(u64, u64)>>,
}

pub struct Media {
    spec: MediaSpec,
    layout: MediaLayout,
    servers: usize,
    seed: u64,
    appends: Mutex<Appends>,
}

impl Media {
    pub fn new(spec: MediaSpec, servers: usize, seed: u64) -> Result<Media, SpecError> {
        spec.validate()?;
        if servers == 0 {
            return Err(SpecError::new(
                "servers",
                "a workload needs at least one cache server",
            ));
        }
        Ok(Media {
            layout: spec.layout(),
            appends: Mutex::new(Appends {
                scanned: 0,
                per_movie: vec![Vec::new(); spec.movies as usize],
            }),
            spec,
            servers,
            seed,
        })
    }

    fn request(&self, rng: &mut Xoshiro256PlusPlus) -> Request {
        Request {
            write: rng.random_bool(self.spec.write_fraction),
            req: rng.random_range(0..self.spec.review_slots),
            user: rng.random_range(0..self.spec.users),
            movie: rng.random_range(0..self.spec.movies),
        }
    }

    fn rng(&self, index: u64) -> Xoshiro256PlusPlus {
        Xoshiro256PlusPlus::seed_from_u64(stream_seed(self.seed, index))
    }

    /// The review ids movie `movie`'s list names when workflow `index` runs.
    fn listed(&self, movie: u64, index: u64) -> Vec<u64> {
        let mut ids: Vec<u64> = {
            let mut rng =
                Xoshiro256PlusPlus::seed_from_u64(stream_seed(self.seed ^ LIST_SEED_STREAM, movie));
            (0..self.spec.list_seed)
                .map(|_| rng.random_range(0..self.spec.review_slots))
                .collect()
        };
        // A poisoned lock only means another generator thread panicked; the
        // table itself is always left consistent.
        let mut appends = self
            .appends
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        while appends.scanned < index {
            let j = appends.scanned;
            let r = self.request(&mut self.rng(j));
            if r.write {
                appends.per_movie[r.movie as usize].push((j, r.req));
            }
            appends.scanned += 1;
        }
        let list = &appends.per_movie[movie as usize];
        let before = list.partition_point(|&(j, _)| j < index);
        ids.extend(list[..before].iter().map(|&(_, id)| id));
        let keep = ids.len().saturating_sub(self.spec.list_cap);
        ids.split_off(keep)
    }

    /// Places each function of a staged plan: a function's predecessor is
    /// its stage's upstream function (uniform placement ignores it).
    fn place(&self, plan: &mut WorkflowPlan, rng: &mut Xoshiro256PlusPlus) {
        for f in 0..plan.functions.len() {
            let previous = plan.upstream(f).map(|u| plan.functions[u].node);
            plan.functions[f].node = Placement::Uniform.place(previous, self.servers, rng);
        }
    }

    fn value(&self, index: u64, seq: &mut usize) -> Value {
        *seq += 1;
        Value::tagged(value_tag(index, 0, *seq), self.spec.value_size)
    }

    /// §15 write workflow: four parallel uploads of scratch keys,
    /// ComposeAndUpload reads them, StoreReview stores the review, then the
    /// user's and the movie's lists are updated in parallel (read, append,
    /// keep the last ten, write back).
    fn compose_review(&self, index: u64, r: &Request) -> (Vec<Vec<Op>>, Vec<usize>) {
        let l = &self.layout;
        let mut seq = 0;
        let mut functions: Vec<Vec<Op>> = (0..COMPOSE_FIELDS)
            .map(|field| {
                vec![Op::Write(
                    l.compose(r.req, field),
                    self.value(index, &mut seq),
                )]
            })
            .collect();
        functions.push(
            (0..COMPOSE_FIELDS)
                .map(|field| Op::Read(l.compose(r.req, field)))
                .collect(),
        );
        functions.push(vec![Op::Write(
            l.review(r.req),
            self.value(index, &mut seq),
        )]);
        for list in [l.user_list(r.user), l.movie_list(r.movie)] {
            functions.push(vec![
                Op::Read(list),
                Op::Write(list, self.value(index, &mut seq)),
            ]);
        }
        (functions, vec![COMPOSE_FIELDS as usize, 1, 1, 2])
    }

    /// §15 read workflow: ReadMovieReviews reads the movie's list, then
    /// ReadReviews reads every review it names.
    fn read_reviews(&self, index: u64, r: &Request) -> (Vec<Vec<Op>>, Vec<usize>) {
        let l = &self.layout;
        let reviews = self
            .listed(r.movie, index)
            .into_iter()
            .map(|id| Op::Read(l.review(id)))
            .collect();
        (
            vec![vec![Op::Read(l.movie_list(r.movie))], reviews],
            Vec::new(),
        )
    }
}

impl Workload for Media {
    fn workflow(&self, index: u64) -> WorkflowPlan {
        let mut rng = self.rng(index);
        let r = self.request(&mut rng);
        let (functions, stages) = if r.write {
            self.compose_review(index, &r)
        } else {
            self.read_reviews(index, &r)
        };
        let mut plan = WorkflowPlan {
            index,
            functions: functions
                .into_iter()
                .map(|ops| FunctionPlan { node: 0, ops })
                .collect(),
            stages,
        };
        self.place(&mut plan, &mut rng);
        plan
    }

    fn retry(&self, plan: &WorkflowPlan, attempt: u32) -> WorkflowPlan {
        let mut retry = retagged(plan, attempt);
        let stream = stream_seed(
            self.seed ^ RETRY_STREAM,
            (plan.index << 8) | u64::from(attempt & 0xff),
        );
        self.place(&mut retry, &mut Xoshiro256PlusPlus::seed_from_u64(stream));
        retry
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    use super::*;

    fn media() -> Media {
        Media::new(MediaSpec::default(), 3, 11).unwrap()
    }

    #[test]
    fn compose_review_has_the_papers_eight_invocations_in_four_stages() {
        let m = media();
        let plan = (0..100)
            .map(|i| m.workflow(i))
            .find(|p| p.functions.len() == 8)
            .unwrap();
        assert_eq!(plan.stages, vec![4, 1, 1, 2]);
        let l = m.layout;
        let scratch: Vec<u64> = plan.functions[..4]
            .iter()
            .map(|f| match f.ops.as_slice() {
                [Op::Write(k, _)] => *k,
                other => panic!("upload should write one scratch key: {other:?}"),
            })
            .collect();
        assert!(scratch.iter().all(|&k| k >= l.compose(0, 0)));
        assert_eq!(plan.functions[4].read_set().collect::<Vec<_>>(), scratch);
        let review = match plan.functions[5].ops.as_slice() {
            [Op::Write(k, _)] => *k,
            other => panic!("StoreReview should write the review: {other:?}"),
        };
        assert!((l.review(0)..l.compose(0, 0)).contains(&review));
        let user = plan.functions[6].read_set().next().unwrap();
        let movie = plan.functions[7].read_set().next().unwrap();
        assert!((l.user_list(0)..l.review(0)).contains(&user));
        assert!(movie < l.user_list(0));
        for (f, list) in [(6, user), (7, movie)] {
            assert!(matches!(&plan.functions[f].ops[1], Op::Write(k, _) if *k == list));
        }
        assert_eq!(plan.upstream(7), Some(5));
        assert_eq!(plan.upstream(4), Some(3));
        assert_eq!(plan.upstream(2), None);
    }

    #[test]
    fn requests_mix_half_and_half_and_are_reproducible() {
        let m = media();
        let writes = (0..4_000)
            .filter(|&i| m.workflow(i).functions.len() == 8)
            .count();
        assert!((1_850..2_150).contains(&writes), "{writes}");
        assert_eq!(media().workflow(1234), m.workflow(1234));
        let spec = MediaSpec {
            write_fraction: 1.0,
            ..MediaSpec::default()
        };
        let all = Media::new(spec, 3, 11).unwrap();
        assert!((0..50).all(|i| all.workflow(i).functions.len() == 8));
    }

    #[test]
    fn read_workflow_reads_the_seeded_list_then_the_reviews_written_to_it() {
        let spec = MediaSpec {
            movies: 1,
            ..MediaSpec::default()
        };
        let m = Media::new(spec, 3, 5).unwrap();
        let reads: Vec<WorkflowPlan> = (0..200)
            .map(|i| m.workflow(i))
            .filter(|p| p.functions.len() == 2)
            .collect();
        let first = &reads[0];
        assert_eq!(first.functions[0].read_set().collect::<Vec<_>>(), vec![0]);
        let reviews = |p: &WorkflowPlan| p.functions[1].read_set().collect::<Vec<_>>();
        // Workflow 0 cannot follow any write; later ones list the newest ten.
        let at_zero = m.workflow(0);
        if at_zero.functions.len() == 2 {
            assert_eq!(reviews(&at_zero).len(), 5);
        }
        let last = reads.last().unwrap();
        assert_eq!(reviews(last).len(), 10);
        let stored: BTreeSet<u64> = (0..last.index)
            .map(|i| m.workflow(i))
            .filter(|p| p.functions.len() == 8)
            .map(|p| p.functions[5].ops[0].writes()[0].0)
            .collect();
        assert!(reviews(last).iter().all(|k| stored.contains(k)));
        // Generating out of order gives the same plans.
        let fresh = Media::new(m.spec.clone(), 3, 5).unwrap();
        assert_eq!(fresh.workflow(last.index), *last);
    }

    #[test]
    fn retries_keep_the_operations_and_stages_with_new_values() {
        let m = media();
        let plan = m.workflow(3);
        let retry = m.retry(&plan, 1);
        assert_eq!(retry.stages, plan.stages);
        assert_eq!(retry.full_read_set(), plan.full_read_set());
        assert_ne!(retry, plan);
        assert!(retry.functions.iter().all(|f| f.node < 3));
    }
}
