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
import fcntl
import io
import logging
import os
import pickle
import socket
import threading
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, BinaryIO, Protocol

from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files import File
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import TemporaryUploadedFile
from django.core.files.uploadhandler import FileUploadHandler
from django.db import DatabaseError, IntegrityError, connection, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _
from python_calamine import CalamineError, CalamineWorkbook

from gonghui.core import crypto
from gonghui.core.availability import cache_or_none
from gonghui.core.models import RUNNING_IMPORT_STATES, ImportJob, ImportStatus
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
RUNNING = RUNNING_IMPORT_STATES


# --- leases: a running job is known to be alive, a dead one to be dead ------------------------
#
# The process running a dry run or a commit holds the job's lease (``lease_owner``, a name of
# its own, and ``lease_until``), taken with the claim and renewed by a heartbeat thread every
# third of its length. A job whose lease lapsed is settled as interrupted: nothing was
# imported, because the commit writes the job's "done" in its own transaction, so a job still
# "committing" is a job whose transaction never committed. The heartbeat, and every state the
# run writes, only count while the run still holds the lease (``_finish(owner=...)``): a run
# that lost it (it stalled past its lease, and was settled meanwhile) rolls its commit back.
#
# On SQLite the commit's transaction holds the database's only write lock, so the heartbeat
# cannot renew the lease while it runs. There, the run also holds an advisory lock on a file
# beside the upload (the database is a local file, so every process is on this machine; the
# operating system drops the lock when the process dies), and a job whose file is locked is
# alive whatever its lease says.


def _lease_length() -> datetime.timedelta:
    return datetime.timedelta(seconds=settings.GONGHUI_IMPORT_LEASE_SECONDS)


def _new_owner() -> str:
    return f"{socket.gethostname()[:60]}:{os.getpid()}:{uuid.uuid4().hex[:12]}"


def _on_sqlite() -> bool:
    return connection.vendor == "sqlite"


class _FileLock:
    """An exclusive ``flock`` on the job's ``.lease`` file, held by the running process; the
    file exists only while it is held."""

    def __init__(self, job: ImportJob) -> None:
        self.path = Path(job.file.path + ".lease")
        self._handle: Any = None

    def acquire(self, *, create: bool = True) -> bool:
        try:
            handle = self.path.open("a+b" if create else "r+b")
        except FileNotFoundError:
            return True  # nobody holds it
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.close()
            return False
        self._handle = handle
        return True

    def release(self, *, remove: bool = True) -> None:
        if self._handle is not None:
            if remove:
                self.path.unlink(missing_ok=True)
            fcntl.flock(self._handle, fcntl.LOCK_UN)
            self._handle.close()
            self._handle = None


def _alive_here(job: ImportJob) -> bool:
    """On SQLite: whether a process of this machine is running the job (holds its file lock)."""
    if not _on_sqlite() or not job.file:
        return False
    probe = _FileLock(job)
    if probe.acquire(create=False):
        probe.release(remove=False)
        return False
    return True


def _renew(job_id: int, owner: str, stop: threading.Event) -> None:
    """The heartbeat: push the lease on while the run works (a thread, on its own connection)."""
    try:
        while not stop.wait(settings.GONGHUI_IMPORT_LEASE_SECONDS / 3):
            try:
                ImportJob.unscoped.filter(pk=job_id, lease_owner=owner, status__in=RUNNING).update(
                    lease_until=timezone.now() + _lease_length()
                )
            except DatabaseError:
                # SQLite while the commit holds the write lock (the file lock speaks for the
                # run there), or a moment without the database: the next beat tries again.
                logger.debug("import %s: lease not renewed this time", job_id, exc_info=True)
    finally:
        connection.close()  # this thread's own connection


@contextmanager
def _holding(job: ImportJob, owner: str) -> Iterator[None]:
    """Keep the job's lease (and, on SQLite, its file lock) while the block runs."""
    lock = _FileLock(job) if _on_sqlite() and job.file else None
    if lock is not None:
        lock.acquire()
    stop = threading.Event()
    beat = None
    # Inside a caller's transaction (a test's) nobody else can see the job: nothing to renew.
    if not connection.in_atomic_block:
        beat = threading.Thread(
            target=_renew, args=(job.pk, owner, stop), name=f"import-lease-{job.pk}", daemon=True
        )
        beat.start()
    try:
        yield
    finally:
        stop.set()
        if beat is not None:
            beat.join()
        if lock is not None:
            lock.release()


