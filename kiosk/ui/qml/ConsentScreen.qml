// Insurance consent, after a verified pass: who asks, for which records, why and how long.
// The person accepts or declines with one large button each; Cancel walks away (nothing is
// recorded: no answer is not a decline).
import QtQuick
import QtQuick.Layouts

Item {
    id: screen
    objectName: "consentScreen"
    required property QtObject controller
    required property QtObject theme
    required property QtObject texts
    readonly property string title: qsTr("Insurance consent")

    // Left: who asks for which records; right: why, how long, what is sent. Two columns, so
    // the terms fit above the buttons in larger text too, without scrolling.
    RowLayout {
        anchors { top: parent.top; left: parent.left; right: parent.right; bottom: buttons.top
                  leftMargin: screen.theme.margin; rightMargin: screen.theme.margin
                  topMargin: screen.theme.gap; bottomMargin: screen.theme.gap }
        spacing: screen.theme.margin
    ColumnLayout {
        Layout.alignment: Qt.AlignTop
        Layout.preferredWidth: (parent.width - parent.spacing) * 0.55
        spacing: screen.theme.gap
        Text {
            objectName: "consentQuestion"
            Layout.fillWidth: true
            wrapMode: Text.WordWrap
            text: qsTr("%1 asks for your consent to see the following records:")
                  .arg(screen.controller.consentInsurer)
            color: screen.theme.foreground
            font.pixelSize: screen.theme.bodySize
            font.bold: true
        }
        Repeater {
            model: screen.controller.consentScope
            delegate: Text {
                required property string modelData
                objectName: "consentScope_" + modelData
                Layout.fillWidth: true
                leftPadding: screen.theme.gap
                wrapMode: Text.WordWrap
                text: "• " + screen.texts.scope(modelData)
                color: screen.theme.foreground
                font.pixelSize: screen.theme.bodySize
            }
        }
    }
    ColumnLayout {
        Layout.alignment: Qt.AlignTop
        Layout.fillWidth: true
        spacing: screen.theme.gap
        Text {
            objectName: "consentPurpose"
            Layout.fillWidth: true
            wrapMode: Text.WordWrap
            text: qsTr("Purpose: %1").arg(screen.texts.purpose(screen.controller.consentPurpose))
            color: screen.theme.foreground
            font.pixelSize: screen.theme.smallSize
        }
        Text {
            objectName: "consentDuration"
            Layout.fillWidth: true
            wrapMode: Text.WordWrap
            text: qsTr("For %1 days, until %2. You can withdraw it at any time at the hospital's desk.")
                  .arg(screen.controller.consentDays).arg(screen.controller.consentUntil)
            color: screen.theme.foreground
            font.pixelSize: screen.theme.smallSize
        }
        Text {
            Layout.fillWidth: true
            wrapMode: Text.WordWrap
            text: qsTr("Your name and document number are not sent: the insurer receives a signed record of your answer only.")
            color: screen.theme.muted
            font.pixelSize: screen.theme.smallSize
        }
    }
    }
    RowLayout {
        id: buttons
        anchors { right: parent.right; bottom: parent.bottom; margins: screen.theme.gap
                  rightMargin: screen.theme.margin }
        spacing: screen.theme.margin
        KioskButton {
            objectName: "declineButton"
            theme: screen.theme
            text: qsTr("Decline")
            onClicked: screen.controller.declineConsent()
        }
        KioskButton {
            objectName: "acceptButton"
            theme: screen.theme
            primary: true
            text: qsTr("I agree")
            onClicked: screen.controller.acceptConsent()
        }
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
