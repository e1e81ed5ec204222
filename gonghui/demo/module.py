"""The demo city's foundation, as demo steps of the module registry: the union tree and its
staff, enterprises, service places, the member roll, joining and transfer requests, and union
building. Modules' own steps (casework, culture, ...) run after the ones they name."""

from django.utils.translation import gettext_lazy as _

from gonghui.core.modules import DemoStep, Module

module = Module(
    name="demo",
    label=_("演示数据"),
    demo=(
        DemoStep("tree", "gonghui.demo.loader.tree", order=10),
        DemoStep("enterprises", "gonghui.demo.loader.enterprises", after=("tree",), order=20),
        DemoStep("places", "gonghui.demo.loader.places", after=("tree",), order=30),
        DemoStep("members", "gonghui.demo.loader.members", after=("enterprises",), order=40),
        DemoStep("requests", "gonghui.demo.loader.requests", after=("members",), order=50),
        DemoStep("building", "gonghui.demo.loader.building", after=("members",), order=60),
    ),
)
