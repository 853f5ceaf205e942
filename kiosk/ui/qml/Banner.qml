// The strip across the top of every screen: product name and the screen's title.
import QtQuick

Rectangle {
    required property QtObject theme
    property string title

    height: theme.touchTarget * 1.6
    color: theme.banner
    Text {
        anchors.verticalCenter: parent.verticalCenter
        anchors.left: parent.left
        anchors.leftMargin: parent.theme.margin
        text: parent.title
        color: parent.theme.bannerText
        font.pixelSize: parent.theme.titleSize * 0.7
        font.bold: true
    }
}
