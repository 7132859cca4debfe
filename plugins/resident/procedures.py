"""Move-in (入住) and renovation (裝修) procedures: checklists, documents, approval, deposit."""

from __future__ import annotations

import io
import json
import re
import unicodedata
import uuid
import zipfile
from pathlib import Path
from typing import Any

from tortoise.functions import Sum
from tortoise.transactions import in_transaction

from core.actors import Actor
from core.audit import services as audit
from core.clock import rfc3339, utcnow
from core.entities.models import Site, Unit
from core.i18n import gettext as _
from core.i18n import lazy_gettext as _l
from core.money import format_money, parse_money
from core.problems import Problem, invalid
from core.storage import MissingFile, Storage
from core.storage import read as read_stored
from plugins.resident.settings import setting
from plugins.resident.models import PROCEDURE_KINDS, Bill, Procedure, ProcedureDocument

MAX_UPLOAD_BYTES = 5 * 1024 * 1024
#: Allowed types, recognised by their first bytes (the declared type is not trusted).
SIGNATURES = {"application/pdf": (b"%PDF-",), "image/png": (b"\x89PNG\r\n\x1a\n",),
              "image/jpeg": (b"\xff\xd8\xff",)}
EXTENSIONS = {"application/pdf": ".pdf", "image/png": ".png", "image/jpeg": ".jpg"}


#: Documents uploaded before shared storage: their ``stored_as`` is a path relative to the
#: old upload folder, found in storage under this prefix after the folder was imported.
LEGACY_PREFIX = "resident/legacy/"


def storage_key(document: ProcedureDocument) -> str:
    """The document's key in shared storage."""
    if document.stored_as.startswith("resident/"):
        return document.stored_as
    return LEGACY_PREFIX + document.stored_as


STEPS = {
    "move_in": [("identity", _l("Identity checked"), True), ("ownership", _l("Deed or lease received"), True),
                ("fees", _l("Fees settled"), False), ("meters", _l("Meters read"), False),
                ("keys", _l("Keys and access cards handed over"), False)],
    "renovation": [("plan", _l("Renovation plan received"), True), ("contractor", _l("Contractor licence received"), True),
                   ("deposit", _l("Deposit paid"), False), ("inspection", _l("Works inspected"), False)],
}


def default_steps(kind: str) -> list[dict[str, Any]]:
    return [{"key": key, "label": str(label), "required_document": required, "done": False, "done_by": None,
             "done_at": None} for key, label, required in STEPS[kind]]


async def procedure_out(procedure: Procedure, site: Site) -> dict[str, Any]:
    documents = await ProcedureDocument.filter(procedure_id=procedure.id).order_by("id")
    return {"id": procedure.id, "unit_id": procedure.unit_id, "kind": procedure.kind, "status": procedure.status,
            "applicant": procedure.applicant, "steps": procedure.steps, "deposit": format_money(procedure.deposit_minor, site.currency),
            "deposit_refunded": format_money(procedure.deposit_refunded_minor, site.currency),
            "approved_by": procedure.approved_by_id, "approved_at": rfc3339(procedure.approved_at),
            "documents": [{"id": d.id, "step": d.step, "filename": d.filename, "content_type": d.content_type,
                           "size": d.size, "uploaded_at": rfc3339(d.uploaded_at)} for d in documents],
            "created_at": rfc3339(procedure.created_at), "version": procedure.version}


async def _change(procedure: Procedure, action: str, actor: Actor, **changes: Any) -> Procedure:
    async with in_transaction():
        updated = await Procedure.filter(id=procedure.id, version=procedure.version).update(
            version=procedure.version + 1, updated_at=utcnow(), **changes)
        if not updated:
            await procedure.refresh_from_db()
            raise Problem(409, _("Someone changed this procedure since you read it. Reload and try again."),
                          current={"id": procedure.id, "status": procedure.status, "version": procedure.version})
        await audit.record(f"resident.procedure.{action}", actor=actor.user, site_id=procedure.site_id,
                           object_type="resident.procedure", object_id=procedure.id,
                           after={k: (rfc3339(v) if hasattr(v, "tzinfo") else v) for k, v in changes.items()},
                           client_address=actor.client_address)
    await procedure.refresh_from_db()
    return procedure


