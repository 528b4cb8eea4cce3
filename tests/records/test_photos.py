"""Assessment photos: EXIF stripped on upload, stored privately, served only to clinicians."""

from __future__ import annotations

import io
import stat
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client as HttpClient
from PIL import Image

from mesoclinic.core.models import AuditEntry
from mesoclinic.people.models import Client
from mesoclinic.records.models import AssessmentPhoto

MAKE, ARTIST, GPS_IFD = 0x010F, 0x013B, 0x8825


def _jpeg_with_exif() -> bytes:
    image = Image.new("RGB", (40, 30), "salmon")
    exif = Image.Exif()
    exif[MAKE] = "SecretCam"
    exif[ARTIST] = "Amelia Hart"
    exif[0x0112] = 1
    buffer = io.BytesIO()
    image.save(buffer, format="JPEG", exif=exif.tobytes())
    return buffer.getvalue()


@pytest.fixture(autouse=True)
def private_media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


@pytest.fixture
def assessment_id(demo, api_as):
    client = Client.objects.get(email="amelia.hart@example.com")
    response = api_as("dr-patel").post(
        f"/clients/{client.pk}/assessments", {"scale": "gais", "components": {"score": 2}}
    )
    return response.json()["id"]


def _upload(api, assessment_id, data: bytes, name="face.jpg", content_type="image/jpeg"):
    return api.http.post(
        f"/api/v1/assessments/{assessment_id}/photos",
        {"file": SimpleUploadedFile(name, data, content_type=content_type), "view": "front"},
        headers=api.headers,
    )


def test_uploaded_photo_has_its_exif_stripped(assessment_id, api_as):
    # given
    original = _jpeg_with_exif()
    assert b"SecretCam" in original

    # when
    response = _upload(api_as("dr-patel"), assessment_id, original)

    # then
    assert response.status_code == 201, response.content
    photo = AssessmentPhoto.objects.get()
    stored = photo.image.open("rb").read()
    assert b"SecretCam" not in stored
    assert b"Amelia Hart" not in stored
    assert b"Exif" not in stored
    with Image.open(io.BytesIO(stored)) as image:
        assert (image.format, image.size, dict(image.getexif())) == ("JPEG", (40, 30), {})


def test_png_is_accepted_and_kept_as_png(assessment_id, api_as):
    # given
    buffer = io.BytesIO()
    Image.new("RGBA", (8, 8), (10, 20, 30, 255)).save(buffer, format="PNG")

    # when
    response = _upload(api_as("dr-patel"), assessment_id, buffer.getvalue(), "a.png", "image/png")

    # then
    assert (response.status_code, response.json()["content_type"]) == (201, "image/png")


@pytest.mark.parametrize(
    ("data", "name"),
    [(b"not an image at all", "x.jpg"), (None, "x.gif")],
)
def test_other_files_are_refused(assessment_id, api_as, data, name):
    # given
    if data is None:
        buffer = io.BytesIO()
        Image.new("RGB", (4, 4)).save(buffer, format="GIF")
        data = buffer.getvalue()

    # when
    response = _upload(api_as("dr-patel"), assessment_id, data, name)

    # then
    assert (response.status_code, response.json()["error"]["code"]) == (422, "unsupported_image")
    assert AssessmentPhoto.objects.count() == 0


def test_photo_is_served_to_clinicians_and_audited(assessment_id, api_as):
    # given
    api = api_as("dr-patel")
    photo_id = _upload(api, assessment_id, _jpeg_with_exif()).json()["id"]

    # when
    response = api.get(f"/photos/{photo_id}")

    # then
    assert response.status_code == 200
    assert response["Content-Type"] == "image/jpeg"
    assert response["Cache-Control"] == "private, no-store"
    assert b"".join(response.streaming_content)[:2] == b"\xff\xd8"
    assert AuditEntry.objects.filter(action="photo.view", object_id=photo_id).count() == 1


def test_photo_is_refused_to_reception_and_anonymous_users(assessment_id, api_as):
    # given
    photo_id = _upload(api_as("dr-patel"), assessment_id, _jpeg_with_exif()).json()["id"]

    # when
    as_reception = api_as("reception").get(f"/photos/{photo_id}")
    anonymous = HttpClient().get(f"/api/v1/photos/{photo_id}")

    # then
    assert as_reception.status_code == 403
    assert anonymous.status_code == 401


def test_photo_file_has_no_public_url(assessment_id, api_as):
    # given
    _upload(api_as("dr-patel"), assessment_id, _jpeg_with_exif())
    photo = AssessmentPhoto.objects.get()

    # when / then
    with pytest.raises(ValueError, match="no public URL"):
        _ = photo.image.url
    assert HttpClient().get(f"/media/{photo.image.name}").status_code in (302, 404)


def test_photo_files_are_readable_by_the_server_only(assessment_id, api_as):
    # when
    response = _upload(api_as("dr-patel"), assessment_id, _jpeg_with_exif())

    # then
    assert response.status_code == 201, response.content
    path = Path(AssessmentPhoto.objects.get().image.path)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
