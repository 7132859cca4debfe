"""Stored files (uploaded documents): one interface, two backends, shared by every host.

``storage_for(settings)`` gives the backend the ``storage_backend`` setting names:

- ``database`` (the default): the file is rows of this database, its bytes in chunks of
  ``CHUNK_BYTES`` (``StoredFile`` and ``StoredChunk``), so every host sharing the database
  sees it and a backup (``frontdesk backup``) holds it;
- ``s3``: an object in a bucket of any S3-compatible store (``s3_endpoint_url``,
  ``s3_bucket``, ``s3_region``, ``s3_access_key``, ``s3_secret_key``), through aiobotocore.

Keys are paths without a leading slash (``resident/procedures/7/<uuid>.pdf``). A download
streams: ``await storage.open(key)`` raises ``MissingFile`` at once when the key is not
there (a route answers 404 before any byte is sent), else returns an async iterator of
chunks. ``move`` copies every file from one backend to another (``frontdesk storage move``).
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass
from typing import Any, AsyncIterator, Protocol

from tortoise import fields
from tortoise.models import Model
from tortoise.transactions import in_transaction

from core.i18n import gettext as _
from core.problems import Problem

#: Bytes per database row of a stored file, and per piece of a download.
CHUNK_BYTES = 1024 * 1024
BACKENDS = ("database", "s3")


class StoreUnreachable(Problem):
    """The document store did not answer: 503, the request may be tried again (no document
    was written: the database row follows the stored file)."""

    def __init__(self, cause: str = "") -> None:
        super().__init__(503, _("The document store cannot be reached just now. Try again in a moment."),
                         headers={"Retry-After": "30"})
        #: What the client library said: the CLI prints it, the API does not show it.
        self.cause = cause


class MissingFile(KeyError):
    """No stored file under this key."""


class StoredFile(Model):
    """A file kept in the database (storage_backend = "database")."""

    id = fields.BigIntField(primary_key=True)
    #: Where the file is found, like a path (resident/procedures/7/ab12.pdf).
    key = fields.CharField(max_length=500, unique=True)
    content_type = fields.CharField(max_length=100)
    size = fields.BigIntField()
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "core_stored_file"
        app = "core"
        table_description = "Uploaded files kept in the database, their bytes in core_stored_chunk"


class StoredChunk(Model):
    """One piece of a stored file, in order of its number (from 0)."""

    id = fields.BigIntField(primary_key=True)
    file = fields.ForeignKeyField("core.StoredFile", related_name="chunks", on_delete=fields.CASCADE)
    number = fields.IntField()
    data = fields.BinaryField()

    class Meta:
        table = "core_stored_chunk"
        app = "core"
        table_description = "The bytes of stored files, in pieces of at most 1 MiB"
        unique_together = (("file", "number"),)


class Storage(Protocol):
    name: str

    async def put(self, key: str, data: bytes, content_type: str) -> None: ...
    async def open(self, key: str) -> AsyncIterator[bytes]: ...
    async def delete(self, key: str) -> None: ...
    async def exists(self, key: str) -> bool: ...
    async def size(self, key: str) -> int: ...
    async def content_type(self, key: str) -> str: ...
    async def keys(self, prefix: str = "") -> list[str]: ...


async def read(storage: Storage, key: str) -> bytes:
    """The whole file (for small files: a bundle, a copy)."""
    return b"".join([chunk async for chunk in await storage.open(key)])


def check_key(key: str) -> str:
    if not key or key.startswith("/") or ".." in key.split("/") or len(key) > 500:
        raise ValueError(f"not a storage key: {key!r}")
    return key


class DatabaseStorage:
    """Files as rows of the application's database."""

    name = "database"

    async def put(self, key: str, data: bytes, content_type: str) -> None:
        check_key(key)
        async with in_transaction():
            await StoredFile.filter(key=key).delete()
            stored = await StoredFile.create(key=key, content_type=content_type, size=len(data))
            for number, start in enumerate(range(0, max(len(data), 1), CHUNK_BYTES)):
                await StoredChunk.create(file_id=stored.id, number=number, data=data[start:start + CHUNK_BYTES])

    async def open(self, key: str) -> AsyncIterator[bytes]:
        stored = await StoredFile.get_or_none(key=key).values("id", "size")
        if stored is None:
            raise MissingFile(key)
        return self._chunks(stored["id"])

    async def _chunks(self, file_id: int) -> AsyncIterator[bytes]:
        # One row at a time: a download holds at most one chunk in memory.
        numbers = await StoredChunk.filter(file_id=file_id).order_by("number").values_list("number", flat=True)
        for number in numbers:
            data = await StoredChunk.filter(file_id=file_id, number=number).first().values_list("data", flat=True)
            if data:
                yield bytes(data)

    async def delete(self, key: str) -> None:
        await StoredFile.filter(key=key).delete()

    async def exists(self, key: str) -> bool:
        return await StoredFile.filter(key=key).exists()

    async def _field(self, key: str, name: str) -> Any:
        found = await StoredFile.filter(key=key).first().values_list(name, flat=True)
        if found is None:
            raise MissingFile(key)
        return found

    async def size(self, key: str) -> int:
        return int(await self._field(key, "size"))

    async def content_type(self, key: str) -> str:
        return await self._field(key, "content_type")

    async def keys(self, prefix: str = "") -> list[str]:
        return await StoredFile.filter(key__startswith=prefix).order_by("key").values_list("key", flat=True)