def _lapsed(job: ImportJob, now: datetime.datetime) -> bool:
    if job.status not in RUNNING:
        return False
    if job.lease_until is not None and job.lease_until > now:
        return False
    return not _alive_here(job)


def import_job_settle(job: ImportJob) -> ImportJob:
    """Settle a job whose run died: a dry run or a commit whose lease lapsed is interrupted,
    with nothing imported (a commit that committed wrote "done" in its own transaction). The
    file stays for a day, so the job can be retried or cancelled. Any other job is returned as
    it is. Safe to call from anywhere and any number of times: one conditional update."""
    now = timezone.now()
    if not _lapsed(job, now):
        return job
    if job.status == ImportStatus.CHECKING:
        message = _("校验进程意外中断，未导入任何数据。可以重新校验，或取消本次导入。")
    else:
        message = _("导入进程意外中断，已全部撤销，未导入任何数据。可以重试，或取消本次导入。")
    settled = (
        ImportJob.unscoped.filter(pk=job.pk, status=job.status, lease_owner=job.lease_owner)
        .filter(Q(lease_until__isnull=True) | Q(lease_until__lte=now))
        .update(status=ImportStatus.INTERRUPTED, lease_until=None, message=message)
    )
    if settled:
        logger.warning("import %s: its run %s died (lease lapsed)", job.pk, job.lease_owner)
    job.refresh_from_db()
    return job


def import_jobs_settle() -> dict[str, int]:
    """Every minute: settle the jobs whose run died, and delete the files of jobs left waiting
    for more than a day and those no job names (housekeeping across scopes: it shows nothing to
    anyone)."""
    now = timezone.now()
    lapsed = ImportJob.unscoped.filter(status__in=RUNNING).filter(
        Q(lease_until__isnull=True) | Q(lease_until__lte=now)
    )
    settled = sum(1 for job in lapsed if import_job_settle(job).status == ImportStatus.INTERRUPTED)
    return {"settled": settled, "expired": expire_stale_uploads() + import_orphans_remove()}


def _files_of(job: ImportJob) -> list[Path]:
    if not job.file:
        return []
    upload = Path(job.file.path)
    return [upload, Stage(job).path, Path(f"{upload}.lease")]


def _remove_after_commit(paths: list[Path]) -> None:
    """An uploaded spreadsheet holds personal data (sealed): it lives only as long as its job
    is under way (the result and every error stay on the job). The files go once the job's
    new state is committed, so a rollback never leaves a job without its file."""

    def remove() -> None:
        for path in paths:
            path.unlink(missing_ok=True)

    if paths:
        transaction.on_commit(remove, robust=True)


def expire_stale_uploads() -> int:
    """Uploads checked, interrupted or left waiting for more than a day are deleted (run at
    each upload and every minute; crosses scopes on purpose: it is housekeeping, and shows
    nothing to anyone)."""
    stale = ImportJob.unscoped.filter(
        status__in=[ImportStatus.UPLOADED, ImportStatus.CHECKED, ImportStatus.INTERRUPTED],
        created_at__lt=timezone.now() - STALE_AFTER,
    )
    count = 0
    for job in stale:
        with transaction.atomic():
            count += _finish(
                job,
                ImportStatus.FAILED,
                None,
                _("上传超过一天未导入，文件已删除，请重新上传。"),
                expected=(ImportStatus.UPLOADED, ImportStatus.CHECKED, ImportStatus.INTERRUPTED),
            )
    return count


# A finished job no longer names its files, which go after its commit: a process that died
# between the two (or a removal that failed) leaves them behind, named by no job. Younger than
# this, a file may be an upload whose job is still being created.
ORPHAN_AFTER = datetime.timedelta(hours=1)


def import_orphans_remove(*, now: datetime.datetime | None = None) -> int:
    """Delete the files under the imports' directory (uploads with their stage and lease)
    that no job names and that are older than ``ORPHAN_AFTER``; returns how many. Every minute,
    with the settling (housekeeping across scopes)."""
    root = Path(default_storage.path("imports"))
    if not root.is_dir():
        return 0
    held = {
        Path(default_storage.path(name))
        for name in ImportJob.unscoped.exclude(file="").values_list("file", flat=True)
    }
    cutoff = ((now or timezone.now()) - ORPHAN_AFTER).timestamp()
    removed = 0
    for path in root.rglob("*"):
        upload = path.with_name(path.name.removesuffix(".stage").removesuffix(".lease"))
        if upload in held or not path.is_file():
            continue
        try:
            if path.stat().st_mtime < cutoff:
                path.unlink()
                removed += 1
        except FileNotFoundError:  # removed meanwhile (its job's own clean-up)
            continue
    return removed


