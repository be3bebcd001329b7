"""Glue between process scripts/conditions and the team's expression language (containers.expressions).

Scripts see the visible process variables as names, `kcontext`, the process globals and helpers;
MVEL scripts write assignments to variable names back into the instance (jBPM's MVEL resolver
factory does), Java scripts do not (jBPM's Java dialect copies variables into locals) - both
change variables with kcontext.setVariable.
"""
from __future__ import annotations

import re
import threading

from containers.expressions import ExpressionError, compile_block, compile_expression
from containers.values import to_java_string

PARAM_RE = re.compile(r"#\{([^\s}]+)\}")

_cache: dict = {}
_cache_lock = threading.Lock()
_CACHE_MAX = 4096


class ScriptError(Exception):
    """A script or expression failed to compile or run (wraps the expression error)."""

    def __init__(self, message, cause=None):
        super().__init__(message)
        self.message = message
        self.cause = cause


def _imports_of(definition):
    imports = {}
    if definition is None:
        return imports
    for imp in definition.imports:
        if not imp or imp.endswith(".*"):
            continue
        imports[imp.rsplit(".", 1)[-1]] = imp
    return imports


def _key(kind, text, dialect, definition):
    return (kind, text, dialect, id(definition.types) if definition is not None and definition.types is not None
            else None, tuple(definition.imports) if definition is not None else ())


def _compiled(kind, text, dialect, definition, source_name="<expr>", line=1):
    key = _key(kind, text, dialect, definition)
    c = _cache.get(key)
    if c is not None:
        return c
    types = definition.types if definition is not None else None
    imports = _imports_of(definition)
    d = "java" if dialect == "java" else "mvel"
    try:
        if kind == "block":
            c = compile_block(text, source_name=source_name, line=line or 1, types=types, imports=imports, dialect=d)
        else:
            c = compile_expression(text, source_name=source_name, line=line or 1, types=types, imports=imports,
                                   dialect=d)
    except ExpressionError as e:
        raise ScriptError(f"{e}", e) from None
    with _cache_lock:
        if len(_cache) > _CACHE_MAX:
            _cache.clear()
        _cache[key] = c
    return c


def compile_script(script, definition, source_name):
    """The compiled block of a Script (cached on the Script object)."""
    if script.compiled is None:
        if script.dialect not in ("java", "mvel"):
            raise ScriptError(f"unsupported script dialect {script.dialect!r} in {source_name}")
        script.compiled = _compiled("block", script.text, script.dialect, definition, source_name, script.line)
    return script.compiled


def compile_condition(cond, definition, source_name):
    """A sequence-flow / completion condition: Java `return ...;` blocks, MVEL expressions (or blocks)."""
    if cond.compiled is None:
        text = cond.text.strip()
        m = PARAM_RE.fullmatch(text)
        if m:
            text = m.group(1)
        if cond.dialect not in ("java", "mvel"):
            raise ScriptError(f"unsupported condition language {cond.dialect!r} in {source_name}")
        if cond.dialect == "java" or "return" in text or ";" in text:
            try:
                cond.compiled = ("block", _compiled("block", text, cond.dialect, definition, source_name, cond.line))
            except ScriptError:
                if cond.dialect == "java":
                    raise
                cond.compiled = ("expr", _compiled("expr", text.rstrip(";"), cond.dialect, definition,
                                                   source_name, cond.line))
        else:
            try:
                cond.compiled = ("expr", _compiled("expr", text, cond.dialect, definition, source_name, cond.line))
            except ScriptError:
                cond.compiled = ("block", _compiled("block", text, cond.dialect, definition, source_name,
                                                    cond.line))
    return cond.compiled


def eval_expression(text, env, definition, source_name="<expr>"):
    return _compiled("expr", text, "mvel", definition, source_name)(env)


def run_block(text, env, definition, dialect="mvel", source_name="<block>"):
    return _compiled("block", text, dialect, definition, source_name)(env)


def interpolate(text, resolve):
    """Replace every #{name} / #{expr} with to_java_string(resolve(name)); None -> ""."""
    if not isinstance(text, str) or "#{" not in text:
        return text
    cache = {}

    def sub(m):
        name = m.group(1)
        if name not in cache:
            v = resolve(name)
            cache[name] = "" if v is None else to_java_string(v)
        return cache[name]
    return PARAM_RE.sub(sub, text)


