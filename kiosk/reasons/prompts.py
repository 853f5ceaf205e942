"""Spoken prompts that are not reason codes: what the voice says as each screen opens and
for each liveness challenge. Keyed by the prompt ids the flows name (``Speak("blink")``).

``{reason}`` is filled with the spoken line of the reason code the flow passes along
(kiosk/reasons/texts.py), ``{reference}`` with the result's reference code, spelled out."""

from __future__ import annotations

from kiosk.reasons.registry import Words

PROMPTS: dict[str, Words] = {
    "present_document": Words("请出示您的身份证件", "Please present your document"),
    "document_failed": Words("{reason}", "{reason}"),
    "say_reason": Words("{reason}", "{reason}"),
    "document_not_accepted": Words(
        "此证件不能在这里使用，请换一个证件",
        "This document cannot be used here. Please use another one",
    ),
    "look_at_camera": Words("请看摄像头", "Please look at the camera"),
    "welcome": Words(
        "您好。请点“开始”，然后出示您的证件。", "Welcome. Tap Start, then present your document."
    ),
    "staff_called": Words(
        "已呼叫工作人员，请在这里稍候。", "Staff have been called. Please wait here."
    ),
    "first_visit": Words(
        "您还没有在本处登记。已呼叫工作人员，请在这里稍候。",
        "You are not registered here yet. Staff have been called. Please wait here.",
    ),
    "result_pass": Words(
        "核验完成。您的登记号是 {reference}。",
        "Verification complete. Your reference is {reference}.",
    ),
    "result_retry": Words(
        "{reason} 请点“再试一次”。", "{reason} Tap Try again to have another go."
    ),
    "result_fail": Words(
        "{reason} 您的登记号是 {reference}。工作人员会来帮助您。",
        "{reason} Your reference is {reference}. A member of staff will help you.",
    ),
    "result_not_saved": Words(
        "{reason} 工作人员会来帮助您。", "{reason} A member of staff will help you."
    ),
    "consent_terms": Words(
        "请阅读授权内容，然后选择同意或不同意", "Please read the terms, then accept or decline"
    ),
    "consent_accepted": Words(
        "您的授权已记录。您的登记号是 {reference}。",
        "Your consent is recorded. Your reference is {reference}.",
    ),
    "consent_declined": Words(
        "您的拒绝已记录。您的登记号是 {reference}。",
        "Your refusal is recorded. Your reference is {reference}.",
    ),
    "enter_mrz": Words(
        "请输入护照照片页上的证件号码、出生日期和有效期",
        "Please type the document number and the two dates from the photo page",
    ),
    "check_mrz": Words(
        "这些信息无法打开芯片，请核对后重新输入",
        "These details do not open the chip. Please check them and try again",
    ),
    "blink": Words("请眨眼", "Blink your eyes"),
    "turn_left": Words("请向左转头", "Turn your head to your left"),
    "turn_right": Words("请向右转头", "Turn your head to your right"),
    "nod": Words("请点头", "Nod your head"),
    "open_mouth": Words("请张嘴", "Open your mouth"),
}
