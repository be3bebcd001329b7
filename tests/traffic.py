"""Replay the real Java client's captured requests (../shared/reference/java-client-traffic.md)."""
import os
import re

TRAFFIC = os.path.join(os.path.dirname(__file__), "..", "..", "shared", "reference", "java-client-traffic.md")
if not os.path.exists(TRAFFIC):
    TRAFFIC = "/work/shared/reference/java-client-traffic.md"


def captured_requests():
    """{format: {call number: (method, path, headers, body)}} for the captured raw requests."""
    text = open(TRAFFIC, encoding="utf-8").read()
    text = text.split("## Captured raw HTTP requests", 1)[1].split("### Variant", 1)[0]
    out = {}
    for section in re.split(r"^### ", text, flags=re.M)[1:]:
        fmt = section.split("\n", 1)[0].strip()
        calls = {}
        for m in re.finditer(r"\*\*(\d+)\. [^\n]*\n\n```http\n(.*?)\n```", section, flags=re.S):
            n, block = int(m.group(1)), m.group(2)
            head, _, body = block.partition("\n\n")
            lines = head.split("\n")
            method, path, _ = lines[0].split(" ", 2)
            headers = {}
            for line in lines[1:]:
                k, _, v = line.partition(": ")
                headers[k] = v
            for drop in ("Host", "Connection", "Content-Length", "User-Agent"):
                headers.pop(drop, None)
            calls[n] = (method, path, headers, body)
        out[fmt] = calls
    return out
