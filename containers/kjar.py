"""Reading a kjar: a zip with META-INF/kmodule.xml, a pom, rules, processes, decisions and classes.

Nothing in a kjar is executed here; we only read it, defensively (zip bombs, path traversal,
hostile XML).
"""
from __future__ import annotations

import io
import posixpath
import re
import zipfile

from containers.classfile import ClassFileError, read_class
from containers.values import FieldDef, TypeRegistry

MAX_ENTRIES = 20000
MAX_TOTAL_BYTES = 512 * 1024 * 1024
MAX_ENTRY_BYTES = 128 * 1024 * 1024
MAX_RATIO = 200   # uncompressed / compressed, per entry (zip bomb guard)

KMODULE = "META-INF/kmodule.xml"
RESOURCE_EXTS = (".drl", ".bpmn", ".bpmn2", ".dmn", ".rdrl", ".xls", ".xlsx", ".csv", ".gdst",
                 ".rdslr", ".dsl", ".dslr", ".scesim", ".pmml")


class KjarError(ValueError):
    """The kjar cannot be used; `messages` lists every problem found."""

    def __init__(self, messages):
        if isinstance(messages, str):
            messages = [messages]
        super().__init__("; ".join(messages))
        self.messages = list(messages)


class GAV:
    __slots__ = ("group_id", "artifact_id", "version")

    def __init__(self, group_id, artifact_id, version):
        self.group_id, self.artifact_id, self.version = group_id, artifact_id, version

    def __str__(self):
        return f"{self.group_id}:{self.artifact_id}:{self.version}"

    def __eq__(self, other):
        return isinstance(other, GAV) and str(self) == str(other)

    def __hash__(self):
        return hash(str(self))

    @property
    def is_snapshot(self):
        return (self.version or "").endswith("SNAPSHOT")

    def jar_path(self):
        return f"{self.group_id.replace('.', '/')}/{self.artifact_id}/{self.version}/{self.artifact_id}-{self.version}.jar"

    def pom_path(self):
        return self.jar_path()[:-4] + ".pom"


class KSessionModel:
    def __init__(self, name, type="stateful", default=False, clock_type="realtime"):
        self.name, self.type, self.default, self.clock_type = name, type, default, clock_type

    def __repr__(self):
        return f"KSession({self.name}, {self.type}, default={self.default})"


class KBaseModel:
    def __init__(self, name, packages=(), includes=(), default=False, event_mode="cloud",
                 equals_behavior="identity"):
        self.name = name
        self.packages = list(packages)
        self.includes = list(includes)
        self.default = default
        self.event_mode = event_mode
        self.equals_behavior = equals_behavior
        self.ksessions: list[KSessionModel] = []
        self.resources: list[str] = []   # paths in the kjar, own and included

    def __repr__(self):
        return f"KBase({self.name}, packages={self.packages}, ksessions={self.ksessions})"


