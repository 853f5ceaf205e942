// The strip across the top of every screen: the person's settings (language, larger text,
// contrast, hear it again, call staff) on the right, the screen's title below them. It is
// part of the window, not of a screen, so every screen has it and no screen lays anything
// over it: screens live in the area below (Main.qml). The settings are the controller's and
// go back to the site's defaults at every wipe.
import QtQuick
import QtQuick.Layouts

Rectangle {
    id: banner
    objectName: "banner"
    required property QtObject theme
    required property QtObject controller
    property string title
    property bool settingsShown: true

    implicitHeight: column.implicitHeight + 2 * theme.gap
    color: theme.banner
    Rectangle {  // the edge between the banner and the screen, visible in high contrast too
        anchors { left: parent.left; right: parent.right; bottom: parent.bottom }
        height: Math.max(2, banner.theme.mm / 2)
        color: banner.theme.bannerRule
    }

    ColumnLayout {
        id: column
        anchors { left: parent.left; right: parent.right; top: parent.top
                  leftMargin: banner.theme.margin; rightMargin: banner.theme.gap
                  topMargin: banner.theme.gap }
        spacing: banner.theme.gap

        Flow {
            id: settings
            objectName: "settingsBar"
            Layout.fillWidth: true
            visible: banner.settingsShown
            layoutDirection: Qt.RightToLeft
            spacing: banner.theme.gap
            // Right to left: the first here is the rightmost on screen.
            SettingButton {
                objectName: "callStaffButton"
                theme: banner.theme
                selected: banner.controller.staffCalled === true
                text: banner.controller.staffCalled === true ? qsTr("Staff are coming")
                                                              : qsTr("Call staff")
                // Until the staff call lands (issue 16, "reasons" branch) the slot may be absent.
                onClicked: if (banner.controller.callStaff) banner.controller.callStaff()
            }
            SettingButton {
                // Loud, medium, soft, round again. The level is the controller's `volume`
                // and `setVolume(percent)` (the reasons branch: voice); guarded until then.
                objectName: "volumeButton"
                readonly property var levels: [100, 60, 30]
                readonly property int level: typeof banner.controller.volume === "number"
                                             ? banner.controller.volume : 100
                readonly property int step: level >= 100 ? 0 : level >= 60 ? 1 : 2
                theme: banner.theme
                text: qsTr("Volume %1").arg(["\u25AE\u25AE\u25AE", "\u25AE\u25AE\u25AF",
                                              "\u25AE\u25AF\u25AF"][step])
                onClicked: if (banner.controller.setVolume)
                               banner.controller.setVolume(levels[(step + 1) % levels.length])
            }
            SettingButton {
                objectName: "repeatButton"
                theme: banner.theme
                text: qsTr("Repeat")
                onClicked: if (banner.controller.repeatPrompt) banner.controller.repeatPrompt()
            }
            SettingButton {
                objectName: "highContrastToggle"
                theme: banner.theme
                text: qsTr("High contrast")
                selected: banner.controller.highContrast
                onClicked: banner.controller.setHighContrast(!banner.controller.highContrast)
            }
            SettingButton {
                objectName: "largeTextToggle"
                theme: banner.theme
                text: qsTr("Larger text")
                selected: banner.controller.largeText
                onClicked: banner.controller.setLargeText(!banner.controller.largeText)
            }
            // Language names are written in their own language, so they are never translated.
            SettingButton {
                objectName: "languageEn"
                theme: banner.theme
                text: "English"
                selected: banner.controller.language === "en"
                onClicked: banner.controller.setLanguage("en")
            }
            SettingButton {
                objectName: "languageZh"
                theme: banner.theme
                text: "中文"
                selected: banner.controller.language === "zh_CN"
                onClicked: banner.controller.setLanguage("zh_CN")
            }
        }
        Text {
            objectName: "bannerTitle"
            Layout.fillWidth: true
            Layout.bottomMargin: banner.theme.gap
            wrapMode: Text.WordWrap
            text: banner.title
            color: banner.theme.bannerText
            font.pixelSize: banner.theme.bodySize
            font.bold: true
        }
    }

    component SettingButton: KioskButton {
        font.pixelSize: theme.settingSize
        implicitWidth: Math.max(theme.touchTarget * 1.6, contentItem.implicitWidth + 2 * theme.gap)
    }
}
