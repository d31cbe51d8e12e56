"""What the benches share: a database of their own on the server of DATABASE_URL, loaded by COPY.

A bench never touches the database DATABASE_URL names: it points DATABASE_URL at its own
database on the same server before Django starts.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterable
from urllib.parse import urlsplit, urlunsplit


def bench_database_use(name: str) -> str:
    """Point DATABASE_URL at the database ``name`` on its server; the URL of that server's
    ``postgres`` database, to create it from. Exits with one line without a PostgreSQL URL."""
    base_url = os.environ.get("DATABASE_URL", "")
    if not base_url.startswith(("postgres://", "postgresql://")):
        sys.exit("error: set DATABASE_URL to a PostgreSQL server (its database is not touched)")
    parts = urlsplit(base_url)
    os.environ["DATABASE_URL"] = urlunsplit(parts._replace(path=f"/{name}"))
    return urlunsplit(parts._replace(path="/postgres"))


def bench_database_create(admin_url: str, name: str, *, reuse: bool = False) -> None:
    """Create the database ``name`` afresh, or keep it as it is with ``reuse``."""
    import psycopg

    with psycopg.connect(admin_url, autocommit=True) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone()
        if exists and not reuse:
            conn.execute(f"DROP DATABASE {name} WITH (FORCE)")
        if not exists or not reuse:
            conn.execute(f"CREATE DATABASE {name}")


def rows_copy(raw, table: str, columns: list[str], rows: Iterable) -> None:
    """Load ``rows`` into ``table`` with COPY over the psycopg connection ``raw``."""
    with raw.cursor().copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
        for row in rows:
            copy.write_row(row)
