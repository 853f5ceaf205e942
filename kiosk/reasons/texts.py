"""The entries: every reason code the kiosk and its drivers can emit, with its words.

Grouped by what the person meets, not by module: codes that ask the same of the person share
words, but each is listed by name (a new code has no words until someone writes them, and
tests/unit/test_reason_registry.py says so). Codes only a technician meets (configuration,
self-test, provisioning, backups) say to the person only that the kiosk needs staff; their
meaning for the technician is the family's, and docs/operations.md explains each one.
"""

from __future__ import annotations

from kiosk.reasons.registry import Reason, Words, register

REASONS: dict[str, Reason] = {}
UNKNOWN = Words("出现了问题。请联系工作人员。", "Something went wrong. Please see the staff.")
"""For a code not here: never expected (the registry test covers every code), still safe."""
NO_HINT = Words("请正视摄像头", "Look straight at the camera")
"""The face screen's line while the camera has no particular hint."""


PASSING = frozenset({"IDV_MATCH_ACCEPTED", "IDV_LIVENESS_PASSED", "IDV_ENROLMENT_SUPERVISED"})
"""Codes a verdict carries that are not why it failed."""


def reason(code: str) -> Reason | None:
    return REASONS.get(code)


def explaining(codes: tuple[str, ...]) -> str | None:
    """The code that says why a verdict did not pass: the last one that is not a passing
    step (the decision adds them in the order it checks)."""
    failing = [code for code in codes if code not in PASSING]
    return failing[-1] if failing else None


def retryable(codes: tuple[str, ...]) -> bool:
    """Whether another try at the kiosk can change the outcome: every failing code says so
    (a face that does not match its document never does)."""
    failing = [code for code in codes if code not in PASSING]
    return bool(failing) and all(code in REASONS and REASONS[code].retryable for code in failing)


def _add(
    codes: tuple[str, ...], *, text: tuple[str, str], say: tuple[str, str],
    next_step: tuple[str, str], retryable: bool = False,
) -> None:  # fmt: skip
    register(
        REASONS,
        codes,
        text=Words(*text),
        spoken=Words(*say),
        next_step=Words(*next_step),
        retryable=retryable,
    )


SEE_STAFF = (
    "请到服务台找工作人员，或点“呼叫工作人员”。",
    "Please see the staff at the desk, or tap Call staff.",
)
TRY_AGAIN = ("点“再试一次”，或呼叫工作人员。", "Tap Try again, or call staff.")
PLACE_AGAIN = (
    "把证件平放在读卡器上，直到下一页出现。",
    "Place the card flat on the reader and leave it until the next screen.",
)
TECHNICIAN = (
    "工作人员：请联系技术人员，并告知此代码。",
    "Staff: call the technician and give them this code.",
)
OUT_OF_ORDER_SAY = (
    "本机暂时不能办理，请联系工作人员。",
    "This kiosk cannot help right now. Please see a member of staff.",
)

