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
# Given names by the sex they are usually given to; names given to both (华, 文, 晨, 子涵 …)
# are left out, so that a name never contradicts the sex digit of its ID number.
MALE_GIVEN = (
    "伟 强 磊 军 洋 勇 杰 涛 明 超 刚 建华 建国 晓东 志强 鹏 辉 俊 波 斌 宇 浩 凯 阳 亮 峰 龙 "
    "飞 帆 立新 国庆 建平 卫东 海波 一鸣 思远 梓轩 明根"
).split()
FEMALE_GIVEN = (
    "芳 娜 敏 静 丽 艳 娟 秀英 霞 桂英 玉兰 海燕 丹 萍 玲 红 婷 雪 琳 颖 倩 慧 欣 怡 燕 梅 "
    "莉 兰 春梅 小红 晓燕 丽华 雅琴 欣怡 佳 丽娟 燕群"
).split()
GIVEN = MALE_GIVEN + FEMALE_GIVEN
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


def name(rng: random.Random, *, sex: str | None = None) -> str:
    """A surname and a given name usual for ``sex`` ("M" or "F"; either when not given)."""
    sex = sex or rng.choice("MF")
    return rng.choice(SURNAMES) + rng.choice(MALE_GIVEN if sex == "M" else FEMALE_GIVEN)


def sex_of(number: str) -> str:
    """The sex an ID number records (GB 11643: the 17th digit, odd for men)."""
    return "M" if int(number[16]) % 2 else "F"


def sex_of_name(full_name: str) -> str | None:
    """The sex a name drawn by ``name`` suits, or None for a name not from these lists."""
    given = full_name[1:] if full_name[:1] in SURNAMES else ""
    if given in MALE_GIVEN:
        return "M"
    if given in FEMALE_GIVEN:
        return "F"
    return None


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
