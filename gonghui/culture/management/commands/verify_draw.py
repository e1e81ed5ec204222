"""Re-run a published lottery draw and compare it with what was published.

    python manage.py verify_draw 42                    # session 42's record in this database
    python manage.py verify_draw --file draw.json      # a record downloaded from the class page
    python manage.py verify_draw 42 --file draw.json   # ... checked against session 42

The same check as ``python3 draw.py draw.json`` (the standalone script a worker downloads).
Given a session, the record must also carry the commitment and the entrant digest that the
session's page published before the draw (the columns, not the record's own copies).
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
        session_id, path = options.get("session"), options.get("file")
        if session_id is None and not path:
            raise CommandError("请给出课程场次编号或 --file / give a session id or --file")
        session = self._session(session_id) if session_id is not None else None
        if path:
            record = self._read(path)
        elif session is not None and session.draw_record is not None:
            record = dict(session.draw_record)
        else:
            raise CommandError("该课程尚未抽签 / not drawn yet")
        problems = draw.verify(
            record,
            session.commitment if session else None,
            session.entrants_digest if session else None,
        )
        entrants = record.get("entrants")
        self.stdout.write(
            f"{record.get('title', '')}\n"
            f"seed {record.get('seed')}\ncommitment {record.get('commitment')}\n"
            f"entrants digest {record.get('entrants_digest')}\n"
            f"{len(entrants) if isinstance(entrants, list) else '?'} entrants, "
            f"{record.get('seats')} seats"
        )
        if session is None:
            self.stdout.write(
                "请将承诺值和报名名单摘要与课程页面公布的比对，或同时给出课程场次编号。\n"
                "Compare the commitment and the entrant digest with those the class page "
                "published, or give the session id as well."
            )
        if problems:
            for problem in problems:
                self.stderr.write(problem)
            raise CommandError("结果不一致 / the draw does NOT check out")
        self.stdout.write(self.style.SUCCESS("结果一致 / the draw checks out"))

    def _session(self, session_id: int) -> ClassSession:
        session = ClassSession.unscoped.filter(pk=session_id, mode=BookingMode.LOTTERY).first()
        if session is None:
            raise CommandError("没有这个抽签课程 / no such lottery session")
        return session

    def _read(self, path: str) -> dict[str, Any]:
        try:
            loaded = json.loads(Path(path).read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise CommandError(f"无法读取抽签记录 / cannot read the record: {exc}") from exc
        if not isinstance(loaded, dict):
            raise CommandError("抽签记录格式不对 / not a draw record")
        return loaded
