from pathlib import Path

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
        rows = list(imports.read_rows(Path(job.file.path), imports.importer_for("members").columns))
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
    rows = list(imports.read_rows(Path(job.file.path), imports.importer_for("members").columns))
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


def test_utf8_file_whose_sample_ends_inside_a_character_is_still_utf8(world, tmp_path):
    header = "姓名,身份证号,手机号,工会编码\n"
    # 43 bytes of header, then "a" and three-byte characters: byte 65,536 falls inside one.
    filler = "a" + "张" * 30000
    path = tmp_path / "long.csv"
    path.write_text(header + f"{filler},330402199001011234,,UNION_a\n", encoding="utf-8")
    rows = list(imports.read_rows(path, imports.importer_for("members").columns))
    assert rows[0].values["name"] == filler
