// What reason codes and prompts say to a person, in the current language. One place, so
// every screen words the same code the same way; the code itself is shown small beneath,
// for staff and the technician guide. The codes' words live in the registry (kiosk/reasons).
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
    // A reason code's words come from the registry (kiosk/reasons, through the
    // ``reasonTexts`` context object): no code is worded here, so a screen can never say
    // something generic under a precise code. The language is passed in so that bindings
    // re-word themselves when it changes.
    function hint(code) { return reasonTexts.hint(code, reasonTexts.language) }
    function error(code) { return reasonTexts.text(code, reasonTexts.language) }
    function nextStep(code) { return reasonTexts.nextStep(code, reasonTexts.language) }
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
}
