"""jBPM-style BPMN2 documents used by the process service tests."""

HEAD = """<?xml version="1.0" encoding="UTF-8"?>
<bpmn2:definitions xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"
    xmlns:bpmn2="http://www.omg.org/spec/BPMN/20100524/MODEL" xmlns:drools="http://www.jboss.org/drools"
    id="defs" targetNamespace="http://www.jboss.org/drools">
  <bpmn2:itemDefinition id="_stringItem" structureRef="String"/>
  <bpmn2:itemDefinition id="_integerItem" structureRef="Integer"/>
  <bpmn2:itemDefinition id="_longItem" structureRef="Long"/>
  <bpmn2:itemDefinition id="_floatItem" structureRef="Float"/>
  <bpmn2:itemDefinition id="_booleanItem" structureRef="Boolean"/>
  <bpmn2:itemDefinition id="_objectItem" structureRef="java.lang.Object"/>
  <bpmn2:signal id="go" name="go"/>
  <bpmn2:signal id="start-me" name="start-me"/>
"""
TAIL = "</bpmn2:definitions>\n"


def user_task_process(pid="demo.usertask", name="UserTask", actor="john", groups=None):
    """start -> script (name upper-cased) -> user task Review (ActorId) -> end."""
    group_in = ""
    if groups:
        group_in = f"""
      <bpmn2:dataInputAssociation><bpmn2:targetRef>review_GroupId</bpmn2:targetRef>
        <bpmn2:assignment><bpmn2:from>{groups}</bpmn2:from><bpmn2:to>review_GroupId</bpmn2:to></bpmn2:assignment></bpmn2:dataInputAssociation>"""
    return HEAD + f"""
  <bpmn2:process id="{pid}" drools:packageName="org.example" drools:version="1.0" name="{name}" isExecutable="true">
    <bpmn2:property id="name" itemSubjectRef="_stringItem"/>
    <bpmn2:property id="age" itemSubjectRef="_integerItem"/>
    <bpmn2:property id="approved" itemSubjectRef="_booleanItem"/>
    <bpmn2:startEvent id="_1" name="Start"/>
    <bpmn2:sequenceFlow id="_1-_2" sourceRef="_1" targetRef="_2"/>
    <bpmn2:scriptTask id="_2" name="Prepare" scriptFormat="http://www.java.com/java">
      <bpmn2:script>kcontext.setVariable("name", name.toUpperCase());</bpmn2:script>
    </bpmn2:scriptTask>
    <bpmn2:sequenceFlow id="_2-_3" sourceRef="_2" targetRef="_3"/>
    <bpmn2:userTask id="_3" name="Review">
      <bpmn2:ioSpecification>
        <bpmn2:dataInput id="review_TaskName" name="TaskName"/>
        <bpmn2:dataInput id="review_ActorId" name="ActorId"/>
        <bpmn2:dataInput id="review_GroupId" name="GroupId"/>
        <bpmn2:dataInput id="review_Who" name="Who"/>
        <bpmn2:dataOutput id="review_Approved" name="Approved"/>
      </bpmn2:ioSpecification>
      <bpmn2:dataInputAssociation><bpmn2:targetRef>review_TaskName</bpmn2:targetRef>
        <bpmn2:assignment><bpmn2:from>Review</bpmn2:from><bpmn2:to>review_TaskName</bpmn2:to></bpmn2:assignment></bpmn2:dataInputAssociation>
      <bpmn2:dataInputAssociation><bpmn2:targetRef>review_ActorId</bpmn2:targetRef>
        <bpmn2:assignment><bpmn2:from>{actor}</bpmn2:from><bpmn2:to>review_ActorId</bpmn2:to></bpmn2:assignment></bpmn2:dataInputAssociation>{group_in}
      <bpmn2:dataInputAssociation><bpmn2:sourceRef>name</bpmn2:sourceRef><bpmn2:targetRef>review_Who</bpmn2:targetRef></bpmn2:dataInputAssociation>
      <bpmn2:dataOutputAssociation><bpmn2:sourceRef>review_Approved</bpmn2:sourceRef><bpmn2:targetRef>approved</bpmn2:targetRef></bpmn2:dataOutputAssociation>
    </bpmn2:userTask>
    <bpmn2:sequenceFlow id="_3-_4" sourceRef="_3" targetRef="_4"/>
    <bpmn2:endEvent id="_4" name="End"/>
  </bpmn2:process>
""" + TAIL


