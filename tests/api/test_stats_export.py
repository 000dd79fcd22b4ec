"""A citizen's own record: FHIR R4 Bundle that validates, PDF in vi and en."""
from __future__ import annotations

from datetime import timedelta

from fhir.resources.R4B.bundle import Bundle
from fhirclient.models.bundle import Bundle as R4Bundle

from tests.api.test_auth import problem
from tests.api.test_vaccination_support import TODAY, citizen_of, given_dose, guardian_of, person


def test_the_fhir_export_validates_as_r4_and_has_doses_and_reactions(app):
    who = person(app)
    given_dose(app, who, on=TODAY - timedelta(days=60), number=1)
    given_dose(app, who, on=TODAY - timedelta(days=30), number=2)
    app.extensions["ssk_docstore"].insert("reaction_reports", {
        "_id": "r1", "source": "citizen", "person_id": who["id"], "kind": "fever", "severity": "mild",
        "serious": False, "reported_at": "2026-11-01T03:00:00+00:00"}, now=__import__("tests.conftest").conftest.FIXED_NOW)
    me = citizen_of(app, who["id"])
    r = me.get(f"/people/{who['id']}/export.fhir.json")
    assert r.status_code == 200 and r.mimetype == "application/fhir+json"
    # Two independent sets of models: fhirclient's, generated from FHIR 4.0.1 (R4 itself; strict:
    # an unknown or mistyped element or a missing required one raises), and fhir.resources' R4B
    # (4.3, pydantic: the one whose objects are read below).
    r4 = R4Bundle(r.json, strict=True)
    assert [e.resource.resource_type for e in r4.entry] == ["Patient", "Immunization", "Immunization", "AdverseEvent"]
    bundle = Bundle.model_validate(r.json)
    kinds = [e.resource.get_resource_type() for e in bundle.entry]
    assert kinds == ["Patient", "Immunization", "Immunization", "AdverseEvent"]
    imm = bundle.entry[1].resource
    assert imm.lotNumber == "OLD1" and imm.protocolApplied[0].doseNumberPositiveInt == 1
    assert any(c.system == "http://hl7.org/fhir/sid/cvx" for c in imm.vaccineCode.coding)
    assert who["national_id"] not in r.request.url


def test_a_guardian_exports_a_dependant_and_others_are_refused(app):
    child = person(app, name="Nguyễn Văn Bé")
    given_dose(app, child, on=TODAY - timedelta(days=10))
    parent = guardian_of(app, child["id"])
    for lang in ("vi", "en"):
        r = parent.get(f"/people/{child['id']}/export.pdf?lang={lang}")
        assert r.status_code == 200 and r.data.startswith(b"%PDF") and len(r.data) > 1000
    stranger = citizen_of(app, person(app)["id"])
    problem(stranger.get(f"/people/{child['id']}/export.fhir.json"), 403)
    problem(stranger.get(f"/people/{child['id']}/export.pdf"), 403)
