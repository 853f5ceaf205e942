// Pension office, first visit: a member of staff unlocks the supervised enrolment with their
// PIN. A large keypad rather than a keyboard: digits only, every key a touch target. The PIN
// lives in this screen only until OK (then the flow checks it and forgets it).
import QtQuick
import QtQuick.Layouts

Item {
    id: screen
    objectName: "staffPinScreen"
    required property QtObject controller
    required property QtObject theme
    required property QtObject texts
    property string pin: ""

    Banner {
        id: banner
        anchors { left: parent.left; right: parent.right; top: parent.top }
        theme: screen.theme
        title: qsTr("First visit: enrolment with staff")
    }
    ColumnLayout {
        anchors { top: banner.bottom; left: parent.left; margins: screen.theme.margin }
        width: parent.width * 0.45
        spacing: screen.theme.margin
        Text {
            Layout.fillWidth: true
            wrapMode: Text.WordWrap
            text: qsTr("You are not registered at this office yet. Please ask a member of staff to come to the kiosk.")
            color: screen.theme.foreground
            font.pixelSize: screen.theme.bodySize
        }
        Text {
            Layout.fillWidth: true
            wrapMode: Text.WordWrap
            text: qsTr("Staff: enter your PIN to supervise the enrolment.")
            color: screen.theme.muted
            font.pixelSize: screen.theme.bodySize
        }
        Text {
            objectName: "pinError"
            Layout.fillWidth: true
            visible: screen.controller.error === "UI_PIN_WRONG"
            wrapMode: Text.WordWrap
            text: qsTr("Wrong PIN. Attempts left: %1").arg(screen.controller.pinAttemptsLeft)
            color: "#b3261e"
            font.pixelSize: screen.theme.bodySize
        }
    }
    ColumnLayout {
        anchors { verticalCenter: parent.verticalCenter; right: parent.right
                  margins: screen.theme.margin }
        width: parent.width * 0.42
        spacing: screen.theme.mm * 3
        Text {
            objectName: "pinDots"
            Layout.alignment: Qt.AlignHCenter
            text: screen.pin.length > 0 ? "\u25CF ".repeat(screen.pin.length).trim() : " "
            color: screen.theme.foreground
            font.pixelSize: screen.theme.titleSize
        }
        GridLayout {
            Layout.alignment: Qt.AlignHCenter
            columns: 3
            rowSpacing: screen.theme.mm * 3
            columnSpacing: screen.theme.mm * 3
            Repeater {
                model: ["1", "2", "3", "4", "5", "6", "7", "8", "9", "clear", "0", "ok"]
                KioskButton {
                    required property string modelData
                    objectName: modelData === "clear" ? "pinClear"
                              : modelData === "ok" ? "pinOk" : "pinKey" + modelData
                    theme: screen.theme
                    primary: modelData === "ok"
                    implicitWidth: screen.theme.touchTarget * 2
                    enabled: modelData !== "ok" || screen.pin.length >= 4
                    text: modelData === "clear" ? qsTr("Clear")
                        : modelData === "ok" ? qsTr("OK") : modelData
                    onClicked: {
                        if (modelData === "clear") {
                            screen.pin = ""
                        } else if (modelData === "ok") {
                            const entered = screen.pin
                            screen.pin = ""
                            screen.controller.enterPin(entered)
                        } else if (screen.pin.length < 12) {
                            screen.pin += modelData
                        }
                    }
                }
            }
        }
    }
    KioskButton {
        objectName: "backButton"
        anchors { left: parent.left; bottom: parent.bottom; margins: screen.theme.margin }
        theme: screen.theme
        text: qsTr("Cancel")
        onClicked: screen.controller.back()
    }
}