@dataclass(frozen=True)
class S3Storage:
    """Files as objects of a bucket in an S3-compatible store."""

    endpoint_url: str
    bucket: str
    region: str
    access_key: str
    secret_key: str
    name: str = "s3"

    @contextlib.asynccontextmanager
    async def _client(self) -> AsyncIterator[Any]:
        from aiobotocore.session import get_session

        options = {"region_name": self.region or None, "endpoint_url": self.endpoint_url or None}
        if self.access_key:
            options.update(aws_access_key_id=self.access_key, aws_secret_access_key=self.secret_key)
        from botocore.exceptions import BotoCoreError

        try:
            async with get_session().create_client("s3", **options) as client:
                yield client
        except BotoCoreError as error:  # unreachable, timed out, cut off: not the caller's fault
            raise StoreUnreachable(str(error)) from error

    @staticmethod
    def _missing(error: Exception) -> bool:
        code = str(getattr(error, "response", {}).get("Error", {}).get("Code", ""))
        return code in ("404", "NoSuchKey", "NotFound")

    async def put(self, key: str, data: bytes, content_type: str) -> None:
        check_key(key)
        async with self._client() as client:
            await client.put_object(Bucket=self.bucket, Key=key, Body=data, ContentType=content_type)

    async def _head(self, key: str) -> dict[str, Any]:
        from botocore.exceptions import ClientError

        async with self._client() as client:
            try:
                return await client.head_object(Bucket=self.bucket, Key=key)
            except ClientError as error:
                if self._missing(error):
                    raise MissingFile(key) from None
                raise

    async def open(self, key: str) -> AsyncIterator[bytes]:
        await self._head(key)
        return self._chunks(key)

    async def _chunks(self, key: str) -> AsyncIterator[bytes]:
        async with self._client() as client:
            response = await client.get_object(Bucket=self.bucket, Key=key)
            async with response["Body"] as body:
                async for chunk in body.iter_chunks(64 * 1024):
                    yield chunk

    async def delete(self, key: str) -> None:
        async with self._client() as client:
            await client.delete_object(Bucket=self.bucket, Key=key)

    async def exists(self, key: str) -> bool:
        try:
            await self._head(key)
        except MissingFile:
            return False
        return True

    async def size(self, key: str) -> int:
        return int((await self._head(key))["ContentLength"])

    async def content_type(self, key: str) -> str:
        return (await self._head(key)).get("ContentType") or "application/octet-stream"

    async def keys(self, prefix: str = "") -> list[str]:
        found: list[str] = []
        async with self._client() as client:
            async for page in client.get_paginator("list_objects_v2").paginate(Bucket=self.bucket, Prefix=prefix):
                found += [item["Key"] for item in page.get("Contents", [])]
        return sorted(found)


def storage_for(settings: Any, backend: str | None = None) -> Storage:
    """The backend the settings name (or ``backend``, for moving files between them)."""
    backend = backend or settings.storage_backend
    if backend == "s3":
        return S3Storage(endpoint_url=settings.s3_endpoint_url, bucket=settings.s3_bucket, region=settings.s3_region,
                         access_key=settings.s3_access_key, secret_key=settings.s3_secret_key)
    if backend == "database":
        return DatabaseStorage()
    raise ValueError(f"unknown storage backend {backend!r}")


@dataclass
class MoveReport:
    copied: int = 0
    present: int = 0
    removed: int = 0


async def move(source: Storage, target: Storage, keep_source: bool = False) -> MoveReport:
    """Copy every file of ``source`` that ``target`` lacks (or holds with another size),
    then delete it from ``source`` unless ``keep_source``. Run again, it finds nothing to
    copy: idempotent."""
    report = MoveReport()
    for key in await source.keys():
        size = await source.size(key)
        if await target.exists(key) and await target.size(key) == size:
            report.present += 1
        else:
            await target.put(key, await read(source, key), await source.content_type(key))
            report.copied += 1
        if not keep_source:
            await source.delete(key)
            report.removed += 1
    return report


async def check(storage: Storage) -> tuple[int, int]:
    """(files, bytes) in the backend; raises when it cannot be reached."""
    keys = await storage.keys()
    return len(keys), sum([await storage.size(key) for key in keys])


async def import_folder(storage: Storage, folder: Any, prefix: str) -> tuple[int, int]:
    """Put every file under ``folder`` (a ``Path``) into ``storage`` as ``prefix`` + its
    relative path; a file already there with its size is left alone. (imported, present)"""
    import mimetypes

    imported = present = 0
    for path in sorted(p for p in folder.rglob("*") if p.is_file()):
        key = check_key(prefix + path.relative_to(folder).as_posix())
        data = path.read_bytes()
        if await storage.exists(key) and await storage.size(key) == len(data):
            present += 1
            continue
        await storage.put(key, data, mimetypes.guess_type(path.name)[0] or "application/octet-stream")
        imported += 1
    return imported, present
