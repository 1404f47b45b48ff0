//! PostgreSQL as a data source: `postgres://USER@HOST:PORT/DB#TABLE` or `…#SELECT …` (also
//! `postgresql://`), wherever Cairn reads data. The query runs on the server; number columns
//! (integers, floats, numeric) arrive as numbers, everything else as text; NULL is a missing
//! cell. Rows come in batches of [`BATCH`] through a cursor. A table larger than
//! `CAIRN_PG_SAMPLE_ROWS` rows (default 1 000 000, by the planner's estimate) is read as a
//! repeatable `TABLESAMPLE SYSTEM` sample of about that many rows, and the data's name says so.
//!
//! The password is never part of what Cairn keeps: it comes from `PGPASSWORD` (or the URL,
//! which is then shown and stored without it), and the data's name — what bundles, runs and
//! reports record — is the URL without a password.

use super::formatted::without_markers;
use super::{Column, DataError, Dataset};
use postgres::types::Type;
use postgres::{Config, NoTls};

/// Rows fetched per round trip.
pub const BATCH: i32 = 10_000;
const DEFAULT_SAMPLE_ROWS: f64 = 1_000_000.0;

/// Splits `postgres://…#table-or-query` into the URL and what to read, if `text` names a
/// PostgreSQL database.
pub fn postgres_source(text: &str) -> Option<(String, Option<String>)> {
    let lower = text.get(..13)?.to_ascii_lowercase();
    if !(lower.starts_with("postgres://") || lower.starts_with("postgresql://")) {
        return None;
    }
    Some(match text.split_once('#') {
        Some((url, what)) => (url.to_string(), Some(what.trim().to_string()).filter(|w| !w.is_empty())),
        None => (text.to_string(), None),
    })
}

/// The URL without a password (`postgres://user:secret@host/db` → `postgres://user@host/db`).
pub fn redact(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else { return url.to_string() };
    let (auth, tail) = match rest.split_once('@') {
        Some((auth, tail)) if !auth.contains('/') => (auth, tail),
        _ => return url.to_string(),
    };
    let user = auth.split_once(':').map_or(auth, |(u, _)| u);
    format!("{scheme}://{user}@{tail}")
}

fn quote(ident: &str) -> String {
    ident.split('.').map(|part| format!("\"{}\"", part.replace('"', "\"\""))).collect::<Vec<_>>().join(".")
}

/// The server's own message, else the error with its cause ("Connection refused").
fn explain(e: &postgres::Error) -> String {
    if let Some(db) = e.as_db_error() {
        return db.message().to_string();
    }
    match std::error::Error::source(e) {
        Some(cause) => format!("{e}: {cause}"),
        None => e.to_string(),
    }
}

fn is_number(t: &Type) -> bool {
    [Type::INT2, Type::INT4, Type::INT8, Type::FLOAT4, Type::FLOAT8, Type::NUMERIC, Type::OID].contains(t)
}

