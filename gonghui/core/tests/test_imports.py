import pytest
from django.core.exceptions import ValidationError

from gonghui.core import imports
from gonghui.core.models import ImportJob
from gonghui.testing.sheets import csv_upload, xlsx_upload

pytestmark = pytest.mark.django_db


def _create(world, upload, kind="members"):
    return imports.import_job_create(actor=world.staff("city", "clerk"), kind=kind, upload=upload)


def test_reads_csv_utf8_gbk_and_xlsx_alike(world):
    row = ["张三", "330402199001011234", "", "UNION_a", "2024/3/1", "", ""]
    for upload in (
        csv_upload([row]),
        csv_upload([row], encoding="gb18030"),
        xlsx_upload([row]),
    ):
        job = _create(world, upload)
        rows = list(imports.read_rows(job, imports.importer_for("members").columns))
        assert [r.number for r in rows] == [2]
        assert rows[0].values["name"] == "张三"
        assert rows[0].values["joined_on"].replace("/", "-").startswith("2024-3-1") or rows[
            0
        ].values["joined_on"] in {"2024/3/1", "2024-03-01"}


def test_blank_rows_are_skipped_and_row_numbers_are_what_excel_shows(world):
    upload = xlsx_upload(
        [["a", "1", "", "x", "", "", ""], [None] * 7, ["b", "2", "", "x", "", "", ""]]
    )
    job = _create(world, upload)
    rows = list(imports.read_rows(job, imports.importer_for("members").columns))
    assert [r.number for r in rows] == [2, 4]


@pytest.mark.parametrize(
    ("upload", "fragment"),
    [
        (csv_upload([["a"]], header=["姓名", "手机号"]), "缺少必填列：身份证号、工会编码"),
        (xlsx_upload([], header=[]), "文件是空的"),
        (csv_upload([], header=[], name="空.csv"), "缺少必填列"),
    ],
)
def test_missing_columns_are_named(world, upload, fragment):
    with pytest.raises(ValidationError) as caught:
        _create(world, upload)
    assert fragment in caught.value.message_dict["file"][0]
    assert not ImportJob.unscoped.exists()


def test_malformed_xlsx_is_refused_with_a_chinese_reason(world):
    from django.core.files.uploadedfile import SimpleUploadedFile

    with pytest.raises(ValidationError) as caught:
        _create(world, SimpleUploadedFile("名册.xlsx", b"PK\x03\x04 this is not a workbook"))
    assert "xlsx" in caught.value.message_dict["file"][0]
    assert not ImportJob.unscoped.exists()


def test_other_file_types_and_empty_files_are_refused(world):
    from django.core.files.uploadedfile import SimpleUploadedFile

    with pytest.raises(ValidationError, match=r"\.xlsx 或 \.csv"):
        _create(world, SimpleUploadedFile("名册.pdf", b"%PDF-1.4"))
    with pytest.raises(ValidationError, match="空的"):
        _create(world, SimpleUploadedFile("名册.csv", b""))


def test_oversize_file_is_refused(world, settings):
    settings.GONGHUI_IMPORT_MAX_BYTES = 1024
    rows = [["张三", "330402199001011234", "", "UNION_a", "", "", ""]] * 100
    with pytest.raises(ValidationError, match="不能超过"):
        _create(world, csv_upload(rows))


def test_too_many_rows_stop_the_check_with_a_reason(world, settings):
    settings.GONGHUI_IMPORT_MAX_ROWS = 3
    rows = [["张三", "330402199001011234", "", "UNION_a", "", "", ""]] * 5
    job = _create(world, csv_upload(rows))
    imports.run_check(job, world.staff("city", "clerk"))
    assert job.status == "failed"
    assert "超过 3 行" in job.message


def test_leader_cannot_import(world):
    from django.core.exceptions import PermissionDenied

    with pytest.raises(PermissionDenied):
        imports.import_job_create(
            actor=world.staff("city", "leader"), kind="members", upload=csv_upload([])
        )


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2024-03-01", "2024-03-01"),
        ("2024/3/1", "2024-03-01"),
        ("20240301", "2024-03-01"),
        ("2024年3月1日", "2024-03-01"),
    ],
)
def test_dates_in_the_usual_forms(text, expected):
    assert imports.parse_date(text).isoformat() == expected


