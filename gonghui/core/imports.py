"""Spreadsheet imports (PLT-3): a template to download, a dry run that lists every bad row with
its row number and a Chinese reason, then an all-or-nothing commit, with progress.

An importer (one per kind of record, in its own app) declares its columns and implements
``check`` (read-only) and ``commit`` (writes; runs inside one transaction). This module reads
CSV and XLSX files into ``Row`` objects, runs the jobs and keeps their progress. See
docs/adr/0003.

An uploaded roll is personal data in plaintext, so it never touches the disk as such: the
console's upload arrives through ``SealingUploadHandler``, which seals it as it is received;
any other file handed to ``import_job_create`` is sealed as it is stored; the dry run's stage
is sealed as it is written; and the rows are read back by decrypting as they are parsed. All of
it in segments (``crypto.StreamSealer``), so memory stays flat however large the file.
"""

from __future__ import annotations

import codecs
import csv
import datetime
import io
import logging
import pickle
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, BinaryIO, Protocol

from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.core.files import File
from django.core.files.uploadedfile import TemporaryUploadedFile
from django.core.files.uploadhandler import FileUploadHandler
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from python_calamine import CalamineError, CalamineWorkbook

from gonghui.core import crypto
from gonghui.core.availability import cache_or_none
from gonghui.core.models import ImportJob, ImportStatus
from gonghui.core.permissions import Perm, require
from gonghui.core.text import StrOrPromise

logger = logging.getLogger("gonghui.imports")

ALLOWED_SUFFIXES = (".xlsx", ".csv")
MAX_STORED_ERRORS = 20_000
# What the sealed upload and stage are bound to (AES-GCM associated data): neither opens as
# the other, nor as any other sealed value.
UPLOAD_PURPOSE = "core.import.upload"
STAGE_PURPOSE = "core.import.stage"
SEALED_SUFFIX = ".sealed"


class SpreadsheetError(Exception):
    """The file as a whole cannot be read; the message says why, in Chinese."""


@dataclass(frozen=True)
class ImportColumn:
    key: str
    header: str
    required: bool = False
    example: str = ""
    help: str = ""


@dataclass
class Row:
    number: int  # the row number the person sees in Excel (the header is row 1)
    values: dict[str, str]

    def get(self, key: str) -> str:
        return self.values.get(key, "")


@dataclass(frozen=True)
class RowError:
    row: int
    column: str
    message: str

    def as_dict(self) -> dict[str, Any]:
        return {"row": self.row, "column": self.column, "message": self.message}


@dataclass
class Outcome:
    """What a check or a commit found: counts by kind of change, and every bad row."""

    counts: dict[str, int] = field(default_factory=dict)
    errors: list[RowError] = field(default_factory=list)
    error_total: int = 0

    def count(self, key: str, n: int = 1) -> None:
        self.counts[key] = self.counts.get(key, 0) + n

    def error(self, row: int, column: str, message: str) -> None:
        self.error_total += 1
        if len(self.errors) < MAX_STORED_ERRORS:
            self.errors.append(RowError(row, column, message))

    def field_errors(self, row: int, exc: ValidationError, headers: dict[str, str]) -> None:
        if hasattr(exc, "error_dict"):
            for key, messages in exc.message_dict.items():
                for message in messages:
                    self.error(row, headers.get(key, ""), message)
        else:
            for message in exc.messages:
                self.error(row, "", message)


Progress = Callable[[int], None]


