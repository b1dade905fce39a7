"""The Dagster instance's event log: SQLite, with batched writes of asset events.

A run over N partitions records each asset's planned and done materializations once per
partition: 5 assets x 1,000 partitions is 10,000 events. Dagster's SQLite storage writes each
event in two transactions (the run's shard and the cross-run index), on a fresh connection,
compiling every statement anew: ~7 ms an event, 70 s of a 1,000-episode refresh. Dagster
already hands these events over in batches (`store_event_batch`) when
`DAGSTER_EVENT_BATCH_SIZE` is set; SQLite's storage then still loops over `store_event`. This
subclass writes a batch in one transaction per shard, with the same rows and index updates
as `store_event`, and turns batching on for any process that uses it.

Configured in `dagster.yaml` (`event_log_storage`); the file layout is the same as
`storage: sqlite`, so an existing instance keeps its history. It builds on Dagster's private
storage methods: `dagster` is pinned, and `test_storage.py` compares every record it writes
with the stock storage's, so an upgrade that changes them fails there first.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from typing import Any

from dagster._core.events import ASSET_CHECK_EVENTS, ASSET_EVENTS
from dagster._core.events.log import EventLogEntry
from dagster._core.storage.event_log import SqliteEventLogStorage
from dagster._core.storage.sqlalchemy_compat import db_result
from dagster._serdes import ConfigurableClassData

from podcast_assets import settings

# Events per transaction (default 1,000: a 1,000-partition run's planned events go in 5 writes).
BATCH_SIZE_ENV = settings.EVENT_BATCH_SIZE.name
DEFAULT_BATCH_SIZE = int(settings.EVENT_BATCH_SIZE.default)


class BatchingSqliteEventLogStorage(SqliteEventLogStorage):
    """`SqliteEventLogStorage` that stores a batch of asset events in one transaction per shard."""

    def __init__(self, base_dir: str, inst_data: ConfigurableClassData | None = None) -> None:
        super().__init__(base_dir, inst_data=inst_data)
        # Dagster reads this variable itself and never hands over a batch without it, in
        # every process that writes events (CLI, daemon, webserver, run workers): the
        # storage they all construct is the one place to turn it on. A set value wins.
        os.environ.setdefault(BATCH_SIZE_ENV, str(DEFAULT_BATCH_SIZE))

    @classmethod
    def from_config_value(
        cls, inst_data: ConfigurableClassData | None, config_value: Mapping[str, Any]
    ) -> BatchingSqliteEventLogStorage:
        return cls(inst_data=inst_data, **config_value)

    def store_event_batch(self, events: Sequence[EventLogEntry]) -> None:
        """Consecutive asset events of one run go in together; anything else one by one."""
        group: list[EventLogEntry] = []
        for event in events:
            if group and (not _batchable(event) or event.run_id != group[0].run_id):
                self._store_asset_events(group)
                group = []
            if _batchable(event):
                group.append(event)
            else:
                self.store_event(event)
        if group:
            self._store_asset_events(group)

    def _store_asset_events(self, events: Sequence[EventLogEntry]) -> None:
        """What `store_event` does for each asset event, in two transactions for all of them."""
        if len(events) == 1:
            self.store_event(events[0])
            return
        statements = [self.prepare_insert_event(event) for event in events]
        with self.run_connection(events[0].run_id) as conn:
            for statement in statements:
                conn.execute(statement)
        event_ids: list[int] = []
        with self.index_transaction() as conn:
            for statement in statements:
                with db_result(conn, statement) as result:
                    event_ids.append(result.inserted_primary_key[0])
            self._store_asset_event_tags(conn, events, event_ids)
            for event, event_id in zip(events, event_ids, strict=True):
                self._store_asset_event(conn, event, event_id)


def _batchable(event: EventLogEntry) -> bool:
    """Asset events that `store_event` mirrors into the index and nothing else."""
    return (
        event.is_dagster_event
        and event.dagster_event_type in ASSET_EVENTS
        and event.dagster_event_type not in ASSET_CHECK_EVENTS
        and bool(event.get_dagster_event().asset_key)
    )
