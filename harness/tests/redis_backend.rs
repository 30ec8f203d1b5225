//! The live runtime against a real Redis (`database.backend = "redis"`): each
//! test starts its own `redis-server` on a free loopback port (Debian's
//! `redis-server` package; `make test` and `.ci/run` install it).

use std::collections::{BTreeMap, BTreeSet};
use std::net::TcpListener;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use harness::bench;
use harness::config::RunConfig;
use harness::history::Record;
use harness::rows::Row;
use redis::Commands;

/// A redis-server of our own, stopped when dropped.
struct RedisServer {
    child: Child,
    url: String,
}

impl RedisServer {
    fn start() -> RedisServer {
        let port = TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .expect("a free loopback port")
            .port();
        let child = Command::new("redis-server")
            .args(["--port", &port.to_string(), "--bind", "127.0.0.1"])
            .args(["--save", "", "--appendonly", "no"])
            .stdout(Stdio::null())
            .spawn()
            .expect("redis-server on PATH (apt-get install redis-server)");
        let url = format!("redis://127.0.0.1:{port}/");
        let server = RedisServer { child, url };
        let deadline = Instant::now() + Duration::from_secs(10);
        while server.connection().is_none() {
            assert!(
                Instant::now() < deadline,
                "redis-server did not answer PING"
            );
            std::thread::sleep(Duration::from_millis(20));
        }
        server
    }

    fn connection(&self) -> Option<redis::Connection> {
        let mut conn = redis::Client::open(self.url.as_str())
            .ok()?
            .get_connection()
            .ok()?;
        redis::cmd("PING").exec(&mut conn).ok()?;
        Some(conn)
    }
}

impl Drop for RedisServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn temp_dir(tag: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("cmbench-redis-{tag}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    dir
}

fn config(url: &str, designs: &str) -> RunConfig {
    let o: Vec<(String, String)> = [
        ("designs", designs),
        ("database.backend", "\"redis\""),
        ("database.redis_url", &format!("{url:?}")),
        ("load.rate", "300"),
        ("load.warmup", "200ms"),
        ("load.duration", "1s"),
        ("load.drain", "2s"),
        ("workload.keys", "500"),
    ]
    .iter()
    .map(|(k, v)| (k.to_string(), v.to_string()))
    .collect();
    RunConfig::load(None, &o).expect("test config is valid")
}

#[test]
fn designs_run_against_redis_without_anomalies_or_lost_writes() {
    let redis = RedisServer::start();
    let dir = temp_dir("designs");
    let cfg = config(
        &redis.url,
        r#"["causalmesh", "causalmesh-tcc", "hydrocache-con", "hydrocache-opt", "faastcc", "eventual", "nocache"]"#,
    );
    let rows = bench::run(&cfg, &dir, true).expect("run against redis succeeds");
    for r in &rows {
        assert!(r.workflows > 200, "{}: {} workflows", r.design, r.workflows);
        assert!(r.db_writes > 0, "{}: no write reached redis", r.design);
        assert_eq!(r.lost_writes, Some(0), "{}", r.design);
        if harness::registry::traits(&r.design).is_some_and(|t| t.causal) {
            assert_eq!(r.anomalies, Some(0), "{}", r.design);
        }
    }
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn every_written_key_ends_in_redis_with_a_written_value() {
    let redis = RedisServer::start();
    let dir = temp_dir("rows");
    let cfg = config(&redis.url, r#"["causalmesh"]"#);
    bench::run(&cfg, &dir, true).expect("run against redis succeeds");
    let history = harness::checker::history::read_jsonl(dir.join("causalmesh.history.jsonl"))
        .expect("history written");
    let mut written: BTreeMap<u64, BTreeSet<u64>> = BTreeMap::new();
    for r in &history {
        for (key, tag) in Record::written(r) {
            written.entry(key).or_default().insert(tag);
        }
    }
    assert!(!written.is_empty());
    let mut conn = redis.connection().expect("redis still up");
    let stored: u64 = redis::cmd("DBSIZE").query(&mut conn).expect("DBSIZE");
    assert_eq!(stored, written.len() as u64, "one row per written key");
    for (key, tags) in &written {
        let raw: Vec<u8> = conn.get(key).expect("GET");
        let row: Row = serde_json::from_slice(&raw).expect("a row");
        let tag = row.register.value.tag();
        assert!(tags.contains(&tag), "key {key}: redis holds tag {tag}");
    }
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn an_unreachable_redis_is_a_clear_error() {
    let port = TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free loopback port")
        .port();
    let cfg = config(&format!("redis://127.0.0.1:{port}/"), r#"["causalmesh"]"#);
    let err = bench::run(&cfg, &temp_dir("down"), true).expect_err("no redis there");
    let text = format!("{err:#}");
    assert!(text.contains("database.backend = redis"), "{text}");
    assert!(text.contains("cannot connect"), "{text}");
}