class Stage:
    """What the dry run prepared for the commit, so rows are validated once: pickled chunks in a
    file beside the upload, sealed as a stream (``STAGE_PURPOSE``). It holds what the database
    will store (sealed tokens, keyed hashes, dates, ids) and, since names are stored in clear,
    those too; sealed, so nothing of a person can be read from the disk. Deleted when the job
    ends."""

    def __init__(self, job: ImportJob) -> None:
        self.path = Path(job.file.path + ".stage")
        self._handle: Any = None
        self._sealer: crypto.StreamSealer | None = None

    def write(self, chunk: Any) -> None:
        if self._handle is None or self._sealer is None:
            self._handle = self.path.open("wb")
            self._sealer = crypto.StreamSealer(purpose=STAGE_PURPOSE)
        self._handle.write(
            self._sealer.update(pickle.dumps(chunk, protocol=pickle.HIGHEST_PROTOCOL))
        )

    def close(self) -> None:
        """Finish writing; a dry run that staged nothing still leaves an (empty) stage."""
        if self._handle is None or self._sealer is None:
            self._handle = self.path.open("wb")
            self._sealer = crypto.StreamSealer(purpose=STAGE_PURPOSE)
        self._handle.write(self._sealer.finalize())
        self._handle.close()
        self._handle = self._sealer = None

    def exists(self) -> bool:
        return self.path.exists()

    def chunks(self) -> Iterator[Any]:
        with self.path.open("rb") as handle:
            try:
                reader = crypto.open_stream(handle, purpose=STAGE_PURPOSE)
                while True:
                    try:
                        # Our own file, written by the dry run of this job, and authenticated
                        # by its seal: a changed stage raises before anything is unpickled.
                        yield pickle.load(reader)  # noqa: S301
                    except EOFError:
                        return
            except crypto.DecryptionError:
                raise SpreadsheetError(
                    _("校验结果已损坏，未导入任何数据。请重新上传校验。")
                ) from None

    def discard(self) -> None:
        if self._handle is not None:
            self._handle.close()
            self._handle = self._sealer = None
        self.path.unlink(missing_ok=True)


# --- receiving and storing uploads, sealed ------------------------------------------------------


class SealedUpload(TemporaryUploadedFile):
    """An upload as ``SealingUploadHandler`` received it: a temporary file holding the sealed
    stream (``UPLOAD_PURPOSE``), never the plaintext. ``size`` is the size of the plaintext
    the client sent; past the import limit the handler stops writing (``complete`` false) and
    the job refuses the file by its size."""

    sealed = True

    def __init__(self, name: str, content_type: str, charset: str | None) -> None:
        super().__init__(name, content_type, 0, charset)
        self.complete = True


class SealingUploadHandler(FileUploadHandler):
    """Receives every file of the request sealed as it arrives, segment by segment, into a
    temporary file (``FILE_UPLOAD_TEMP_DIR``): the plaintext is only ever in memory, one
    64 KB chunk at a time, whatever the file's size.

    Django's own handlers keep an upload in memory up to ``FILE_UPLOAD_MAX_MEMORY_SIZE`` and
    write anything larger to a temporary file in plaintext. Keeping a whole import in memory
    instead (up to ``GONGHUI_IMPORT_MAX_BYTES``) would cost that much per concurrent upload,
    and the file must reach the disk anyway for the dry run and the commit, which run later
    as tasks in another process; so it is sealed on arrival and stays sealed. Install it on
    the request before anything reads ``request.POST`` (see ``views_imports``)."""

    def new_file(self, *args: Any, **kwargs: Any) -> None:
        super().new_file(*args, **kwargs)
        self.received = 0
        self.sealer = crypto.StreamSealer(purpose=UPLOAD_PURPOSE)
        self.upload = SealedUpload(self.file_name or "", self.content_type or "", self.charset)

    def receive_data_chunk(self, raw_data: bytes, start: int) -> None:
        self.received += len(raw_data)
        if self.received > settings.GONGHUI_IMPORT_MAX_BYTES:
            # Keep counting (the job refuses the file by its size, with a reason), stop
            # writing: a client cannot fill the disk through this form.
            self.upload.complete = False
            return
        self.upload.write(self.sealer.update(raw_data))
        # Nothing returned: no later handler sees the plaintext.

    def file_complete(self, file_size: int) -> SealedUpload:
        if self.upload.complete:
            self.upload.write(self.sealer.finalize())
        self.upload.flush()
        self.upload.seek(0)
        self.upload.size = file_size
        return self.upload

    def upload_interrupted(self) -> None:
        if hasattr(self, "upload"):
            self.upload.close()  # a NamedTemporaryFile: removed on close