async def create(site: Site, data: dict[str, Any], actor: Actor) -> Procedure:
    if data["kind"] not in PROCEDURE_KINDS:
        raise invalid("kind", _("Use one of: %(values)s.", values=", ".join(PROCEDURE_KINDS)))
    if not await Unit.filter(id=data["unit_id"], site_id=site.id).exists():
        raise invalid("unit_id", _("No unit %(id)s at this site.", id=data["unit_id"]))
    deposit = 0
    if data["kind"] == "renovation":
        # A site may waive the deposit (0); it is never negative.
        deposit = parse_money(data.get("deposit") or setting(site, "renovation_deposit"), site.currency, "deposit",
                              allow_zero=True)
    async with in_transaction():
        procedure = await Procedure.create(site_id=site.id, unit_id=data["unit_id"], kind=data["kind"],
                                           applicant=data.get("applicant") or "", steps=default_steps(data["kind"]),
                                           deposit_minor=deposit)
        await audit.record("resident.procedure.create", actor=actor.user, site_id=site.id, object_type="resident.procedure",
                           object_id=procedure.id, after={"kind": procedure.kind, "unit_id": procedure.unit_id},
                           client_address=actor.client_address)
    return procedure


def _open(procedure: Procedure) -> None:
    if procedure.status in ("completed", "archived"):
        raise Problem(409, _("This procedure is %(status)s.", status=procedure.status))


async def complete_step(procedure: Procedure, key: str, version: int, actor: Actor) -> Procedure:
    _open(procedure)
    if version != procedure.version:
        raise Problem(409, _("Someone changed this procedure since you read it. Reload and try again."),
                      current={"id": procedure.id, "version": procedure.version})
    steps = [dict(step) for step in procedure.steps]
    step = next((s for s in steps if s["key"] == key), None)
    if step is None:
        raise invalid("step", _("No step %(key)s in this procedure.", key=key))
    if step["required_document"] and not await ProcedureDocument.filter(procedure_id=procedure.id, step=key).exists():
        raise Problem(409, _("Upload the document for this step first."), rule="resident.procedure.document_required")
    if procedure.kind == "move_in" and key == FEES_STEP:
        await _refuse_while_fees_owed(procedure)
    step.update(done=True, done_by=actor.user_id, done_at=rfc3339(utcnow()))
    return await _change(procedure, "step", actor, steps=steps)


#: The move-in step that says the unit's fees are settled.
FEES_STEP = "fees"


async def owed_minor(unit_id: int) -> int:
    """What the unit owes: the outstanding amounts of all its bills, due yet or not."""
    rows = await (Bill.filter(unit_id=unit_id, outstanding_minor__gt=0).annotate(owed=Sum("outstanding_minor"))
                  .values_list("owed", flat=True))
    return int(rows[0] or 0) if rows else 0


async def _refuse_while_fees_owed(procedure: Procedure) -> None:
    """A move-in's fees step is not marked while the unit has an outstanding bill: a 409
    naming the step, with the amount owed."""
    owed = await owed_minor(procedure.unit_id)
    if owed <= 0:
        return
    site = await Site.get(id=procedure.site_id)
    unit = await Unit.get(id=procedure.unit_id)
    amount = format_money(owed, site.currency)
    message = _("Unit %(unit)s still owes %(amount)s %(currency)s: the fees are settled once its bills are paid.",
                unit=unit.code, amount=amount, currency=site.currency)
    raise Problem(409, message, errors=[{"field": "step", "message": message}], rule="resident.procedure.fees_owed",
                  step=FEES_STEP, owed=amount, currency=site.currency)


async def approve(procedure: Procedure, version: int, actor: Actor) -> Procedure:
    if procedure.status != "open":
        raise Problem(409, _("Only an open procedure can be approved."))
    if version != procedure.version:
        raise Problem(409, _("Someone changed this procedure since you read it. Reload and try again."),
                      current={"id": procedure.id, "version": procedure.version})
    missing = [s["label"] for s in procedure.steps if s["required_document"] and not s["done"]]
    if missing:
        raise Problem(409, _("Still missing: %(steps)s.", steps=", ".join(missing)))
    return await _change(procedure, "approve", actor, status="approved", approved_by_id=actor.user_id,
                         approved_at=utcnow())


async def complete(procedure: Procedure, version: int, actor: Actor, refund: str | None = None) -> Procedure:
    if procedure.status != "approved":
        raise Problem(409, _("A procedure completes only after its approval."))
    if version != procedure.version:
        raise Problem(409, _("Someone changed this procedure since you read it. Reload and try again."),
                      current={"id": procedure.id, "version": procedure.version})
    open_steps = [s["label"] for s in procedure.steps if not s["done"]]
    if open_steps:
        raise Problem(409, _("Still missing: %(steps)s.", steps=", ".join(open_steps)))
    site = await Site.get(id=procedure.site_id)
    # Damage may keep the whole deposit: a refund of 0 is allowed.
    refunded = parse_money(refund, site.currency, "refund", allow_zero=True) if refund else procedure.deposit_minor
    if refunded > procedure.deposit_minor:
        raise invalid("refund", _("The refund is between 0 and the deposit (%(deposit)s).",
                                  deposit=format_money(procedure.deposit_minor, site.currency)))
    return await _change(procedure, "complete", actor, status="completed",
                         deposit_refunded_minor=refunded)


