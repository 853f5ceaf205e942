"""The entries: every reason code the kiosk and its drivers can emit."""

from __future__ import annotations

from kiosk.reasons.registry import Reason, Words, register

REASONS: dict[str, Reason] = {}


def reason(code: str) -> Reason | None:
    return REASONS.get(code)


def _add(codes: tuple[str, ...], zh: str, en: str) -> None:
    register(REASONS, codes, text=Words(zh, en))


# The texts the screens had (Texts.qml), moved here unchanged.
_add(("IDV_NO_FACE",), "看不到您的脸", "We cannot see your face")
_add(
    ("IDV_MULTIPLE_FACES",), "摄像头前请只留一人", "Only one person in front of the camera, please"
)
_add(("IDV_TOO_FAR",), "请再靠近一点", "Come a little closer")
_add(("IDV_TOO_NEAR",), "请稍微后退", "Move back a little")
_add(("IDV_OFF_CENTRE",), "请把脸移到椭圆框内", "Move your face into the oval")
_add(("IDV_TOO_DARK",), "光线太暗", "It is too dark")
_add(("IDV_TOO_BRIGHT",), "光线太强，请避开强光", "There is too much light behind or on you")
_add(("IDV_BLURRED",), "请保持不动", "Hold still")
_add(("IDV_EYES_CLOSED",), "请睁开眼睛", "Open your eyes")
_add(("IDV_OCCLUDED",), "请移开遮挡面部的物品", "Remove anything covering your face")
_add(
    ("DRV_CARD_REMOVED",),
    "证件移开过早，请重新放在读卡器上，读取完成前不要移开。",
    "The card was removed too early. Place it on the reader again and leave it there.",
)
_add(
    ("DRV_NO_CARD",),
    "未检测到证件，请把证件放在读卡器上。",
    "No card found. Place your card on the reader.",
)
_add(
    ("DRV_SAM_CARD_TYPE",),
    "这张卡不是居民身份证。请取走它，把您的身份证放到读卡器上。",
    "This card is not a resident ID card. "
    "Please take it away and place your ID card on the reader.",
)
_add(
    ("DRV_EMRTD_BAC_DENIED",),
    "这些信息无法打开芯片。请对照照片页核对后重试。",
    "These details do not open the chip. Please check them against the photo page and try again.",
)
_add(
    ("DRV_MRZ_DATE",),
    "日期须为六位数字：年、月、日（年年月月日日）。",
    "A date must be six digits: year, month and day (YYMMDD).",
)
_add(("DRV_MRZ_CHARSET", "DRV_MRZ_FIELD"), "请核对证件号码。", "Please check the document number.")
_add(
    ("UI_DOCUMENT_NOT_ACCEPTED",),
    "此处不能使用该证件，请换一种证件。",
    "This document cannot be used here. Please use another one.",
)
_add(
    ("UI_TIMEOUT",),
    "长时间无操作，本次办理已结束。",
    "The session ended because nothing happened for a while.",
)
_add(
    ("UI_PIN_LOCKED",),
    "密码错误次数过多，登记已暂时锁定几分钟。请联系工作人员。",
    "Too many wrong PINs: enrolment is locked for a few minutes. Please see the staff.",
)
_add(
    ("DRV_PRINTER_NO_PAPER",),
    "打印机缺纸。请记下您的登记号，或联系工作人员。",
    "The printer is out of paper. Please write your reference down, or see the staff.",
)
_add(
    ("DRV_PRINTER_UNAVAILABLE", "DRV_PRINTER_TIMEOUT", "DRV_NOT_CONFIGURED", "UI_NO_RECEIPT"),
    "凭条无法打印。请记下您的登记号，或联系工作人员。",
    "The receipt could not be printed. Please write your reference down, or see the staff.",
)
_add(
    ("STORE_QUOTA_REACHED", "STORE_DISK_LOW"),
    "结果无法保存，请联系工作人员。",
    "The result could not be saved. Please see the staff.",
)