class _SealedContent(File):
    """Sealed bytes to store, made from a plaintext file as the storage asks for them."""

    def __init__(self, plain: File, name: str) -> None:
        super().__init__(None, name)
        self._plain = plain

    def chunks(self, chunk_size: int | None = None) -> Iterator[bytes]:
        sealer = crypto.StreamSealer(purpose=UPLOAD_PURPOSE)
        for chunk in self._plain.chunks(crypto.STREAM_SEGMENT):
            yield sealer.update(chunk)
        yield sealer.finalize()


def _store_upload(job: ImportJob, upload: File, name: str) -> None:
    """Save the upload under MEDIA_ROOT sealed: moved as it is when it arrived sealed, sealed
    while it is written otherwise (the demo, the benchmark, files handed over in code)."""
    stored = name + SEALED_SUFFIX
    if getattr(upload, "sealed", False):
        job.file.save(stored, upload, save=False)
    else:
        job.file.save(stored, _SealedContent(upload, stored), save=False)


@contextmanager
def _opened(job: ImportJob) -> Iterator[BinaryIO]:
    """The plaintext of the job's upload, decrypted as it is read."""
    if not job.file:
        raise SpreadsheetError(_("上传的文件已不存在，请重新上传。"))
    try:
        handle = job.file.storage.open(job.file.name, "rb")
    except FileNotFoundError:
        raise SpreadsheetError(_("上传的文件已不存在，请重新上传。")) from None
    with handle:
        try:
            yield crypto.open_stream(handle, purpose=UPLOAD_PURPOSE)
        except crypto.DecryptionError:
            raise SpreadsheetError(_("上传的文件无法读取，请重新上传。")) from None


def _is_csv(job: ImportJob) -> bool:
    return job.original_name.lower().endswith(".csv")


class Importer(Protocol):
    """``check`` validates every row (reading the database, writing nothing to it) and may put
    prepared chunks in the stage; ``commit`` runs inside the import's transaction and gets the
    staged chunks (or ``None``, then it reads the rows again)."""

    kind: str
    label: StrOrPromise
    columns: list[ImportColumn]
    count_labels: dict[str, StrOrPromise]

    def check(
        self, *, actor: Any, rows: Iterator[Row], progress: Progress, stage: Stage
    ) -> Outcome: ...

    def commit(
        self,
        *,
        actor: Any,
        rows: Iterator[Row],
        progress: Progress,
        job: ImportJob,
        staged: Iterator[Any] | None,
    ) -> Outcome: ...

    def reference_sheets(self, *, actor: Any) -> list[tuple[str, list[str], list[list[Any]]]]: ...


_importers: dict[str, Importer] = {}


def register(importer: Importer) -> None:
    _importers[importer.kind] = importer


def importer_for(kind: str) -> Importer:
    try:
        return _importers[kind]
    except KeyError:
        raise SpreadsheetError(_("不支持的导入类型。")) from None


def importers() -> list[Importer]:
    return list(_importers.values())


# --- reading ----------------------------------------------------------------------------------


def _cell_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, datetime.datetime):
        return value.date().isoformat() if value.time() == datetime.time() else value.isoformat()
    if isinstance(value, datetime.date):
        return value.isoformat()
    return str(value).strip()


def _workbook(job: ImportJob) -> Any:
    """The upload as a workbook: decrypted into memory (at most the import's size limit;
    calamine reads a sheet whole in any case), never into a file."""
    with _opened(job) as plain:
        data = io.BytesIO(plain.read())
    return CalamineWorkbook.from_filelike(data)