def sniff(content: bytes) -> str | None:
    for content_type, signatures in SIGNATURES.items():
        if content.startswith(signatures):
            return content_type
    return None


async def add_document(procedure: Procedure, step: str, filename: str, content: bytes, storage: Storage,
                       actor: Actor) -> ProcedureDocument:
    _open(procedure)
    if step and step not in {s["key"] for s in procedure.steps}:
        raise invalid("step", _("No step %(key)s in this procedure.", key=step))
    if not content:
        raise invalid("file", _("The file is empty."))
    if len(content) > MAX_UPLOAD_BYTES:
        raise invalid("file", _("The file is larger than %(size)s MB.", size=MAX_UPLOAD_BYTES // (1024 * 1024)))
    content_type = sniff(content)
    if content_type is None:
        raise invalid("file", _("Only PDF, PNG and JPEG files are accepted."))
    name = f"resident/procedures/{procedure.id}/{uuid.uuid4().hex}{EXTENSIONS[content_type]}"
    # Stored first: a row never points at a missing file; a failed insert removes it again.
    await storage.put(name, content, content_type)
    try:
        async with in_transaction():
            document = await ProcedureDocument.create(procedure=procedure, step=step, filename=Path(filename).name[:200] or name,
                                                      content_type=content_type, size=len(content), stored_as=name,
                                                      uploaded_by=actor.user)
            await audit.record("resident.procedure.document", actor=actor.user, site_id=procedure.site_id,
                               object_type="resident.procedure", object_id=procedure.id,
                               after={"document": document.filename, "step": step}, client_address=actor.client_address)
    except Exception:
        await storage.delete(name)
        raise
    return document


#: Characters an archive member's own name may not hold: either path separator, the
#: drive colon and what Windows refuses in names.
UNSAFE_IN_NAME = re.compile(r'[\\/:*?"<>|]')
MAX_MEMBER_STEM = 80
#: Extensions a file name may keep for each accepted type.
NAME_EXTENSIONS = {"application/pdf": ("pdf",), "image/png": ("png",), "image/jpeg": ("jpg", "jpeg")}


def archive_member_name(document: ProcedureDocument, taken: set[str]) -> str:
    """``documents/<id>-<name>`` with the uploader's name made harmless for any unzip tool:
    no path separators of either kind (``a\\..\\..\\evil.png`` would climb out of the
    folder on Windows), no ``..``, no control or format characters, no leading dot; the
    extension kept when it is the content's type (else the type's is added) and every name unique
    (compared without case, as Windows and macOS do)."""
    text = "".join("_" if unicodedata.category(char).startswith("C") else char for char in document.filename)
    text = UNSAFE_IN_NAME.sub("_", text)
    text = re.sub(r"\.{2,}", ".", text).strip(" .")
    stem, dot, extension = text.rpartition(".")
    if not dot or extension.lower() not in NAME_EXTENSIONS.get(document.content_type, ()):
        # No extension, or one the content is not (a PDF named "x.exe"): the stored type's.
        stem, extension = text, EXTENSIONS.get(document.content_type, ".bin").lstrip(".")
    stem = stem.strip(" .")[:MAX_MEMBER_STEM] or "document"
    base = f"documents/{document.id}-{stem}"
    name, number = f"{base}.{extension}", 1
    while name.lower() in taken:
        number += 1
        name = f"{base}-{number}.{extension}"
    taken.add(name.lower())
    return name


async def bundle(procedure: Procedure, site: Site, storage: Storage) -> bytes:
    """The archived bundle: a ZIP with the procedure's record and every document."""
    buffer = io.BytesIO()
    record = await procedure_out(procedure, site)
    taken = {"procedure.json"}
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("procedure.json", json.dumps(record, ensure_ascii=False, indent=2))
        for document in await ProcedureDocument.filter(procedure_id=procedure.id).order_by("id"):
            try:
                content = await read_stored(storage, storage_key(document))
            except MissingFile:
                continue
            archive.writestr(archive_member_name(document, taken), content)
    return buffer.getvalue()
