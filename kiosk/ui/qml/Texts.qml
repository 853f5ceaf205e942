// What reason codes and prompts say to a person, in the current language. One place, so
// every screen words the same code the same way; the code itself is shown small beneath,
// for staff and the technician guide.
import QtQuick

QtObject {
    function challenge(code) {
        switch (code) {
        case "blink": return qsTr("Blink your eyes")
        case "turn_left": return qsTr("Turn your head to your left")
        case "turn_right": return qsTr("Turn your head to your right")
        case "nod": return qsTr("Nod your head")
        case "open_mouth": return qsTr("Open your mouth")
        default: return qsTr("Look at the camera")
        }
    }
    function hint(code) {
        switch (code) {
        case "": return ""
        case "IDV_NO_FACE": return qsTr("We cannot see your face")
        case "IDV_MULTIPLE_FACES": return qsTr("Only one person in front of the camera, please")
        case "IDV_TOO_FAR": return qsTr("Come a little closer")
        case "IDV_TOO_NEAR": return qsTr("Move back a little")
        case "IDV_OFF_CENTRE": return qsTr("Move your face into the oval")
        case "IDV_TOO_DARK": return qsTr("It is too dark")
        case "IDV_TOO_BRIGHT": return qsTr("There is too much light behind or on you")
        case "IDV_BLURRED": return qsTr("Hold still")
        case "IDV_EYES_CLOSED": return qsTr("Open your eyes")
        case "IDV_OCCLUDED": return qsTr("Remove anything covering your face")
        default: return qsTr("Look straight at the camera")
        }
    }
    // Service mode: devices and outbox states in the technician's language (the codes are
    // the ones `kioskctl outbox` and the technician guide use).
    function device(name) {
        switch (name) {
        case "sam": return qsTr("ID card reader")
        case "pcsc": return qsTr("Passport reader")
        case "camera": return qsTr("Camera")
        default: return name
        }
    }
    function deviceState(state) {
        switch (state) {
        case "ok": return qsTr("working")
        case "simulated": return qsTr("simulated (demo)")
        case "unavailable": return qsTr("not available")
        default: return state
        }
    }
    function outboxState(state) {
        switch (state) {
        case "pending": return qsTr("waiting to send")
        case "sending": return qsTr("sending")
        case "accepted": return qsTr("received by the gateway")
        case "anchored": return qsTr("anchored on chain")
        default: return state
        }
    }
    function scope(code) {
        switch (code) {
        case "hospital_records": return qsTr("Your hospital records")
        case "prescriptions": return qsTr("Your prescriptions")
        case "lab_results": return qsTr("Your laboratory results")
        case "imaging": return qsTr("Your imaging reports (X-ray, CT, MRI)")
        case "discharge_summaries": return qsTr("Your discharge summaries")
        default: return code
        }
    }
    function purpose(code) {
        switch (code) {
        case "underwriting": return qsTr("deciding on your insurance application")
        case "claims": return qsTr("settling your insurance claim")
        default: return code
        }
    }
    function error(code) {
        switch (code) {
        case "": return ""
        case "DRV_CARD_REMOVED": return qsTr("The card was removed too early. Place it on the reader again and leave it there.")
        case "DRV_NO_CARD": return qsTr("No card found. Place your card on the reader.")
        case "DRV_SAM_CARD_TYPE": return qsTr("This card is not a resident ID card. Please take it away and place your ID card on the reader.")
        case "DRV_EMRTD_BAC_DENIED": return qsTr("These details do not open the chip. Please check them against the photo page and try again.")
        case "DRV_MRZ_DATE": return qsTr("A date must be six digits: year, month and day (YYMMDD).")
        case "DRV_MRZ_CHARSET":
        case "DRV_MRZ_FIELD": return qsTr("Please check the document number.")
        case "UI_DOCUMENT_NOT_ACCEPTED": return qsTr("This document cannot be used here. Please use another one.")
        case "UI_TIMEOUT": return qsTr("The session ended because nothing happened for a while.")
        case "UI_PIN_LOCKED": return qsTr("Too many wrong PINs: enrolment is locked for a few minutes. Please see the staff.")
        case "DRV_PRINTER_NO_PAPER": return qsTr("The printer is out of paper. Please write your reference down, or see the staff.")
        case "DRV_PRINTER_UNAVAILABLE":
        case "DRV_PRINTER_TIMEOUT":
        case "DRV_NOT_CONFIGURED":
        case "UI_NO_RECEIPT": return qsTr("The receipt could not be printed. Please write your reference down, or see the staff.")
        case "STORE_QUOTA_REACHED":
        case "STORE_DISK_LOW": return qsTr("The result could not be saved. Please see the staff.")
        default: return qsTr("The document could not be read. Please try again or see the staff.")
        }
    }
}
