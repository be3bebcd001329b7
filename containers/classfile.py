"""Read the shape of a compiled Java class: name, superclass, fields, methods, class annotations.

Kjars ship their fact classes compiled.  We cannot run their bytecode, but their fields and bean
accessors are enough to type facts and process variables, and their JAXB/XStream annotations name
them on the wire.
"""
from __future__ import annotations

import struct


class ClassFileError(ValueError):
    pass


_PRIMS = {"B": "byte", "C": "char", "D": "double", "F": "float", "I": "int", "J": "long",
          "S": "short", "Z": "boolean", "V": "void"}


def descriptor_to_type(desc: str) -> str:
    dims = 0
    while desc.startswith("["):
        dims += 1
        desc = desc[1:]
    if desc.startswith("L") and desc.endswith(";"):
        t = desc[1:-1].replace("/", ".").replace("$", ".")
    else:
        t = _PRIMS.get(desc, "java.lang.Object")
    return t + "[]" * dims


def _signature_to_type(sig: str) -> str:
    """Lfoo/List<Ljava/lang/String;>; -> foo.List<java.lang.String> (one level of generics)."""
    def parse(i):
        c = sig[i]
        if c == "[":
            t, i = parse(i + 1)
            return t + "[]", i
        if c in _PRIMS:
            return _PRIMS[c], i + 1
        if c == "T":
            j = sig.index(";", i)
            return "java.lang.Object", j + 1
        if c in "+-":
            return parse(i + 1)
        if c == "*":
            return "java.lang.Object", i + 1
        if c == "L":
            j = i + 1
            name = []
            while sig[j] not in ";<":
                name.append(sig[j])
                j += 1
            base = "".join(name).replace("/", ".").replace("$", ".")
            if sig[j] == "<":
                j += 1
                args = []
                while sig[j] != ">":
                    t, j = parse(j)
                    args.append(t)
                j += 1  # '>'
                base += "<" + ",".join(args) + ">"
            while sig[j] == ".":  # inner class suffix
                k = j + 1
                while sig[k] not in ";<":
                    k += 1
                base += "." + sig[j + 1:k]
                j = k
                if sig[j] == "<":
                    depth = 0
                    while True:
                        if sig[j] == "<":
                            depth += 1
                        elif sig[j] == ">":
                            depth -= 1
                            if depth == 0:
                                j += 1
                                break
                        j += 1
            return base, j + 1
        raise ClassFileError(f"bad signature {sig!r}")
    try:
        return parse(0)[0]
    except (IndexError, ClassFileError):
        return "java.lang.Object"


class JavaClassInfo:
    def __init__(self):
        self.name = ""
        self.super_name = None
        self.interfaces = []
        self.access = 0
        self.fields = []      # [(name, java type, access flags)]
        self.methods = []     # [(name, descriptor, access flags)]
        self.annotations = {}  # annotation class name -> {element: value}

    @property
    def is_interface(self):
        return bool(self.access & 0x0200)

    @property
    def is_enum(self):
        return bool(self.access & 0x4000) or self.super_name == "java.lang.Enum"

    @property
    def is_annotation(self):
        return bool(self.access & 0x2000)

    @property
    def is_synthetic(self):
        return bool(self.access & 0x1000)

    def instance_fields(self):
        return [(n, t) for n, t, acc in self.fields if not acc & 0x0008 and not acc & 0x1000]

    def __repr__(self):
        return f"JavaClassInfo({self.name}, fields={self.instance_fields()})"


def read_class(data: bytes) -> JavaClassInfo:
    try:
        return _read(data)
    except (struct.error, IndexError, UnicodeDecodeError) as e:
        raise ClassFileError(f"truncated or corrupt class file: {e}") from None


