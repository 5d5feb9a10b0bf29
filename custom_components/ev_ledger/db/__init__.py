"""Storage: SQLAlchemy models, migrations runner and the writer. No Home Assistant."""
