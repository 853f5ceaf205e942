// Pension office: the card is read, the kiosk looks up the pensioner's enrolment (a moment).
import QtQuick

Item {
    id: screen
    objectName: "lookupScreen"
    required property QtObject controller
    required property QtObject theme
    readonly property string title: qsTr("Proof of life")

    Text {
        anchors.centerIn: parent
        width: parent.width - 2 * screen.theme.margin
        wrapMode: Text.WordWrap
        horizontalAlignment: Text.AlignHCenter
        text: qsTr("Looking up your registration")
        color: screen.theme.foreground
        font.pixelSize: screen.theme.titleSize
    }
}