# -- the ID card on the reader ------------------------------------------------------------------
_add(
    ("DRV_SAM_CARD_REMOVED", "DRV_CARD_REMOVED"),
    text=(
        "证件移开过早。请重新放在读卡器上，读取完成前不要移开。",
        "The card was removed too early. Place it on the reader again and leave it there.",
    ),
    say=(
        "证件移开过早，请重新放好，不要移开。",
        "The card was taken away too early. Please place it again and leave it there.",
    ),
    next_step=PLACE_AGAIN,
    retryable=True,
)
_add(
    ("DRV_NO_CARD", "DRV_SAM_FIND_CARD_FAILED", "DRV_SAM_SELECT_CARD_FAILED"),
    text=(
        "未检测到证件。请把证件平放在读卡器上。",
        "No card found. Place your card flat on the reader.",
    ),
    say=("请把证件平放在读卡器上。", "Please place your card flat on the reader."),
    next_step=PLACE_AGAIN,
    retryable=True,
)
_add(
    ("DRV_SAM_OK", "DRV_SAM_CARD_FOUND"),
    text=("正在读取证件，请不要移开。", "Reading your card. Please leave it on the reader."),
    say=("正在读取，请不要移开证件。", "Reading. Please leave the card where it is."),
    next_step=("请稍候。", "Please wait."),
)
_add(
    ("DRV_SAM_CARD_TYPE",),
    text=(
        "这张卡不是居民身份证。请取走它，把您的身份证放到读卡器上。",
        "This card is not a resident ID card. "
        "Please take it away and place your ID card on the reader.",
    ),
    say=(
        "这不是身份证，请换上您的身份证。",
        "This is not an ID card. Please place your ID card instead.",
    ),
    next_step=("取走这张卡，放上您的居民身份证。", "Take this card away and place your ID card."),
    retryable=True,
)
_add(
    (
        "DRV_CARD_READ_FAILED",
        "DRV_SAM_READ_FAILED",
        "DRV_SAM_RECEIVE_TIMEOUT",
        "DRV_SAM_OPEN_FILE_FAILED",
        "DRV_SAM_NO_SUCH_ITEM",
        "DRV_SAM_INFO_LENGTH",
        "DRV_SAM_GET_RANDOM",
        "DRV_SAM_TRANSFER_ERROR",
        "DRV_SAM_FRAME_CHECKSUM",
        "DRV_SAM_FRAME_LENGTH",
        "DRV_SAM_FRAME_PREAMBLE",
        "DRV_SAM_FRAME_TRAILING",
        "DRV_SAM_FRAME_TRUNCATED",
        "DRV_SAM_COMMAND_CHECKSUM",
        "DRV_SAM_COMMAND_LENGTH",
        "DRV_SAM_MESSAGE_LAYOUT",
        "DRV_SAM_NO_RESPONSE",
    ),
    text=(
        "证件没有读完整。请拿起证件，再平放到读卡器上。",
        "The card was not read completely. Lift it, then place it flat on the reader again.",
    ),
    say=(
        "没有读完整，请拿起证件再放一次。",
        "The card was not read. Please lift it and place it again.",
    ),
    next_step=PLACE_AGAIN,
    retryable=True,
)
_add(
    (
        "DRV_SAM_CARD_AUTHENTICATES_SAM_FAILED",
        "DRV_SAM_SAM_AUTHENTICATES_CARD_FAILED",
        "DRV_SAM_INFO_VERIFICATION_FAILED",
        "DRV_SAM_FINGERPRINT_VERIFICATION_FAILED",
    ),
    text=(
        "证件未能通过真伪核验。请再放一次；如仍不行，工作人员会帮助您。",
        "The card could not be confirmed as genuine. Place it once more; if it fails again, "
        "staff will help you.",
    ),
    say=(
        "证件核验未通过，请再放一次。",
        "The card could not be checked. Please place it once more.",
    ),
    next_step=TRY_AGAIN,
    retryable=True,
)
_add(
    (
        "DRV_SAM_NO_PORT",
        "DRV_SAM_PORT_LOST",
        "DRV_SAM_PORT_OPEN_FAILED",
        "DRV_SAM_SELFTEST",
        "DRV_SAM_SERIAL_UNAVAILABLE",
        "DRV_SAM_COMMAND_REJECTED",
        "DRV_SAM_NOT_AUTHORISED",
        "DRV_SAM_UNAUTHORISED_OPERATION",
        "DRV_SAM_UNKNOWN_STATUS",
        "DRV_SAM_UNEXPECTED_STATUS",
        "DRV_SAM_UNRECOGNISED_ERROR",
        "DRV_READER_UNAVAILABLE",
        "DRV_PROTOCOL",
        "DRV_ERROR",
        "DRV_SIMULATOR_UNAVAILABLE",
    ),
    text=(
        "读卡器暂时不能使用。请联系工作人员。",
        "The card reader is not working. Please see the staff.",
    ),
    say=(
        "读卡器不能使用，请联系工作人员。",
        "The card reader is not working. Please see a member of staff.",
    ),
    next_step=SEE_STAFF,
)

