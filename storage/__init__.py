"""Storage: SQLAlchemy models, sessions, migrations, raw bodies, the write and read sides."""
