"""The built-in Maven repository: what `mvn deploy` PUTs, and where kjars are resolved from."""
from __future__ import annotations

import hashlib
import posixpath
import re
import xml.etree.ElementTree as ET

import peewee

from containers.kjar import GAV
from kieserver.store.db import write_transaction
from kieserver.store.models import MavenArtifact

_SEGMENT = re.compile(r"^[A-Za-z0-9._\-+~]+$")


class MavenPathError(ValueError):
    pass


def normalize_path(path: str) -> str:
    path = (path or "").strip("/")
    if not path:
        raise MavenPathError("Empty repository path")
    parts = path.split("/")
    for p in parts:
        if p in ("", ".", "..") or not _SEGMENT.match(p):
            raise MavenPathError(f"Invalid repository path '{path}'")
    return "/".join(parts)


class MavenRepository:
    def put(self, path: str, data: bytes) -> bool:
        """Store a file; True when it was created, False when it replaced an existing one."""
        path = normalize_path(path)
        sha1 = hashlib.sha1(data).hexdigest()
        with write_transaction():
            existing = MavenArtifact.get_or_none(MavenArtifact.path == path)
            if existing is None:
                try:
                    with write_transaction():
                        MavenArtifact.create(path=path, data=data, sha1=sha1, size=len(data))
                    created = True
                except peewee.IntegrityError:
                    created = False
                    MavenArtifact.update(data=data, sha1=sha1, size=len(data)).where(
                        MavenArtifact.path == path).execute()
            else:
                MavenArtifact.update(data=data, sha1=sha1, size=len(data)).where(
                    MavenArtifact.path == path).execute()
                created = False
        if path.endswith(".jar") and not path.endswith(("-sources.jar", "-javadoc.jar")):
            self._update_metadata(path)
        return created

    def get(self, path: str):
        """(bytes, sha1) or None."""
        try:
            path = normalize_path(path)
        except MavenPathError:
            return None
        row = MavenArtifact.get_or_none(MavenArtifact.path == path)
        if row is None:
            return None
        return bytes(row.data), row.sha1

    def exists(self, path) -> bool:
        try:
            return MavenArtifact.select().where(MavenArtifact.path == normalize_path(path)).exists()
        except MavenPathError:
            return False

    def list_dir(self, path: str):
        prefix = (path or "").strip("/")
        prefix = prefix + "/" if prefix else ""
        names = set()
        for (p,) in MavenArtifact.select(MavenArtifact.path).where(
                MavenArtifact.path.startswith(prefix)).tuples():
            rest = p[len(prefix):]
            names.add(rest.split("/", 1)[0] + ("/" if "/" in rest else ""))
        return sorted(names)

    def resolve_kjar(self, gav: GAV):
        """The kjar bytes and sha1 for a release id, or None.  LATEST/RELEASE pick the newest."""
        version = gav.version
        if version in ("LATEST", "RELEASE") or (version and version[0] in "[("):
            version = self._newest_version(gav.group_id, gav.artifact_id, version)
            if version is None:
                return None
            gav = GAV(gav.group_id, gav.artifact_id, version)
        got = self.get(gav.jar_path())
        if got is None:
            return None
        return got[0], got[1], gav

    def _versions(self, group_id, artifact_id):
        prefix = f"{group_id.replace('.', '/')}/{artifact_id}/"
        versions = []
        for (p,) in MavenArtifact.select(MavenArtifact.path).where(MavenArtifact.path.startswith(prefix)).tuples():
            parts = p[len(prefix):].split("/")
            if len(parts) == 2 and parts[1] == f"{artifact_id}-{parts[0]}.jar":
                versions.append(parts[0])
        return sorted(set(versions), key=_version_key)

    def _newest_version(self, group_id, artifact_id, spec):
        versions = self._versions(group_id, artifact_id)
        if spec == "RELEASE":
            versions = [v for v in versions if not v.endswith("SNAPSHOT")]
        elif spec[0] in "[(":
            versions = [v for v in versions if _in_range(v, spec)]
        return versions[-1] if versions else None

    def _update_metadata(self, jar_path):
        """Keep a maven-metadata.xml per artifact listing its versions (as a Maven repository does)."""
        parts = jar_path.split("/")
        if len(parts) < 4:
            return
        artifact_id, group_path = parts[-3], "/".join(parts[:-3])
        meta_path = f"{group_path}/{artifact_id}/maven-metadata.xml"
        versions = self._versions(group_path.replace("/", "."), artifact_id)
        root = ET.Element("metadata")
        ET.SubElement(root, "groupId").text = group_path.replace("/", ".")
        ET.SubElement(root, "artifactId").text = artifact_id
        v = ET.SubElement(root, "versioning")
        if versions:
            ET.SubElement(v, "latest").text = versions[-1]
            rel = [x for x in versions if not x.endswith("SNAPSHOT")]
            if rel:
                ET.SubElement(v, "release").text = rel[-1]
        vs = ET.SubElement(v, "versions")
        for x in versions:
            ET.SubElement(vs, "version").text = x
        data = ET.tostring(root, encoding="utf-8", xml_declaration=True)
        sha1 = hashlib.sha1(data).hexdigest()
        row = MavenArtifact.get_or_none(MavenArtifact.path == meta_path)
        if row is None:
            try:
                with write_transaction():
                    MavenArtifact.create(path=meta_path, data=data, sha1=sha1, size=len(data))
                return
            except peewee.IntegrityError:
                pass
        MavenArtifact.update(data=data, sha1=sha1, size=len(data)).where(MavenArtifact.path == meta_path).execute()


def _version_key(v):
    parts = re.split(r"[.\-]", v)
    key = []
    for p in parts:
        if p.isdigit():
            key.append((1, int(p), ""))
        elif p.upper() == "SNAPSHOT":
            key.append((0, 0, ""))
        else:
            key.append((0, 0, p))
    return key


def _in_range(v, spec):
    spec = spec.strip()
    lo_inc, hi_inc = spec[0] == "[", spec[-1] == "]"
    lo, _, hi = spec[1:-1].partition(",")
    k = _version_key(v)
    if lo.strip():
        lk = _version_key(lo.strip())
        if k < lk or (k == lk and not lo_inc):
            return False
    if hi.strip():
        hk = _version_key(hi.strip())
        if k > hk or (k == hk and not hi_inc):
            return False
    return True


def artifact_name(path):
    return posixpath.basename(path)