def _read(data: bytes) -> JavaClassInfo:
    if data[:4] != b"\xca\xfe\xba\xbe":
        raise ClassFileError("not a class file")
    pos = 8
    (count,) = struct.unpack_from(">H", data, pos)
    pos += 2
    cp = [None] * count
    i = 1
    while i < count:
        tag = data[pos]
        pos += 1
        if tag == 1:
            (ln,) = struct.unpack_from(">H", data, pos)
            pos += 2
            cp[i] = ("utf8", data[pos:pos + ln].decode("utf-8", errors="replace"))
            pos += ln
        elif tag in (3, 4):
            cp[i] = ("int", struct.unpack_from(">i" if tag == 3 else ">f", data, pos)[0])
            pos += 4
        elif tag in (5, 6):
            cp[i] = ("long", struct.unpack_from(">q" if tag == 5 else ">d", data, pos)[0])
            pos += 8
            i += 1
        elif tag in (7, 8, 16, 19, 20):
            (idx,) = struct.unpack_from(">H", data, pos)
            cp[i] = ({7: "class", 8: "string"}.get(tag, "other"), idx)
            pos += 2
        elif tag in (9, 10, 11, 12, 17, 18):
            pos += 4
        elif tag == 15:
            pos += 3
        else:
            raise ClassFileError(f"unknown constant pool tag {tag}")
        i += 1

    def utf(idx):
        e = cp[idx]
        return e[1] if e and e[0] == "utf8" else ""

    def cls_name(idx):
        if not idx:
            return None
        e = cp[idx]
        return utf(e[1]).replace("/", ".") if e and e[0] == "class" else None

    info = JavaClassInfo()
    info.access, this_idx, super_idx = struct.unpack_from(">HHH", data, pos)
    pos += 6
    info.name = cls_name(this_idx)
    info.super_name = cls_name(super_idx)
    (n,) = struct.unpack_from(">H", data, pos)
    pos += 2
    for _ in range(n):
        (idx,) = struct.unpack_from(">H", data, pos)
        info.interfaces.append(cls_name(idx))
        pos += 2

    def read_attrs(pos):
        (n,) = struct.unpack_from(">H", data, pos)
        pos += 2
        attrs = {}
        for _ in range(n):
            name_idx, ln = struct.unpack_from(">HI", data, pos)
            pos += 6
            attrs[utf(name_idx)] = (pos, ln)
            pos += ln
        return attrs, pos

    for member_list in ("fields", "methods"):
        (n,) = struct.unpack_from(">H", data, pos)
        pos += 2
        for _ in range(n):
            acc, name_idx, desc_idx = struct.unpack_from(">HHH", data, pos)
            pos += 6
            attrs, pos = read_attrs(pos)
            name, desc = utf(name_idx), utf(desc_idx)
            if member_list == "fields":
                t = descriptor_to_type(desc)
                if "Signature" in attrs:
                    apos, _ = attrs["Signature"]
                    t = _signature_to_type(utf(struct.unpack_from(">H", data, apos)[0]))
                info.fields.append((name, t, acc))
            else:
                info.methods.append((name, desc, acc))
    attrs, pos = read_attrs(pos)
    if "RuntimeVisibleAnnotations" in attrs:
        apos, _ = attrs["RuntimeVisibleAnnotations"]
        info.annotations = _read_annotations(data, apos, utf)
    return info


def _read_annotations(data, pos, utf):
    out = {}
    (n,) = struct.unpack_from(">H", data, pos)
    pos += 2
    for _ in range(n):
        name, values, pos = _read_annotation(data, pos, utf)
        out[name] = values
    return out


def _read_annotation(data, pos, utf):
    type_idx, n = struct.unpack_from(">HH", data, pos)
    pos += 4
    values = {}
    for _ in range(n):
        (name_idx,) = struct.unpack_from(">H", data, pos)
        pos += 2
        v, pos = _read_element_value(data, pos, utf)
        values[utf(name_idx)] = v
    return descriptor_to_type(utf(type_idx)), values, pos


def _read_element_value(data, pos, utf):
    tag = chr(data[pos])
    pos += 1
    if tag in "BCDFIJSZs":
        (idx,) = struct.unpack_from(">H", data, pos)
        return (utf(idx) if tag == "s" else None), pos + 2
    if tag == "e":
        _, name_idx = struct.unpack_from(">HH", data, pos)
        return utf(name_idx), pos + 4
    if tag == "c":
        return None, pos + 2
    if tag == "@":
        _, values, pos = _read_annotation(data, pos, utf)
        return values, pos
    if tag == "[":
        (n,) = struct.unpack_from(">H", data, pos)
        pos += 2
        items = []
        for _ in range(n):
            v, pos = _read_element_value(data, pos, utf)
            items.append(v)
        return items, pos
    raise ClassFileError(f"bad annotation element tag {tag!r}")
