"""Discovery, the service list and service definitions, in both formats."""

import pytest

from tests.open311 import spec
from tests.open311.support import BASE

FORMATS = ["xml", "json"]


def test_discovery_announces_both_formats_and_every_extension(client):
    document = spec.check_json(client.get(f"{BASE}/discovery.json"), spec.DISCOVERY)
    endpoint = document["endpoints"][0]
    assert endpoint["url"].endswith("/open311/v2")
    assert endpoint["specification"] == "http://wiki.open311.org/GeoReport_v2"
    assert set(endpoint["formats"]) == {"text/xml", "application/json"}
    announced = {e["name"] for e in endpoint["extensions"]}
    assert {"pagination", "updated_datetime", "extensions", "radius", "bbox",
            "media_upload", "idempotency"} <= announced

    root = spec.check_xml(client.get(f"{BASE}/discovery.xml"), "discovery")
    assert [f.text for f in root.find("endpoints/endpoint/formats")] == endpoint["formats"]
    assert root.findtext("changeset") == document["changeset"]


def test_services_list_public_services_of_every_type_but_not_private_ones(client):
    services = spec.check_json(client.get(f"{BASE}/services.json"), spec.SERVICES)
    by_code = {s["service_code"]: s for s in services}
    assert "internal-inspection" not in by_code
    assert by_code["sidewalk-survey"]["type"] == "batch"
    assert by_code["anonymous-tip"]["type"] == "blackbox"
    graffiti = by_code["graffiti-removal"]
    assert graffiti == {"service_code": "graffiti-removal", "service_name": "Graffiti Removal",
                        "description": "Graffiti on walls, signs, poles or other surfaces.",
                        "metadata": True, "type": "realtime", "keywords": "tag, paint, vandalism",
                        "group": "Beautification"}
    assert by_code["other"]["metadata"] is False


def test_services_xml_says_the_same_as_json(client):
    services = client.get(f"{BASE}/services.json").json
    root = spec.check_xml(client.get(f"{BASE}/services.xml"), "services")
    items = spec.xml_items(root)
    assert [i["service_code"] for i in items] == [s["service_code"] for s in services]
    for xml_item, json_item in zip(items, services, strict=True):
        spec.same_as_json(xml_item, json_item)


def test_service_definition_has_attributes_datatypes_and_values(client):
    definition = spec.check_json(client.get(f"{BASE}/services/graffiti-removal.json"),
                                 spec.SERVICE_DEFINITION)
    assert definition["service_code"] == "graffiti-removal"
    surface = definition["attributes"][0]
    assert surface["code"] == "surface" and surface["datatype"] == "singlevaluelist"
    assert surface["required"] is True and surface["variable"] is True
    assert surface["order"] == 1
    assert {"key": "wall", "name": "A wall"} in surface["values"]

    root = spec.check_xml(client.get(f"{BASE}/services/graffiti-removal.xml"),
                          "service_definition")
    assert root.findtext("service_code") == "graffiti-removal"
    first = root.find("attributes/attribute")
    assert first.findtext("code") == "surface" and first.findtext("required") == "true"
    keys = [v.findtext("key") for v in first.findall("values/value")]
    assert keys == [v["key"] for v in surface["values"]]


@pytest.mark.parametrize("code", ["bulky-items", "report-water-waste", "other",
                                  "single-streetlight-issue"])
def test_every_datatype_is_described(client, code):
    definition = spec.check_json(client.get(f"{BASE}/services/{code}.json"),
                                 spec.SERVICE_DEFINITION)
    for attribute in definition["attributes"]:
        is_list = attribute["datatype"].endswith("valuelist")
        assert ("values" in attribute) == is_list
    spec.check_xml(client.get(f"{BASE}/services/{code}.xml"), "service_definition")


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("code", ["no-such-service", "internal-inspection"])
def test_unknown_or_private_service_is_404(client, fmt, code):
    answer = client.get(f"{BASE}/services/{code}.{fmt}")
    assert answer.status_code == 404
    _check_error(answer, fmt, 404)


@pytest.mark.parametrize("fmt", FORMATS)
def test_jurisdiction_id_is_checked(client, fmt):
    assert client.get(f"{BASE}/services.{fmt}?jurisdiction_id=frontdoor-city").status_code == 200
    assert client.get(f"{BASE}/services.{fmt}?jurisdiction_id=Frontdoor-City").status_code == 200
    assert client.get(f"{BASE}/services.{fmt}?jurisdiction_id=").status_code == 200
    wrong = client.get(f"{BASE}/services.{fmt}?jurisdiction_id=springfield")
    assert wrong.status_code == 400
    _check_error(wrong, fmt, 400)


@pytest.mark.parametrize("path", ["/discovery.json", "/services.xml",
                                  "/services/graffiti-removal.json", "/requests.json",
                                  "/requests/ABCD-EFGH.xml", "/tokens/nope.json"])
def test_every_get_is_open_to_any_origin_and_sets_no_cookie(client, path):
    answer = client.get(BASE + path)
    assert answer.headers["Access-Control-Allow-Origin"] == "*"
    assert "Set-Cookie" not in answer.headers


def test_unknown_format_is_400_in_xml(client):
    answer = client.get(f"{BASE}/services.html")
    assert answer.status_code == 400
    _check_error(answer, "xml", 400)


@pytest.mark.parametrize(("path", "fmt"), [("/open311/v2/nothing.json", "json"),
                                           ("/open311/v2/services/a/b.xml", "xml"),
                                           ("/open311/v3/services.xml", "xml"),
                                           ("/open311/", "xml")])
def test_unknown_paths_are_open311_404s_never_html(client, path, fmt):
    answer = client.get(path)
    assert answer.status_code == 404
    _check_error(answer, fmt, 404)


@pytest.mark.parametrize("fmt", FORMATS)
def test_wrong_method_is_an_open311_405(client, fmt):
    answer = client.delete(f"{BASE}/services.{fmt}")
    assert answer.status_code == 405 and answer.headers["Allow"] == "GET"
    _check_error(answer, fmt, 405)
    assert client.put(f"{BASE}/requests.{fmt}").headers["Allow"] == "GET, POST"


def _check_error(answer, fmt: str, status: int) -> None:
    if fmt == "json":
        errors = spec.check_json(answer, spec.ERRORS)
        assert errors[0]["code"] == status
    else:
        root = spec.check_xml(answer, "errors")
        assert root.findtext("error/code") == str(status)
        assert root.findtext("error/description")