# -- the passport chip -----------------------------------------------------------------------------
_add(
    ("DRV_EMRTD_NO_ACCESS_KEY",),
    text=(
        "请输入照片页上的证件号码和两个日期，以打开芯片。",
        "Please type the document number and the two dates from the photo page to open the chip.",
    ),
    say=(
        "请输入照片页上的证件号码和两个日期。",
        "Please type the document number and the two dates from the photo page.",
    ),
    next_step=("在屏幕键盘上输入三项信息。", "Type the three details on the screen keyboard."),
    retryable=True,
)
_add(
    ("DRV_EMRTD_BAC_DENIED",),
    text=(
        "这些信息无法打开芯片。请对照照片页核对后重试。",
        "These details do not open the chip. "
        "Please check them against the photo page and try again.",
    ),
    say=(
        "这些信息无法打开芯片，请核对后重新输入。",
        "These details do not open the chip. Please check them and type them again.",
    ),
    next_step=(
        "对照照片页逐位核对证件号码和日期。",
        "Compare the number and the dates with the photo page, one by one.",
    ),
    retryable=True,
)
_add(
    (
        "DRV_EMRTD_STATUS",
        "DRV_EMRTD_LENGTH",
        "DRV_EMRTD_FILE_MISSING",
        "DRV_APDU",
        "DRV_TLV",
        "DRV_BAC_LENGTH",
        "DRV_BAC_MAC",
        "DRV_BAC_NONCE",
        "DRV_SM_MAC",
        "DRV_SM_MALFORMED",
        "DRV_SM_PADDING",
        "DRV_SM_UNPROTECTED",
    ),
    text=(
        "护照芯片没有读完整。请把护照照片页朝下平放，不要移动，然后重试。",
        "The passport chip was not read completely. Lay the passport photo page down, "
        "keep it still, and try again.",
    ),
    say=(
        "芯片没有读完整，请把护照放平，不要移动。",
        "The chip was not read. Please lay the passport flat and keep it still.",
    ),
    next_step=TRY_AGAIN,
    retryable=True,
)
_add(
    ("DRV_EMRTD_NOT_EMRTD",),
    text=(
        "这本证件没有本机能读取的芯片。请使用身份证，或联系工作人员。",
        "This document has no chip this kiosk can read. Use your ID card, or see the staff.",
    ),
    say=(
        "这本证件没有可读取的芯片，请换用身份证。",
        "This document has no chip the kiosk can read. Please use your ID card.",
    ),
    next_step=("换用居民身份证，或联系工作人员。", "Use your resident ID card, or see the staff."),
    retryable=True,
)
_add(
    (
        "DRV_EMRTD_MRZ_MISMATCH",
        "DRV_EMRTD_FILE_TOO_LARGE",
        "DRV_DOCUMENT_INVALID",
        "DRV_LDS_BIOMETRIC",
        "DRV_LDS_COM",
        "DRV_LDS_DG1",
        "DRV_LDS_DG14",
        "DRV_LDS_FACE_RECORD",
        "DRV_LDS_IMAGE_DECODE",
        "DRV_LDS_IMAGE_TYPE",
        "DRV_LDS_STRUCTURE",
        "DRV_LDS_TAG",
    ),
    text=(
        "证件芯片里的信息无法使用。请联系工作人员。",
        "The data in the document's chip cannot be used. Please see the staff.",
    ),
    say=(
        "证件信息无法使用，请联系工作人员。",
        "The document's data cannot be used. Please see a member of staff.",
    ),
    next_step=SEE_STAFF,
)
_add(
    (
        "DRV_EMRTD_CLONE_SUSPECTED",
        "DRV_EMRTD_AA_KEY_NOT_SIGNED",
        "DRV_AA_PUBLIC_KEY",
        "DRV_PA_CHAIN_SIGNATURE",
        "DRV_PA_CONTENT_TYPE",
        "DRV_PA_CSCA_EXPIRED",
        "DRV_PA_CSCA_NOT_CA",
        "DRV_PA_CSCA_UNKNOWN",
        "DRV_PA_DG_HASH_MISMATCH",
        "DRV_PA_DG_NOT_IN_SOD",
        "DRV_PA_DS_CERT_MISSING",
        "DRV_PA_DS_EXPIRED",
        "DRV_PA_DS_KEY_USAGE",
        "DRV_PA_HASH_ALGORITHM",
        "DRV_PA_LDS_SECURITY_OBJECT",
        "DRV_PA_MESSAGE_DIGEST",
        "DRV_PA_NO_DATA_GROUP",
        "DRV_PA_SIGNATURE",
        "DRV_PA_SIGNATURE_ALGORITHM",
        "DRV_PA_SOD",
        "DRV_PA_TRUST_STORE",
    ),
    text=(
        "无法确认护照芯片的真实性。请联系工作人员。",
        "The passport's chip could not be confirmed as genuine. Please see the staff.",
    ),
    say=(
        "无法确认护照的真实性，请联系工作人员。",
        "The passport could not be confirmed. Please see a member of staff.",
    ),
    next_step=SEE_STAFF,
)

# -- the details typed from the photo page -------------------------------------------------------
_add(
    ("DRV_MRZ_DATE",),
    text=(
        "日期须为六位数字：年、月、日（年年月月日日），例如 490131。",
        "A date must be six digits: year, month and day (YYMMDD), for example 490131.",
    ),
    say=("日期请输入六位数字：年、月、日。", "Type each date as six digits: year, month, day."),
    next_step=(
        "核对照片页上的日期后重新输入。",
        "Check the date on the photo page and type it again.",
    ),
    retryable=True,
)
_add(
    ("DRV_MRZ_CHARSET", "DRV_MRZ_FIELD"),
    text=(
        "请核对证件号码：只能有字母和数字。",
        "Please check the document number: letters and digits only.",
    ),
    say=("请核对证件号码。", "Please check the document number."),
    next_step=("对照照片页重新输入证件号码。", "Type the number again from the photo page."),
    retryable=True,
)
_add(
    ("DRV_MRZ_CHECK_DIGIT", "DRV_MRZ_FORMAT", "DRV_MRZ"),
    text=(
        "这些信息对不上。请对照照片页核对后重新输入。",
        "These details do not add up. Please check them against the photo page.",
    ),
    say=(
        "信息对不上，请核对后重新输入。",
        "The details do not add up. Please check and type them again.",
    ),
    next_step=("对照照片页逐位核对。", "Compare each detail with the photo page."),
    retryable=True,
)

