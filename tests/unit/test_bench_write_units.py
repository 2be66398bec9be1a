"""The bench's write-unit pricing (bench/writes.py): base item plus index entries, from the
indexes the models declare."""

from __future__ import annotations

from bench.writes import Index, ItemWrite, Table, index_entries, item_size, price, tables

TICKETS = Table("t", "t", ("id",), (
    Index("t", "by_kind", ("kind", "at"), "ALL"),
    Index("t", "by_owner", ("owner", "at"), "KEYS_ONLY"),
    Index("t", "by_status", ("status", "at"), "INCLUDE", ("subject",)),
))


def s(value: str) -> dict:
    return {"S": value}


def ticket(**fields) -> dict:
    return {"id": s("1"), "kind": s("ticket"), "at": s("2026"), "owner": s("ada"), "subject": s("Hi"),
            **{k: s(v) for k, v in fields.items()}}


def names(entries) -> dict:
    return {index.name: units for index, units in entries}


def test_a_new_item_writes_one_entry_in_each_index_whose_keys_it_has():
    assert names(index_entries(TICKETS, None, ticket())) == {"by_kind": 1, "by_owner": 1}
    assert names(index_entries(TICKETS, None, ticket(status="new"))) == {"by_kind": 1, "by_owner": 1, "by_status": 1}


def test_a_changed_key_deletes_the_old_entry_and_puts_the_new_one():
    assert names(index_entries(TICKETS, ticket(status="new"), ticket(status="open")))["by_status"] == 2


def test_a_change_outside_a_narrow_projection_writes_only_the_full_copies():
    changed = index_entries(TICKETS, ticket(status="new", body="a"), ticket(status="new", body="b"))
    assert names(changed) == {"by_kind": 1}


def test_units_are_kilobytes_rounded_up_and_transactions_bill_the_base_twice():
    big = ticket(description="x" * 3000)
    assert item_size(big) > 3000
    _item, base, billed, entries = price(ItemWrite("unknown-table", "TransactWriteItems", True, None, big))
    assert (base, billed, entries) == (3, 6, [])


def test_the_indexes_come_from_the_models():
    from chalicelib.models.tickets import TicketModel

    table = tables()[TicketModel.Meta.table_name]
    declared = {index["index_name"] for index in TicketModel._get_schema()["global_secondary_indexes"]}
    assert {index.name for index in table.indexes} == declared
