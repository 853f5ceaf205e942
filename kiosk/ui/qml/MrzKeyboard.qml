// An on-screen keyboard for the machine-readable zone: digits, A-Z and the filler '<', each
// key a touch target (PySide6-Essentials has no Qt Virtual Keyboard). Letter keys are
// disabled while a date field is being typed.
import QtQuick
import QtQuick.Layouts

ColumnLayout {
    id: keyboard
    required property QtObject theme
    property bool digitsOnly: false
    signal typed(string key)
    signal erased()
    spacing: theme.mm * 2

    Repeater {
        model: ["1234567890", "QWERTYUIOP", "ASDFGHJKL<", "ZXCVBNM"]
        RowLayout {
            id: row
            required property string modelData
            required property int index
            Layout.alignment: Qt.AlignHCenter
            spacing: keyboard.theme.mm * 2
            Repeater {
                model: row.modelData.split("")
                KioskButton {
                    required property string modelData
                    objectName: "mrzKey" + (modelData === "<" ? "Filler" : modelData)
                    theme: keyboard.theme
                    implicitWidth: keyboard.theme.touchTarget
                    // A key is one character: sized to the key, not to the body text.
                    font.pixelSize: Math.min(keyboard.theme.bodySize, keyboard.theme.touchTarget * 0.55)
                    font.family: "monospace"
                    enabled: !keyboard.digitsOnly || row.index === 0
                    text: modelData
                    onClicked: keyboard.typed(modelData)
                }
            }
            KioskButton {
                visible: row.index === 3
                objectName: "mrzKeyErase"
                theme: keyboard.theme
                implicitWidth: keyboard.theme.touchTarget * 2
                font.pixelSize: Math.min(keyboard.theme.bodySize, keyboard.theme.touchTarget * 0.55)
                text: "\u232B"
                onClicked: keyboard.erased()
            }
        }
    }
}
