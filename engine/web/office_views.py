"""What the office's pages show, as plain tables (caption, headings, rows of text or links) and forms, in
Chinese: field labels, not field codes; amounts in yuan from integer fen; sources with their date."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from guangxi_subsidy.engine.accounts.lists import STATUS_WORDS as LIST_WORDS
from guangxi_subsidy.engine.accounts.policy import ROLE_WORDS, Principal, allowed
from guangxi_subsidy.engine.accounts.tables import AccessEntry, PaymentList
from guangxi_subsidy.engine.applicant.fields import field_labels
from guangxi_subsidy.engine.applicant.profile import CITY_LABELS, KIND_LABELS
from guangxi_subsidy.engine.evaluation.evaluate import Engine
from guangxi_subsidy.engine.matching.office_tables import WaiverCase
from guangxi_subsidy.engine.matching.payments import yuan
from guangxi_subsidy.engine.matching.pushes import KIND_WORDS
from guangxi_subsidy.engine.matching.store import inbox
from guangxi_subsidy.engine.matching.tables import Decision, MatchRun
from guangxi_subsidy.engine.register.profiles import current_versions, facts_of
from guangxi_subsidy.engine.register.tables import Applicant

Table = dict[str, Any]
DECISION_WORDS = {"eligible": "可享", "not_eligible": "不可享", "expired": "已过期", "not_yet_in_force": "尚未生效"}
SOURCE_WORDS = {"department": "部门数据", "file": "导入文件", "declaration": "企业申报", "officer": "经办录入"}
ACTION_WORDS = {"read": "查阅", "change": "修改"}


def link(href: str, text: str) -> dict[str, str]:
    return {"href": href, "text": text}


def table(caption: str, headings: Sequence[str], rows: list[list[Any]], empty: str = "暂无记录") -> Table:
    return {"caption": caption, "headings": list(headings), "rows": rows, "empty": empty}


def city(code: str) -> str:
    return "全区" if code == "region" else CITY_LABELS.get(code, code)


class Views:
    """The tables of each page; holds the rule pack for rule names."""

    def __init__(self, engine: Engine) -> None:
        self.pack = engine.pack
        self.labels = field_labels()

    def rule_name(self, rule_id: str) -> str:
        rule = self.pack.rules.get(rule_id)
        return rule.name if rule is not None else rule_id

    def menu(self, who: Principal) -> Table:
        entries: list[tuple[str, str, str]] = [
            ("file.read", f"/office/files/{who.scope}", "我的档案"),
            ("file.declare", f"/office/files/{who.scope}/declared", "更正我申报的事项"),
            ("file.benefits", f"/office/files/{who.scope}/benefits", "我的当前可享政策"),
            ("file.inbox", f"/office/files/{who.scope}/inbox", "我的消息与免申确认"),
            ("file.report", f"/office/files/{who.scope}/reports", "我的报告"),
        ] if who.role in ("enterprise", "incubator") else []
        entries += [("applicants.list", "/office/files", "申报主体" if who.role != "incubator" else "在孵企业"),
                    ("imports.run", "/office/imports", "导入"), ("runs.list", "/office/runs", "匹配运行"),
                    ("pushes.read", "/office/pushes", "推送清单"),
                    ("waiver.record", "/office/confirmations", "免申即享确认"),
                    ("decisions.read", "/office/decisions", "匹配结论（按政策和规则版本）"),
                    ("lists.read", "/office/lists", "付款清单"), ("budgets.read", "/office/budgets", "预算"),
                    ("log.read", "/office/log", "访问记录")]
        rows = [[link(href, text)] for action, href, text in entries if allowed(who, action)
                and not (who.role in ("enterprise",) and action == "applicants.list")]
        if who.role == "administrator":
            return table("可办事项", ["事项"], [], "管理员通过命令 subsidy users 管理账号，不查阅申报数据")
        return table("可办事项", ["事项"], rows)

    def file_links(self, applicant: Applicant) -> list[tuple[str, str]]:
        base = f"/office/files/{applicant.ref}"
        return [(base, "档案"), (base + "/benefits", "当前可享"), (base + "/inbox", "消息"),
                (base + "/reports", "报告")]

    def kind_word(self, kind: str) -> str:
        return KIND_WORDS.get(kind, "其他")

    def waiver_record_form(self, ref: str, case: WaiverCase) -> dict[str, Any]:
        """An officer records an applicant's answer to a 免申即享 item (given by telephone or on paper)."""
        return {"action": "/office/confirmations", "legend": f"{ref}：{self.rule_name(case.rule_id)}，"
                f"{yuan(case.amount_fen)} 元，代为登记企业的答复", "hidden": {"ref": ref, "rule_id": case.rule_id},
                "buttons": [("answer", "confirm", "企业确认领取"), ("answer", "decline", "企业放弃")], "reason": False}

    def firms(self, session: Session, pks: list[int]) -> tuple[dict[int, str], dict[int, str]]:
        """Per applicant: its current benefits (count and sum), and the facts its decisions miss (labels)."""
        benefits: dict[int, list[int]] = {}
        missing: dict[int, set[str]] = {}
        query = select(Decision).where(Decision.applicant_pk.in_(pks), Decision.current.is_(True))
        for d in session.scalars(query):
            if d.status == "eligible":
                held = benefits.setdefault(d.applicant_pk, [0, 0])
                held[0] += 1
                held[1] += d.amount_fen or 0
            if d.missing:
                missing.setdefault(d.applicant_pk, set()).update(d.missing.split(","))
        said = {pk: f"{n} 项，{yuan(fen)} 元" for pk, (n, fen) in benefits.items()}
        lacking = {pk: "、".join(sorted(self.labels.get(f, "其他事项") for f in fields))
                   for pk, fields in missing.items()}
        return said, lacking

    def applicants(self, session: Session, who: Principal) -> Table:
        query = select(Applicant).where(Applicant.forgotten_at.is_(None)).order_by(Applicant.ref).limit(500)
        if who.role == "incubator":
            base = session.scalars(select(Applicant).where(Applicant.ref == who.scope)).first()
            pk = -1 if base is None else base.pk
            query = query.where((Applicant.pk == pk) | (Applicant.base_pk == pk))
        elif who.scope != "region":
            query = query.where(Applicant.city == who.scope)
        found = list(session.scalars(query))
        rows = [[link(f"/office/files/{a.ref}", a.ref), KIND_LABELS.get(a.kind, a.kind), city(a.city)]
                for a in found]
        if who.role == "incubator":  # the base sees what each firm may have, and what the office still needs
            said, lacking = self.firms(session, [a.pk for a in found])
            for row, a in zip(rows, found, strict=True):
                row += [said.get(a.pk, "暂无"), lacking.get(a.pk, "—")]
            return table("本载体及在孵企业的申报主体",
                         ["统一社会信用代码", "主体类型", "所在城市", "当前可享", "缺少的信息"], rows)
        return table(f"{city(who.scope)}的申报主体", ["统一社会信用代码", "主体类型", "所在城市"], rows)

    def facts(self, session: Session, applicant: Applicant) -> tuple[Table, list[str]]:
        """The file's current facts, each with its source and when it was recorded; and the fields shown."""
        known = current_versions(facts_of(session, applicant))
        rows = [[self.labels.get(f.field, f.field), f.value, str(f.period) or "长期",
                 f"{SOURCE_WORDS.get(f.source_kind, f.source_kind)}：{f.source_text()}",
                 f.recorded_at.strftime("%Y-%m-%d")] for f in known]
        caption = f"{KIND_LABELS.get(applicant.kind, applicant.kind)} · {city(applicant.city)}"
        return table(caption, ["事项", "数值", "期间", "来源", "记录日期"], rows), [f.field for f in known]

    def benefits(self, session: Session, applicant: Applicant) -> Table:
        query = select(Decision).where(Decision.applicant_pk == applicant.pk, Decision.current.is_(True)).order_by(
            Decision.rule_id)
        rows = [[self.rule_name(d.rule_id), DECISION_WORDS.get(d.status, d.status),
                 "金额待定" if d.amount_fen is None else yuan(d.amount_fen) + " 元", d.as_of.isoformat()]
                for d in session.scalars(query) if d.status == "eligible"]
        return table("当前可享的政策（最近一次匹配）", ["政策", "结论", "金额", "匹配日期"], rows,
                     "暂无可享政策，或尚未匹配")

    def inbox(self, session: Session, applicant: Applicant) -> Table:
        rows = [[KIND_WORDS.get(p["kind"], p["kind"]), p["text"], p["created_at"][:10]]
                for p in reversed(inbox(session, applicant.ref))]
        return table("消息", ["类别", "内容", "日期"], rows)

    def waiver_forms(self, applicant: Applicant, cases: Sequence[WaiverCase]) -> list[dict[str, Any]]:
        return [{"action": f"/office/files/{applicant.ref}/waivers", "legend":
                 f"免申即享：{self.rule_name(c.rule_id)}，{yuan(c.amount_fen)} 元（{c.department}）",
                 "hidden": {"rule_id": c.rule_id},
                 "buttons": [("answer", "confirm", "确认领取"), ("answer", "decline", "放弃")], "reason": False}
                for c in cases]

    def runs(self, rows: Sequence[MatchRun]) -> Table:
        return table("最近的匹配运行", ["编号", "时间", "匹配日期", "方式", "评估主体数", "推送数"],
                     [[str(r.pk), r.started_at.strftime("%Y-%m-%d %H:%M"), r.as_of.isoformat(),
                       "全量" if r.mode == "full" else "增量", str(r.evaluated), str(r.pushed)] for r in rows])

    def decisions(self, session: Session, scope: str) -> Table:
        """The current decisions of a jurisdiction, counted by rule, rule-pack version and conclusion."""
        query = (select(Decision.rule_id, Decision.rules_digest, Decision.status, func.count(),
                        func.sum(Decision.amount_fen))
                 .join(Applicant, Applicant.pk == Decision.applicant_pk).where(Decision.current.is_(True))
                 .group_by(Decision.rule_id, Decision.rules_digest, Decision.status)
                 .order_by(Decision.rule_id, Decision.rules_digest, Decision.status))
        if scope != "region":
            query = query.where(Applicant.city == scope)
        rows = [[self.rule_name(rule_id), digest[:12], DECISION_WORDS.get(status, status), str(count),
                 "—" if total is None else yuan(int(total))] for rule_id, digest, status, count, total in
                session.execute(query)]
        return table(f"{city(scope)}当前的匹配结论", ["政策", "规则版本", "结论", "主体数", "金额合计（元）"], rows)

    def lists(self, rows: Sequence[PaymentList]) -> Table:
        return table("付款清单", ["编号", "辖区", "案件数", "合计（元）", "状态", "经办", "审核", "审核意见"],
                     [[link(f"/office/lists/{r.pk}", str(r.pk)), city(r.jurisdiction), str(len(json.loads(r.cases))),
                       yuan(r.total_fen), LIST_WORDS[r.status], r.prepared_by, r.reviewed_by or "—",
                       r.reason or "—"] for r in rows])

    def list_cases(self, session: Session, pks: list[int]) -> Table:
        query = select(WaiverCase, Applicant.ref).join(Applicant, Applicant.pk == WaiverCase.applicant_pk).where(
            WaiverCase.pk.in_(pks)).order_by(WaiverCase.pk)
        return table("清单中的案件", ["统一社会信用代码", "政策", "金额（元）", "部门", "付款期限"],
                     [[ref, self.rule_name(c.rule_id), yuan(c.amount_fen), c.department,
                       "—" if c.pay_by is None else c.pay_by.isoformat()] for c, ref in session.execute(query)])

    def prepare_form(self, waiting: int) -> dict[str, Any]:
        return {"action": "/office/lists", "legend": f"有 {waiting} 个已确认案件尚未列入清单", "hidden": {},
                "buttons": [("go", "1", "生成付款清单")], "reason": False}

    def review_form(self, row: PaymentList) -> dict[str, Any]:
        return {"action": f"/office/lists/{row.pk}/review", "legend": "审核（须写明理由）", "hidden": {},
                "buttons": [("decision", "approve", "批准"), ("decision", "reject", "退回")], "reason": True}

    def log(self, rows: Sequence[AccessEntry]) -> Table:
        return table("访问记录（最近 500 条）", ["时间", "人员", "角色", "档案", "操作", "事项", "页面或接口"],
                     [[r.at.strftime("%Y-%m-%d %H:%M:%S"), r.who, ROLE_WORDS.get(r.role, r.role), r.applicant_ref,
                       ACTION_WORDS.get(r.action, r.action),
                       "、".join(self.labels.get(f, f) for f in r.fields.split(",") if f), r.via] for r in rows])
