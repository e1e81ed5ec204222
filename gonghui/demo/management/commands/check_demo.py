from typing import Any

from django.core.management.base import BaseCommand, CommandError

from gonghui.demo import checks


class Command(BaseCommand):
    help = "Check a loaded demo city for the mistakes the demo once made (gonghui.demo.checks)."

    def handle(self, *args: Any, **options: Any) -> None:
        failed = False
        for name, problems in checks.run_all().items():
            if problems:
                failed = True
                self.stdout.write(f"✗ {name}: {len(problems)}")
                for problem in problems[:20]:
                    self.stdout.write(f"    {problem}")
            else:
                self.stdout.write(f"✓ {name}")
        if failed:
            raise CommandError("演示数据检查未通过。")
