"""Reads back the files valuefrom rendered, with real parsers, and writes
each value it reads to OUT/FORMAT.NAME, byte for byte, for the test to
compare: json (the json module), yaml (PyYAML's safe_load), url
(urllib.parse.unquote_to_bytes, as a query value and as the password of
a URL), base64 (base64.b64decode, strict) and xml (ElementTree, each
value as double- and single-quoted attribute and as text). The shell file
is read back by sh and bash themselves (see the test). It prints no value.

Usage: python3 decode.py DIR OUT
"""
import base64
import json
import os
import sys
import urllib.parse
import xml.etree.ElementTree as ET

import yaml

src, out = sys.argv[1], sys.argv[2]


def put(name, value):
    if isinstance(value, str):
        value = value.encode("utf-8")
    with open(os.path.join(out, name), "wb") as f:
        f.write(value)


with open(os.path.join(src, "settings.json"), "rb") as f:
    doc = json.load(f)
for k, v in doc.items():
    put("json." + k, str(v))

with open(os.path.join(src, "application.yml"), "rb") as f:
    doc = yaml.safe_load(f)
for k in ("quotes", "lines", "dollar", "markup", "unicode", "long", "yes_stays_a_string"):
    put("yaml." + k, doc[k])
put("yaml.db_password", doc["db"]["password"])
put("yaml.db_port", str(doc["db"]["port"]))
for i, k in enumerate(("quotes", "markup", "lines")):
    put("yaml.flow." + k, doc["flow"][i])
put("yaml.map.dollar", doc["map"]["a"])
put("yaml.map.unicode", doc["map"]["b"])

with open(os.path.join(src, "links.txt"), "rb") as f:
    for line in f.read().decode("ascii").splitlines():
        name, value = line.split(" ", 1)
        if name == "dsn":
            u = urllib.parse.urlsplit(value)
            put("url.dsn_password", urllib.parse.unquote_to_bytes(u.password))
            put("url.dsn_query", urllib.parse.parse_qs(u.query)["sslmode"][0])
            continue
        put("url." + name, urllib.parse.unquote_to_bytes(value))
        # As a query value too: parse_qs reads + as a space; url writes
        # none, and %2B for a +.
        q = urllib.parse.parse_qs("v=" + value, keep_blank_values=True, encoding="utf-8", errors="surrogateescape")
        put("url.query." + name, q["v"][0].encode("utf-8", "surrogateescape"))

with open(os.path.join(src, "data.b64"), "rb") as f:
    for line in f.read().decode("ascii").splitlines():
        name, value = line.split(" ", 1)
        put("base64." + name, base64.b64decode(value, validate=True))

root = ET.parse(os.path.join(src, "context.xml")).getroot()
for el in root:
    name = el.get("name")
    put("xml.attr." + name, el.get("attr"))
    put("xml.single." + name, el.get("single"))
    put("xml.text." + name, el.text)

print("decoded")
