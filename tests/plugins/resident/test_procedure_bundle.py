"""The procedure bundle's member names: whatever the uploader called a file, unzipping the
bundle writes only inside its own documents/ folder."""

from __future__ import annotations

import base64
import io
import zipfile

from tests.plugins.resident.conftest import BASE

PDF = b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 16


def test_bundle_member_names_cannot_leave_the_documents_folder(agent, units):
    created = agent.post(f"{BASE}/procedures", json={"kind": "renovation", "unit_id": units["A-0901"], "deposit": "20000"})
    url = f"{BASE}/procedures/{created.json()['id']}"
    hostile = ["a\\..\\..\\evil.png", "..\\..\\x.png", "C:\\Windows\\evil.png",
               "..", "same.png", "SAME.png", "no extension", "\u202egnp.exe"]
    for filename in hostile:
        content = PNG if filename.endswith(".png") or "extension" in filename else PDF
        upload = agent.post(f"{url}/documents", json={"step": "plan", "filename": filename,
                                                      "content_base64": base64.b64encode(content).decode()})
        assert upload.status_code == 201, upload.text
    names = zipfile.ZipFile(io.BytesIO(agent.get(f"{url}/bundle").content)).namelist()
    documents = [name for name in names if name != "procedure.json"]
    assert len(documents) == len(hostile) == len({name.lower() for name in documents})
    for name in documents:
        folder, _slash, member = name.partition("/")
        assert folder == "documents" and member and "/" not in member and "\\" not in member
        assert ".." not in member and ":" not in member and not member.startswith(".")
        assert all(char.isprintable() and char != "\u202e" for char in member)
    ids = [name.split("/")[1].split("-")[0] for name in documents]
    assert [name.split("-", 1)[1] for name in documents] == [
        "a_._._evil.png", "_._x.png", "C__Windows_evil.png", "document.pdf", "same.png", "SAME.png",
        "no extension.png", "_gnp.exe.pdf"]
    assert len(set(ids)) == len(ids)


def test_names_stored_before_uploads_refused_control_characters_are_cleaned_too():
    from plugins.resident.models import ProcedureDocument
    from plugins.resident.procedures import archive_member_name

    taken: set[str] = set()
    document = ProcedureDocument(id=7, filename="line\nbreak\x00\u202e.png", content_type="image/png")
    assert archive_member_name(document, taken) == "documents/7-line_break__.png"
    assert archive_member_name(document, taken) == "documents/7-line_break__-2.png"
