"""The workspace folder: its SQLite database, schema and migrations, the audit log, the single writer, the clock."""