def require_uploader(actor: Any, job: ImportJob) -> None:
    require(actor, Perm.EDIT_RECORDS)
    if job.created_by_id != actor.pk:
        # The dry run and the commit run in the uploader's scope; someone else confirming it
        # would import with one person's scope what another person checked.
        raise PermissionDenied(_("只有上传该文件的工作人员可以校验和确认导入。"))


def import_job_reopen(job: ImportJob) -> bool:
    """An interrupted job goes back to where its dead run started: "uploaded" if the dry run
    died, "checked" if the commit did (its dry run had passed). False if it is not
    interrupted (any more)."""
    before = ImportStatus.CHECKED if job.checked_at else ImportStatus.UPLOADED
    reopened = ImportJob.unscoped.filter(pk=job.pk, status=ImportStatus.INTERRUPTED).update(
        status=before, message=""
    )
    job.refresh_from_db()
    return reopened == 1


def import_job_retry(*, actor: Any, job: ImportJob) -> ImportJob:
    """The uploader retries an interrupted job: it is reopened, and the caller starts its dry
    run (uploaded) or its commit (checked) again."""
    require_uploader(actor, job)
    import_job_settle(job)
    if not import_job_reopen(job):
        raise ValidationError({"file": [_("只有已中断的导入可以重试。")]})
    return job


def import_job_cancel(*, actor: Any, job: ImportJob) -> ImportJob:
    """The uploader gives up a job that is not running: nothing was imported, and the file
    is deleted."""
    require_uploader(actor, job)
    import_job_settle(job)
    with transaction.atomic():
        cancelled = _finish(
            job,
            ImportStatus.FAILED,
            None,
            _("已取消，未导入任何数据，文件已删除。"),
            expected=(ImportStatus.UPLOADED, ImportStatus.CHECKED, ImportStatus.INTERRUPTED),
        )
    if not cancelled:
        raise ValidationError({"file": [_("该导入正在进行或已经结束，不能取消。")]})
    return job


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


def _finish(
    job: ImportJob,
    status: str,
    outcome: Outcome | None,
    message: str = "",
    *,
    owner: str | None = None,
    expected: tuple[str, ...] | None = None,
) -> bool:
    """Write the job's new state in one conditional update, and say whether it was written:
    with ``owner``, only while that run still holds the job (a job settled as interrupted
    meanwhile is left so); with ``expected``, only from those states. A finished job's files
    are deleted once this is committed."""
    fields: dict[str, Any] = {"status": status, "message": message[:500], "lease_until": None}
    if outcome is not None:
        fields["summary"] = outcome.counts
        fields["errors"] = [e.as_dict() for e in outcome.errors]
        fields["error_count"] = outcome.error_total
    now = timezone.now()
    if status == ImportStatus.CHECKED:
        fields["checked_at"] = now
    finished = status in {ImportStatus.DONE, ImportStatus.FAILED}
    if finished:
        fields["finished_at"] = now
        fields["file"] = ""
    rows = ImportJob.unscoped.filter(pk=job.pk)
    if owner is not None:
        rows = rows.filter(lease_owner=owner, status__in=RUNNING)
    if expected is not None:
        rows = rows.filter(status__in=expected)
    paths = _files_of(job)
    written = rows.update(**fields) == 1
    if written and finished:
        _remove_after_commit(paths)
    job.refresh_from_db()
    return written


def _claim(job: ImportJob, expected: str, new: str) -> str | None:
    """Move the job from ``expected`` to ``new`` in one conditional UPDATE, taking its lease;
    returns the lease's owner, or None when another request got there first (or the job is
    in another state)."""
    owner = _new_owner()
    claimed = ImportJob.unscoped.filter(pk=job.pk, status=expected).update(
        status=new, lease_owner=owner, lease_until=timezone.now() + _lease_length()
    )
    job.refresh_from_db()
    return owner if claimed == 1 else None


def run_check(job: ImportJob, actor: Any) -> ImportJob:
    """The dry run: validate every row against the rules and the database; write nothing."""
    importer = importer_for(job.kind)
    # Claim the job: of two requests to check it (a double click, two tabs) one runs.
    owner = _claim(job, ImportStatus.UPLOADED, ImportStatus.CHECKING)
    if owner is None:
        return job
    with _holding(job, owner):
        _check(job, actor, importer, owner)
    return job


