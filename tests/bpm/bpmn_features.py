"""jBPM-style BPMN2 documents for the elements the containers/bpmn engine brought to the process service:
boundary events, embedded and reusable sub-processes, multi-instance, inclusive gateways, errors."""
from tests.bpm.bpmn import HEAD, TAIL


def _owner(node, actor):
    return (f'<bpmn2:potentialOwner><bpmn2:resourceAssignmentExpression><bpmn2:formalExpression>{actor}'
            f'</bpmn2:formalExpression></bpmn2:resourceAssignmentExpression></bpmn2:potentialOwner>')


# user task "Work" (john) with an interrupting boundary timer (#{delay}) and an interrupting boundary signal
BOUNDARY = HEAD.replace('<bpmn2:signal id="go" name="go"/>', '<bpmn2:signal id="stop" name="stop"/>') + """
  <bpmn2:process id="demo.boundary" drools:packageName="org.example" drools:version="1.0" name="Boundary" isExecutable="true">
    <bpmn2:property id="delay" itemSubjectRef="_stringItem"/>
    <bpmn2:property id="outcome" itemSubjectRef="_stringItem"/>
    <bpmn2:startEvent id="_1" name="Start"/>
    <bpmn2:sequenceFlow id="_1-_2" sourceRef="_1" targetRef="_2"/>
    <bpmn2:userTask id="_2" name="Work">""" + _owner("_2", "john") + """</bpmn2:userTask>
    <bpmn2:sequenceFlow id="_2-_3" sourceRef="_2" targetRef="_3"/>
    <bpmn2:scriptTask id="_3" name="Done" scriptFormat="http://www.java.com/java">
      <bpmn2:script>kcontext.setVariable("outcome", "done");</bpmn2:script>
    </bpmn2:scriptTask>
    <bpmn2:sequenceFlow id="_3-_4" sourceRef="_3" targetRef="_4"/>
    <bpmn2:endEvent id="_4" name="End"/>
    <bpmn2:boundaryEvent id="_5" name="Timeout" attachedToRef="_2" cancelActivity="true">
      <bpmn2:timerEventDefinition><bpmn2:timeDuration xsi:type="bpmn2:tFormalExpression">#{delay}</bpmn2:timeDuration></bpmn2:timerEventDefinition>
    </bpmn2:boundaryEvent>
    <bpmn2:sequenceFlow id="_5-_6" sourceRef="_5" targetRef="_6"/>
    <bpmn2:scriptTask id="_6" name="Timed out" scriptFormat="http://www.java.com/java">
      <bpmn2:script>kcontext.setVariable("outcome", "timeout");</bpmn2:script>
    </bpmn2:scriptTask>
    <bpmn2:sequenceFlow id="_6-_7" sourceRef="_6" targetRef="_7"/>
    <bpmn2:endEvent id="_7" name="End after timeout"/>
    <bpmn2:boundaryEvent id="_8" name="Stop" attachedToRef="_2" cancelActivity="true">
      <bpmn2:signalEventDefinition signalRef="stop"/>
    </bpmn2:boundaryEvent>
    <bpmn2:sequenceFlow id="_8-_9" sourceRef="_8" targetRef="_9"/>
    <bpmn2:scriptTask id="_9" name="Stopped" scriptFormat="http://www.java.com/java">
      <bpmn2:script>kcontext.setVariable("outcome", "stopped");</bpmn2:script>
    </bpmn2:scriptTask>
    <bpmn2:sequenceFlow id="_9-_10" sourceRef="_9" targetRef="_10"/>
    <bpmn2:endEvent id="_10" name="End after stop"/>
  </bpmn2:process>
""" + TAIL

