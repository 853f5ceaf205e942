"""What a receipt says: built from the result screen's view, in the session's language.

A receipt is paper a person takes away and may lose, so it carries only what the screen
already showed and what a clerk needs to find the record: the reference code, the date and
time, the site, for a life certificate its validity, next due date and the QR code of the
screen (``certificate_code``), for a consent the insurer, the answer and its last day. Never
a name, a document number or a face: ``receipt_from_view`` takes the flow's ``View``, which
holds none of them, so it cannot print what it was never given.

Pure (no Qt, no printer): the shell turns ``receipt_lines`` into printer commands. The words
are here, not in Qt's .ts file, because they are printed by the shell, outside the UI's
translator; they repeat the result screen's own wording.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Literal

from kiosk.flows.verification import View
from kiosk.idv.decision import Decision

ReceiptKind = Literal["checkin", "life_certificate", "consent"]
LineStyle = Literal["title", "headline", "reference", "text", "small", "qr"]


@dataclass(frozen=True, slots=True)
class Receipt:
    kind: ReceiptKind
    language: str
    site: str
    reference: str
    issued_at: dt.datetime
    """Local time of printing, to the minute."""
    valid_until: dt.date | None = None
    next_due: dt.date | None = None
    qr_payload: str | None = None
    """The life certificate's QR code, the same text as the one on screen."""
    insurer: str | None = None
    consent: Literal["accepted", "declined"] | None = None
    consent_until: dt.date | None = None


@dataclass(frozen=True, slots=True)
class ReceiptLine:
    style: LineStyle
    text: str
    """For ``qr``: the payload."""


def certificate_code(reference: str, valid_until: dt.date) -> str:
    """What a life certificate's QR code carries, on screen and on paper: the reference and
    the validity, which the pension office's system looks up; nothing about the person."""
    return f"BDMI-LC:{reference}:{valid_until.isoformat()}"


def consent_until(duration_days: int, today: dt.date) -> dt.date:
    """The last day a consent given ``today`` covers, as the terms and the result show it."""
    return today + dt.timedelta(days=duration_days)


def receipt_from_view(view: View, *, site: str, now: dt.datetime) -> Receipt | None:
    """The receipt for the result on screen, or ``None`` when there is nothing to give: a
    failure, a result that could not be saved, a consent that was not offered."""
    if view.decision is not Decision.PASS or view.error or not view.reference:
        return None
    common = {"language": view.language, "site": site, "reference": view.reference,
              "issued_at": now.replace(second=0, microsecond=0)}  # fmt: skip
    certificate = getattr(view, "certificate", None)
    consent = getattr(view, "consent", None)
    if certificate is not None:
        return Receipt(
            "life_certificate", **common, valid_until=certificate.valid_until,  # type: ignore[arg-type]
            next_due=certificate.next_due,
            qr_payload=certificate_code(view.reference, certificate.valid_until),
        )  # fmt: skip
    if consent in ("accepted", "declined"):
        terms = getattr(view, "terms", None)
        if terms is None:
            return None
        until = consent_until(terms.duration_days, now.date()) if consent == "accepted" else None
        return Receipt("consent", **common, insurer=terms.insurer, consent=consent,  # type: ignore[arg-type]
                       consent_until=until)  # fmt: skip
    if consent is not None:  # "not_offered": the verification failed
        return None
    return Receipt("checkin", **common)  # type: ignore[arg-type]


WORDS: dict[str, dict[str, str]] = {
    "zh_CN": {
        "title.checkin": "就诊登记凭条",
        "title.life_certificate": "资格认证凭条",
        "title.consent": "保险授权凭条",
        "headline.checkin": "登记成功",
        "headline.life_certificate": "您的资格认证已完成",
        "headline.accepted": "您的授权已记录",
        "headline.declined": "您的拒绝已记录",
        "reference": "您的登记号",
        "time": "时间：{}",
        "site": "地点：{}",
        "valid_until": "有效期至 {}",
        "next_due": "下次认证时间：{} 起",
        "accepted": "{} 可在 {} 之前查阅您同意的记录。",
        "declined": "{} 不会看到您的记录。",
        "footer.checkin": "请到服务台出示此登记号。",
        "footer.life_certificate": "工作人员可凭登记号或二维码查询此认证。",
        "footer.consent": "如有疑问，请凭登记号咨询工作人员。",
        "privacy": "本凭条不含个人信息。",
    },
    "en": {
        "title.checkin": "Check-in receipt",
        "title.life_certificate": "Proof of life receipt",
        "title.consent": "Insurance consent receipt",
        "headline.checkin": "You are checked in",
        "headline.life_certificate": "Your proof of life is recorded",
        "headline.accepted": "Your consent is recorded",
        "headline.declined": "Your refusal is recorded",
        "reference": "Your reference",
        "time": "Time: {}",
        "site": "Site: {}",
        "valid_until": "Valid until {}",
        "next_due": "Next proof due from {}",
        "accepted": "{} may see the records you agreed to until {}.",
        "declined": "{} will not see your records.",
        "footer.checkin": "Give this reference at the desk.",
        "footer.life_certificate": "Staff look this certificate up by its reference or QR code.",
        "footer.consent": "Ask the staff with this reference if you have a question.",
        "privacy": "This receipt holds no personal data.",
    },
}


def receipt_lines(receipt: Receipt) -> list[ReceiptLine]:
    """The receipt from top to bottom, in its language (English when it has no words)."""
    words = WORDS.get(receipt.language, WORDS["en"])
    kind = receipt.kind
    headline = receipt.consent if kind == "consent" and receipt.consent else kind
    lines = [
        ReceiptLine("title", words[f"title.{kind}"]),
        ReceiptLine("headline", words[f"headline.{headline}"]),
        ReceiptLine("text", words["reference"]),
        ReceiptLine("reference", receipt.reference),
    ]
    if receipt.valid_until is not None:
        lines.append(ReceiptLine("text", words["valid_until"].format(receipt.valid_until)))
    if receipt.next_due is not None:
        lines.append(ReceiptLine("text", words["next_due"].format(receipt.next_due)))
    if receipt.qr_payload:
        lines.append(ReceiptLine("qr", receipt.qr_payload))
    if receipt.consent == "accepted" and receipt.consent_until is not None:
        text = words["accepted"].format(receipt.insurer, receipt.consent_until)
        lines.append(ReceiptLine("text", text))
    elif receipt.consent == "declined":
        lines.append(ReceiptLine("text", words["declined"].format(receipt.insurer)))
    lines += [
        ReceiptLine("small", words["time"].format(receipt.issued_at.strftime("%Y-%m-%d %H:%M"))),
        ReceiptLine("small", words["site"].format(receipt.site)),
        ReceiptLine("small", words[f"footer.{kind}"]),
        ReceiptLine("small", words["privacy"]),
    ]
    return lines