def _check(job: ImportJob, actor: Any, importer: Importer, owner: str) -> None:
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
        _finish(job, ImportStatus.FAILED, None, str(exc), owner=owner)
        return
    except Exception:
        logger.exception("import %s: check failed", job.pk)
        stage.discard()
        _finish(
            job,
            ImportStatus.FAILED,
            None,
            _("校验过程中出错，未导入任何数据。请检查文件后重新上传。"),
            owner=owner,
        )
        return
    stage.close()
    if outcome.error_total:
        stage.discard()
    status = ImportStatus.FAILED if outcome.error_total else ImportStatus.CHECKED
    message = (
        _("发现 %(n)s 处错误，请改正后重新上传；本次未导入任何数据。") % {"n": outcome.error_total}
        if outcome.error_total
        else ""
    )
    _finish(job, status, outcome, message, owner=owner)


class ImportAbortedError(Exception):
    def __init__(self, outcome: Outcome) -> None:
        super().__init__("import aborted")
        self.outcome = outcome


class LeaseLostError(Exception):
    """The run no longer holds the job (it was settled as interrupted while the run stalled):
    its transaction must not commit."""


def run_commit(job: ImportJob, actor: Any) -> ImportJob:
    """Commit a checked file in one transaction; any error rolls everything back. What the
    dry run could not foresee (someone registered one of the people meanwhile) is caught by the
    database's constraints inside that transaction, and reported.

    The job's "done" is written in the same transaction as the rows, so the job's state is the
    database's truth about them: done with its summary, or not done and nothing imported.
    Whatever runs after the commit (cache bumps, notifications, tasks) may fail without
    turning it into a failure: every later state is written only while the job is still
    running, which a committed job no longer is."""
    importer = importer_for(job.kind)
    owner = _claim(job, ImportStatus.CHECKED, ImportStatus.COMMITTING)
    if owner is None:
        raise ValidationError({"file": [_("该文件正在导入或已处理，不能重复确认。")]})
    with _holding(job, owner):
        _commit(job, actor, importer, owner)
    return job


def run_direct(job: ImportJob, actor: Any) -> ImportJob:
    """Validate and write in one pass, in one transaction that rolls back whole when any row is
    bad, for an importer whose commit validates as it writes (``one_pass``): an uploaded job
    goes straight to committing, and ends done, or failed with every bad row listed and nothing
    imported. The dry run stays for those who want to look first; this saves its pass."""
    importer = importer_for(job.kind)
    if not getattr(importer, "one_pass", False):
        raise ValidationError({"file": [_("该类导入需要先校验，再确认导入。")]})
    owner = _claim(job, ImportStatus.UPLOADED, ImportStatus.COMMITTING)
    if owner is None:
        raise ValidationError({"file": [_("该文件正在导入或已处理，不能重复确认。")]})
    with _holding(job, owner):
        _commit(
            job,
            actor,
            importer,
            owner,
            aborted=_("发现 %(n)s 处错误，已全部撤销，未导入任何数据。请改正后重新上传。"),
        )
    return job


def _commit(
    job: ImportJob, actor: Any, importer: Importer, owner: str, *, aborted: str = ""
) -> None:
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
            if not _finish(job, ImportStatus.DONE, outcome, owner=owner):
                raise LeaseLostError
    except ImportAbortedError as exc:
        _finish(
            job,
            ImportStatus.FAILED,
            exc.outcome,
            (
                aborted
                or _("导入时发现 %(n)s 处错误（数据在校验后有变化），已全部撤销，未导入任何数据。")
            )
            % {"n": exc.outcome.error_total},
            owner=owner,
        )
    except LeaseLostError:
        logger.warning("import %s: the lease was lost during the commit; rolled back", job.pk)
        job.refresh_from_db()
    except IntegrityError:
        _finish(
            job,
            ImportStatus.FAILED,
            None,
            _(
                "导入时发现有人在校验之后已被登记或已入会，已全部撤销，未导入任何数据。"
                "请重新上传校验，查看具体是哪些行。"
            ),
            owner=owner,
        )
    except SpreadsheetError as exc:
        _finish(job, ImportStatus.FAILED, None, str(exc), owner=owner)
    except Exception:
        # Unexpected (a bug, a lost connection) inside the transaction, which rolled back; or
        # after it committed (then the job is done, and no longer the run's to change). Keep
        # the traceback in the log.
        logger.exception("import %s: error during or after the commit", job.pk)
        _finish(
            job,
            ImportStatus.FAILED,
            None,
            _("导入过程中出错，已全部撤销，未导入任何数据。"),
            owner=owner,
        )
