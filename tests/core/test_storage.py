"""Shared storage for uploaded files (core.storage): the database backend and an
S3-compatible store (a real one: moto's server, started here on 127.0.0.1). A document
uploaded through one app instance downloads through another sharing the database (or the
bucket); `frontdesk storage move` moves every file both ways; a missing file is 404."""

from __future__ import annotations

import base64
import os
import shutil
import socket
import subprocess
import sys
import time
import uuid

import httpx
import pytest

from core.testing.databases import TEST_SECRET_KEY

BASE = "/api/v1/sites/harbour/resident"
PDF = b"%PDF-1.4\n" + bytes(range(256)) * 9000 + b"\n%%EOF\n"  # ~2.3 MB: three database chunks
DOCUMENT = PDF[:600_000]  # what the API takes in one request (base64 under its 1 MB body limit)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture(scope="module")
def moto_endpoint(tmp_path_factory):
    """A real S3-compatible server (moto's server mode) on a free loopback port."""
    executable = shutil.which("moto_server", path=os.path.dirname(sys.executable)) or shutil.which("moto_server")
    assert executable, "moto[server] is a dev dependency"
    port = _free_port()
    log = (tmp_path_factory.mktemp("moto") / "moto.log").open("w")
    process = subprocess.Popen([executable, "-H", "127.0.0.1", "-p", str(port)], stdout=log, stderr=log)
    endpoint = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                httpx.get(f"{endpoint}/moto-api/", timeout=1)
                break
            except httpx.HTTPError:
                assert process.poll() is None and time.monotonic() < deadline, "moto_server did not start"
                time.sleep(0.1)
        yield endpoint
    finally:
        process.terminate()
        process.wait(timeout=30)


@pytest.fixture
def s3_settings(moto_endpoint):
    """Settings naming a new, empty bucket of the moto server."""
    import boto3

    bucket = f"frontdesk-{uuid.uuid4().hex[:12]}"
    boto3.client("s3", endpoint_url=moto_endpoint, region_name="us-east-1", aws_access_key_id="test",
                 aws_secret_access_key="test").create_bucket(Bucket=bucket)
    return {"s3_endpoint_url": moto_endpoint, "s3_bucket": bucket, "s3_region": "us-east-1",
            "s3_access_key": "test", "s3_secret_key": "test"}


def _storage(server, backend):
    from core.storage import storage_for

    return storage_for(server.app.state.settings, backend)


@pytest.mark.parametrize("backend", ["database", "s3"])
def test_put_open_size_delete(make_app, s3_settings, backend):
    from core.storage import CHUNK_BYTES, MissingFile, read

    server = make_app(storage_backend=backend, **s3_settings)
    storage = _storage(server, backend)

    async def scenario():
        await storage.put("a/b/file.pdf", PDF, "application/pdf")
        assert await storage.exists("a/b/file.pdf") and not await storage.exists("a/b/other.pdf")
        assert await storage.size("a/b/file.pdf") == len(PDF)
        assert await storage.content_type("a/b/file.pdf") == "application/pdf"
        chunks = [chunk async for chunk in await storage.open("a/b/file.pdf")]
        assert b"".join(chunks) == PDF and max(len(chunk) for chunk in chunks) <= CHUNK_BYTES and len(chunks) > 1
        await storage.put("a/b/file.pdf", b"%PDF-2", "application/pdf")  # a put replaces
        assert await read(storage, "a/b/file.pdf") == b"%PDF-2"
        assert await storage.keys("a/") == ["a/b/file.pdf"]
        await storage.delete("a/b/file.pdf")
        assert not await storage.exists("a/b/file.pdf")
        with pytest.raises(MissingFile):
            await storage.open("a/b/file.pdf")
        with pytest.raises(MissingFile):
            await storage.size("a/b/file.pdf")
        await storage.delete("a/b/file.pdf")  # deleting what is gone is no error
        with pytest.raises(ValueError):
            await storage.put("../escape", b"x", "text/plain")

    server.call(scenario)


def test_database_files_are_rows_in_chunks(make_app):
    from core.storage import CHUNK_BYTES, StoredChunk, StoredFile

    server = make_app()
    storage = _storage(server, "database")

    async def scenario():
        await storage.put("x.pdf", PDF, "application/pdf")
        stored = await StoredFile.get(key="x.pdf")
        sizes = [len(data) for data in await StoredChunk.filter(file_id=stored.id).order_by("number")
                 .values_list("data", flat=True)]
        assert sizes == [CHUNK_BYTES, CHUNK_BYTES, len(PDF) - 2 * CHUNK_BYTES]
        await storage.delete("x.pdf")
        assert not await StoredChunk.filter(file_id=stored.id).exists()

    server.call(scenario)


def _unit_id(server):
    from core.entities.models import Site, Unit

    async def load():
        site = await Site.get(code="harbour")
        return (await Unit.filter(site_id=site.id).order_by("id").first()).id

    return server.call(load)


