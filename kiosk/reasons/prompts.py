"""Spoken prompts that are not reason codes: what the voice says as each screen opens and
for each liveness challenge. Keyed by the prompt ids the flows name (``Speak("blink")``)."""

from __future__ import annotations

from kiosk.reasons.registry import Words

PROMPTS: dict[str, Words] = {
    "present_document": Words("请出示您的身份证件", "Please present your document"),
    "document_failed": Words("证件未能读取，请重新放置",
                             "The document could not be read. Please place it again"),
    "document_not_accepted": Words("此证件不能在这里使用，请换一个证件",
                                   "This document cannot be used here. Please use another one"),
    "look_at_camera": Words("请看摄像头", "Please look at the camera"),
    "call_staff": Words("请联系工作人员", "Please see a member of staff"),
    "consent_terms": Words("请阅读授权内容，然后选择同意或不同意",
                           "Please read the terms, then accept or decline"),
    "consent_accepted": Words("您的授权已记录", "Your consent is recorded"),
    "consent_declined": Words("您的拒绝已记录", "Your refusal is recorded"),
    "enter_mrz": Words("请输入护照照片页上的证件号码、出生日期和有效期",
                       "Please type the document number and the two dates from the photo page"),
    "check_mrz": Words("这些信息无法打开芯片，请核对后重新输入",
                       "These details do not open the chip. Please check them and try again"),
    "blink": Words("请眨眼", "Blink your eyes"),
    "turn_left": Words("请向左转头", "Turn your head to your left"),
    "turn_right": Words("请向右转头", "Turn your head to your right"),
    "nod": Words("请点头", "Nod your head"),
    "open_mouth": Words("请张嘴", "Open your mouth"),
}  # fmt: skip