# -- the camera and the printer --------------------------------------------------------------------
_add(
    ("DRV_CAMERA_UNAVAILABLE",),
    text=(
        "摄像头暂时不能使用。请联系工作人员。",
        "The camera is not working. Please see the staff.",
    ),
    say=(
        "摄像头不能使用，请联系工作人员。",
        "The camera is not working. Please see a member of staff.",
    ),
    next_step=SEE_STAFF,
)
_add(
    ("DRV_PRINTER_NO_PAPER",),
    text=(
        "打印机缺纸。请记下您的登记号，或联系工作人员。",
        "The printer is out of paper. Please write your reference down, or see the staff.",
    ),
    say=(
        "打印机缺纸，请记下您的登记号。",
        "The printer is out of paper. Please write your reference down.",
    ),
    next_step=("记下屏幕上的登记号。", "Write down the reference on the screen."),
)
_add(
    (
        "DRV_PRINTER_UNAVAILABLE",
        "DRV_PRINTER_TIMEOUT",
        "DRV_PRINTER_ERROR",
        "DRV_PRINTER_PROTOCOL",
        "DRV_NOT_CONFIGURED",
        "UI_NO_RECEIPT",
    ),
    text=(
        "凭条无法打印。请记下您的登记号，或联系工作人员。",
        "The receipt could not be printed. Please write your reference down, or see the staff.",
    ),
    say=(
        "凭条无法打印，请记下您的登记号。",
        "The receipt could not be printed. Please write your reference down.",
    ),
    next_step=("记下屏幕上的登记号。", "Write down the reference on the screen."),
)

# -- the face in front of the camera (hints while the check runs) ---------------------------------
_FACE_NEXT = ("按屏幕提示调整，检查会继续。", "Follow the hint; the check goes on by itself.")
for _codes, _text, _say in (
    (
        ("IDV_NO_FACE",),
        (
            "看不到您的脸。请站到摄像头正前方。",
            "We cannot see your face. Stand in front of the camera.",
        ),
        ("请站到摄像头正前方。", "Please stand in front of the camera."),
    ),
    (
        ("IDV_MULTIPLE_FACES",),
        ("摄像头前请只留一人。", "Only one person in front of the camera, please."),
        ("摄像头前请只留一人。", "Only one person in front of the camera, please."),
    ),
    (
        ("IDV_FACE_TOO_FAR",),
        ("请再靠近一点。", "Come a little closer."),
        ("请再靠近一点。", "Come a little closer."),
    ),
    (
        ("IDV_FACE_TOO_NEAR",),
        ("请稍微后退。", "Move back a little."),
        ("请稍微后退。", "Move back a little."),
    ),
    (
        ("IDV_FACE_OFF_CENTRE",),
        ("请把脸移到椭圆框内。", "Move your face into the oval."),
        ("请把脸移到框的中间。", "Move your face into the middle of the oval."),
    ),
    (
        ("IDV_POSE_YAW",),
        ("请正视摄像头，不要侧脸。", "Look straight at the camera, not to the side."),
        ("请正视摄像头。", "Look straight at the camera."),
    ),
    (
        ("IDV_POSE_PITCH",),
        ("请平视摄像头，不要抬头或低头。", "Keep your head level: not up, not down."),
        ("请平视，不要抬头或低头。", "Keep your head level."),
    ),
    (
        ("IDV_POSE_ROLL",),
        ("请把头摆正，不要歪头。", "Hold your head upright, not tilted."),
        ("请把头摆正。", "Hold your head upright."),
    ),
    (
        ("IDV_TOO_DARK",),
        ("光线太暗。请靠近灯光。", "It is too dark. Move towards the light."),
        ("光线太暗。", "It is too dark here."),
    ),
    (
        ("IDV_TOO_BRIGHT",),
        ("光线太强，请避开强光。", "There is too much light behind or on you."),
        ("光线太强，请避开强光。", "There is too much light. Please step out of it."),
    ),
    (
        ("IDV_FACE_BLURRED",),
        ("请保持不动。", "Hold still."),
        ("请保持不动。", "Please hold still."),
    ),
    (
        ("IDV_EYES_CLOSED",),
        ("请睁开眼睛。", "Open your eyes."),
        ("请睁开眼睛。", "Please open your eyes."),
    ),
    (
        ("IDV_FACE_OCCLUDED",),
        (
            "请移开遮挡面部的物品（口罩、帽子、墨镜）。",
            "Remove anything covering your face (mask, hat, sunglasses).",
        ),
        ("请移开遮挡面部的物品。", "Please uncover your face."),
    ),
):
    _add(_codes, text=_text, say=_say, next_step=_FACE_NEXT, retryable=True)

