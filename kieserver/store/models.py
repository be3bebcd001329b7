"""Core tables: the Maven repository (kjars and what `mvn deploy` sends) and the containers."""
from __future__ import annotations

import datetime

import peewee

from kieserver.store.db import BaseModel, register


def _now():
    return datetime.datetime.now(datetime.timezone.utc).replace(tzinfo=None)


@register
class MavenArtifact(BaseModel):
    """One file of the built-in Maven repository (/kie-server/maven2/...): jars, poms, checksums,
    maven-metadata.xml.  Kjars uploaded directly with PUT /containers/{id} land here too."""
    path = peewee.CharField(max_length=1000, unique=True)
    data = peewee.BlobField()
    sha1 = peewee.CharField(max_length=40)
    size = peewee.BigIntegerField()
    created_on = peewee.DateTimeField(default=_now)

    class Meta:
        table_name = "kie_maven_artifact"


@register
class ContainerRecord(BaseModel):
    """A KIE container as KieContainerResource describes it, plus what restores it on start."""
    container_id = peewee.CharField(max_length=255, primary_key=True)
    group_id = peewee.CharField(max_length=255)
    artifact_id = peewee.CharField(max_length=255)
    version = peewee.CharField(max_length=255)
    resolved_group_id = peewee.CharField(max_length=255, null=True)
    resolved_artifact_id = peewee.CharField(max_length=255, null=True)
    resolved_version = peewee.CharField(max_length=255, null=True)
    kjar_sha1 = peewee.CharField(max_length=40, null=True)
    status = peewee.CharField(max_length=32)
    alias = peewee.CharField(max_length=255, null=True)
    scanner_status = peewee.CharField(max_length=32, null=True)
    scanner_interval = peewee.BigIntegerField(null=True)
    config_items = peewee.TextField(default="[]")   # JSON [[name, value, type], ...]
    messages = peewee.TextField(default="[]")       # JSON [[severity, millis, [content...]], ...]
    revision = peewee.IntegerField(default=1)       # bumped on every change: invalidates caches
    created_on = peewee.DateTimeField(default=_now)
    updated_on = peewee.DateTimeField(default=_now)

    class Meta:
        table_name = "kie_container"
