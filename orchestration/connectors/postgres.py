"""The ERP connector over a PostgreSQL database: one entity's window, read through one server-side cursor.

An ERP that keeps its tables in PostgreSQL (or exposes them there as views) is read here the way a
careful extract job reads a live database: one connection per extract, one read-only ``REPEATABLE
READ`` transaction (every chunk sees the same snapshot, whatever the ERP commits meanwhile) and one
named (server-side) cursor, fetched ``chunk_rows`` at a time so memory stays bounded by a chunk
whatever the table's size. The query selects the catalog's columns of ``<schema>.<entity>`` (or the
table configured for the entity), ``is_deleted AS _deleted`` when the table has that boolean
column, and bounds the catalog's ``updated_at`` column by the extract window
(``orchestration.connectors.extract``): ``since <= updated_at < until``, each bound only when set
(a snapshot reads the whole table). Rows come ordered by version and key; numeric columns are cast
to ``float8`` in SQL, timestamps are ``timestamp without time zone`` holding UTC (a ``timestamptz``
column is converted to UTC).

The window, the exactly-once merge, tombstones and the atomic landing folder are the framework's;
this module only reads. Every failure of the driver becomes a ``ConnectorError`` naming the step
(``connect``, ``query`` or ``chunk <n> (rows <a>-<b>)``), and the password never appears in an
error, a log line or ``describe()``.
"""

from __future__ import annotations

import itertools
import logging
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from urllib.parse import parse_qs, unquote, urlsplit

import pandas as pd
import psycopg
from psycopg import sql
from psycopg.conninfo import make_conninfo

from orchestration.connectors.errors import ConnectorError, redact
from orchestration.connectors.extract import DELETED, ExtractWindow, secrets_of
from orchestration.sources import BY_NAME, SourceEntity

_LOG = logging.getLogger(__name__)

#: the boolean column an ERP table may carry to mark a row deleted (a soft delete)
IS_DELETED = "is_deleted"
DEFAULT_PORT = 5432
#: query parameters ``PostgresConnection.from_url`` understands
URL_PARAMETERS = ("schema", "connect_timeout", "application_name")
_TEXT_TYPES = ("text", "character varying", "character")


@dataclass(frozen=True)
class PostgresConnection:
    """Where the ERP database is and how to log in; ``password`` is a secret (never in ``repr`` or ``describe``)."""

    host: str
    port: int
    database: str
    user: str
    password: str = field(repr=False)
    #: the schema holding the ERP tables
    schema: str = "erp"
    #: seconds to wait for the server to answer a connection
    connect_timeout: int = 10
    #: shown in the server's ``pg_stat_activity``
    application_name: str = "sop-connector"

    def conninfo(self) -> str:
        """The libpq connection string, password included: pass it to ``psycopg.connect``, never print it."""
        return make_conninfo(
            "",
            host=self.host,
            port=str(self.port),
            dbname=self.database,
            user=self.user,
            password=self.password or None,
            connect_timeout=str(self.connect_timeout),
            application_name=self.application_name,
        )

    def describe(self) -> str:
        """``postgresql://user@host:port/database``, without the password."""
        return f"postgresql://{self.user}@{self.host}:{self.port}/{self.database}"

    @classmethod
    def from_url(cls, url: str, password: str | None = None) -> PostgresConnection:
        """Parse ``postgresql://user[:password]@host[:port]/database[?schema=erp]``.

        ``password`` (when given) wins over one in the URL. Errors never repeat the URL, which may
        hold the password.
        """
        parts = urlsplit(url)
        url_password = unquote(parts.password) if parts.password else None
        secrets = secrets_of([url_password, password])
        if parts.scheme not in ("postgresql", "postgres"):
            raise ValueError(f"not a postgresql:// URL (scheme {redact(parts.scheme or 'none', secrets)!r})")
        try:
            port = parts.port or DEFAULT_PORT
        except ValueError:
            raise ValueError("the postgresql:// URL has a port that is not a number") from None
        user = unquote(parts.username or "")
        database = unquote(parts.path.lstrip("/"))
        missing = [
            name for name, value in (("user", user), ("host", parts.hostname), ("database", database)) if not value
        ]
        if missing:
            raise ValueError(f"the postgresql:// URL names no {', '.join(missing)}")
        query = parse_qs(parts.query, keep_blank_values=True)
        unknown = sorted(set(query) - set(URL_PARAMETERS))
        if unknown:
            raise ValueError(
                f"unknown postgresql:// URL parameter {redact(', '.join(unknown), secrets)}; "
                f"known: {', '.join(URL_PARAMETERS)}"
            )
        options = {name: values[-1] for name, values in query.items()}
        extra: dict = {}
        if "schema" in options:
            extra["schema"] = options["schema"]
        if "application_name" in options:
            extra["application_name"] = options["application_name"]
        if "connect_timeout" in options:
            try:
                extra["connect_timeout"] = int(options["connect_timeout"])
            except ValueError:
                raise ValueError("connect_timeout in the postgresql:// URL is not a whole number of seconds") from None
        chosen = password if password is not None else url_password or ""
        return cls(parts.hostname, port, database, user, chosen, **extra)