# -- the face check's outcome ----------------------------------------------------------------------
_add(
    ("IDV_LIVENESS_TIMEOUT", "IDV_LIVENESS_FAILED", "IDV_LIVENESS_NO_BASELINE"),
    text=("面部核验没有在规定时间内完成。", "The face check was not finished in time."),
    say=("面部核验没有完成。", "The face check was not finished."),
    next_step=TRY_AGAIN,
    retryable=True,
)
_add(
    ("IDV_LIVENESS_WRONG_ACTION",),
    text=("动作和提示不一致。", "The movement did not match the instruction."),
    say=("动作和提示不一致。", "The movement did not match the instruction."),
    next_step=(
        "再试一次，只做屏幕上的动作。",
        "Try again and make only the movement on the screen.",
    ),
    retryable=True,
)
_add(
    ("IDV_LIVENESS_TOO_EARLY",),
    text=("动作做得太早了。", "The movement came before the instruction."),
    say=("动作太早了，请等提示出现再做。", "Too early. Please wait for each instruction."),
    next_step=(
        "再试一次，等提示出现后再做动作。",
        "Try again; wait for each instruction before moving.",
    ),
    retryable=True,
)
_add(
    ("IDV_LIVENESS_BEFORE_PROMPT",),
    text=(
        "提示出现之前就做了动作。",
        "A movement was made before its instruction appeared.",
    ),
    say=(
        "请先看着摄像头，等提示出现再做动作。",
        "Please look at the camera and wait for each instruction before moving.",
    ),
    next_step=(
        "再试一次：看着摄像头保持不动，提示出现后再做动作。",
        "Try again: look at the camera and keep still until an instruction appears.",
    ),
    retryable=True,
)
_add(
    ("IDV_LIVENESS_UNPROMPTED_RHYTHM",),
    text=(
        "没有提示时也在反复做同样的动作。",
        "The same movement kept being made without an instruction.",
    ),
    say=(
        "请只在提示出现后做动作。",
        "Please move only when an instruction appears.",
    ),
    next_step=(
        "再试一次：等待时保持不动，只做屏幕上的动作。",
        "Try again: keep still while waiting and make only the movement on the screen.",
    ),
    retryable=True,
)
_add(
    ("IDV_LIVENESS_FACE_LOST",),
    text=("核验过程中您的脸离开了画面。", "Your face left the picture during the check."),
    say=("您的脸离开了画面。", "Your face left the picture."),
    next_step=("再试一次，始终面对摄像头。", "Try again and stay facing the camera."),
    retryable=True,
)
_add(
    ("IDV_LIVENESS_MULTIPLE_FACES",),
    text=(
        "核验过程中出现了不止一个人。",
        "More than one person was in the picture during the check.",
    ),
    say=("画面中不止一个人。", "More than one person was in the picture."),
    next_step=("再试一次，摄像头前只留一人。", "Try again with only you in front of the camera."),
    retryable=True,
)
_add(
    ("IDV_LIVENESS_FACE_CHANGED", "IDV_PASSIVE_SPOOF"),
    text=(
        "无法确认是本人在摄像头前。工作人员会帮助您。",
        "We could not confirm that a live person was in front of the camera. Staff will help you.",
    ),
    say=(
        "无法自动确认，请联系工作人员。",
        "This could not be confirmed. Please see a member of staff.",
    ),
    next_step=SEE_STAFF,
)
_add(
    ("IDV_MATCH_REJECTED",),
    text=(
        "您的面部与证件照片不一致。工作人员会核对。",
        "Your face did not match the photo in your document. A member of staff will check.",
    ),
    say=(
        "面部与证件照片不一致，请联系工作人员。",
        "Your face did not match the document photo. Please see a member of staff.",
    ),
    next_step=SEE_STAFF,
)
_add(
    ("IDV_MATCH_GREY_ZONE", "IDV_NO_REFERENCE_FACE", "IDV_ASSURANCE_INSUFFICIENT"),
    text=(
        "无法自动确认您的身份。工作人员会帮助您。",
        "We could not confirm your identity automatically. A member of staff will help you.",
    ),
    say=(
        "无法自动确认您的身份，请联系工作人员。",
        "Your identity could not be confirmed automatically. Please see a member of staff.",
    ),
    next_step=SEE_STAFF,
)
_add(
    ("IDV_DOCUMENT_EXPIRED",),
    text=("您的证件已过期。请联系工作人员。", "Your document has expired. Please see the staff."),
    say=(
        "证件已过期，请联系工作人员。",
        "Your document has expired. Please see a member of staff.",
    ),
    next_step=SEE_STAFF,
)
_add(
    ("IDV_DOCUMENT_NOT_AUTHENTIC", "IDV_DOCUMENT_NOT_CHIP_VERIFIED"),
    text=(
        "无法确认证件的真实性。请联系工作人员。",
        "The document could not be confirmed as genuine. Please see the staff.",
    ),
    say=(
        "无法确认证件的真实性，请联系工作人员。",
        "The document could not be confirmed. Please see a member of staff.",
    ),
    next_step=SEE_STAFF,
)
_add(
    ("IDV_MATCH_ACCEPTED", "IDV_LIVENESS_PASSED", "IDV_ENROLMENT_SUPERVISED"),
    text=("核验通过。", "Verified."),
    say=("核验通过。", "Verified."),
    next_step=("无需操作。", "Nothing to do."),
)