# ---------------------------------------------------------------------------------------------
# kcontext


class _NodeView:
    def __init__(self, ni):
        self._ni = ni

    def getNodeName(self):
        return self._ni.node_name

    def getId(self):
        return self._ni.id

    def getNodeId(self):
        return self._ni.node.num

    def getUniqueId(self):
        return self._ni.unique_instance_id()

    def getNode(self):
        return _NodeDefView(self._ni.node)

    def getProcessInstance(self):
        return _ProcessView(self._ni.process_instance)

    def getVariable(self, name):
        return self._ni.get_variable(name)

    def setVariable(self, name, value):
        self._ni.set_variable(name, value)

    def getWorkItem(self):
        wi = getattr(self._ni, "work_item", None)
        return wi() if callable(wi) else wi

    def getLevel(self):
        return 1


class _NodeDefView:
    def __init__(self, node):
        self._node = node

    def getName(self):
        return self._node.name

    def getId(self):
        return self._node.num

    def getMetaData(self):
        d = dict(self._node.metadata)
        d.setdefault("UniqueId", self._node.id)
        return d


class _ProcessView:
    def __init__(self, pi):
        self._pi = pi

    def getId(self):
        return self._pi.id

    def getProcessId(self):
        return self._pi.process_id

    def getProcessName(self):
        return self._pi.definition.name

    def getProcessVersion(self):
        return self._pi.definition.version

    def getParentProcessInstanceId(self):
        return self._pi.parent_instance_id

    def getState(self):
        return self._pi.state

    def getDescription(self):
        return self._pi.description

    def getCorrelationKey(self):
        return self._pi.correlation_key

    def getDeploymentId(self):
        return self._pi.env.deployment_id

    def getVariable(self, name):
        return self._pi.get_variable(name)

    def setVariable(self, name, value):
        self._pi.set_variable(name, value)

    def getVariables(self):
        return dict(self._pi.variables)

    def signalEvent(self, type, event=None):
        self._pi.signal(type, event)

    def getMetaData(self):
        return self._pi.metadata


class _KieRuntimeView:
    """kcontext.getKieRuntime(): session-level signals and a few helpers."""

    def __init__(self, pi):
        self._pi = pi

    def signalEvent(self, type, event=None, process_instance_id=None):
        if process_instance_id is not None:
            if process_instance_id == self._pi.id:
                self._pi.signal(type, event)
            else:
                self._pi._emit("signal", signal=type, data=event, scope="processInstance",
                               target_process_instance_id=process_instance_id, self_delivered=False)
            return
        self._pi.broadcast_signal(type, event, scope="default")

    def getProcessInstance(self, pid=None):
        if pid is None or pid == self._pi.id:
            return _ProcessView(self._pi)
        hook = getattr(self._pi.env, "get_process_instance", None)
        return hook(pid) if hook else None

    def getEnvironment(self):
        return _EnvView(self._pi)

    def getIdentifier(self):
        return 0

    def getGlobal(self, name):
        return self._pi.env.globals.get(name)

    def insert(self, obj):
        hook = getattr(self._pi.env, "insert_fact", None)
        if hook is None:
            raise ScriptError("insert() needs a rule session (no runtime hook installed)")
        return hook(obj, self._pi)

    def getWorkItemManager(self):
        return self._pi


class _EnvView:
    def __init__(self, pi):
        self._pi = pi

    def get(self, name):
        if name == "deploymentId":
            return self._pi.env.deployment_id
        return None


class KContext:
    """The `kcontext` object scripts receive (ProcessContext)."""

    def __init__(self, pi, ni=None):
        self._pi = pi
        self._ni = ni

    def getVariable(self, name):
        if self._ni is not None:
            return self._ni.get_variable(name)
        return self._pi.get_variable(name)

    def setVariable(self, name, value):
        if self._ni is not None:
            self._ni.set_variable(name, value)
        else:
            self._pi.set_variable(name, value)

    def getProcessInstance(self):
        return _ProcessView(self._pi)

    def getNodeInstance(self):
        return _NodeView(self._ni) if self._ni is not None else None

    def getKieRuntime(self):
        return _KieRuntimeView(self._pi)

    getKnowledgeRuntime = getKieRuntime

    def getCaseData(self):
        return None

    def getCaseAssignment(self):
        return None