def test_utf8_file_whose_sample_ends_inside_a_character_is_still_utf8(world):
    from django.core.files.uploadedfile import SimpleUploadedFile

    header = "姓名,身份证号,手机号,工会编码\n"
    # 43 bytes of header, then "a" and three-byte characters: byte 65,536 falls inside one.
    filler = "a" + "张" * 30000
    content = (header + f"{filler},330402199001011234,,UNION_a\n").encode()
    job = _create(world, SimpleUploadedFile("long.csv", content))
    rows = list(imports.read_rows(job, imports.importer_for("members").columns))
    assert rows[0].values["name"] == filler


# --- no plaintext on disk -------------------------------------------------------------------


def _plaintext_files(roots, needles):
    """Files under ``roots`` that hold one of ``needles`` as bytes, or are a readable workbook
    (an xlsx is a zip: its text is compressed, so grepping it proves nothing)."""
    import zipfile
    from pathlib import Path

    found, seen = [], 0
    for root in roots:
        for path in Path(root).rglob("*"):
            if not path.is_file():
                continue
            seen += 1
            data = path.read_bytes()
            if any(needle in data for needle in needles) or zipfile.is_zipfile(path):
                found.append(str(path))
    return found, seen


@pytest.mark.parametrize("kind", ["csv", "xlsx"])
def test_an_upload_is_never_on_disk_in_plaintext_at_any_stage(
    world, client, settings, tmp_path, monkeypatch, django_capture_on_commit_callbacks, kind
):
    from django.urls import reverse

    from gonghui.members.models import Membership
    from gonghui.testing.factories import new_id_number, new_mobile
    from gonghui.testing.sheets import MEMBER_HEADER, csv_upload, xlsx_upload

    # Given a roll larger than FILE_UPLOAD_MAX_MEMORY_SIZE (Django would spool it to a
    # temporary file), with a column the importer ignores to make it so,
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.FILE_UPLOAD_MAX_MEMORY_SIZE = 2 * 1024 * 1024  # so Django would spool it
    settings.FILE_UPLOAD_TEMP_DIR = tmp_path / "tmp"
    settings.FILE_UPLOAD_TEMP_DIR.mkdir()
    roots = [settings.MEDIA_ROOT, settings.FILE_UPLOAD_TEMP_DIR]
    numbers = [new_id_number() for _ in range(25)]
    mobile = new_mobile()
    padding = "备注" * 50_000 if kind == "csv" else "备注"
    rows = [
        ["欧阳明珠", number, mobile if i == 0 else "", "UNION_a", "2023-05-01", "", "", padding]
        for i, number in enumerate(numbers)
    ]
    header = [*MEMBER_HEADER, "备注"]
    upload = (csv_upload if kind == "csv" else xlsx_upload)(rows, header=header)
    if kind == "csv":
        assert upload.size > settings.FILE_UPLOAD_MAX_MEMORY_SIZE
    needles = [numbers[0].encode(), numbers[-1].encode(), mobile.encode(), "欧阳明珠".encode()]
    scans = {}

    def scan(moment):
        scans[moment] = _plaintext_files(roots, needles)

    create = imports.import_job_create

    def create_and_scan(**kwargs):
        scan("received")  # the whole body has been read; the upload waits in the temp dir
        return create(**kwargs)

    monkeypatch.setattr(imports, "import_job_create", create_and_scan)
    importer = imports.importer_for("members")
    commit = importer.commit

    def commit_and_scan(**kwargs):
        scan("committing")  # the stage is being read, the upload is still there
        return commit(**kwargs)

    monkeypatch.setattr(importer, "commit", commit_and_scan)
    actor = world.staff("city", "clerk")
    client.force_login(actor)

    # When it is uploaded through the console, checked and committed,
    response = client.post(reverse("console:import_list"), {"kind": "members", "file": upload})
    assert response.status_code == 302
    job = ImportJob.unscoped.get()
    scan("uploaded")
    imports.run_check(job, actor)
    assert job.status == "checked", job.errors
    scan("checked")
    with django_capture_on_commit_callbacks(execute=True):
        imports.run_commit(job, actor)
    assert job.status == "done", job.message
    scan("done")

    # Then no file under MEDIA_ROOT or the temporary directory ever held a person in
    # plaintext, while the upload and the stage were there sealed.
    assert Membership.unscoped.filter(union=world.union_a).count() == 25
    assert {moment: found for moment, (found, _seen) in scans.items()} == {
        "received": [],
        "uploaded": [],
        "checked": [],
        "committing": [],
        "done": [],
    }
    assert scans["received"][1] >= 1  # the sealed temporary file
    assert scans["checked"][1] == 2  # the sealed upload and the sealed stage
    assert scans["done"][1] == 0  # both deleted once the job ended