def _raw_rows(job: ImportJob) -> Iterator[list[Any]]:
    if _is_csv(job):
        with _opened(job) as probe:
            head = probe.read(65536)
        encoding = "utf-8-sig"
        try:
            # Incremental, so a character cut in two at the end of the sample is not an error.
            codecs.getincrementaldecoder("utf-8")().decode(head, final=False)
        except UnicodeDecodeError:
            encoding = "gb18030"  # Excel on Chinese Windows saves CSV in GBK
        with _opened(job) as plain:
            fh = io.TextIOWrapper(plain, encoding=encoding, newline="")
            try:
                yield from csv.reader(fh)
            except (csv.Error, UnicodeDecodeError) as exc:
                raise SpreadsheetError(_("CSV 文件无法读取：%(e)s") % {"e": exc}) from None
        return
    try:
        sheet = _workbook(job).get_sheet_by_index(0)
        yield from sheet.iter_rows()
    except CalamineError as exc:
        raise SpreadsheetError(
            _("无法读取该 Excel 文件，请用 Excel 或 WPS 另存为 .xlsx 后重试。（%(e)s）")
            % {"e": exc}
        ) from None
    except (ValueError, OSError, IndexError) as exc:
        raise SpreadsheetError(
            _("文件已损坏或不是有效的 .xlsx 文件，请重新保存后上传。（%(e)s）") % {"e": exc}
        ) from None


def count_rows(job: ImportJob) -> int:
    """Data rows (without the header), for the progress bar and the row limit."""
    if _is_csv(job):
        with _opened(job) as fh:
            lines = sum(chunk.count(b"\n") for chunk in iter(lambda: fh.read(1 << 20), b""))
        return max(lines - 1, 0)
    try:
        return max(_workbook(job).get_sheet_by_index(0).height - 1, 0)
    except (CalamineError, ValueError, OSError, IndexError) as exc:
        raise SpreadsheetError(
            _("文件已损坏或不是有效的 .xlsx 文件，请重新保存后上传。（%(e)s）") % {"e": exc}
        ) from None


def read_rows(job: ImportJob, columns: list[ImportColumn]) -> Iterator[Row]:
    """The rows of the job's upload keyed by column key. The header row must name every
    required column (extra columns are ignored, order does not matter); fully blank rows are
    skipped."""
    raw = _raw_rows(job)
    try:
        header = [_cell_text(c) for c in next(raw)]
    except StopIteration:
        raise SpreadsheetError(_("文件是空的。请使用下载的模板填写。")) from None
    by_header = {c.header: c for c in columns}
    positions: dict[str, int] = {}
    for index, title in enumerate(header):
        column = by_header.get(title.replace("*", "").strip())
        if column is not None:
            positions[column.key] = index
    missing = [c.header for c in columns if c.required and c.key not in positions]
    if missing:
        raise SpreadsheetError(
            _("第 1 行缺少必填列：%(m)s。请使用下载的模板，不要修改表头。")
            % {"m": "、".join(missing)}
        )
    limit = settings.GONGHUI_IMPORT_MAX_ROWS
    is_csv = _is_csv(job)
    for number, cells in enumerate(raw, start=2):
        texts = [c.strip() for c in cells] if is_csv else [_cell_text(c) for c in cells]
        if not any(texts):
            continue
        if number - 1 > limit:
            raise SpreadsheetError(
                _("文件超过 %(n)s 行，请拆分为多个文件分批导入。") % {"n": limit}
            )
        yield Row(
            number,
            {key: texts[i] if i < len(texts) else "" for key, i in positions.items()},
        )


def parse_date(text: str) -> datetime.date:
    """``2024-03-01``, ``2024/3/1``, ``20240301`` or ``2024年3月1日``."""
    cleaned = text.strip().replace("年", "-").replace("月", "-").replace("日", "").replace("/", "-")
    parts = cleaned.split("-")
    if len(parts) == 1 and len(cleaned) == 8 and cleaned.isdigit():
        parts = [cleaned[:4], cleaned[4:6], cleaned[6:]]
    try:
        if len(parts) == 3 and len(parts[0]) == 4 and all(p.isdigit() for p in parts):
            return datetime.date(int(parts[0]), int(parts[1]), int(parts[2]))
    except ValueError:
        pass
    raise ValidationError(_("日期格式应为 2024-03-01。"))


