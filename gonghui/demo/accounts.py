"""The demo accounts listed on the sign-in page, in demo mode only."""

from __future__ import annotations

import json
from typing import Any

from gonghui.core.crypto import blind_index
from gonghui.demo import DATA_DIR
from gonghui.demo.loader import ROLES
from gonghui.members.models import MOBILE_PURPOSE, Person

SHOWN_TOWNS = ("凤桥镇", "新丰镇", "新兴街道", "东栅街道", "大桥镇")
SHOWN_UNIONS = ("minhui", "yayida", "qiantang")


def demo_contacts(city: str = "jiaxing") -> list[dict[str, str]]:
    """The demo enterprise contacts (for the enterprise sign-in page)."""
    data = json.loads((DATA_DIR / f"{city}.json").read_text(encoding="utf-8"))
    named = {e["slug"]: e["name"] for e in data["named_enterprises"]}
    return [
        {"name": c["name"], "mobile": c["mobile"], "enterprise": named[c["enterprise"]]}
        for c in data.get("enterprise_contacts", [])
    ]


def demo_accounts(city: str = "jiaxing") -> dict[str, Any]:
    data = json.loads((DATA_DIR / f"{city}.json").read_text(encoding="utf-8"))
    rows = [(data["city"]["short_name"], data["city"]["slug"])]
    rows += [(d["short_name"], d["slug"]) for d in data["districts"]]
    for d in data["districts"]:
        rows += [(name, slug) for name, slug in d["towns"] if name in SHOWN_TOWNS]
    rows += [(e["name"], e["slug"]) for e in data["named_enterprises"] if e["slug"] in SHOWN_UNIONS]
    workers = []
    for worker in data["demo_workers"]:
        digest = blind_index(worker["mobile"], purpose=MOBILE_PURPOSE)
        person = Person.unscoped.filter(mobile_hash=digest).first()
        if person is not None:
            workers.append(
                {
                    "mobile": worker["mobile"],
                    "name": worker["name"],
                    "union": worker["union"] or "（尚未入会）",
                }
            )
    casework = json.loads((DATA_DIR / "casework.json").read_text(encoding="utf-8"))
    counsellors = casework["counsellors"]
    shown = "、".join(f"{c['username']}（{c['name']}）" for c in counsellors)
    return {
        "password": data["password"],
        "staff": [
            {"org": org, "usernames": [f"{slug}-{role}" for role in ROLES]} for org, slug in rows
        ],
        "workers": workers,
        "pattern": "其余镇（街道）账号为“拼音-角色”，例如 wuzhen-clerk（乌镇镇经办）。"
        f"心理咨询师：{shown}。演示职工名下有服务事项：待确认评价的、调解达成协议的"
        "（承办单位经办可下载协议书）和已预约的心理咨询。",
    }
