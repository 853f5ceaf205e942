// First screen: what the kiosk does, and Start. Reached again after every flow's wipe, with
// nothing of the last session on it (its reason code goes to the log and the service mode).
// The language and display settings are in the banner, on every screen.
import QtQuick
import QtQuick.Layouts

Item {
    id: screen
    objectName: "welcomeScreen"
    required property QtObject controller
    required property QtObject theme
    required property QtObject texts
    readonly property bool pension: controller.flow === "pension_survival"
    readonly property string title: pension ? qsTr("Proof of life") : qsTr("Identity verification")

    ColumnLayout {
        anchors.centerIn: parent
        width: parent.width - 2 * screen.theme.margin
        spacing: screen.theme.margin

        Text {
            Layout.fillWidth: true
            wrapMode: Text.WordWrap
            horizontalAlignment: Text.AlignHCenter
            text: qsTr("Welcome")
            color: screen.theme.foreground
            font.pixelSize: screen.theme.titleSize
            font.bold: true
        }
        Text {
            Layout.fillWidth: true
            wrapMode: Text.WordWrap
            horizontalAlignment: Text.AlignHCenter
            visible: screen.controller.outOfService === ""
            text: screen.pension
                  ? qsTr("Prove for your pension that you are alive, with your resident ID card and your face.")
                  : qsTr("Verify your identity with your ID card or passport and your face.")
            color: screen.theme.muted
            font.pixelSize: screen.theme.bodySize
        }
        KioskButton {
            objectName: "startButton"
            Layout.alignment: Qt.AlignHCenter
            Layout.topMargin: screen.theme.gap
            Layout.preferredWidth: Math.max(screen.width * 0.45, implicitWidth)
            Layout.preferredHeight: screen.theme.touchTarget * 1.5
            visible: screen.controller.outOfService === ""
            theme: screen.theme
            primary: true
            enabled: screen.controller.ready
            text: screen.controller.ready ? qsTr("Start verification") : qsTr("Getting ready…")
            onClicked: screen.controller.start()
        }
        // Out of service (kiosk/ops/staleness.py): no Start, why in words, the way to staff
        // (Call staff in the banner), and the code for the technician.
        ColumnLayout {
            objectName: "outOfService"
            Layout.fillWidth: true
            visible: screen.controller.outOfService !== ""
            spacing: screen.theme.gap
            Text {
                objectName: "outOfServiceTitle"
                Layout.fillWidth: true
                wrapMode: Text.WordWrap
                horizontalAlignment: Text.AlignHCenter
                text: qsTr("This kiosk is out of service")
                color: screen.theme.foreground
                font.pixelSize: screen.theme.titleSize
                font.bold: true
            }
            Text {
                objectName: "outOfServiceText"
                Layout.fillWidth: true
                wrapMode: Text.WordWrap
                horizontalAlignment: Text.AlignHCenter
                text: screen.texts.error(screen.controller.outOfService)
                color: screen.theme.foreground
                font.pixelSize: screen.theme.bodySize
            }
            Text {
                objectName: "outOfServiceNextStep"
                Layout.fillWidth: true
                wrapMode: Text.WordWrap
                horizontalAlignment: Text.AlignHCenter
                text: screen.texts.nextStep(screen.controller.outOfService)
                color: screen.theme.muted
                font.pixelSize: screen.theme.bodySize
            }
            Text {
                objectName: "outOfServiceCode"
                Layout.alignment: Qt.AlignHCenter
                text: screen.controller.outOfService
                color: screen.theme.muted
                font.pixelSize: screen.theme.smallSize
                font.family: "monospace"
            }
        }
    }
}
