// A passport or eID chip without its access key: the person types the document number and
// the two dates from the photo page (ICAO 9303-11 BAC needs exactly these). What is typed
// lives in this screen only; it goes to the flow on Continue and is gone with the screen.
import QtQuick
import QtQuick.Layouts

Item {
    id: screen
    objectName: "mrzEntryScreen"
    required property QtObject controller
    required property QtObject theme
    required property QtObject texts
    property string number: ""
    property string birth: ""
    property string expiry: ""
    property string active: "number"  // the field the keyboard types into
    readonly property bool complete: number.length > 0 && birth.length === 6 && expiry.length === 6
    readonly property string title: qsTr("Passport: enter the photo page details")

    function type(key) {
        if (active === "number" && number.length < 9) number += key
        else if (active === "birth" && birth.length < 6) { birth += key; if (birth.length === 6) active = "expiry" }
        else if (active === "expiry" && expiry.length < 6) expiry += key
    }
    function erase() {
        if (active === "number") number = number.slice(0, -1)
        else if (active === "birth") birth = birth.slice(0, -1)
        else expiry = expiry.slice(0, -1)
    }

    // Left: what to type and the three fields; right: the keyboard, then any error.
    ColumnLayout {
        id: fields
        anchors { top: parent.top; left: parent.left; bottom: backButton.top
                  leftMargin: screen.theme.margin; topMargin: screen.theme.gap
                  bottomMargin: screen.theme.gap }
        width: parent.width - keyboard.width - 3 * screen.theme.margin
        spacing: screen.theme.gap
        Repeater {
            // Dates as the photo page's machine-readable lines print them: year, month, day,
            // two digits each; the example says how a real date becomes six digits.
            model: [
                { "key": "number", "label": qsTr("Document number"), "name": "mrzNumberField",
                  "field": "document_number" },
                { "key": "birth", "label": qsTr("Date of birth (YYMMDD)"), "name": "mrzBirthField",
                  "field": "birth_date",
                  "example": qsTr("For example 15 March 1949: 490315") },
                { "key": "expiry", "label": qsTr("Date of expiry (YYMMDD)"), "name": "mrzExpiryField",
                  "field": "expiry_date",
                  "example": qsTr("For example 1 July 2031: 310701") }
            ]
            ColumnLayout {
                id: entry
                required property var modelData
                Layout.fillWidth: true
                spacing: screen.theme.mm
                Text {
                    Layout.fillWidth: true
                    wrapMode: Text.WordWrap
                    text: entry.modelData.label
                    objectName: entry.modelData.name + "Label"
                    // the field an error names (drivers/mrz: document_number, birth_date...)
                    color: screen.controller.mrzField === entry.modelData.field
                           ? screen.theme.danger : screen.theme.muted
                    font.pixelSize: screen.theme.smallSize
                }
                Rectangle {
                    objectName: entry.modelData.name
                    Layout.fillWidth: true
                    implicitHeight: screen.theme.touchTarget
                    radius: screen.theme.mm * 2
                    color: screen.theme.secondary
                    border.width: screen.active === entry.modelData.key ? screen.theme.mm
                                                                         : Math.max(2, screen.theme.mm / 3)
                    border.color: screen.active === entry.modelData.key ? screen.theme.accent
                                                                         : screen.theme.secondaryBorder
                    property string text: screen[entry.modelData.key]
                    Text {
                        anchors { verticalCenter: parent.verticalCenter; left: parent.left
                                  leftMargin: screen.theme.mm * 3 }
                        text: parent.text
                        color: screen.theme.foreground
                        font.pixelSize: screen.theme.bodySize
                        font.family: "monospace"
                    }
                    MouseArea { anchors.fill: parent; onClicked: screen.active = entry.modelData.key }
                }
                Text {  // how a date is typed, under the date field being typed
                    objectName: entry.modelData.name + "Example"
                    Layout.fillWidth: true
                    visible: entry.modelData.example !== undefined && screen.active === entry.modelData.key
                    wrapMode: Text.WordWrap
                    text: entry.modelData.example || ""
                    color: screen.theme.foreground
                    font.pixelSize: screen.theme.smallSize
                }
            }
        }
    }
    MrzKeyboard {
        id: keyboard
        anchors { top: parent.top; right: parent.right; margins: screen.theme.margin
                  topMargin: screen.theme.gap }
        theme: screen.theme
        digitsOnly: screen.active !== "number"
        onTyped: (key) => screen.type(key)
        onErased: screen.erase()
    }
    ColumnLayout {
        anchors { top: keyboard.bottom; left: keyboard.left; right: keyboard.right
                  topMargin: screen.theme.gap }
        spacing: screen.theme.mm
        Text {  // what to do, until an error says what went wrong instead
            Layout.fillWidth: true
            visible: screen.controller.error === ""
            wrapMode: Text.WordWrap
            text: qsTr("The chip needs three details printed on the photo page. Leave the passport on the reader.")
            color: screen.theme.foreground
            font.pixelSize: screen.theme.smallSize
        }
        Text {
            objectName: "mrzError"
            Layout.fillWidth: true
            visible: screen.controller.error !== ""
            wrapMode: Text.WordWrap
            text: screen.texts.error(screen.controller.error)
            color: screen.theme.danger
            font.pixelSize: screen.theme.smallSize
        }
        Text {
            objectName: "mrzErrorCode"
            visible: screen.controller.error !== ""
            text: screen.controller.error
            color: screen.theme.muted
            font.pixelSize: screen.theme.smallSize * 0.8
            font.family: "monospace"
        }
    }
    KioskButton {
        id: backButton
        objectName: "backButton"
        anchors { left: parent.left; bottom: parent.bottom; margins: screen.theme.gap
                  leftMargin: screen.theme.margin }
        theme: screen.theme
        text: qsTr("Cancel")
        onClicked: screen.controller.back()
    }
    KioskButton {
        objectName: "mrzContinueButton"
        anchors { right: parent.right; bottom: parent.bottom; margins: screen.theme.gap
                  rightMargin: screen.theme.margin }
        theme: screen.theme
        primary: true
        enabled: screen.complete
        text: qsTr("Continue")
        onClicked: {
            const typed = [screen.number, screen.birth, screen.expiry]
            screen.number = ""; screen.birth = ""; screen.expiry = ""; screen.active = "number"
            screen.controller.enterMrz(typed[0], typed[1], typed[2])
        }
    }
}
