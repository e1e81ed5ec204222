"""The REST API (django-ninja), OpenAPI docs at ``/api/docs``."""

from django.http import HttpRequest

from gonghui.accounts.api import contacts_router as enterprise_contacts_router
from gonghui.accounts.api import router as accounts_router
from gonghui.casework.api import counselling_router
from gonghui.casework.api import router as casework_router
from gonghui.casework.api import worker_router as casework_worker_router
from gonghui.core.api import AUTH, GonghuiAPI, install_error_handlers
from gonghui.core.api_inbox import router as inbox_router
from gonghui.culture.api import feed_router as culture_feed_router
from gonghui.culture.api import menu_router as culture_menu_router
from gonghui.culture.api import router as culture_router
from gonghui.culture.api import worker_router as culture_worker_router
from gonghui.members.api import router as members_router
from gonghui.members.api import worker_router
from gonghui.organizations.api import router as organizations_router
from gonghui.unionbuilding.api import router as unionbuilding_router

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
api.add_router("/auth", accounts_router)
api.add_router("/me", worker_router)
api.add_router("/me/requests", inbox_router)
api.add_router("/me/cases", casework_worker_router)
api.add_router("/me/counselling", counselling_router)
api.add_router("/", organizations_router)
api.add_router("/", enterprise_contacts_router)
api.add_router("/", members_router)
api.add_router("/", unionbuilding_router)
api.add_router("/", casework_router)
api.add_router("/culture", culture_router)
api.add_router("/culture/menu", culture_menu_router)
api.add_router("/me/bookings", culture_worker_router)
api.add_router("/me/calendar-feed", culture_feed_router)


@api.get("/ping", auth=None, tags=["平台"], summary="存活检查", response=dict[str, bool])
def ping(request: HttpRequest) -> dict[str, bool]:
    """Answers without touching the database: load balancers' health check, and the
    baseline the flash-crowd benchmark compares the booking endpoint with."""
    return {"ok": True}