def _upload(client, unit_id, content=DOCUMENT):
    created = client.post(f"{BASE}/procedures", json={"kind": "renovation", "unit_id": unit_id, "deposit": "0"})
    assert created.status_code == 201, created.text
    url = f"{BASE}/procedures/{created.json()['id']}"
    upload = client.post(f"{url}/documents", json={"step": "plan", "filename": "plan.pdf",
                                                   "content_base64": base64.b64encode(content).decode()})
    assert upload.status_code == 201, upload.text
    return url, upload.json()["id"]


@pytest.mark.parametrize("backend", ["database", "s3"])
def test_a_document_uploaded_on_host_a_downloads_on_host_b(make_demo_app, s3_settings, backend):
    host_a = make_demo_app(storage_backend=backend, **s3_settings)
    host_b = make_demo_app(storage_backend=backend, **s3_settings)
    url, document = _upload(host_a.api_client("agent"), _unit_id(host_a))
    on_b = host_b.api_client("agent")
    download = on_b.get(f"{url}/documents/{document}")
    assert download.status_code == 200 and download.content == DOCUMENT
    assert download.headers["content-type"] == "application/pdf"
    assert download.headers["content-length"] == str(len(DOCUMENT))
    # The bundle built on host B holds it too.
    import io
    import zipfile

    names = zipfile.ZipFile(io.BytesIO(on_b.get(f"{url}/bundle").content)).namelist()
    assert any(name.startswith(f"documents/{document}-") for name in names), names
    # The key is in the shared store, not on a disk.
    key = host_b.call(_key_of, document)
    assert key.startswith("resident/procedures/")
    assert host_b.call(_storage(host_b, backend).exists, key)


async def _key_of(document_id):
    from plugins.resident.models import ProcedureDocument

    return (await ProcedureDocument.get(id=document_id)).stored_as


@pytest.mark.parametrize("backend", ["database", "s3"])
def test_a_document_whose_file_is_gone_is_404_not_500(make_demo_app, s3_settings, backend):
    server = make_demo_app(storage_backend=backend, **s3_settings)
    agent = server.api_client("agent")
    url, document = _upload(agent, _unit_id(server))
    server.call(_storage(server, backend).delete, server.call(_key_of, document))
    missing = agent.get(f"{url}/documents/{document}")
    assert missing.status_code == 404 and missing.headers["content-type"].startswith("application/problem+json")
    assert agent.get(f"{url}/documents/{document + 1000}").status_code == 404
    assert agent.get(f"{url}/bundle").status_code == 200  # the bundle leaves the missing file out


def test_a_bad_upload_is_refused_and_leaves_nothing_stored(make_demo_app):
    from core.storage import StoredFile

    async def count():
        return await StoredFile.all().count()

    server = make_demo_app()
    agent = server.api_client("agent")
    url, _document = _upload(agent, _unit_id(server))
    before = server.call(count)
    for content, message in ((b"MZ\x90\x00", "Only PDF, PNG and JPEG"), (b"", "content_base64")):
        refused = agent.post(f"{url}/documents", json={"step": "plan", "filename": "x.pdf",
                                                       "content_base64": base64.b64encode(content).decode()})
        assert refused.status_code == 422 and message in refused.text, refused.text
    assert server.call(count) == before


def _cli(database_url, *args, **settings):
    env = {"PATH": os.environ["PATH"], "FRONTDESK_DATABASE_URL": database_url, "FRONTDESK_SECRET_KEY": TEST_SECRET_KEY}
    env.update({f"FRONTDESK_{key.upper()}": value for key, value in settings.items()})
    return subprocess.run([sys.executable, "-m", "core", "storage", *args], capture_output=True, text=True,
                          timeout=120, env=env)


def test_move_to_s3_and_back_then_downloads_still_work(make_demo_app, demo_database_url, s3_settings):
    server = make_demo_app()
    agent = server.api_client("agent")
    url, document = _upload(agent, _unit_id(server))
    key = server.call(_key_of, document)

    to_s3 = _cli(demo_database_url, "move", "--to", "s3", **s3_settings)
    assert to_s3.returncode == 0, to_s3.stderr
    assert "1 copied, 0 already in s3, 1 removed from database" in to_s3.stdout
    assert not server.call(_storage(server, "database").exists, key)
    again = _cli(demo_database_url, "move", "--to", "s3", **s3_settings)  # idempotent: nothing left
    assert "0 copied, 0 already in s3, 0 removed" in again.stdout, again.stdout + again.stderr

    on_s3 = make_demo_app(storage_backend="s3", **s3_settings)
    assert on_s3.api_client("agent").get(f"{url}/documents/{document}").content == DOCUMENT
    checked = _cli(demo_database_url, "check", storage_backend="s3", **s3_settings)
    assert checked.returncode == 0 and f"ok, 1 file(s), {len(DOCUMENT)} byte(s)" in checked.stdout, checked.stdout

    back = _cli(demo_database_url, "move", "--to", "database", "--keep-source", **s3_settings)
    assert back.returncode == 0 and "1 copied, 0 already in database, 0 removed from s3" in back.stdout, back.stdout
    again = _cli(demo_database_url, "move", "--to", "database", **s3_settings)
    assert "0 copied, 1 already in database, 1 removed from s3" in again.stdout, again.stdout
    assert agent.get(f"{url}/documents/{document}").content == DOCUMENT


