<?xml version="1.0" encoding="utf-8"?>
<!DOCTYPE TS>
<TS version="2.1" language="zh_CN" sourcelanguage="en">
    <context>
        <name>Banner</name>
        <message>
            <location filename="../qml/Banner.qml" line="44" />
            <source>Staff are coming</source>
            <translation>工作人员马上就到</translation>
        </message>
        <message>
            <location filename="../qml/Banner.qml" line="45" />
            <source>Call staff</source>
            <translation>呼叫工作人员</translation>
        </message>
        <message>
            <location filename="../qml/Banner.qml" line="58" />
            <source>Volume %1</source>
            <translation>音量 %1</translation>
        </message>
        <message>
            <location filename="../qml/Banner.qml" line="66" />
            <source>Repeat</source>
            <translation>再听一遍</translation>
        </message>
        <message>
            <location filename="../qml/Banner.qml" line="72" />
            <source>High contrast</source>
            <translation>高对比度</translation>
        </message>
        <message>
            <location filename="../qml/Banner.qml" line="79" />
            <source>Larger text</source>
            <translation>大字体</translation>
        </message>
    </context>
    <context>
        <name>ConsentScreen</name>
        <message>
            <location filename="../qml/ConsentScreen.qml" line="13" />
            <source>Insurance consent</source>
            <translation>保险授权</translation>
        </message>
        <message>
            <location filename="../qml/ConsentScreen.qml" line="30" />
            <source>%1 asks for your consent to see the following records:</source>
            <translation>%1 请求您授权查阅以下记录：</translation>
        </message>
        <message>
            <location filename="../qml/ConsentScreen.qml" line="58" />
            <source>Purpose: %1</source>
            <translation>用途：%1</translation>
        </message>
        <message>
            <location filename="../qml/ConsentScreen.qml" line="66" />
            <source>For %1 days, until %2. You can withdraw it at any time at the hospital's desk.</source>
            <translation>有效期 %1 天，至 %2。您可以随时在医院服务台撤回授权。</translation>
        </message>
        <message>
            <location filename="../qml/ConsentScreen.qml" line="74" />
            <source>Your name and document number are not sent: the insurer receives a signed record of your answer only.</source>
            <translation>不会发送您的姓名和证件号码：保险公司只收到您答复的签名记录。</translation>
        </message>
        <message>
            <location filename="../qml/ConsentScreen.qml" line="88" />
            <source>Decline</source>
            <translation>不同意</translation>
        </message>
        <message>
            <location filename="../qml/ConsentScreen.qml" line="95" />
            <source>I agree</source>
            <translation>我同意</translation>
        </message>
        <message>
            <location filename="../qml/ConsentScreen.qml" line="104" />
            <source>Cancel</source>
            <translation>取消</translation>
        </message>
    </context>
    <context>
        <name>DemoPanel</name>
        <message>
            <location filename="../qml/DemoPanel.qml" line="16" />
            <location filename="../qml/DemoPanel.qml" line="28" />
            <source>Demo control panel</source>
            <translation>演示控制面板</translation>
        </message>
        <message>
            <location filename="../qml/DemoPanel.qml" line="37" />
            <source>Opening the simulated devices…</source>
            <translation>正在打开模拟设备…</translation>
        </message>
        <message>
            <location filename="../qml/DemoPanel.qml" line="45" />
            <source>ID card reader</source>
            <translation>身份证读卡器</translation>
        </message>
        <message>
            <location filename="../qml/DemoPanel.qml" line="46" />
            <source>Put the ID card on</source>
            <translation>放上身份证</translation>
        </message>
        <message>
            <location filename="../qml/DemoPanel.qml" line="47" />
            <source>Take it away</source>
            <translation>拿走</translation>
        </message>
        <message>
            <location filename="../qml/DemoPanel.qml" line="48" />
            <source>A wrong card (transit card)</source>
            <translation>错误的卡（交通卡）</translation>
        </message>
        <message>
            <location filename="../qml/DemoPanel.qml" line="49" />
            <source>Passport reader</source>
            <translation>护照读卡器</translation>
        </message>
        <message>
            <location filename="../qml/DemoPanel.qml" line="50" />
            <source>Lay the passport down</source>
            <translation>放上护照</translation>
        </message>
        <message>
            <location filename="../qml/DemoPanel.qml" line="52" />
            <source>Lift it</source>
            <translation>拿起</translation>
        </message>
        <message>
            <location filename="../qml/DemoPanel.qml" line="53" />
            <source>Its MRZ swiped</source>
            <translation>机读码已刷读</translation>
        </message>
        <message>
            <location filename="../qml/DemoPanel.qml" line="55" />
            <source>Its details typed at the kiosk</source>
            <translation>在自助机上输入证件信息</translation>
        </message>
        <message>
            <location filename="../qml/DemoPanel.qml" line="53" />
            <source>The person at the camera</source>
            <translation>摄像头前的人</translation>
        </message>
        <message>
            <location filename="../qml/DemoPanel.qml" line="54" />
            <source>Follows the prompts</source>
            <translation>按提示做</translation>
        </message>
        <message>
            <location filename="../qml/DemoPanel.qml" line="55" />
            <source>Stays silent</source>
            <translation>不做动作</translation>
        </message>
        <message>
            <location filename="../qml/DemoPanel.qml" line="56" />
            <source>Is someone else</source>
            <translation>是另一个人</translation>
        </message>
        <message>
            <location filename="../qml/DemoPanel.qml" line="101" />
            <source>The person's choice applies from the next face check. Someone else is caught against the passport's chip photo; an ID card's photo cannot be decoded here, so with the ID card the check is the liveness only.</source>
            <translation>此选择从下一次人脸核验起生效。换人只能与护照芯片照片比对发现；此处无法解码身份证照片，因此使用身份证时只核验活体。</translation>
        </message>
        <message>
            <location filename="../qml/DemoPanel.qml" line="108" />
            <source>Kiosk screen: %1</source>
            <translation>自助机界面：%1</translation>
        </message>
    </context>
    <context>
        <name>FaceScreen</name>
        <message>
            <location filename="../qml/FaceScreen.qml" line="13" />
            <source>Enrolment, supervised by staff</source>
            <translation>工作人员陪同登记</translation>
        </message>
        <message>
            <location filename="../qml/FaceScreen.qml" line="13" />
            <source>Face check</source>
            <translation>人脸核验</translation>
        </message>
        <message>
            <location filename="../qml/FaceScreen.qml" line="62" />
            <source>%1 s</source>
            <translation>%1 秒</translation>
        </message>
        <message>
            <location filename="../qml/FaceScreen.qml" line="74" />
            <source>Cancel</source>
            <translation>取消</translation>
        </message>
    </context>
    <context>
        <name>LookupScreen</name>
        <message>
            <location filename="../qml/LookupScreen.qml" line="9" />
            <source>Proof of life</source>
            <translation>领取养老金资格认证</translation>
        </message>
        <message>
            <location filename="../qml/LookupScreen.qml" line="16" />
            <source>Looking up your registration</source>
            <translation>正在查询您的登记信息</translation>
        </message>
    </context>
    <context>
        <name>Main</name>
        <message>
            <location filename="../qml/Main.qml" line="16" />
            <source>Identity verification</source>
            <translation>身份核验</translation>
        </message>
        <message>
            <location filename="../qml/Main.qml" line="111" />
            <source>Are you still there?</source>
            <translation>您还在吗？</translation>
        </message>
        <message>
            <location filename="../qml/Main.qml" line="120" />
            <source>Everything will be cleared in %1 s.</source>
            <translation>%1 秒后将清除所有信息。</translation>
        </message>
        <message>
            <location filename="../qml/Main.qml" line="131" />
            <source>Continue</source>
            <translation>继续</translation>
        </message>
    </context>
    <context>
        <name>MrzEntryScreen</name>
        <message>
            <location filename="../qml/MrzEntryScreen.qml" line="18" />
            <source>Passport: enter the photo page details</source>
            <translation>护照：请输入照片页上的信息</translation>
        </message>
        <message>
            <location filename="../qml/MrzEntryScreen.qml" line="117" />
            <source>The chip needs three details printed on the photo page. Leave the passport on the reader.</source>
            <translation>芯片需要照片页上印的三项信息。请把护照留在读卡器上。</translation>
        </message>
        <message>
            <location filename="../qml/MrzEntryScreen.qml" line="43" />
            <source>Document number</source>
            <translation>证件号码</translation>
        </message>
        <message>
            <location filename="../qml/MrzEntryScreen.qml" line="45" />
            <source>Date of birth (YYMMDD)</source>
            <translation>出生日期（年年月月日日）</translation>
        </message>
        <message>
            <location filename="../qml/MrzEntryScreen.qml" line="47" />
            <source>For example 15 March 1949: 490315</source>
            <translation>例如 1949年3月15日：490315</translation>
        </message>
        <message>
            <location filename="../qml/MrzEntryScreen.qml" line="48" />
            <source>Date of expiry (YYMMDD)</source>
            <translation>有效期至（年年月月日日）</translation>
        </message>
        <message>
            <location filename="../qml/MrzEntryScreen.qml" line="50" />
            <source>For example 1 July 2031: 310701</source>
            <translation>例如 2031年7月1日：310701</translation>
        </message>
        <message>
            <location filename="../qml/MrzEntryScreen.qml" line="145" />
            <source>Cancel</source>
            <translation>取消</translation>
        </message>
        <message>
            <location filename="../qml/MrzEntryScreen.qml" line="155" />
            <source>Continue</source>
            <translation>继续</translation>
        </message>
    </context>
    <context>
        <name>PinPad</name>
        <message>
            <location filename="../qml/PinPad.qml" line="35" />
            <source>Clear</source>
            <translation>清除</translation>
        </message>
        <message>
            <location filename="../qml/PinPad.qml" line="36" />
            <source>OK</source>
            <translation>确定</translation>
        </message>
    </context>
    <context>
        <name>PresentDocumentScreen</name>
        <message>
            <location filename="../qml/PresentDocumentScreen.qml" line="12" />
            <source>Present your document</source>
            <translation>请出示您的证件</translation>
        </message>
        <message>
            <location filename="../qml/PresentDocumentScreen.qml" line="56" />
            <source>ID card: place it on the reader</source>
            <translation>身份证：请放在读卡器上</translation>
        </message>
        <message>
            <location filename="../qml/PresentDocumentScreen.qml" line="57" />
            <source>Passport: open it at the photo page and lay it on the reader</source>
            <translation>护照：请翻开照片页，放在读卡器上</translation>
        </message>
        <message>
            <location filename="../qml/PresentDocumentScreen.qml" line="71" />
            <source>Back</source>
            <translation>返回</translation>
        </message>
    </context>
    <context>
        <name>ReadingScreen</name>
        <message>
            <location filename="../qml/ReadingScreen.qml" line="11" />
            <source>Reading your document</source>
            <translation>正在读取证件</translation>
        </message>
        <message>
            <location filename="../qml/ReadingScreen.qml" line="43" />
            <source>Leave it on the reader until this is done.</source>
            <translation>读取完成前请不要移开证件。</translation>
        </message>
        <message>
            <location filename="../qml/ReadingScreen.qml" line="55" />
            <source>Cancel</source>
            <translation>取消</translation>
        </message>
    </context>
    <context>
        <name>ResultScreen</name>
        <message>
            <location filename="../qml/ResultScreen.qml" line="23" />
            <source>Proof of life</source>
            <translation>领取养老金资格认证</translation>
        </message>
        <message>
            <location filename="../qml/ResultScreen.qml" line="24" />
            <source>Insurance consent</source>
            <translation>保险授权</translation>
        </message>
        <message>
            <location filename="../qml/ResultScreen.qml" line="25" />
            <source>Identity verification</source>
            <translation>身份核验</translation>
        </message>
        <message>
            <location filename="../qml/ResultScreen.qml" line="43" />
            <source>Your proof of life is recorded</source>
            <translation>您的资格认证已完成</translation>
        </message>
        <message>
            <location filename="../qml/ResultScreen.qml" line="44" />
            <source>Your consent is recorded</source>
            <translation>您的授权已记录</translation>
        </message>
        <message>
            <location filename="../qml/ResultScreen.qml" line="45" />
            <source>Your refusal is recorded</source>
            <translation>您的拒绝已记录</translation>
        </message>
        <message>
            <location filename="../qml/ResultScreen.qml" line="46" />
            <source>You are checked in</source>
            <translation>登记成功</translation>
        </message>
        <message>
            <location filename="../qml/ResultScreen.qml" line="47" />
            <source>The face check did not work this time</source>
            <translation>这次面部核验没有成功</translation>
        </message>
        <message>
            <location filename="../qml/ResultScreen.qml" line="48" />
            <source>Please see the staff at the desk</source>
            <translation>请到服务台找工作人员</translation>
        </message>
        <message>
            <location filename="../qml/ResultScreen.qml" line="58" />
            <source>Your reference</source>
            <translation>您的登记号</translation>
        </message>
        <message>
            <location filename="../qml/ResultScreen.qml" line="58" />
            <source>Your reference, for the staff</source>
            <translation>您的登记号（请告诉工作人员）</translation>
        </message>
        <message>
            <location filename="../qml/ResultScreen.qml" line="78" />
            <source>%1 may see the records you agreed to until %2.</source>
            <translation>%1 可在 %2 之前查阅您同意的记录。</translation>
        </message>
        <message>
            <location filename="../qml/ResultScreen.qml" line="80" />
            <source>%1 will not see your records.</source>
            <translation>%1 不会看到您的记录。</translation>
        </message>
        <message>
            <location filename="../qml/ResultScreen.qml" line="94" />
            <source>Valid until %1</source>
            <translation>有效期至 %1</translation>
        </message>
        <message>
            <location filename="../qml/ResultScreen.qml" line="103" />
            <source>Next proof due from %1</source>
            <translation>下次认证时间：%1 起</translation>
        </message>
        <message>
            <location filename="../qml/ResultScreen.qml" line="50" />
            <source>Staff have been called. Please wait here.</source>
            <translation>已呼叫工作人员，请在这里稍候。</translation>
        </message>
        <message>
            <location filename="../qml/ResultScreen.qml" line="196" />
            <source>Try again</source>
            <translation>再试一次</translation>
        </message>
        <message>
            <location filename="../qml/ResultScreen.qml" line="135" />
            <source>Printing your receipt…</source>
            <translation>正在打印凭条…</translation>
        </message>
        <message>
            <location filename="../qml/ResultScreen.qml" line="136" />
            <source>Your receipt is printed. Please take it.</source>
            <translation>凭条已打印，请取走。</translation>
        </message>
        <message>
            <location filename="../qml/ResultScreen.qml" line="186" />
            <source>Try printing again</source>
            <translation>重新打印</translation>
        </message>
        <message>
            <location filename="../qml/ResultScreen.qml" line="187" />
            <source>Print receipt</source>
            <translation>打印凭条</translation>
        </message>
        <message>
            <location filename="../qml/ResultScreen.qml" line="205" />
            <source>Done</source>
            <translation>完成</translation>
        </message>
    </context>
    <context>
        <name>SavingScreen</name>
        <message>
            <location filename="../qml/SavingScreen.qml" line="10" />
            <source>Proof of life</source>
            <translation>领取养老金资格认证</translation>
        </message>
        <message>
            <location filename="../qml/SavingScreen.qml" line="10" />
            <source>Identity verification</source>
            <translation>身份核验</translation>
        </message>
        <message>
            <location filename="../qml/SavingScreen.qml" line="17" />
            <source>One moment, please</source>
            <translation>请稍候</translation>
        </message>
    </context>
    <context>
        <name>ServiceScreen</name>
        <message>
            <location filename="../qml/ServiceScreen.qml" line="27" />
            <source>Service mode</source>
            <translation>维护模式</translation>
        </message>
        <message>
            <location filename="../qml/ServiceScreen.qml" line="41" />
            <source>Staff and technicians: enter the service PIN.</source>
            <translation>工作人员和技术人员：请输入维护密码。</translation>
        </message>
        <message>
            <location filename="../qml/ServiceScreen.qml" line="50" />
            <source>Wrong PIN. Attempts left: %1</source>
            <translation>密码错误。剩余尝试次数：%1</translation>
        </message>
        <message>
            <location filename="../qml/ServiceScreen.qml" line="81" />
            <source>The PIN is taken again in %1 s.</source>
            <translation>%1 秒后可再次输入密码。</translation>
        </message>
        <message>
            <location filename="../qml/ServiceScreen.qml" line="89" />
            <source>Every lockout is in the audit log (service_mode_locked).</source>
            <translation>每次锁定都记录在审计日志中（service_mode_locked）。</translation>
        </message>
        <message>
            <location filename="../qml/ServiceScreen.qml" line="103" />
            <source>Version %1 · site %2 · device %3</source>
            <translation>版本 %1 · 站点 %2 · 设备 %3</translation>
        </message>
        <message>
            <location filename="../qml/ServiceScreen.qml" line="125" />
            <source>Devices</source>
            <translation>设备</translation>
        </message>
        <message>
            <location filename="../qml/ServiceScreen.qml" line="134" />
            <location filename="../qml/ServiceScreen.qml" line="196" />
            <source>%1: %2</source>
            <translation>%1：%2</translation>
        </message>
        <message>
            <location filename="../qml/ServiceScreen.qml" line="143" />
            <source>Self-test running…</source>
            <translation>正在自检…</translation>
        </message>
        <message>
            <location filename="../qml/ServiceScreen.qml" line="152" />
            <source>Self-test ok: %1</source>
            <translation>自检正常：%1</translation>
        </message>
        <message>
            <location filename="../qml/ServiceScreen.qml" line="175" />
            <source>Printing the test page…</source>
            <translation>正在打印测试页…</translation>
        </message>
        <message>
            <location filename="../qml/ServiceScreen.qml" line="176" />
            <source>The test page is printed.</source>
            <translation>测试页已打印。</translation>
        </message>
        <message>
            <location filename="../qml/ServiceScreen.qml" line="187" />
            <source>Results to sync</source>
            <translation>待同步结果</translation>
        </message>
        <message>
            <location filename="../qml/ServiceScreen.qml" line="203" />
            <source>Oldest unsent: %1 s</source>
            <translation>最早未发送：%1 秒</translation>
        </message>
        <message>
            <location filename="../qml/ServiceScreen.qml" line="223" />
            <source>Recent errors</source>
            <translation>最近错误</translation>
        </message>
        <message>
            <location filename="../qml/ServiceScreen.qml" line="227" />
            <source>None</source>
            <translation>无</translation>
        </message>
        <message>
            <location filename="../qml/ServiceScreen.qml" line="252" />
            <source>Back to kiosk mode</source>
            <translation>返回自助模式</translation>
        </message>
        <message>
            <location filename="../qml/ServiceScreen.qml" line="253" />
            <source>Cancel</source>
            <translation>取消</translation>
        </message>
        <message>
            <location filename="../qml/ServiceScreen.qml" line="253" />
            <source>Close</source>
            <translation>关闭</translation>
        </message>
        <message>
            <location filename="../qml/ServiceScreen.qml" line="264" />
            <source>Self-test</source>
            <translation>自检</translation>
        </message>
        <message>
            <location filename="../qml/ServiceScreen.qml" line="272" />
            <source>Test print</source>
            <translation>测试打印</translation>
        </message>
        <message>
            <location filename="../qml/ServiceScreen.qml" line="279" />
            <source>Camera</source>
            <translation>摄像头</translation>
        </message>
        <message>
            <location filename="../qml/ServiceScreen.qml" line="285" />
            <source>Refresh</source>
            <translation>刷新</translation>
        </message>
    </context>
    <context>
        <name>StaffPinScreen</name>
        <message>
            <location filename="../qml/StaffPinScreen.qml" line="13" />
            <source>First visit: enrolment with staff</source>
            <translation>首次认证：请工作人员协助登记</translation>
        </message>
        <message>
            <location filename="../qml/StaffPinScreen.qml" line="27" />
            <source>You are not registered at this office yet. A member of staff has been called and is coming to the kiosk. Please wait here.</source>
            <translation>您还没有在本处登记。已呼叫工作人员，马上会来到本机，请在这里稍候。</translation>
        </message>
        <message>
            <location filename="../qml/StaffPinScreen.qml" line="28" />
            <source>You are not registered at this office yet. Please ask a member of staff to come to the kiosk.</source>
            <translation>您尚未在本机构登记。请联系工作人员到自助机旁协助。</translation>
        </message>
        <message>
            <location filename="../qml/StaffPinScreen.qml" line="35" />
            <source>Staff: enter your PIN to supervise the enrolment.</source>
            <translation>工作人员：请输入您的密码以确认登记。</translation>
        </message>
        <message>
            <location filename="../qml/StaffPinScreen.qml" line="44" />
            <source>Wrong PIN. Attempts left: %1</source>
            <translation>密码错误。剩余尝试次数：%1</translation>
        </message>
        <message>
            <location filename="../qml/StaffPinScreen.qml" line="61" />
            <source>Cancel</source>
            <translation>取消</translation>
        </message>
    </context>
    <context>
        <name>Texts</name>
        <message>
            <location filename="../qml/Texts.qml" line="9" />
            <source>Blink your eyes</source>
            <translation>请眨眨眼</translation>
        </message>
        <message>
            <location filename="../qml/Texts.qml" line="10" />
            <source>Turn your head to your left</source>
            <translation>请向您的左边转头</translation>
        </message>
        <message>
            <location filename="../qml/Texts.qml" line="11" />
            <source>Turn your head to your right</source>
            <translation>请向您的右边转头</translation>
        </message>
        <message>
            <location filename="../qml/Texts.qml" line="12" />
            <source>Nod your head</source>
            <translation>请点点头</translation>
        </message>
        <message>
            <location filename="../qml/Texts.qml" line="13" />
            <source>Open your mouth</source>
            <translation>请张张嘴</translation>
        </message>
        <message>
            <location filename="../qml/Texts.qml" line="14" />
            <source>Look at the camera</source>
            <translation>请看摄像头</translation>
        </message>
        <message>
            <location filename="../qml/Texts.qml" line="28" />
            <source>ID card reader</source>
            <translation>身份证读卡器</translation>
        </message>
        <message>
            <location filename="../qml/Texts.qml" line="29" />
            <source>Passport reader</source>
            <translation>护照读卡器</translation>
        </message>
        <message>
            <location filename="../qml/Texts.qml" line="30" />
            <source>Camera</source>
            <translation>摄像头</translation>
        </message>
        <message>
            <location filename="../qml/Texts.qml" line="36" />
            <source>working</source>
            <translation>正常</translation>
        </message>
        <message>
            <location filename="../qml/Texts.qml" line="37" />
            <source>simulated (demo)</source>
            <translation>模拟（演示）</translation>
        </message>
        <message>
            <location filename="../qml/Texts.qml" line="38" />
            <source>not available</source>
            <translation>不可用</translation>
        </message>
        <message>
            <location filename="../qml/Texts.qml" line="44" />
            <source>waiting to send</source>
            <translation>等待发送</translation>
        </message>
        <message>
            <location filename="../qml/Texts.qml" line="45" />
            <source>sending</source>
            <translation>发送中</translation>
        </message>
        <message>
            <location filename="../qml/Texts.qml" line="46" />
            <source>received by the gateway</source>
            <translation>网关已接收</translation>
        </message>
        <message>
            <location filename="../qml/Texts.qml" line="47" />
            <source>anchored on chain</source>
            <translation>已上链</translation>
        </message>
        <message>
            <location filename="../qml/Texts.qml" line="53" />
            <source>Your hospital records</source>
            <translation>您的住院及就诊记录</translation>
        </message>
        <message>
            <location filename="../qml/Texts.qml" line="54" />
            <source>Your prescriptions</source>
            <translation>您的处方</translation>
        </message>
        <message>
            <location filename="../qml/Texts.qml" line="55" />
            <source>Your laboratory results</source>
            <translation>您的化验结果</translation>
        </message>
        <message>
            <location filename="../qml/Texts.qml" line="56" />
            <source>Your imaging reports (X-ray, CT, MRI)</source>
            <translation>您的影像检查报告（X光、CT、核磁共振）</translation>
        </message>
        <message>
            <location filename="../qml/Texts.qml" line="57" />
            <source>Your discharge summaries</source>
            <translation>您的出院小结</translation>
        </message>
        <message>
            <location filename="../qml/Texts.qml" line="63" />
            <source>deciding on your insurance application</source>
            <translation>审核您的投保申请</translation>
        </message>
        <message>
            <location filename="../qml/Texts.qml" line="64" />
            <source>settling your insurance claim</source>
            <translation>办理您的保险理赔</translation>
        </message>
    </context>
    <context>
        <name>WelcomeScreen</name>
        <message>
            <location filename="../qml/WelcomeScreen.qml" line="14" />
            <source>Identity verification</source>
            <translation>身份核验</translation>
        </message>
        <message>
            <location filename="../qml/WelcomeScreen.qml" line="14" />
            <source>Proof of life</source>
            <translation>领取养老金资格认证</translation>
        </message>
        <message>
            <location filename="../qml/WelcomeScreen.qml" line="25" />
            <source>Welcome</source>
            <translation>欢迎</translation>
        </message>
        <message>
            <location filename="../qml/WelcomeScreen.qml" line="35" />
            <source>Prove for your pension that you are alive, with your resident ID card and your face.</source>
            <translation>使用居民身份证和人脸完成领取养老金资格认证。</translation>
        </message>
        <message>
            <location filename="../qml/WelcomeScreen.qml" line="36" />
            <source>Verify your identity with your ID card or passport and your face.</source>
            <translation>请使用身份证或护照，并通过人脸完成身份核验。</translation>
        </message>
        <message>
            <location filename="../qml/WelcomeScreen.qml" line="58" />
            <source>This kiosk is out of service</source>
            <translation>本机暂停服务</translation>
        </message>
        <message>
            <location filename="../qml/WelcomeScreen.qml" line="49" />
            <source>Start verification</source>
            <translation>开始核验</translation>
        </message>
        <message>
            <location filename="../qml/WelcomeScreen.qml" line="49" />
            <source>Getting ready…</source>
            <translation>正在准备…</translation>
        </message>
    </context>
</TS>
