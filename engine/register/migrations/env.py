"""Alembic's environment for the register: always given a connection by `database.upgrade`."""

from __future__ import annotations

from alembic import context

from guangxi_subsidy.engine.register.tables import Base

connection = context.config.attributes["connection"]
context.configure(connection=connection, target_metadata=Base.metadata, render_as_batch=True)
with context.begin_transaction():
    context.run_migrations()
