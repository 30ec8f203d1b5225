//! A CSV file as text cells under named columns: summary.csv and sweep.csv are
//! read by column name, so files from runs with more or fewer columns (new
//! columns are appended over time) still line up.

use std::path::Path;

use anyhow::{Context, Result, bail};

use crate::results;

#[derive(Clone, Debug, Default, PartialEq)]
pub struct Table {
    pub headers: Vec<String>,
    pub rows: Vec<Vec<String>>,
}

impl Table {
    pub fn read(path: &Path) -> Result<Table> {
        let mut reader = csv::ReaderBuilder::new()
            .trim(csv::Trim::All)
            .from_path(path)
            .with_context(|| format!("reading {}", path.display()))?;
        let headers: Vec<String> = reader
            .headers()
            .with_context(|| format!("reading the header of {}", path.display()))?
            .iter()
            .map(String::from)
            .collect();
        let mut rows = Vec::new();
        for record in reader.records() {
            let record = record.with_context(|| format!("reading {}", path.display()))?;
            rows.push(record.iter().map(String::from).collect());
        }
        Ok(Table { headers, rows })
    }

    /// Writes the table atomically.
    pub fn write(&self, path: &Path) -> Result<()> {
        results::write_atomically(path, |w| {
            let mut csv = csv::Writer::from_writer(w);
            csv.write_record(&self.headers)
                .map_err(std::io::Error::other)?;
            for row in &self.rows {
                csv.write_record(row).map_err(std::io::Error::other)?;
            }
            csv.flush()
        })
        .with_context(|| format!("writing {}", path.display()))
    }

    pub fn column(&self, name: &str) -> Option<usize> {
        self.headers.iter().position(|h| h == name)
    }

    /// The cell of `row` under `name`; `None` when the column is missing.
    pub fn cell<'a>(&'a self, row: &'a [String], name: &str) -> Option<&'a str> {
        self.column(name)
            .and_then(|i| row.get(i))
            .map(String::as_str)
    }

    /// The cell of `row` under `name` as a number; `None` when missing or
    /// empty, an error naming the column when it is not a number.
    pub fn number(&self, row: &[String], name: &str) -> Result<Option<f64>> {
        match self.cell(row, name) {
            None | Some("") => Ok(None),
            Some(text) => match text.parse::<f64>() {
                Ok(v) => Ok(Some(v)),
                Err(_) => bail!("column {name}: `{text}` is not a number"),
            },
        }
    }

    /// The row whose `design` column is `design` and whose other `key`
    /// columns hold `values`.
    pub fn find(&self, key: &[(String, String)]) -> Option<&[String]> {
        self.rows
            .iter()
            .find(|row| {
                key.iter()
                    .all(|(name, value)| self.cell(row, name) == Some(value.as_str()))
            })
            .map(Vec::as_slice)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn columns_are_found_by_name_and_round_trip() {
        let dir = std::env::temp_dir().join(format!("cmbench-table-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("t.csv");
        let t = Table {
            headers: vec!["design".into(), "p50_us".into(), "cpu_pct".into()],
            rows: vec![
                vec!["a".into(), "10".into(), "".into()],
                vec!["b".into(), "x".into(), "3.5".into()],
            ],
        };
        t.write(&path).unwrap();
        let back = Table::read(&path).unwrap();
        assert_eq!(back, t);
        let b = back.find(&[("design".into(), "b".into())]).unwrap();
        assert_eq!(back.number(b, "cpu_pct").unwrap(), Some(3.5));
        assert!(
            back.number(b, "p50_us")
                .unwrap_err()
                .to_string()
                .contains("p50_us")
        );
        let a = back.find(&[("design".into(), "a".into())]).unwrap();
        assert_eq!(back.number(a, "cpu_pct").unwrap(), None);
        assert_eq!(back.number(a, "nothing").unwrap(), None);
        std::fs::remove_dir_all(dir).unwrap();
    }
}
