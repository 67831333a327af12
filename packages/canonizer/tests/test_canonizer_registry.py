"""The registry: listing, ref resolution, checksums, user directories, parameters, the CLI."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest

import canonizer
from canonizer import _registry
from canonizer.__main__ import main as cli_main
from canonizer.kinds import CANONICAL_KINDS, CANONICAL_SCHEMAS

SHIPPED = Path(canonizer.__file__).parent


def _write_transform(
    root: Path,
    transform_id: str,
    spec_name: str,
    text: str,
    *,
    version: str = "1.0.0",
    engine: str = "jsonata",
    output_schema: str = CANONICAL_SCHEMAS["customer"],
    **meta: Any,
) -> Path:
    folder = root / transform_id.split("/")[0]
    folder.mkdir(parents=True, exist_ok=True)
    (folder / spec_name).write_text(text, encoding="utf-8")
    record = {
        "id": transform_id,
        "version": version,
        "engine": engine,
        "spec": spec_name,
        "input_schema": None,
        "output_schema": output_schema,
        "checksum": canonizer.spec_checksum(text),
        "status": "stable",
        "description": "test transform",
        **meta,
    }
    path = folder / f"{transform_id.split('/')[1]}-{version}.meta.json"
    path.write_text(json.dumps(record), encoding="utf-8")
    return path


CUSTOMER_JSONATA = """{
  "customer_id": cid, "email": null, "name": null, "phone": null, "created_at": null,
  "deleted": false, "livemode": null, "metadata": {}
}"""


def test_lists_every_shipped_transform_with_metadata() -> None:
    infos = canonizer.list_transforms()
    assert len(infos) == 13
    for info in infos:
        assert info.ref == f"{info.id}@{info.version}"
        assert info.engine in ("jsonata", "python")
        assert info.checksum.startswith("sha256:") and len(info.checksum) == 71
        assert info.status == "stable"
        assert info.description
        assert info.canonical_kind in CANONICAL_KINDS
        assert info.output_schema == CANONICAL_SCHEMAS[info.canonical_kind]
        assert info.input_schema is not None and info.input_schema.startswith("iglu:")
    assert {i.canonical_kind for i in infos} == set(CANONICAL_KINDS)
    engines = {i.id: i.engine for i in infos}
    assert engines["stripe/invoice_to_invoice"] == "jsonata"
    assert engines["dataverse/contact_to_contact"] == "jsonata"
    assert engines["email/gmail_to_jmap_lite"] == "python"


def test_every_canonical_kind_has_a_shipped_schema() -> None:
    store = canonizer.default_registry().schemas
    for uri in CANONICAL_SCHEMAS.values():
        assert store.get(uri)["$schema"] == "https://json-schema.org/draft/2020-12/schema"


def test_get_transform_pinned_and_unpinned() -> None:
    pinned = canonizer.get_transform("stripe/refund_to_refund@1.0.0")
    assert canonizer.get_transform("stripe/refund_to_refund") == pinned
    assert pinned.canonical_kind == "refund"


@pytest.mark.parametrize("ref", ["stripe", "Stripe/x@1.0.0", "a/b@1.0", "a/b@v1.0.0", "", "a/b/c"])
def test_invalid_refs(ref: str) -> None:
    with pytest.raises(canonizer.InvalidTransformRef):
        canonizer.get_transform(ref)


def test_unknown_ref() -> None:
    with pytest.raises(canonizer.TransformNotFound, match="stripe/nope@1.0.0"):
        canonizer.transform("stripe/nope@1.0.0", {})
    with pytest.raises(canonizer.TransformNotFound):
        canonizer.canonize("stripe/nope", [{}])


def test_canonical_idem_key() -> None:
    raw = "gmail:gmail-acct1:email:18c5a7b2e3f4d5c6"
    kind = canonizer.get_transform("email/gmail_to_jmap_lite@1.0.0").canonical_kind
    key = canonizer.canonical_idem_key(raw, kind)
    assert key == "gmail:gmail-acct1:email:18c5a7b2e3f4d5c6#email_jmap_lite"
    with pytest.raises(ValueError):
        canonizer.canonical_idem_key(key, kind)


def test_user_directory_adds_jsonata_and_python_transforms(tmp_path: Path) -> None:
    _write_transform(tmp_path, "custom/thing_to_customer", "thing.jsonata", CUSTOMER_JSONATA)
    schema = {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": "iglu:com.example/tag/jsonschema/1-0-0",
        "type": "object",
        "properties": {"tag": {"type": "string"}},
        "required": ["tag"],
        "additionalProperties": False,
    }
    (tmp_path / "tag.schema.json").write_text(json.dumps(schema), encoding="utf-8")
    _write_transform(
        tmp_path,
        "custom/tagger",
        "tagger.py",
        "def transform(payload, params):\n    return {'tag': params['prefix'] + payload['v']}\n",
        engine="python",
        output_schema="iglu:com.example/tag/jsonschema/1-0-0",
        parameters={"prefix": "t-"},
    )
    registry = canonizer.load_registry(extra_dirs=[tmp_path])
    assert registry.errors == {}
    refs = {i.ref: i for i in canonizer.list_transforms(registry=registry)}
    assert len(refs) == len(canonizer.list_transforms()) + 2
    assert refs["custom/tagger@1.0.0"].origin == str(tmp_path.resolve())
    assert refs["custom/tagger@1.0.0"].canonical_kind == "tag"
    out = canonizer.transform("custom/thing_to_customer@1.0.0", {"cid": "cus_1"}, registry=registry)
    assert out["customer_id"] == "cus_1"
    assert registry.transform("custom/tagger@1.0.0", {"v": "x"}) == {"tag": "t-x"}
    assert registry.transform("custom/tagger@1.0.0", {"v": "x"}, {"prefix": "p-"}) == {"tag": "p-x"}
    # Shipped transforms still work through the extended registry.
    assert canonizer.get_transform("stripe/refund_to_refund@1.0.0", registry=registry)
    # ... and the default registry is untouched.
    with pytest.raises(canonizer.TransformNotFound):
        canonizer.get_transform("custom/tagger@1.0.0")


def test_newest_stable_version_wins_for_unpinned_refs(tmp_path: Path) -> None:
    for version, status in (("1.0.0", "stable"), ("1.2.0", "stable"), ("2.0.0", "draft")):
        _write_transform(
            tmp_path,
            "custom/v",
            f"v{version}.jsonata",
            CUSTOMER_JSONATA,
            version=version,
            status=status,
        )
    registry = canonizer.load_registry([tmp_path])
    assert canonizer.get_transform("custom/v", registry=registry).version == "1.2.0"
    assert canonizer.get_transform("custom/v@2.0.0", registry=registry).status == "draft"


def test_checksum_mismatch_in_user_directory(tmp_path: Path) -> None:
    marker = tmp_path / "executed"
    _write_transform(
        tmp_path,
        "custom/tampered",
        "tampered.py",
        "def transform(payload, params):\n    return {}\n",
        engine="python",
    )
    _write_transform(tmp_path, "custom/fine", "fine.jsonata", CUSTOMER_JSONATA)
    # Tamper after the checksum was recorded: the new code would leave a marker if it ran.
    (tmp_path / "custom" / "tampered.py").write_text(
        f"open({str(marker)!r}, 'w').close()\ndef transform(payload, params):\n    return {{}}\n",
        encoding="utf-8",
    )
    registry = canonizer.load_registry([tmp_path])
    assert set(registry.errors) == {"custom/tampered@1.0.0"}
    with pytest.raises(canonizer.ChecksumMismatch, match=r"custom/tampered@1\.0\.0"):
        registry.get("custom/tampered@1.0.0")
    with pytest.raises(canonizer.ChecksumMismatch):
        canonizer.canonize("custom/tampered@1.0.0", [{}], registry=registry)
    assert canonizer.list_transforms(registry=registry)[0].id == "custom/fine"
    assert not marker.exists()
    with pytest.raises(canonizer.ChecksumMismatch, match="tampered"):
        canonizer.load_registry([tmp_path], strict=True)


def test_checksum_mismatch_in_shipped_transform_is_fatal(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    copy = tmp_path / "canonizer"
    shutil.copytree(SHIPPED / "transforms", copy / "transforms")
    shutil.copytree(SHIPPED / "schemas", copy / "schemas")
    spec = copy / "transforms" / "stripe" / "refund_to_refund.jsonata"
    spec.write_text(spec.read_text("utf-8").replace('"refund_id": id', '"refund_id": "x"'), "utf-8")
    monkeypatch.setattr(_registry, "PACKAGE_DIR", copy)
    with pytest.raises(canonizer.ChecksumMismatch, match=r"stripe/refund_to_refund@1\.0\.0"):
        canonizer.load_registry()


def test_crlf_checkout_keeps_the_checksum(tmp_path: Path) -> None:
    path = _write_transform(tmp_path, "custom/crlf", "crlf.jsonata", CUSTOMER_JSONATA)
    spec = path.parent / "crlf.jsonata"
    spec.write_bytes(CUSTOMER_JSONATA.replace("\n", "\r\n").encode("utf-8"))
    assert canonizer.load_registry([tmp_path], strict=True).get("custom/crlf@1.0.0")


def test_broken_user_files_are_reported_and_skipped(tmp_path: Path) -> None:
    _write_transform(tmp_path, "custom/fine", "fine.jsonata", CUSTOMER_JSONATA)
    (tmp_path / "custom" / "junk.meta.json").write_text("{not json", encoding="utf-8")
    _write_transform(tmp_path, "custom/nospec", "missing.jsonata", "1")
    (tmp_path / "custom" / "missing.jsonata").unlink()
    _write_transform(
        tmp_path, "custom/noschema", "n.jsonata", "{}", output_schema="iglu:x/y/jsonschema/1-0-0"
    )
    _write_transform(tmp_path, "stripe/refund_to_refund", "shadow.jsonata", CUSTOMER_JSONATA)
    registry = canonizer.load_registry([tmp_path])
    assert [i.id for i in registry.list() if i.origin != "builtin"] == ["custom/fine"]
    assert len(registry.errors) == 4
    assert isinstance(registry.errors["custom/noschema@1.0.0"], canonizer.SchemaNotFound)
    # The shipped transform that a user file tried to shadow keeps working.
    assert registry.get("stripe/refund_to_refund@1.0.0").info.origin == "builtin"
    with pytest.raises(canonizer.TransformLoadError):
        canonizer.load_registry([tmp_path], strict=True)
    with pytest.raises(canonizer.TransformLoadError, match="does not exist"):
        canonizer.load_registry([tmp_path / "nope"])


def test_jsonata_syntax_error_is_a_load_error_not_a_rejection(tmp_path: Path) -> None:
    _write_transform(tmp_path, "custom/broken", "broken.jsonata", '{"a": (}')
    registry = canonizer.load_registry([tmp_path])
    with pytest.raises(canonizer.TransformLoadError, match="custom/broken@1.0.0"):
        canonizer.canonize("custom/broken@1.0.0", [{}], registry=registry)
    with pytest.raises(canonizer.TransformLoadError):
        registry.transform("custom/broken@1.0.0", {})


def test_parameters_are_declared_and_bound(tmp_path: Path) -> None:
    _write_transform(
        tmp_path,
        "custom/param",
        "param.jsonata",
        CUSTOMER_JSONATA.replace("cid", "$lookup($, $field)"),
        parameters={"field": "cid"},
    )
    registry = canonizer.load_registry([tmp_path])
    ref = "custom/param@1.0.0"
    assert registry.transform(ref, {"cid": "a"})["customer_id"] == "a"
    assert registry.transform(ref, {"other": "b"}, {"field": "other"})["customer_id"] == "b"
    with pytest.raises(canonizer.InvalidTransformParams, match="colour"):
        canonizer.canonize(ref, [{}], params={"colour": 1}, registry=registry)
    with pytest.raises(canonizer.InvalidTransformParams):
        canonizer.transform("stripe/refund_to_refund@1.0.0", {}, params={"prefix": "x"})


def test_canonize_keeps_order_and_continues_after_rejections() -> None:
    good = {"id": "re_1", "amount": 1, "currency": "usd", "created": 0}
    payloads = [good, {"id": "re_2"}, None, good]
    outcomes = list(canonizer.canonize("stripe/refund_to_refund@1.0.0", payloads))
    assert [o.ok is not None for o in outcomes] == [True, False, False, True]
    assert outcomes[0].ok is not None and outcomes[0].ok["created_at"] == "1970-01-01T00:00:00Z"
    assert outcomes[1].rejected_reason == "input invalid at /: required (missing amount, currency)"


def test_cli_lists_and_checksums(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    assert cli_main(["list"]) == 0
    listed = capsys.readouterr().out
    assert "email/gmail_to_jmap_lite@1.0.0" in listed and "-> email_jmap_lite" in listed
    spec = SHIPPED / "transforms" / "stripe" / "refund_to_refund.jsonata"
    assert cli_main(["checksum", str(spec)]) == 0
    assert (
        capsys.readouterr().out.strip()
        == canonizer.get_transform("stripe/refund_to_refund").checksum
    )
    meta = _write_transform(tmp_path, "custom/edit", "edit.jsonata", CUSTOMER_JSONATA)
    (meta.parent / "edit.jsonata").write_text(CUSTOMER_JSONATA + " ", encoding="utf-8")
    assert cli_main(["list", "--dir", str(tmp_path)]) == 1
    assert "custom/edit@1.0.0" in capsys.readouterr().err
    assert cli_main(["checksum", "--update", str(meta)]) == 0
    assert cli_main(["list", "--dir", str(tmp_path)]) == 0


def test_every_route_resolves_and_every_shipped_transform_serves_a_route() -> None:
    from canonizer.routing import load_routes, pins_from, resolve

    routes = [route for lane in load_routes().values() for route in lane]
    served = {resolve(route, {}).ref for route in routes}
    assert served == {info.ref for info in canonizer.list_transforms()}
    pinned = resolve(routes[0], pins_from({"canonizer": {"pins": {routes[0].transform: "1.0.0"}}}))
    assert pinned.version == "1.0.0"


@pytest.mark.parametrize("pins", [{"pins": {"email/gmail_to_jmap_lite": "latest"}},
                                  {"pins": {"email/gmail_to_jmap_lite@1.0.0": "1.0.0"}},
                                  {"pins": ["email/gmail_to_jmap_lite"]}])
def test_a_malformed_pin_is_refused_naming_the_setting(pins: dict[str, object]) -> None:
    from canonizer.errors import InvalidTransformRef
    from canonizer.routing import pins_from

    with pytest.raises(InvalidTransformRef, match=r"packages\.canonizer\.pins"):
        pins_from({"canonizer": pins})
