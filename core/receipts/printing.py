"""What a printed receipt shows beyond the record: the site's local time, who issued it,
the payment method's name; and the PDF built from that (``pdf.render``)."""

from __future__ import annotations

from typing import Any

from core.clock import local_time
from core.entities.models import Site
from core.i18n import N_
from core.i18n import gettext as _
from core.identity.models import User
from core.receipts import pdf
from core.receipts.models import Receipt
from core.receipts.services import receipt_out

METHOD_LABELS = {"cash": N_("Cash"), "card": N_("Card"), "mobile": N_("Mobile"), "voucher": N_("Voucher"),
                 "transfer": N_("Bank transfer"), "other": N_("Other")}


def method_label(method: str) -> str:
    return _(METHOD_LABELS[method]) if method in METHOD_LABELS else method


async def printable(site: Site, receipt: Receipt) -> dict[str, Any]:
    """The receipt as a page or a PDF shows it."""
    people = {user.id: user for user in await User.filter(id__in=[i for i in (receipt.issued_by_id,
                                                                               receipt.voided_by_id) if i] or [0])}

    def name(user_id: int | None) -> str:
        user = people.get(user_id) if user_id else None
        return (user.display_name or user.username) if user else ""

    return {"receipt": receipt_out(receipt), "site_name": site.name,
            "issued_at_local": local_time(site, receipt.issued_at), "issued_by": name(receipt.issued_by_id),
            "voided_at_local": local_time(site, receipt.voided_at), "voided_by": name(receipt.voided_by_id),
            "method_label": method_label(receipt.method)}


async def receipt_pdf(site: Site, receipt: Receipt) -> bytes:
    shown = await printable(site, receipt)
    return pdf.render(shown["receipt"], site_name=shown["site_name"], issued_at_local=shown["issued_at_local"],
                      issued_by=shown["issued_by"], method_label=shown["method_label"])


def pdf_filename(receipt: Receipt) -> str:
    series = receipt.series.replace(":", "-")
    return f"receipt-{series}-{receipt.number:06d}.pdf"
