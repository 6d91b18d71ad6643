"""deis-database: PostgreSQL for the controller, data under the data directory. See DESIGN.md §2."""
