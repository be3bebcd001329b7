"""Small jBPM-style BPMN2 documents for tests."""

HEAD = """<?xml version="1.0" encoding="UTF-8"?>
<bpmn2:definitions xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"
    xmlns:bpmn2="http://www.omg.org/spec/BPMN/20100524/MODEL" xmlns:drools="http://www.jboss.org/drools"
    id="defs" targetNamespace="http://www.jboss.org/drools">
  <bpmn2:itemDefinition id="_nameItem" structureRef="String"/>
  <bpmn2:itemDefinition id="_ageItem" structureRef="Integer"/>
  <bpmn2:itemDefinition id="_approvedItem" structureRef="Boolean"/>
  <bpmn2:signal id="go" name="go"/>
"""

EVALUATION = HEAD + """
  <bpmn2:process id="demo.evaluation" drools:packageName="org.example" drools:version="1.0" name="Evaluation" isExecutable="true">
    <bpmn2:property id="name" itemSubjectRef="_nameItem"/>
    <bpmn2:property id="age" itemSubjectRef="_ageItem"/>
    <bpmn2:property id="approved" itemSubjectRef="_approvedItem"/>
    <bpmn2:startEvent id="start" name="Start"/>
    <bpmn2:sequenceFlow id="f1" sourceRef="start" targetRef="script"/>
    <bpmn2:scriptTask id="script" name="Prepare" scriptFormat="http://www.java.com/java">
      <bpmn2:script>kcontext.setVariable("name", name.toUpperCase()); System.out.println("preparing " + name);</bpmn2:script>
    </bpmn2:scriptTask>
    <bpmn2:sequenceFlow id="f2" sourceRef="script" targetRef="gw"/>
    <bpmn2:exclusiveGateway id="gw" name="Old enough?" gatewayDirection="Diverging" default="f4"/>
    <bpmn2:sequenceFlow id="f3" sourceRef="gw" targetRef="review">
      <bpmn2:conditionExpression xsi:type="bpmn2:tFormalExpression" language="http://www.java.com/java">return age &gt;= 18;</bpmn2:conditionExpression>
    </bpmn2:sequenceFlow>
    <bpmn2:sequenceFlow id="f4" sourceRef="gw" targetRef="rejected"/>
    <bpmn2:userTask id="review" name="Review">
      <bpmn2:ioSpecification>
        <bpmn2:dataInput id="review_TaskName" name="TaskName"/>
        <bpmn2:dataInput id="review_ActorId" name="ActorId"/>
        <bpmn2:dataInput id="review_Who" name="Who"/>
        <bpmn2:dataOutput id="review_Approved" name="Approved"/>
      </bpmn2:ioSpecification>
      <bpmn2:dataInputAssociation><bpmn2:targetRef>review_TaskName</bpmn2:targetRef>
        <bpmn2:assignment><bpmn2:from>Review #{name}</bpmn2:from><bpmn2:to>review_TaskName</bpmn2:to></bpmn2:assignment></bpmn2:dataInputAssociation>
      <bpmn2:dataInputAssociation><bpmn2:targetRef>review_ActorId</bpmn2:targetRef>
        <bpmn2:assignment><bpmn2:from>john</bpmn2:from><bpmn2:to>review_ActorId</bpmn2:to></bpmn2:assignment></bpmn2:dataInputAssociation>
      <bpmn2:dataInputAssociation><bpmn2:sourceRef>name</bpmn2:sourceRef><bpmn2:targetRef>review_Who</bpmn2:targetRef></bpmn2:dataInputAssociation>
      <bpmn2:dataOutputAssociation><bpmn2:sourceRef>review_Approved</bpmn2:sourceRef><bpmn2:targetRef>approved</bpmn2:targetRef></bpmn2:dataOutputAssociation>
    </bpmn2:userTask>
    <bpmn2:sequenceFlow id="f5" sourceRef="review" targetRef="wait"/>
    <bpmn2:intermediateCatchEvent id="wait" name="Wait for go">
      <bpmn2:signalEventDefinition signalRef="go"/>
    </bpmn2:intermediateCatchEvent>
    <bpmn2:sequenceFlow id="f6" sourceRef="wait" targetRef="end"/>
    <bpmn2:endEvent id="end" name="End"/>
    <bpmn2:endEvent id="rejected" name="Rejected"><bpmn2:terminateEventDefinition/></bpmn2:endEvent>
  </bpmn2:process>
</bpmn2:definitions>
"""

PARALLEL = HEAD + """
  <bpmn2:process id="demo.parallel" name="Parallel" isExecutable="true">
    <bpmn2:property id="age" itemSubjectRef="_ageItem"/>
    <bpmn2:startEvent id="s"/>
    <bpmn2:sequenceFlow id="a" sourceRef="s" targetRef="split"/>
    <bpmn2:parallelGateway id="split" gatewayDirection="Diverging"/>
    <bpmn2:sequenceFlow id="b" sourceRef="split" targetRef="t1"/>
    <bpmn2:sequenceFlow id="c" sourceRef="split" targetRef="t2"/>
    <bpmn2:scriptTask id="t1" name="one"><bpmn2:script>age = age + 1;</bpmn2:script></bpmn2:scriptTask>
    <bpmn2:scriptTask id="t2" name="two"><bpmn2:script>age = age + 10;</bpmn2:script></bpmn2:scriptTask>
    <bpmn2:sequenceFlow id="d" sourceRef="t1" targetRef="join"/>
    <bpmn2:sequenceFlow id="e" sourceRef="t2" targetRef="join"/>
    <bpmn2:parallelGateway id="join" gatewayDirection="Converging"/>
    <bpmn2:sequenceFlow id="f" sourceRef="join" targetRef="task"/>
    <bpmn2:task id="task" name="Custom" drools:taskName="MyHandler"/>
    <bpmn2:sequenceFlow id="g" sourceRef="task" targetRef="end"/>
    <bpmn2:endEvent id="end"/>
  </bpmn2:process>
</bpmn2:definitions>
"""

TIMER = HEAD + """
  <bpmn2:process id="demo.timer" name="Timer" isExecutable="true">
    <bpmn2:startEvent id="s"/>
    <bpmn2:sequenceFlow id="a" sourceRef="s" targetRef="t"/>
    <bpmn2:intermediateCatchEvent id="t" name="wait 1s">
      <bpmn2:timerEventDefinition><bpmn2:timeDuration xsi:type="bpmn2:tFormalExpression">1s</bpmn2:timeDuration></bpmn2:timerEventDefinition>
    </bpmn2:intermediateCatchEvent>
    <bpmn2:sequenceFlow id="b" sourceRef="t" targetRef="e"/>
    <bpmn2:endEvent id="e"/>
  </bpmn2:process>
</bpmn2:definitions>
"""