# --- jobs ---------------------------------------------------------------------------------------


def _progress_key(job_id: int) -> str:
    return f"import-progress:{job_id}"


def progress_of(job: ImportJob) -> dict[str, Any]:
    shown = cache_or_none(lambda: cache.get(_progress_key(job.pk)), "import progress")
    return shown or {"done": 0, "total": job.total_rows}


def _reporter(job: ImportJob, phase: str) -> Progress:
    """Progress goes to the cache, not the database: the commit holds its transaction open and
    a SQLite database has one writer."""
    key = _progress_key(job.pk)
    total = job.total_rows

    def report(done: int) -> None:
        progress = {"done": done, "total": total, "phase": phase}
        cache_or_none(lambda: cache.set(key, progress, timeout=3600), "import progress")

    report(0)
    return report


STALE_AFTER = datetime.timedelta(hours=24)


def _discard_upload(job: ImportJob) -> None:
    """An uploaded spreadsheet holds personal data (sealed): it lives only as long as its
    job is under way (the result and every error stay on the job). The files go once the
    job's new state is committed, so a rollback never leaves a job without its file."""
    if not job.file:
        return
    paths = [Path(job.file.path), Stage(job).path]
    job.file = None

    def remove() -> None:
        for path in paths:
            path.unlink(missing_ok=True)

    transaction.on_commit(remove, robust=True)


def expire_stale_uploads() -> int:
    """Uploads checked or left waiting for more than a day are deleted (run at each upload;
    crosses scopes on purpose: it is housekeeping, and shows nothing to anyone)."""
    stale = ImportJob.unscoped.filter(
        status__in=[ImportStatus.UPLOADED, ImportStatus.CHECKED],
        created_at__lt=timezone.now() - STALE_AFTER,
    )
    count = 0
    for job in stale:
        with transaction.atomic():
            _finish(
                job, ImportStatus.FAILED, None, _("上传超过一天未导入，文件已删除，请重新上传。")
            )
        count += 1
    return count


def import_job_create(*, actor: Any, kind: str, upload: File) -> ImportJob:
    """Accept an uploaded file: size, type and readable header are checked at once."""
    require(actor, Perm.EDIT_RECORDS)
    importer = importer_for(kind)
    expire_stale_uploads()
    return _import_job_create(actor=actor, importer=importer, kind=kind, upload=upload)


