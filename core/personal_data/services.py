"""Personal-data requests: what is held about a party or a user (``preview``), all of it
as a ZIP (``export``), and erasure by pseudonymisation (``erase``). Pages, the API and the
CLI call these; each checks the actor's permission at the person's site(s) and audits.
"""

from __future__ import annotations

import io
import json
import zipfile
from dataclasses import dataclass, field
from typing import Any

from tortoise.transactions import in_transaction

from core.actors import Actor
from core.audit import services as audit
from core.clock import utcnow
from core.entities.models import Party, Site
from core.exports import csv_text
from core.i18n import gettext as _
from core.identity.models import Membership, User
from core.identity.principals import identity_change
from core.personal_data.sources import Kept, Scrubber, Source, Subject
from core.personal_data.sweep import erase_table, json_ready, mention_rows, mentioning, sweep, table_rows
from core.problems import Problem

HOOK = "register_personal_data"
EXPORT = "core.personal_data.export"
ERASE = "core.personal_data.erase"


def sources(host) -> list[Source]:
    """Every declared source, core's first, in plugin load order."""
    return list(host.collect(HOOK))


async def party_subject(site: Site, party_id: int) -> Subject:
    party = await Party.get_or_none(id=party_id, site_id=site.id)
    if party is None:
        raise Problem(404, _("No such party at this site."))
    return Subject(kind="party", id=party.id, site_id=site.id, name=party.name,
                   phones=tuple(phone for phone in party.phones or () if phone),
                   emails=(party.email,) if party.email else (), record=party)


async def user_subject(user_id: int | None = None, username: str | None = None) -> Subject:
    user = await (User.get_or_none(id=user_id) if user_id is not None else User.get_or_none(username=username))
    if user is None:
        raise Problem(404, _("No such user."))
    return Subject(kind="user", id=user.id, site_id=None, name=user.display_name, username=user.username,
                   emails=(user.email,) if user.email else (), record=user)


async def _sites_of(subject: Subject) -> tuple[int, ...] | None:
    """The sites the sweep searches: the party's; a user's work reaches every site (None)."""
    return (subject.site_id,) if subject.site_id is not None else None


async def check(actor: Actor, subject: Subject, permission: str) -> None:
    """A party's request needs ``permission`` at its site; a user's, at every site the user
    belongs to (a super-administrator's or the system's always passes)."""
    if actor.unbounded:
        return
    if subject.kind == "party":
        allowed = actor.can_at(subject.site_id, permission)
    else:
        sites = set(await Membership.filter(user_id=subject.id).values_list("site_id", flat=True))
        held = set(actor.sites_with(permission))
        if held and not sites & held:
            # A person of other sites only is no one this actor may know of: a 404 like the
            # user admin pages answer (core.identity.services.user_for), not a 403 that confirms them.
            raise Problem(404, _("No such user."))
        allowed = bool(sites) and sites <= held
    if not allowed:
        raise Problem(403, _("You do not have the permission this needs (%(permission)s).", permission=permission))


async def _identified(host, subject: Subject) -> Scrubber:
    """The subject with every source's extra identifiers, and its scrubber."""
    for source in sources(host):
        if source.identifiers is not None:
            for value in await source.identifiers(subject):
                if value and value not in subject.others:
                    subject.others.append(value)
    return Scrubber(subject)


@dataclass
class Preview:
    subject: Subject
    #: (source key, label, {table key: rows about the person}) per source with rows.
    tables: list[tuple[str, str, dict[str, int]]] = field(default_factory=list)
    #: Rows elsewhere whose text names the person, per table.
    mentions: dict[str, int] = field(default_factory=dict)
    kept: list[Kept] = field(default_factory=list)

    def out(self) -> dict:
        return {
            "subject": {"kind": self.subject.kind, "id": self.subject.id, "pseudonym": self.subject.pseudonym},
            "sources": [{"key": key, "label": label, "tables": counts} for key, label, counts in self.tables],
            "mentions": self.mentions,
            "kept": [{"what": item.what, "why": item.why, "open": item.open} for item in self.kept],
        }


async def _kept(host, subject: Subject) -> list[Kept]:
    kept: list[Kept] = []
    for source in sources(host):
        if source.kept is not None:
            kept.extend(await source.kept(subject))
    return sorted(kept, key=lambda item: not item.open)  # open money records first


async def preview(host, actor: Actor, subject: Subject, permission: str = ERASE) -> Preview:
    """What erase would pseudonymise (rows per table, mentions elsewhere) and what it keeps."""
    await check(actor, subject, permission)
    scrubber = await _identified(host, subject)
    result = Preview(subject=subject)
    for source in sources(host):
        counts = {}
        for table in source.tables:
            query = table.match(subject)
            if query is not None and (count := await table.model.filter(query).count()):
                counts[table.key] = count
        if counts:
            result.tables.append((source.key, str(source.label), counts))
    site_ids = await _sites_of(subject)
    from core.personal_data.sweep import all_models

    for model in all_models():
        if keys := await mentioning(model, scrubber, site_ids):
            result.mentions[model._meta.db_table] = len(keys)
    result.kept = await _kept(host, subject)
    return result


