"""Rows as JSON lines, written from the column types so that they mean the same on every
engine: aware datetimes as ISO 8601 with their offset, JSON columns as their JSON text (so
JSON ``null`` and SQL ``NULL`` stay apart), binary as base64, enums by member name, decimals
as strings, intervals as (days, seconds, microseconds)."""

from __future__ import annotations

import base64
import contextlib
import enum
import hashlib
import json
import uuid
from collections.abc import Callable, Iterable
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from typing import IO, Any

import click
import sqlalchemy as sa
from sqlalchemy.engine import Connection
from sqlalchemy.types import TypeDecorator

BATCH = 1000  # rows fetched or inserted at a time: memory stays flat however large a table


class BackupError(click.ClickException):
    """A backup or restore that cannot go on; the message says why and what to do."""


def _base(column: sa.Column[Any]) -> Any:
    """The type that stores the values (a TypeDecorator's own type only converts them)."""
    type_ = column.type
    return type_.impl_instance if isinstance(type_, TypeDecorator) else type_


def _kind(column: sa.Column[Any]) -> str:
    """How a column's values are written: by its type, the same on every engine."""
    type_ = column.type
    base = _base(column)
    if isinstance(base, sa.JSON):
        return "json"
    python = None
    for candidate in (type_, base):  # a TypeDecorator that declares its own Python type wins
        with contextlib.suppress(NotImplementedError):
            python = candidate.python_type
            if python is not object:  # what a decorator without its own answer says
                break
    if isinstance(python, type) and issubclass(python, enum.Enum):
        return "enum"
    kinds = {bool: "bool", int: "int", float: "float", str: "str", bytes: "bytes",
             Decimal: "decimal", datetime: "datetime", date: "date", time: "time",
             timedelta: "interval", uuid.UUID: "uuid"}
    if python not in kinds:
        raise BackupError(
            f"The backup does not know how to write column {column.table.name}.{column.name} "
            f"({type_!r}). Teach portal/backup/rows.py that type before relying on backups.")
    return kinds[python]


_ENCODE: dict[str, Callable[[Any], Any]] = {
    "json": lambda v: v,  # already the JSON text: selected as CAST(... AS TEXT)
    "bool": bool, "int": int, "float": float, "str": str,
    "bytes": lambda v: base64.b64encode(bytes(v)).decode("ascii"),
    "decimal": str,
    "datetime": lambda v: v.isoformat(),  # an aware value keeps its offset
    "date": lambda v: v.isoformat(),
    "time": lambda v: v.isoformat(),
    "interval": lambda v: [v.days, v.seconds, v.microseconds],
    "uuid": str,
    "enum": lambda v: v.name,
}


def _enum_class(column: sa.Column[Any]) -> Any:
    with contextlib.suppress(NotImplementedError):
        if issubclass(python := column.type.python_type, enum.Enum):
            return python
    return _base(column).python_type


def _decoder(column: sa.Column[Any]) -> Callable[[Any], Any]:
    kind = _kind(column)
    if kind == "json":
        def json_value(text: Any) -> Any:
            if text is None:
                return sa.null()  # SQL NULL
            value = json.loads(text)
            return sa.JSON.NULL if value is None else value  # JSON null
        return json_value
    decode: Callable[[Any], Any] = {
        "bool": bool, "int": int, "float": float, "str": str,
        "bytes": base64.b64decode, "decimal": Decimal,
        "datetime": datetime.fromisoformat, "date": date.fromisoformat,
        "time": time.fromisoformat, "interval": lambda v: timedelta(*v), "uuid": uuid.UUID,
        "enum": lambda v: _enum_class(column)[v],
    }[kind]
    if kind == "datetime" and getattr(_base(column), "timezone", False):
        decode = _in_utc
    return lambda v: None if v is None else decode(v)


def _in_utc(text: str) -> datetime:
    """A zone-aware column's value, in UTC. SQLite keeps no zone: what it gives back
    without one is UTC, as the portal stores it (and SQLite would drop another offset
    unconverted)."""
    value = datetime.fromisoformat(text)
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def _select(table: sa.Table) -> sa.Select[Any]:
    columns = [sa.cast(c, sa.Text).label(c.name) if _kind(c) == "json" else c
               for c in table.columns]
    return sa.select(*columns).order_by(*table.primary_key.columns)


def dump_table(conn: Connection, table: sa.Table, out: IO[bytes]) -> tuple[int, str]:
    """Write ``table``'s rows to ``out`` as JSON lines, streaming; (rows, sha256)."""
    _self_references(table)  # refuses what load_table could not put back
    encoders = [_ENCODE[_kind(c)] for c in table.columns]
    digest, rows = hashlib.sha256(), 0
    for row in conn.execute(_select(table).execution_options(yield_per=BATCH)):
        values = [None if v is None else encode(v)
                  for encode, v in zip(encoders, row, strict=True)]
        line = json.dumps(values, ensure_ascii=False, separators=(",", ":")).encode() + b"\n"
        out.write(line)
        digest.update(line)
        rows += 1
    return rows, digest.hexdigest()


def _self_references(table: sa.Table) -> list[str]:
    """The keys of the columns by which ``table``'s rows point at other rows of the same
    table (a replay at the delivery it repeats). They are loaded empty and filled in once
    every row is there, which needs a one-column primary key."""
    own = [fk.parent.key for fk in table.foreign_keys if fk.column.table is table]
    if own and len(table.primary_key.columns) != 1:
        raise BackupError(f"Table {table.name} refers to itself and has a primary key of "
                          "several columns; extend portal/backup/rows.py.")
    return own


def load_table(conn: Connection, table: sa.Table, columns: list[str],
               lines: Iterable[bytes]) -> tuple[int, str]:
    """Insert JSON lines written by ``dump_table`` into ``table``, in batches;
    (rows, sha256 of what was read)."""
    by_name = {c.name: c for c in table.columns}
    if sorted(columns) != sorted(by_name):
        raise BackupError(
            f"Table {table.name} has other columns in the backup ({', '.join(columns)}) than "
            f"in this code ({', '.join(by_name)}). Nothing was restored.")
    targets = [(by_name[name].key, _decoder(by_name[name])) for name in columns]
    digest, rows, batch = hashlib.sha256(), 0, []
    insert = table.insert()
    own = _self_references(table)
    later: list[dict[str, Any]] = []  # self-references, set once their rows all exist
    for line in lines:
        digest.update(line)
        values = json.loads(line)
        if len(values) != len(targets):
            raise ValueError(f"a row of {table.name} has {len(values)} values")
        row = {key: decode(v) for (key, decode), v in zip(targets, values, strict=True)}
        if own and any(row[key] is not None for key in own):
            pk = next(iter(table.primary_key.columns)).key
            later.append({"_pk": row[pk], **{f"_{key}": row[key] for key in own}})
            row.update(dict.fromkeys(own))
        batch.append(row)
        rows += 1
        if len(batch) >= BATCH:
            conn.execute(insert, batch)
            batch = []
    if batch:
        conn.execute(insert, batch)
    if later:
        pk_column = next(iter(table.primary_key.columns))
        conn.execute(table.update().where(pk_column == sa.bindparam("_pk")).values(
            {key: sa.bindparam(f"_{key}") for key in own}), later)
    return rows, digest.hexdigest()