SIGNAL = HEAD + """
  <bpmn2:process id="demo.signal" drools:packageName="org.example" drools:version="1.0" name="Signal" isExecutable="true">
    <bpmn2:property id="payload" itemSubjectRef="_stringItem"/>
    <bpmn2:startEvent id="_1" name="Start"/>
    <bpmn2:sequenceFlow id="_1-_2" sourceRef="_1" targetRef="_2"/>
    <bpmn2:intermediateCatchEvent id="_2" name="Wait for go">
      <bpmn2:dataOutput id="_2_out" name="event"/>
      <bpmn2:dataOutputAssociation><bpmn2:sourceRef>_2_out</bpmn2:sourceRef><bpmn2:targetRef>payload</bpmn2:targetRef></bpmn2:dataOutputAssociation>
      <bpmn2:signalEventDefinition signalRef="go"/>
    </bpmn2:intermediateCatchEvent>
    <bpmn2:sequenceFlow id="_2-_3" sourceRef="_2" targetRef="_3"/>
    <bpmn2:endEvent id="_3" name="End"/>
  </bpmn2:process>
""" + TAIL

SIGNAL_START = HEAD + """
  <bpmn2:process id="demo.signalstart" drools:packageName="org.example" drools:version="1.0" name="SignalStart" isExecutable="true">
    <bpmn2:property id="data" itemSubjectRef="_stringItem"/>
    <bpmn2:startEvent id="_1" name="Started by signal">
      <bpmn2:dataOutput id="_1_out" name="event"/>
      <bpmn2:dataOutputAssociation><bpmn2:sourceRef>_1_out</bpmn2:sourceRef><bpmn2:targetRef>data</bpmn2:targetRef></bpmn2:dataOutputAssociation>
      <bpmn2:signalEventDefinition signalRef="start-me"/>
    </bpmn2:startEvent>
    <bpmn2:sequenceFlow id="_1-_2" sourceRef="_1" targetRef="_2"/>
    <bpmn2:userTask id="_2" name="Handle">
      <bpmn2:ioSpecification><bpmn2:dataInput id="_2_ActorId" name="ActorId"/></bpmn2:ioSpecification>
      <bpmn2:dataInputAssociation><bpmn2:targetRef>_2_ActorId</bpmn2:targetRef>
        <bpmn2:assignment><bpmn2:from>john</bpmn2:from><bpmn2:to>_2_ActorId</bpmn2:to></bpmn2:assignment></bpmn2:dataInputAssociation>
    </bpmn2:userTask>
    <bpmn2:sequenceFlow id="_2-_3" sourceRef="_2" targetRef="_3"/>
    <bpmn2:endEvent id="_3" name="End"/>
  </bpmn2:process>
""" + TAIL

TIMER = HEAD + """
  <bpmn2:process id="demo.timer" drools:packageName="org.example" drools:version="1.0" name="Timer" isExecutable="true">
    <bpmn2:startEvent id="_1" name="Start"/>
    <bpmn2:sequenceFlow id="_1-_2" sourceRef="_1" targetRef="_2"/>
    <bpmn2:intermediateCatchEvent id="_2" name="wait 1s">
      <bpmn2:timerEventDefinition><bpmn2:timeDuration xsi:type="bpmn2:tFormalExpression">1s</bpmn2:timeDuration></bpmn2:timerEventDefinition>
    </bpmn2:intermediateCatchEvent>
    <bpmn2:sequenceFlow id="_2-_3" sourceRef="_2" targetRef="_3"/>
    <bpmn2:endEvent id="_3" name="End"/>
  </bpmn2:process>
""" + TAIL

