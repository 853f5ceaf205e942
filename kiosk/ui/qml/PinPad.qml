// A digit keypad for PINs: every key a touch target, the digits shown as dots. The PIN lives
// here only until OK, then goes to `entered` and is cleared.
import QtQuick
import QtQuick.Layouts

ColumnLayout {
    id: pad
    required property QtObject theme
    property string pin: ""
    signal entered(string pin)
    spacing: theme.mm * 3

    Text {
        objectName: "pinDots"
        Layout.alignment: Qt.AlignHCenter
        text: pad.pin.length > 0 ? "\u25CF ".repeat(pad.pin.length).trim() : " "
        color: pad.theme.foreground
        font.pixelSize: pad.theme.titleSize
    }
    GridLayout {
        Layout.alignment: Qt.AlignHCenter
        columns: 3
        rowSpacing: pad.theme.mm * 3
        columnSpacing: pad.theme.mm * 3
        Repeater {
            model: ["1", "2", "3", "4", "5", "6", "7", "8", "9", "clear", "0", "ok"]
            KioskButton {
                required property string modelData
                objectName: modelData === "clear" ? "pinClear"
                          : modelData === "ok" ? "pinOk" : "pinKey" + modelData
                theme: pad.theme
                primary: modelData === "ok"
                implicitWidth: pad.theme.touchTarget * 2
                enabled: modelData !== "ok" || pad.pin.length >= 4
                text: modelData === "clear" ? qsTr("Clear")
                    : modelData === "ok" ? qsTr("OK") : modelData
                onClicked: {
                    if (modelData === "clear") {
                        pad.pin = ""
                    } else if (modelData === "ok") {
                        const typed = pad.pin
                        pad.pin = ""
                        pad.entered(typed)
                    } else if (pad.pin.length < 12) {
                        pad.pin += modelData
                    }
                }
            }
        }
    }
}