class Kjar:
    """A parsed kjar: its GAV, kmodule (kbases and ksessions), resources and class shapes."""

    def __init__(self, data: bytes):
        self.data = data
        self.files: dict[str, bytes] = {}
        self.gav: GAV | None = None
        self.kbases: list[KBaseModel] = []
        self.classes = {}      # java name -> JavaClassInfo
        self.warnings: list[str] = []
        self.descriptor: bytes | None = None

    # -- lookups used by the runtimes ---------------------------------------------------------
    def text(self, path) -> str:
        return self.files[path].decode("utf-8-sig")

    def resources(self, *exts):
        return sorted(p for p in self.files if p.lower().endswith(exts))

    def kbase(self, name=None):
        if name is None:
            for kb in self.kbases:
                if kb.default:
                    return kb
            return self.kbases[0] if self.kbases else None
        for kb in self.kbases:
            if kb.name == name:
                return kb
        return None

    def ksession(self, name=None):
        """(kbase, ksession) by name, or the default stateful session when name is None."""
        for kb in self.kbases:
            for ks in kb.ksessions:
                if (name is None and ks.default and ks.type == "stateful") or ks.name == name:
                    return kb, ks
        return None, None

    def ksessions(self):
        return [ks for kb in self.kbases for ks in kb.ksessions]

    def runtime_dependencies(self):
        """The pom's dependencies that KIE puts on the container's class path ("group:artifact:
        version"; MavenClassLoaderResolver with DependencyFilter.COMPILE_FILTER: every scope but
        test and provided), or None when that cannot be known here: no readable pom, or a parent
        pom (whose dependencies the kjar inherits)."""
        from marshallers.xmltree import XmlError, local, parse_xml
        poms = [p for p in self.files if p == "pom.xml" or (p.startswith("META-INF/maven/") and p.endswith("/pom.xml"))]
        if self.gav is not None:
            own = f"META-INF/maven/{self.gav.group_id}/{self.gav.artifact_id}/pom.xml"
            poms.sort(key=lambda p: p != own)
        if not poms:
            return None
        try:
            root = parse_xml(self.files[poms[0]])
        except XmlError:
            return None
        deps = []
        for c in root:
            if local(c.tag) == "parent":
                return None
            if local(c.tag) != "dependencies":
                continue
            for d in c:
                if local(d.tag) != "dependency":
                    continue
                v = {local(x.tag): (x.text or "").strip() for x in d}
                if v.get("scope", "compile") in ("test", "provided"):
                    continue
                deps.append(f"{v.get('groupId', '')}:{v.get('artifactId', '')}:{v.get('version', '')}")
        return deps

    def define_types(self, registry: TypeRegistry):
        """Define every readable kjar class and enum (not interfaces, annotations) in a registry."""
        pending = dict(self.classes)
        done = {}

        def define(name):
            if name in done:
                return done[name]
            info = pending.get(name)
            if info is None:
                return None
            sup = define(info.super_name) if info.super_name in pending else None
            meta = {"jaxb_access": "property"}
            ann = info.annotations
            for a, vals in ann.items():
                if a.endswith("XmlRootElement") and vals.get("name"):
                    meta["jaxb_name"] = vals["name"]
                if a.endswith("XmlType") and vals.get("name"):
                    meta.setdefault("jaxb_name", vals["name"])
                if a.endswith("XStreamAlias") and vals.get("value"):
                    meta["xstream_alias"] = vals["value"]
                if a.endswith("XmlAccessorType") and str(vals.get("value", "")).endswith("FIELD"):
                    meta["jaxb_access"] = "field"
                if a.endswith("Role") or a.endswith("Remotable") or a.endswith("PropertyReactive") \
                        or a.endswith("ClassReactive"):
                    meta.setdefault("annotations", []).append(a)
                if a == "org.kie.api.definition.type.Role" and str(vals.get("value", "")).upper() == "EVENT":
                    meta["role"] = "event"      # @Role(Role.Type.EVENT): its facts get EventFactHandles
            fields = [FieldDef(n, t, _default_for(t)) for n, t in info.instance_fields()]
            if info.is_enum:
                # the constants in declaration order (static fields flagged ACC_ENUM); what their
                # constructors set is bytecode, not read here
                constants = [(n, []) for n, _t, acc in info.fields if acc & 0x4000 and acc & 0x0008]
                cls = registry.define_enum(name, constants, fields, meta)
                done[name] = cls
                return cls
            cls = registry.define(name, fields, superclass=sup, meta=meta)
            done[name] = cls
            return cls

        for name, info in self.classes.items():
            if info.is_interface or info.is_annotation or info.is_synthetic:
                continue
            define(name)
        return done


def _default_for(t):
    return {"int": 0, "long": 0, "short": 0, "byte": 0, "double": 0.0, "float": 0.0,
            "boolean": False, "char": "\x00"}.get(t)


# ---------------------------------------------------------------------------------------------

def _safe_path(name: str) -> str | None:
    if "\\" in name or name.startswith("/") or "\x00" in name:
        return None
    norm = posixpath.normpath(name)
    if norm.startswith("..") or "/../" in f"/{norm}/" or re.match(r"^[A-Za-z]:", name):
        return None
    return norm