pub fn read_postgres(url: &str, what: Option<&str>) -> Result<Dataset, DataError> {
    let shown = redact(url);
    let fail = |name: &str, message: String| DataError::Invalid { source_name: name.to_string(), message };
    let mut config: Config = url.parse().map_err(|e| fail(&shown, format!("not a PostgreSQL address: {e}")))?;
    if config.get_password().is_none()
        && let Ok(password) = std::env::var("PGPASSWORD")
    {
        config.password(password);
    }
    let mut client = config.connect(NoTls).map_err(|e| fail(&shown, format!("cannot connect: {}", explain(&e))))?;
    let Some(what) = what else {
        return Err(fail(&shown, "name a table or a query after '#': postgres://…/DB#TABLE or …#SELECT …".into()));
    };
    let lower = what.to_ascii_lowercase();
    let is_query = lower.starts_with("select") || lower.starts_with("with");
    let mut source = format!("{shown}#{what}");
    let from = if is_query {
        format!("({what}) AS cairn_query")
    } else {
        // The planner's row estimate (no full count of a large table).
        let estimate: Option<f64> = client
            .query_one("SELECT reltuples::float8 FROM pg_class WHERE oid = to_regclass($1)", &[&what])
            .ok()
            .and_then(|r| r.get(0));
        let Some(mut estimate) = estimate else {
            return Err(fail(&source, format!("has no table '{what}'")));
        };
        if estimate < 0.0 {
            // Never analysed: count (once; the planner knows nothing yet).
            let count = client.query_one(&format!("SELECT count(*)::float8 FROM {}", quote(what)), &[]);
            estimate = count.ok().and_then(|r| r.get::<_, Option<f64>>(0)).unwrap_or(0.0);
        }
        let limit = std::env::var("CAIRN_PG_SAMPLE_ROWS")
            .ok()
            .and_then(|v| v.parse::<f64>().ok())
            .filter(|v| *v >= 1.0)
            .unwrap_or(DEFAULT_SAMPLE_ROWS);
        if estimate > limit {
            let share = (100.0 * limit / estimate).clamp(0.0001, 100.0);
            source = format!("{source} (a {share:.3} % sample of about {estimate:.0} rows)");
            format!("{} TABLESAMPLE SYSTEM ({share}) REPEATABLE (42)", quote(what))
        } else {
            quote(what)
        }
    };
    let sql_error = |e: postgres::Error| fail(&source, format!("SQL error: {}", explain(&e)));
    let probe = client.prepare(&format!("SELECT * FROM {from}")).map_err(sql_error)?;
    let columns: Vec<(String, bool)> =
        probe.columns().iter().map(|c| (c.name().to_string(), is_number(c.type_()))).collect();
    let select: Vec<String> = columns
        .iter()
        .map(|(name, number)| format!("{}::{}", quote(name), if *number { "float8" } else { "text" }))
        .collect();
    let mut tx = client.transaction().map_err(sql_error)?;
    let stmt = tx.prepare(&format!("SELECT {} FROM {from}", select.join(", "))).map_err(sql_error)?;
    let portal = tx.bind(&stmt, &[]).map_err(sql_error)?;
    let mut numbers: Vec<Vec<Option<f64>>> = vec![Vec::new(); columns.len()];
    let mut texts: Vec<Vec<Option<String>>> = vec![Vec::new(); columns.len()];
    let mut n_rows = 0usize;
    loop {
        let rows = tx.query_portal(&portal, BATCH).map_err(sql_error)?;
        if rows.is_empty() {
            break;
        }
        n_rows += rows.len();
        for row in &rows {
            for (c, (_, number)) in columns.iter().enumerate() {
                if *number {
                    numbers[c].push(row.try_get(c).map_err(sql_error)?);
                } else {
                    texts[c].push(row.try_get(c).map_err(sql_error)?);
                }
            }
        }
    }
    tx.commit().ok();
    if n_rows == 0 {
        return Err(DataError::NoRows { source_name: source });
    }
    let out = columns
        .into_iter()
        .zip(numbers.into_iter().zip(texts))
        .map(|((name, number), (n, t))| {
            // Text reads as a CSV's would: "NA" and the like among labels are missing too.
            if number { Column::numeric(name, n) } else { Column::from_strings(name, without_markers(t.into())) }
        })
        .collect();
    Dataset::new(source, out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn addresses_are_recognised_and_passwords_never_shown() {
        assert_eq!(
            postgres_source("postgres://me:pw@db:5432/shop#penguins"),
            Some(("postgres://me:pw@db:5432/shop".into(), Some("penguins".into())))
        );
        assert_eq!(postgres_source("PostgreSQL://h/db").map(|s| s.1), Some(None));
        assert!(postgres_source("data/postgres.csv").is_none());
        assert_eq!(redact("postgres://me:s3cret@db:5432/shop"), "postgres://me@db:5432/shop");
        assert_eq!(redact("postgres://me@db/shop"), "postgres://me@db/shop");
        assert_eq!(redact("postgres://db/shop"), "postgres://db/shop");
        assert_eq!(quote("public.odd\"name"), "\"public\".\"odd\"\"name\"");
    }
}
