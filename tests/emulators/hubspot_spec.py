"""Request bodies checked against hubspot-api-client's generated models (built from HubSpot's public OpenAPI specs).

The emulator must not accept a body the real API would refuse: every JSON key has to be a field of the model
(`attribute_map`), every value the declared type (`openapi_types`, recursively), and the model must construct:
its setters raise for a missing required field or a value outside an enum. The documented input caps (100 per
object batch, per the batch pages of developers.hubspot.com) are checked here too, since OpenAPI does not carry them.
"""

from __future__ import annotations

import importlib
import re
from dataclasses import dataclass

# (method, path regex) -> (models package, model class name, max inputs or None)
ROUTES: list[tuple[str, str, str, str, int | None]] = [
    ("POST", r"/crm/v3/objects/(contacts|companies)/batch/upsert", "hubspot.crm.{0}.models",
     "BatchInputSimplePublicObjectBatchInputUpsert", 100),
    ("POST", r"/crm/v3/objects/(contacts|companies)/batch/read", "hubspot.crm.{0}.models",
     "BatchReadInputSimplePublicObjectId", 100),
    ("POST", r"/crm/v3/properties/(contacts|companies)", "hubspot.crm.properties.models", "PropertyCreate", None),
    ("POST", r"/crm/v3/objects/(contacts|companies)/search", "hubspot.crm.{0}.models", "PublicObjectSearchRequest",
     None),
    ("POST", r"/crm/v4/associations/contacts/companies/batch/associate/default",
     "hubspot.crm.associations.v4.models", "BatchInputPublicDefaultAssociationMultiPost", 2000),
    ("POST", r"/crm/v3/lists/?", "hubspot.crm.lists.models", "ListCreateRequest", None),
    ("PUT", r"/crm/v3/lists/[^/]+/memberships/add-and-remove", "hubspot.crm.lists.models",
     "MembershipChangeRequest", None),
]
# Routes whose body no generated model covers, with the shape HubSpot's docs give (field -> type; all required):
# the private-app token check (developers.hubspot.com/docs/api/private-apps: `{"tokenKey": "<token>"}`).
DOCUMENTED: list[tuple[str, str, dict[str, type]]] = [
    ("POST", r"/oauth/v2/private-apps/get/access-token-info", {"tokenKey": str}),
]
SCALARS = {"str": (str,), "int": (int,), "float": (int, float), "bool": (bool,), "datetime": (str,), "date": (str,)}


class SpecError(ValueError):
    """The body breaks the model; the message names the JSON path."""


@dataclass(frozen=True)
class Model:
    package: str
    name: str
    max_inputs: int | None


def model_for(method: str, path: str) -> Model | None:
    for m, pattern, package, name, cap in ROUTES:
        hit = re.fullmatch(pattern, path)
        if hit and m == method:
            return Model(package.format(*hit.groups()), name, cap)
    return None


def check_body(method: str, path: str, body: object) -> None:
    """Raise SpecError when `body` is not what the official model for this route allows."""
    for m, pattern, fields in DOCUMENTED:
        if m == method and re.fullmatch(pattern, path):
            _documented(body, fields, f"{method} {path}")
            return
    model = model_for(method, path)
    if model is None:
        if body is not None:
            raise SpecError(f"{method} {path}: no request body is specified for this route")
        return
    if body is None:
        raise SpecError(f"{method} {path}: a {model.name} body is required")
    package = importlib.import_module(model.package)
    _value(body, model.name, package, "$")
    inputs = body.get("inputs") if isinstance(body, dict) else None
    if model.max_inputs is not None and isinstance(inputs, list) and len(inputs) > model.max_inputs:
        raise SpecError(f"$.inputs: Batch input size {len(inputs)} exceeds the limit of {model.max_inputs}")
    if model.name == "PublicObjectSearchRequest":
        _search_limits(body)


def _search_limits(body: dict) -> None:
    """The CRM search guide's caps (developers.hubspot.com/docs/api-reference/latest/crm/search-the-crm and the
    2024-08 filter changelog): <= 200 per page, <= 5 filterGroups, <= 10 filters per group, <= 25 in all."""
    if (body.get("limit") or 0) > 200:
        raise SpecError(f"$.limit: {body['limit']} exceeds the maximum page size of 200")
    groups = body.get("filterGroups") or []
    if len(groups) > 5:
        raise SpecError(f"$.filterGroups: {len(groups)} filter groups exceed the limit of 5")
    if any(len(g.get("filters") or []) > 10 for g in groups):
        raise SpecError("$.filterGroups: a filter group holds more than 10 filters")
    if sum(len(g.get("filters") or []) for g in groups) > 25:
        raise SpecError("$.filterGroups: more than 25 filters in all")


def _documented(body: object, fields: dict[str, type], where: str) -> None:
    if not isinstance(body, dict):
        raise SpecError(f"{where}: the body must be a JSON object")
    unknown = sorted(set(body) - set(fields))
    if unknown:
        raise SpecError(f"{where}: unknown field(s) {unknown}")
    for name, typ in fields.items():
        if not isinstance(body.get(name), typ):
            raise SpecError(f"{where}: {name} must be a {typ.__name__}")


def _value(value: object, typ: str, package: object, where: str) -> object:
    if value is None:
        return None  # a null is the same as absent; required fields are checked by the model itself
    if typ == "object":
        return value
    if typ in SCALARS:
        ok = isinstance(value, SCALARS[typ]) and (typ == "bool" or not isinstance(value, bool))
        if not ok:
            raise SpecError(f"{where}: expected {typ}, got {type(value).__name__} {value!r}"[:200])
        return value
    if typ.startswith("list["):
        if not isinstance(value, list):
            raise SpecError(f"{where}: expected a list, got {type(value).__name__}")
        return [_value(v, typ[5:-1], package, f"{where}[{i}]") for i, v in enumerate(value)]
    if typ.startswith("dict["):
        if not isinstance(value, dict):
            raise SpecError(f"{where}: expected an object, got {type(value).__name__}")
        inner = typ[5:-1].split(",", 1)[1].strip()
        return {k: _value(v, inner, package, f"{where}.{k}") for k, v in value.items()}
    cls = getattr(package, typ)
    if not isinstance(value, dict):
        raise SpecError(f"{where}: expected a {typ} object, got {type(value).__name__}")
    by_json = {j: attr for attr, j in cls.attribute_map.items()}
    unknown = sorted(set(value) - set(by_json))
    if unknown:
        raise SpecError(f"{where}: unrecognized field {unknown[0]!r} (not in {typ})")
    kwargs = {by_json[k]: _value(v, cls.openapi_types[by_json[k]], package, f"{where}.{k}") for k, v in value.items()}
    config = importlib.import_module(cls.__module__.rsplit(".models.", 1)[0] + ".configuration").Configuration()
    config.client_side_validation = True  # off by default in the generated client
    try:
        return cls(**kwargs, local_vars_configuration=config)  # the generated setters refuse missing required fields and values outside enums
    except ValueError as exc:
        raise SpecError(f"{where}: {typ}: {exc}") from None
