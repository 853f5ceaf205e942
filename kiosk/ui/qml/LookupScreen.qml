// Pension office: the card is read, the kiosk looks up the pensioner's enrolment (a moment).
import QtQuick

Item {
    id: screen
    objectName: "lookupScreen"
    required property QtObject controller
    required property QtObject theme

    Banner {
        anchors { left: parent.left; right: parent.right; top: parent.top }
        theme: screen.theme
        title: qsTr("Proof of life")
    }
    Text {
        anchors.centerIn: parent
        text: qsTr("Looking up your registration")
        color: screen.theme.foreground
        font.pixelSize: screen.theme.titleSize
    }
}
