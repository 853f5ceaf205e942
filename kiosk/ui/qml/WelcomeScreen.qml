// First screen: choose the language, then start. Reached again after every flow's wipe.
import QtQuick
import QtQuick.Layouts

Item {
    id: screen
    objectName: "welcomeScreen"
    required property QtObject controller
    required property QtObject theme
    required property QtObject texts
    readonly property bool pension: controller.flow === "pension_survival"

    Banner {
        id: banner
        anchors { left: parent.left; right: parent.right; top: parent.top }
        theme: screen.theme
        title: screen.pension ? qsTr("Proof of life") : qsTr("Identity verification")
    }
    MouseArea {
        // The hidden door to service mode: hold the top-left corner for 3 seconds. While
        // held, a bar fills along the corner's bottom, so the technician knows it counts.
        id: serviceCorner
        objectName: "serviceCorner"
        anchors { left: parent.left; top: parent.top }
        width: screen.theme.touchTarget
        height: screen.theme.touchTarget
        pressAndHoldInterval: 3000
        onPressAndHold: screen.controller.openService()
        Rectangle {
            objectName: "serviceHoldProgress"
            anchors { left: parent.left; bottom: parent.bottom }
            height: screen.theme.mm * 1.5
            width: 0
            color: screen.theme.accent
            visible: serviceCorner.pressed
            NumberAnimation on width {
                running: serviceCorner.pressed
                from: 0; to: serviceCorner.width; duration: 3000
            }
        }
    }

    ColumnLayout {
        anchors.centerIn: parent
        spacing: screen.theme.margin

        Text {
            Layout.alignment: Qt.AlignHCenter
            text: qsTr("Welcome")
            color: screen.theme.foreground
            font.pixelSize: screen.theme.titleSize
            font.bold: true
        }
        Text {
            Layout.alignment: Qt.AlignHCenter
            Layout.maximumWidth: screen.width * 0.8
            wrapMode: Text.WordWrap
            horizontalAlignment: Text.AlignHCenter
            text: screen.pension
                  ? qsTr("Prove for your pension that you are alive, with your resident ID card and your face.")
                  : qsTr("Verify your identity with your ID card or passport and your face.")
            color: screen.theme.muted
            font.pixelSize: screen.theme.bodySize
        }
        Text {
            // Why the last session ended, when it did not end normally (timeout, PIN lockout).
            objectName: "welcomeError"
            Layout.alignment: Qt.AlignHCenter
            Layout.maximumWidth: screen.width * 0.8
            visible: screen.controller.error !== ""
            wrapMode: Text.WordWrap
            horizontalAlignment: Text.AlignHCenter
            text: screen.texts.error(screen.controller.error)
            color: "#b3261e"
            font.pixelSize: screen.theme.bodySize * 0.8
        }
        KioskButton {
            objectName: "startButton"
            Layout.alignment: Qt.AlignHCenter
            Layout.topMargin: screen.theme.margin
            Layout.preferredWidth: screen.width * 0.45
            Layout.preferredHeight: screen.theme.touchTarget * 1.5
            theme: screen.theme
            primary: true
            enabled: screen.controller.ready
            text: screen.controller.ready ? qsTr("Start verification") : qsTr("Getting ready…")
            onClicked: screen.controller.start()
        }
    }

    Row {
        anchors { bottom: parent.bottom; horizontalCenter: parent.horizontalCenter; bottomMargin: screen.theme.margin }
        spacing: screen.theme.margin
        // Language names are written in their own language, so they are never translated.
        KioskButton {
            objectName: "languageZh"
            theme: screen.theme
            text: "中文"
            selected: screen.controller.language === "zh_CN"
            onClicked: screen.controller.setLanguage("zh_CN")
        }
        KioskButton {
            objectName: "languageEn"
            theme: screen.theme
            text: "English"
            selected: screen.controller.language === "en"
            onClicked: screen.controller.setLanguage("en")
        }
        // Larger text and high contrast for people who need them; they stay until changed.
        KioskButton {
            objectName: "largeTextToggle"
            theme: screen.theme
            text: qsTr("Larger text")
            selected: screen.theme.largeText
            onClicked: screen.theme.largeText = !screen.theme.largeText
        }
        KioskButton {
            objectName: "highContrastToggle"
            theme: screen.theme
            text: qsTr("High contrast")
            selected: screen.theme.highContrast
            onClicked: screen.theme.highContrast = !screen.theme.highContrast
        }
    }
}