def _readme(subject: Subject, actor: Actor, at: str, manifest: dict) -> str:
    lines = [
        _("Personal data held about %(kind)s %(id)s", kind=subject.kind, id=subject.id),
        "",
        _("Exported at %(at)s (UTC) by %(by)s.", at=at, by=getattr(actor.user, "username", None) or "system"),
        "",
        _("Each source is one JSON file (its tables by name) and one CSV file per table. "
          "mentions.json lists rows elsewhere whose text names this person."),
        "",
    ]
    for source in manifest["sources"]:
        lines.append(f"- {source['label']} ({source['key']}): "
                     + ", ".join(f"{table} {count}" for table, count in source["tables"].items()))
    if manifest["kept"]:
        lines += ["", _("Kept on erasure, and why:")]
        lines += [f"- {item['what']}: {item['why']}" for item in manifest["kept"]]
    return "\n".join(lines) + "\n"


def _csv(rows: list[dict]) -> str:
    headers: list[str] = []
    for row in rows:
        headers += [key for key in row if key not in headers]
    cells = [[json.dumps(row.get(key), ensure_ascii=False) if isinstance(row.get(key), (dict, list)) else row.get(key)
              for key in headers] for row in rows]
    return "\ufeff" + csv_text([headers, *cells])


async def export(host, actor: Actor, subject: Subject) -> bytes:
    """Everything held about the person as a ZIP: per source a JSON file and a CSV per
    table, ``mentions.json``, ``manifest.json`` and a README. Audited (no personal data in
    the entry: the subject's id and the row counts)."""
    await check(actor, subject, EXPORT)
    scrubber = await _identified(host, subject)
    at = json_ready(utcnow())
    buffer = io.BytesIO()
    manifest: dict[str, Any] = {"subject": {"kind": subject.kind, "id": subject.id, "site_id": subject.site_id},
                                "exported_at": at, "exported_by": getattr(actor.user, "username", None),
                                "sources": [], "kept": []}
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for source in sources(host):
            tables = {}
            for table in source.tables:
                if (rows := await table_rows(table, subject)):
                    tables[table.key] = rows
            if not tables:
                continue
            archive.writestr(f"{source.key}.json", json.dumps(tables, ensure_ascii=False, indent=1))
            for key, rows in tables.items():
                archive.writestr(f"{source.key}/{key}.csv", _csv(rows))
            manifest["sources"].append({"key": source.key, "label": str(source.label),
                                        "tables": {key: len(rows) for key, rows in tables.items()}})
        mentions = await mention_rows(scrubber, await _sites_of(subject))
        archive.writestr("mentions.json", json.dumps(mentions, ensure_ascii=False, indent=1))
        manifest["mentions"] = {table: len(rows) for table, rows in mentions.items()}
        manifest["kept"] = [{"what": item.what, "why": item.why, "open": item.open}
                            for item in await _kept(host, subject)]
        archive.writestr("manifest.json", json.dumps(manifest, ensure_ascii=False, indent=1))
        archive.writestr("README.txt", _readme(subject, actor, at, manifest))
    await audit.record("personal_data.export", actor=actor.user, site_id=subject.site_id, object_type=subject.kind,
                       object_id=subject.id, after={"sources": {s["key"]: s["tables"] for s in manifest["sources"]}},
                       client_address=actor.client_address)
    return buffer.getvalue()


@dataclass
class Erased:
    subject: Subject
    pseudonym: str
    #: Rows given the pseudonym or emptied, per source table ("resident.cases").
    declared: dict[str, int]
    #: Rows whose free text was scrubbed, per database table.
    swept: dict[str, int]
    kept: list[Kept]

    def out(self) -> dict:
        return {"subject": {"kind": self.subject.kind, "id": self.subject.id}, "pseudonym": self.pseudonym,
                "declared": self.declared, "swept": self.swept,
                "kept": [{"what": item.what, "why": item.why, "open": item.open} for item in self.kept]}


async def erase(host, actor: Actor, subject: Subject) -> Erased:
    """Pseudonymise the person everywhere, in one transaction: each source's tables, its
    own steps, then the sweep of every text column. Nothing is deleted but a user's
    sessions and tokens: money and legal records stay whole, linked to the pseudonym; the
    result (and the request's page, before) says what is kept and why. The audit entry
    holds the pseudonym and the counts, never the erased data."""
    await check(actor, subject, ERASE)
    if subject.kind == "user" and subject.id == actor.user_id:
        # Someone must remain to answer for the erase: another administrator does it.
        raise Problem(409, _("You cannot erase your own account; another administrator must."))
    # A user's sign-ins end with the commit, in every process (core.identity.principals).
    async with (identity_change(subject.id) if subject.kind == "user" else in_transaction()):
        scrubber = await _identified(host, subject)
        kept = await _kept(host, subject)
        declared: dict[str, int] = {}
        for source in sources(host):
            for table in source.tables:
                if (count := await erase_table(table, subject, scrubber)):
                    declared[f"{source.key}.{table.key}"] = count
            if source.erase is not None:
                await source.erase(subject, scrubber)
        swept = await sweep(scrubber, await _sites_of(subject))
        await audit.record("personal_data.erase", actor=actor.user, site_id=subject.site_id,
                           object_type=subject.kind, object_id=subject.id,
                           after={"pseudonym": subject.pseudonym, "declared": declared, "swept": swept,
                                  "kept": len(kept), "open": sum(item.open for item in kept)},
                           client_address=actor.client_address)
    return Erased(subject=subject, pseudonym=subject.pseudonym, declared=declared, swept=swept, kept=kept)
