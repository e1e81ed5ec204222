"""The REST API (django-ninja), OpenAPI docs at ``/api/docs``. Its routers come from the
modules (``core.modules``)."""

from django.http import HttpRequest

from gonghui.core import modules
from gonghui.core.api import AUTH, GonghuiAPI, install_error_handlers

api = GonghuiAPI(
    title="网上工会 API",
    version="1.0",
    description=(
        "职工端（小程序）用手机验证码换取令牌：`POST /api/auth/otp`，`POST /api/auth/token`，"
        "之后在请求头带 `Authorization: Bearer <token>`。工作人员端可用令牌或浏览器会话。"
        "所有数据按账号所属组织的管辖范围过滤，范围外的记录返回 404。"
    ),
    auth=AUTH,
    urls_namespace="api",
)
install_error_handlers(api)
# Every module's routers (``core.modules``), in the order of INSTALLED_APPS.
for prefix, router in modules.api_routers():
    api.add_router(prefix, router)


@api.get("/ping", auth=None, tags=["平台"], summary="存活检查", response=dict[str, bool])
def ping(request: HttpRequest) -> dict[str, bool]:
    """Answers without touching the database: load balancers' health check, and the
    baseline the flash-crowd benchmark compares the booking endpoint with."""
    return {"ok": True}