@transaction.atomic
def _import_job_create(*, actor: Any, importer: Importer, kind: str, upload: File) -> ImportJob:
    name = Path(upload.name or "").name
    if not name.lower().endswith(ALLOWED_SUFFIXES):
        raise ValidationError({"file": [_("只能上传 .xlsx 或 .csv 文件。")]})
    limit = settings.GONGHUI_IMPORT_MAX_BYTES
    if (upload.size or 0) > limit:
        raise ValidationError(
            {"file": [_("文件不能超过 %(mb)s MB，请拆分后分批导入。") % {"mb": limit // (1 << 20)}]}
        )
    if not upload.size:
        raise ValidationError({"file": [_("文件是空的。")]})
    job = ImportJob(
        kind=kind, organization_id=actor.organization_id, created_by=actor, original_name=name
    )
    _store_upload(job, upload, name)
    try:
        job.total_rows = count_rows(job)
        next(read_rows(job, importer.columns), None)  # reads the header: required columns
    except SpreadsheetError as exc:
        job.file.delete(save=False)
        raise ValidationError({"file": [str(exc)]}) from None
    job.save()
    return job


def _finish(job: ImportJob, status: str, outcome: Outcome | None, message: str = "") -> None:
    if status in {ImportStatus.DONE, ImportStatus.FAILED}:
        _discard_upload(job)
    job.status = status
    if outcome is not None:
        job.summary = outcome.counts
        job.errors = [e.as_dict() for e in outcome.errors]
        job.error_count = outcome.error_total
    job.message = message[:500]
    if status == ImportStatus.CHECKED:
        job.checked_at = timezone.now()
    if status in {ImportStatus.DONE, ImportStatus.FAILED}:
        job.finished_at = timezone.now()
    job.save()


def _claim(job: ImportJob, expected: str, new: str) -> bool:
    """Move the job from ``expected`` to ``new`` in one conditional UPDATE; false when another
    request got there first (or the job is in another state)."""
    claimed = ImportJob.unscoped.filter(pk=job.pk, status=expected).update(status=new)
    job.refresh_from_db()
    return claimed == 1


def run_check(job: ImportJob, actor: Any) -> ImportJob:
    """The dry run: validate every row against the rules and the database; write nothing."""
    importer = importer_for(job.kind)
    # Claim the job: of two requests to check it (a double click, two tabs) one runs.
    if not _claim(job, ImportStatus.UPLOADED, ImportStatus.CHECKING):
        return job
    stage = Stage(job)
    try:
        outcome = importer.check(
            actor=actor,
            rows=read_rows(job, importer.columns),
            progress=_reporter(job, "check"),
            stage=stage,
        )
    except SpreadsheetError as exc:
        stage.discard()
        _finish(job, ImportStatus.FAILED, None, str(exc))
        return job
    except Exception:
        logger.exception("import %s: check failed", job.pk)
        stage.discard()
        _finish(
            job,
            ImportStatus.FAILED,
            None,
            _("校验过程中出错，未导入任何数据。请检查文件后重新上传。"),
        )
        return job
    stage.close()
    if outcome.error_total:
        stage.discard()
    status = ImportStatus.FAILED if outcome.error_total else ImportStatus.CHECKED
    message = (
        _("发现 %(n)s 处错误，请改正后重新上传；本次未导入任何数据。") % {"n": outcome.error_total}
        if outcome.error_total
        else ""
    )
    _finish(job, status, outcome, message)
    return job


class ImportAbortedError(Exception):
    def __init__(self, outcome: Outcome) -> None:
        super().__init__("import aborted")
        self.outcome = outcome


def run_commit(job: ImportJob, actor: Any) -> ImportJob:
    """Commit a checked file in one transaction; any error rolls everything back. What the
    dry run could not foresee (someone registered one of the people meanwhile) is caught by the
    database's constraints inside that transaction, and reported."""
    importer = importer_for(job.kind)
    if not _claim(job, ImportStatus.CHECKED, ImportStatus.COMMITTING):
        raise ValidationError({"file": [_("该文件正在导入或已处理，不能重复确认。")]})
    stage = Stage(job)
    try:
        with transaction.atomic():
            outcome = importer.commit(
                actor=actor,
                rows=read_rows(job, importer.columns),
                progress=_reporter(job, "commit"),
                job=job,
                staged=stage.chunks() if stage.exists() else None,
            )
            if outcome.error_total:
                raise ImportAbortedError(outcome)
    except ImportAbortedError as exc:
        _finish(
            job,
            ImportStatus.FAILED,
            exc.outcome,
            _("导入时发现 %(n)s 处错误（数据在校验后有变化），已全部撤销，未导入任何数据。")
            % {"n": exc.outcome.error_total},
        )
    except IntegrityError:
        _finish(
            job,
            ImportStatus.FAILED,
            None,
            _(
                "导入时发现有人在校验之后已被登记或已入会，已全部撤销，未导入任何数据。"
                "请重新上传校验，查看具体是哪些行。"
            ),
        )
    except SpreadsheetError as exc:
        _finish(job, ImportStatus.FAILED, None, str(exc))
    except Exception:
        # Unexpected (a bug, a lost connection): the transaction rolled back; say so and keep
        # the traceback in the log.
        logger.exception("import %s failed", job.pk)
        _finish(job, ImportStatus.FAILED, None, _("导入过程中出错，已全部撤销，未导入任何数据。"))
    else:
        _finish(job, ImportStatus.DONE, outcome)
    finally:
        stage.discard()
    return job
