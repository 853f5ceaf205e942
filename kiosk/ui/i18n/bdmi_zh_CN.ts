<?xml version="1.0" encoding="utf-8"?>
<!DOCTYPE TS>
<TS version="2.1" language="zh_CN" sourcelanguage="en">
<context>
    <name>Main</name>
    <message>
        <location filename="../qml/Main.qml" line="16"/>
        <source>Identity verification</source>
        <translation>身份核验</translation>
    </message>
</context>
<context>
    <name>PresentDocumentScreen</name>
    <message>
        <location filename="../qml/PresentDocumentScreen.qml" line="14"/>
        <source>Identity verification</source>
        <translation>身份核验</translation>
    </message>
    <message>
        <location filename="../qml/PresentDocumentScreen.qml" line="23"/>
        <source>Present your document</source>
        <translation>请出示您的证件</translation>
    </message>
    <message>
        <location filename="../qml/PresentDocumentScreen.qml" line="33"/>
        <source>ID card: place it on the reader</source>
        <translation>身份证：请放在读卡器上</translation>
    </message>
    <message>
        <location filename="../qml/PresentDocumentScreen.qml" line="38"/>
        <source>Passport: open it at the photo page and lay it on the reader</source>
        <translation>护照：请翻开照片页，放在读卡器上</translation>
    </message>
    <message>
        <location filename="../qml/PresentDocumentScreen.qml" line="48"/>
        <source>Back</source>
        <translation>返回</translation>
    </message>
</context>
<context>
    <name>WelcomeScreen</name>
    <message>
        <location filename="../qml/WelcomeScreen.qml" line="15"/>
        <source>Identity verification</source>
        <translation>身份核验</translation>
    </message>
    <message>
        <location filename="../qml/WelcomeScreen.qml" line="24"/>
        <source>Welcome</source>
        <translation>欢迎</translation>
    </message>
    <message>
        <location filename="../qml/WelcomeScreen.qml" line="34"/>
        <source>Verify your identity with your ID card or passport and your face.</source>
        <translation>请使用身份证或护照，并通过人脸完成身份核验。</translation>
    </message>
    <message>
        <location filename="../qml/WelcomeScreen.qml" line="46"/>
        <source>Start verification</source>
        <translation>开始核验</translation>
    </message>
</context>
</TS>