def test_an_upload_over_the_limit_is_refused_by_its_size_and_not_stored(
    world, client, settings, tmp_path
):
    from django.urls import reverse

    from gonghui.testing.sheets import csv_upload

    settings.MEDIA_ROOT = tmp_path / "media"
    settings.FILE_UPLOAD_MAX_MEMORY_SIZE = 2 * 1024 * 1024  # so Django would spool it
    settings.FILE_UPLOAD_TEMP_DIR = tmp_path / "tmp"
    settings.FILE_UPLOAD_TEMP_DIR.mkdir()
    settings.GONGHUI_IMPORT_MAX_BYTES = 200_000
    rows = [["张三", "330402199001011234", "", "UNION_a", "", "", ""]] * 10_000
    client.force_login(world.staff("city", "clerk"))
    response = client.post(
        reverse("console:import_list"), {"kind": "members", "file": csv_upload(rows)}
    )
    assert response.status_code == 200
    assert "不能超过" in response.content.decode()
    assert not ImportJob.unscoped.exists()
    assert not any(p.is_file() for p in (tmp_path / "media").rglob("*"))


def test_a_stored_upload_or_stage_that_was_changed_is_refused(world):
    from gonghui.testing.factories import new_id_number
    from gonghui.testing.sheets import csv_upload

    actor = world.staff("city", "clerk")
    rows = [["张三", new_id_number(), "", "UNION_a", "", "", ""]]
    job = imports.import_job_create(actor=actor, kind="members", upload=csv_upload(rows))
    imports.run_check(job, actor)
    assert job.status == "checked"
    stage = imports.Stage(job).path
    data = bytearray(stage.read_bytes())
    data[-1] ^= 1
    stage.write_bytes(bytes(data))
    imports.run_commit(job, actor)
    assert job.status == "failed" and "重新上传" in job.message
    other = imports.import_job_create(actor=actor, kind="members", upload=csv_upload(rows))
    path = other.file.path
    with open(path, "r+b") as handle:
        handle.seek(20)
        byte = handle.read(1)
        handle.seek(20)
        handle.write(bytes([byte[0] ^ 1]))
    imports.run_check(other, actor)
    assert other.status == "failed" and "无法读取" in other.message


@pytest.mark.parametrize("kind", ["members", "enterprises"])
def test_the_template_examples_pass_the_platforms_own_checks(world, client, kind):
    import io

    from django.urls import reverse
    from openpyxl import load_workbook

    from gonghui.core.validators import (
        normalize_credit_code,
        normalize_id_number,
        normalize_mobile,
    )

    client.force_login(world.staff("city", "clerk"))
    response = client.get(reverse("console:import_template", args=[kind]))
    notes = load_workbook(io.BytesIO(b"".join(response.streaming_content)))["填写说明"]
    examples = {row[0]: row[2] for row in notes.iter_rows(min_row=2, values_only=True) if row[0]}
    checks = {
        "身份证号": normalize_id_number,
        "手机号": normalize_mobile,
        "统一社会信用代码": normalize_credit_code,
    }
    checked = [header for header in examples if header in checks]
    assert checked  # the template does show such an example
    for header in checked:
        assert checks[header](examples[header]) == examples[header]


def test_files_no_job_names_are_removed_once_an_hour_old(world, settings, tmp_path):
    """A process that finished its job and died before removing its files (the job no longer
    names them) leaves personal data, sealed, that nothing would ever delete."""
    import os
    import time
    from pathlib import Path

    settings.MEDIA_ROOT = tmp_path / "media"
    # given the upload of a job under way, and beside it the upload, stage and lease a dead
    # process left behind, and an upload whose job is being created
    job = _create(world, csv_upload([["张三", "330402199001011234", "", "UNION_a"]]))
    held = Path(job.file.path)
    left = [held.with_name(f"gone.csv.sealed{suffix}") for suffix in ("", ".stage", ".lease")]
    arriving = held.with_name("arriving.csv.sealed")
    for path in [*left, arriving]:
        path.write_bytes(b"sealed")
    two_hours_ago = time.time() - 2 * 3600
    for path in [held, *left]:
        os.utime(path, (two_hours_ago, two_hours_ago))
    # when the housekeeping runs
    removed = imports.import_orphans_remove()
    # then what no job names is gone once an hour old; the job's own file and the young one stay
    assert removed == 3
    assert not any(path.exists() for path in left)
    assert held.exists() and arriving.exists()
    assert imports.import_orphans_remove() == 0
