//! Tests of the store against SQLite and, with DATABASE_URL, PostgreSQL.
