import time
from typing import Any

from django.core.management.base import BaseCommand, CommandParser
from django.db import connection, transaction
from django.test.utils import override_settings

from gonghui.demo import loader
from gonghui.organizations.models import Organization


class Command(BaseCommand):
    help = "Build the demo city (Jiaxing by default) through the platform's own services."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--city", default="jiaxing")
        parser.add_argument("--seed", type=int, default=2018)
        parser.add_argument(
            "--members", type=int, default=loader.MEMBER_TARGET, help="about how many members"
        )
        parser.add_argument(
            "--cases",
            type=int,
            default=None,
            help="cases in the year of casework history (default: about one per ten members)",
        )
        parser.add_argument(
            "--if-empty", action="store_true", help="Do nothing when organisations exist."
        )

    def handle(
        self,
        *args: Any,
        city: str,
        seed: int,
        members: int,
        cases: int | None,
        if_empty: bool,
        **options: Any,
    ) -> None:
        if Organization.unscoped.exists():
            if if_empty:
                self.stdout.write("数据库中已有数据，跳过演示数据。")
                return
            self.stderr.write("数据库中已有组织数据；演示数据只能载入空数据库。")
            raise SystemExit(1)
        started = time.monotonic()
        self.stdout.write(f"正在生成演示数据（{city}）……")
        # The demo's workers are invented: no SMS for their approvals, transfers and cases.
        # Nor a debug log of its few hundred thousand queries (under DEBUG each logged query
        # costs a second one on SQLite, to quote its parameters).
        with (
            override_settings(GONGHUI_SMS_BACKEND="gonghui.core.sms.NullBackend", DEBUG=False),
            transaction.atomic(),
        ):
            loader.load(
                city,
                seed=seed,
                members=members,
                cases=cases,
                log=lambda line: self.stdout.write("  " + line),
            )
        # Fresh statistics for the planner: until autovacuum gets round to tables filled in one
        # transaction, PostgreSQL plans as if they were empty (the staff home's figures took
        # seconds instead of milliseconds on a demo city loaded a minute before).
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
        self.stdout.write(f"演示数据已生成，用时 {time.monotonic() - started:.0f} 秒。")
