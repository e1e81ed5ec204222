"""Console pages of the import pipeline: template, upload, dry run, commit, progress."""

from __future__ import annotations

import tempfile
from typing import Any
from urllib.parse import quote

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db import transaction
from django.http import FileResponse, HttpRequest, HttpResponse, HttpResponseBase
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.csrf import csrf_exempt, csrf_protect
from django.views.decorators.http import require_GET, require_POST
from openpyxl import Workbook
from openpyxl.styles import Font, PatternFill

from gonghui.core import imports, selectors, tasks
from gonghui.core.exports import Column, export_list, wants_export
from gonghui.core.models import ImportJob, ImportStatus
from gonghui.core.permissions import Perm, require
from gonghui.core.scoping import NotFound
from gonghui.core.web import apply_errors, paginate, staff_required

RUNNING = {ImportStatus.UPLOADED, ImportStatus.CHECKING, ImportStatus.COMMITTING}
CANCELLABLE = {ImportStatus.UPLOADED, ImportStatus.CHECKED, ImportStatus.INTERRUPTED}


class UploadForm(forms.Form):
    kind = forms.ChoiceField(label=gettext_lazy("导入内容"))
    file = forms.FileField(
        label=gettext_lazy("文件"), help_text=gettext_lazy("模板填写后的 .xlsx 或 .csv 文件")
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        kind = self.fields["kind"]
        assert isinstance(kind, forms.ChoiceField)  # noqa: S101  (narrowing for mypy)
        kind.choices = [(i.kind, i.label) for i in imports.importers()]


def _job(request: HttpRequest, job_id: int) -> ImportJob:
    return selectors.import_job_get(actor=request.user, id=job_id)


IMPORT_COLUMNS = [
    Column("编号", lambda job: job.pk, 8),
    Column("文件", lambda job: job.original_name, 30),
    Column("内容", lambda job: job.kind_label, 12),
    Column("行数", lambda job: job.total_rows, 8),
    Column("错误数", lambda job: job.error_count, 8),
    Column("上传人", lambda job: str(job.created_by), 16),
    Column("上传时间", lambda job: job.created_at, 18),
    Column("状态", lambda job: job.get_status_display(), 10),
    Column("完成时间", lambda job: job.finished_at, 18),
]


@csrf_exempt
def import_list(request: HttpRequest) -> HttpResponseBase:
    """The upload arrives sealed (``imports.SealingUploadHandler``): the handler must be in
    place before the request body is parsed, and the CSRF check parses it, so the check runs
    inside, after the handler is set (Django's documented pattern for upload handlers)."""
    request.upload_handlers = [imports.SealingUploadHandler(request)]
    return _import_list(request)


@csrf_protect
@staff_required
def _import_list(request: HttpRequest) -> HttpResponseBase:
    actor: Any = request.user
    if request.method == "GET" and wants_export(request):
        jobs = selectors.import_job_list(actor=actor)
        return export_list(request, "批量导入记录", IMPORT_COLUMNS, jobs)
    form = UploadForm(
        request.POST or None, request.FILES or None, initial={"kind": request.GET.get("kind")}
    )
    if request.method == "POST":
        require(actor, Perm.EDIT_RECORDS)
        if form.is_valid():
            try:
                job = imports.import_job_create(
                    actor=actor, kind=form.cleaned_data["kind"], upload=form.cleaned_data["file"]
                )
            except ValidationError as exc:
                apply_errors(form, exc)
            else:
                return redirect("console:import_detail", job.pk)
    jobs = selectors.import_job_list(actor=actor)
    return render(
        request,
        "console/import_list.html",
        {"form": form, "page_obj": paginate(request, jobs), "importers": imports.importers()},
    )


@staff_required
@require_GET
def import_template(request: HttpRequest, kind: str) -> HttpResponseBase:
    """The xlsx template: the data sheet first (the only one read back), then the notes and
    the codes the actor may use."""
    try:
        importer = imports.importer_for(kind)
    except imports.SpreadsheetError:
        raise NotFound from None
    workbook = Workbook()
    data = workbook.active
    data.title = "导入数据"
    bold, fill = Font(bold=True), PatternFill("solid", fgColor="FDE2E1")
    for index, column in enumerate(importer.columns, start=1):
        cell = data.cell(
            row=1, column=index, value=column.header + ("*" if column.required else "")
        )
        cell.font = bold
        if column.required:
            cell.fill = fill
        data.column_dimensions[cell.column_letter].width = max(14, len(column.header) * 3)
        # Text format keeps 18-digit ID numbers and leading zeros exactly as typed.
        for line in range(2, 1002):
            data.cell(row=line, column=index).number_format = "@"
    notes = workbook.create_sheet("填写说明")
    notes.append(["列", "必填", "示例", "说明"])
    for column in importer.columns:
        notes.append(
            [column.header, "是" if column.required else "否", column.example, column.help]
        )
    notes.append([])
    notes.append(["只读取第一个工作表“导入数据”；第 1 行是表头，请勿修改。整行空白会被跳过。"])
    notes.append(
        [
            "上传后先校验：所有错误行会逐行列出，全部无误后才能确认导入；导入要么全部成功，要么一条也不导入。"
        ]
    )
    for title, header, rows in importer.reference_sheets(actor=request.user):
        sheet = workbook.create_sheet(title)
        sheet.append(header)
        for row in rows:
            sheet.append(row)
    handle = tempfile.NamedTemporaryFile(suffix=".xlsx")  # noqa: SIM115 (closed by FileResponse)
    workbook.save(handle.name)
    handle.seek(0)
    filename = f"{importer.label}导入模板.xlsx"
    response = FileResponse(handle, as_attachment=True, filename=filename)
    response["Content-Disposition"] = f"attachment; filename*=UTF-8''{quote(filename)}"
    return response


@staff_required
@require_GET
def import_detail(request: HttpRequest, job_id: int) -> HttpResponse:
    job = imports.import_job_settle(_job(request, job_id))
    importer = imports.importer_for(job.kind)
    errors = Paginator(job.errors, 50).get_page(request.GET.get("page"))
    counts = [(importer.count_labels.get(k, k), v) for k, v in job.summary.items()]
    return render(
        request,
        "console/import_detail.html",
        {
            "job": job,
            "importer": importer,
            "page_obj": errors,
            "counts": counts,
            "running": job.status in RUNNING,
            "progress": imports.progress_of(job),
            "may_cancel": job.status in CANCELLABLE and job.created_by_id == request.user.pk,
        },
    )


def _run(job: ImportJob, actor: Any, *, confirmed: bool) -> bool:
    """Queue the job's next step once this request has committed: the dry run of an uploaded
    file, the commit of a checked one (when confirmed). With a broker the task is queued and
    this returns at once; on the embedded default the task runs in this request while the
    page polls ``import_progress``."""
    if job.status == ImportStatus.UPLOADED:
        transaction.on_commit(lambda: tasks.import_check.delay(job.pk, actor.pk))
    elif job.status == ImportStatus.CHECKED and confirmed:
        transaction.on_commit(lambda: tasks.import_commit.delay(job.pk, actor.pk))
    else:
        return False
    return True


def _back(request: HttpRequest, job: ImportJob) -> HttpResponse:
    if request.htmx:  # type: ignore[attr-defined]
        return HttpResponse(status=204)
    return redirect("console:import_detail", job.pk)


@staff_required
@require_POST
def import_start(request: HttpRequest, job_id: int) -> HttpResponse:
    """Start the dry run (an uploaded file) or the commit (a checked one)."""
    actor: Any = request.user
    job = _job(request, job_id)
    imports.require_uploader(actor, job)
    if not _run(job, actor, confirmed=request.POST.get("confirm") == "1"):
        messages.error(request, _("该导入任务当前不能执行此操作。"))
    return _back(request, job)


@staff_required
@require_POST
def import_retry(request: HttpRequest, job_id: int) -> HttpResponse:
    """Run an interrupted job's dry run or commit again."""
    actor: Any = request.user
    job = _job(request, job_id)
    try:
        imports.import_job_retry(actor=actor, job=job)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        _run(job, actor, confirmed=True)
    return _back(request, job)


@staff_required
@require_POST
def import_cancel(request: HttpRequest, job_id: int) -> HttpResponse:
    """Give up a job that is not running; its file is deleted."""
    job = _job(request, job_id)
    try:
        imports.import_job_cancel(actor=request.user, job=job)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, _("已取消本次导入，文件已删除。"))
    return _back(request, job)


@staff_required
@require_GET
def import_progress(request: HttpRequest, job_id: int) -> HttpResponse:
    job = imports.import_job_settle(_job(request, job_id))
    progress = imports.progress_of(job)
    if job.status not in RUNNING:
        response = HttpResponse("")
        response["HX-Refresh"] = "true"
        return response
    total = progress.get("total") or job.total_rows or 1
    percent = min(100, int(progress.get("done", 0) * 100 / total))
    return render(
        request,
        "console/_import_progress.html",
        {"job": job, "progress": progress, "percent": percent},
    )
