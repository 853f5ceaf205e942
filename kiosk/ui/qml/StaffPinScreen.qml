// Pension office, first visit: the kiosk has called staff (kiosk/flows/pension.py); a member
// of staff unlocks the supervised enrolment with their PIN on a large keypad (PinPad.qml);
// the flow checks it and forgets it.
import QtQuick
import QtQuick.Layouts

Item {
    id: screen
    objectName: "staffPinScreen"
    required property QtObject controller
    required property QtObject theme
    required property QtObject texts
    readonly property string title: qsTr("First visit: enrolment with staff")

    ColumnLayout {
        anchors { top: parent.top; left: parent.left; margins: screen.theme.margin
                  topMargin: screen.theme.gap }
        width: parent.width - pad.width - 3 * screen.theme.margin
        spacing: screen.theme.margin
        Text {
            Layout.fillWidth: true
            wrapMode: Text.WordWrap
            objectName: "firstVisitText"
            // The kiosk called staff itself (the site hears it): the pensioner only waits,
            // and the screen is not wiped meanwhile.
            text: screen.controller.staffCalled
                  ? qsTr("You are not registered at this office yet. A member of staff has been called and is coming to the kiosk. Please wait here.")
                  : qsTr("You are not registered at this office yet. Please ask a member of staff to come to the kiosk.")
            color: screen.theme.foreground
            font.pixelSize: screen.theme.bodySize
        }
        Text {
            Layout.fillWidth: true
            wrapMode: Text.WordWrap
            text: qsTr("Staff: enter your PIN to supervise the enrolment.")
            color: screen.theme.muted
            font.pixelSize: screen.theme.smallSize
        }
        Text {
            objectName: "pinError"
            Layout.fillWidth: true
            visible: screen.controller.error === "UI_PIN_WRONG"
            wrapMode: Text.WordWrap
            text: qsTr("Wrong PIN. Attempts left: %1").arg(screen.controller.pinAttemptsLeft)
            color: screen.theme.danger
            font.pixelSize: screen.theme.bodySize
        }
    }
    PinPad {
        id: pad
        anchors { top: parent.top; right: parent.right; margins: screen.theme.gap
                  rightMargin: screen.theme.margin }
        theme: screen.theme
        onEntered: (pin) => screen.controller.enterPin(pin)
    }
    KioskButton {
        objectName: "backButton"
        anchors { left: parent.left; bottom: parent.bottom; margins: screen.theme.gap
                  leftMargin: screen.theme.margin }
        theme: screen.theme
        text: qsTr("Cancel")
        onClicked: screen.controller.back()
    }
}
