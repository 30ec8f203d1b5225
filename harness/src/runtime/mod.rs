//! Runtimes own time, threads and sockets; designs never see them.

pub mod live;
pub mod net;
pub mod workflow;
