//! The cmbench harness: runtimes, the emulated database, the latency model,
//! the recorder and the results folder. The `cmbench` binary is a thin CLI
//! over [`bench`].

pub mod bench;
pub mod checker;
pub mod compare;
pub mod config;
pub mod emulated_db;
pub mod faults;
pub mod history;
pub mod invariants;
pub mod latency;
pub mod paper;
pub mod recorder;
pub mod registry;
pub mod resources;
pub mod results;
pub mod rows;
pub mod runtime;
pub mod sim_commands;
pub mod sweep;
pub mod tokens;