# embedded sub-process with its own variable: start -> [start -> script -> user task -> end] -> script -> end
EMBEDDED = HEAD + """
  <bpmn2:process id="demo.embedded" drools:packageName="org.example" drools:version="1.0" name="Embedded" isExecutable="true">
    <bpmn2:property id="count" itemSubjectRef="_integerItem"/>
    <bpmn2:property id="after" itemSubjectRef="_stringItem"/>
    <bpmn2:startEvent id="_1" name="Start"/>
    <bpmn2:sequenceFlow id="_1-_2" sourceRef="_1" targetRef="_2"/>
    <bpmn2:subProcess id="_2" name="Inner">
      <bpmn2:property id="local" itemSubjectRef="_stringItem"/>
      <bpmn2:startEvent id="_2_1" name="Inner start"/>
      <bpmn2:sequenceFlow id="_2_1-_2_2" sourceRef="_2_1" targetRef="_2_2"/>
      <bpmn2:scriptTask id="_2_2" name="Count" scriptFormat="http://www.java.com/java">
        <bpmn2:script>kcontext.setVariable("count", count + 1); kcontext.setVariable("local", "inside");</bpmn2:script>
      </bpmn2:scriptTask>
      <bpmn2:sequenceFlow id="_2_2-_2_3" sourceRef="_2_2" targetRef="_2_3"/>
      <bpmn2:userTask id="_2_3" name="Inner task">""" + _owner("_2_3", "john") + """</bpmn2:userTask>
      <bpmn2:sequenceFlow id="_2_3-_2_4" sourceRef="_2_3" targetRef="_2_4"/>
      <bpmn2:endEvent id="_2_4" name="Inner end"/>
    </bpmn2:subProcess>
    <bpmn2:sequenceFlow id="_2-_3" sourceRef="_2" targetRef="_3"/>
    <bpmn2:scriptTask id="_3" name="After" scriptFormat="http://www.java.com/java">
      <bpmn2:script>kcontext.setVariable("after", "count=" + count);</bpmn2:script>
    </bpmn2:scriptTask>
    <bpmn2:sequenceFlow id="_3-_4" sourceRef="_3" targetRef="_4"/>
    <bpmn2:endEvent id="_4" name="End"/>
  </bpmn2:process>
""" + TAIL

# call activity: parent.amount -> child.amount; child.result -> parent.result; the child waits in a user task
CALL = HEAD + """
  <bpmn2:process id="demo.parent" drools:packageName="org.example" drools:version="1.0" name="Parent" isExecutable="true">
    <bpmn2:property id="amount" itemSubjectRef="_integerItem"/>
    <bpmn2:property id="result" itemSubjectRef="_stringItem"/>
    <bpmn2:startEvent id="_1" name="Start"/>
    <bpmn2:sequenceFlow id="_1-_2" sourceRef="_1" targetRef="_2"/>
    <bpmn2:callActivity id="_2" name="Call child" calledElement="demo.child" drools:independent="false" drools:waitForCompletion="true">
      <bpmn2:ioSpecification>
        <bpmn2:dataInput id="_2_amountIn" name="amount"/>
        <bpmn2:dataOutput id="_2_resultOut" name="result"/>
      </bpmn2:ioSpecification>
      <bpmn2:dataInputAssociation><bpmn2:sourceRef>amount</bpmn2:sourceRef><bpmn2:targetRef>_2_amountIn</bpmn2:targetRef></bpmn2:dataInputAssociation>
      <bpmn2:dataOutputAssociation><bpmn2:sourceRef>_2_resultOut</bpmn2:sourceRef><bpmn2:targetRef>result</bpmn2:targetRef></bpmn2:dataOutputAssociation>
    </bpmn2:callActivity>
    <bpmn2:sequenceFlow id="_2-_3" sourceRef="_2" targetRef="_3"/>
    <bpmn2:endEvent id="_3" name="End"/>
  </bpmn2:process>
  <bpmn2:process id="demo.child" drools:packageName="org.example" drools:version="1.0" name="Child" isExecutable="true">
    <bpmn2:property id="amount" itemSubjectRef="_integerItem"/>
    <bpmn2:property id="result" itemSubjectRef="_stringItem"/>
    <bpmn2:startEvent id="_1" name="Start"/>
    <bpmn2:sequenceFlow id="_1-_2" sourceRef="_1" targetRef="_2"/>
    <bpmn2:userTask id="_2" name="Check amount">""" + _owner("_2", "john") + """</bpmn2:userTask>
    <bpmn2:sequenceFlow id="_2-_3" sourceRef="_2" targetRef="_3"/>
    <bpmn2:scriptTask id="_3" name="Answer" scriptFormat="http://www.java.com/java">
      <bpmn2:script>kcontext.setVariable("result", "checked " + (amount * 2));</bpmn2:script>
    </bpmn2:scriptTask>
    <bpmn2:sequenceFlow id="_3-_4" sourceRef="_3" targetRef="_4"/>
    <bpmn2:endEvent id="_4" name="End"/>
  </bpmn2:process>
""" + TAIL

