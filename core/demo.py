"""Demo data: the sites and users of API.md, then each plugin's records.

Every demo user's password is ``frontdesk-demo``; while any still has it, every page
shows a warning banner.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Iterable

from core.entities import services as entities
from core.entities.models import Site, Unit
from core.identity import services as identity
from core.identity.models import Role, User
from core.events import EventBus
from core.plugin_host import await_me_maybe
from core.tasks.services import TaskKernel

DEMO_PASSWORD = "frontdesk-demo"

SITES = [
    {"code": "harbour", "name": "Harbour View Residences", "kind": "residential", "timezone": "Asia/Taipei",
     "currency": "TWD", "default_language": "zh_Hant"},
    {"code": "lotus", "name": "Lotus Garden Hotel", "kind": "hotel", "timezone": "Asia/Taipei",
     "currency": "TWD", "default_language": "zh_Hant"},
    {"code": "sunrise", "name": "Sunrise Insurance Service Line", "kind": "call_centre", "timezone": "Asia/Shanghai",
     "currency": "CNY", "default_language": "zh_Hans"},
]

ALL_SITES = ("harbour", "lotus", "sunrise")

# username: (display name, department, {site: [roles]})
USERS = {
    "admin": ("系統管理員 Admin", "", {site: ["admin"] for site in ALL_SITES}),
    "manager": ("陳經理 Manager Chen", "", {site: ["manager"] for site in ALL_SITES}),
    "supervisor": ("林主管 Supervisor Lin", "service", {"harbour": ["supervisor"]}),
    "agent": ("王專員 Agent Wang", "service", {"harbour": ["agent"]}),
    "agent2": ("李專員 Agent Li", "service", {"harbour": ["agent"]}),
    "hotelsup": ("張領班 Supervisor Zhang", "front_desk", {"lotus": ["supervisor"]}),
    "frontdesk": ("黃總台 Front desk Huang", "front_desk", {"lotus": ["front_desk"]}),
    "housekeeper": ("吳服務員 Attendant Wu", "housekeeping", {"lotus": ["housekeeper"]}),
    "housekeeper2": ("周服務員 Attendant Zhou", "housekeeping", {"lotus": ["housekeeper"]}),
    "cashier": ("鄭收銀 Cashier Zheng", "cashier", {"lotus": ["cashier"]}),
    "cashier2": ("許收銀 Cashier Xu", "cashier", {"lotus": ["cashier"]}),
    "callsup": ("趙主管 Supervisor Zhao", "calls", {"sunrise": ["supervisor"]}),
    "caller": ("孫話務員 Agent Sun", "calls", {"sunrise": ["call_agent"]}),
    "caller2": ("錢話務員 Agent Qian", "calls", {"sunrise": ["call_agent"]}),
}

# username: (extension, job title), what the staff directory shows (熟記內線電話).
CONTACTS = {
    "admin": ("100", "系統管理員 System administrator"),
    "manager": ("101", "部門經理 Department manager"),
    "supervisor": ("2100", "客服主管 Service supervisor"),
    "agent": ("2101", "客服專員 Service agent"),
    "agent2": ("2102", "客服專員 Service agent"),
    "hotelsup": ("3100", "領班 Floor and cashier supervisor"),
    "frontdesk": ("3000", "總台接待 Front desk clerk"),
    "housekeeper": ("3201", "樓層服務員 Room attendant"),
    "housekeeper2": ("3202", "樓層服務員 Room attendant"),
    "cashier": ("3301", "收銀員 Cashier"),
    "cashier2": ("3302", "收銀員 Cashier"),
    "callsup": ("4100", "話務主管 Call desk supervisor"),
    "caller": ("4101", "話務員 Call agent"),
    "caller2": ("4102", "話務員 Call agent"),
}

#: Demo users who are super-administrators (the others are bounded by their sites).
SUPERADMINS = {"admin"}

RESIDENTS = ["陳大文", "林美玲", "王志明", "李淑芬", "張家豪", "黃雅婷", "吳建宏", "劉怡君", "蔡宗翰", "楊佩珊",
             "許文華", "鄭惠如", "謝明輝", "郭淑惠", "洪國強", "曾雅琪"]


@dataclass
class DemoContext:
    """What plugins get in ``register_demo_data``: demo sites and users by name."""

    sites: dict[str, Site] = field(default_factory=dict)
    users: dict[str, User] = field(default_factory=dict)
    #: The task kernel with every plugin's task types, to create demo tasks through the
    #: same rules as the desks (its live events reach nobody: no server is running).
    tasks: Any = None


async def _harbour_places(site: Site) -> None:
    for building in ("A", "B"):
        for floor in range(1, 11):
            for door in range(1, 5):
                code = f"{building}-{floor:02d}{door:02d}"
                await Unit.create(site=site, code=code, kind="apartment", building=f"Tower {building}",
                                  floor=str(floor), name="")
    for number, name in enumerate(RESIDENTS):
        phone = f"09{(12345678 + number * 1111111) % 100000000:08d}"
        await entities.create_party(site, {"name": name, "kind": "person", "phones": [phone], "email": "",
                                           "notes": ""})


async def load_demo(host, only_if_empty: bool = False) -> list[str]:
    """Load the demo; returns the usernames created (empty when skipped)."""
    if only_if_empty and await Site.exists():
        return []
    await identity.sync_roles_and_permissions(host)
    demo = DemoContext(tasks=TaskKernel(host, EventBus()))
    for data in SITES:
        demo.sites[data["code"]] = await entities.create_site(data)
    roles = {role.name: role for role in await Role.all()}
    for username, (display_name, department, memberships) in USERS.items():
        extension, title = CONTACTS.get(username, ("", ""))
        user = await identity.create_user(username, DEMO_PASSWORD, display_name=display_name, department=department,
                                          extension=extension, title=title)
        user.has_demo_password = True
        # The demo's admin administers everything (API.md: "admin (all sites)"), new sites
        # included: the explicit super-administrator, not inferred from its memberships.
        user.is_superadmin = username in SUPERADMINS
        await user.save(update_fields=["has_demo_password", "is_superadmin"])
        for site_code, role_names in memberships.items():
            for role_name in role_names:
                await identity.grant_membership(user, demo.sites[site_code], roles[role_name])
        demo.users[username] = user
    await _harbour_places(demo.sites["harbour"])
    for _plugin, loaders in host.contributions("register_demo_data"):
        for loader in loaders:
            await await_me_maybe(lambda: loader(demo))  # noqa: B023 — called at once, in this iteration
    return list(USERS)


async def load_plugin_demo(host, plugin_names: Iterable[str]) -> None:
    """Add the demo records of ``plugin_names`` to a database that holds the demo already
    (a plugin installed after the demo was loaded)."""
    wanted = set(plugin_names)
    demo = DemoContext(tasks=TaskKernel(host, EventBus()))
    demo.sites = {site.code: site for site in await Site.filter(code__in=[data["code"] for data in SITES])}
    demo.users = {user.username: user for user in await User.filter(username__in=list(USERS))}
    for plugin, loaders in host.contributions("register_demo_data"):
        for loader in loaders if plugin.name in wanted else ():
            await await_me_maybe(lambda: loader(demo))  # noqa: B023 — called at once, in this iteration
