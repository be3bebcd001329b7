"""Helpers for the BRM tests: deploy a kjar, write a batch as the Java client does in each format,
post it to /containers/instances/{id} and read the ServiceResponse<ExecutionResults>."""
from marshallers import JAXB, JSON, XSTREAM, marshal, unmarshal
from marshallers.codec_json import encode_any_b
from marshallers.common import Ctx
from marshallers.jsonwriter import pretty
from marshallers.types.batch import BatchExecutionCommand, Command
from marshallers.types.core import ServiceResponse
from tests.kjars import build_kjar

FMT = {"json": JSON, "jaxb": JAXB, "xstream": XSTREAM}
FORMATS = list(FMT)
CLASS_TYPE = {"X-KIE-ClassType": "org.drools.core.command.runtime.BatchExecutionCommandImpl"}


def deploy(client, cid, files, kmodule=None, status=201):
    kw = {"files": files}
    if kmodule is not None:
        kw["kmodule"] = kmodule
    r = client.put(f"/containers/{cid}", body=build_kjar(artifact=f"{cid}-kjar", **kw),
                   headers={"Content-Type": "application/java-archive"})
    assert r.status_code == status, r.text
    return r


def types_of(client, cid):
    kc = client.app.kie_server.containers.runtime(cid)
    return kc.types if kc is not None else None


def bean(client, cid, java_name, **props):
    return types_of(client, cid).get(java_name)(**props)


def json_batch(lookup, commands, types):
    """The batch as the Java client writes it in JSON (wire-formats.md §6.2)."""
    ctx = Ctx(types)

    def b(v):
        return encode_any_b(v, ctx)

    out = []
    for c in commands:
        m = c.m
        n = c.name
        if n == "insert":
            body = {"object": b(m["object"]), "out-identifier": m.get("out_identifier"),
                    "return-object": m.get("return_object", True), "entry-point": m.get("entry_point", "DEFAULT"),
                    "disconnected": False}
        elif n == "insert-elements":
            body = {"outIdentifier": m.get("out_identifier"),
                    "list": {"type": "LIST", "componentType": None, "element": [b(x) for x in m["objects"]]},
                    "return-objects": m.get("return_objects", True), "entry-point": m.get("entry_point", "DEFAULT")}
        elif n == "fire-all-rules":
            body = {"max": m.get("max", -1), "agendaFilter": m.get("agenda_filter_json"),
                    "out-identifier": m.get("out_identifier")}
        elif n == "get-objects":
            f = m.get("class_name")
            body = {"class-object-filter": {"string": f} if f else None, "out-identifier": m.get("out_identifier")}
        elif n == "query":
            body = {"name": m["query_name"], "arguments": [b(a) for a in m.get("arguments", [])],
                    "out-identifier": m.get("out_identifier")}
        elif n == "set-global":
            body = {"identifier": m["identifier"], "object": b(m.get("object")), "out-identifier": m.get("out_identifier")}
        elif n == "get-global":
            body = {"identifier": m["identifier"], "out-identifier": m.get("out_identifier")}
        elif n == "delete":
            n, body = "retract", {"fact-handle": m["handle"].external_form}
        elif n == "modify":
            body = {"fact-handle": m["handle"].external_form,
                    "setters": [{"accessor": a, "value": v} for a, v in m["setters"]]}
        elif n == "update":
            body = {"fact-handle": m["handle"].external_form, "object": b(m["object"]), "entryPoint": "DEFAULT",
                    "modifiedProperties": m.get("modified_properties")}
        elif n == "get-object":
            body = {"fact-handle": m["handle"].external_form, "out-identifier": m.get("out_identifier")}
        elif n == "get-fact-handles":
            body = {"disconnected": bool(m.get("disconnected")), "out-identifier": m.get("out_identifier")}
        elif n in ("set-focus", "clear-agenda-group", "clear-activation-group", "clear-ruleflow-group"):
            body = {"name": m["group"]}
        elif n == "start-process":
            body = {"processId": m["process_id"], "out-identifier": m.get("out_identifier"), "data": [],
                    "parameter": [{"value": b(v), "key": k} for k, v in (m.get("parameters") or {}).items()]}
        elif n == "signal-event":
            body = {"process-instance-id": m.get("process_instance_id", -1), "correlation-key": m.get("correlation_key"),
                    "event-type": m["event_type"], "event": b(m.get("event"))}
        elif n == "complete-work-item":
            body = {"id": m["id"], "result": [{"value": b(v), "key": k} for k, v in (m.get("results") or {}).items()]}
        elif n == "abort-work-item":
            body = {"id": m["id"]}
        else:
            body = {}
        out.append({n: body})
    return pretty({"lookup": lookup, "commands": out})


def batch_body(fmt, lookup, commands, types):
    if fmt == "json":
        return json_batch(lookup, commands, types)
    return marshal(BatchExecutionCommand(lookup, commands), FMT[fmt], types=types)


def post(client, cid, fmt, body, status=None, headers=None):
    """POST a raw body; returns (ServiceResponse, response text)."""
    h = dict(CLASS_TYPE)
    h.update(headers or {})
    r = client.post(f"/containers/instances/{cid}", body=body, fmt=fmt, headers=h)
    if status is not None:
        assert r.status_code == status, r.text
    sr = unmarshal(r.text, FMT[fmt], ServiceResponse, types=types_of(client, cid))
    assert (r.status_code == 200) == (sr.type == "SUCCESS"), (r.status_code, r.text)
    return sr, r.text


def call(client, cid, fmt, commands, lookup=None, status=200):
    """Run commands; returns (ServiceResponse, response text)."""
    return post(client, cid, fmt, batch_body(fmt, lookup, commands, types_of(client, cid)), status)


def results(client, cid, fmt, commands, lookup=None):
    sr, _ = call(client, cid, fmt, commands, lookup)
    return sr.result


__all__ = ["FMT", "FORMATS", "Command", "deploy", "bean", "types_of", "call", "post", "results", "batch_body"]
