"""The durable store: one peewee database for the whole server process.

SQLite (WAL) by default, PostgreSQL with a ``postgresql://`` URL.  Every area of the server defines
its models on :class:`BaseModel` and lists them with :func:`register` so that :func:`open_store`
creates the tables on start.  Nothing here knows about HTTP.
"""
from __future__ import annotations

import os
import threading
from urllib.parse import urlparse, unquote, parse_qs

import peewee

database = peewee.DatabaseProxy()

SCHEMA_VERSION = 1

_models: list[type[peewee.Model]] = []
_lock = threading.Lock()


class BaseModel(peewee.Model):
    class Meta:
        database = database
        legacy_table_names = False


def register(*models):
    """Add models whose tables open_store() creates (idempotent).  Usable as a class decorator."""
    with _lock:
        for m in models:
            if m not in _models:
                _models.append(m)
    return models[0] if len(models) == 1 else models


class SchemaInfo(BaseModel):
    """One row per schema component: its version, for later migrations."""
    component = peewee.CharField(primary_key=True, max_length=100)
    version = peewee.IntegerField()


register(SchemaInfo)


def is_postgres() -> bool:
    return isinstance(database.obj, peewee.PostgresqlDatabase)


def make_database(url: str | None, home: str = "./var") -> peewee.Database:
    """Build a peewee database from a URL (sqlite:///path, sqlite:///:memory:, postgresql://...)."""
    if not url:
        os.makedirs(home, exist_ok=True)
        url = "sqlite:///" + os.path.join(os.path.abspath(home), "kieserver.db")
    parsed = urlparse(url)
    scheme = parsed.scheme.lower()
    if scheme in ("postgres", "postgresql", "postgresql+psycopg2"):
        opts = {k: v[-1] for k, v in parse_qs(parsed.query).items()}
        return peewee.PostgresqlDatabase(
            unquote(parsed.path.lstrip("/")) or "postgres",
            user=unquote(parsed.username) if parsed.username else None,
            password=unquote(parsed.password) if parsed.password else None,
            host=parsed.hostname or "127.0.0.1",
            port=parsed.port or 5432,
            **opts,
        )
    if scheme == "sqlite":
        path = url[len("sqlite:///"):] if url.startswith("sqlite:///") else parsed.path
        if path and path != ":memory:":
            os.makedirs(os.path.dirname(os.path.abspath(path)) or ".", exist_ok=True)
        return peewee.SqliteDatabase(
            path or ":memory:",
            pragmas={"journal_mode": "wal", "foreign_keys": 1, "busy_timeout": 30000, "synchronous": "normal"},
            check_same_thread=False,
            timeout=30,
        )
    raise ValueError(f"Unsupported database URL '{url}' (use sqlite:///path or postgresql://user@host/db)")


def open_store(url: str | None = None, home: str = "./var") -> peewee.Database:
    """Point the store at a database and create every registered table (safe to call again)."""
    db = make_database(url, home)
    database.initialize(db)
    db.connect(reuse_if_open=True)
    # SQLite: take the write lock up front, else workers booting together deadlock on the upgrade
    with db.atomic(lock_type="IMMEDIATE") if isinstance(db, peewee.SqliteDatabase) else db.atomic():
        db.create_tables(list(_models), safe=True)
        SchemaInfo.insert(component="core", version=SCHEMA_VERSION).on_conflict_ignore().execute()
    return db


def close_store():
    if database.obj is not None and not database.is_closed():
        database.close()


def drop_all():
    """Drop every registered table (tests only)."""
    database.drop_tables(list(reversed(_models)), safe=True, cascade=is_postgres())


class PkLookup:
    """`Model.get_or_none(pk == value)` with the SQL built once per database (hot request paths:
    peewee's query building costs more than the query itself)."""

    def __init__(self, model):
        self.model = model
        self._db = None
        self._sql = None
        self._fields = None

    def get(self, value):
        db = database.obj
        if self._db is not db:
            pk = self.model._meta.primary_key
            self._sql, _ = self.model.select().where(pk == "?").sql()
            self._fields = list(self.model._meta.sorted_fields)
            self._db = db
        row = database.execute_sql(self._sql, (value,)).fetchone()
        return None if row is None else model_from_row(self.model, self._fields, row)


def model_from_row(model, fields, row):
    """A model instance from a raw row whose columns are `fields` (for hand-written hot SQL)."""
    obj = model.__new__(model)
    obj.__data__ = {f.name: f.python_value(v) for f, v in zip(fields, row)}
    obj._dirty = set()
    obj.__rel__ = {}
    return obj


def write_transaction():
    """A transaction that will write: on SQLite it takes the write lock up front (BEGIN IMMEDIATE),
    so two connections that both read then write wait for each other instead of failing with
    "database is locked"; on PostgreSQL rows are locked with SELECT ... FOR UPDATE inside it."""
    if is_postgres():
        return database.atomic()
    return database.atomic(lock_type="IMMEDIATE")