# multi-instance user task: one task per element of "reviewers", owned by that element
MULTI = HEAD.replace('<bpmn2:itemDefinition id="_objectItem"',
                     '<bpmn2:itemDefinition id="_listItem" structureRef="java.util.List"/>\n'
                     '  <bpmn2:itemDefinition id="_objectItem"') + """
  <bpmn2:process id="demo.multi" drools:packageName="org.example" drools:version="1.0" name="Multi" isExecutable="true">
    <bpmn2:property id="reviewers" itemSubjectRef="_listItem"/>
    <bpmn2:startEvent id="_1" name="Start"/>
    <bpmn2:sequenceFlow id="_1-_2" sourceRef="_1" targetRef="_2"/>
    <bpmn2:userTask id="_2" name="Review">
      <bpmn2:ioSpecification>
        <bpmn2:dataInput id="_2_input" name="MultiInstanceInput"/>
        <bpmn2:dataInput id="_2_ActorId" name="ActorId"/>
        <bpmn2:dataInput id="_2_Reviewer" name="Reviewer"/>
      </bpmn2:ioSpecification>
      <bpmn2:dataInputAssociation><bpmn2:sourceRef>reviewers</bpmn2:sourceRef><bpmn2:targetRef>_2_input</bpmn2:targetRef></bpmn2:dataInputAssociation>
      <bpmn2:dataInputAssociation><bpmn2:targetRef>_2_ActorId</bpmn2:targetRef>
        <bpmn2:assignment><bpmn2:from>#{reviewer}</bpmn2:from><bpmn2:to>_2_ActorId</bpmn2:to></bpmn2:assignment></bpmn2:dataInputAssociation>
      <bpmn2:dataInputAssociation><bpmn2:sourceRef>reviewer</bpmn2:sourceRef><bpmn2:targetRef>_2_Reviewer</bpmn2:targetRef></bpmn2:dataInputAssociation>
      <bpmn2:multiInstanceLoopCharacteristics>
        <bpmn2:loopDataInputRef>_2_input</bpmn2:loopDataInputRef>
        <bpmn2:inputDataItem id="reviewer" itemSubjectRef="_stringItem"/>
      </bpmn2:multiInstanceLoopCharacteristics>
    </bpmn2:userTask>
    <bpmn2:sequenceFlow id="_2-_3" sourceRef="_2" targetRef="_3"/>
    <bpmn2:endEvent id="_3" name="End"/>
  </bpmn2:process>
""" + TAIL

# inclusive gateway: x > 1 -> A, x > 5 -> B, default -> C; converging inclusive gateway; path records the branches
INCLUSIVE = HEAD + """
  <bpmn2:process id="demo.inclusive" drools:packageName="org.example" drools:version="1.0" name="Inclusive" isExecutable="true">
    <bpmn2:property id="x" itemSubjectRef="_integerItem"/>
    <bpmn2:property id="path" itemSubjectRef="_stringItem"/>
    <bpmn2:startEvent id="_1" name="Start"/>
    <bpmn2:sequenceFlow id="_1-_2" sourceRef="_1" targetRef="_2"/>
    <bpmn2:inclusiveGateway id="_2" name="Fork" gatewayDirection="Diverging" default="_2-_C"/>
    <bpmn2:sequenceFlow id="_2-_A" sourceRef="_2" targetRef="_A">
      <bpmn2:conditionExpression xsi:type="bpmn2:tFormalExpression" language="http://www.java.com/java">return x &gt; 1;</bpmn2:conditionExpression>
    </bpmn2:sequenceFlow>
    <bpmn2:sequenceFlow id="_2-_B" sourceRef="_2" targetRef="_B">
      <bpmn2:conditionExpression xsi:type="bpmn2:tFormalExpression" language="http://www.java.com/java">return x &gt; 5;</bpmn2:conditionExpression>
    </bpmn2:sequenceFlow>
    <bpmn2:sequenceFlow id="_2-_C" sourceRef="_2" targetRef="_C"/>
    <bpmn2:scriptTask id="_A" name="A" scriptFormat="http://www.java.com/java">
      <bpmn2:script>kcontext.setVariable("path", (path == null ? "" : path) + "A");</bpmn2:script>
    </bpmn2:scriptTask>
    <bpmn2:scriptTask id="_B" name="B" scriptFormat="http://www.java.com/java">
      <bpmn2:script>kcontext.setVariable("path", (path == null ? "" : path) + "B");</bpmn2:script>
    </bpmn2:scriptTask>
    <bpmn2:scriptTask id="_C" name="C" scriptFormat="http://www.java.com/java">
      <bpmn2:script>kcontext.setVariable("path", (path == null ? "" : path) + "C");</bpmn2:script>
    </bpmn2:scriptTask>
    <bpmn2:sequenceFlow id="_A-_3" sourceRef="_A" targetRef="_3"/>
    <bpmn2:sequenceFlow id="_B-_3" sourceRef="_B" targetRef="_3"/>
    <bpmn2:sequenceFlow id="_C-_3" sourceRef="_C" targetRef="_3"/>
    <bpmn2:inclusiveGateway id="_3" name="Merge" gatewayDirection="Converging"/>
    <bpmn2:sequenceFlow id="_3-_4" sourceRef="_3" targetRef="_4"/>
    <bpmn2:userTask id="_4" name="Look">""" + _owner("_4", "john") + """</bpmn2:userTask>
    <bpmn2:sequenceFlow id="_4-_5" sourceRef="_4" targetRef="_5"/>
    <bpmn2:endEvent id="_5" name="End"/>
  </bpmn2:process>
""" + TAIL

