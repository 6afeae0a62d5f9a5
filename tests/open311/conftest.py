"""The cases world (tests/cases/conftest.py), an Open311 API key, and the spec's schemas."""

import json
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from django.test import Client
from jsonschema import Draft202012Validator

from gridgov.accounts.actions import issue_api_token
from gridgov.core.coordinates import gcj02_to_wgs84
from tests.cases.conftest import World, world  # noqa: F401 (the fixture, shared with the cases tests)

SCHEMAS = Path(__file__).parent / "schemas"
BASE = "/open311/v2"
# The centre of grid A (清波门社区第1网格) as the stored boundaries have it (GCJ-02), and as a
# phone's GPS would send it (WGS-84).
GRID_A_GCJ = (120.105, 30.205)
GRID_A_WGS = gcj02_to_wgs84(*GRID_A_GCJ)


def schema_validator(name: str) -> Draft202012Validator:
    schema = json.loads((SCHEMAS / f"{name}.json").read_text(encoding="utf-8"))
    Draft202012Validator.check_schema(schema)
    return Draft202012Validator(schema)


def valid(name: str, document: Any) -> Any:
    """`document`, after checking it against tests/open311/schemas/<name>.json."""
    errors = sorted(schema_validator(name).iter_errors(document), key=str)
    assert not errors, "\n".join(f"{list(error.absolute_path)}: {error.message}" for error in errors)
    return document


def xml_root(content: bytes, tag: str) -> ET.Element:
    assert content.startswith(b"<?xml version='1.0' encoding='utf-8'?>"), content[:60]
    root = ET.fromstring(content)
    assert root.tag == tag
    return root


def children(element: ET.Element) -> list[str]:
    return [child.tag for child in element]


@dataclass
class Open311:
    """A form-posting Open311 client over Django's test client, plus the world it reports into."""

    world: World
    api_key: str
    client: Client

    def get(self, path: str, **params: Any) -> Any:
        return self.client.get(f"{BASE}/{path}", params)

    def post(
        self, fmt: str = "json", headers: dict[str, str] | None = None, lang: str = "", **fields: Any
    ) -> Any:
        query = f"?lang={lang}" if lang else ""
        return self.client.post(f"{BASE}/requests.{fmt}{query}", fields, headers=headers or {})

    def report(self, **fields: Any) -> dict[str, Any]:
        """POST a valid request (grid A, 暴露垃圾) with `fields` on top; the response's one element."""
        lon, lat = GRID_A_WGS
        body = {"api_key": self.api_key, "service_code": "E0102", "lat": lat, "long": lon, **fields}
        response = self.post(**body)
        assert response.status_code == 200, response.content
        answer: dict[str, Any] = valid("post-response", response.json())[0]
        return answer


@pytest.fixture
def api_key(world: World) -> str:  # noqa: F811
    """The secret of an API token of the district's intake clerk: what an Open311 client sends."""
    _token, secret = issue_api_token(user=world.users["clerk"], name="open311 app")
    return secret


@pytest.fixture
def open311(world: World, api_key: str) -> Open311:  # noqa: F811
    return Open311(world, api_key, Client())
