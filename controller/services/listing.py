"""One page of a query, and its total count."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

from controller.pagination import Page, resolve_last


def fetch_page(session: Session, statement: Select, page: Page) -> tuple[list[Any], int, Page]:
    """Return ``(items, count, page)`` for ``statement``; ``page=last`` is resolved."""
    count = session.scalar(select(func.count()).select_from(statement.order_by(None).subquery()))
    page = resolve_last(page, count)
    items = session.scalars(statement.offset(page.offset).limit(page.size)).unique().all()
    return list(items), count, page
