"""Demo records for `sunrise`: calls over the last 30 days, callbacks, complaints, applications."""

from __future__ import annotations

import datetime as dt
import random

from core.clock import utcnow
from core.audit import services as audit
from core.tasks.models import Task, TaskEvent
from core.tasks.services import task_out
from core.tasks.types import Subject
from plugins.insurance_calls.models import Application, Call
from plugins.insurance_calls.services import CALLBACK, COMPLAINT, REVISIT

CALLERS = [
    ("张伟", "13800138000", "粤B12345", "PDAA202644030000012345"),
    ("王芳", "13912345678", "粤B6K789", "PDAA202644030000023456"),
    ("李娜", "13711112222", "粤A88888", ""),
    ("刘洋", "13655556666", "湘A12D34", "PDZA202644010000034567"),
    ("陈静", "18922223333", "粤BD12345", ""),
    ("杨磊", "15012341234", "粤S54321", "PDAA202644190000045678"),
    ("赵敏", "18688889999", "", ""),
    ("黄勇", "13544445555", "粤E77777", "PDAA202644060000056789"),
]

ASKS = {
    "quote": ("询问续保报价，三者险提高到200万", "已按车型报价，商业险合计4,860元", {"vehicle": "丰田 凯美瑞 2021"}),
    "vehicle_price": ("查询车辆新车购置价", "已告知新车购置价参考值", {"vehicle": "本田 雅阁 2020"}),
    "compulsory_claim_lookup": ("查询去年交强险出险记录", "查到一次出险记录，已告知", {}),
    "claim_consultation": ("咨询理赔进度", "已转理赔专员，三个工作日内答复", {}),
    "card_activation": ("驾乘意外卡激活", "已协助激活", {"card_number": "JCK20260001"}),
    "care_callback": ("客户关怀回访", "客户对服务满意", {}),
    "repair_referral": ("推荐合作维修厂", "已推荐4S店并预约", {"repair_shop": "深圳南山丰田4S店"}),
    "renewal": ("续保提醒", "客户同意续保，待报价", {}),
    "other": ("咨询营业网点地址", "已告知地址和营业时间", {}),
}


async def _task(site, type_, title, creator, assignee, created, due, status="open", parent=None):
    """A task as it would stand after weeks of work. Written directly (the kernel stamps
    "now"), with the same history event and audit entry the kernel writes."""
    task = await Task.create(site_id=site.id, type=type_, title=title, description="", status=status,
                             priority="high" if type_ == COMPLAINT else "normal", created_by=creator,
                             assignee=assignee, due_at=due, parent=parent, is_open=status not in ("closed", "cancelled"),
                             resolved_at=(created + dt.timedelta(hours=3)) if status in ("resolved", "closed") else None)
    await Task.filter(id=task.id).update(created_at=created)
    await TaskEvent.create(task_id=task.id, site_id=site.id, at=created, actor_id=creator.id, kind="created",
                           to_status="open")
    await audit.record("task.create", actor=creator, site_id=site.id, object_type="task", object_id=task.id,
                       after=task_out(task), note="demo data")
    return task


