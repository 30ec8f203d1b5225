//! Rows in a real Redis, as the prototype stores them: one string per key
//! holding the JSON of its row, read and written back by the server for each
//! merge (GET, merge, SET; the server handles one request at a time, so the
//! read-modify-write is atomic, as with the prototype's single proxy).

use impls::{Key, Register};
use redis::{Commands, Connection};

use super::{Row, RowStore, StoreError};

pub struct RedisRows {
    conn: Connection,
    /// What a key never written holds (the preloaded value).
    initial: Row,
}

impl RedisRows {
    /// Connects to `url` and empties its database, as the paper's scripts
    /// FLUSHALL before every data point (§16).
    pub fn connect(url: &str, servers: usize, value_size: usize) -> Result<RedisRows, StoreError> {
        let fail =
            |what: &str, e: redis::RedisError| StoreError(format!("redis {url}: {what}: {e}"));
        let client = redis::Client::open(url).map_err(|e| fail("bad url", e))?;
        let mut conn = client
            .get_connection()
            .map_err(|e| fail("cannot connect", e))?;
        redis::cmd("FLUSHDB")
            .exec(&mut conn)
            .map_err(|e| fail("FLUSHDB", e))?;
        Ok(RedisRows {
            conn,
            initial: Row {
                register: Register::initial(servers, value_size),
                deps: Default::default(),
            },
        })
    }
}

impl RowStore for RedisRows {
    type Error = StoreError;

    fn load(&mut self, key: Key) -> Result<Row, StoreError> {
        let raw: Option<Vec<u8>> = self
            .conn
            .get(key)
            .map_err(|e| StoreError(format!("redis GET {key}: {e}")))?;
        match raw {
            None => Ok(self.initial.clone()),
            Some(bytes) => serde_json::from_slice(&bytes)
                .map_err(|e| StoreError(format!("redis GET {key}: not a row: {e}"))),
        }
    }

    fn store(&mut self, key: Key, row: &Row) -> Result<(), StoreError> {
        let bytes =
            serde_json::to_vec(row).map_err(|e| StoreError(format!("encoding row {key}: {e}")))?;
        self.conn
            .set::<_, _, ()>(key, bytes)
            .map_err(|e| StoreError(format!("redis SET {key}: {e}")))
    }
}
