//! Runtimes own time, threads and sockets; designs never see them. The live
//! runtime runs in real time on tokio; the simulated one in virtual time.
//! Both drive workflows, nodes and the database through the same shared
//! pieces (clients, node sends, database server, links).

pub mod clients;
pub mod database;
pub mod links;
pub mod live;
pub mod net;
pub mod node_sends;
pub mod outcome;
pub mod sim;
pub mod workflow;