def read_kjar(data: bytes) -> Kjar:
    """Parse a kjar. Raises KjarError with every problem found."""
    kjar = Kjar(data)
    try:
        zf = zipfile.ZipFile(io.BytesIO(data))
    except (zipfile.BadZipFile, ValueError) as e:
        raise KjarError(f"The uploaded file is not a valid jar/zip archive: {e}") from None
    infos = zf.infolist()
    if len(infos) > MAX_ENTRIES:
        raise KjarError(f"The archive has {len(infos)} entries (limit {MAX_ENTRIES})")
    total = 0
    for info in infos:
        if info.is_dir():
            continue
        path = _safe_path(info.filename)
        if path is None:
            raise KjarError(f"Unsafe path in archive: {info.filename!r}")
        if info.file_size > MAX_ENTRY_BYTES:
            raise KjarError(f"Entry {path} is too large ({info.file_size} bytes)")
        if info.compress_size and info.file_size / max(info.compress_size, 1) > MAX_RATIO and info.file_size > 1 << 20:
            raise KjarError(f"Entry {path} has a suspicious compression ratio")
        total += info.file_size
        if total > MAX_TOTAL_BYTES:
            raise KjarError("The archive expands beyond the size limit")
        try:
            with zf.open(info) as f:
                content = f.read(MAX_ENTRY_BYTES + 1)
        except (zipfile.BadZipFile, RuntimeError, OSError, EOFError) as e:
            raise KjarError(f"Cannot read {path}: {e}") from None
        if len(content) > MAX_ENTRY_BYTES:
            raise KjarError(f"Entry {path} is too large")
        kjar.files[path] = content

    kjar.gav = _read_gav(kjar)
    if KMODULE not in kjar.files:
        raise KjarError(f"{KMODULE} is missing: the archive is not a kjar")
    _read_kmodule(kjar)
    desc = "META-INF/kie-deployment-descriptor.xml"
    kjar.descriptor = kjar.files.get(desc)
    for path, content in kjar.files.items():
        if path.endswith(".class") and "$" not in posixpath.basename(path) and not path.startswith("META-INF/"):
            try:
                info = read_class(content)
            except ClassFileError as e:
                kjar.warnings.append(f"{path}: {e}")
                continue
            kjar.classes[info.name] = info
        elif path.endswith(".class"):
            try:
                info = read_class(content)
                kjar.classes[info.name.replace("$", ".")] = info
                info.name = info.name.replace("$", ".")
            except ClassFileError:
                pass
    _assign_resources(kjar)
    return kjar


def _read_gav(kjar: Kjar) -> GAV | None:
    from marshallers.xmltree import XmlError, parse_xml
    for path, content in kjar.files.items():
        if path.startswith("META-INF/maven/") and path.endswith("/pom.properties"):
            props = {}
            for line in content.decode("utf-8", errors="replace").splitlines():
                line = line.strip()
                if line and not line.startswith("#") and "=" in line:
                    k, _, v = line.partition("=")
                    props[k.strip()] = v.strip()
            if props.get("groupId") and props.get("artifactId") and props.get("version"):
                return GAV(props["groupId"], props["artifactId"], props["version"])
    poms = [p for p in kjar.files if p == "pom.xml" or (p.startswith("META-INF/maven/") and p.endswith("/pom.xml"))]
    for path in poms:
        try:
            root = parse_xml(kjar.files[path])
        except XmlError as e:
            raise KjarError(f"{path}: {e}") from None
        return pom_gav(root)
    return None


def pom_gav(root) -> GAV | None:
    from marshallers.xmltree import local
    vals = {}
    parent = {}
    for c in root:
        n = local(c.tag)
        if n in ("groupId", "artifactId", "version"):
            vals[n] = (c.text or "").strip()
        elif n == "parent":
            for p in c:
                parent[local(p.tag)] = (p.text or "").strip()
    g = vals.get("groupId") or parent.get("groupId")
    v = vals.get("version") or parent.get("version")
    a = vals.get("artifactId")
    if g and a and v:
        return GAV(g, a, v)
    return None