def test_an_unreachable_store_is_one_line(demo_database_url):
    port = _free_port()
    result = _cli(demo_database_url, "check", storage_backend="s3", s3_endpoint_url=f"http://127.0.0.1:{port}",
                  s3_bucket="nowhere", s3_region="us-east-1", s3_access_key="x", s3_secret_key="y")
    assert result.returncode == 1 and "Traceback" not in result.stderr
    assert result.stderr.startswith("frontdesk: storage:") and result.stderr.strip().count("\n") == 0, result.stderr


def test_files_of_the_old_upload_folder_are_imported_and_served(make_demo_app, demo_database_url, tmp_path):
    from plugins.resident.models import Procedure, ProcedureDocument

    server = make_demo_app()
    agent = server.api_client("agent")
    url, _document = _upload(agent, _unit_id(server))
    procedure_id = int(url.rsplit("/", 1)[1])

    async def legacy_row():  # as uploads before shared storage recorded them
        procedure = await Procedure.get(id=procedure_id)
        return (await ProcedureDocument.create(procedure=procedure, step="plan", filename="old.pdf",
                                               content_type="application/pdf", size=9, stored_as="1/2/old.pdf")).id

    legacy = server.call(legacy_row)
    assert agent.get(f"{url}/documents/{legacy}").status_code == 404
    (tmp_path / "1" / "2").mkdir(parents=True)
    (tmp_path / "1" / "2" / "old.pdf").write_bytes(b"%PDF-old!")
    imported = _cli(demo_database_url, "import-folder", str(tmp_path), "--prefix", "resident/legacy/")
    assert imported.returncode == 0 and "1 imported, 0 already there" in imported.stdout, imported.stderr
    again = _cli(demo_database_url, "import-folder", str(tmp_path), "--prefix", "resident/legacy/")
    assert "0 imported, 1 already there" in again.stdout
    assert agent.get(f"{url}/documents/{legacy}").content == b"%PDF-old!"


def test_s3_needs_a_bucket():
    from pydantic import ValidationError

    from core.settings import Settings

    with pytest.raises(ValidationError, match="s3_bucket"):
        Settings(storage_backend="s3")


def test_the_database_backend_is_in_backups(make_demo_app, demo_database_url, tmp_path):
    server = make_demo_app()
    url, document = _upload(server.api_client("agent"), _unit_id(server))
    key = server.call(_key_of, document)
    destination = tmp_path / "backup.dump"
    made = subprocess.run([sys.executable, "-m", "core", "backup", str(destination)], capture_output=True, text=True,
                          timeout=120, env={**os.environ, "FRONTDESK_DATABASE_URL": demo_database_url})
    assert made.returncode == 0, made.stderr
    if demo_database_url.startswith("sqlite://"):
        import sqlite3

        restored = sqlite3.connect(destination)
        chunks = restored.execute("SELECT c.data FROM core_stored_chunk c JOIN core_stored_file f ON f.id = c.file_id "
                                  "WHERE f.key = ? ORDER BY c.number", (key,)).fetchall()
        assert b"".join(chunk for (chunk,) in chunks) == DOCUMENT
        return
    listed = subprocess.run([shutil.which("pg_restore") or "pg_restore", "--data-only", "--table=core_stored_file",
                             "--file=-", str(destination)], capture_output=True, text=True, timeout=120)
    assert listed.returncode == 0 and key in listed.stdout, listed.stderr


def test_an_unreachable_store_answers_503_and_writes_no_document(make_demo_app):
    """Uploads and downloads while the object store is down: 503 with the reason, never a
    500, and no document row without its file."""
    from plugins.resident.models import ProcedureDocument

    port = _free_port()
    server = make_demo_app(storage_backend="s3", s3_endpoint_url=f"http://127.0.0.1:{port}", s3_bucket="nowhere",
                           s3_region="us-east-1", s3_access_key="x", s3_secret_key="y")
    agent = server.api_client("agent")
    created = agent.post(f"{BASE}/procedures", json={"kind": "renovation", "unit_id": _unit_id(server), "deposit": "0"})
    assert created.status_code == 201, created.text
    url = f"{BASE}/procedures/{created.json()['id']}"
    upload = agent.post(f"{url}/documents", json={"step": "plan", "filename": "plan.pdf",
                                                  "content_base64": base64.b64encode(DOCUMENT).decode()})
    assert upload.status_code == 503, upload.text
    assert "document store cannot be reached" in upload.json()["detail"]
    assert server.call(lambda: ProcedureDocument.filter(procedure_id=created.json()["id"]).count()) == 0