# -- the session -----------------------------------------------------------------------------------
_add(
    ("UI_DOCUMENT_NOT_ACCEPTED",),
    text=(
        "此处不能使用该证件，请换一种证件。",
        "This document cannot be used here. Please use another one.",
    ),
    say=(
        "此证件不能在这里使用，请换一个证件。",
        "This document cannot be used here. Please use another one.",
    ),
    next_step=(
        "取走它，换用本处接受的证件。",
        "Take it away and use a document this service takes.",
    ),
    retryable=True,
)
_add(
    ("UI_TIMEOUT",),
    text=(
        "长时间无操作，上一次办理已结束。",
        "The last session ended because nothing happened for a while.",
    ),
    say=("长时间无操作，办理已结束。", "The session ended because nothing happened."),
    next_step=("点“开始”重新办理。", "Tap Start to begin again."),
)
_add(
    ("UI_PIN_WRONG",),
    text=("密码错误。", "Wrong PIN."),
    say=("密码错误，请重新输入。", "Wrong PIN. Please type it again."),
    next_step=("工作人员：重新输入密码。", "Staff: type the PIN again."),
    retryable=True,
)
_add(
    ("UI_PIN_LOCKED",),
    text=(
        "密码错误次数过多，已暂时锁定几分钟。请联系工作人员。",
        "Too many wrong PINs: locked for a few minutes. Please see the staff.",
    ),
    say=("密码错误次数过多，已暂时锁定。", "Too many wrong PINs. It is locked for a few minutes."),
    next_step=(
        "等锁定结束；如不是工作人员在尝试，请报告。",
        "Wait until the lock ends; report it if it was not staff trying.",
    ),
)
_add(
    ("UI_STAFF_CALLED",),
    text=("已呼叫工作人员，请在这里稍候。", "Staff have been called. Please wait here."),
    say=("已呼叫工作人员，请在这里稍候。", "Staff have been called. Please wait here."),
    next_step=(
        "请稍候，工作人员会来到本机。",
        "Please wait; a member of staff will come to the kiosk.",
    ),
)

# -- saving the result -----------------------------------------------------------------------------
_add(
    (
        "STORE_QUOTA_REACHED",
        "STORE_DISK_LOW",
        "STORE_ERROR",
        "STORE_KEY_MISSING",
        "STORE_KEY_WRONG",
        "STORE_KEY_INVALID",
        "STORE_OPEN_FAILED",
        "STORE_NOT_ENCRYPTED",
        "STORE_OUTBOX_STATE",
        "STORE_RESULT_CONFLICT",
        "SEC_KEY_MISSING",
        "SEC_KEY_UNKNOWN",
        "SEC_SITE_KEY_MISSING",
        "SEC_SITE_KEY_WEAK",
        "SEC_SUBJECT_EMPTY",
        "SEC_ERROR",
        "SEC_RESULT_ENVELOPE",
        "SEC_RESULT_NOT_CANONICAL",
        "SEC_RESULT_NOT_CBOR",
        "SEC_RESULT_SCHEMA",
        "SEC_RESULT_SIGNATURE",
        "SEC_RESULT_VERSION",
    ),
    text=("结果无法保存。请联系工作人员。", "The result could not be saved. Please see the staff."),
    say=(
        "结果无法保存，请联系工作人员。",
        "The result could not be saved. Please see a member of staff.",
    ),
    next_step=SEE_STAFF,
)


# -- codes a technician meets (service mode, self-test, kioskctl) ---------------------------------
def _technical(codes: tuple[str, ...], zh: str, en: str) -> None:
    _add(codes, text=(zh, en), say=OUT_OF_ORDER_SAY, next_step=TECHNICIAN)


# Out of service (kiosk/ops/staleness.py): what the person reads on the welcome screen, each
# a plain reason, then "see the staff"; the technician guide says how to clear each one.
def _frozen(code: str, zh: str, en: str) -> None:
    _add((code,), text=(zh, en), say=OUT_OF_ORDER_SAY, next_step=SEE_STAFF)


_frozen(
    "OPS_FROZEN_SYNC_STALE",
    "本机的核验记录很久没有送出。",
    "This kiosk has not sent its records for too long.",
)
_frozen("OPS_FROZEN_STORE_FULL", "本机的存储空间快满了。", "This kiosk's storage is nearly full.")
_frozen(
    "OPS_FROZEN_CERT_EXPIRING",
    "本机的安全证书即将过期。",
    "This kiosk's security certificate is about to expire.",
)
_frozen(
    "OPS_FROZEN_CSCA_STALE",
    "本机的护照签发机构名单太旧了。",
    "This kiosk's list of passport issuers is out of date.",
)
_frozen(
    "OPS_FROZEN_CALIBRATION_STALE",
    "本机的人脸识别校准太旧了。",
    "This kiosk's face check calibration is out of date.",
)
_frozen("OPS_FROZEN_CLOCK_UNSYNCED", "本机的时钟没有校准。", "This kiosk's clock is not set.")