VARIABLES = HEAD + """
  <bpmn2:process id="demo.variables" drools:packageName="org.example" drools:version="1.0" name="Variables" isExecutable="true">
    <bpmn2:property id="s" itemSubjectRef="_stringItem"/>
    <bpmn2:property id="i" itemSubjectRef="_integerItem"/>
    <bpmn2:property id="l" itemSubjectRef="_longItem"/>
    <bpmn2:property id="f" itemSubjectRef="_floatItem"/>
    <bpmn2:property id="b" itemSubjectRef="_booleanItem"/>
    <bpmn2:property id="o" itemSubjectRef="_objectItem"/>
    <bpmn2:startEvent id="_1" name="Start"/>
    <bpmn2:sequenceFlow id="_1-_2" sourceRef="_1" targetRef="_2"/>
    <bpmn2:intermediateCatchEvent id="_2" name="Wait">
      <bpmn2:signalEventDefinition signalRef="go"/>
    </bpmn2:intermediateCatchEvent>
    <bpmn2:sequenceFlow id="_2-_3" sourceRef="_2" targetRef="_3"/>
    <bpmn2:endEvent id="_3" name="End"/>
  </bpmn2:process>
""" + TAIL

WORK_ITEM = HEAD + """
  <bpmn2:process id="demo.workitem" drools:packageName="org.example" drools:version="1.0" name="WorkItem" isExecutable="true">
    <bpmn2:property id="result" itemSubjectRef="_stringItem"/>
    <bpmn2:startEvent id="_1" name="Start"/>
    <bpmn2:sequenceFlow id="_1-_2" sourceRef="_1" targetRef="_2"/>
    <bpmn2:task id="_2" name="Call service" drools:taskName="MyService">
      <bpmn2:ioSpecification>
        <bpmn2:dataInput id="_2_In" name="Input"/>
        <bpmn2:dataOutput id="_2_Out" name="Output"/>
      </bpmn2:ioSpecification>
      <bpmn2:dataInputAssociation><bpmn2:targetRef>_2_In</bpmn2:targetRef>
        <bpmn2:assignment><bpmn2:from>hello</bpmn2:from><bpmn2:to>_2_In</bpmn2:to></bpmn2:assignment></bpmn2:dataInputAssociation>
      <bpmn2:dataOutputAssociation><bpmn2:sourceRef>_2_Out</bpmn2:sourceRef><bpmn2:targetRef>result</bpmn2:targetRef></bpmn2:dataOutputAssociation>
    </bpmn2:task>
    <bpmn2:sequenceFlow id="_2-_3" sourceRef="_2" targetRef="_3"/>
    <bpmn2:endEvent id="_3" name="End"/>
  </bpmn2:process>
""" + TAIL

SCRIPT_ONLY = HEAD + """
  <bpmn2:process id="demo.straight" drools:packageName="org.example" drools:version="1.0" name="Straight" isExecutable="true">
    <bpmn2:property id="x" itemSubjectRef="_integerItem"/>
    <bpmn2:startEvent id="_1" name="Start"/>
    <bpmn2:sequenceFlow id="_1-_2" sourceRef="_1" targetRef="_2"/>
    <bpmn2:scriptTask id="_2" name="Double" scriptFormat="http://www.java.com/java">
      <bpmn2:script>kcontext.setVariable("x", x * 2);</bpmn2:script>
    </bpmn2:scriptTask>
    <bpmn2:sequenceFlow id="_2-_3" sourceRef="_2" targetRef="_3"/>
    <bpmn2:endEvent id="_3" name="End"/>
  </bpmn2:process>
""" + TAIL
