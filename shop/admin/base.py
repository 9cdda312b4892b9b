"""The base of every admin view: read-only sessions for pages, money columns shown as
decimals, the before-state kept for the audit trail, and optimistic locking for
versioned rows, so that an edit made meanwhile by someone else is never overwritten."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, ClassVar

from sqladmin import ModelView
from sqlalchemy import Select, String, Subquery, bindparam, cast, false, func, or_, select, union
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.sql import ClauseElement
from sqlalchemy.sql.elements import BindParameter
from starlette.requests import Request
from wtforms import Form, HiddenField
from wtforms.validators import InputRequired, Optional

from shop.admin.audit import BEFORE_STATE, json_safe
from shop.admin.csrf import FIELD as CSRF_FIELD
from shop.admin.csrf import TokenField
from shop.admin.fields import MoneyField, PercentField, format_money
from shop.core.errors import Conflict

if TYPE_CHECKING:
    from shop.admin.site import ShopAdmin

EXPECTED_VERSION = "expected_version"


def _contains(column: Any, pattern: Any, *, sqlite: bool) -> Any:
    text = column if isinstance(getattr(column, "type", None), String) else cast(column, String)
    # SQLite's LIKE already ignores ASCII case (as its lower(), which ILIKE becomes, does
    # only ASCII too); without lower() on every row it is several times faster.
    return text.like(pattern) if sqlite else text.ilike(pattern)


class ShopModelView(ModelView):
    read_session_maker: ClassVar[sessionmaker[Session]]
    # Integer minor-unit columns shown and entered as decimals of the store currency.
    money_columns: ClassVar[tuple[str, ...]] = ()
    percent_columns: ClassVar[tuple[str, ...]] = ()
    page_size = 25
    page_size_options = [25, 50, 100]

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        formatters: dict[Any, Any] = {name: cls._money_formatter(name) for name in cls.money_columns}
        formatters |= {name: cls._percent_formatter(name) for name in cls.percent_columns}
        cls.column_formatters = {**formatters, **cls.column_formatters}
        cls.column_formatters_detail = {**formatters, **cls.column_formatters_detail}

    @property
    def shop_admin(self) -> ShopAdmin:
        return self._admin_ref  # type: ignore[return-value]

    @property
    def currency(self) -> str:
        return self.shop_admin.settings.currency

    # Pages read through a session that begins deferred: on SQLite a list page never
    # waits for (or holds) the write lock.
    def _run_query_sync(self, stmt: ClauseElement) -> Any:
        with self.read_session_maker() as session:
            return session.execute(stmt).scalars().unique().all()  # type: ignore[call-overload]

    def _run_arbitrary_query_sync(self, stmt: ClauseElement) -> Any:
        with self.read_session_maker() as session:
            return session.execute(stmt).all()  # type: ignore[call-overload]

    async def count(self, request: Request, stmt: Select | None = None) -> int:
        # sqladmin counts `SELECT count(*) FROM (<the page's query, ORDER BY and all>)`;
        # the order only costs a sort (or an index walk) that a count does not need.
        if stmt is not None:
            froms = stmt.get_final_froms()
            if len(froms) == 1 and isinstance(froms[0], Subquery) and isinstance(froms[0].element, Select):
                stmt = select(func.count()).select_from(froms[0].element.order_by(None).subquery())
        return await super().count(request, stmt)

    def search_query(self, stmt: Select, term: str) -> Select:
        """Rows where any searchable column contains `term`, case-insensitively.

        Unlike sqladmin's own, text columns are not cast (the cast hides them from their
        trigram index), and the model's own columns are searched as a UNION of one query
        per column: PostgreSQL serves each from its index, where one `a OR b OR c`
        condition makes it scan the whole table.
        """
        # Rendered into the SQL, not bound: a prepared statement's generic plan cannot
        # know the pattern and would scan the table instead of using the index.
        pattern: BindParameter[str] = bindparam("search_pattern", f"%{term}%", literal_execute=True)
        pk = self.pk_columns[0]
        sqlite = self.shop_admin.settings.is_sqlite
        own: list[Any] = []
        related: list[Any] = []
        joined: set[str] = set()
        for name in self._search_fields:
            if "." in name:
                stmt, model = self._join_relationship_paths(stmt, name, joined)
                related.append(_contains(getattr(model, name.split(".")[-1]), pattern, sqlite=sqlite))
            else:
                own.append(_contains(getattr(self.model, name), pattern, sqlite=sqlite))
        conditions = list(related)
        if len(own) == 1:
            conditions.append(own[0])
        elif own:
            conditions.append(pk.in_(union(*(select(pk).where(condition) for condition in own))))
        return stmt.where(or_(false(), *conditions))

    @staticmethod
    def _money_formatter(name: str) -> Any:
        def formatter(model: Any, attribute: Any, request: Request) -> str:
            currency = getattr(model, "currency", None) or request.app.state.settings.currency
            return format_money(getattr(model, name), currency)

        return formatter

    @staticmethod
    def _percent_formatter(name: str) -> Any:
        def formatter(model: Any, attribute: Any) -> str:
            value = getattr(model, name)
            return "" if value is None else f"{value / 100:.2f} %"

        return formatter

    @property
    def is_versioned(self) -> bool:
        return "version" in self._mapper.columns

    async def scaffold_form(self, rules: list[str] | None = None) -> type[Form]:
        form = await super().scaffold_form(rules)
        for name in self.money_columns:
            if name in self._form_prop_names:
                column = self._mapper.columns[name]
                required = [Optional()] if column.nullable else [InputRequired()]
                label = self._column_labels.get(name, name.replace("_", " ").capitalize())
                setattr(
                    form, name, MoneyField(f"{label} ({self.currency})", required, currency=self.currency)
                )
        for name in self.percent_columns:
            if name in self._form_prop_names:
                label = self._column_labels.get(name, name.replace("_", " ").capitalize())
                setattr(form, name, PercentField(f"{label} (%)", [InputRequired()]))
        if self.is_versioned:
            setattr(form, EXPECTED_VERSION, HiddenField())
        setattr(form, CSRF_FIELD, TokenField())
        return form

    async def get_form_data_for_edit(self, obj: Any) -> dict[str, Any]:
        data = await super().get_form_data_for_edit(obj)
        if self.is_versioned:
            data[EXPECTED_VERSION] = obj.version
        return data

    async def on_model_change(self, data: dict, model: Any, is_created: bool, request: Request) -> None:
        data.pop(CSRF_FIELD, None)  # checked by the middleware; not a column
        expected = data.pop(EXPECTED_VERSION, None)
        if is_created:
            return
        if self.is_versioned and expected and str(expected) != str(model.version):
            raise Conflict(
                f"{self.name} was changed by someone else since you opened it; "
                "your changes were not saved. Open it again to see the current version."
            )
        setattr(request.state, BEFORE_STATE, {k: json_safe(getattr(model, k, None)) for k in data})
