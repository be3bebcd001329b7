"""Build small kjars in memory for tests."""
import io
import zipfile

SIMPLE_DRL = """package org.example
rule "hello"
when
    $s : String()
then
    System.out.println("hello " + $s);
end
"""


def pom(group, artifact, version):
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<project xmlns="http://maven.apache.org/POM/4.0.0">
  <modelVersion>4.0.0</modelVersion>
  <groupId>{group}</groupId>
  <artifactId>{artifact}</artifactId>
  <version>{version}</version>
  <packaging>kjar</packaging>
</project>
"""


def build_kjar(group="org.example", artifact="demo-kjar", version="1.0.0", kmodule="<kmodule xmlns=\"http://www.drools.org/xsd/kmodule\"/>",
               files=None, with_pom_properties=True):
    files = dict(files if files is not None else {"org/example/rules.drl": SIMPLE_DRL})
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        if kmodule is not None:
            z.writestr("META-INF/kmodule.xml", kmodule)
        base = f"META-INF/maven/{group}/{artifact}"
        z.writestr(f"{base}/pom.xml", pom(group, artifact, version))
        if with_pom_properties:
            z.writestr(f"{base}/pom.properties", f"groupId={group}\nartifactId={artifact}\nversion={version}\n")
        for name, content in files.items():
            z.writestr(name, content)
    return buf.getvalue()
