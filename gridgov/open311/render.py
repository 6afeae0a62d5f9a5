"""Write a GeoReport v2 document as JSON or as the spec's XML (UTF-8, built with ElementTree)."""

import json
import xml.etree.ElementTree as ET
from collections.abc import Mapping, Sequence
from typing import Any

from django.http import HttpResponse

JSON_TYPE = "application/json; charset=utf-8"
XML_TYPE = "text/xml; charset=utf-8"
# The element of one item inside each plural element of the spec's XML.
ITEM_ELEMENTS = {
    "services": "service",
    "service_requests": "request",
    "errors": "error",
    "attributes": "attribute",
    "values": "value",
    "endpoints": "endpoint",
    "formats": "format",
}


def _text(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _fill(element: ET.Element, value: Any) -> None:
    if isinstance(value, Mapping):
        for key, child in value.items():
            _fill(ET.SubElement(element, key), child)
    elif isinstance(value, Sequence) and not isinstance(value, str):
        item = ITEM_ELEMENTS[element.tag]
        for child in value:
            _fill(ET.SubElement(element, item), child)
    else:
        element.text = _text(value)


def to_xml(document: Any, root: str) -> bytes:
    element = ET.Element(root)
    _fill(element, document)
    return ET.tostring(element, encoding="utf-8", xml_declaration=True)


def render(document: Any, fmt: str, *, root: str, status: int = 200) -> HttpResponse:
    """`root` names the XML root element (services, service_requests, errors, …); JSON has none."""
    if fmt == "xml":
        return HttpResponse(to_xml(document, root), content_type=XML_TYPE, status=status)
    body = json.dumps(document, ensure_ascii=False, separators=(",", ":"))
    return HttpResponse(body.encode(), content_type=JSON_TYPE, status=status)
