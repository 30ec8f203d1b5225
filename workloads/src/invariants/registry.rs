//! The course registry (consistency-choices.md §3.3): enroll a student, add
//! and remove a course; no enrolment in a removed course.

use super::model::{Instance, Model, Step};

pub const ENROLL: usize = 0;
pub const ADD: usize = 1;
pub const REMOVE: usize = 2;
pub const KINDS: &[&str] = &["enroll", "add", "remove"];

/// Courses (the objects) and students: which courses exist, and the
/// enrolment relation as bits `student * courses + course`.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Debug)]
pub struct Registry {
    pub exists: u8,
    pub enrolled: u16,
}

pub struct RegistryModel {
    pub courses: usize,
    pub students: usize,
}

impl Default for RegistryModel {
    fn default() -> Self {
        RegistryModel {
            courses: 2,
            students: 2,
        }
    }
}

impl RegistryModel {
    fn bit(&self, student: usize, course: usize) -> u16 {
        1 << (student * self.courses + course)
    }

    fn anyone_in(&self, s: &Registry, course: usize) -> bool {
        (0..self.students).any(|st| s.enrolled & self.bit(st, course) != 0)
    }
}

impl Model for RegistryModel {
    type State = Registry;

    fn kinds(&self) -> &'static [&'static str] {
        KINDS
    }

    fn states(&self) -> Vec<Registry> {
        let pairs = self.courses * self.students;
        (0..1u8 << self.courses)
            .flat_map(|exists| {
                (0..1u16 << pairs).map(move |enrolled| Registry { exists, enrolled })
            })
            .collect()
    }

    /// Referential integrity: every enrolment is in an existing course.
    fn invariant(&self, s: &Registry) -> bool {
        (0..self.courses).all(|c| s.exists & (1 << c) != 0 || !self.anyone_in(s, c))
    }

    fn instances(&self) -> Vec<Instance> {
        let mut out = Vec::new();
        for object in 0..self.courses {
            for student in 0..self.students {
                out.push(Instance {
                    kind: ENROLL,
                    object,
                    args: vec![student as i64],
                });
            }
            for kind in [ADD, REMOVE] {
                out.push(Instance {
                    kind,
                    object,
                    args: Vec::new(),
                });
            }
        }
        out
    }

    /// Enrolling needs the course; removing needs it empty.
    fn precondition(&self, op: &Instance, s: &Registry) -> bool {
        match op.kind {
            ENROLL => s.exists & (1 << op.object) != 0,
            REMOVE => !self.anyone_in(s, op.object),
            _ => true,
        }
    }

    fn effect(&self, op: &Instance, s: &Registry) -> Step<Registry> {
        let mut t = *s;
        match op.kind {
            ENROLL => t.enrolled |= self.bit(op.args[0] as usize, op.object),
            ADD => t.exists |= 1 << op.object,
            _ => t.exists &= !(1 << op.object),
        }
        Step::To(t)
    }

    fn describe(&self, op: &Instance) -> String {
        match op.kind {
            ENROLL => format!("enroll(student {}, course {})", op.args[0], op.object),
            k => format!("{}(course {})", KINDS[k], op.object),
        }
    }
}