# an error end event inside an embedded sub-process, caught by an error boundary event on the sub-process
ERROR = HEAD + """
  <bpmn2:error id="bad" errorCode="BadThing"/>
  <bpmn2:process id="demo.error" drools:packageName="org.example" drools:version="1.0" name="Error" isExecutable="true">
    <bpmn2:property id="handled" itemSubjectRef="_stringItem"/>
    <bpmn2:startEvent id="_1" name="Start"/>
    <bpmn2:sequenceFlow id="_1-_2" sourceRef="_1" targetRef="_2"/>
    <bpmn2:subProcess id="_2" name="Risky">
      <bpmn2:startEvent id="_2_1" name="Risky start"/>
      <bpmn2:sequenceFlow id="_2_1-_2_2" sourceRef="_2_1" targetRef="_2_2"/>
      <bpmn2:userTask id="_2_2" name="Try">""" + _owner("_2_2", "john") + """</bpmn2:userTask>
      <bpmn2:sequenceFlow id="_2_2-_2_3" sourceRef="_2_2" targetRef="_2_3"/>
      <bpmn2:endEvent id="_2_3" name="Fail">
        <bpmn2:errorEventDefinition errorRef="bad"/>
      </bpmn2:endEvent>
    </bpmn2:subProcess>
    <bpmn2:sequenceFlow id="_2-_3" sourceRef="_2" targetRef="_3"/>
    <bpmn2:endEvent id="_3" name="End"/>
    <bpmn2:boundaryEvent id="_4" name="On error" attachedToRef="_2">
      <bpmn2:errorEventDefinition errorRef="bad"/>
    </bpmn2:boundaryEvent>
    <bpmn2:sequenceFlow id="_4-_5" sourceRef="_4" targetRef="_5"/>
    <bpmn2:scriptTask id="_5" name="Recover" scriptFormat="http://www.java.com/java">
      <bpmn2:script>kcontext.setVariable("handled", "yes");</bpmn2:script>
    </bpmn2:scriptTask>
    <bpmn2:sequenceFlow id="_5-_6" sourceRef="_5" targetRef="_6"/>
    <bpmn2:endEvent id="_6" name="Recovered"/>
  </bpmn2:process>
""" + TAIL

# business rule task: "items" goes into the rules as a fact, the ruleflow group "check" changes it
RULES = HEAD.replace('<bpmn2:itemDefinition id="_objectItem"',
                     '<bpmn2:itemDefinition id="_listItem" structureRef="java.util.List"/>\n'
                     '  <bpmn2:itemDefinition id="_objectItem"') + """
  <bpmn2:process id="demo.rules" drools:packageName="org.example" drools:version="1.0" name="Rules" isExecutable="true">
    <bpmn2:property id="items" itemSubjectRef="_listItem"/>
    <bpmn2:startEvent id="_1" name="Start"/>
    <bpmn2:sequenceFlow id="_1-_2" sourceRef="_1" targetRef="_2"/>
    <bpmn2:businessRuleTask id="_2" name="Check" drools:ruleFlowGroup="check" implementation="http://www.jboss.org/drools/rule">
      <bpmn2:ioSpecification>
        <bpmn2:dataInput id="_2_itemsIn" name="items"/>
        <bpmn2:dataOutput id="_2_itemsOut" name="items"/>
      </bpmn2:ioSpecification>
      <bpmn2:dataInputAssociation><bpmn2:sourceRef>items</bpmn2:sourceRef><bpmn2:targetRef>_2_itemsIn</bpmn2:targetRef></bpmn2:dataInputAssociation>
      <bpmn2:dataOutputAssociation><bpmn2:sourceRef>_2_itemsOut</bpmn2:sourceRef><bpmn2:targetRef>items</bpmn2:targetRef></bpmn2:dataOutputAssociation>
    </bpmn2:businessRuleTask>
    <bpmn2:sequenceFlow id="_2-_3" sourceRef="_2" targetRef="_3"/>
    <bpmn2:userTask id="_3" name="Look">""" + _owner("_3", "john") + """</bpmn2:userTask>
    <bpmn2:sequenceFlow id="_3-_4" sourceRef="_3" targetRef="_4"/>
    <bpmn2:endEvent id="_4" name="End"/>
  </bpmn2:process>
""" + TAIL