async def load(demo) -> None:
    site = demo.sites["sunrise"]
    agents = [demo.users["caller"], demo.users["caller2"]]
    supervisor = demo.users["callsup"]
    rng = random.Random(20260101)
    now = utcnow().replace(microsecond=0)
    types = list(ASKS)
    for index in range(120):
        name, phone, plate, policy = CALLERS[index % len(CALLERS)] if index % 3 else CALLERS[rng.randrange(3)]
        agent = agents[index % 2]
        started = now - dt.timedelta(days=rng.randrange(1, 30), hours=rng.randrange(0, 9), minutes=rng.randrange(60))
        call_type = types[index % len(types)]
        if call_type in ("quote", "compulsory_claim_lookup", "repair_referral", "renewal") and not plate:
            call_type = "other"
        if call_type in ("renewal", "claim_consultation") and not policy:
            call_type = "other"
        summary, answer, fields = ASKS[call_type]
        ended = started + dt.timedelta(seconds=rng.randrange(60, 600))
        await Call.create(site_id=site.id, direction="outbound" if call_type in ("care_callback", "renewal",
                                                                                 "repair_referral") else "inbound",
                          started_at=started, ended_at=ended, handle_seconds=int((ended - started).total_seconds()),
                          agent_id=agent.id, phone=phone, caller_name=name, plate=plate,
                          policy_no=policy if call_type in ("renewal", "claim_consultation") else "",
                          call_type=call_type, summary=summary, answer=answer, outcome="resolved", type_fields=fields)
    # Promised callbacks: one due later today, one done on time, one overdue.
    for offset, status, name_index in ((dt.timedelta(hours=4), "open", 0), (dt.timedelta(days=-2), "resolved", 1),
                                       (dt.timedelta(hours=-3), "open", 3)):
        name, phone, plate, policy = CALLERS[name_index]
        agent = agents[name_index % 2]
        started = now + offset - dt.timedelta(days=1)
        task = await _task(site, CALLBACK, f"回电: {name} · 车险报价", agent, agent, started, now + offset, status)
        if offset.total_seconds() < 0 and status == "open":
            await Task.filter(id=task.id).update(overdue=True)
        asked = await Call.create(site_id=site.id, direction="inbound", started_at=started,
                          ended_at=started + dt.timedelta(minutes=4), handle_seconds=240, agent_id=agent.id,
                          phone=phone, caller_name=name, plate=plate, call_type="quote",
                          summary="询问报价，需核实车型后回电", answer="承诺回电报价", outcome="follow_up",
                          follow_up_at=now + offset, type_fields={"vehicle": "大众 帕萨特 2019"},
                          follow_up_task_id=task.id)
        await demo.tasks.set_subject(task, Subject("insurance_calls", "call", asked.id))  # as log_call names it
        if status == "resolved":
            await Call.create(site_id=site.id, direction="outbound", started_at=now + offset - dt.timedelta(hours=1),
                              ended_at=now + offset - dt.timedelta(minutes=55), handle_seconds=300,
                              agent_id=agent.id, phone=phone, caller_name=name, plate=plate, call_type="quote",
                              summary="回电报价", answer="已报价，客户考虑中", outcome="resolved",
                              type_fields={"vehicle": "大众 帕萨特 2019"}, task_id=task.id)
    # A complaint with its required revisit.
    name, phone, plate, policy = CALLERS[1]
    started = now - dt.timedelta(hours=5)
    complaint = await _task(site, COMPLAINT, f"投诉: {name} · 理赔速度慢", agents[1], supervisor, started,
                            started + dt.timedelta(days=1))
    revisit = await _task(site, REVISIT, f"回访: {name} · 投诉", agents[1], agents[1], started,
                          started + dt.timedelta(days=3), parent=complaint)
    complained = await Call.create(site_id=site.id, direction="inbound", started_at=started,
                      ended_at=started + dt.timedelta(minutes=9), handle_seconds=540, agent_id=agents[1].id,
                      phone=phone, caller_name=name, plate=plate, policy_no=policy, call_type="complaint",
                      summary="投诉理赔款迟迟未到账", answer="已登记投诉，主管24小时内答复", outcome="complaint",
                      complaint_task_id=complaint.id)
    for task in (complaint, revisit):
        await demo.tasks.set_subject(task, Subject("insurance_calls", "call", complained.id))
    await Application.create(site_id=site.id, status="draft", applicant_name="周杰", id_number="11010519491231002X",
                             phone="13800001111", plate="粤B99999", vin="LSVAU2180N2183294", vehicle="大众 朗逸 2022",
                             cover=["compulsory", "third_party", "vehicle_damage"], premium_minor=486000,
                             created_by=agents[0])
