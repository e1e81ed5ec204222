"""Plausible, valid and entirely invented people for demo and benchmark data."""

from __future__ import annotations

import datetime
import random
from collections.abc import Iterator

from stdnum.cn import ric, uscc

SURNAMES = (
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶"
    "程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾"
    "毛郝龚邵万钱严覃武戴莫孔向汤"
)
GIVEN = (
    "伟 芳 娜 敏 静 丽 强 磊 军 洋 勇 艳 杰 娟 涛 明 超 秀英 霞 平 刚 桂英 华 建华 建国 "
    "玉兰 海燕 晓东 志强 丹 萍 鹏 辉 玲 俊 红 波 斌 宇 浩 凯 婷 雪 琳 颖 倩 慧 佳 欣 怡 晨 "
    "阳 亮 峰 燕 梅 莉 兰 云 龙 飞 文 杨 帆 立新 国庆 春梅 小红 晓燕 丽华 建平 卫东 海波 雅琴 "
    "子涵 一鸣 思远 欣怡 梓轩"
).split()
# Jiaxing's counties, and the home counties of many migrant workers (Henan, Anhui, Sichuan,
# Guizhou, Jiangxi, Hunan, Hubei, Yunnan).
LOCAL_REGIONS = ("330402", "330411", "330421", "330424", "330481", "330482", "330483")
MIGRANT_REGIONS = (
    "412702",
    "411302",
    "410102",
    "342401",
    "341202",
    "340102",
    "510104",
    "513001",
    "522101",
    "520102",
    "362201",
    "360102",
    "430102",
    "431102",
    "420102",
    "421102",
    "530102",
)
MOBILE_PREFIXES = (
    "130 131 132 133 135 136 137 138 139 150 151 152 153 155 156 157 158 159 "
    "177 180 186 187 188 189 199"
).split()
USCC_CHARS = "0123456789ABCDEFGHJKLMNPQRTUWXY"


def name(rng: random.Random) -> str:
    return rng.choice(SURNAMES) + rng.choice(GIVEN)


def id_number(
    rng: random.Random, *, region: str, birth: datetime.date, sex: str | None = None
) -> str:
    order = rng.randint(0, 499) * 2 + (1 if sex == "M" else 0 if sex == "F" else rng.randint(0, 1))
    body = f"{region}{birth:%Y%m%d}{order:03d}"
    return body + ric.calc_check_digit(body + "0")


def birth_date(rng: random.Random, *, oldest: int = 1966, youngest: int = 2004) -> datetime.date:
    start = datetime.date(oldest, 1, 1).toordinal()
    end = datetime.date(youngest, 12, 31).toordinal()
    return datetime.date.fromordinal(rng.randint(start, end))


def credit_code(rng: random.Random, *, region: str, kind: str = "91") -> str:
    """A unified social credit code with a valid check character (``91``: an enterprise,
    ``81``: a trade union as a legal person)."""
    body = kind + region + "".join(rng.choice(USCC_CHARS) for _ in range(9))
    return body + uscc.calc_check_digit(body + "0")


class Unique:
    """Draws values from a generator until one was not seen before."""

    def __init__(self) -> None:
        self.seen: set[str] = set()

    def take(self, make: Iterator[str]) -> str:
        for value in make:
            if value not in self.seen:
                self.seen.add(value)
                return value
        raise RuntimeError("generator exhausted")


def mobiles(rng: random.Random) -> Iterator[str]:
    while True:
        yield rng.choice(MOBILE_PREFIXES) + f"{rng.randint(0, 99_999_999):08d}"
