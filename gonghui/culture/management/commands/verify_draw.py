"""Re-run a published lottery draw and compare it with what was published.

    python manage.py verify_draw 42                 # the record of session 42 in this database
    python manage.py verify_draw --file draw.json   # a record downloaded from the class page

The same check as ``python3 draw.py draw.json`` (the standalone script a worker downloads).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from gonghui.culture import draw
from gonghui.culture.models import BookingMode, ClassSession


class Command(BaseCommand):
    help = "重算并核对一次已公示的抽签 / re-run a published lottery draw and check it"

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("session", nargs="?", type=int, help="课程场次编号 / session id")
        parser.add_argument("--file", help="下载的抽签记录 / a downloaded draw record (JSON)")

    def handle(self, *args: Any, **options: Any) -> None:
        record = self._record(options.get("session"), options.get("file"))
        problems = draw.verify(record)
        self.stdout.write(
            f"{record.get('title', '')}\n"
            f"seed {record.get('seed')}\ncommitment {record.get('commitment')}\n"
            f"{len(record.get('entrants', []))} entrants, {record.get('seats')} seats"
        )
        if problems:
            for problem in problems:
                self.stderr.write(problem)
            raise CommandError("结果不一致 / the draw does NOT check out")
        self.stdout.write(self.style.SUCCESS("结果一致 / the draw checks out"))

    def _record(self, session_id: int | None, path: str | None) -> dict[str, Any]:
        if path:
            try:
                loaded = json.loads(Path(path).read_text(encoding="utf-8"))
            except (OSError, ValueError) as exc:
                raise CommandError(f"无法读取抽签记录 / cannot read the record: {exc}") from exc
            if not isinstance(loaded, dict):
                raise CommandError("抽签记录格式不对 / not a draw record")
            return loaded
        if session_id is None:
            raise CommandError("请给出课程场次编号或 --file / give a session id or --file")
        session = ClassSession.unscoped.filter(pk=session_id, mode=BookingMode.LOTTERY).first()
        if session is None:
            raise CommandError("没有这个抽签课程 / no such lottery session")
        if session.draw_record is None:
            raise CommandError("该课程尚未抽签 / not drawn yet")
        return dict(session.draw_record)