def _read_kmodule(kjar: Kjar):
    from marshallers.xmltree import XmlError, local, parse_xml
    content = kjar.files[KMODULE]
    if not content.strip():
        root = None
    else:
        try:
            root = parse_xml(content)
        except XmlError as e:
            raise KjarError(f"{KMODULE}: {e}") from None
        if local(root.tag) != "kmodule":
            raise KjarError(f"{KMODULE}: the root element must be <kmodule>, not <{local(root.tag)}>")
    errors = []
    kbases = []
    if root is not None:
        for kb_el in root:
            if local(kb_el.tag) != "kbase":
                continue
            a = kb_el.attrib
            name = a.get("name")
            if not name:
                errors.append(f"{KMODULE}: a kbase has no name")
                continue
            kb = KBaseModel(
                name,
                packages=[p.strip() for p in (a.get("packages") or "").split(",") if p.strip()],
                includes=[p.strip() for p in (a.get("includes") or "").split(",") if p.strip()],
                default=(a.get("default") or "false").lower() == "true",
                event_mode=(a.get("eventProcessingMode") or "cloud").lower(),
                equals_behavior=(a.get("equalsBehavior") or "identity").lower(),
            )
            for ks_el in kb_el:
                if local(ks_el.tag) != "ksession":
                    continue
                ka = ks_el.attrib
                if not ka.get("name"):
                    errors.append(f"{KMODULE}: a ksession of kbase {name} has no name")
                    continue
                t = (ka.get("type") or "stateful").lower()
                if t not in ("stateful", "stateless"):
                    errors.append(f"{KMODULE}: ksession {ka['name']} has unknown type '{t}'")
                    continue
                kb.ksessions.append(KSessionModel(ka["name"], t, (ka.get("default") or "false").lower() == "true",
                                                  (ka.get("clockType") or "realtime").lower()))
            kbases.append(kb)
    names = [kb.name for kb in kbases]
    for n in set(names):
        if names.count(n) > 1:
            errors.append(f"{KMODULE}: duplicate kbase name '{n}'")
    ks_names = [ks.name for kb in kbases for ks in kb.ksessions]
    for n in set(ks_names):
        if ks_names.count(n) > 1:
            errors.append(f"{KMODULE}: duplicate ksession name '{n}'")
    for kb in kbases:
        for inc in kb.includes:
            if inc not in names:
                errors.append(f"{KMODULE}: kbase {kb.name} includes unknown kbase '{inc}'")
    if errors:
        raise KjarError(errors)
    if not kbases:
        # an empty kmodule: one default kbase with every resource, and default sessions
        kb = KBaseModel("defaultKieBase", default=True)
        kb.ksessions = [KSessionModel("defaultKieSession", "stateful", True),
                        KSessionModel("defaultStatelessKieSession", "stateless", True)]
        kbases = [kb]
    elif not any(kb.default for kb in kbases) and len(kbases) == 1:
        kbases[0].default = True
    kjar.kbases = kbases


def _package_of(path):
    d = posixpath.dirname(path)
    return d.replace("/", ".")


def _assign_resources(kjar: Kjar):
    resources = [p for p in kjar.files if p.lower().endswith(RESOURCE_EXTS) and not p.startswith("META-INF/")]
    own = {}
    for kb in kjar.kbases:
        if not kb.packages or "*" in kb.packages:
            own[kb.name] = sorted(resources)
        else:
            own[kb.name] = sorted(p for p in resources if any(
                _package_of(p) == pkg or (pkg.endswith(".*") and _package_of(p).startswith(pkg[:-2]))
                for pkg in kb.packages))

    def collect(name, seen):
        if name in seen:
            return []
        seen.add(name)
        kb = kjar.kbase(name)
        out = list(own.get(name, []))
        for inc in kb.includes:
            out.extend(p for p in collect(inc, seen) if p not in out)
        return out

    for kb in kjar.kbases:
        kb.resources = collect(kb.name, set())
