"""Storage: schema, migrations, bulk writes and as-of reads on SQLite and PostgreSQL."""