def _one_line(exc: BaseException) -> str:
    """The driver's message on one line (libpq messages span several)."""
    text = " ".join(str(exc).split())
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


class PostgresConnector:
    """Reads ERP entities from a PostgreSQL database (see the module docstring); a ``Connector``."""

    kind = "postgresql"

    def __init__(
        self, connection: PostgresConnection, chunk_rows: int = 50_000, tables: dict[str, str] | None = None
    ) -> None:
        """``tables`` maps an entity name (``erp_items``) to its table (``schema.table`` or ``table`` in
        ``connection.schema``) where it is not ``<schema>.<entity>``."""
        if chunk_rows < 1:
            raise ValueError(f"chunk_rows must be at least 1, got {chunk_rows}")
        tables = dict(tables or {})
        unknown = sorted(set(tables) - set(BY_NAME))
        if unknown:
            raise ValueError(f"tables names unknown entities {', '.join(unknown)}")
        self.connection = connection
        self.chunk_rows = chunk_rows
        self.tables = tables

    def table(self, entity: SourceEntity) -> tuple[str, str]:
        """(schema, table) holding ``entity``."""
        configured = self.tables.get(entity.name)
        if configured is None:
            return self.connection.schema, entity.entity
        schema, _, table = configured.rpartition(".")
        return schema or self.connection.schema, table

    def describe(self, entity: SourceEntity) -> str:
        """``postgresql://user@host:port/database schema.table``, without the password."""
        schema, table = self.table(entity)
        return f"{self.connection.describe()} {schema}.{table}"

    def secrets(self) -> tuple[str, ...]:
        """The password."""
        return secrets_of([self.connection.password])

    def _error(self, entity: SourceEntity, window: ExtractWindow, where: str, detail: str) -> ConnectorError:
        return ConnectorError(entity.name, window.month, where, detail, self.secrets())

    def fetch(self, entity: SourceEntity, window: ExtractWindow) -> Iterator[pd.DataFrame]:
        """Yield the window's rows of ``entity``, ``chunk_rows`` per DataFrame, from one server-side cursor."""
        schema, table = self.table(entity)
        _LOG.debug("%s %s: reading %s", entity.name, window.month, self.describe(entity))
        try:
            conn = psycopg.connect(self.connection.conninfo())
        except psycopg.Error as exc:
            raise self._error(entity, window, "connect", _one_line(exc)) from None
        try:
            try:
                conn.isolation_level = psycopg.IsolationLevel.REPEATABLE_READ
                conn.read_only = True
                types = self._column_types(conn, schema, table)
            except psycopg.Error as exc:
                raise self._error(entity, window, "query", _one_line(exc)) from None
            if not types:
                raise self._error(
                    entity, window, "query", f"no table {schema}.{table} that {self.connection.user} can read"
                )
            missing = [c for c in entity.column_names if c not in types]
            if missing:
                raise self._error(entity, window, "query", f"{schema}.{table} has no column {', '.join(missing)}")
            query, params = self._query(entity, schema, table, types, window)
            names = [*entity.column_names, *([DELETED] if types.get(IS_DELETED) == "boolean" else [])]
            cursor = conn.cursor(name=f"sop_extract_{uuid.uuid4().hex[:12]}", binary=True)
            try:
                _LOG.debug("%s %s: %s %s", entity.name, window.month, query.as_string(conn), params)
                cursor.execute(query, params)
            except psycopg.Error as exc:
                raise self._error(entity, window, "query", _one_line(exc)) from None
            read = 0
            for number in itertools.count(1):
                try:
                    rows = cursor.fetchmany(self.chunk_rows)
                except psycopg.Error as exc:
                    where = f"chunk {number} (rows {read + 1}-{read + self.chunk_rows})"
                    raise self._error(entity, window, where, _one_line(exc)) from None
                if not rows:
                    break
                read += len(rows)
                _LOG.debug("%s %s: chunk %d, %d rows", entity.name, window.month, number, len(rows))
                yield pd.DataFrame.from_records(rows, columns=names)
                if len(rows) < self.chunk_rows:
                    break
        finally:
            conn.close()

    @staticmethod
    def _column_types(conn: psycopg.Connection, schema: str, table: str) -> dict[str, str]:
        """Column name -> ``information_schema`` data type of the table or view."""
        rows = conn.execute(
            "SELECT column_name, data_type FROM information_schema.columns "
            "WHERE table_schema = %s AND table_name = %s ORDER BY ordinal_position",
            (schema, table),
        ).fetchall()
        return dict(rows)

    @staticmethod
    def _query(
        entity: SourceEntity, schema: str, table: str, types: dict[str, str], window: ExtractWindow
    ) -> tuple[sql.Composed, dict]:
        """The SELECT of the window and its parameters."""
        selected = []
        for column in entity.columns:
            name = sql.Identifier(column.name)
            if column.type == "decimal":
                expression = sql.SQL("{}::float8").format(name)
            elif column.type == "timestamp" and types[column.name] == "timestamp with time zone":
                expression = sql.SQL("({} AT TIME ZONE 'UTC')").format(name)
            elif column.type == "string" and types[column.name] not in _TEXT_TYPES:
                expression = sql.SQL("{}::text").format(name)
            else:
                expression = name
            selected.append(sql.SQL("{} AS {}").format(expression, name))
        if types.get(IS_DELETED) == "boolean":
            selected.append(sql.SQL("{} AS {}").format(sql.Identifier(IS_DELETED), sql.Identifier(DELETED)))
        version = sql.Identifier(entity.updated_at)
        zoned = types[entity.updated_at] == "timestamp with time zone"
        conditions, params = [], {}
        for bound, operator, value in (("since", ">=", window.since), ("until", "<", window.until)):
            if value is None:
                continue
            placeholder = sql.Placeholder(bound)
            if zoned:
                placeholder = sql.SQL("({}::timestamp AT TIME ZONE 'UTC')").format(placeholder)
            conditions.append(sql.SQL("{} {} {}").format(version, sql.SQL(operator), placeholder))
            params[bound] = value
        where = sql.SQL(" WHERE ") + sql.SQL(" AND ").join(conditions) if conditions else sql.SQL("")
        order = sql.SQL(", ").join(sql.Identifier(n) for n in dict.fromkeys([entity.updated_at, *entity.key]))
        query = sql.SQL("SELECT {} FROM {}{} ORDER BY {}").format(
            sql.SQL(", ").join(selected), sql.Identifier(schema, table), where, order
        )
        return query, params