_technical(
    ("OPS_FREEZE_OFF",),
    "暂停服务检查没有启用（演示配置）。",
    "The out-of-service checks are off (a demo configuration).",
)
_technical(
    ("HIS_DELIVERED",),
    "医院信息系统已收到签到信息。",
    "The hospital system has the check-in.",
)
_technical(
    ("HIS_UNREACHABLE", "HIS_SERVER_ERROR", "HIS_TLS_FAILED"),
    "签到信息暂时送不到医院信息系统，稍后会自动重发：kioskctl outbox 显示原因。",
    "The check-in has not reached the hospital system yet and goes again by itself: "
    "kioskctl outbox shows why.",
)
_technical(
    ("HIS_REFUSED", "HIS_MESSAGE_INVALID", "HIS_CONFIG_INVALID"),
    "医院信息系统没有接受签到信息，或 [his] 配置有误：请技术人员查看 kioskctl outbox。",
    "The hospital system did not take the check-in, or [his] is misconfigured: the "
    "technician looks at kioskctl outbox.",
)
_technical(
    (
        "CFG_INVALID_VALUE",
        "CFG_MISSING",
        "CFG_MISSING_KEY",
        "CFG_NOT_FOUND",
        "CFG_PRODUCTION_FORBIDS",
        "CFG_SECRET_MISSING",
        "CFG_SECRET_PERMISSIONS",
        "CFG_SECRET_UNREADABLE",
        "CFG_SYNTAX",
        "CFG_UNKNOWN_KEY",
        "CFG_UNREADABLE",
    ),
    "配置文件有误：kioskctl config check 会指出哪一项。",
    "The configuration is wrong: kioskctl config check names the entry.",
)
_technical(
    (
        "IDV_ANTISPOOF_MODEL_INVALID",
        "IDV_CALIBRATION_INVALID",
        "IDV_CALIBRATION_MISSING",
        "IDV_MODEL_MISSING",
        "IDV_IMAGE_UNREADABLE",
        "IDV_VIDEO_UNREADABLE",
        "IDV_ERROR",
    ),
    "人脸识别的模型、校准或输入文件有问题。",
    "A face model, calibration or input file is missing or damaged.",
)
_technical(
    (
        "OPS_CAMERA_CLIPPED",
        "OPS_CAMERA_TOO_BRIGHT",
        "OPS_CAMERA_TOO_DARK",
        "OPS_DEVICE_ABSENT",
        "OPS_FACE_RATE_TOO_LOW",
        "OPS_DEVICE_IN_USE",
        "OPS_NO_TEST_CARD",
        "OPS_READER_FAILED",
        "OPS_READER_NOT_CONFIGURED",
        "OPS_RECOVERY_CAMERA_REOPEN",
        "OPS_RECOVERY_CARD_RESET",
        "OPS_RECOVERY_NOT_RECORDED",
        "OPS_RECOVERY_RATE_LIMITED",
        "OPS_RECOVERY_READER_REOPEN",
        "OPS_CHECK_CRASHED",
    ),
    "自检发现摄像头或读卡器有问题（或已自动恢复）。",
    "The self-test found a camera or reader problem (or recovered from one).",
)
_technical(
    (
        "OPS_CERT_EXPIRED",
        "OPS_CERT_EXPIRING",
        "OPS_CERT_NOT_YET_VALID",
        "OPS_CERT_UNREADABLE",
        "OPS_MQTT_NO_ANSWER",
        "OPS_MQTT_NO_TLS",
        "OPS_MQTT_REFUSED",
        "OPS_MQTT_TLS",
        "OPS_MQTT_UNREACHABLE",
        "OPS_SYNC_DISABLED",
        "OPS_SYNC_LAG",
        "OPS_HEALTH_NOT_PUBLISHED",
        "OPS_STAFF_CALL_NOT_FORWARDED",
        "GW_REJECTED",
        "GW_TIME_FUTURE",
        "GW_TIME_TOO_OLD",
        "PROOF_CHAIN_UNREACHABLE",
        "PROOF_NOT_ANCHORED",
        "STORE_RESULT_UNKNOWN",
    ),
    "与网关的同步或证书有问题；结果保存在本机，稍后发送。",
    "Sync with the gateway or its certificate has a problem; results wait here.",
)
_technical(
    (
        "OPS_CLOCK_BEFORE_RELEASE",
        "OPS_CLOCK_BEHIND_STORE",
        "OPS_CLOCK_NOT_SYNCED",
        "OPS_DISK_CRITICAL",
        "OPS_DISK_LOW",
        "OPS_STORE_INTEGRITY",
        "OPS_STORE_QUOTA_NEAR",
        "OPS_SERVICE_DOWN",
        "OPS_PID_FILE_INVALID",
        "STORE_NOT_FOUND",
        "STORE_KEY_EXISTS",
        "STORE_SCHEMA_NEWER",
    ),
    "本机的时钟、磁盘、存储或服务有问题。",
    "The machine's clock, disk, store or a service has a problem.",
)
_technical(
    (
        "AUDIT_CHAIN_BROKEN",
        "AUDIT_DETAIL_INVALID",
        "AUDIT_ENTRY_ALTERED",
        "AUDIT_ENTRY_MISSING",
        "AUDIT_HEAD_MISMATCH",
    ),
    "审计日志校验失败：可能被改动或截断。",
    "The audit log does not verify: it may have been altered or cut.",
)
_technical(
    (
        "STORE_BACKUP_AUDIT_BROKEN",
        "STORE_BACKUP_CHAIN_BROKEN",
        "STORE_BACKUP_CHAIN_ORDER",
        "STORE_BACKUP_CORRUPT",
        "STORE_BACKUP_ERROR",
        "STORE_BACKUP_INTEGRITY",
        "STORE_BACKUP_NOT_ARCHIVE",
        "STORE_BACKUP_OTHER_DEVICE",
        "STORE_BACKUP_PASSPHRASE_MISSING",
        "STORE_BACKUP_PASSPHRASE_WEAK",
        "STORE_BACKUP_PASSPHRASE_WRONG",
        "STORE_BACKUP_TARGET_EXISTS",
        "STORE_BACKUP_TARGET_IN_USE",
        "STORE_BACKUP_TECHNICIAN_REQUIRED",
        "STORE_BACKUP_UNREADABLE",
        "STORE_BACKUP_UNSUPPORTED",
        "STORE_BACKUP_WRITE_FAILED",
    ),
    "备份或恢复未能完成。",
    "A backup or restore did not complete.",
)
_technical(
    (
        "PROV_BROKER_REFUSED",
        "PROV_BROKER_TLS",
        "PROV_BROKER_UNREACHABLE",
        "PROV_CA_INVALID",
        "PROV_CA_MISSING",
        "PROV_CERT_INVALID",
        "PROV_CERT_MISSING",
        "PROV_CERT_UNREADABLE",
        "PROV_CONFIG_INVALID",
        "PROV_CONFIRM_REQUIRED",
        "PROV_GATEWAY_KEY",
        "PROV_GATEWAY_TIMEOUT",
        "PROV_KEY_LOCKED",
        "PROV_SITE_CA_MISMATCH",
        "PROV_SITE_CA_NOT_CA",
        "PROV_SITE_CA_UNREADABLE",
        "PROV_SITE_KEY_CONFLICT",
        "PROV_SITE_KEY_INVALID",
        "PROV_SITE_KEY_MISSING",
        "PROV_STORE_FAILED",
        "PROV_STORE_KEY_INVALID",
        "PROV_TLS_KEY_INVALID",
        "PROV_UNSYNCED_RESULTS",
        "PROV_USAGE",
    ),
    "设备的配置（证书、密钥）未完成或有误。",
    "Provisioning (certificates, keys) is incomplete or wrong.",
)
_technical(
    (
        "IDV_CALIBRATION_FORCE_UNAUDITED",
        "IDV_CALIBRATION_LOOSER",
        "IDV_CALIBRATION_NO_FACES",
        "IDV_CALIBRATION_NO_FOLDER",
        "IDV_CALIBRATION_NO_GENUINE",
        "IDV_CALIBRATION_TOO_FEW_PEOPLE",
        "IDV_CALIBRATION_TOO_LARGE",
    ),
    "人脸比对的现场校准未被接受或无法完成。",
    "The site's face-matching calibration was refused or could not be made.",
)
_technical(
    (
        "SEC_KEY_EXISTS",
        "SEC_KEY_FILE_INVALID",
        "SEC_KEY_PASSPHRASE",
        "SEC_MACHINE_SECRET_MISSING",
        "SEC_MACHINE_SECRET_WEAK",
        "SEC_PIN_FILE_BAD",
        "SEC_PIN_INVALID",
        "SEC_PIN_MISSING",
    ),
    "设备密钥、机器密钥或服务密码有问题。",
    "The device key, the machine secret or the service PIN has a problem.",
)
_technical(
    (
        "UI_QML_LOAD",
        "UI_I18N_MISSING",
        "UI_CRASH_LOOP",
        "UI_NOTIFY_FAILED",
        "UI_WATCHDOG_USEC_INVALID",
        "UI_DEBUG_FREEZE_REFUSED",
        "UI_DEBUG_FREEZE_INVALID",
        "UI_VOICE_UNAVAILABLE",
    ),
    "触摸屏程序的安装或运行环境有问题。",
    "The touch application's installation or environment has a problem.",
)
