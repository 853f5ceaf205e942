// The demo control panel (kiosk/ui/demo_panel.py): beside the kiosk window, the hands of a
// newcomer on the simulated devices. Shown by `bdmi-kiosk --demo-panel` (`make demo`) when
// the config runs on simulated devices; never on a real kiosk.
import QtQuick
import QtQuick.Layouts
import QtQuick.Window

Window {
    id: window
    objectName: "demoPanelWindow"
    required property QtObject panel
    required property QtObject controller
    width: 420
    height: 800
    visible: true
    title: qsTr("Demo control panel")
    color: panelTheme.background

    Theme { id: panelTheme; largeText: false; highContrast: false }

    ColumnLayout {
        anchors { fill: parent; margins: panelTheme.gap }
        spacing: panelTheme.gap

        Text {
            Layout.fillWidth: true
            wrapMode: Text.WordWrap
            text: qsTr("Demo control panel")
            color: panelTheme.foreground
            font.pixelSize: panelTheme.bodySize * 0.8
            font.bold: true
        }
        Text {
            Layout.fillWidth: true
            wrapMode: Text.WordWrap
            visible: !window.panel.ready
            text: qsTr("Opening the simulated devices…")
            color: panelTheme.muted
            font.pixelSize: panelTheme.smallSize * 0.8
        }

        Repeater {
            // One group of buttons per simulated part the kiosk opened.
            model: [
                { "title": qsTr("ID card reader"), "shown": window.panel.hasIdCard, "buttons": [
                    { "name": "demoInsertIdCard", "text": qsTr("Put the ID card on"), "act": "insertIdCard" },
                    { "name": "demoRemoveIdCard", "text": qsTr("Take it away"), "act": "removeIdCard" },
                    { "name": "demoWrongCard", "text": qsTr("A wrong card (transit card)"), "act": "insertWrongCard" }] },
                { "title": qsTr("Passport reader"), "shown": window.panel.hasPassport, "buttons": [
                    { "name": "demoLayPassport", "text": qsTr("Lay the passport down"), "act": "layPassport",
                      "on": window.panel.passportDown },
                    { "name": "demoLiftPassport", "text": qsTr("Lift it"), "act": "liftPassport" },
                    { "name": "demoPassportKeySwiped", "text": qsTr("Its MRZ swiped"),
                      "act": "passportKeySwiped", "on": window.panel.passportKeyKnown },
                    { "name": "demoPassportKeyTyped", "text": qsTr("Its details typed at the kiosk"),
                      "act": "passportKeyTyped", "on": !window.panel.passportKeyKnown }] },
                { "title": qsTr("The person at the camera"), "shown": window.panel.ready, "buttons": [
                    { "name": "demoPersonFollows", "text": qsTr("Follows the prompts"), "person": "follows" },
                    { "name": "demoPersonSilent", "text": qsTr("Stays silent"), "person": "silent" },
                    { "name": "demoPersonSomeoneElse", "text": qsTr("Is someone else"),
                      "person": "someone_else" }] }
            ]
            ColumnLayout {
                id: group
                required property var modelData
                Layout.fillWidth: true
                visible: modelData.shown
                spacing: panelTheme.gap
                Text {
                    Layout.fillWidth: true
                    Layout.topMargin: panelTheme.gap
                    text: group.modelData.title
                    color: panelTheme.foreground
                    font.pixelSize: panelTheme.smallSize * 0.8
                    font.bold: true
                }
                Flow {
                    Layout.fillWidth: true
                    spacing: panelTheme.gap
                    Repeater {
                        model: group.modelData.buttons
                        KioskButton {
                            required property var modelData
                            objectName: modelData.name
                            theme: panelTheme
                            font.pixelSize: panelTheme.smallSize * 0.7
                            implicitWidth: Math.max(panelTheme.touchTarget * 1.5,
                                                    contentItem.implicitWidth + 2 * panelTheme.gap)
                            text: modelData.text
                            selected: modelData.person !== undefined
                                      ? window.panel.person === modelData.person
                                      : modelData.on === true
                            onClicked: modelData.person !== undefined
                                       ? window.panel.setPerson(modelData.person)
                                       : window.panel[modelData.act]()
                        }
                    }
                }
            }
        }
        Text {
            Layout.fillWidth: true
            wrapMode: Text.WordWrap
            visible: window.panel.ready
            text: qsTr("The person's choice applies from the next face check. Someone else is caught against the passport's chip photo; an ID card's photo cannot be decoded here, so with the ID card the check is the liveness only.")
            color: panelTheme.muted
            font.pixelSize: panelTheme.smallSize * 0.7
        }
        Text {
            Layout.fillWidth: true
            wrapMode: Text.WordWrap
            text: qsTr("Kiosk screen: %1").arg(window.controller.screen)
            color: panelTheme.muted
            font.pixelSize: panelTheme.smallSize * 0.7
            font.family: "monospace"
        }
        Item { Layout.fillHeight: true }
    }
}