RULES_DRL = """package org.example
import java.util.List
rule "check" ruleflow-group "check"
when $l : List()
then $l.add("checked");
end
rule "not in the group" ruleflow-group "other"
when $l : List()
then $l.add("other");
end
"""

# a timer start event: one instance about a second after the deployment
TIMER_START = HEAD + """
  <bpmn2:process id="demo.timerstart" drools:packageName="org.example" drools:version="1.0" name="TimerStart" isExecutable="true">
    <bpmn2:startEvent id="_1" name="In a second">
      <bpmn2:timerEventDefinition><bpmn2:timeDuration xsi:type="bpmn2:tFormalExpression">1s</bpmn2:timeDuration></bpmn2:timerEventDefinition>
    </bpmn2:startEvent>
    <bpmn2:sequenceFlow id="_1-_2" sourceRef="_1" targetRef="_2"/>
    <bpmn2:userTask id="_2" name="Started by a timer">""" + _owner("_2", "john") + """</bpmn2:userTask>
    <bpmn2:sequenceFlow id="_2-_3" sourceRef="_2" targetRef="_3"/>
    <bpmn2:endEvent id="_3" name="End"/>
  </bpmn2:process>
""" + TAIL

# a boundary signal on a user task inside an embedded sub-process (reached by a container-wide signal)
NESTED_BOUNDARY = HEAD.replace('<bpmn2:signal id="go" name="go"/>', '<bpmn2:signal id="halt" name="halt"/>') + """
  <bpmn2:process id="demo.nested" drools:packageName="org.example" drools:version="1.0" name="Nested" isExecutable="true">
    <bpmn2:startEvent id="_1" name="Start"/>
    <bpmn2:sequenceFlow id="_1-_2" sourceRef="_1" targetRef="_2"/>
    <bpmn2:subProcess id="_2" name="Outer">
      <bpmn2:startEvent id="_2_1" name="Outer start"/>
      <bpmn2:sequenceFlow id="_2_1-_2_2" sourceRef="_2_1" targetRef="_2_2"/>
      <bpmn2:userTask id="_2_2" name="Wait inside">""" + _owner("_2_2", "john") + """</bpmn2:userTask>
      <bpmn2:sequenceFlow id="_2_2-_2_3" sourceRef="_2_2" targetRef="_2_3"/>
      <bpmn2:endEvent id="_2_3" name="Outer end"/>
      <bpmn2:boundaryEvent id="_2_4" name="Halted" attachedToRef="_2_2" cancelActivity="true">
        <bpmn2:signalEventDefinition signalRef="halt"/>
      </bpmn2:boundaryEvent>
      <bpmn2:sequenceFlow id="_2_4-_2_5" sourceRef="_2_4" targetRef="_2_5"/>
      <bpmn2:endEvent id="_2_5" name="Halted end"/>
    </bpmn2:subProcess>
    <bpmn2:sequenceFlow id="_2-_3" sourceRef="_2" targetRef="_3"/>
    <bpmn2:endEvent id="_3" name="End"/>
  </bpmn2:process>
""" + TAIL

# customAsync script task: runs in an executor job (jBPM AsyncSignalEventCommand)
ASYNC = HEAD + """
  <bpmn2:process id="demo.async" drools:packageName="org.example" drools:version="1.0" name="Async" isExecutable="true">
    <bpmn2:property id="msg" itemSubjectRef="_stringItem"/>
    <bpmn2:startEvent id="_1" name="Start"/>
    <bpmn2:sequenceFlow id="_1-_2" sourceRef="_1" targetRef="_2"/>
    <bpmn2:scriptTask id="_2" name="Later" scriptFormat="http://www.java.com/java">
      <bpmn2:extensionElements><drools:metaData name="customAsync"><drools:metaValue>true</drools:metaValue></drools:metaData></bpmn2:extensionElements>
      <bpmn2:script>kcontext.setVariable("msg", "ran in a job");</bpmn2:script>
    </bpmn2:scriptTask>
    <bpmn2:sequenceFlow id="_2-_3" sourceRef="_2" targetRef="_3"/>
    <bpmn2:endEvent id="_3" name="End"/>
  </bpmn2:process>
""" + TAIL
