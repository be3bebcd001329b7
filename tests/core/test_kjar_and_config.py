"""Kjar reading (kmodule, GAV, classes), configuration and authentication options."""
import base64
import os

import pytest

from containers.classfile import read_class
from containers.kjar import KjarError, read_kjar
from containers.values import TypeRegistry
from kieserver.config import hash_password, load_config, verify_password
from tests.kjars import build_kjar

DATA = os.path.join(os.path.dirname(__file__), "..", "data")


def _class(name):
    with open(os.path.join(DATA, name), "rb") as f:
        return f.read()


def test_class_file_shapes():
    info = read_class(_class("Person.class"))
    assert info.name == "org.acme.Person"
    assert info.instance_fields() == [("name", "java.lang.String"), ("age", "int"), ("id", "java.lang.Long"),
                                      ("birth", "java.util.Date"), ("tags", "java.util.List<java.lang.String>"),
                                      ("address", "org.acme.Address")]
    addr = read_class(_class("Address.class"))
    assert addr.annotations["javax.xml.bind.annotation.XmlRootElement"] == {"name": "address"}


def test_kjar_classes_become_container_types():
    kjar = read_kjar(build_kjar(files={"org/acme/Person.class": _class("Person.class"),
                                       "org/acme/Address.class": _class("Address.class")}))
    types = TypeRegistry()
    kjar.define_types(types)
    Person = types.get("org.acme.Person")
    p = Person(name="john", age=42)
    assert (p.name, p.age, p.tags) == ("john", 42, None)
    assert types.get("Address")._meta["jaxb_name"] == "address"
    with pytest.raises(AttributeError):
        p.nosuchfield = 1


def test_kmodule_kbases_and_resources():
    km = """<kmodule xmlns="http://www.drools.org/xsd/kmodule">
      <kbase name="rules" packages="org.example.rules" default="true" eventProcessingMode="stream">
        <ksession name="ks1" default="true"/>
        <ksession name="ks2" type="stateless"/>
      </kbase>
      <kbase name="procs" packages="org.example.procs" includes="rules">
        <ksession name="ks3"/>
      </kbase>
    </kmodule>"""
    kjar = read_kjar(build_kjar(kmodule=km, files={"org/example/rules/a.drl": "package org.example.rules",
                                                   "org/example/procs/p.bpmn2": "<definitions/>",
                                                   "other/x.drl": "package other"}))
    assert str(kjar.gav) == "org.example:demo-kjar:1.0.0"
    rules, procs = kjar.kbases
    assert rules.default and rules.event_mode == "stream"
    assert rules.resources == ["org/example/rules/a.drl"]
    assert procs.resources == ["org/example/procs/p.bpmn2", "org/example/rules/a.drl"]
    assert kjar.ksession(None)[1].name == "ks1"
    assert kjar.ksession("ks2")[1].type == "stateless"
    assert kjar.ksession("ks3")[0].name == "procs"


def test_empty_kmodule_has_default_kbase_and_sessions():
    kjar = read_kjar(build_kjar(kmodule="<kmodule/>"))
    kb = kjar.kbase()
    assert kb.name == "defaultKieBase" and kb.resources == ["org/example/rules.drl"]
    assert [k.name for k in kb.ksessions] == ["defaultKieSession", "defaultStatelessKieSession"]


def test_gav_from_pom_xml_only():
    kjar = read_kjar(build_kjar("g.h", "art", "3.1", with_pom_properties=False))
    assert str(kjar.gav) == "g.h:art:3.1"


def test_runtime_dependencies_from_the_pom():
    import io
    import zipfile

    def kjar(pom_extra, root_pom=False):
        pom = ('<project xmlns="http://maven.apache.org/POM/4.0.0"><modelVersion>4.0.0</modelVersion>'
               '<groupId>g</groupId><artifactId>a</artifactId><version>1</version>' + pom_extra + "</project>")
        buf = io.BytesIO()
        with zipfile.ZipFile(buf, "w") as z:
            z.writestr("META-INF/kmodule.xml", "<kmodule/>")
            z.writestr("pom.xml" if root_pom else "META-INF/maven/g/a/pom.xml", pom)
        return read_kjar(buf.getvalue())

    def dep(a, scope=None):
        return (f"<dependency><groupId>x</groupId><artifactId>{a}</artifactId><version>2</version>"
                + (f"<scope>{scope}</scope>" if scope else "") + "</dependency>")
    assert read_kjar(build_kjar()).runtime_dependencies() == []
    deps = "<dependencies>" + "".join(dep(a, s) for a, s in (("c", None), ("t", "test"), ("p", "provided"),
                                                                ("r", "runtime"), ("s", "system"))) + "</dependencies>"
    # DependencyFilter.COMPILE_FILTER: every scope but test and provided
    assert kjar(deps).runtime_dependencies() == ["x:c:2", "x:r:2", "x:s:2"]
    assert kjar(deps, root_pom=True).runtime_dependencies() == ["x:c:2", "x:r:2", "x:s:2"]
    # dependencyManagement declares nothing; a parent pom may bring dependencies we cannot see
    assert kjar("<dependencyManagement><dependencies>" + dep("m") + "</dependencies></dependencyManagement>"
                ).runtime_dependencies() == []
    assert kjar("<parent><groupId>g</groupId><artifactId>p</artifactId><version>1</version></parent>"
                ).runtime_dependencies() is None
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("META-INF/kmodule.xml", "<kmodule/>")
    assert read_kjar(buf.getvalue()).runtime_dependencies() is None


@pytest.mark.parametrize("kmodule,msg", [
    ("<kmodule><kbase name='a' includes='zzz'/></kmodule>", "includes unknown kbase 'zzz'"),
    ("<kmodule><kbase name='a'><ksession name='s' type='weird'/></kbase></kmodule>", "unknown type 'weird'"),
    ("<notkmodule/>", "root element must be <kmodule>"),
])
def test_bad_kmodules(kmodule, msg):
    with pytest.raises(KjarError) as e:
        read_kjar(build_kjar(kmodule=kmodule))
    assert msg in str(e.value)


def test_passwords_and_env_overrides(tmp_path):
    h = hash_password("s3cret")
    assert verify_password("s3cret", h) and not verify_password("nope", h)
    cfg = load_config(environ={"KIE_SERVER_ID": "srv-7", "KIESERVER_SERVER_MODE": "PRODUCTION",
                               "KIESERVER_DATABASE_URL": "sqlite:///x.db", "KIESERVER_HOME": str(tmp_path)})
    assert cfg.server_id == "srv-7" and cfg.mode == "PRODUCTION"
    assert cfg.database_url == "sqlite:///x.db" and cfg.home == str(tmp_path)
    assert "kieserver" in cfg.get("users")


def test_bearer_token(store_url, tmp_path):
    from kieserver.app import create_app
    from tests.conftest import Client
    cfg = load_config(environ={}, overrides={
        "database": {"url": store_url}, "home": str(tmp_path), "executor": {"enabled": False},
        "users": {"svc": {"password": "", "roles": ["kie-server"]}}, "tokens": {"tok-123": "svc"}})
    c = Client(create_app(cfg))
    try:
        assert c.get("", auth="Bearer tok-123").status_code == 200
        assert c.get("", auth="Bearer wrong").status_code == 401
        basic = "Basic " + base64.b64encode(b"svc:").decode()
        assert c.get("", auth=basic).status_code == 401  # no password hash: no Basic login
    finally:
        c.close()
