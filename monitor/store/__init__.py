"""Storage edge: tables, migrations and the queries, one module per entity."""
